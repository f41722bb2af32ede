"""Reports: the funnel from application to paid deal, lost reasons, activity per rep, cash in.

Every figure is scoped to what the actor may see (a rep: their own; a manager:
the team; a director: everything).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from peewee import fn

from .access import owner_condition
from .tables import Activity, Application, Client, Deal, Invoice, Payment, Refund, Rep, Stage


def _scoped(query, actor, owner_field, team_field):
    cond = owner_condition(actor, owner_field, team_field)
    return query if cond is None else query.where(cond)


def funnel(actor: Rep, since: datetime, until: datetime) -> list[dict]:
    """Applications received -> contacted -> deal -> proposal -> agreement -> paid, with conversion.

    Counted in SQL: deals per stage position in one grouped query, then summed from each step on."""
    apps = _scoped(Application.select().where(Application.received_at.between(since, until)),
                   actor, Application.owner, Application.team)
    received = apps.count()
    contacted = apps.where(Application.first_contact_at.is_null(False)).count()
    per_stage = (Deal.select(Stage.key, Stage.position, fn.COUNT(Deal.id).alias("n")).join(Stage)
                 .where(Deal.created_at.between(since, until))
                 .group_by(Stage.key, Stage.position))
    rows = list(_scoped(per_stage, actor, Deal.owner, Deal.team).dicts())
    counts = {row["position"]: row["n"] for row in rows if row["key"] != "lost"}
    order = {s.key: s.position for s in Stage.select(Stage.key, Stage.position)}

    def reached(key: str) -> int:
        pos = order[key]
        return sum(n for p, n in counts.items() if p >= pos)

    steps = [("Applications", received), ("Contacted", contacted), ("Deals", sum(row["n"] for row in rows)),
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
    """Money in per day (UTC) and currency: successful payments less the refunds paid out that day.

    Summed in SQL, one row per day and currency."""
    def per_day(model, when, where):
        day = fn.DATE(when)
        q = (model.select(day.alias("day"), model.currency, fn.SUM(model.amount_minor).alias("total"))
             .join(Invoice).join(Deal)
             .where(where & when.between(since, until))
             .group_by(day, model.currency))
        return _scoped(q, actor, Deal.owner, Deal.team).dicts()

    days: dict[tuple, int] = {}
    for sign, rows in ((1, per_day(Payment, Payment.received_at, Payment.status == "ok")),
                       (-1, per_day(Refund, Refund.paid_at, Refund.status == "paid"))):
        for row in rows:
            key = (str(row["day"])[:10], row["currency"])
            days[key] = days.get(key, 0) + sign * int(row["total"])
    return [dict(day=d, currency=c, amount_minor=v) for (d, c), v in sorted(days.items())]


def default_period(now: datetime) -> tuple[datetime, datetime]:
    return now - timedelta(days=30), now
