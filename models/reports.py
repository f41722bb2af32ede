"""Reports: the funnel from application to paid deal, lost reasons, activity per rep, cash in.

Every figure is scoped to what the actor may see (a rep: their own; a manager:
the team; a director: everything).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from peewee import fn

from .access import owner_condition, sees_only_own
from .tables import Activity, Application, Client, Deal, Invoice, Payment, Rep, Stage


def _scoped(query, actor, owner_field, team_field):
    cond = owner_condition(actor, owner_field, team_field)
    return query if cond is None else query.where(cond)


def funnel(actor: Rep, since: datetime, until: datetime) -> list[dict]:
    """Applications received -> contacted -> deal -> proposal -> agreement -> paid, with conversion."""
    apps = Application.select().where(Application.received_at.between(since, until))
    received = _scoped(apps, actor, Application.owner, Application.team).count() if sees_only_own(actor) \
        else apps.count()
    contacted = _scoped(apps.where(Application.first_contact_at.is_null(False)), actor,
                        Application.owner, Application.team).count()
    deals = _scoped(Deal.select(Deal, Stage).join(Stage).where(Deal.created_at.between(since, until)),
                    actor, Deal.owner, Deal.team)
    order = {s.key: s.position for s in Stage.select()}

    def reached(key: str) -> int:
        pos = order[key]
        return sum(1 for d in deals if d.stage.key != "lost" and order[d.stage.key] >= pos)

    steps = [("Applications", received), ("Contacted", contacted), ("Deals", deals.count()),
             ("Proposal", reached("proposal")), ("Agreement signed", reached("agreement_signed")),
             ("Paid", reached("paid"))]
    out, prev = [], None
    for name, n in steps:
        rate = (n / prev * 100) if prev else None
        out.append(dict(step=name, count=n, conversion=None if rate is None else round(rate, 1)))
        prev = n
    return out


def lost_reasons(actor: Rep, since: datetime, until: datetime) -> list[dict]:
    q = (Deal.select(Deal.lost_reason, fn.COUNT(Deal.id).alias("n")).join(Stage)
         .where((Stage.key == "lost") & Deal.stage_changed_at.between(since, until))
         .group_by(Deal.lost_reason).order_by(fn.COUNT(Deal.id).desc()))
    q = _scoped(q, actor, Deal.owner, Deal.team)
    return [dict(reason=r.lost_reason or "unknown", count=r.n) for r in q]


def lost_clients(actor: Rep) -> list[dict]:
    """Clients marked lost, by reason (all time; a lost client keeps its reason until it buys again)."""
    q = (Client.select(Client.lost_reason, fn.COUNT(Client.id).alias("n"))
         .where(Client.lost_reason.is_null(False) & Client.merged_into.is_null())
         .group_by(Client.lost_reason).order_by(fn.COUNT(Client.id).desc(), Client.lost_reason))
    q = _scoped(q, actor, Client.owner, Client.team)
    return [dict(reason=r.lost_reason, count=r.n) for r in q]


def activity_by_rep(actor: Rep, since: datetime, until: datetime) -> list[dict]:
    q = (Activity.select(Rep.login, Activity.kind, fn.COUNT(Activity.id).alias("n"))
         .join(Rep, on=(Activity.rep == Rep.id))
         .where(Activity.done_at.between(since, until))
         .group_by(Rep.login, Activity.kind))
    q = _scoped(q, actor, Activity.rep, Rep.team)
    table: dict[str, dict] = {}
    for row in q.dicts():
        table.setdefault(row["login"], {"rep": row["login"], "call": 0, "email": 0, "message": 0,
                                        "meeting": 0, "task": 0})[row["kind"]] = row["n"]
    return sorted(table.values(), key=lambda r: r["rep"])


def cash_in(actor: Rep, since: datetime, until: datetime) -> list[dict]:
    """Successful payments per day and currency."""
    q = (Payment.select(Payment.received_at, Payment.amount_minor, Payment.currency)
         .join(Invoice).join(Deal)
         .where((Payment.status == "ok") & Payment.received_at.between(since, until)))
    q = _scoped(q, actor, Deal.owner, Deal.team)
    days: dict[tuple, int] = {}
    for p in q:
        key = (p.received_at.date().isoformat(), p.currency)
        days[key] = days.get(key, 0) + p.amount_minor
    return [dict(day=d, currency=c, amount_minor=v) for (d, c), v in sorted(days.items())]


def default_period(now: datetime) -> tuple[datetime, datetime]:
    return now - timedelta(days=30), now
