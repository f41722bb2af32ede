"""Activities (calls, e-mails, messages, meetings) and tasks with due dates; the day's agenda.

An activity with a due date and no done date is open (a task, or a call or meeting scheduled for later);
one with `cancelled_at` was superseded or cancelled and is neither open nor done."""
from __future__ import annotations

from datetime import datetime

from peewee import IntegrityError

from .access import sees_only_own
from .audit import record
from .clock import iso, local
from .engine import database, write_txn
from .errors import DomainError, NotYours, ValidationError
from .tables import ACTIVITY_KINDS, Activity, Rep


def activity_dict(a: Activity) -> dict:
    return dict(id=a.id, kind=a.kind, rep=a.rep.login if a.rep_id else None, client_id=a.client_id,
                deal_id=a.deal_id, application_id=a.application_id, subject=a.subject, note=a.note,
                due_at=iso(a.due_at), done_at=iso(a.done_at), created_at=iso(a.created_at), origin=a.origin,
                cancelled_at=iso(a.cancelled_at), status=activity_status(a))


def activity_status(a: Activity) -> str:
    """done, cancelled, scheduled (open with a due date) or logged (no date: an old note)."""
    if a.cancelled_at is not None:
        return "cancelled"
    if a.done_at is not None:
        return "done"
    return "scheduled" if a.due_at is not None else "logged"


def _open():
    """Open: not done, not cancelled."""
    return Activity.done_at.is_null() & Activity.cancelled_at.is_null()


def create_task(actor: str, rep_id: int | None, subject: str, due_at: datetime | None, *, now: datetime,
                kind: str = "task", client_id: int | None = None, deal_id: int | None = None,
                application_id: int | None = None, note: str | None = None,
                origin: str | None = None) -> Activity | None:
    """Create an open task. With ORIGIN (an idempotency key) a second call creates nothing and returns None.

    Runs inside the caller's transaction when there is one.
    """
    if kind not in ACTIVITY_KINDS:
        raise ValidationError(f"Kind {kind!r} is not one of {', '.join(ACTIVITY_KINDS)}.", field="kind")
    with write_txn():
        if origin and Activity.select().where(Activity.origin == origin).exists():
            return None
        try:
            with database.atomic():  # savepoint: a racing duplicate origin is not an error
                a = Activity.create(kind=kind, rep=rep_id, client=client_id, deal=deal_id,
                                    application=application_id, subject=subject, note=note, due_at=due_at,
                                    origin=origin, created_at=now)
        except IntegrityError:
            if origin:
                return None
            raise
        record(actor, "activity", a.id, "create", new=f"{kind}: {subject}", at=now)
    return a


def create_origin_tasks(actor: str, tasks: list[dict], *, now: datetime) -> dict[str, int]:
    """Create many generated tasks at once (the sweep's cadence): each dict has rep_id, subject, due_at,
    kind, client_id and ORIGIN, its idempotency key. One INSERT that skips every origin already there (made
    by an earlier run, or by another process a moment ago: ON CONFLICT DO NOTHING on the unique origin) and
    returns the rows it made, then one audit insert for them. Inside the caller's transaction.
    Returns origin -> new task id, for the tasks this call created."""
    from .audit import _text
    from .engine import db_time, insert_rows
    from .tables import Audit

    for t in tasks:
        if t.get("kind", "task") not in ACTIVITY_KINDS:
            raise ValidationError(f"Kind {t['kind']!r} is not one of {', '.join(ACTIVITY_KINDS)}.", field="kind")
    if not tasks:
        return {}
    created: dict[str, int] = {}
    with write_txn():
        for i in range(0, len(tasks), 500):
            rows = [dict(kind=t.get("kind", "task"), rep=t["rep_id"], client=t.get("client_id"),
                         subject=t["subject"], due_at=t["due_at"], origin=t["origin"], created_at=now)
                    for t in tasks[i:i + 500]]
            q = (Activity.insert_many(rows).on_conflict(conflict_target=[Activity.origin], action="NOTHING")
                 .returning(Activity.id, Activity.origin))  # only the origin's conflict: nothing else hidden
            for row in q.tuples().execute():
                created[row[1]] = row[0]
        by_origin = {t["origin"]: t for t in tasks}
        insert_rows(Audit, ("at", "actor", "kind", "record_id", "action", "new"), [
            (db_time(now), actor, "activity", aid, "create",
             _text(f"{by_origin[origin].get('kind', 'task')}: {by_origin[origin]['subject']}"))
            for origin, aid in created.items()])
    return created


def _check_targets(actor: Rep, client_id, deal_id) -> None:
    """The acting rep may see the client and deal an activity is about (and the deal is that client's)."""
    from .access import check_client, check_deal
    from .tables import Client, Deal

    if client_id is not None:
        c = Client.get_or_none(Client.id == client_id)
        if c is None:
            raise NotYours("client", client_id)
        check_client(actor, c)
    if deal_id is not None:
        d = Deal.get_or_none(Deal.id == deal_id)
        if d is None:
            raise NotYours("deal", deal_id)
        check_deal(actor, d)
        if client_id is not None and d.client_id != client_id:
            raise ValidationError(f"Deal {deal_id} is not client {client_id}'s.", field="deal")


def _kind_and_subject(kind: str, subject: str | None, missing: str) -> str:
    if kind not in ACTIVITY_KINDS:
        raise ValidationError(f"Kind {kind!r} is not one of {', '.join(ACTIVITY_KINDS)}.", field="kind")
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError(missing, field="subject")
    return subject


def log_activity(actor: Rep, kind: str, subject: str, *, now: datetime, client_id=None, deal_id=None,
                 application_id=None, note=None) -> Activity:
    """A thing that happened (a call made, an e-mail sent): created done."""
    subject = _kind_and_subject(kind, subject, "Say what happened (a subject).")
    with write_txn():
        _check_targets(actor, client_id, deal_id)
        a = Activity.create(kind=kind, rep=actor.id, client=client_id, deal=deal_id, application=application_id,
                            subject=subject, note=note, done_at=now, created_at=now)
        record(actor.login, "activity", a.id, "create", new=f"{kind}: {subject}", at=now)
    return a


def add_task(actor: Rep, client_id: int, subject: str, due_at: datetime, now: datetime, *, deal_id=None,
             kind: str = "task", note: str | None = None) -> Activity:
    """A task about a client (and one of its deals) for the client's owner (the acting rep when the client
    has none), due at DUE_AT."""
    from .tables import Client

    subject = _kind_and_subject(kind, subject, "A task needs a subject.")
    with write_txn():
        _check_targets(actor, client_id, deal_id)
        owner = Client.get_by_id(client_id).owner_id or actor.id
        return create_task(actor.login, owner, subject, due_at, now=now, kind=kind, client_id=client_id,
                           deal_id=deal_id, note=(note or "").strip() or None)


SCHEDULE_KINDS = ("call", "meeting", "email", "message")


def schedule(actor: Rep, client_id: int, kind: str, subject: str, due_at: datetime, now: datetime,
             deal_id: int | None = None, note: str | None = None) -> Activity:
    """A call or meeting (or an e-mail or message to send) planned with a client at DUE_AT (UTC; the CLI and
    the screens read it in the rep's zone), for the client's owner: open until done, on their agenda."""
    if kind not in SCHEDULE_KINDS:
        raise ValidationError(f"One schedules a {', a '.join(SCHEDULE_KINDS)}, not a {kind!r}.", field="kind")
    subject = _kind_and_subject(kind, subject, f"Say what the {kind} is about (a subject).")
    if due_at is None:
        raise ValidationError(f"A scheduled {kind} needs its date and time.", field="due")
    if due_at <= now:
        raise ValidationError(f"A scheduled {kind} is in the future; log one that happened instead.", field="due")
    return add_task(actor, client_id, subject, due_at, now, deal_id=deal_id, kind=kind, note=note)


def client_activities(actor: Rep, client_id: int, limit: int = 200) -> list[dict]:
    """What happened and what is planned with a client (and its deals), newest first, as activity dicts
    (status done, scheduled, cancelled or logged); the client must be ACTOR's to see."""
    from .access import check_client
    from .tables import Client, Deal

    c = Client.get_or_none(Client.id == client_id)
    if c is None:
        raise NotYours("client", client_id)
    check_client(actor, c)
    mine = (Activity.client == c.id) | Activity.deal.in_(Deal.select(Deal.id).where(Deal.client == c.id))
    from peewee import fn

    rows = (Activity.select().where(mine)  # the latest moment first: planned ones, then what happened
            .order_by(fn.COALESCE(Activity.due_at, Activity.done_at, Activity.created_at).desc(), Activity.id.desc())
            .limit(max(1, min(int(limit), 10000))))
    return [activity_dict(a) for a in rows]


def complete_task(actor: Rep, task_id: int, now: datetime) -> Activity:
    from .access import can_see_owned

    with write_txn():
        a = Activity.get_or_none(Activity.id == task_id)
        rep = Rep.get_or_none(Rep.id == a.rep_id) if a is not None and a.rep_id else None
        if a is None or a.due_at is None or not (
                a.rep_id == actor.id or (not sees_only_own(actor) and can_see_owned(actor, a.rep_id,
                                                                                 rep.team_id if rep else None))):
            raise NotYours("task", task_id)
        if a.cancelled_at is not None:
            raise DomainError(f"Task {task_id} was cancelled (a newer follow-up replaced it); there is nothing "
                              "to mark done.")
        if a.done_at is None:
            Activity.update(done_at=now, version=Activity.version + 1).where(Activity.id == task_id).execute()
            record(actor.login, "activity", task_id, "update", field="done_at", old=None, new=now, at=now)
        a.done_at = now
    return a


def open_tasks(rep: Rep, limit: int = 500) -> list[Activity]:
    return list(Activity.select().where((Activity.rep == rep.id) & _open() & Activity.due_at.is_null(False))
                .order_by(Activity.due_at, Activity.id).limit(limit))


def agenda(rep: Rep, now: datetime) -> list[Activity]:
    """Open tasks due by the end of the rep's local day (overdue included), soonest first."""
    loc = local(now, rep.timezone)
    end_local = loc.replace(hour=23, minute=59, second=59, microsecond=0)
    end_utc = now + (end_local - loc)
    return list(Activity.select().where((Activity.rep == rep.id) & _open() & (Activity.due_at <= end_utc))
                .order_by(Activity.due_at, Activity.id).limit(500))


def next_task_due(client_id: int) -> datetime | None:
    a = (Activity.select(Activity.due_at).where((Activity.client == client_id) & _open()
                                                & Activity.due_at.is_null(False))
         .order_by(Activity.due_at).first())
    return a.due_at if a else None


def next_tasks_due(client_ids: list[int]) -> dict[int, datetime]:
    """next_task_due for a page of clients in one grouped query (lists fetch it with their rows)."""
    from peewee import fn

    if not client_ids:
        return {}
    q = (Activity.select(Activity.client, fn.MIN(Activity.due_at))
         .where(Activity.client.in_(client_ids) & _open() & Activity.due_at.is_null(False))
         .group_by(Activity.client).tuples())
    out = {}
    for cid, due in q:
        if isinstance(due, str):  # SQLite returns MIN() of a datetime column as text
            from .clock import parse_iso

            due = parse_iso(due)
        out[cid] = due
    return out
