"""The named steps score_application is composed of, one rule each."""
from __future__ import annotations

import csv
from pathlib import Path

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
    assert scoring._contact_signal("Ola", "o@example.com", "+4791234567", W)[:3] == (W["contact_complete"],
                                                                                     "complete contact", False)
    # issue 14: every point is explained, so the partial contact is shown too
    assert scoring._contact_signal("Ola", " ", "+4791234567", W)[:3] == (W["contact_partial"],
                                                                         "contact: name and phone", False)
    assert scoring._contact_signal("Ola", "", "", W).points == 0
    assert scoring._known_client_signal(True, W)[:3] == (W["known_client"], "known client", False)


def test_products_take_the_nearest_quantity_and_remember_the_sku(cat):
    folded = scoring._fold("We need 20 BALL-FUT and 3 ball bags")
    tokens = scoring._canonical_words(folded, cat)
    qtys = scoring._quantities(scoring._masked(folded, cat), cat)
    products = scoring._find_products(folded, tokens, qtys, cat)
    assert products.named[0] == ("BALL-FUT", 20) and products.first_by_sku
    signals = scoring._product_signals(products, tokens, W)
    assert signals[0].substantive and signals[0].reason == "names BALL-FUT"
    assert sum(x.points for x in signals) == W["product"] + W["more_products"] * (len(products.named) - 1) + W["sku"]


def test_a_kind_of_product_comes_from_the_catalog(cat):
    # without a catalog no word is a product (nothing in the code names a product of one trade)
    tokens = scoring._canonical_words(scoring._fold("do you sell gloves?"), None)
    products = scoring._find_products("do you sell gloves?", tokens, [], None)
    assert products.named == () and products.kinds == frozenset()
    assert scoring._product_signals(products, tokens, W) == ()
    # with one, a category word the text names is a kind asked about ("goals" of the category "goals")
    folded = scoring._fold("what goals do you have?")
    tokens = scoring._canonical_words(folded, cat)
    products = scoring._find_products(folded, tokens, [], cat)
    assert products.named == () and products.kinds == {"goal"}
    assert [x[:3] for x in scoring._product_signals(products, tokens, W)] == [(W["product_kind"], "asks about goal",
                                                                                True)]


def test_urgency_is_shown_only_without_a_date():
    dated = scoring._date_signal("urgent, by 5 december", W)
    assert dated.reason == "deadline 5 Dec"
    # issue 14: its points are always shown, quoting the word used
    assert scoring._urgency_signal("urgent, by 5 december", dated, W)[:3] == (W["urgency"], "urgent", True)
    assert scoring._urgency_signal("urgent", scoring._date_signal("urgent", W), W).reason == "urgent"


def test_spec_is_substantive_only_about_a_product():
    none = scoring._Products((), frozenset(), False)
    balls = scoring._Products((), frozenset({"ball"}), False)
    assert scoring._spec_signal("in navy", none, W)[:3] == (W["spec"], "specification", False)
    assert scoring._spec_signal("in navy", balls, W).substantive


def test_trade_buyer_and_organisation():
    assert scoring._business_signal("we are a distributor", W).reason == "trade buyer (distributor)"
    assert scoring._business_signal("our club", W)[:3] == (W["business"], "organisation", False)


def test_vague_keeps_at_most_the_cap_and_assemble_clamps():
    contact = scoring._Signal(50, "complete contact")
    known = scoring._known_client_signal(True, W)
    vague = scoring._vague("hi", contact, known, W)
    assert (vague.score, vague.reasons) == (W["vague_cap"], [
        "vague request", f"+{W['vague_cap']} complete contact (capped: nothing specific)",
        "+0 known client (capped: nothing specific)"])
    big = scoring._assemble((scoring._Signal(80, "a", True), scoring._Signal(70, None, True), contact))
    assert big.score == 100 and big.level == 3
    assert big.reasons == ["+80 a", "+50 complete contact", "+70 other signals", "-100 kept within 0..100"]


def test_reasons_come_in_the_order_of_the_steps(cat):
    text = ("We need 40 Pro Match Ball size 5 delivered to Valencia before 5 December. Budget 1,800 EUR. "
            "Pay on invoice, PO-4471")
    scored = score_application(text, catalog=cat, weights={}, name="a", email="b@example.com", phone="123456789",
                               known_client=True)
    labels = [r.split(": '")[0].split(" ", 1)[1] for r in scored.reasons]
    assert labels == ["names BALL-PRO5", "BALL-PRO5 x40", "deadline 5 Dec", "budget 1,800 EUR",
                      "delivery to Valencia", "payment: pay on invoice", "ref PO-4471", "specification",
                      "complete contact", "known client", "kept within 0..100"]


def test_the_weekday_reason_names_the_day_written_first():
    from models.scoring import score_application

    for text, day in (("10 balls on monday or friday", "Monday"), ("10 balls on friday or monday", "Friday")):
        reasons = score_application(text).reasons
        assert any(r.startswith(f"+{W['date']} date: {day}:") for r in reasons), reasons


# ---------------------------------------------------------------- the patterns' literal guards (issue 13)

from hypothesis import given, settings as hsettings, strategies as st  # noqa: E402

_FRAGMENTS = ["seo", "followers", "https://x.example", "www.", "urgent", "asap", "sofort", "wholesale", "reseller",
              "distributor", "club", "gmbh", "inc", "budget", "up to", "max", "eur", "€", "$", "usd", "tl", "try",
              "size", "no", "#", "nr", "po", "ref", "order", "rfq", "2026", "1999", "20", "12:30", "9h30", "3x4",
              "12 x 6", "24-port", "5.3", "1/2", "2026-03-01", "10", "500", "+44 20 7946 0991", "a", "the", "de",
              ":", "-", ".", "/", "x", "h", "k", "m", "ball", "need", "1,800"]
text_st = st.lists(st.sampled_from(_FRAGMENTS) | st.text("abcehkmnoprstux0123456789 .,:/-#$€x", max_size=6),
                   max_size=14).map(" ".join)


@hsettings(max_examples=600, deadline=None)
@given(text=text_st)
def test_a_pattern_is_skipped_only_where_it_cannot_match(text):
    """Every pattern the scoring skips on a text without its literals (scoring._has) really has no match
    there: the guards change how fast the scoring is, never what it finds."""
    guards = [(scoring._SPAM, scoring._SPAM_MARKS), (scoring._URGENT_RE, scoring._URGENT_MARKS),
              (scoring._TRADE, scoring._TRADE_MARKS), (scoring._BUSINESS, scoring._BUSINESS_MARKS),
              (scoring._BUDGET_WORD, scoring._BUDGET_MARKS), (scoring._MONEY, scoring._CURRENCY_MARKS),
              (scoring._SIZE_NO_RE, scoring._SIZE_MARKS), (scoring._REFNUM_RE, scoring._REF_MARKS),
              (scoring._TIMES_RE, (":", "h")), (scoring._DIMENSION, ("x", "×")), (scoring._YEAR_RE, ("19", "20")),
              (scoring._NUM_DATE, (".", "/", "-")), (scoring._NUM_WORD_RE, ("-",)),
              (scoring._REF, scoring._REF_WORDS), (scoring._SKU_SHAPE, ("-",))]
    for pattern, marks in guards:
        assert not pattern.search(text) or scoring._has(text, marks), (pattern.pattern[:60], text)
    # a phone is blanked only with 7 digits or more
    for m in scoring._PHONE_LIKE.finditer(text):
        if sum(ch.isdigit() for ch in m.group()) >= 7:
            assert sum(map(text.count, "0123456789")) >= 7


def test_the_guards_find_the_literals_of_each_pattern():
    # a guard that never lets its pattern run would make the property above hold trivially
    for text, marks in [("please send it asap", scoring._URGENT_MARKS), ("we are a reseller", scoring._TRADE_MARKS),
                        ("budget 500 eur", scoring._BUDGET_MARKS), ("500 eur", scoring._CURRENCY_MARKS),
                        ("size 5", scoring._SIZE_MARKS), ("po 4711", scoring._REF_MARKS),
                        ("buy followers", scoring._SPAM_MARKS), ("our club", scoring._BUSINESS_MARKS)]:
        assert scoring._has(text, marks), text
    assert scoring._budget("budget 1,800 eur") == "budget 1,800 EUR"
    assert scoring._budget("about 1,800 eur") == "amount 1,800 EUR"


# ---------------------------------------------------------------- the word patterns' run keys (issue 13)

def _run_guards():
    s = scoring
    return [(s._DAY_MONTH, s._MONTH_KEYS, lambda m: m.group(2) in s.MONTHS),
            (s._MONTH_DAY, s._MONTH_KEYS, lambda m: m.group(1) in s.MONTHS),
            (s._MONTH_WORD, s._MONTH_KEYS, None), (s._RELATIVE_DATE_RE, s._RELATIVE_KEYS, None),
            (s._WEEKDAY_RE, s._WEEKDAY_KEYS, None), (s._URGENT_RE, s._URGENT_KEYS, None),
            (s._BUSINESS, s._BUSINESS_KEYS, None), (s._TRADE, s._TRADE_KEYS, None),
            (s._PAYMENT, s._PAYMENT_KEYS, None), (s._ADDRESS, s._ADDRESS_KEYS, None),
            (s._SIZE_NO_RE, s._SIZE_KEYS | {"#"}, None)]


def _check_runs(text: str) -> None:
    folded = scoring._fold(text)
    runs = scoring._runs(folded)
    for pattern, keys, counts in _run_guards():
        if any(counts is None or counts(m) for m in pattern.finditer(folded)):
            assert not runs.isdisjoint(keys) or ("#" in keys and "#" in folded), (pattern.pattern[:60], text)
    if scoring._PER_RE.search(folded):
        assert scoring._may(runs, scoring._PER_KEYS) and scoring._may(runs, scoring._PER_UNIT_KEYS), text
    if scoring._SPEC.search(folded):
        assert scoring._may(runs, scoring._SPEC_KEYS) or "×" in folded, text


_WORDS = sorted({*scoring.MONTHS, *scoring.WEEKDAYS, *scoring.RELATIVE_DATES, *scoring.URGENT,
                 *scoring._BUSINESS_MARKS, *scoring._TRADE_KEYS, "trade price", "al por mayor", "pay by card",
                 "payment on invoice", "on invoice", "invoice to", "net 30", "within 14 days", "30 days net",
                 "in 3 installments", "instalment", "purchase order", "a plazos", "en cuotas", "pago con tarjeta",
                 "transferencia", "factura a", "ratenzahlung", "auf rechnung", "per karte", "uberweisung",
                 "same address", "on site", "site survey", "lieferadresse", "size 5", "#4", "nr 3", "no 7",
                 "navy", "colours", "12x6 m", "12 × 6 cm", "3rd", "per m2", "por hora", "a day", "al m²", "pro unit", "of", "de", "5th", "'s", "s"})


@hsettings(max_examples=800, deadline=None)
@given(text=st.lists(st.sampled_from(_WORDS) | st.sampled_from(["12", "3", "31", " ", "-", ".", "x", "ø", "é",
                                                                "Ä", "2026", "eur5", "junieur5"]),
                     max_size=10).map(" ".join))
def test_a_word_pattern_is_skipped_only_where_none_of_its_words_is_written(text):
    """The scoring skips a word pattern when the text's runs of letters hold none of its keys
    (scoring._runs, scoring._may): that changes how fast it is, never what it finds."""
    _check_runs(text)


def test_the_run_keys_hold_for_every_word_of_the_lists_and_the_labelled_texts():
    import json

    for word in _WORDS:
        for text in (word, f"12 {word}", f"{word} 12", f"by {word}", f"ab{word}", f"{word}s", f"x {word}."):
            _check_runs(text)
    for folder in ("football", "industrial", "office", "samples"):
        for line in (Path(__file__).parent / "data" / folder / "applications.jsonl").open(encoding="utf-8"):
            if line.strip():
                _check_runs(json.loads(line)["text"])


def test_an_amount_blanked_inside_a_word_still_lets_the_dates_be_blanked():
    # "junieur5": blanking "eur5" leaves "juni", a month the runs read before did not have
    cat = Catalog.from_products([("BALL-5", "Match Ball", "balls")])
    assert scoring._masked("am 5 junieur5 bitte", cat, scoring._runs("am 5 junieur5 bitte")) == \
        scoring._masked("am 5 junieur5 bitte", cat)
    assert "5 juni" not in scoring._masked("am 5 junieur5 bitte", cat, scoring._runs("am 5 junieur5 bitte"))


def test_folding_removes_every_combining_mark_and_keeps_every_other_character():
    """_fold deletes combining marks through a remembered translate table; for every code point (and a
    few words) it gives what NFKD with the marks dropped gives: "é" -> "e", "ß" -> "ss", "ﬁ" -> "fi",
    Greek and CJK kept."""
    import unicodedata

    def by_definition(text: str) -> str:
        if text.isascii():
            return text.lower()
        text = text.replace("ß", "ss").replace("ẞ", "ss")
        return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)).lower()

    wrong = [hex(c) for c in range(0x110000) if scoring._fold(chr(c)) != by_definition(chr(c))]
    assert wrong == []
    for word in ("Portería", "GROSSE Bälle", "ﬁnale", "μπάλες", "Ñandú", "İstanbul", "a\u0301\u0308b", "球门"):
        assert scoring._fold(word) == by_definition(word), word
    assert scoring._fold("Porterías Straße") == "porterias strasse"


_DATE_BITS = ["5", "12", "31", "123", "1st", "2nd", "3rd", "4th", "7.", "de", "of", "may", "mayo", "mar", "march",
              "marzo", "dec", "decx", "sept", "september", "apples", "balls", "juin", "junio", "okt", "x", "-"]


@hsettings(max_examples=800, deadline=None)
@given(words=st.lists(st.sampled_from(_DATE_BITS) | st.text("abcdeijmnorstuy0123456789 .", max_size=7),
                      max_size=12), seps=st.sampled_from([" ", "  ", "\n", "", " de "]))
def test_the_month_patterns_find_what_any_word_with_the_month_checked_finds(words, seps):
    """_DAY_MONTH and _MONTH_DAY hold the month words themselves; they blank and find exactly what a pattern
    of any word [a-z]{3,10}, with the month checked after, blanks and finds."""
    import re

    any_day_month = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th|\.)?\s+(?:de\s+|of\s+)?([a-z]{3,10})\b")
    any_month_day = re.compile(r"\b([a-z]{3,10})\s+(\d{1,2})(?:st|nd|rd|th)?\b")
    text = seps.join(words)

    def blank(m):
        return " " * (m.end() - m.start())

    for ours, general, g in ((scoring._DAY_MONTH, any_day_month, 2), (scoring._MONTH_DAY, any_month_day, 1)):
        assert ours.sub(blank, text) == general.sub(
            lambda m: blank(m) if m.group(g) in scoring.MONTHS else m.group(), text)
        assert [m.span() for m in ours.finditer(text)] == \
            [m.span() for m in general.finditer(text) if m.group(g) in scoring.MONTHS]
    # _MONTH_WORD looks ahead for 3 to 10 letters: every month word has that shape
    assert all(re.fullmatch(r"[a-z]{3,10}", m) for m in scoring.MONTHS)
    plain = re.compile(r"\b(" + "|".join(sorted(scoring.MONTHS, key=len, reverse=True)) + r")\b")
    assert [m.span() for m in scoring._MONTH_WORD.finditer(text)] == [m.span() for m in plain.finditer(text)]


@hsettings(max_examples=500, deadline=None)
@given(text=st.lists(st.sampled_from(["5", "34", "1.5", "2,5", "a4", "x12", "inch", "ppm", "m2", "kg", "mm", "cm",
                                      "٣", "é", "_", "-", "balls"]) | st.text("ab1 _.,-", max_size=5), max_size=10)
       .map(" ".join) | st.text(max_size=30))
def test_the_measure_pattern_is_the_word_boundary_one(text):
    """_MEASURE_RE starts with a digit that has no word character before it (so the search starts in C):
    it finds and blanks what the plain pattern, \\b then the digits, finds and blanks."""
    import re

    plain = re.compile(r"\b\d+(?:[.,]\d+)?\s*(?:" + scoring._MEASURE + r")(?![a-z0-9])")
    assert [m.span() for m in scoring._MEASURE_RE.finditer(text)] == [m.span() for m in plain.finditer(text)]
    # and the phone check counts the digits as the translate table did
    assert sum(map(text.count, "0123456789")) == len(text) - len(text.translate(str.maketrans("", "", "0123456789")))


_PLACE_BITS = ["Deliver", "DELIVERY", "delivered", "ship", "Shipping", "ſhip", "send", "INSTALL", "bring", "to", "at",
               "in", "into", "the", "our", "Madrid", "Lima", "São Paulo", "entregar", "Envíen", "ENVÍO", "enviar",
               "en", "a", "Lieferung", "nach", "Versand", "geliefert", "İnstall", "ınstall", "Kelvin", "x", "2"]


@hsettings(max_examples=600, deadline=None)
@given(words=st.lists(st.sampled_from(_PLACE_BITS) | st.text("aehilnprstvyDSÍíſİı ", max_size=6), max_size=10))
def test_the_place_pattern_is_skipped_only_where_it_cannot_match(words):
    """_PLACE reads the raw text ignoring case; it is skipped on a text that folds to ASCII without one of
    its verbs' letters, and then it has no match."""
    raw = " ".join(words)
    folded = scoring._fold(raw)
    assert not scoring._PLACE.search(raw) or not folded.isascii() or scoring._has(folded, scoring._PLACE_MARKS)


def test_every_letter_that_matches_an_ascii_letter_ignoring_case_folds_to_it_or_out_of_ascii():
    """What the place guard leans on, over every code point."""
    import re

    letter = re.compile("(?i)[a-z]")
    for code in range(128, 0x110000):
        c = chr(code)
        if 0xD800 <= code < 0xE000 or not letter.match(c):
            continue
        f = scoring._fold(c)
        assert not f.isascii() or re.fullmatch(f"(?i){re.escape(f)}", c), (hex(code), f)
