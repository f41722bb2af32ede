"""Nothing happens unseen: what a rep should hear about, derived from what is already recorded.

A notice is not stored: it is read from the rows the operations write anyway (the intake's audit row,
transfers, payments, the audit rows of plan decisions, notes, orders, tasks), for what happened after
the rep last opened their notices (`Rep.notices_seen_at`, at most `WINDOW` back), and scoped by role:

- a new application in the open inbox (or given to the rep; a manager: to the team) - reps and managers;
- an application moved to or from the rep (a manager: to or from the team);
- a failed payment, a plan or credit note decided, an order shipped - on the rep's deals (a manager:
  the team's deals too);
- one of the rep's own tasks falling due.

What the rep did themself is not news to them (their own transfers, payments, decisions). Each kind is
read with one bounded query (at most CAP rows); a manager also gets how many plans and credit notes of
the team wait for a decision.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from peewee import JOIN

from .access import leads_team, sees_all, takes_applications
from .engine import write_txn
from .money import plain_amount
from .tables import (Activity, Application, Audit, Client, Deal, InstallmentPlan, Invoice, Note, Order, Payment,
                     Rep, Transfer)
from .text import one_line

CAP = 100                    # rows read per kind: the counter says "99+" beyond
WINDOW = timedelta(days=7)   # a rep back from a month away is not shown the whole month
KINDS = ("application", "transfer", "payment_failed", "plan_decided", "note_decided", "order_shipped", "task_due")


def seen_at(actor) -> datetime | None:
    return Rep.select(Rep.notices_seen_at).where(Rep.id == actor.id).scalar()


def since_for(actor, now: datetime) -> datetime:
    """The moment notices count from: when the rep last looked, at most WINDOW back."""
    seen = seen_at(actor)
    if isinstance(seen, str):  # a raw value from SQLite
        from .clock import parse_iso

        seen = parse_iso(seen)
    floor = now - WINDOW
    return max(seen, floor) if seen is not None else floor


def mark_seen(actor, now: datetime) -> None:
    """The rep opened their notices: the counter starts again from NOW.

    Not audited and no version bump: it is a read receipt of one rep's own view, not a change to any
    record another person edits (bumping Rep.version would refuse an admin's edit of the rep)."""
    with write_txn():
        (Rep.update(notices_seen_at=now)
         .where((Rep.id == actor.id) & (Rep.notices_seen_at.is_null() | (Rep.notices_seen_at < now)))
         .execute())


def _deal_scope(actor):
    """The deals whose news reaches ACTOR: their own; a manager's team's too."""
    if leads_team(actor):
        return (Deal.owner == actor.id) | (Deal.team == actor.team_id)
    return Deal.owner == actor.id


def _team_rep_ids(actor) -> list[int]:
    return [r.id for r in Rep.select(Rep.id).where(Rep.team == actor.team_id)]


def _money(minor, currency) -> str:
    return f"{plain_amount(minor, currency)} {currency}" if minor is not None else ""


def _notice(kind: str, key: str, at, text: str, record: str, record_id: int, client_id=None) -> dict:
    return dict(kind=kind, key=key, at=at, text=text, record=record, record_id=record_id, client_id=client_id)


# ---------------------------------------------------------------- one reader per kind

def _applications(actor, since: datetime) -> list[dict]:
    """New applications: the first id the intake recorded since SINCE (its audit row names it), then a
    primary-key range of the open ones the actor may take."""
    if not takes_applications(actor):
        return []
    first = (Audit.select(Audit.record_id)
             .where((Audit.at > since) & (Audit.kind == "application") & (Audit.action == "intake")
                    & (Audit.actor != actor.login))
             .order_by(Audit.at, Audit.id).limit(1).scalar())
    if first is None:
        return []
    mine = Application.owner.is_null() | (Application.owner == actor.id)
    if leads_team(actor):
        mine = mine | Application.owner.in_(_team_rep_ids(actor))
    q = (Application.select(Application.id, Application.channel, Application.name, Application.subject,
                            Application.text, Application.score, Application.created_at, Application.client)
         .where((Application.id >= first) & (Application.open == True) & (Application.created_at > since)  # noqa: E712
                & mine)
         .order_by(Application.id.desc()).limit(CAP + 1))
    out = []
    for a in q:
        who = a.name or a.subject or "someone"
        out.append(_notice("application", f"application:{a.id}", a.created_at,
                           f"New {a.channel} application #{a.id} (score {a.score}) from {one_line(who, 30)}: "
                           f"{one_line(a.subject or a.text, 50)}", "application", a.id, a.client_id))
    return out


def _transfers(actor, since: datetime) -> list[dict]:
    q = Transfer.select().where((Transfer.at > since) & (Transfer.actor != actor.login))
    if leads_team(actor):
        ids = _team_rep_ids(actor) + [actor.id]
        q = q.where(Transfer.from_rep.in_(ids) | Transfer.to_rep.in_(ids))
    else:  # a rep, and a director or admin (who take no applications): to or from them
        q = q.where((Transfer.from_rep == actor.id) | (Transfer.to_rep == actor.id))
    rows = list(q.order_by(Transfer.id.desc()).limit(CAP + 1))
    ids = {r.from_rep_id for r in rows} | {r.to_rep_id for r in rows}
    logins = {r.id: r.login for r in Rep.select(Rep.id, Rep.login).where(Rep.id.in_([i for i in ids if i]))}

    def who(rep_id, empty: str) -> str:
        return "you" if rep_id == actor.id else logins.get(rep_id, empty)

    return [_notice("transfer", f"transfer:{t.id}", t.at,
                    f"Application #{t.application_id} moved from {who(t.from_rep_id, 'the open inbox')} to "
                    f"{who(t.to_rep_id, 'the open inbox')}: {one_line(t.reason, 60)}", "application",
                    t.application_id) for t in rows]


def _failed_payments(actor, since: datetime) -> list[dict]:
    q = (Payment.select(Payment.id, Payment.amount_minor, Payment.currency, Payment.reason, Payment.received_at,
                        Invoice.number, Deal.id, Deal.client, Client.name)
         .join(Invoice).join(Deal).join(Client, on=(Deal.client == Client.id))
         .where((Payment.status == "failed") & (Payment.received_at > since) & (Payment.recorded_by != actor.login)
                & _deal_scope(actor))
         .order_by(Payment.received_at.desc(), Payment.id.desc()).limit(CAP + 1))
    return [_notice("payment_failed", f"payment:{p.id}", p.received_at,
                    f"Payment failed on {p.invoice.number} ({_money(p.amount_minor, p.currency)}, "
                    f"{one_line(p.invoice.deal.client.name, 30)}): {one_line(p.reason or 'no reason given', 50)}",
                    "deal", p.invoice.deal.id, p.invoice.deal.client_id) for p in q]


def _plans_decided(actor, since: datetime) -> list[dict]:
    q = (Audit.select(Audit.id, Audit.at, Audit.actor, Audit.action, Invoice.number, Deal.id, Deal.client)
         .join(Invoice, on=(Audit.record_id == Invoice.id)).join(Deal, on=(Invoice.deal == Deal.id))
         .where((Audit.at > since) & (Audit.kind == "invoice") & Audit.action.in_(("approve_plan", "reject_plan"))
                & (Audit.actor != actor.login) & _deal_scope(actor))
         .order_by(Audit.at.desc(), Audit.id.desc()).limit(CAP + 1))
    out = []
    for a in q:
        inv = a.invoice
        verb = "approved" if a.action == "approve_plan" else "rejected"
        out.append(_notice("plan_decided", f"plan:{a.id}", a.at,
                           f"Installment plan of {inv.number} {verb} by {a.actor}", "deal", inv.deal.id,
                           inv.deal.client_id))
    return out


def _notes_decided(actor, since: datetime) -> list[dict]:
    """A note a manager decided (one approved at once by its own writer decided nothing)."""
    q = (Note.select(Note.id, Note.kind, Note.amount_minor, Note.status, Note.decided_by, Note.decided_at,
                     Invoice.number, Invoice.currency, Deal.id, Deal.client)
         .join(Invoice).join(Deal)
         .where((Note.decided_at > since) & Note.status.in_(("approved", "rejected"))
                & (Note.decided_by != actor.login) & (Note.decided_by != Note.created_by)
                & (_deal_scope(actor) | (Note.created_by == actor.login)))
         .order_by(Note.decided_at.desc(), Note.id.desc()).limit(CAP + 1))
    return [_notice("note_decided", f"note:{n.id}", n.decided_at,
                    f"{n.kind.capitalize()} note #{n.id} on {n.invoice.number} "
                    f"({_money(n.amount_minor, n.invoice.currency)}) {n.status} by {n.decided_by}",
                    "deal", n.invoice.deal.id, n.invoice.deal.client_id) for n in q]


def _orders_shipped(actor, since: datetime) -> list[dict]:
    q = (Order.select(Order.id, Order.shipped_at, Deal.id, Deal.title, Deal.client, Client.name)
         .join(Deal).join(Client, on=(Deal.client == Client.id))
         .where((Order.shipped_at > since) & _deal_scope(actor))
         .order_by(Order.shipped_at.desc(), Order.id.desc()).limit(CAP + 1))
    return [_notice("order_shipped", f"order:{o.id}", o.shipped_at,
                    f"Order #{o.id} shipped to {one_line(o.deal.client.name, 30)} ({one_line(o.deal.title, 40)})",
                    "deal", o.deal.id, o.deal.client_id) for o in q]


def _tasks_due(actor, since: datetime, now: datetime) -> list[dict]:
    """The rep's own open tasks whose due time came since SINCE (index activity(rep, done_at, due_at)); a
    failed payment's follow-up task, due the moment it failed, is told by the payment's notice."""
    q = (Activity.select(Activity.id, Activity.kind, Activity.subject, Activity.due_at, Activity.client)
         .where((Activity.rep == actor.id) & Activity.done_at.is_null() & (Activity.due_at > since)
                & (Activity.due_at <= now) & Activity.cancelled_at.is_null()
                & (Activity.origin.is_null() | ~Activity.origin.startswith("failed-payment:")))
         .order_by(Activity.due_at.desc(), Activity.id.desc()).limit(CAP + 1))
    return [_notice("task_due", f"task:{a.id}", a.due_at,
                    f"Due now: {'' if a.kind == 'task' else a.kind + ', '}{one_line(a.subject, 70)}",
                    "activity", a.id, a.client_id) for a in q]


def _at(value):
    if isinstance(value, str):
        from .clock import parse_iso

        return parse_iso(value)
    return value


def notices(actor, now: datetime, since: datetime | None = None) -> tuple[list[dict], int, bool]:
    """ACTOR's notices since SINCE (default: since they last looked), newest first: (rows, count, more).
    COUNT adds up every kind (each read up to CAP); MORE says some kind had more than CAP."""
    since = since_for(actor, now) if since is None else since
    groups = [_applications(actor, since), _transfers(actor, since), _failed_payments(actor, since),
              _plans_decided(actor, since), _notes_decided(actor, since), _orders_shipped(actor, since),
              _tasks_due(actor, since, now)]
    more = any(len(g) > CAP for g in groups)
    rows = [dict(r, at=_at(r["at"])) for g in groups for r in g[:CAP]]
    rows.sort(key=lambda r: (r["at"], r["key"]), reverse=True)
    return rows, len(rows), more


def approvals_waiting(actor) -> int:
    """How many installment plans and credit notes wait for ACTOR's decision: a manager's team's, every
    one for a director or admin; none for a rep. Counted up to CAP each."""
    if sees_all(actor):
        scope = None
    elif leads_team(actor):
        scope = Deal.team == actor.team_id
    else:
        return 0

    def count(q) -> int:
        q = q.join(Invoice).join(Deal, JOIN.INNER, on=(Invoice.deal == Deal.id)).where(Invoice.status != "cancelled")
        if scope is not None:
            q = q.where(scope)
        return q.limit(CAP).count()

    plans = count(InstallmentPlan.select(InstallmentPlan.id).where(InstallmentPlan.status == "proposed"))
    notes = count(Note.select(Note.id).where(Note.status == "proposed"))
    return plans + notes
