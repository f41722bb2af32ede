"""Specificity ranking: how concrete is an incoming application?

The score (0-100) is a sum of explainable signals, each with a weight from configuration (`DEFAULT_WEIGHTS`,
overridden by the `scoring.weights` setting). Every reason the inbox shows starts with its points and
quotes the words of the text it came from ("+18 BAG-BALL10 x40: '40 x BAG-BALL10'"), so the points shown
add up to the score and each can be checked against the text. Rules, in the order they are applied:

1. Spam (SEO offers, links, followers ...) scores 0: "looks like spam".
2. Products, from the catalog only (names, SKUs, categories and aliases; nothing here names a product of
   any trade): SKUs in any case with or without the hyphen; names matched on their words, with
   inflections in EN/ES/DE/PT/FR/IT through simplemma's dictionaries, compounds by their catalog part,
   typos by similarity. A concrete product counts most; only a kind (a category word) counts less.
3. Quantities bound to what they count: a number right before a product's words or a unit ("40 x
   BAG-BALL10", "3 Pro Match Ball", "4 pairs"), or after it with an 'x'. Numbers of a product's name or a
   specification ("34 inch", "40 ppm", "A4", "Wi-Fi 6", "12x6", "50 pack"), phone numbers, years, prices,
   dates and durations are not quantities. Each product keeps its own.
4. Dates and deadlines (day + month, weekdays, "end of January", "next week"), urgency words.
5. Budgets and amounts with a currency.
6. Delivery places, payment terms, order or tender references, specifications (sizes, colours, a number
   of the named product's name such as "200 A"), a trade buyer or an organisation.
7. Contact details (name, e-mail and phone all given, or two of them) and a known client.

An application with none of the substantive signals (2-6) is vague: it keeps at most a few points for its
contact details, however long it is. Length is never counted.

Speed (issue 13's intake budget): a Catalog is prepared once per catalog version (load_catalog); each
distinct word of the texts is snapped to its vocabulary once and remembered; simplemma is imported on
first use only, never on the TUI's start-up path.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, NamedTuple

from . import settings

DEFAULT_WEIGHTS: dict[str, int] = {
    "product": 25,          # a concrete catalog product is named
    "more_products": 8,     # each further product (up to two)
    "sku": 6,               # named by its SKU
    "product_kind": 10,     # only a kind of product ("gloves", "goals", "scoreboard")
    "quantity": 18,
    "date": 10,
    "urgency": 5,
    "budget": 14,
    "place": 8,
    "payment_terms": 8,
    "order_ref": 10,
    "spec": 5,
    "business": 5,
    "contact_complete": 6,
    "contact_partial": 2,
    "known_client": 8,
    "vague_cap": 4,         # the most a vague application can score
}


def _check_weights(value) -> None:
    from .errors import ValidationError

    for name, weight in value.items():
        if name not in DEFAULT_WEIGHTS:
            raise ValidationError(f"scoring.weights knows {', '.join(DEFAULT_WEIGHTS)}; not {name!r}.",
                                  field="value")
        settings.whole(f"scoring.weights[{name}]", weight, -1000, 1000)


settings.declare("scoring.weights", {}, check=_check_weights,
                 doc="Scoring weight overrides (see models.scoring.DEFAULT_WEIGHTS).")

# ---------------------------------------------------------------- vocabulary
#
# Nothing below names a product of any trade: product words come from the catalog (names, SKUs,
# categories and aliases, see Catalog). What is here is language: the words every trade shares
# (units a quantity counts in, months, weekdays, small number words, cue words) in English, Spanish,
# German, Portuguese, French and Italian. Inflections are matched through simplemma's dictionaries.

LEMMA_LANGS = ("en", "es", "de", "pt", "fr", "it")

# Words inside catalog names that do not identify a product on their own (and the languages' small words).
GENERIC = {"size", "set", "sets", "of", "pack", "per", "holds", "one", "and", "the", "a", "an", "for", "with",
           "new", "in", "on", "to", "or", "x", "pro", "plus", "premium", "basic", "standard", "classic", "deluxe",
           "de", "del", "la", "el", "los", "las", "y", "o", "con", "para", "por", "en", "un", "una",
           "und", "mit", "fur", "der", "die", "das", "von", "zu", "im", "ein", "eine",
           "le", "les", "des", "du", "et", "pour", "avec", "au", "aux", "une",
           "di", "il", "lo", "gli", "e", "da", "per", "dei", "delle",
           "do", "da", "dos", "das", "com", "um", "uma", "no", "na"}
# Catalog categories too general to show interest in anything ("your products and services").
GENERIC_CATEGORIES = {"service", "servic", "accessory", "accessori", "product", "other", "misc", "general"}
# Units a quantity counts in: pieces, packaging, people or seats (never a product of one trade).
UNITS = {"item", "items", "pcs", "pc", "piece", "pieces", "unit", "units", "pair", "pairs", "set", "sets",
         "box", "boxes", "pack", "packs", "roll", "rolls", "carton", "cartons", "pallet", "pallets", "case",
         "cases", "dozen", "seat", "seats", "user", "users", "licence", "licences", "license", "licenses",
         "people", "person", "persons", "participant", "participants", "kid", "kids", "child", "children",
         "player", "players", "team", "teams", "m2", "sqm", "meter", "meters", "metre", "metres",
         "unidad", "unidades", "pieza", "piezas", "par", "pares", "caja", "cajas", "paquete", "paquetes",
         "juego", "juegos", "licencia", "licencias", "usuario", "usuarios", "personas", "ninos", "jugadores",
         "stuck", "stk", "paar", "satz", "karton", "kartons", "packung", "packungen", "einheit", "einheiten",
         "lizenz", "lizenzen", "nutzer", "benutzer", "personen", "kinder", "spieler",
         "unite", "unites", "piece", "pieces", "paire", "paires", "boite", "boites", "lot", "lots",
         "utilisateur", "utilisateurs", "personnes", "enfants", "joueurs",
         "pezzo", "pezzi", "unita", "paio", "paia", "scatola", "scatole", "confezione", "confezioni", "licenza",
         "licenze", "utenti", "persone", "bambini", "giocatori",
         "unidade", "peca", "pecas", "caixa", "caixas", "pacote", "pacotes", "licenca", "licencas", "usuarios",
         "pessoas", "criancas", "jogadores"}
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "hundred": 100, "dozen": 12, "couple": 2,
    "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
    "nueve": 9, "diez": 10, "doce": 12, "quince": 15, "veinte": 20, "treinta": 30, "cuarenta": 40,
    "cincuenta": 50, "cien": 100, "docena": 12,
    "ein": 1, "eine": 1, "einen": 1, "zwei": 2, "drei": 3, "vier": 4, "funf": 5, "sechs": 6, "sieben": 7,
    "acht": 8, "neun": 9, "zehn": 10, "zwolf": 12, "zwanzig": 20, "dreissig": 30, "vierzig": 40, "funfzig": 50,
    "hundert": 100, "dutzend": 12,
    "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9,
    "dix": 10, "douze": 12, "vingt": 20, "trente": 30, "cinquante": 50, "cent": 100, "douzaine": 12,
    "due": 2, "tre": 3, "quattro": 4, "sei": 6, "sette": 7, "otto": 8, "nove": 9, "dieci": 10, "dodici": 12,
    "venti": 20, "trenta": 30, "cinquanta": 50, "cento": 100, "dozzina": 12,
    "um": 1, "uma": 1, "duas": 2, "quatro": 4, "sete": 7, "oito": 8, "dez": 10, "doze": 12, "vinte": 20,
    "trinta": 30, "cinquenta": 50, "cem": 100, "duzia": 12,
}
QUANTITY_CUES = {"need", "needs", "want", "wants", "order", "ordering", "buy", "require", "about", "around",
                 "approx", "approximately", "roughly", "some", "quote", "necesitamos", "necesito", "queremos",
                 "quiero", "unos", "unas", "aproximadamente", "brauchen", "brauche", "benotigen", "bestellen",
                 "etwa", "ca", "rund", "circa", "for", "besoin", "voudrions", "voudrais", "environ", "commander",
                 "servono", "vorremmo", "circa", "ordinare", "precisamos", "queremos", "cerca", "encomendar"}
MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
    "nov": 11, "dec": 12,
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
    "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
    "januar": 1, "februar": 2, "marz": 3, "mai": 5, "juni": 6, "juli": 7, "oktober": 10, "dezember": 12,
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "juin": 6, "juillet": 7, "aout": 8, "septembre": 9,
    "octobre": 10, "novembre": 11, "decembre": 12,
    "gennaio": 1, "febbraio": 2, "aprile": 4, "maggio": 5, "giugno": 6, "luglio": 7, "settembre": 9,
    "ottobre": 10, "dicembre": 12,
    "janeiro": 1, "fevereiro": 2, "marco": 3, "maio": 5, "junho": 6, "julho": 7, "setembro": 9, "outubro": 10,
    "novembro": 11, "dezembro": 12,
}
MONTH_ABBR = ["", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
            "lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo",
            "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag",
            "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
            "lunedi", "martedi", "mercoledi", "giovedi", "venerdi", "sabato",
            "segunda-feira", "terca-feira", "quarta-feira", "quinta-feira", "sexta-feira"}
RELATIVE_DATES = ["today", "tomorrow", "tonight", "this week", "next week", "this month", "next month",
                  "this weekend", "end of the month", "hoy", "manana", "esta semana", "la proxima semana",
                  "proxima semana", "el proximo mes", "heute", "morgen", "diese woche", "nachste woche",
                  "nachsten monat", "ende des monats", "aujourd'hui", "demain", "cette semaine",
                  "la semaine prochaine", "le mois prochain", "oggi", "domani", "questa settimana",
                  "la prossima settimana", "il mese prossimo", "hoje", "amanha", "esta semana",
                  "proxima semana", "o proximo mes"]
URGENT = ["urgent", "urgently", "asap", "as soon as possible", "immediately", "right away", "urgente",
          "lo antes posible", "cuanto antes", "dringend", "sofort", "so schnell wie moglich",
          "au plus vite", "des que possible", "urgentemente", "il prima possibile", "o mais rapido possivel"]
CURRENCY = r"(?:euros?|eur|€|usd|us\$|\$|gbp|£|chf|sek|nok|dkk|pln|jpy|¥|mxn|brl|try|tl|ngn|₦|aud|cad)"

# The word lists above as patterns, compiled once (in the lists' own order).
_URGENT_RE = re.compile(r"\b(?:" + "|".join(re.escape(u) for u in URGENT) + r")\b")
_RELATIVE_DATE_RE = re.compile(r"\b(" + "|".join(re.escape(r) for r in sorted(set(RELATIVE_DATES), key=len,
                                                                               reverse=True)) + r")\b")
_WEEKDAY_RE = re.compile(r"\b(" + "|".join(sorted(WEEKDAYS, key=len, reverse=True)) + r")(?:'s|s)?\b")

_SPAM = re.compile(
    r"\b(seo|search results|first page of (?:google|search)|followers|likes for|click here|crypto|bitcoin|"
    r"casino|viagra|backlinks?|guest post|marketing services|web ?design services|loan offer|"
    r"increase your (?:sales|traffic)|rank(?:ing)? your website|unsubscribe)\b|https?://|www\.")

# Literals every match of a pattern contains: a text that has none of them cannot match, and the pattern is
# not run (a substring test costs tens of nanoseconds, a search of a short text one or two microseconds; the
# intake reads 100,000 texts). Each is a necessary condition only: where one is found, the pattern decides.
_SPAM_MARKS = ("seo", "search results", "first page of", "followers", "likes for", "click here", "crypto",
               "bitcoin", "casino", "viagra", "backlink", "guest post", "marketing services", "design services",
               "loan offer", "increase your", "your website", "unsubscribe", "http", "www.")
_URGENT_MARKS = tuple(u for u in URGENT if not any(v != u and v in u for v in URGENT))
_TRADE_MARKS = ("wholesale", "resell", "distribu", "retail", "bulk", "trade price", "trade terms", "mayorista",
                "al por mayor", "grosshandel", "handler", "wiederverkaufer", "haendler")
_BUSINESS_MARKS = ("club", "school", "academy", "league", "gmbh", "ltd", "inc", "escuela", "colegio", "verein",
                   "schule", "akademie", "municipal", "council", "federation", "federacion", "company", "empresa",
                   "firma")
_CURRENCY_MARKS = ("eur", "€", "usd", "$", "gbp", "£", "chf", "sek", "nok", "dkk", "pln", "jpy", "¥", "mxn", "brl",
                   "try", "tl", "ngn", "₦", "aud", "cad")
_PLACE_MARKS = ("deliver", "ship", "send", "install", "bring", "entrega", "envi", "liefer", "versand", "geliefert")
_BUDGET_MARKS = ("budget", "presupuesto", "etat", "max", "up to", "hasta", "bis zu", "spend")
_SIZE_MARKS = ("#", "size", "talla", "grosse", "taille", "taglia", "tamanho", "nr", "no", "number")
_REF_MARKS = ("po", "rfq", "ref", "order")


_LETTER_RUN = re.compile(r"[a-z]+")


def _runs(folded: str) -> frozenset:
    """The text's runs of letters a-z, each whole ("x" and "ball" of "12x6 ball"): read once per text, then a
    set look-up tells whether a word pattern can match at all (below)."""
    return frozenset(_LETTER_RUN.findall(folded))


def _key_runs(phrases) -> frozenset:
    """For patterns of the form \\b(?:phrase|phrase...)\\b over words a-z: the longest run of letters of each
    phrase. A match of a phrase holds that run whole (word boundaries on both sides, so it is a run of the
    text), so a text whose runs have none of these keys cannot match: the pattern is not run."""
    return frozenset(max(_LETTER_RUN.findall(p), key=len) for p in phrases)


# The keys of the word patterns, from the same lists (tests/test_scoring_steps.py checks on a large corpus
# that the pattern never matches a text whose runs lack every key).
_MONTH_KEYS = frozenset(MONTHS)
_WEEKDAY_KEYS = frozenset(w.split("-")[0] for w in WEEKDAYS) | frozenset(w + "s" for w in WEEKDAYS if "-" not in w)
_RELATIVE_KEYS = _key_runs(RELATIVE_DATES)
_URGENT_KEYS = _key_runs(URGENT)
_BUSINESS_KEYS = _key_runs(_BUSINESS_MARKS)
_TRADE_KEYS = frozenset({"wholesale", "reseller", "resell", "distributor", "retail", "retailer", "bulk", "trade",
                         "mayorista", "distribuidor", "mayor", "grosshandel", "handler", "wiederverkaufer",
                         "haendler"})
_PAYMENT_KEYS = frozenset({"pay", "paying", "payment", "invoice", "net", "within", "installment", "installments",
                           "instalment", "instalments", "purchase", "plazos", "cuotas", "tarjeta", "transferencia",
                           "factura", "ratenzahlung", "rechnung", "karte", "uberweisung"})
_SPEC_KEYS = frozenset({"size", "sizes", "talla", "tallas", "grosse", "grossen", "colour", "colours", "color",
                        "colors", "navy", "red", "blue", "black", "white", "green", "yellow", "azul", "rojo", "negro",
                        "blanco", "schwarz", "weiss", "blau", "rot", "x"})
_ADDRESS_KEYS = _key_runs(("same address", "our address", "usual address", "delivery address", "site survey",
                           "on site", "misma direccion", "nuestra direccion", "gleiche adresse", "lieferadresse"))
_PER_KEYS = frozenset({"per", "por", "pro", "par", "al", "a"})        # _PER_RE: "per m2", "por hora"...
_PER_UNIT_KEYS = frozenset({"m", "sqm", "unit", "hour", "day", "h"})  # ... and its unit ("m" of "m2")
_REF_WORDS = ("po", "rfq", "ref", "order", "tender", "bestell", "pedido", "licitacion", "ausschreibung")
_SIZE_KEYS = frozenset({"size", "sizes", "talla", "tallas", "grosse", "taille", "taglia", "tamanho", "nr", "no",
                        "number"})


def _may(runs: frozenset | None, keys: frozenset) -> bool:
    """Whether a pattern with these KEYS can match a text with these RUNS (None: not known, so it may)."""
    return runs is None or not runs.isdisjoint(keys)


def _has(text: str, marks: tuple[str, ...]) -> bool:
    """Whether TEXT contains one of MARKS (see above)."""
    for mark in marks:
        if mark in text:
            return True
    return False


_SKU_SHAPE = re.compile(r"\b[a-z]{2,}-[a-z0-9]+(?:-[a-z0-9]+)*\b")
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:[.,\s]\d{3})+|\d+)(?:[.,]\d+)?(?![\w])")
_DIMENSION = re.compile(r"\b\d+(?:[.,]\d+)?\s?[x×]\s?\d+(?:[.,]\d+)?\b")
_PHONE_LIKE = re.compile(r"\+?\d[\d\s()./-]{6,}\d")
_MULT = re.compile(r"(?:(?<=\s)|^)[x×]\s?(\d{1,5})\b|\b(\d{1,5})\s?[x×](?=\s|$)")
# a day and a month name, either way round: the month words in the pattern, so a word that is no month is
# passed over in C, not handed to a check in Python (each start has one reading, so the matches are the
# ones a pattern of any word [a-z]{3,10} would give with the month checked after); a look-ahead for the
# shape of what follows (every month word is 3 to 10 letters a-z) before the list of words is tried
_MONTH_ALT = "|".join(sorted((m for m in MONTHS if re.fullmatch(r"[a-z]{3,10}", m)), key=len, reverse=True))
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th|\.)?\s+(?:de\s+|of\s+)?(" + _MONTH_ALT + r")\b")
_MONTH_DAY = re.compile(r"\b(?=[a-z]{3,10}\s+\d)(" + _MONTH_ALT + r")\s+(\d{1,2})(?:st|nd|rd|th)?\b")
_MONTH_WORD = re.compile(r"\b(?=[a-z]{3,10}\b)(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b")
_MONTH_ONLY = re.compile(r"\b(?:end of|by|before|in|until|bis|bis zum|hasta|en|para|im|ende|anfang|mitte|"
                         r"early|mid|late|a finales de|principios de)\s+(?:de\s+)?([a-z]{3,10})\b")
_NUM_DATE = re.compile(r"\b(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?\b|\b(20\d\d)-(\d\d)-(\d\d)\b")
# a budget word, then (within 20 characters) an amount that starts a word ("max costa7646" holds none), a
# thousand (k) and the currency, each in its group
_BUDGET_WORD = re.compile(r"\b(budget|presupuesto|etat|max(?:imum)?|up to|hasta|bis zu|spend)\b[^\d]{0,20}"
                          r"(?<![a-z])(\d[\d.,\s]*\d|\d)\s*(k\b)?\s*(" + CURRENCY + r")?")
# words that say a budget only before an amount of money: "up to 20 balls" is a quantity, "max" a name
_MONEY_ONLY_CUES = frozenset({"max", "maximum", "up to", "hasta", "bis zu"})
_MONEY = re.compile(r"(?:" + CURRENCY + r"\s?(\d[\d.,]*\d|\d))|(?:(\d[\d.,]*\d|\d)\s?(k\b)?\s?" + CURRENCY + r"(?![a-z]))")
_PLACE = re.compile(
    r"\b(?i:deliver(?:ed|y|ing)?|ship(?:ped|ping)?|send(?:ing)?|install(?:ed|ation)?|bring)\b(?:\s+\w+){0,2}?"
    r"\s+(?:to|at|in|into)\s+(?:the\s+|our\s+)?([A-Z][\w'-]+(?:\s+(?:[A-Z][\w'-]+|de|del|am|an))*)"
    r"|\b(?i:entrega(?:do|r)?|env[ií]o|enviar|env[ií]en)\s+(?:a|en)\s+([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)*)"
    r"|\b(?i:lieferung|liefern|versand|geliefert)\s+(?:nach|an|in)\s+([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)*)")
_ADDRESS = re.compile(r"\b(same address|our address|usual address|delivery address|site survey|on site|"
                      r"misma direccion|nuestra direccion|gleiche adresse|lieferadresse)\b")
_PAYMENT = re.compile(
    r"\b(?:pay(?:ing|ment)?\s+(?:on|by|in|via|with)\s+(?:invoice|card|credit card|bank transfer|transfer|"
    r"installments?|instalments?|paypal)|on invoice|invoice to|net \d+|within \d+ days|\d+ days net|"
    r"(?:in\s+)?(?:two|three|four|\d)\s+(?:installments?|instalments?)|installments?|instalments?|purchase order|"
    r"a plazos|en cuotas|pago con tarjeta|transferencia|factura a|ratenzahlung|auf rechnung|per rechnung|"
    r"per karte|uberweisung)\b")
_REF = re.compile(r"\b(?:po|rfq|ref|order|tender|bestell|pedido)(?:\s*(?:no\.?|number|nr\.?|nummer|#))?\s*[-#:]?\s*"
                  r"([a-z]{0,4}-?\d{3,}[\w-]*)\b|\b(tender|rfq|licitacion|ausschreibung|purchase order)\b")
_SPEC = re.compile(r"\b(?:sizes?|talla|tallas|grosse|grossen|colou?rs?|navy|red|blue|black|white|green|yellow|"
                   r"azul|rojo|negro|blanco|schwarz|weiss|blau|rot)\b|\b\d+\s?(?:x|×)\s?\d+\s?(?:m|ft|cm)\b")
_TRADE = re.compile(r"\b(wholesale|reseller|resell|distributor|retail(?:er)?|bulk|trade price|trade terms|mayorista|"
                    r"distribuidor|al por mayor|grosshandel|handler|wiederverkaufer|haendler)\b")
_BUSINESS = re.compile(r"\b(club|school|academy|league|gmbh|ltd|inc|escuela|colegio|verein|schule|akademie|"
                       r"municipal|council|federation|federacion|company|empresa|firma)\b")
_VAGUE = re.compile(r"\b(how much|price|prices|pricing|cost|costs|price ?list|catalog(?:ue)?|brochure|info|"
                    r"information|details|precio|precios|cuanto|cuesta|preis|preise|preisliste|katalog|kosten)\b")


class _NoMarks(dict):
    """A str.translate table that deletes combining marks: each character looked up once, then remembered
    (in C, as a dict), so folding costs a table look-up a character instead of a call."""

    def __missing__(self, code: int):
        value = None if unicodedata.combining(chr(code)) else code
        if len(self) < 100000:  # bounded whatever characters the texts hold
            self[code] = value
        return value


_NO_MARKS = _NoMarks()


def _fold(text: str) -> str:
    """Lower-case, accents removed, ß -> ss: one form for matching in any language."""
    if text.isascii():
        return text.lower()
    text = text.replace("ß", "ss").replace("ẞ", "ss")
    return unicodedata.normalize("NFKD", text).translate(_NO_MARKS).lower()


def _stem(word: str) -> str:
    """A crude plural stripper that works well enough for EN/ES/DE product nouns."""
    w = word
    for suffix, keep in (("ies", "y"), ("ches", "ch"), ("shes", "sh"), ("sses", "ss"), ("xes", "x")):
        if w.endswith(suffix) and len(w) > len(suffix) + 2:
            return w[: -len(suffix)] + keep
    if len(w) > 4 and w.endswith("es") and w[-3] in "nrldz":  # balones, porterias->porteria handled below
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    if len(w) > 4 and w.endswith("en") and w[-3] in "lhnr":  # Handschuhen, Netzen ...
        return w[:-2]
    if len(w) > 4 and w.endswith("e") and w[-2] in "lr" and w not in ("ladder",):
        return w
    return w


_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_WORD_SPLIT = re.compile(r"[a-z0-9]+")



@lru_cache(maxsize=65536)  # a pure function of one token; intake calls it ~20 times per application
def _canon(token: str) -> str:
    """A token's canonical form, the same for a catalog's words and a text's: its plural stripped."""
    return _stem(token)


_lemmatizer = None


def _lemmatize():
    """simplemma's lemmatize, imported on first use only (never on the TUI's start-up path); None when the
    library is missing (then the stemmer alone matches inflections).

    With marisa-trie (a dependency) the dictionaries are simplemma's MARISA tries, built once per machine
    and language into the user cache folder and then opened in milliseconds: simplemma's own dict-backed
    dictionaries are decoded on every process start, a second per language (six seconds of every intake
    run) and some 100 MB each. Without it, or when the cache cannot be used, the plain dictionaries."""
    global _lemmatizer
    if _lemmatizer is None:
        try:
            import simplemma
        except ImportError:
            _lemmatizer = False
            return None
        _lemmatizer = _trie_lemmatizer() or simplemma.lemmatize
    return _lemmatizer or None


def _trie_lemmatizer():
    import logging
    import os
    import tempfile

    logging.getLogger("simplemma").addHandler(logging.NullHandler())  # its warnings never reach stderr
    try:
        from simplemma import Lemmatizer
        from simplemma.strategies import DefaultStrategy
        from simplemma.strategies.dictionaries.trie_dictionary_factory import TrieDictionaryFactory
    except ImportError:  # no marisa-trie, or a simplemma without tries
        return None

    class AtomicTries(TrieDictionaryFactory):
        """A trie is written to a temporary file and renamed into place: another process building the
        same language at the same moment never opens a half-written one."""

        def _write_trie_to_disk(self, lang, trie) -> None:
            self._cache_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self._cache_dir, prefix=f".{lang}.", suffix=".tmp")
            os.close(fd)
            try:
                trie.save(tmp)
                os.replace(tmp, self._cache_dir / f"{lang}.dic")
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)

    try:
        return Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=AtomicTries())).lemmatize
    except Exception:  # noqa: BLE001 - no cache folder, a library change: the plain dictionaries
        return None


@lru_cache(maxsize=262144)
def _lemmas(token: str) -> tuple[str, ...]:
    """The token's dictionary forms in EN/ES/DE/PT/FR/IT (simplemma), folded and stemmed, other than the
    token's own stem: "balones" -> ("balon",), "drucker" -> (), "stuhle" -> ("stuhl",)."""
    lemmatize = _lemmatize()
    if lemmatize is None:
        return ()
    own = _canon(token)
    out: list[str] = []
    for lang in LEMMA_LANGS:
        try:
            form = _canon(_fold(lemmatize(token, lang=lang)))
        except Exception:  # noqa: BLE001 - a library hiccup never stops scoring
            continue
        if form != own and form not in out and form:
            out.append(form)
    return tuple(out)


# ---------------------------------------------------------------- catalog

_SKU_GLUE = re.compile(r"[-\s]+")  # what a SKU's key leaves out: "BALL-PRO 5" and "ballpro5" are one key


@dataclass(frozen=True)
class _Product:
    sku: str
    name: str
    category: str
    words: frozenset          # canonical significant words of the name
    heads: frozenset          # the words naming what the product is (the name's last word, its category's)
    sku_key: str              # the SKU folded, without hyphens or spaces ("ballpro5")
    name_numbers: frozenset = frozenset()   # numbers that are part of the name ("50 pack", "Wi-Fi 6")
    small_words: frozenset = frozenset()    # the name's generic words ("Pro" of "Pro Match Ball"), quoted with it


def _words_of(text: str) -> list[str]:
    return _WORD.findall(_fold(text).replace("-", " "))


class Catalog:
    """The catalog prepared for matching: built once per catalog, reused for every application.

    Its vocabulary is every canonical word of the products' names, aliases and categories; a text's
    words are snapped to it once each (inflections through simplemma, German-style compounds by their
    last part, typos by similarity) and remembered, so scoring many texts costs a dictionary look-up per
    word."""

    def __init__(self, products: list[_Product]):
        self.products = products
        cat_words = {_canon(t) for p in products for t in _words_of(p.category)} - GENERIC - GENERIC_CATEGORIES
        self.vocab = frozenset(w for p in products for w in p.words) | frozenset(
            w for w in cat_words if not w.isdigit())
        self.category_words = frozenset(cat_words)
        self._fuzzy_cache: dict[str, str | None] = {}
        self._token_cache: dict[str, tuple[str, ...]] = {}
        self._prefixes = frozenset(w[:3] for w in self.vocab if len(w) >= 3)
        self._prefixes2 = frozenset(w[:2] for w in self.vocab if len(w) >= 2)
        self._suffixes: dict[str, list[str]] = {}
        for w in sorted(self.vocab, key=len, reverse=True):
            if len(w) >= 4:
                self._suffixes.setdefault(w[-4:], []).append(w)
        heads: dict[str, set] = {}
        owners: dict[str, set] = {}
        for p in products:
            for h in p.heads:
                heads.setdefault(h, set()).add(p.sku)
            for w in p.words:
                owners.setdefault(w, set()).add(p.sku)
        # a head naming one product only, and no other product's word ("Office" of one licence is not unique)
        self.unique_heads = frozenset(h for h in heads if len(owners.get(h, ())) == 1)
        # a long word of one product's names only ("futsal", "goalkeeper", "ultrawide"): names it alone
        self.distinctive = frozenset(w for w, n in owners.items() if len(n) == 1 and len(w) >= 5
                                     and w not in GENERIC_CATEGORIES and w.isalpha())
        self.kind_words = frozenset(heads) | self.category_words
        # "Wi-Fi 6", "Office 365": a word and the number after it in a name are the name, not a quantity
        self.name_pairs = frozenset((a, int(b)) for p in products
                                    for a, b in re.findall(r"([a-z]+)[\s-]+(\d+)", _fold(p.name)))
        self.name_pair_words = frozenset(a for a, _ in self.name_pairs)
        # a word of those pairs (a whole word, not the end of a longer one) and the number after it: where
        # _masked blanks a name's own number
        self.name_pair_re = re.compile(r"(?<![a-z])((?:" + "|".join(
            re.escape(a) for a in sorted(self.name_pair_words, key=len, reverse=True)) + r")[\s-]+)(\d+)") \
            if self.name_pair_words else None
        by_key: dict[str, _Product] = {}
        for p in products:
            by_key.setdefault(p.sku_key, p)
        self.by_sku_key = by_key
        # word -> the positions in PRODUCTS of the products whose name holds it: a text is compared with the
        # products it shares a word with, not with the whole catalog
        by_word: dict[str, list[int]] = {}
        for i, p in enumerate(products):
            for w in p.words:
                by_word.setdefault(w, []).append(i)
        self.by_word = by_word
        # every SKU in one pattern (any case, with or without its hyphens), longest first
        parts = sorted({p.sku for p in products}, key=len, reverse=True)
        alts = [r"[-\s]?".join(re.escape(x) for x in re.split(r"[-\s]+", _fold(s)) if x) for s in parts]
        self.sku_re = re.compile(r"(?<![a-z0-9])(?:" + "|".join(a for a in alts if a) + r")(?![a-z0-9])") \
            if alts else None

    @classmethod
    def from_products(cls, products: Iterable[tuple]) -> "Catalog":
        """(sku, name, category) or (sku, name, category, aliases): aliases are other names of the product
        (other languages, trade slang), separated by ';' or '|', matched like the name."""
        prepared = []
        for row in products:
            sku, name, category = row[0], row[1], row[2] or ""
            aliases = row[3] if len(row) > 3 and row[3] else ""
            prepared.append(cls._prepare(sku, name, category))
            for alias in re.split(r"[;|]", aliases):
                if alias.strip():
                    prepared.append(cls._prepare(sku, alias.strip(), category))
        return cls(prepared)

    @staticmethod
    def _prepare(sku: str, name: str, category: str) -> "_Product":
        raw_tokens = _words_of(name)
        tokens = [_canon(t) for t in raw_tokens]
        after_digit = {t for prev, t in zip(raw_tokens, tokens[1:]) if prev.isdigit()}  # "14 inch", "40 ppm"
        words = frozenset(t for t in tokens if t not in GENERIC and not t.isdigit() and t not in after_digit
                          and len(t) > 1) or frozenset(t for t in tokens if not t.isdigit())
        cat_words = {_canon(t) for t in _words_of(category)}
        significant = [t for t in tokens if t in words and t.isalpha() and t not in GENERIC_CATEGORIES] \
            or [t for t in tokens if t in words]
        # the name's last significant word (its head in EN/DE: "Ultrawide Monitor"), its first in ES/FR/IT/PT
        # ("Silla de oficina") when a small word follows it, and the words it shares with its category
        heads = set(significant[-1:]) | (words & cat_words)
        if len(raw_tokens) > 1 and raw_tokens[1] in GENERIC and tokens[0] in words:
            heads.add(tokens[0])
        sku_key = _SKU_GLUE.sub("", _fold(sku))
        numbers = frozenset(int(t) for t in raw_tokens if t.isdigit())
        small = frozenset(t for t in tokens if t in GENERIC and t.isalpha() and len(t) > 2)
        return _Product(sku, name, category, words, frozenset(heads), sku_key, numbers, small)

    def canon_token(self, tok: str) -> tuple[str, ...]:
        """The catalog words a text's token stands for (one, or the parts of a compound), else its own
        canonical form; remembered per catalog."""
        found = self._token_cache.get(tok)
        if found is None:
            found = self._canon_token(tok)
            if len(self._token_cache) > 500000:
                self._token_cache.clear()
            self._token_cache[tok] = found
        return found

    def _canon_token(self, tok: str) -> tuple[str, ...]:
        c = _canon(tok)
        if c in self.vocab or len(tok) < 4 or not tok.isalpha() or tok in GENERIC:
            return (c,)
        if tok[:3] in self._prefixes or c[:3] in self._prefixes:
            for lemma in _lemmas(tok):
                if lemma in self.vocab:
                    return (lemma,)
        if len(tok) >= 7:  # a compound ending in a catalog word: "laserdrucker", "torwarthandschuhe"
            for form in (c, *_lemmas(tok)):
                for w in self._suffixes.get(form[-4:], ()):
                    if form.endswith(w) and len(form) - len(w) >= 3:
                        head = _canon(form[: -len(w)].rstrip("s-"))
                        return (head, w) if head in self.vocab else (w,)
        if len(tok) >= 5:  # a catalog compound ending in the word: "drucker" of "Laserdrucker"
            for w in self._suffixes.get(c[-4:], ()):
                if w.endswith(c) and len(w) - len(c) >= 3:
                    return (w,)
        if len(tok) >= 5 and c[:2] in self._prefixes2:
            return (self._snap(c),)
        return (c,)

    def canon_spans(self, folded: str) -> list[tuple[int, int, str]]:
        """(start, end, canonical word) of each word of a text, inflections and typos snapped to the catalog."""
        out = []
        cache, canon = self._token_cache, self.canon_token
        for m in _WORD_SPLIT.finditer(folded):
            tok = m.group()
            parts = cache.get(tok) or canon(tok)
            if len(parts) == 1:
                out.append((m.start(), m.end(), parts[0]))
            else:
                a, b = m.span()
                out.extend((a, b, part) for part in parts)
        return out

    def canon_tokens(self, folded: str) -> list[str]:
        """Canonical words of a text, snapped to the catalog's vocabulary."""
        return [c for _, _, c in self.canon_spans(folded)]

    def _snap(self, word: str) -> str:
        if word in self._fuzzy_cache:
            return self._fuzzy_cache[word] or word
        from rapidfuzz import fuzz, process

        best = process.extractOne(word, self.vocab, scorer=fuzz.ratio, score_cutoff=84)
        self._fuzzy_cache[word] = best[0] if best else None
        return best[0] if best else word

    def sku_hits(self, folded: str) -> list[tuple[_Product, int, int]]:
        """(product, start, end) of every SKU written in the text, in order."""
        if self.sku_re is None:
            return []
        out = []
        for m in self.sku_re.finditer(folded):
            p = self.by_sku_key.get(_SKU_GLUE.sub("", m.group()))
            if p is not None:
                out.append((p, m.start(), m.end()))
        return out


_catalog_cache: tuple[object, Catalog] | None = None


def _catalog_version():
    """What changes whenever the active catalog does: the count and the sum of the products' versions and
    ids (an import bumps a product's version; a new product adds an id)."""
    from peewee import fn

    from .tables import Product

    row = (Product.select(fn.COUNT(Product.id), fn.SUM(Product.version), fn.SUM(Product.id), fn.MAX(Product.id))
           .where(Product.active == True).tuples().first())  # noqa: E712
    return tuple(row or ())


def load_catalog() -> Catalog:
    """The active catalog, prepared once per catalog version (names, categories and aliases)."""
    global _catalog_cache
    version = _catalog_version()
    if _catalog_cache is None or _catalog_cache[0] != version:
        from .tables import Product

        fields = [Product.sku, Product.name, Product.category]
        if "aliases" in Product._meta.fields:
            fields.append(Product.aliases)
        rows = Product.select(*fields).where(Product.active == True).tuples()  # noqa: E712
        _catalog_cache = (version, Catalog.from_products(list(rows)))
    return _catalog_cache[1]


def invalidate_catalog() -> None:
    global _catalog_cache
    _catalog_cache = None


def effective_weights(overrides: dict | None = None) -> dict:
    weights = dict(DEFAULT_WEIGHTS)
    if overrides is None:
        try:
            overrides = settings.get("scoring.weights") or {}
        except Exception:  # no database bound: defaults
            overrides = {}
    for k, v in (overrides or {}).items():
        if k in weights:
            try:
                weights[k] = int(v)
            except (TypeError, ValueError):
                pass
    return weights


# ---------------------------------------------------------------- scoring

@dataclass
class Scored:
    score: int
    reasons: list[str] = field(default_factory=list)
    level: int = 0


def _level(score: int) -> int:
    return 3 if score >= 55 else 2 if score >= 30 else 1 if score >= 8 else 0


def _number_value(tok: str) -> int | None:
    if tok in NUMBER_WORDS:
        return NUMBER_WORDS[tok]
    if tok.isdigit():
        return int(tok)
    return None


_MEASURE = (r"%|days?|weeks?|months?|years?|hours?|dias?|semanas?|meses|anos?|tage|wochen|monate|jahre|stunden|"
            r"jours?|mois|ans|giorni|mesi|anni|m2|m²|sqm|m|cm|mm|ft|kg|km|g|l|ml|lb|lbs|\"|''|inch|inches|in|zoll|"
            r"pulgadas?|pouces?|pollici|polegadas?|ppm|gb|tb|mb|ghz|mhz|hz|w|kw|kwh|v|mah|mp|dpi|fps|bit|nm|"
            r"mbps|gbps|rpm|bar|psi|nm|dm")
# "\b\d+" written as a digit with no word character before it: a pattern that starts with a digit is
# searched for its first character in C, one behind an assertion is tried at every position
_MEASURE_RE = re.compile(r"\d(?<!\w\d)\d*(?:[.,]\d+)?\s*(?:" + _MEASURE + r")(?![a-z0-9])")
_UNIT_AFTER = re.compile(r"\s*(?:" + _MEASURE + r")(?![a-z0-9])")  # "5.5 kW" is no date
_TIMES_RE = re.compile(r"\b\d{1,2}[:h]\d{2}\b")
_SIZE_NO_RE = re.compile(r"\b(?:size|sizes|talla|tallas|grosse|taille|taglia|tamanho|nr|no|number|#)\s*\d+"
                         r"(?:\s*(?:and|y|und|or|o|oder|et|e|ou|-|/)\s*\d+)*")
_YEAR_RE = re.compile(r"\b(?:19|20)\d{2}\b")
_REFNUM_RE = re.compile(r"\b(?:po|rfq|ref|order)(?:\s*(?:no\.?|nr\.?|number|#)|\s*-)?\s*:?\s*\d{3,}")
_NUM_WORD_RE = re.compile(r"\b\d+-[a-z]+\b")          # "24-port", "50-pack": part of a name or a spec
_PER_RE = re.compile(r"\b(?:per|por|pro|par|al|a)\s+(?:m2|m²|sqm|m|unit|hour|day|h)\b")


_HAS_DIGIT = re.compile(r"\d")


def _masked(folded: str, catalog: Catalog | None, runs: frozenset | None = None) -> str:
    """Blank out what holds digits but is not a quantity: SKUs, phones, dimensions, money, dates, refs, times,
    sizes and measures ("34 inch", "40 ppm", "per m2"), numbers glued to a word ("A4", "24-port")."""
    def blank(m):
        return " " * (m.end() - m.start())

    def item(m):
        return "item".ljust(m.end() - m.start())

    s = folded
    if catalog is not None and catalog.name_pair_re is not None and _may(runs, catalog.name_pair_words):
        s = catalog.name_pair_re.sub(lambda m: m.group(1) + " " * len(m.group(2))
                             if (m.group(1).split()[-1].split("-")[-1], int(m.group(2))) in catalog.name_pairs
                             else m.group(), s)
    if catalog is not None and catalog.sku_re is not None:
        s = catalog.sku_re.sub(item, s)
    if "-" in s:
        s = _SKU_SHAPE.sub(item, s)
    if not _HAS_DIGIT.search(s):
        return s  # nothing more to blank: every rule below needs a digit
    # each pattern runs only where the literals all its matches hold are in the text (see _has)
    # a phone is blanked only with 7 digits or more: a text with fewer ASCII digits has none (\d also
    # matches other scripts' digits, so a text that is not ASCII is always read)
    if not s.isascii() or sum(map(s.count, "0123456789")) >= 7:
        s = _PHONE_LIKE.sub(lambda m: blank(m) if sum(ch.isdigit() for ch in m.group()) >= 7 else m.group(), s)
    if ":" in s or "h" in s:
        s = _TIMES_RE.sub(blank, s)
    if "x" in s or "×" in s:
        s = _DIMENSION.sub(blank, s)
    if "#" in s or (_may(runs, _SIZE_KEYS) if runs is not None else _has(s, _SIZE_MARKS)):
        s = _SIZE_NO_RE.sub(blank, s)
    cut = False  # an amount blanked from inside a run of letters ("junieur5"): the runs read before may differ
    if _has(s, _CURRENCY_MARKS):
        before, s = s, _MONEY.sub(blank, s)
        cut = s != before
    if "19" in s or "20" in s:
        s = _YEAR_RE.sub(blank, s)
    if cut or (_may(runs, _PER_KEYS) and _may(runs, _PER_UNIT_KEYS)):
        s = _PER_RE.sub(blank, s)
    s = _MEASURE_RE.sub(blank, s)
    if cut or _may(runs, _MONTH_KEYS):
        s = _DAY_MONTH.sub(blank, s)
        s = _MONTH_DAY.sub(blank, s)
    if "." in s or "/" in s or "-" in s:
        s = _NUM_DATE.sub(blank, s)
    if _has(s, _REF_MARKS):
        s = _REFNUM_RE.sub(blank, s)
    if "-" in s:
        s = _NUM_WORD_RE.sub(blank, s)
    return s


class _Qty(NamedTuple):
    """A number in the text that may count something: where it is, its value, how it is bound."""
    pos: int
    value: int
    end: int
    bound: bool        # tied to a unit, a product word or 'x' (not only to a cue such as "need")
    word_before: str   # the word right before it ("fi" of "wi-fi 6")
    word_after: str    # the word right after it ("pack" of "50 pack")


_QTY_TOKEN = re.compile(r"\d+|[a-z][a-z0-9]*|[×]")
_FILLERS = {"x", "×", "of", "de", "del", "di", "du", "des", "da", "do", "von", "st", "stk", "new", "nuevos",
            "nuevas", "more", "mas", "extra", "additional", "the", "los", "las", "les", "die", "der"}


def _quantities(masked: str, catalog: Catalog | None) -> list[_Qty]:
    """Numbers that may be quantities: tied to a product word, a unit, 'x' or a cue ("need 30")."""
    tokens = _QTY_TOKEN.findall(masked)
    spans = None  # where each token is: read only for a text with a number in it
    found = []
    vocab = catalog.vocab if catalog else frozenset()
    canon = catalog.canon_token if catalog else (lambda t: (_canon(t),))
    words = NUMBER_WORDS
    for i, tok in enumerate(tokens):
        if tok.isdigit():  # (_number_value inlined: every token of every text passes here)
            value, is_word, mult = int(tok), False, False
        elif tok in words:
            value, is_word, mult = words[tok], True, False
        elif tok[0] == "x" and tok[1:].isdigit():                                 # "x40"
            value, is_word, mult = int(tok[1:]), False, True
        else:
            continue
        if value <= 0 or value > 100000:
            continue
        after_raw = tokens[i + 1:i + 5]
        after = [canon(t)[-1] for t in after_raw]
        before = tokens[max(0, i - 2):i]
        tied = any(a in vocab or a in UNITS or t in UNITS for a, t in zip(after, after_raw) if not a.isdigit())
        mult = mult or (before[-1:] == ["x"] or before[-1:] == ["×"]) or after_raw[:1] in (["x"], ["×"])
        cue = any(b in QUANTITY_CUES for b in before)
        if is_word and tok in ("one", "un", "uno", "una", "ein", "eine", "einen", "une", "um", "uma") and not tied:
            continue
        if tied or mult or (cue and not is_word):
            if spans is None:
                spans = [m.span() for m in _QTY_TOKEN.finditer(masked)]
            pos, end = spans[i]
            found.append(_Qty(pos, value, end, tied or mult, before[-1] if before else "",
                              after_raw[0] if after_raw else ""))
    return found


class _Signal(NamedTuple):
    """What one rule adds: points, the reason the inbox shows (if any), whether it is substantive, and the
    words of the text it came from."""
    points: int = 0
    reason: str | None = None
    substantive: bool = False
    quote: tuple[tuple[int, int], ...] = ()    # spans of the folded text


_NOTHING = _Signal()


class _Products(NamedTuple):
    """The products an application names (SKU, quantity or None) and the kinds it only asks about."""
    named: tuple[tuple[str, int | None], ...]
    kinds: frozenset[str]
    first_by_sku: bool          # the first product named was named by its SKU
    spans: tuple[tuple[int, int], ...] = ()        # where each named product is written
    qty_spans: tuple[tuple[int, int], ...] = ()    # where its quantity is written, (0, 0) when none
    kind_spans: tuple[tuple[int, int], ...] = ()   # where the kinds asked about are written
    name_numbers: frozenset = frozenset()          # numbers of the named products' names ("200 A", "125 mm")


class _Text:
    """The raw text and its folded form, with a map back, to quote the words a signal came from."""

    def __init__(self, raw: str, folded: str):
        self.raw, self.folded = raw, folded
        self._map: list[int] | None = None if len(raw) != len(folded) else []

    def quote(self, start: int, end: int) -> str:
        if self._map == []:  # same length: folding kept every position
            return " ".join(self.raw[start:end].split())
        if self._map is None:
            self._map = []
            for i, ch in enumerate(self.raw):
                self._map.extend([i] * len(_fold(ch)))
            self._map.append(len(self.raw))
        a = self._map[min(start, len(self._map) - 1)]
        b = self._map[min(end, len(self._map) - 1)] if end < len(self._map) else len(self.raw)
        return " ".join(self.raw[a:b].split())


class TextRead(NamedTuple):
    """What the scoring reads from an application's words alone (not its contact details, not whether it
    comes from a known client): the costly part, done in a worker process for a large intake (models.intake)
    and finished by score_application. SOURCE and SUBJECT are what it was read from."""
    source: str
    subject: str
    spam: bool
    signals: tuple
    raw: str
    folded: str


def read_text(text: str, subject: str = "", catalog: Catalog | None = None,
              weights: dict | None = None) -> TextRead:
    """The signals of TEXT (and SUBJECT) against CATALOG, with the points of WEIGHTS."""
    w = effective_weights(weights)
    raw = _raw_text(text, subject)
    folded = _fold(raw)
    if _has(folded, _SPAM_MARKS) and _SPAM.search(folded):
        return TextRead(text, subject, True, (), raw, folded)
    spans = _canonical_spans(folded, catalog)
    tokens = {c for _, _, c in spans}
    runs = _runs(folded)
    qtys = _quantities(_masked(folded, catalog, runs), catalog)
    products = _find_products(folded, tokens, qtys, catalog, spans)
    date = _date_signal(folded, w, runs)
    signals = (
        *_product_signals(products, tokens, w),
        _quantity_signal(qtys, products, w),
        date,
        _urgency_signal(folded, date, w, runs),
        _budget_signal(folded, w),
        _place_signal(raw, folded, w, runs),
        _payment_signal(folded, w, runs),
        _ref_signal(folded, catalog, w),
        _spec_signal(folded, products, w, runs),
        _business_signal(folded, w, runs),
    )
    return TextRead(text, subject, False, signals, raw, folded)


def score_application(text: str, *, name: str = "", email: str = "", phone: str = "", subject: str = "",
                      channel: str = "", catalog: Catalog | None = None, known_client: bool = False,
                      weights: dict | None = None, read: TextRead | None = None) -> Scored:
    """Score one application: the signals below, in the order their reasons are shown. Every reason
    starts with its points ("+18 ...") and quotes the words of the text it came from; the points add up
    to the score. READ, when given, is read_text of the same text, subject, catalog and weights (read
    ahead, in another process); a READ of other words is read again."""
    w = effective_weights(weights)
    if read is None or read.source != text or read.subject != subject:
        read = read_text(text, subject, catalog, weights)
    contact, known = _contact_signal(name, email, phone, w), _known_client_signal(known_client, w)
    if read.spam:
        return Scored(0, ["looks like spam"], 0)
    if not any(s.substantive for s in read.signals):
        return _vague(read.folded, contact, known, w)
    return _assemble(read.signals + (contact, known), _Text(read.raw, read.folded))


# ------------------------------------------------ the steps of score_application, in order

def products_named(text: str | None, subject: str = "", catalog: Catalog | None = None) -> list[tuple[str, int | None]]:
    """The catalog products a text names, as the scoring finds them: (SKU, quantity or None), in the order
    the scoring ranks them; a spam text names none. What a conversion turns into deal lines."""
    folded = _fold(_raw_text(text, subject or ""))
    if _has(folded, _SPAM_MARKS) and _SPAM.search(folded):
        return []
    spans = _canonical_spans(folded, catalog)
    tokens = {c for _, _, c in spans}
    qtys = _quantities(_masked(folded, catalog), catalog)
    return list(_find_products(folded, tokens, qtys, catalog, spans).named)


def _raw_text(text: str | None, subject: str) -> str:
    """The text to read: the subject goes first unless the text already contains it."""
    return f"{subject}\n{text}" if subject and subject not in (text or "") else (text or "")


def _contact_signal(name: str, email: str, phone: str, w: dict) -> _Signal:
    """All three of name, e-mail and phone given, or two of them (never substantive)."""
    given = [label for label, v in (("name", name), ("e-mail", email), ("phone", phone)) if (v or "").strip()]
    if len(given) == 3:
        return _Signal(w["contact_complete"], "complete contact")
    if len(given) == 2:
        return _Signal(w["contact_partial"], "contact: " + " and ".join(given))
    return _NOTHING


def _known_client_signal(known_client: bool, w: dict) -> _Signal:
    return _Signal(w["known_client"], "known client") if known_client else _NOTHING


def _canonical_spans(folded: str, catalog: Catalog | None) -> list[tuple[int, int, str]]:
    if catalog is not None:
        return catalog.canon_spans(folded)
    return [(m.start(), m.end(), _canon(m.group())) for m in _WORD_SPLIT.finditer(folded)]


def _canonical_words(folded: str, catalog: Catalog | None) -> set[str]:
    """The text's canonical words (typos snapped to the catalog's vocabulary when there is one)."""
    return {c for _, _, c in _canonical_spans(folded, catalog)}


def _find_products(folded: str, tokens: set[str], qtys: list[_Qty], catalog: Catalog | None,
                   spans: list[tuple[int, int, str]] | None = None) -> _Products:
    """Catalog products named (each with the quantity bound to it) and kinds of product only asked about."""
    spans = spans if spans is not None else _canonical_spans(folded, catalog)
    named: list[tuple[str, int | None]] = []
    where: list[tuple[int, int]] = []
    qwhere: list[tuple[int, int]] = []
    kinds: set[str] = set()
    first_by_sku = False
    numbers: frozenset = frozenset()
    if catalog is not None:
        hits, kinds = _catalog_hits(folded, tokens, catalog, spans)
        named, where, qwhere, used_heads, first_by_sku, numbers = _pick_products(hits, qtys, folded)
        kinds -= used_heads
    if catalog is not None and not named:
        kinds |= catalog.category_words & tokens
    kind_spans = tuple((a, b) for a, b, c in spans if c in kinds)
    return _Products(tuple(named), frozenset(kinds), first_by_sku, tuple(where), tuple(qwhere), kind_spans,
                     numbers)


def _name_span(p: _Product, spans: list[tuple[int, int, str]], taken: list[tuple[int, int]],
               at: dict[str, list[int]] | None = None) -> tuple[int, int, float]:
    """Where a product's name is written: the run of the name's words (small words between them allowed)
    outside a SKU that holds most of them, its head word first among equals; (start, end, share of the
    name's words found there). AT: the positions in SPANS of each word (_span_index), so only the spans of
    the name's own words are visited."""
    if at is None:
        at = _span_index(spans)
    best, best_key = (0, 0, 0.0), (0.0, 0)
    i = 0
    for j in sorted(k for w in p.words for k in at.get(w, ())):
        if j < i:
            continue  # inside the run read last
        a, b, c = spans[j]
        if any(x <= a < y for x, y in taken):
            continue
        i = j
        lo = hi = i
        while lo > 0 and spans[lo - 1][2] in p.small_words and lo > i - 2:
            lo -= 1
        while hi + 1 < len(spans) and (spans[hi + 1][2] in p.words or spans[hi + 1][2] in GENERIC) \
                and hi < i + 6 and not any(x <= spans[hi + 1][0] < y for x, y in taken):
            hi += 1
        while hi > lo and spans[hi][2] in GENERIC and spans[hi][2] not in p.words:
            hi -= 1
        covered = {c for _, _, c in spans[lo:hi + 1]} & p.words
        key = (len(covered) + (0.5 if covered & p.heads else 0.0), -lo)
        if key > best_key:
            best_key, best = key, (spans[lo][0], spans[hi][1], len(covered) / max(len(p.words), 1))
        i = hi + 1
    return best


def _span_index(spans: list[tuple[int, int, str]]) -> dict[str, list[int]]:
    """Each word of SPANS -> its positions in SPANS, in order."""
    at: dict[str, list[int]] = {}
    for k, (_a, _b, c) in enumerate(spans):
        at.setdefault(c, []).append(k)
    return at


def _catalog_hits(folded: str, tokens: set[str], catalog: Catalog,
                  spans: list[tuple[int, int, str]] | None = None) -> tuple[list[tuple], set[str]]:
    """(strength, product, (start, end), by_sku) of each product matched, and the kinds of the weak matches."""
    spans = spans if spans is not None else catalog.canon_spans(folded)
    hits = []
    kinds: set[str] = set()
    sku_spans: list[tuple[int, int]] = []
    for p, a, b in catalog.sku_hits(folded):
        if all(h[1].sku != p.sku for h in hits):
            hits.append((2.0, p, (a, b), True))
        sku_spans.append((a, b))
    by_sku = {h[1].sku for h in hits}
    by_word, products = catalog.by_word, catalog.products
    at = None
    near: set[int] = set()
    for t in tokens:
        found = by_word.get(t)
        if found:
            near.update(found)
    for i in sorted(near):  # in the catalog's order, as ties are broken by it
        p = products[i]
        if p.sku in by_sku:
            continue
        common = p.words & tokens
        matched = len(common) / max(len(p.words), 1)
        if matched >= 0.6 or (len(p.words) >= 2 and len(common) >= 2) or \
                (p.heads & common & catalog.unique_heads) or (common & catalog.distinctive):
            if at is None:
                at = _span_index(spans)
            a, b, local = _name_span(p, spans, sku_spans, at)
            if b > a:
                # the share of the name found there; then a head word, then more words, break ties
                hits.append((local + (0.01 if p.heads & common else 0.0) + 0.001 * round(local * len(p.words)),
                             p, (a, b), False))
        else:
            kinds |= set(p.heads & tokens)
    return hits, kinds


# the small patterns of a quantity's binding, compiled once (each call of re.search(str) looks its cache up)
_GAP_WORDS = re.compile(r"[a-z]+|[×]")
_SENTENCE_END = re.compile(r"[.;!?]")
_TIMES_OR_COLON = re.compile(r"[x×:]")
_GAP_AFTER = re.compile(r"[\s,:(]*(?:[x×]\s*)?")
_GAP_BEFORE = re.compile(r"^[\s,;:()]*(?:[x×]|(?:[a-z]+\s+){0,3})?[\s]*$")


def _bound_quantity(p: _Product, span: tuple[int, int], qtys: list[_Qty], used: set[int], folded: str
                    ) -> _Qty | None:
    """The number bound to this product: right before its words ("40 x BAG-BALL10", "3 Pro Match Ball",
    "6 pairs of gloves"), or right after with an 'x' or a unit ("BALL-FUT x20"); never a number that is part
    of the product's name ("Marker Cones 50 pack") or already bound to another product."""
    start, end = span
    for q in sorted(qtys, key=lambda q: -q.pos):
        if q.pos in used or q.end > start or start - q.end > 30:
            continue
        gap = folded[q.end:start]
        words = _GAP_WORDS.findall(gap)
        if len(words) <= 3 and all(g in _FILLERS or g in UNITS or _canon(g) in p.words or _canon(g) in GENERIC
                                    for g in words) and not _SENTENCE_END.search(gap):
            return q
        break
    for q in sorted(qtys, key=lambda q: q.pos):
        if q.pos in used or q.pos < end or q.pos - end > 12:
            continue
        gap = folded[end:q.pos]
        if q.value in p.name_numbers and not _TIMES_OR_COLON.search(gap):
            used.add(q.pos)  # "Marker Cones 50 pack": the name's own number, no quantity at all
            return None
        if _GAP_AFTER.fullmatch(gap) and (q.bound or "x" in gap or "×" in gap) and \
                (q.word_after in UNITS or "x" in gap or "×" in gap or ":" in gap or
                 folded[q.pos:q.pos + 1] == "x" or folded[q.end:q.end + 2].strip()[:1] in ("x", "×")):
            return q
        break
    return None


def _pick_products(hits: list[tuple], qtys: list[_Qty], folded: str = ""):
    """The strongest hit of each kind, each with the quantity bound to it; where each is written; the kinds
    used; whether the first was named by its SKU."""
    hits.sort(key=lambda h: (-h[0], h[2][0]))
    chosen = []
    used_heads: set[str] = set()
    for strength, p, span, by_sku in hits:
        if not by_sku and (p.heads & used_heads) and strength < 1.0:
            continue  # a weaker match on a kind already named ("ball" of another ball)
        if any(c[1].sku == p.sku for c in chosen) or any(
                not by_sku and c[2][0] < span[1] and span[0] < c[2][1] for c in chosen):
            continue  # an alias of a product already named, or words already read as a stronger match
        used_heads |= p.heads
        chosen.append((strength, p, span, by_sku))
    used: set[int] = set()
    bound: dict[str, _Qty | None] = {}
    for _, p, span, _ in sorted(chosen, key=lambda c: c[2][0]):
        q = _bound_quantity(p, span, qtys, used, folded)
        if q is not None:
            used.add(q.pos)
        bound[p.sku] = q
    named = [(p.sku, bound[p.sku].value if bound[p.sku] else None) for _, p, _, _ in chosen]
    qtys[:] = [q for q in qtys if q.pos not in used or any(b and b.pos == q.pos for b in bound.values())]
    where = [span for _, _, span, _ in chosen]
    qwhere = [(bound[p.sku].pos, bound[p.sku].end) if bound[p.sku] else (0, 0) for _, p, _, _ in chosen]
    numbers = frozenset(n for _, p, _, _ in chosen for n in p.name_numbers)
    return named, where, qwhere, used_heads, bool(chosen and chosen[0][3]), numbers


def _product_signals(products: _Products, tokens: set[str], w: dict) -> tuple[_Signal, ...]:
    """One signal per product named (up to three), each quoting where it is written; else a kind asked about."""
    named = products.named
    if named:
        out = []
        for i, (sku, _q) in enumerate(named[:3]):
            points = w["product"] + (w["sku"] if products.first_by_sku else 0) if i == 0 else w["more_products"]
            span = products.spans[i] if i < len(products.spans) else None
            out.append(_Signal(points, f"names {sku}", True, (span,) if span else ()))
        return tuple(out)
    if products.kinds:
        return (_Signal(w["product_kind"], "asks about " + ", ".join(sorted(products.kinds)), True,
                        products.kind_spans[:3]),)
    return ()


def _quantity_signal(qtys: list[_Qty], products: _Products, w: dict) -> _Signal:
    """A quantity: the ones bound to products ("x40: '40 x BAG-BALL10'"), else the first number that counts
    something ("quantity 4: '4 pairs'")."""
    if not qtys:
        return _NOTHING
    parts, quotes = [], []
    for (sku, q), span, qspan in zip(products.named, products.spans, products.qty_spans):
        if q:
            parts.append(f"{sku} x{q}")
            quotes.append((min(span[0], qspan[0]), max(span[1], qspan[1])))
    if parts:
        return _Signal(w["quantity"], ", ".join(parts), True, tuple(quotes))
    q = next((q for q in qtys if q.bound), qtys[0])
    return _Signal(w["quantity"], f"quantity {q.value}", True, ((q.pos, q.end),))


def _date_signal(folded: str, w: dict, runs: frozenset | None = None) -> _Signal:
    found = _date_found(folded, runs)
    return _Signal(w["date"], found[0], True, (found[1],)) if found else _NOTHING


def _urgency_signal(folded: str, date: _Signal, w: dict, runs: frozenset | None = None) -> _Signal:
    """Urgency words, shown with the words used."""
    m = _URGENT_RE.search(folded) if (_may(runs, _URGENT_KEYS) if runs is not None else
                                      _has(folded, _URGENT_MARKS)) else None
    if m:
        return _Signal(w["urgency"], "urgent", True, ((m.start(), m.end()),))
    return _NOTHING


def _budget_signal(folded: str, w: dict) -> _Signal:
    found = _budget(folded, with_span=True)
    return _Signal(w["budget"], found[0], True, (found[1],)) if found else _NOTHING


def _place_signal(raw: str, folded: str, w: dict, runs: frozenset | None = None) -> _Signal:
    """A delivery place (read from the raw text, where place names keep their capitals) or an address cue."""
    # the verbs' letters are in the folded text whenever the pattern matches the raw one (a letter that only
    # matches ignoring case, "ſ" of "ſhip", folds to it); a text that folds to more than ASCII is always read
    place = _PLACE.search(raw) if not folded.isascii() or _has(folded, _PLACE_MARKS) else None
    if place:
        where = next(g for g in place.groups() if g)
        # positions of the raw text; the fold keeps them when the lengths agree, else quote the folded words
        return _Signal(w["place"], f"delivery to {where.strip()[:30]}", True, ((place.start(), place.end()),)
                       if len(raw) == len(folded) else ())
    m = _ADDRESS.search(folded) if _may(runs, _ADDRESS_KEYS) else None
    if m:
        return _Signal(w["place"], "delivery place given", True, ((m.start(), m.end()),))
    return _NOTHING


def _payment_signal(folded: str, w: dict, runs: frozenset | None = None) -> _Signal:
    pay = _PAYMENT.search(folded) if _may(runs, _PAYMENT_KEYS) else None
    return _Signal(w["payment_terms"], f"payment: {pay.group(0)[:30]}", True,
                   ((pay.start(), pay.end()),)) if pay else _NOTHING


def _ref_signal(folded: str, catalog: Catalog | None, w: dict) -> _Signal:
    ref = _REF.search(masked_ref(folded, catalog)) if _has(folded, _REF_WORDS) else None
    return _Signal(w["order_ref"], f"ref {ref.group(0).strip().upper()[:24]}", True,
                   ((ref.start(), ref.end()),)) if ref else _NOTHING


_SPEC_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)?(?:\s*(?:" + _MEASURE + r")(?![a-z0-9]))?")


def _spec_signal(folded: str, products: _Products, w: dict, runs: frozenset | None = None) -> _Signal:
    """Sizes, dimensions, colours, or a number of a named product's name written beside it ("welding machine
    200 A", "compressor 100 litre"): substantive only about a product or a kind of product."""
    m = _SPEC.search(folded) if _may(runs, _SPEC_KEYS) or "×" in folded else None
    if not m and products.name_numbers:
        taken = [s for s in products.qty_spans if s != (0, 0)]
        m = next((x for x in _SPEC_NUMBER.finditer(folded)
                  if int(re.match(r"\d+", x.group()).group()) in products.name_numbers
                  and not any(a <= x.start() < b for a, b in taken)), None)
    if not m:
        return _NOTHING
    return _Signal(w["spec"], "specification", bool(products.named or products.kinds), ((m.start(), m.end()),))


def _business_signal(folded: str, w: dict, runs: frozenset | None = None) -> _Signal:
    """A trade buyer (substantive) or just an organisation (a few points)."""
    trade = _TRADE.search(folded) if (_may(runs, _TRADE_KEYS) if runs is not None else
                                      _has(folded, _TRADE_MARKS)) else None
    if trade:
        return _Signal(w["business"] + w["product_kind"], f"trade buyer ({trade.group(0)})", True,
                       ((trade.start(), trade.end()),))
    m = _BUSINESS.search(folded) if (_may(runs, _BUSINESS_KEYS) if runs is not None else
                                     _has(folded, _BUSINESS_MARKS)) else None
    if m:
        return _Signal(w["business"], "organisation", False, ((m.start(), m.end()),))
    return _NOTHING


def _vague(folded: str, contact: _Signal, known: _Signal, w: dict) -> Scored:
    """Nothing concrete, whatever its length: at most the vague cap, from the contact details."""
    cap = w["vague_cap"]
    why = "vague request" if _VAGUE.search(folded) or len(folded.split()) < 6 else "nothing specific"
    reasons, total = [why], 0
    for s in (contact, known):
        pts = max(0, min(s.points, cap - total))
        if s.reason and s.points:
            reasons.append(f"+{pts} {s.reason}" + (" (capped: nothing specific)" if pts < s.points else ""))
            total += pts
    return Scored(total, reasons, _level(total))


def _reason_text(s: _Signal, txt: _Text) -> str:
    sign = "+" if s.points >= 0 else "-"
    quotes = [txt.quote(a, b) for a, b in s.quote if b > a]
    said = ", ".join(f"'{q}'" for q in quotes if q)
    return f"{sign}{abs(s.points)} {s.reason}" + (f": {said}" if said else "")


def _assemble(signals: tuple[_Signal, ...], txt: _Text | None = None) -> Scored:
    """The sum of the points, kept within 0..100, and the reasons in order: each with its points, so the
    points shown add up to the score."""
    txt = txt or _Text("", "")
    total = sum(s.points for s in signals)
    reasons = [_reason_text(s, txt) for s in signals if s.points and s.reason is not None]
    hidden = sum(s.points for s in signals if s.points and s.reason is None)
    if hidden:
        reasons.append(f"{'+' if hidden > 0 else '-'}{abs(hidden)} other signals")
    score = max(0, min(100, total))
    if score != total:
        reasons.append(f"{'-' if total > score else '+'}{abs(total - score)} kept within 0..100")
    return Scored(score, reasons, _level(score))


def masked_ref(folded: str, catalog: Catalog | None) -> str:
    """The text without SKUs, so a SKU is never taken for an order reference."""
    if catalog is None or catalog.sku_re is None:
        return folded
    return catalog.sku_re.sub(lambda m: " " * (m.end() - m.start()), folded)


def _date_reason(folded: str, with_span: bool = False):
    """The first date or deadline in the text; with with_span, (reason, (start, end)) of where it is written."""
    found = _date_found(folded)
    if found is None:
        return None
    return found if with_span else found[0]


def _date_found(folded: str, runs: frozenset | None = None) -> tuple[str, tuple[int, int]] | None:
    """The first date in FOLDED (see _date_reason); RUNS: its runs of letters, when read already."""
    months = _may(runs, _MONTH_KEYS)
    for m in _DAY_MONTH.finditer(folded) if months else ():
        month = MONTHS.get(m.group(2))
        if month and 1 <= int(m.group(1)) <= 31:
            return f"deadline {int(m.group(1))} {MONTH_ABBR[month]}", m.span()
    for m in _MONTH_DAY.finditer(folded) if months else ():
        month = MONTHS.get(m.group(1))
        if month and m.group(1) not in ("may", "mar") and 1 <= int(m.group(2)) <= 31:
            return f"deadline {int(m.group(2))} {MONTH_ABBR[month]}", m.span()
    for m in _MONTH_WORD.finditer(folded) if months else ():
        word = m.group(1)
        if word in ("may", "mar", "mai", "jan", "jun", "jul", "dec", "oct", "nov", "sep", "aug", "feb", "apr"):
            # short or ambiguous words ("may") count only after a cue: "in May", "by end of May"
            before = folded[max(0, m.start() - 12):m.start()]
            if not re.search(r"(?:\bin|\bby|\bof|\bbefore|\buntil|\bfor|\bearly|\bmid|\blate|\bde|\bim|\bbis)\s+$", before):
                continue
        return f"date: {MONTH_ABBR[MONTHS[word]]}", m.span()
    m = next((m for m in _NUM_DATE.finditer(folded) if not _UNIT_AFTER.match(folded, m.end())), None)
    if m:
        if m.group(4):
            return f"deadline {m.group(4)}-{m.group(5)}-{m.group(6)}", m.span()
        d, mo = int(m.group(1)), int(m.group(2))
        if 1 <= d <= 31 and 1 <= mo <= 12:
            return f"deadline {d} {MONTH_ABBR[mo]}", m.span()
    m = _RELATIVE_DATE_RE.search(folded) if _may(runs, _RELATIVE_KEYS) else None
    if m:
        return f"date: {m.group(1)}", m.span()
    m = _WEEKDAY_RE.search(folded) if _may(runs, _WEEKDAY_KEYS) else None
    if m:  # the day named first in the text
        return f"date: {m.group(1).capitalize()}", m.span()
    return None


def _budget(folded: str, with_span: bool = False):
    """A budget or an amount with a currency; with with_span, (reason, (start, end))."""
    m = _BUDGET_WORD.search(folded) if _has(folded, _BUDGET_MARKS) else None
    while m and m.group(1) in _MONEY_ONLY_CUES and not (m.group(3) or m.group(4)):
        # "up to 20 balls", "Regards, Max Müller +49 170 ...": no money said; read on from after the cue
        # word, so "max budget 2000" finds "budget 2000"
        m = _BUDGET_WORD.search(folded, m.end(1))
    if m:
        amount = m.group(2).strip()
        cur = _currency_in(m.group(0))
        reason = f"budget {amount}{'k' if m.group(3) else ''}{' ' + cur if cur else ''}"
    else:
        m = _MONEY.search(folded) if _has(folded, _CURRENCY_MARKS) else None
        if not m:
            return None
        amount = (m.group(1) or m.group(2) or "").strip()
        cur = _currency_in(m.group(0))
        reason = f"amount {amount} {cur}".strip()
    return (reason, (m.start(), m.end())) if with_span else reason


def _currency_in(text: str) -> str:
    t = text.lower()
    for sym, code in (("€", "EUR"), ("eur", "EUR"), ("£", "GBP"), ("gbp", "GBP"), ("usd", "USD"), ("$", "USD"),
                      ("chf", "CHF"), ("sek", "SEK"), ("nok", "NOK"), ("dkk", "DKK"), ("pln", "PLN"),
                      ("jpy", "JPY"), ("¥", "JPY"), ("ngn", "NGN"), ("₦", "NGN"), ("mxn", "MXN"), ("brl", "BRL")):
        if sym in t:
            return code
    return ""
