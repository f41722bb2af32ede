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
