"""Specificity ranking: how concrete is an incoming application?

The score (0-100) is a sum of explainable signals, each with a weight from
configuration (`DEFAULT_WEIGHTS`, overridden by the `scoring.weights` setting)
and a short reason the inbox shows ("names BALL-PRO5 x40", "deadline 5 Dec",
"budget 1,800 EUR"). Rules, in the order they are applied:

1. Spam (SEO offers, links, followers ...) scores 0: "looks like spam".
2. Products: catalog SKUs (any case, with or without the hyphen) and catalog
   names matched on their words, with typos, plurals and Spanish/German nouns
   tolerated. Naming a concrete product counts most; naming only a kind of
   product ("gloves", "goals", "goalkeeper equipment", "scoreboard") counts less.
3. Quantities: a number (digits or number words in EN/ES/DE) tied to a product
   word or a unit ("40 balls", "x4", "4 pairs", "two goals", "about 30"). A phone
   number, a year, a size, a dimension (12x6), a price, a date or a duration is
   not a quantity.
4. Dates and deadlines (day + month, weekdays, "end of January", "next week",
   "urgent") in EN/ES/DE.
5. Budgets and amounts with a currency.
6. Delivery places, payment terms, order or tender references, specifications
   (sizes, dimensions, colours), a business or organisation buying.
7. Contact details (name, e-mail and phone all given, or two of them) and a
   known client.

An application with none of the substantive signals (2-6) is vague: it keeps
at most a few points for its contact details, however long it is. Length is
never counted.
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

# Words that name a kind of product, in any of the languages, mapped to one English stem.
PRODUCT_NOUNS: dict[str, str] = {
    # English
    "ball": "ball", "football": "ball", "soccerball": "ball", "goal": "goal", "goalpost": "goal", "post": "goal",
    "net": "net", "netting": "net", "bib": "bib", "pinnie": "bib", "vest": "bib", "kit": "kit", "jersey": "kit",
    "shirt": "kit", "uniform": "kit", "strip": "kit", "glove": "glove", "guard": "guard", "shinpad": "guard",
    "cone": "cone", "marker": "cone", "ladder": "ladder", "rebounder": "rebounder", "pump": "pump", "bag": "bag",
    "turf": "turf", "grass": "turf", "pitch": "turf", "clinic": "clinic", "coaching": "clinic",
    "scoreboard": "scoreboard", "bench": "bench", "flag": "flag", "trophy": "trophy", "medal": "medal",
    "boot": "boot", "sock": "kit", "short": "kit", "bottle": "bottle", "whistle": "whistle", "hurdle": "hurdle",
    "mannequin": "mannequin", "dummy": "mannequin", "floodlight": "floodlight", "tracksuit": "kit",
    # Spanish
    "balon": "ball", "pelota": "ball", "porteria": "goal", "arco": "goal", "red": "net", "peto": "bib",
    "equipacion": "kit", "camiseta": "kit", "guante": "glove", "espinillera": "guard", "cono": "cone",
    "escalera": "ladder", "bomba": "pump", "inflador": "pump", "bolsa": "bag", "cesped": "turf",
    "marcador": "scoreboard", "banquillo": "bench", "trofeo": "trophy", "medalla": "medal", "bota": "boot",
    # German
    "bal": "ball", "balle": "ball", "fussball": "ball", "tor": "goal", "netz": "net", "leibchen": "bib",
    "trikot": "kit", "handschuh": "glove", "schienbeinschoner": "guard",
    "hutchen": "cone", "leiter": "ladder", "pumpe": "pump", "tasche": "bag",
    "kunstrasen": "turf", "rasen": "turf", "anzeigetafel": "scoreboard", "bank": "bench", "pokal": "trophy",
    "medaille": "medal", "schuh": "boot",
}
# Other words a catalog name may use, in other languages.
SYNONYMS: dict[str, str] = {
    "portatil": "portable", "tragbar": "portable", "movil": "portable", "acero": "steel", "stahl": "steel",
    "entrenamiento": "training", "training": "training", "partido": "match", "spiel": "match",
    "portero": "goalkeeper", "torwart": "goalkeeper", "arquero": "goalkeeper", "keeper": "goalkeeper",
    "gk": "goalkeeper", "repuesto": "replacement", "ersatz": "replacement", "artificial": "artificial",
    "sintetico": "artificial", "instalacion": "installation", "montage": "installation", "install": "installation",
    "installed": "installation", "installing": "installation", "primeros": "first", "auxilios": "aid",
}
# Generic words inside catalog names that do not identify a product on their own.
GENERIC = {"size", "set", "of", "pack", "per", "m", "m2", "ft", "holds", "one", "day", "service", "pro",
           "and", "the", "a", "for", "with", "shirt", "shorts", "socks", "heavy", "duty", "heavyduty"}
# Catalog categories too general to show interest in anything ("your products and services").
GENERIC_CATEGORIES = {"service", "accessory", "accessorie", "product", "other", "misc", "general"}
UNITS = {"item", "pcs", "pc", "piece", "pieces", "unit", "units", "pair", "pairs", "set", "sets", "box", "boxes",
         "pack", "packs", "roll", "rolls", "kid", "kids", "player", "players", "child", "children", "people",
         "person", "participant", "participants", "team", "teams", "m2", "sqm", "meter", "meters", "metre", "metres",
         "unidad", "unidades", "pieza", "piezas", "par", "pares", "juego", "juegos", "nino", "ninos", "jugador",
         "jugadores", "stuck", "paar", "satz", "kinder", "spieler", "stk"}
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
}
QUANTITY_CUES = {"need", "needs", "want", "wants", "order", "ordering", "buy", "require", "about", "around",
                 "approx", "approximately", "roughly", "some", "quote", "necesitamos", "necesito", "queremos",
                 "quiero", "unos", "unas", "aproximadamente", "brauchen", "brauche", "benotigen", "bestellen",
                 "etwa", "ca", "rund", "circa", "for"}
MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
    "nov": 11, "dec": 12,
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
    "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
    "januar": 1, "februar": 2, "marz": 3, "mai": 5, "juni": 6, "juli": 7, "oktober": 10, "dezember": 12,
}
MONTH_ABBR = ["", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
            "lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo",
            "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"}
RELATIVE_DATES = ["today", "tomorrow", "tonight", "this week", "next week", "this month", "next month",
                  "this weekend", "end of the month", "hoy", "manana", "esta semana", "la proxima semana",
                  "proxima semana", "el proximo mes", "heute", "morgen", "diese woche", "nachste woche",
                  "nachsten monat", "ende des monats"]
URGENT = ["urgent", "urgently", "asap", "as soon as possible", "immediately", "right away", "urgente",
          "lo antes posible", "cuanto antes", "dringend", "sofort", "so schnell wie moglich"]
CURRENCY = r"(?:eur|euros?|€|usd|us\$|\$|gbp|£|chf|sek|nok|dkk|pln|jpy|¥|mxn|brl|try|tl|ngn|₦|aud|cad)"

# The word lists above as patterns, compiled once (in the lists' own order).
_URGENT_RES = [re.compile(r"\b" + re.escape(u) + r"\b") for u in URGENT]
_RELATIVE_DATE_RES = [(rel, re.compile(r"\b" + re.escape(rel) + r"\b")) for rel in RELATIVE_DATES]
_WEEKDAY_RES = [(day, re.compile(r"\b" + day + r"(?:'s|s)?\b")) for day in WEEKDAYS]

_SPAM = re.compile(
    r"\b(seo|search results|first page of (?:google|search)|followers|likes for|click here|crypto|bitcoin|"
    r"casino|viagra|backlinks?|guest post|marketing services|web ?design services|loan offer|"
    r"increase your (?:sales|traffic)|rank(?:ing)? your website|unsubscribe)\b|https?://|www\.")
_SKU_SHAPE = re.compile(r"\b[a-z]{2,}-[a-z0-9]+(?:-[a-z0-9]+)*\b")
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:[.,\s]\d{3})+|\d+)(?:[.,]\d+)?(?![\w])")
_DIMENSION = re.compile(r"\b\d+(?:[.,]\d+)?\s?[x×]\s?\d+(?:[.,]\d+)?\b")
_PHONE_LIKE = re.compile(r"\+?\d[\d\s()./-]{6,}\d")
_MULT = re.compile(r"(?:(?<=\s)|^)[x×]\s?(\d{1,5})\b|\b(\d{1,5})\s?[x×](?=\s|$)")
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th|\.)?\s+(?:de\s+|of\s+)?([a-z]{3,10})\b")
_MONTH_DAY = re.compile(r"\b([a-z]{3,10})\s+(\d{1,2})(?:st|nd|rd|th)?\b")
_MONTH_WORD = re.compile(r"\b(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b")
_MONTH_ONLY = re.compile(r"\b(?:end of|by|before|in|until|bis|bis zum|hasta|en|para|im|ende|anfang|mitte|"
                         r"early|mid|late|a finales de|principios de)\s+(?:de\s+)?([a-z]{3,10})\b")
_NUM_DATE = re.compile(r"\b(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?\b|\b(20\d\d)-(\d\d)-(\d\d)\b")
_BUDGET_WORD = re.compile(r"\b(budget|presupuesto|etat|max(?:imum)?|up to|hasta|bis zu|spend)\b[^\d]{0,20}"
                          r"(\d[\d.,\s]*\d|\d)\s*(k\b)?\s*" + CURRENCY + r"?")
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


def _fold(text: str) -> str:
    """Lower-case, accents removed, ß -> ss: one form for matching in any language."""
    text = text.replace("ß", "ss").replace("ẞ", "ss")
    nfkd = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in nfkd if not unicodedata.combining(ch)).lower()


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


# Compound words (mostly German) that name a product with two of the catalog's words.
COMPOUNDS: dict[str, list[str]] = {
    "torwarthandschuh": ["goalkeeper", "glove"], "balltasche": ["ball", "bag"], "ballpumpe": ["ball", "pump"],
    "trainingsball": ["training", "ball"], "spielball": ["match", "ball"], "futsalball": ["futsal", "ball"],
    "ersatznetz": ["replacement", "net"], "erste-hilfe": ["first", "aid"], "markierungshutchen": ["marker", "cone"],
    "koordinationsleiter": ["agility", "ladder"], "trainingsleibchen": ["training", "bib"],
}


@lru_cache(maxsize=65536)  # a pure function of one token; intake calls it ~20 times per application
def _canon(token: str) -> str:
    """A token's canonical form: stemmed, then mapped through the multilingual vocabularies."""
    for form in (token, _stem(token), token[:-1], token[:-2]):
        if len(form) < 2:
            continue
        if form in PRODUCT_NOUNS:
            return PRODUCT_NOUNS[form]
        if form in SYNONYMS:
            return SYNONYMS[form]
        if form in COMPOUNDS:
            return "+".join(COMPOUNDS[form])
    return _stem(token)


# ---------------------------------------------------------------- catalog

@dataclass(frozen=True)
class _Product:
    sku: str
    name: str
    category: str
    words: frozenset          # canonical significant words of the name
    heads: frozenset          # the product-kind words among them
    sku_re: re.Pattern


class Catalog:
    """The catalog prepared for matching: built once, reused for many applications."""

    def __init__(self, products: list[_Product]):
        self.products = products
        self.vocab = frozenset(w for p in products for w in p.words) | frozenset(PRODUCT_NOUNS.values())
        self._fuzzy_cache: dict[str, str | None] = {}

    @classmethod
    def from_products(cls, products: Iterable[tuple[str, str, str]]) -> "Catalog":
        prepared = []
        for sku, name, category in products:
            tokens = [_canon(t) for t in _WORD.findall(_fold(name).replace("-", " "))]
            words = frozenset(t for t in tokens if t not in GENERIC and not t.isdigit())
            heads = frozenset(t for t in words if t in set(PRODUCT_NOUNS.values()))
            if not heads and words:
                heads = frozenset([max(words, key=len)])
            parts = re.split(r"[-\s]+", _fold(sku))
            sku_re = re.compile(r"(?<![a-z0-9])" + r"[-\s]?".join(re.escape(p) for p in parts) + r"(?![a-z0-9])")
            prepared.append(_Product(sku, name, category, words, heads, sku_re))
        return cls(prepared)

    def canon_tokens(self, folded: str) -> list[str]:
        """Canonical words of a text, with typos snapped to the catalog's vocabulary."""
        out = []
        for tok in _WORD.findall(folded.replace("-", " ")):
            c = _canon(tok)
            if "+" in c:
                out.extend(c.split("+"))
                continue
            if c not in self.vocab and len(tok) >= 5 and not c.isdigit():
                c = self._snap(c)
            out.append(c)
        return out

    def _snap(self, word: str) -> str:
        if word in self._fuzzy_cache:
            return self._fuzzy_cache[word] or word
        from rapidfuzz import fuzz, process

        best = process.extractOne(word, self.vocab, scorer=fuzz.ratio, score_cutoff=84)
        self._fuzzy_cache[word] = best[0] if best else None
        return best[0] if best else word


_catalog_cache: Catalog | None = None


def load_catalog() -> Catalog:
    global _catalog_cache
    if _catalog_cache is None:
        from .tables import Product

        _catalog_cache = Catalog.from_products(
            (p.sku, p.name, p.category) for p in Product.select().where(Product.active == True))  # noqa: E712
    return _catalog_cache


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


def _masked(folded: str, catalog: Catalog | None) -> str:
    """Blank out what holds digits but is not a quantity: SKUs, phones, dimensions, money, dates, refs, times."""
    def blank(m):
        return " " * (m.end() - m.start())

    s = folded
    def item(m):
        return "item".ljust(m.end() - m.start())

    if catalog is not None:
        for p in catalog.products:
            s = p.sku_re.sub(item, s)
    s = _SKU_SHAPE.sub(item, s)
    s = _PHONE_LIKE.sub(lambda m: blank(m) if sum(ch.isdigit() for ch in m.group()) >= 7 else m.group(), s)
    s = re.sub(r"\b\d{1,2}[:h]\d{2}\b", blank, s)                        # times
    s = _DIMENSION.sub(blank, s)
    s = re.sub(r"\b(?:size|sizes|talla|tallas|grosse|nr|no|number|#)\s*\d+(?:\s*(?:and|y|und|or|o|oder|-|/)\s*\d+)*", blank, s)
    s = _MONEY.sub(blank, s)
    s = re.sub(r"\b(?:19|20)\d{2}\b", blank, s)                            # years
    s = re.sub(r"\b\d+\s*(?:%|days?|weeks?|months?|years?|hours?|dias?|semanas?|meses|tage|wochen|monate|"
               r"jahre|stunden|m2|sqm|m|cm|mm|ft|kg|km)\b", blank, s)      # durations and measures
    s = _DAY_MONTH.sub(lambda m: blank(m) if m.group(2) in MONTHS else m.group(), s)
    s = _MONTH_DAY.sub(lambda m: blank(m) if m.group(1) in MONTHS else m.group(), s)
    s = _NUM_DATE.sub(blank, s)
    s = re.sub(r"\b(?:po|rfq|ref|order)\s*[-#:]?\s*\d+", blank, s)
    s = re.sub(r"\b\d+-pack\b", blank, s)                                  # part of a product name
    return s


def _quantities(masked: str, catalog: Catalog | None) -> list[tuple[int, int]]:
    """(position, value) of numbers that are quantities: tied to a product word, a unit, 'x' or a cue."""
    tokens = [(m.start(), m.group()) for m in re.finditer(r"[a-z]+|\d+|[x×]", masked)]
    found = []
    kinds = set(PRODUCT_NOUNS.values())
    vocab = catalog.vocab if catalog else frozenset(kinds)
    for i, (pos, tok) in enumerate(tokens):
        value = _number_value(tok)
        if value is None or value <= 0 or value > 100000:
            continue
        is_word = not tok.isdigit()
        after = [_canon(t) for _, t in tokens[i + 1:i + 5]]
        before = [t for _, t in tokens[max(0, i - 2):i]]
        tied = any(a in kinds or a in UNITS or a in vocab for a in after[:4] if not a.isdigit())
        mult = bool(tokens[i - 1][1] in ("x", "×") if i else False) or (after[:1] == ["x"])
        cue = any(b in QUANTITY_CUES for b in before)
        if is_word and tok in ("one", "un", "uno", "una", "ein", "eine", "einen") and not tied:
            continue
        if tied or mult or (cue and not is_word):
            found.append((pos, value))
    return found


class _Signal(NamedTuple):
    """What one rule adds: points, the reason the inbox shows (if any), and whether it is substantive."""
    points: int = 0
    reason: str | None = None
    substantive: bool = False


_NOTHING = _Signal()


class _Products(NamedTuple):
    """The products an application names (SKU, quantity or None) and the kinds it only asks about."""
    named: tuple[tuple[str, int | None], ...]
    kinds: frozenset[str]
    first_by_sku: bool          # the first product named was named by its SKU


def score_application(text: str, *, name: str = "", email: str = "", phone: str = "", subject: str = "",
                      channel: str = "", catalog: Catalog | None = None, known_client: bool = False,
                      weights: dict | None = None) -> Scored:
    """Score one application: the signals below, in the order their reasons are shown."""
    w = effective_weights(weights)
    raw = _raw_text(text, subject)
    folded = _fold(raw)
    contact, known = _contact_signal(name, email, phone, w), _known_client_signal(known_client, w)
    if _SPAM.search(folded):
        return Scored(0, ["looks like spam"], 0)
    tokens = _canonical_words(folded, catalog)
    qtys = _quantities(_masked(folded, catalog), catalog)
    products = _find_products(folded, tokens, qtys, catalog)
    date = _date_signal(folded, w)
    signals = (
        _product_signal(products, tokens, w),
        _quantity_signal(qtys, products, w),
        date,
        _urgency_signal(folded, date, w),
        _budget_signal(folded, w),
        _place_signal(raw, folded, w),
        _payment_signal(folded, w),
        _ref_signal(folded, catalog, w),
        _spec_signal(folded, products, w),
        _business_signal(folded, w),
    )
    if not any(s.substantive for s in signals):
        return _vague(folded, contact, known, w)
    return _assemble(signals + (contact, known))


# ------------------------------------------------ the steps of score_application, in order

def products_named(text: str | None, subject: str = "", catalog: Catalog | None = None) -> list[tuple[str, int | None]]:
    """The catalog products a text names, as the scoring finds them: (SKU, quantity or None), in the order
    the scoring ranks them; a spam text names none. What a conversion turns into deal lines."""
    folded = _fold(_raw_text(text, subject or ""))
    if _SPAM.search(folded):
        return []
    tokens = _canonical_words(folded, catalog)
    qtys = _quantities(_masked(folded, catalog), catalog)
    return list(_find_products(folded, tokens, qtys, catalog).named)


def _raw_text(text: str | None, subject: str) -> str:
    """The text to read: the subject goes first unless the text already contains it."""
    return f"{subject}\n{text}" if subject and subject not in (text or "") else (text or "")


def _contact_signal(name: str, email: str, phone: str, w: dict) -> _Signal:
    """All three of name, e-mail and phone given, or two of them (never substantive)."""
    given = sum(1 for v in (name, email, phone) if (v or "").strip())
    if given == 3:
        return _Signal(w["contact_complete"], "complete contact")
    if given == 2:
        return _Signal(w["contact_partial"])
    return _NOTHING


def _known_client_signal(known_client: bool, w: dict) -> _Signal:
    return _Signal(w["known_client"], "known client") if known_client else _NOTHING


def _canonical_words(folded: str, catalog: Catalog | None) -> set[str]:
    """The text's canonical words (typos snapped to the catalog's vocabulary when there is one)."""
    return set(catalog.canon_tokens(folded) if catalog else [_canon(t) for t in _WORD.findall(folded)])


def _find_products(folded: str, tokens: set[str], qtys: list[tuple[int, int]],
                   catalog: Catalog | None) -> _Products:
    """Catalog products named (with the quantity nearest each) and kinds of product only asked about."""
    named: list[tuple[str, int | None]] = []
    kinds: set[str] = set()
    first_by_sku = False
    if catalog is not None:
        hits, kinds = _catalog_hits(folded, tokens, catalog)
        named, used_heads, first_by_sku = _pick_products(hits, qtys)
        kinds -= used_heads
    kinds |= _kind_words(tokens, catalog)
    if catalog is not None and not named:
        kinds |= ({_canon(p.category) for p in catalog.products if p.category} - GENERIC_CATEGORIES) & tokens
    return _Products(tuple(named), frozenset(kinds), first_by_sku)


def _catalog_hits(folded: str, tokens: set[str], catalog: Catalog) -> tuple[list[tuple], set[str]]:
    """(strength, product, position, by_sku) of each product matched, and the kinds of the weak matches."""
    hits = []
    kinds: set[str] = set()
    for p in catalog.products:
        m = p.sku_re.search(folded)
        if m:
            hits.append((2.0, p, m.start(), True))
            continue
        if p.heads and p.heads & tokens:
            matched = len(p.words & tokens) / max(len(p.words), 1)
            if matched >= 0.6 or (len(p.words) >= 2 and len(p.words & tokens) >= 2):
                pos = min((folded.find(h[:4]) for h in p.heads if folded.find(h[:4]) >= 0), default=0)
                hits.append((matched, p, pos, False))
            else:
                kinds |= set(p.heads & tokens)
    return hits, kinds


def _pick_products(hits: list[tuple], qtys: list[tuple[int, int]]
                   ) -> tuple[list[tuple[str, int | None]], set[str], bool]:
    """The strongest hit of each kind, each with its nearest quantity; the kinds used; first named by SKU."""
    hits.sort(key=lambda h: -h[0])
    named: list[tuple[str, int | None]] = []
    used_heads: set[str] = set()
    first_by_sku = False
    for strength, p, pos, by_sku in hits:
        if not by_sku and (p.heads & used_heads) and strength < 1.0:
            continue  # a weaker match on a kind already named ("ball" of another ball)
        used_heads |= p.heads
        near = [(abs(pos - qpos) + (0 if qpos <= pos else 5), v) for qpos, v in qtys
                if 0 <= pos - qpos <= 40 or 0 <= qpos - pos <= 25]
        named.append((p.sku, min(near)[1] if near else None))
        if len(named) == 1:
            first_by_sku = by_sku
    return named, used_heads, first_by_sku


def _kind_words(tokens: set[str], catalog: Catalog | None) -> set[str]:
    """Kinds of product in the text that no catalog product has as its head word."""
    kinds = set(PRODUCT_NOUNS.values()) & tokens
    if catalog is None or not kinds:
        return kinds
    return kinds - {h for p in catalog.products for h in p.heads}


def _product_signal(products: _Products, tokens: set[str], w: dict) -> _Signal:
    named = products.named
    if named:
        points = (w["product"] + w["more_products"] * min(len(named) - 1, 2)
                  + (w["sku"] if products.first_by_sku else 0))
        parts = [f"{sku} x{q}" if q else sku for sku, q in named[:3]]
        return _Signal(points, "names " + ", ".join(parts), True)
    if products.kinds or "equipment" in tokens:
        return _Signal(w["product_kind"], "asks about " + ", ".join(sorted(products.kinds) or ["equipment"]), True)
    return _NOTHING


def _quantity_signal(qtys: list[tuple[int, int]], products: _Products, w: dict) -> _Signal:
    """A quantity; its reason only when no named product already shows one."""
    if not qtys:
        return _NOTHING
    shown = any(q for _, q in products.named)
    return _Signal(w["quantity"], None if shown else f"quantity {qtys[0][1]}", True)


def _date_signal(folded: str, w: dict) -> _Signal:
    reason = _date_reason(folded)
    return _Signal(w["date"], reason, True) if reason else _NOTHING


def _urgency_signal(folded: str, date: _Signal, w: dict) -> _Signal:
    """Urgency words; "urgent" is shown only when no date is."""
    if any(u.search(folded) for u in _URGENT_RES):
        return _Signal(w["urgency"], None if date.reason else "urgent", True)
    return _NOTHING


def _budget_signal(folded: str, w: dict) -> _Signal:
    budget = _budget(folded)
    return _Signal(w["budget"], budget, True) if budget else _NOTHING


def _place_signal(raw: str, folded: str, w: dict) -> _Signal:
    """A delivery place (read from the raw text, where place names keep their capitals) or an address cue."""
    place = _PLACE.search(raw)
    if place:
        where = next(g for g in place.groups() if g)
        return _Signal(w["place"], f"delivery to {where.strip()[:30]}", True)
    if _ADDRESS.search(folded):
        return _Signal(w["place"], "delivery place given", True)
    return _NOTHING


def _payment_signal(folded: str, w: dict) -> _Signal:
    pay = _PAYMENT.search(folded)
    return _Signal(w["payment_terms"], f"payment: {pay.group(0)[:30]}", True) if pay else _NOTHING


def _ref_signal(folded: str, catalog: Catalog | None, w: dict) -> _Signal:
    ref = _REF.search(masked_ref(folded, catalog))
    return _Signal(w["order_ref"], f"ref {ref.group(0).strip().upper()[:24]}", True) if ref else _NOTHING


def _spec_signal(folded: str, products: _Products, w: dict) -> _Signal:
    """Sizes, dimensions, colours: substantive only about a product or a kind of product."""
    if not _SPEC.search(folded):
        return _NOTHING
    return _Signal(w["spec"], None, bool(products.named or products.kinds))


def _business_signal(folded: str, w: dict) -> _Signal:
    """A trade buyer (substantive, shown) or just an organisation (a few points)."""
    trade = _TRADE.search(folded)
    if trade:
        return _Signal(w["business"] + w["product_kind"], f"trade buyer ({trade.group(0)})", True)
    if _BUSINESS.search(folded):
        return _Signal(w["business"])
    return _NOTHING


def _vague(folded: str, contact: _Signal, known: _Signal, w: dict) -> Scored:
    """Nothing concrete, whatever its length: at most the vague cap, from the contact details."""
    total = min(contact.points + known.points, w["vague_cap"])
    why = "vague request" if _VAGUE.search(folded) or len(folded.split()) < 6 else "nothing specific"
    return Scored(total, [why] + ([known.reason] if known.reason else []), _level(total))


def _assemble(signals: tuple[_Signal, ...]) -> Scored:
    """The sum of the points, kept within 0..100, and the reasons in order."""
    score = max(0, min(100, sum(s.points for s in signals)))
    return Scored(score, [s.reason for s in signals if s.reason is not None], _level(score))


def masked_ref(folded: str, catalog: Catalog | None) -> str:
    """The text without SKUs, so a SKU is never taken for an order reference."""
    if catalog is None:
        return folded
    s = folded
    for p in catalog.products:
        s = p.sku_re.sub(" ", s)
    return s


def _date_reason(folded: str) -> str | None:
    for m in _DAY_MONTH.finditer(folded):
        month = MONTHS.get(m.group(2))
        if month and 1 <= int(m.group(1)) <= 31:
            return f"deadline {int(m.group(1))} {MONTH_ABBR[month]}"
    for m in _MONTH_DAY.finditer(folded):
        month = MONTHS.get(m.group(1))
        if month and m.group(1) not in ("may", "mar") and 1 <= int(m.group(2)) <= 31:
            return f"deadline {int(m.group(2))} {MONTH_ABBR[month]}"
    for m in _MONTH_WORD.finditer(folded):
        word = m.group(1)
        if word in ("may", "mar", "mai", "jan", "jun", "jul", "dec", "oct", "nov", "sep", "aug", "feb", "apr"):
            # short or ambiguous words ("may") count only after a cue: "in May", "by end of May"
            before = folded[max(0, m.start() - 12):m.start()]
            if not re.search(r"(?:\bin|\bby|\bof|\bbefore|\buntil|\bfor|\bearly|\bmid|\blate|\bde|\bim|\bbis)\s+$", before):
                continue
        return f"date: {MONTH_ABBR[MONTHS[word]]}"
    m = _NUM_DATE.search(folded)
    if m:
        if m.group(4):
            return f"deadline {m.group(4)}-{m.group(5)}-{m.group(6)}"
        d, mo = int(m.group(1)), int(m.group(2))
        if 1 <= d <= 31 and 1 <= mo <= 12:
            return f"deadline {d} {MONTH_ABBR[mo]}"
    for rel, rel_re in _RELATIVE_DATE_RES:
        if rel_re.search(folded):
            return f"date: {rel}"
    found = [(m.start(), day) for day, day_re in _WEEKDAY_RES if (m := day_re.search(folded))]
    if found:  # the day named first in the text, whatever the process's hash seed
        return f"date: {min(found)[1].capitalize()}"
    return None


def _budget(folded: str) -> str | None:
    m = _BUDGET_WORD.search(folded)
    if m:
        amount = m.group(2).strip()
        cur = _currency_in(m.group(0))
        return f"budget {amount}{'k' if m.group(3) else ''}{' ' + cur if cur else ''}"
    m = _MONEY.search(folded)
    if m:
        amount = (m.group(1) or m.group(2) or "").strip()
        cur = _currency_in(m.group(0))
        return f"amount {amount} {cur}".strip()
    return None


def _currency_in(text: str) -> str:
    t = text.lower()
    for sym, code in (("€", "EUR"), ("eur", "EUR"), ("£", "GBP"), ("gbp", "GBP"), ("usd", "USD"), ("$", "USD"),
                      ("chf", "CHF"), ("sek", "SEK"), ("nok", "NOK"), ("dkk", "DKK"), ("pln", "PLN"),
                      ("jpy", "JPY"), ("¥", "JPY"), ("ngn", "NGN"), ("₦", "NGN"), ("mxn", "MXN"), ("brl", "BRL")):
        if sym in t:
            return code
    return ""
