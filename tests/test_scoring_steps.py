"""The named steps score_application is composed of, one rule each."""
from __future__ import annotations

import csv

import pytest

from conftest import SAMPLES
from models import scoring
from models.scoring import DEFAULT_WEIGHTS, Catalog, score_application

W = dict(DEFAULT_WEIGHTS)


@pytest.fixture(scope="module")
def cat():
    rows = list(csv.DictReader((SAMPLES / "catalog.csv").open()))
    return Catalog.from_products((r["sku"], r["name"], r["category"]) for r in rows)


def test_raw_text_puts_the_subject_first_unless_the_text_has_it():
    assert scoring._raw_text("need balls", "Quote") == "Quote\nneed balls"
    assert scoring._raw_text("Quote for balls", "Quote") == "Quote for balls"
    assert scoring._raw_text(None, "") == ""


def test_contact_counts_three_or_two_details_and_only_three_is_shown():
    assert scoring._contact_signal("Ola", "o@example.com", "+4791234567", W) == (W["contact_complete"],
                                                                                 "complete contact", False)
    assert scoring._contact_signal("Ola", " ", "+4791234567", W) == (W["contact_partial"], None, False)
    assert scoring._contact_signal("Ola", "", "", W).points == 0
    assert scoring._known_client_signal(True, W) == (W["known_client"], "known client", False)


def test_products_take_the_nearest_quantity_and_remember_the_sku(cat):
    folded = scoring._fold("We need 20 BALL-FUT and 3 ball bags")
    tokens = scoring._canonical_words(folded, cat)
    qtys = scoring._quantities(scoring._masked(folded, cat), cat)
    products = scoring._find_products(folded, tokens, qtys, cat)
    assert products.named[0] == ("BALL-FUT", 20) and products.first_by_sku
    signal = scoring._product_signal(products, tokens, W)
    assert signal.substantive and signal.reason.startswith("names BALL-FUT x20")
    assert signal.points == W["product"] + W["more_products"] * (len(products.named) - 1) + W["sku"]


def test_a_kind_of_product_without_a_catalog(cat):
    tokens = scoring._canonical_words(scoring._fold("do you sell gloves?"), None)
    products = scoring._find_products("do you sell gloves?", tokens, [], None)
    assert products.named == () and products.kinds == {"glove"}
    assert scoring._product_signal(products, tokens, W) == (W["product_kind"], "asks about glove", True)


def test_urgency_is_shown_only_without_a_date():
    dated = scoring._date_signal("urgent, by 5 december", W)
    assert dated.reason == "deadline 5 Dec"
    assert scoring._urgency_signal("urgent, by 5 december", dated, W).reason is None
    assert scoring._urgency_signal("urgent", scoring._date_signal("urgent", W), W).reason == "urgent"


def test_spec_is_substantive_only_about_a_product():
    none = scoring._Products((), frozenset(), False)
    balls = scoring._Products((), frozenset({"ball"}), False)
    assert scoring._spec_signal("in navy", none, W) == (W["spec"], None, False)
    assert scoring._spec_signal("in navy", balls, W).substantive


def test_trade_buyer_and_organisation():
    assert scoring._business_signal("we are a distributor", W).reason == "trade buyer (distributor)"
    assert scoring._business_signal("our club", W) == (W["business"], None, False)


def test_vague_keeps_at_most_the_cap_and_assemble_clamps():
    contact = scoring._Signal(50, "complete contact")
    known = scoring._known_client_signal(True, W)
    vague = scoring._vague("hi", contact, known, W)
    assert (vague.score, vague.reasons) == (W["vague_cap"], ["vague request", "known client"])
    big = scoring._assemble((scoring._Signal(80, "a", True), scoring._Signal(70, None, True), contact))
    assert big.score == 100 and big.reasons == ["a", "complete contact"] and big.level == 3


def test_reasons_come_in_the_order_of_the_steps(cat):
    text = ("We need 40 Pro Match Ball size 5 delivered to Valencia before 5 December. Budget 1,800 EUR. "
            "Pay on invoice, PO-4471")
    scored = score_application(text, catalog=cat, weights={}, name="a", email="b@example.com", phone="123456789",
                               known_client=True)
    assert scored.reasons == ["names BALL-PRO5 x40", "deadline 5 Dec", "budget 1,800 EUR", "delivery to Valencia",
                              "payment: pay on invoice", "ref PO-4471", "complete contact", "known client"]


def test_the_weekday_reason_names_the_day_written_first():
    from models.scoring import score_application

    for text, day in (("10 balls on monday or friday", "Monday"), ("10 balls on friday or monday", "Friday")):
        reasons = score_application(text).reasons
        assert f"date: {day}" in reasons, reasons
