"""Drafts: what a rep was typing when the line dropped, offered back at the next login."""
from __future__ import annotations

import json
from datetime import datetime

from .db import write_txn
from .tables import Draft, Rep


def save_draft(rep: Rep, form: str, data: dict, now: datetime) -> None:
    """Keep one draft per rep and form; an empty form leaves nothing behind."""
    if not any(str(v).strip() for v in data.values()):
        return
    with write_txn():
        payload = json.dumps(data, ensure_ascii=False)
        n = Draft.update(data=payload, saved_at=now).where((Draft.rep == rep.id) & (Draft.form == form)).execute()
        if not n:
            Draft.create(rep=rep.id, form=form, data=payload, saved_at=now)


def take_drafts(rep: Rep) -> list[dict]:
    """Return and remove the rep's drafts, newest first (restoring puts them back in a form)."""
    with write_txn():
        rows = list(Draft.select().where(Draft.rep == rep.id).order_by(Draft.saved_at.desc()))
        Draft.delete().where(Draft.rep == rep.id).execute()
    return [dict(form=d.form, data=json.loads(d.data), saved_at=d.saved_at) for d in rows]


def has_drafts(rep: Rep) -> bool:
    return Draft.select().where(Draft.rep == rep.id).exists()
