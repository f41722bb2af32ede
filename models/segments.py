"""Segments by time since the last purchase, and the follow-up cadence each one drives.

Bounds are days since the last purchase (setting `segments.bounds`), each band
closed on the left and open on the right, so every client is in exactly one:

    hot       0 <= days < hot (30)
    cooling   hot <= days < warm_from (90)
    warm      warm_from <= days < warm_to (120)
    lapsing   warm_to <= days < sleeping (180)
    sleeping  days >= sleeping
    never     no purchase yet
"""
from __future__ import annotations

from datetime import datetime, timedelta

from . import settings
from .audit import SYSTEM, record
from .clock import iso
from .engine import write_txn
from .errors import ValidationError
from .tables import ACTIVITY_KINDS, Client

SEGMENTS = ("hot", "cooling", "warm", "lapsing", "sleeping", "never")


def _check_bounds(value) -> None:
    names = ("hot", "warm_from", "warm_to", "sleeping")
    if set(value) != set(names):
        raise ValidationError(f"segments.bounds has exactly {', '.join(names)} (days).", field="value")
    for name in names:
        settings.whole(f"segments.bounds[{name}]", value[name], 1, 3650)
    if not value["hot"] <= value["warm_from"] <= value["warm_to"] <= value["sleeping"]:
        raise ValidationError("segments.bounds go up: hot <= warm_from <= warm_to <= sleeping.", field="value")


def _check_cadence(value) -> None:
    for seg, rule in value.items():
        if seg not in SEGMENTS or not isinstance(rule, dict):
            raise ValidationError(f"segments.cadence maps a segment ({', '.join(SEGMENTS)}) to "
                                  '{"every_days": N, "kind": "call", "subject": "..."}.', field="value")
        settings.whole(f"segments.cadence[{seg}].every_days", rule.get("every_days", 0), 0, 3650)
        if rule.get("kind", "task") not in ACTIVITY_KINDS:
            raise ValidationError(f"segments.cadence[{seg}].kind is one of {', '.join(ACTIVITY_KINDS)}.",
                                  field="value")
        if not isinstance(rule.get("subject", ""), str):
            raise ValidationError(f"segments.cadence[{seg}].subject is text.", field="value")


DEFAULT_BOUNDS = {"hot": 30, "warm_from": 90, "warm_to": 120, "sleeping": 180}
settings.declare("segments.bounds", DEFAULT_BOUNDS, check=_check_bounds, writers=settings.MANAGERS,
                 doc="Segment bounds in days since the last purchase.")
settings.declare("segments.cadence", {
    "hot": {"every_days": 7, "kind": "message", "subject": "Promotions and product care tips"},
    "warm": {"every_days": 14, "kind": "call", "subject": "Call: offer related products"},
    "sleeping": {"every_days": 90, "kind": "call", "subject": "Wake-up call: discount or gift"},
}, check=_check_cadence, writers=settings.MANAGERS,
    doc="Follow-up cadence per segment: every N days, which activity kind.")


def segment_for(last_purchase_at: datetime | None, now: datetime, bounds: dict) -> str:
    if last_purchase_at is None:
        return "never"
    days = (now - last_purchase_at).total_seconds() / 86400
    if days < bounds["hot"]:
        return "hot"
    if days < bounds["warm_from"]:
        return "cooling"
    if days < bounds["warm_to"]:
        return "warm"
    if days < bounds["sleeping"]:
        return "lapsing"
    return "sleeping"


def refresh_segment(client_id: int, now: datetime) -> str:
    """Put one client in its segment as of NOW (after its last purchase changed); audited when it moves."""
    with write_txn():
        c = Client.get_by_id(client_id)
        seg = segment_for(c.last_purchase_at, now, settings.get("segments.bounds"))
        if seg != c.segment:
            Client.update(segment=seg).where(Client.id == c.id).execute()
            record(SYSTEM, "client", c.id, "segment", field="segment", old=c.segment, new=seg, at=now)
    return seg


def recompute_segments(now: datetime, batch: int = 1000) -> int:
    """Put every client in its segment as of NOW; returns how many moved (each audited as the system)."""
    bounds = settings.get("segments.bounds")
    moved = 0
    last_id = 0
    while True:
        with write_txn():
            rows = list(Client.select(Client.id, Client.segment, Client.last_purchase_at)
                        .where(Client.id > last_id).order_by(Client.id).limit(batch))
            if not rows:
                break
            for c in rows:
                seg = segment_for(c.last_purchase_at, now, bounds)
                if seg != c.segment:
                    Client.update(segment=seg).where(Client.id == c.id).execute()
                    record(SYSTEM, "client", c.id, "segment", field="segment", old=c.segment, new=seg, at=now)
                    moved += 1
            last_id = rows[-1].id
    return moved


def sweep_cadence(now: datetime) -> int:
    """Create the due follow-up tasks for each client's owner, once per period of its segment's cadence.

    The task's origin key names client, segment and period, so running this again (or from
    several processes at once) creates nothing twice; a client changing segment changes cadence.
    A new cadence task supersedes the client's earlier cadence task still undone (it is cancelled, not
    done: the rep has one follow-up per client, not a pile), each batch in one transaction.
    """
    from .activities import create_origin_tasks
    recompute_segments(now)
    cadence = settings.get("segments.cadence")
    epoch = datetime(2020, 1, 6)  # a Monday: periods are counted from here
    created = 0
    for seg, rule in cadence.items():
        every = int(rule.get("every_days", 0) or 0)
        if every <= 0:
            continue
        period = int((now - epoch).total_seconds() // (every * 86400))
        last_id = 0
        while True:
            rows = list(Client.select(Client.id, Client.owner, Client.name)
                        .where((Client.segment == seg) & Client.owner.is_null(False) & Client.merged_into.is_null()
                               & Client.lost_reason.is_null()  # a lost client is not chased
                               & (Client.id > last_id)).order_by(Client.id).limit(500))
            if not rows:
                break
            with write_txn():  # the batch's tasks in one insert (an origin made before is skipped)
                tasks = [dict(rep_id=c.owner_id, subject=f"{rule.get('subject', 'Follow up')}: {c.name}",
                              due_at=now + timedelta(hours=1), kind=rule.get("kind", "task"), client_id=c.id,
                              origin=f"cadence:{c.id}:{seg}:{period}") for c in rows]
                client_of = {t["origin"]: t["client_id"] for t in tasks}
                made = create_origin_tasks(SYSTEM, tasks, now=now)
                fresh: dict[int, int] = {client_of[o]: aid for o, aid in made.items()}  # client -> its new task
                supersede_cadence(fresh, now)
            created += len(fresh)
            last_id = rows[-1].id
    return created


def supersede_cadence(fresh: dict[int, int], now: datetime) -> int:
    """Cancel each client's undone cadence tasks older than the one just created for it (FRESH maps client
    id -> that task's id): one select, one update and one audit insert per batch; inside the caller's
    transaction. Returns how many were cancelled. Only the process that created a task supersedes for it,
    so concurrent sweeps never fight over the same rows."""
    from .tables import Activity, Audit

    if not fresh:
        return 0
    old = [(a.id, a.client_id) for a in Activity.select(Activity.id, Activity.client)
           .where(Activity.client.in_(list(fresh)) & Activity.origin.startswith("cadence:")
                  & Activity.done_at.is_null() & Activity.cancelled_at.is_null()
                  & Activity.id.not_in(list(fresh.values())))]
    old = [(aid, cid) for aid, cid in old if aid < fresh[cid]]
    if not old:
        return 0
    ids = [aid for aid, _cid in old]
    (Activity.update(cancelled_at=now, version=Activity.version + 1)
     .where(Activity.id.in_(ids) & Activity.cancelled_at.is_null()).execute())
    Audit.insert_many([dict(at=now, actor=SYSTEM, kind="activity", record_id=aid, action="cancel",
                            field="cancelled_at", old=None, new=iso(now),
                            cause=f"superseded by cadence task {fresh[cid]}") for aid, cid in old]).execute()
    return len(ids)
