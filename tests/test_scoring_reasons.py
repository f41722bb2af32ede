"""Issue 14: quantities bound to what they count, and reasons that can be checked against the text."""
from __future__ import annotations

import csv
import json
import re

import pytest

from conftest import SAMPLES
from models.scoring import Catalog, products_named, score_application

OFFICE = [("MON-34UW", "34 inch Ultrawide Monitor", "monitors"), ("PRN-LJ40", "Laser Printer 40 ppm", "printers"),
          ("PAP-A4", "A4 Copy Paper 500 sheets", "paper"), ("AP-WIFI6", "Wi-Fi 6 Access Point", "networking"),
          ("LAP-14", "Business Laptop 14 inch", "laptops"), ("CHAIR-ERGO", "Ergonomic Office Chair", "furniture")]


@pytest.fixture(scope="module")
def cat():
    rows = list(csv.DictReader((SAMPLES / "catalog.csv").open()))
    return Catalog.from_products((r["sku"], r["name"], r["category"]) for r in rows)


@pytest.fixture(scope="module")
def office():
    return Catalog.from_products(OFFICE)


def test_each_product_keeps_its_own_quantity(cat):
    assert products_named("40 x BAG-BALL10 and 3 Pro Match Ball", catalog=cat) == [("BAG-BALL10", 40),
                                                                                  ("BALL-PRO5", 3)]
    assert dict(products_named("30 GOAL-7X5, 5 PUMP-HD", catalog=cat)) == {"GOAL-7X5": 30, "PUMP-HD": 5}


@pytest.mark.parametrize("text, catalog", [
    ("Marker Cones 50 pack", "cat"), ("turf installation per m2", "cat"),
    ("34 inch ultrawide monitor", "office"), ("laser printer 40 ppm", "office"), ("A4 paper", "office"),
    ("Wi-Fi 6 access points", "office")])
def test_numbers_of_names_and_specifications_are_not_quantities(text, catalog, request):
    c = request.getfixturevalue(catalog)
    scored = score_application(text, catalog=c, weights={})
    assert not any(re.search(r" x\d+|quantity", r) for r in scored.reasons), scored.reasons
    assert all(q is None for _, q in products_named(text, catalog=c))


def test_office_words_are_products(office):
    assert any("LAP-14" in r or "laptop" in r for r in score_application("do u have laptops", catalog=office,
                                                                           weights={}).reasons)
    assert any("CHAIR-ERGO" in r or "chair" in r for r in score_application("office chairs", catalog=office,
                                                                              weights={}).reasons)
    assert dict(products_named("25 laptops and 4 ergonomic chairs", catalog=office)) == {"LAP-14": 25,
                                                                                       "CHAIR-ERGO": 4}


def _check(scored, text):
    shown = 0
    for r in scored.reasons:
        m = re.match(r"^([+-]\d+) ", r)
        if m:
            shown += int(m.group(1))
        for quote in re.findall(r"'(.*?)'(?=, '|, [A-Z]|$)", r):
            assert quote in " ".join(text.split()), (quote, r)
    assert shown == scored.score, scored.reasons


def test_reasons_quote_the_text_and_add_up_to_the_score(cat):
    apps = [json.loads(line) for line in (SAMPLES / "applications.jsonl").open() if line.strip()]
    for a in apps:
        scored = score_application(a["text"], name=a["name"], email=a["email"], phone=a["phone"], catalog=cat,
                                   weights={})
        _check(scored, a["text"])
    text = "Urgent: 40 x BAG-BALL10 and 3 Pro Match Ball for our club, in navy, asap, budget 900 EUR"
    scored = score_application(text, name="a", email="b@example.com", catalog=cat, weights={})
    _check(scored, text)
    assert "+18 BAG-BALL10 x40, BALL-PRO5 x3: '40 x BAG-BALL10', '3 Pro Match Ball'" in scored.reasons
    assert any(r.startswith("+2 contact: name and e-mail") for r in scored.reasons)
    assert any(r.startswith("+5 organisation: 'club'") for r in scored.reasons)


def test_aliases_name_a_product_in_another_language():
    c = Catalog.from_products([("LAP-14", "Business Laptop 14 inch", "laptops", "portátil; ordenador portátil")])
    assert products_named("necesitamos 12 portátiles", catalog=c) == [("LAP-14", 12)]


@pytest.mark.parametrize("text", [
    "we need a laptop for 2 years",              # a duration
    "laptops at 899 EUR each?",                  # a price
    "laptops delivered by 12 March",             # a date
    "laptops, call me on 0161 496 0000",         # a phone number
    "laptops for the 2027 budget",               # a year
    "A4 paper, 500 sheets",                      # a size and the name's own number
    "monitor of 24 inch",                        # a size after the product
])
def test_numbers_that_count_nothing(text, office):
    assert all(q is None for _, q in products_named(text, catalog=office)), products_named(text, catalog=office)
    assert not any(re.search(r" x\d+|quantity", r) for r in score_application(text, catalog=office,
                                                                               weights={}).reasons)


def test_the_quantity_quotes_the_number_and_the_product(office):
    # +18 once for both: each product keeps its own number, quoted with its words (the chair, all of its
    # name's words written, is the stronger match and comes first)
    r = score_application("25 laptops and 4 ergonomic chairs", catalog=office, weights={}).reasons
    assert "+18 CHAIR-ERGO x4, LAP-14 x25: '4 ergonomic chairs', '25 laptops'" in r
    r = score_application("6 pairs of safety gloves", catalog=Catalog.from_products(
        [("GLV-CUT5", "Safety Gloves cut level 5", "safety")]), weights={}).reasons
    assert "+18 GLV-CUT5 x6: '6 pairs of safety gloves'" in r


def _quotes(reason: str) -> list[str]:
    """The quoted words of a reason: "+18 label: 'a', 'b'" -> ["a", "b"]."""
    at = reason.find(": '")
    if at < 0 or not reason.endswith("'"):
        return []
    return reason[at + 3:-1].split("', '")


# ---- property: over random texts made of catalog words, numbers, units and noise, every quoted word is in
# the text and the points shown add up to the score

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

_PIECES = ["40 x", "x3", "3", "25", "1,800 EUR", "before 5 December", "by Friday", "urgent", "PO-4471",
           "pay on invoice", "delivered to Leeds", "4 pairs", "34 inch", "per m2", "size 5", "12x6", "2026",
           "+44 7700 900123", "our club", "wholesale", "navy", "¿cuánto?", "Größe", "prices??", "and", ",", "."]


def _catalog_words():
    rows = list(csv.DictReader((SAMPLES / "catalog.csv").open(encoding="utf-8")))
    words = [w for r in rows for w in r["name"].split()] + [r["sku"] for r in rows]
    return rows, words + [sku for sku, *_ in OFFICE] + [w for _, name, _ in OFFICE for w in name.split()]


_ROWS, _WORDS = _catalog_words()
_MIXED = Catalog.from_products([(r["sku"], r["name"], r["category"]) for r in _ROWS] + OFFICE)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.sampled_from(_WORDS),
                          st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)),
                max_size=14),
       st.booleans())
def test_reasons_always_match_the_text(parts, contact):
    text = " ".join(parts)
    scored = score_application(text, catalog=_MIXED, weights={}, name="a" if contact else "",
                               email="b@example.com")
    flat = " ".join(text.split())
    shown = 0
    for r in scored.reasons:
        m = re.match(r"^([+-]\d+) ", r)
        if m:
            shown += int(m.group(1))
        for q in _quotes(r):
            assert q and q in flat, (q, r, text)
    assert shown == scored.score, (scored.reasons, text)
    assert 0 <= scored.score <= 100


@pytest.mark.parametrize("text", [
    "Need 20 balls. Regards, Max Müller +49 170 1234567",   # a name, then a phone number
    "need 20 balls thanks max 0612345678",
    "Thanks Max Costa7646",                                 # a name with a number glued to it
    "up to 20 balls for the club",                          # a quantity, not money
    "hasta 30 balones",
])
def test_no_budget_without_money_after_a_word_that_is_only_sometimes_one(text, cat):
    reasons = score_application(text, catalog=cat, weights={}).reasons
    assert not any("budget" in r or "amount" in r for r in reasons), reasons


@pytest.mark.parametrize("text, budget", [
    ("up to 20 balls, budget max 500 eur", "+14 budget 500 EUR: 'budget max 500 eur'"),  # the money, not the 20
    ("hasta 500 euros en balones", "+14 budget 500 EUR: 'hasta 500 euros'"),           # the whole word quoted
    ("max 3k for the kit", "+14 budget 3k: 'max 3k'"),
    ("budget 2000 for 30 balls", "+14 budget 2000: 'budget 2000'"),                    # budget says it alone
    ("max budget 2000 for 30 balls", "+14 budget 2000: 'budget 2000'"),                # read on after "max"
])
def test_a_budget_quotes_the_money(text, budget, cat):
    assert budget in score_application(text, catalog=cat, weights={}).reasons
