"""Intake from files: one JSON application per line. Bad lines are reported by number and
kept in the quarantine; the good ones are stored together in one transaction."""
from __future__ import annotations

import json
from datetime import datetime

from .audit import record
from .clock import parse_iso
from .db import write_txn
from .errors import ValidationError
from .tables import CHANNELS, Quarantine

KEYS = ("channel", "received_at", "name", "email", "phone", "text", "subject")


def parse_line(raw: str, now: datetime) -> dict:
    """One line -> an application dict, or ValidationError with the reason."""
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise ValidationError("not a JSON object")
    data = {k: obj.get(k) for k in KEYS}
    for k in ("name", "email", "phone", "text", "subject", "channel"):
        if data[k] is not None and not isinstance(data[k], str):
            raise ValidationError(f"{k} must be a string")
    channel = (data["channel"] or "").strip().lower()
    if channel not in CHANNELS:
        raise ValidationError(f"channel must be one of {', '.join(CHANNELS)}, not {channel or '(empty)'!r}")
    data["channel"] = channel
    if data["received_at"]:
        if not isinstance(data["received_at"], str):
            raise ValidationError("received_at must be an ISO 8601 string")
        try:
            data["received_at"] = parse_iso(data["received_at"])
        except ValueError as exc:
            raise ValidationError(f"received_at: {exc}") from None
    else:
        data["received_at"] = now
    if not (data["text"] or "").strip():
        raise ValidationError("text is empty")
    if data["email"]:
        from .validation import normalize_email

        normalize_email(data["email"])
    if data["phone"]:
        from .validation import normalize_phone

        data["phone"] = normalize_phone(data["phone"])
    if not (data["name"] or data["email"] or data["phone"]):
        raise ValidationError("no name, e-mail or phone to answer")
    return data


def intake_jsonl(actor: str, text: str, source: str, now: datetime) -> dict:
    from .inbox import add_applications

    good, bad = [], []
    for no, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            good.append(parse_line(raw, now))
        except ValidationError as exc:
            bad.append((no, raw, str(exc)))
    ids = add_applications(actor, good, now) if good else []
    if bad:
        with write_txn():
            Quarantine.insert_many([dict(source=source[:300], line_no=no, raw=raw[:10000], reason=why,
                                         created_at=now) for no, raw, why in bad]).execute()
            record(actor, "quarantine", 0, "intake", new=f"{len(bad)} line(s) of {source} rejected", at=now)
    return dict(imported=sum(1 for i in ids if i is not None), ids=[i for i in ids if i is not None],
                rejected=[dict(line=no, reason=why) for no, _raw, why in bad])
