"""Clients: the card's fields, validated wherever a client is saved."""
from __future__ import annotations

from datetime import date, datetime

from .access import check_client
from .audit import record
from .clock import iso
from .db import write_txn
from .errors import NotFound, ValidationError
from .tables import Client, Rep
from .validation import normalize_email, normalize_phone

CARD_FIELDS = ("name", "company", "position", "email", "phone", "birth_date", "hobbies", "marital_status", "family",
               "preferences", "notes", "address", "city", "country", "source")


def clean_fields(fields: dict) -> dict:
    out = {}
    for key, value in fields.items():
        if key not in CARD_FIELDS:
            raise ValidationError(f"{key!r} is not a client field ({', '.join(CARD_FIELDS)}).", field=key)
        value = (value or "").strip() if isinstance(value, str) else value
        if key == "email":
            value = normalize_email(value)
        elif key == "phone":
            value = normalize_phone(value)
        elif key == "birth_date" and value:
            try:
                value = date.fromisoformat(str(value))
            except ValueError:
                raise ValidationError(f"Date of birth {value!r} is not a date (YYYY-MM-DD).", field=key) from None
        out[key] = value or None
    return out


def check_required(values: dict) -> None:
    from .settings import get

    for spec in get("client.required"):
        names = spec.split("|")
        if not any(values.get(n) for n in names):
            raise ValidationError(f"A client needs {' or '.join(names)}.", field=names[0])


def add_client(actor: Rep, now: datetime, **fields) -> Client:
    values = clean_fields(fields)
    check_required(values)
    with write_txn():
        c = Client.create(**values, owner=actor.id, team=actor.team_id, created_at=now, updated_at=now)
        record(actor.login, "client", c.id, "create", new=values.get("name"), at=now)
    return c


def get_client(actor: Rep, client_id: int) -> Client:
    c = Client.get_or_none(Client.id == client_id)
    if c is None:
        raise NotFound(f"There is no client {client_id}.")
    check_client(actor, c)
    return c


def client_dict(c: Client) -> dict:
    d = {k: getattr(c, k) for k in CARD_FIELDS}
    d["birth_date"] = c.birth_date.isoformat() if c.birth_date else None
    return dict(id=c.id, **d, owner=c.owner.login if c.owner_id else None, segment=c.segment,
                last_purchase_at=iso(c.last_purchase_at), version=c.version)


def _client_query(actor: Rep, search: str | None = None, segment: str | None = None):
    from peewee import SQL

    from .access import scope
    from .db import is_postgres

    q = scope(Client.select().where(Client.merged_into.is_null()), actor, Client.owner, Client.team)
    if segment:
        q = q.where(Client.segment == segment)
    if search:
        import re

        terms = [t for t in re.findall(r"\w+", search.lower())][:6]
        if terms:
            if is_postgres():
                q = q.where(SQL("to_tsvector('simple', coalesce(t1.name,'') || ' ' || coalesce(t1.company,'') || ' ' "
                                "|| coalesce(t1.email,'') || ' ' || coalesce(t1.phone,'') || ' ' || coalesce(t1.notes,''))"
                                " @@ to_tsquery('simple', %s)", [" & ".join(f"{t}:*" for t in terms)]))
            else:
                match = " ".join('"' + t + '"*' for t in terms)
                q = q.where(Client.id.in_(SQL("(SELECT rowid FROM client_fts WHERE client_fts MATCH ?)", [match])))
    return q


def client_page(actor: Rep, *, after: tuple | None = None, before: tuple | None = None, last: bool = False,
                limit: int = 50, search: str | None = None, segment: str | None = None) -> list[Client]:
    """Clients by name, then id, in keyset pages (the same contract as the inbox's pages)."""
    from peewee import Tuple

    q = _client_query(actor, search, segment)
    order = (Client.name, Client.id)
    if after is not None:
        q = q.where(Tuple(*order) > Tuple(*after)).order_by(*order)
    elif before is not None or last:
        if before is not None:
            q = q.where(Tuple(*order) < Tuple(*before))
        q = q.order_by(*(f.desc() for f in order))
    else:
        q = q.order_by(*order)
    rows = list(q.limit(limit))
    if before is not None or last:
        rows.reverse()
    return rows


def client_count(actor: Rep, search: str | None = None, segment: str | None = None) -> int:
    return _client_query(actor, search, segment).count()
