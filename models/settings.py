"""Team-wide settings, stored in the database so every process sees the same.

Each key has a default here; `repdesk config set KEY VALUE` (admin/manager)
overrides it, with an audit row.
"""
from __future__ import annotations

import copy
import json

from .audit import record
from .clock import utcnow
from .db import write_txn
from .errors import ValidationError
from .tables import Setting

DEFAULTS: dict[str, object] = {
    # Minutes a new application waits for its first contact, per channel.
    "sla.minutes": {"phone": 60, "email": 60, "social": 60, "website": 60},
    # How an overdue application finds its next rep: "round_robin" or "least_loaded".
    "sla.strategy": "round_robin",
    # Segment bounds in days since the last purchase (see models.segments).
    "segments.bounds": {"hot": 30, "warm_from": 90, "warm_to": 120, "sleeping": 180},
    # Follow-up cadence per segment: every N days, which activity kind.
    "segments.cadence": {
        "hot": {"every_days": 7, "kind": "message", "subject": "Promotions and product care tips"},
        "warm": {"every_days": 14, "kind": "call", "subject": "Call: offer related products"},
        "sleeping": {"every_days": 90, "kind": "call", "subject": "Wake-up call: discount or gift"},
    },
    # Hours an invoice is due after issue.
    "invoice.due_hours": 72,
    # Fields every client must have; "a|b" means at least one of them.
    "client.required": ["name", "email|phone"],
    # Default region for phone numbers written without +country code.
    "phone.region": "GB",
    # Scoring weight overrides (see models.scoring.DEFAULT_WEIGHTS).
    "scoring.weights": {},
    # Payment reminders by e-mail go through this SMTP relay (no authentication: a relay on the host or LAN).
    "smtp.host": "localhost",
    "smtp.port": 25,
    "smtp.from": "repdesk@localhost",
    "smtp.timeout": 15,
    # Reminders by SMS run this command with the number and the text as two more arguments (no shell):
    # a list ["/usr/local/bin/send-sms", "--sender", "ACME"] or a string split like a shell would.
    "sms.command": None,
}


# Settings a manager may change too (the rest are the admin's).
MANAGER_SETTINGS = {k: ("admin", "director", "manager") for k in ("client.required", "segments.bounds",
                                                                   "segments.cadence", "invoice.due_hours")}


def get(key: str):
    row = Setting.get_or_none(Setting.key == key)
    if row is None:
        if key not in DEFAULTS:
            raise ValidationError(f"There is no setting {key!r}.", field="key")
        return copy.deepcopy(DEFAULTS[key])
    return json.loads(row.value)


def all_settings() -> dict:
    out = copy.deepcopy(DEFAULTS)
    for row in Setting.select():
        out[row.key] = json.loads(row.value)
    return out


def put(actor: str, key: str, value, now=None) -> None:
    if key not in DEFAULTS:
        raise ValidationError(f"There is no setting {key!r}; known: {', '.join(sorted(DEFAULTS))}.", field="key")
    default = DEFAULTS[key]
    if isinstance(default, dict) and not isinstance(value, dict):
        raise ValidationError(f"{key} takes a JSON object.", field="value")
    if isinstance(default, list) and not isinstance(value, list):
        raise ValidationError(f"{key} takes a JSON list.", field="value")
    if isinstance(default, int) and not isinstance(default, bool) and not isinstance(value, int):
        raise ValidationError(f"{key} takes a whole number.", field="value")
    _check_value(key, value)
    now = now or utcnow()
    with write_txn():
        from .access import admin_gate

        admin_gate(actor, f"change the setting {key}", roles=MANAGER_SETTINGS.get(key, ("admin",)))
        row = Setting.get_or_none(Setting.key == key)
        old = row.value if row else json.dumps(default)
        new = json.dumps(value, sort_keys=True)
        if row is None:
            Setting.create(key=key, value=new)
        else:
            Setting.update(value=new, version=Setting.version + 1).where(Setting.key == key).execute()
        record(actor, "setting", 0, "set", field=key, old=old, new=new, at=now)


def _check_value(key: str, value) -> None:
    """Refuse a value the code reading the setting could not use (checked when it is written)."""
    if key == "sms.command" and value is not None and not (
            isinstance(value, str) or (isinstance(value, list) and value and all(isinstance(x, str) for x in value))):
        raise ValidationError("sms.command is a command line (a string, or a list of strings), or null.",
                              field="value")
    if key in ("smtp.host", "smtp.from") and not (isinstance(value, str) and value.strip()):
        raise ValidationError(f"{key} is a non-empty string.", field="value")
    if key in ("smtp.port", "smtp.timeout", "invoice.due_hours") and not (isinstance(value, int) and value > 0):
        raise ValidationError(f"{key} is a positive whole number.", field="value")
    if key == "client.required":
        from .clients import CARD_FIELDS

        for spec in value:
            names = [n.strip() for n in str(spec).split("|")]
            bad = [n for n in names if n not in CARD_FIELDS]
            if not isinstance(spec, str) or not names or bad:
                raise ValidationError(f"client.required lists client fields, alternatives joined by | "
                                      f"(\"email|phone\"); {', '.join(bad) or spec!r} is not one "
                                      f"({', '.join(CARD_FIELDS)}).", field="value")
