"""Drafts: what a rep was typing when the line dropped, offered back at the next login."""
from __future__ import annotations

import json
from datetime import datetime

from .engine import write_txn
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


def take_draft(rep: Rep, kinds: set[str] | None = None) -> dict | None:
    """Return and remove the rep's newest draft whose form kind (the part before ':') is in KINDS
    (any kind when None); drafts of other kinds stay for a screen that can restore them. The drafts are
    read first, outside any write: with none to take (the usual start-up) no write lock is asked for, so a
    long write elsewhere does not hold up the workstation's start (issue 12). The delete is guarded: a
    draft another session took in between is not returned twice."""
    while True:
        found = None
        for d in (Draft.select(Draft.id, Draft.form).where(Draft.rep == rep.id)
                  .order_by(Draft.saved_at.desc(), Draft.id.desc()).tuples()):
            if kinds is None or d[1].partition(":")[0] in kinds:
                found = d[0]
                break
        if found is None:
            return None
        with write_txn():
            d = Draft.get_or_none(Draft.id == found)
            if d is not None and Draft.delete().where(Draft.id == found).execute() == 1:
                return dict(form=d.form, data=json.loads(d.data), saved_at=d.saved_at)
        # taken by another session meanwhile: look again


def take_drafts(rep: Rep) -> list[dict]:
    """Return and remove all of the rep's drafts, newest first."""
    out = []
    while (d := take_draft(rep)) is not None:
        out.append(d)
    return out


def has_drafts(rep: Rep) -> bool:
    return Draft.select().where(Draft.rep == rep.id).exists()


def count_drafts(rep: Rep) -> int:
    return Draft.select().where(Draft.rep == rep.id).count()
