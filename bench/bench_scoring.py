"""Intake of 100,000 distinct applications, scored (issue 13's budget: <= 10 s including the inserts).

`run(row, db_url)` is called by bench/bench.py's caller with its `row(label, ours, base, unit)` printer.
The texts are made here, every one different (names, quantities, dates, places, products and languages
mixed), against the sample catalog: the scoring cannot lean on a cache of repeated texts.
"""
from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "samples"
if not (SAMPLES / "catalog.csv").exists():
    SAMPLES = ROOT / "tests" / "data" / "samples"
REPDESK = str(Path(sys.executable).with_name("repdesk"))
NOW = "2026-11-20T08:00:00"
N = 100_000

TEMPLATES = [
    "We need {q} {name} before {d} {month_en}. Budget around {amount} EUR. Please send a quote.",
    "Hi, could you quote {q} x {sku} and {q2} {name2}? Delivery to {place}, ref PO-{ref}.",
    "Necesitamos {q} {name} para el {d} de {month_es}, presupuesto {amount} EUR. Saludos, {person}",
    "Wir brauchen {q} Stück {name} bis zum {d}. {month_de}, Lieferung nach {place}.",
    "Bonjour, nous voudrions {q} {name} avant le {d} {month_fr}. Merci, {person}",
    "Buongiorno, ci servono {q} pezzi {name} entro il {d} {month_it}. {person}",
    "Olá, precisamos de {q} unidades {name} até {d} de {month_pt}, orçamento {amount} EUR.",
    "How much does your {word} cost? {person} {q}",
    "Do you sell {word}? Asking for our club in {place}. Thanks {person}",
    "prices?? {person}",
    "Caller {person} wants {q} {sku} at {place}, pays on invoice within {days} days.",
    "Hello, I am {person} from {place}. Tell me more about what you do, regards ({q})",
]
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
    "it": ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
           "ottobre", "novembre", "dicembre"],
    "pt": ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
           "novembro", "dezembro"],
}
FIRST = ["Marta", "Peter", "Lena", "Dan", "Olu", "Sofia", "Luca", "Anne", "João", "Chloé", "Kai", "Ines", "Tom",
         "Rita", "Max", "Yara", "Bruno", "Elif", "Nina", "Omar"]
LAST = ["Ruiz", "Hall", "Vogel", "Okafor", "Rossi", "Silva", "Martin", "Müller", "Dubois", "Costa", "Berg",
        "Nowak", "Keller", "Moreau", "Ferri", "Lopes", "Ward", "Quinn", "Sato", "Adeyemi"]
PLACES = ["Valencia", "Ashford", "Leeds", "München", "Lyon", "Torino", "Porto", "Graz", "Bilbao", "Bremen", "Nantes",
          "Parma", "Braga", "Cork", "Malmö", "Gent"]


def catalog_rows(path: Path | None = None) -> list[dict]:
    with (path or SAMPLES / "catalog.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def distinct_texts(n: int, products: list[dict], seed: int = 14) -> list[str]:
    """N different application texts in six languages over PRODUCTS (dicts with sku and name)."""
    rng = random.Random(seed)
    words = sorted({w for p in products for w in p["name"].split() if len(w) > 3 and w.isalpha()})
    out, seen = [], set()
    while len(out) < n:
        p, p2 = rng.choice(products), rng.choice(products)
        d = rng.randint(1, 28)
        month = rng.randint(0, 11)
        text = rng.choice(TEMPLATES).format(
            q=rng.randint(2, 400), q2=rng.randint(2, 60), name=p["name"], name2=p2["name"], sku=p["sku"],
            d=d, month_en=MONTHS["en"][month], month_es=MONTHS["es"][month], month_de=MONTHS["de"][month],
            month_fr=MONTHS["fr"][month], month_it=MONTHS["it"][month], month_pt=MONTHS["pt"][month],
            amount=f"{rng.randint(1, 90)},{rng.randint(0, 999):03d}", place=rng.choice(PLACES),
            ref=rng.randint(1000, 99999), person=f"{rng.choice(FIRST)} {rng.choice(LAST)}{rng.randint(1, 9999)}",
            word=rng.choice(words).lower(), days=rng.choice((10, 14, 30, 60)))
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def intake_lines(texts: list[str]) -> list[str]:
    base = datetime(2026, 11, 20, 6, 0)
    return [json.dumps({"channel": ("phone", "email", "social", "website")[i % 4],
                        "received_at": (base + timedelta(seconds=i % 3600)).isoformat() + "+00:00",
                        "name": f"Bench Person {i}", "email": f"bench{i}@example.com", "text": t})
            for i, t in enumerate(texts)]


def run(row, db_url: str | None = None) -> None:
    """Time `repdesk intake` of N distinct applications on a fresh database (DB_URL, or a scratch SQLite
    file); print one row through ROW."""
    texts = distinct_texts(N, catalog_rows())
    with tempfile.TemporaryDirectory() as tmp:
        url = db_url or f"sqlite:///{tmp}/intake.db"
        subprocess.run([REPDESK, "--db", url, "--now", NOW, "demo", "--applications", "0"], check=True,
                       stdout=subprocess.DEVNULL)
        src = Path(tmp) / "intake.jsonl"
        src.write_text("\n".join(intake_lines(texts)) + "\n", encoding="utf-8")
        t = time.perf_counter()
        proc = subprocess.run([REPDESK, "--db", url, "--now", NOW, "intake", str(src)], capture_output=True,
                              text=True)
        took = time.perf_counter() - t
        if proc.returncode != 0:
            print(f"intake failed: {proc.stderr.strip()[:300]}")
            return
        row(f"intake of {N:,} distinct applications", took, None, "s")


def score_only(n: int = 20_000) -> float:
    """Milliseconds per application of score_application alone, over N distinct texts."""
    sys.path.insert(0, str(ROOT))
    from models.scoring import Catalog, score_application

    rows = catalog_rows()
    catalog = Catalog.from_products((r["sku"], r["name"], r["category"]) for r in rows)
    texts = distinct_texts(n, rows)
    score_application("warm up: 3 balls", catalog=catalog, weights={})
    t = time.process_time()  # CPU time: the figure does not move with the machine's other load
    for text in texts:
        score_application(text, catalog=catalog, weights={}, name="a", email="b@example.com")
    return (time.process_time() - t) / n * 1000


if __name__ == "__main__":
    if sys.argv[1:2] == ["score"]:
        print(f"score_application: {score_only():.4f} ms CPU per application (20,000 distinct texts, after the "
              "dictionaries' first load)")
    else:
        def _row(label, ours, base, unit):
            print(f"{label:<38} {ours:10.4f} {'-':>10}   {unit}")
        run(_row, sys.argv[1] if len(sys.argv) > 1 else None)
