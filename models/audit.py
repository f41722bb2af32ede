"""The audit trail: who, when, which record, which field, old, new.

Every operation writes its own rows inside its own transaction (bulk queries
skip peewee signals, so nothing here relies on them).
"""
from __future__ import annotations

import json
from datetime import date, datetime

from .access import sees_all, sees_only_own
from .clock import iso, utcnow
from .tables import Audit

SYSTEM = "system"


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if hasattr(value, "id") and hasattr(value, "_meta"):
        return str(value.id)
    return str(value)


def record(actor: str, kind: str, record_id: int, action: str, field: str | None = None,
           old=None, new=None, at: datetime | None = None, cause: str | None = None) -> None:
    """One audit row. CAUSE says why an automatic change happened ("invoice INV-2026-000012 issued")."""
    Audit.insert(at=at or utcnow(), actor=actor, kind=kind, record_id=record_id or 0, action=action,
                 field=field, old=_text(old), new=_text(new), cause=cause).execute()


def record_changes(actor: str, kind: str, record_id: int, old: dict, new: dict,
                   at: datetime | None = None, action: str = "update") -> list[str]:
    """One row per field whose value changed; returns the changed field names."""
    changed = []
    rows = []
    at = at or utcnow()
    for field, value in new.items():
        before = old.get(field)
        if _text(before) != _text(value):
            changed.append(field)
            rows.append(dict(at=at, actor=actor, kind=kind, record_id=record_id, action=action,
                             field=field, old=_text(before), new=_text(value)))
    if rows:
        Audit.insert_many(rows).execute()
    return changed


def history(kind: str, record_id: int, limit: int = 200) -> list[dict]:
    q = (Audit.select().where((Audit.kind == kind) & (Audit.record_id == record_id))
         .order_by(Audit.id.desc()).limit(limit))
    return [dict(id=a.id, at=iso(a.at), actor=a.actor, kind=a.kind, record_id=a.record_id, action=a.action,
                 field=a.field, old=a.old, new=a.new, cause=a.cause) for a in q]


def visible_history(actor, kind: str | None = None, record_id: int | None = None, limit: int = 200) -> list[dict]:
    """The audit trail as ACTOR may see it: managers, directors and admins see all of their scope;
    a rep sees the rows of the records they own (clients, deals, applications) and their own actions. The
    history of a client, deal or application the actor may not see (or that does not exist) is refused with
    NotYours: "There is no deal 14, or it is not yours." """
    from .errors import NotYours
    from .tables import Application, Client, Deal

    owned = {"client": Client, "deal": Deal, "application": Application}
    q = Audit.select().order_by(Audit.id.desc()).limit(limit)
    if kind:
        q = q.where(Audit.kind == kind)
    if record_id is not None:
        q = q.where(Audit.record_id == record_id)
    if sees_only_own(actor):
        if kind in owned and record_id is not None:
            row = owned[kind].get_or_none(owned[kind].id == record_id)
            if row is None or row.owner_id != actor.id:  # the one sentence: it says nothing of the record
                raise NotYours(kind, record_id)
        else:
            q = q.where(Audit.actor == actor.login)
    elif not sees_all(actor):  # a manager: the team
        from .access import can_see_owned
        from .tables import Invoice, Rep

        if kind in owned and record_id is not None:
            row = owned[kind].get_or_none(owned[kind].id == record_id)
            if row is None or not can_see_owned(actor, row.owner_id, row.team_id):
                raise NotYours(kind, record_id)
        else:  # the team's records and what the team's people did, nothing of other teams
            team = actor.team_id
            mine = (Audit.actor.in_(Rep.select(Rep.login).where((Rep.team == team) | (Rep.id == actor.id)))
                    | ((Audit.kind == "client") & Audit.record_id.in_(Client.select(Client.id)
                                                                     .where(Client.team == team)))
                    | ((Audit.kind == "deal") & Audit.record_id.in_(Deal.select(Deal.id).where(Deal.team == team)))
                    | ((Audit.kind == "application") & Audit.record_id.in_(
                        Application.select(Application.id).where(Application.team == team)))
                    | ((Audit.kind == "invoice") & Audit.record_id.in_(
                        Invoice.select(Invoice.id).join(Deal).where(Deal.team == team))))
            q = q.where(mine)
    return [dict(id=a.id, at=iso(a.at), actor=a.actor, kind=a.kind, record_id=a.record_id, action=a.action,
                 field=a.field, old=a.old, new=a.new, cause=a.cause) for a in q]


def recent_operations(kind: str, record_id: int, operations: int, scan: int = 400) -> list[list[dict]]:
    """The last OPERATIONS writes to one record, newest first, each as its audit rows (an operation's rows
    share actor, action and time)."""
    rows = (Audit.select().where((Audit.kind == kind) & (Audit.record_id == record_id))
            .order_by(Audit.id.desc()).limit(scan))
    groups: list[list[dict]] = []
    last_key = None
    for a in rows:
        key = (a.at, a.actor, a.action)
        if key != last_key:
            if len(groups) == operations:
                break
            groups.append([])
            last_key = key
        groups[-1].append(dict(actor=a.actor, action=a.action, field=a.field, old=a.old, new=a.new, at=iso(a.at)))
    return groups


def changes_since(kind: str, record_id: int, current_version: int, seen_version: int) -> tuple[str, str, list]:
    """Who changed a record since SEEN_VERSION and what: (who, "field: old -> new; ...", [(field, old, new)])."""
    from .text import one_line

    ops = recent_operations(kind, record_id, max(current_version - seen_version, 1))
    rows = [r for op in ops for r in op if r["field"]]
    who = ", ".join(sorted({r["actor"] for op in ops for r in op})) or "someone"
    latest: dict[str, tuple] = {}
    for r in reversed(rows):  # oldest first, so the first old and the last new win
        old = latest[r["field"]][0] if r["field"] in latest else r["old"]
        latest[r["field"]] = (old, r["new"])
    what = "; ".join(f"{f}: {one_line(o or '(empty)', 30)} -> {one_line(n or '(empty)', 30)}"
                     for f, (o, n) in list(latest.items())[:6]) or "its fields"
    return who, what, [(f, o, n) for f, (o, n) in latest.items()]


def stale_error(kind: str, label: str, record_id: int, current_version: int, seen_version: int):
    """A StaleRecord saying who changed what since SEEN_VERSION was read (from the audit trail)."""
    from .errors import StaleRecord

    who, what, changes = changes_since(kind, record_id, current_version, seen_version)
    return StaleRecord(f"{label} {record_id} was changed by {who} since you opened it ({what}); your save was not "
                       "applied: reload and apply your change again.", changes)
