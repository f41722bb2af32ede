"""The product catalog and its CSV import (all rows or none).

Columns sku,name,category,price,currency, and an optional `aliases`: other names of the product (other
languages, trade slang), separated by ';', that the ranking matches like the name (issue 14)."""
from __future__ import annotations

import csv
import io

from .audit import record
from .clock import utcnow
from .engine import write_txn
from .errors import ValidationError
from .money import check_currency, parse_amount
from .tables import Product

COLUMNS = ["sku", "name", "category", "price", "currency"]
OPTIONAL = ["aliases"]
ALIASES_MAX = 2000


class ImportError_(ValidationError):
    """A file had bad rows; nothing of it was stored."""

    def __init__(self, problems: list[tuple[int, str]]):
        self.problems = problems
        head = "; ".join(f"line {n}: {why}" for n, why in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(f"Nothing was imported: {head}{more}.")


def parse_products_csv(text: str) -> list[dict]:
    """Validate every row; raise ImportError_ listing each bad line, or return clean rows."""
    reader = csv.reader(io.StringIO(text))
    problems: list[tuple[int, str]] = []
    try:
        header = next(reader)
    except StopIteration:
        raise ImportError_([(1, "the file is empty; expected the header " + ",".join(COLUMNS))]) from None
    header = [h.strip().lower().lstrip("\ufeff") for h in header]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ImportError_([(1, f"the header lacks column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}")])
    idx = {c: header.index(c) for c in COLUMNS + OPTIONAL if c in header}
    rows, seen = [], {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problems.append((line, f"expected {len(header)} columns, found {len(row)}"))
                continue
            get = lambda c: row[idx[c]].strip()  # noqa: E731
            sku, name = get("sku"), get("name")
            if not sku:
                problems.append((line, "sku is empty"))
                continue
            if sku in seen:
                problems.append((line, f"sku {sku} repeats line {seen[sku]}"))
                continue
            seen[sku] = line
            if not name:
                problems.append((line, f"{sku}: name is empty"))
                continue
            try:
                currency = check_currency(get("currency"))
                price = parse_amount(get("price"), currency)
                if price < 0:
                    raise ValueError("price is negative")
            except ValueError as exc:
                problems.append((line, f"{sku}: {exc}"))
                continue
            aliases = "; ".join(a.strip() for a in get("aliases").replace("|", ";").split(";") if a.strip()) \
                if "aliases" in idx else ""
            if len(aliases) > ALIASES_MAX:
                problems.append((line, f"{sku}: aliases are {len(aliases)} characters long; at most {ALIASES_MAX}"))
                continue
            row_ = dict(sku=sku, name=name, category=get("category"), price_minor=price, currency=currency)
            if "aliases" in idx:
                row_["aliases"] = aliases or None
            rows.append(row_)
    except csv.Error as exc:
        problems.append((reader.line_num, f"not valid CSV ({exc})"))
    if problems:
        raise ImportError_(problems)
    return rows


def import_products(actor: str, text: str, now=None) -> dict:
    now = now or utcnow()
    rows = parse_products_csv(text)
    added = updated = 0
    with write_txn():
        from .access import admin_gate

        admin_gate(actor, "change the catalog", roles=("admin", "director", "manager"))
        existing = {p.sku: p for p in Product.select()}
        for r in rows:
            old = existing.get(r["sku"])
            if old is None:
                p = Product.create(**r)
                record(actor, "product", p.id, "create", new=f"{r['sku']} {r['name']}", at=now)
                added += 1
            elif (old.name, old.category, old.price_minor, old.currency, old.active) != (
                    r["name"], r["category"], r["price_minor"], r["currency"], True) or \
                    ("aliases" in r and (old.aliases or None) != r["aliases"]):
                Product.update(**r, active=True, version=Product.version + 1).where(Product.id == old.id).execute()
                record(actor, "product", old.id, "update", field="price",
                       old=f"{old.price_minor} {old.currency}", new=f"{r['price_minor']} {r['currency']}", at=now)
                updated += 1
    _catalog_changed()
    return dict(added=added, updated=updated, total=len(rows))


def _catalog_changed() -> None:
    from .scoring import invalidate_catalog

    invalidate_catalog()


def list_products() -> list[Product]:
    return list(Product.select().where(Product.active == True).order_by(Product.sku))  # noqa: E712
