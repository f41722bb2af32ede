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
    ranges = {"smtp.port": (1, 65535), "smtp.timeout": (1, 600), "invoice.due_hours": (1, 24 * 366)}
    if key in ranges:
        _whole(key, value, *ranges[key])
    if key == "sla.minutes":
        from .tables import CHANNELS

        if set(value) - set(CHANNELS):
            raise ValidationError(f"sla.minutes has a number of minutes per channel ({', '.join(CHANNELS)}).",
                                  field="value")
        for channel, minutes in value.items():
            _whole(f"sla.minutes[{channel}]", minutes, 1, 60 * 24 * 30)
    if key == "sla.strategy" and value not in ("round_robin", "least_loaded"):
        raise ValidationError('sla.strategy is "round_robin" or "least_loaded".', field="value")
    if key == "segments.bounds":
        names = ("hot", "warm_from", "warm_to", "sleeping")
        if set(value) != set(names):
            raise ValidationError(f"segments.bounds has exactly {', '.join(names)} (days).", field="value")
        for name in names:
            _whole(f"segments.bounds[{name}]", value[name], 1, 3650)
        if not value["hot"] <= value["warm_from"] <= value["warm_to"] <= value["sleeping"]:
            raise ValidationError("segments.bounds go up: hot <= warm_from <= warm_to <= sleeping.", field="value")
    if key == "segments.cadence":
        from .segments import SEGMENTS
        from .tables import ACTIVITY_KINDS

        for seg, rule in value.items():
            if seg not in SEGMENTS or not isinstance(rule, dict):
                raise ValidationError(f"segments.cadence maps a segment ({', '.join(SEGMENTS)}) to "
                                      '{"every_days": N, "kind": "call", "subject": "..."}.', field="value")
            _whole(f"segments.cadence[{seg}].every_days", rule.get("every_days", 0), 0, 3650)
            if rule.get("kind", "task") not in ACTIVITY_KINDS:
                raise ValidationError(f"segments.cadence[{seg}].kind is one of {', '.join(ACTIVITY_KINDS)}.",
                                      field="value")
            if not isinstance(rule.get("subject", ""), str):
                raise ValidationError(f"segments.cadence[{seg}].subject is text.", field="value")
    if key == "phone.region":
        import phonenumbers

        if value not in phonenumbers.SUPPORTED_REGIONS:
            raise ValidationError(f"phone.region is a two-letter region phone numbers know (GB, ES, DE ...), "
                                  f"not {value!r}.", field="value")
    if key == "scoring.weights":
        from .scoring import DEFAULT_WEIGHTS

        for name, weight in value.items():
            if name not in DEFAULT_WEIGHTS:
                raise ValidationError(f"scoring.weights knows {', '.join(DEFAULT_WEIGHTS)}; not {name!r}.",
                                      field="value")
            _whole(f"scoring.weights[{name}]", weight, -1000, 1000)
    if key == "client.required":
        from .clients import CARD_FIELDS

        for spec in value:
            names = [n.strip() for n in str(spec).split("|")]
            bad = [n for n in names if n not in CARD_FIELDS]
            if not isinstance(spec, str) or not names or bad:
                raise ValidationError(f"client.required lists client fields, alternatives joined by | "
                                      f"(\"email|phone\"); {', '.join(bad) or spec!r} is not one "
                                      f"({', '.join(CARD_FIELDS)}).", field="value")


def _whole(name: str, value, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{name} is a whole number from {low} to {high}.", field="value")
