"""The reps a person works with (the team screen, assigning a client): their team's, everyone's for a
director or admin; active ones, by login. And the Team screen's board (issue 15): rep x metric attainment,
card completeness, and the records behind a rep's numbers."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import JOIN

from ..access import sees_all
from ..quotas import Period, card_gaps, may_see_rep, utc_bounds
from ..tables import Rep, Team
from .attainment import Attainment, _member, reps_attainment


@dataclass(frozen=True)
class TeamMember:
    login: str
    name: str
    role: str
    team: str | None
    away: bool
    timezone: str


def team_members(actor) -> tuple[TeamMember, ...]:
    q = (Rep.select(Rep.login, Rep.name, Rep.role, Rep.away, Rep.timezone, Team.name.alias("team"))
         .join(Team, JOIN.LEFT_OUTER, on=(Rep.team == Team.id)).where(Rep.active == True))  # noqa: E712
    if not sees_all(actor):
        mine = Rep.id == actor.id
        q = q.where(mine | (Rep.team == actor.team_id) if actor.team_id is not None else mine)
    return tuple(TeamMember(login=r["login"], name=r["name"], role=r["role"], team=r["team"], away=bool(r["away"]),
                            timezone=r["timezone"] or "UTC") for r in q.order_by(Rep.login).dicts())


# ---------------------------------------------------------------- the Team screen's board (issue 15)



@dataclass(frozen=True)
class BoardRow(TeamMember):
    """One rep on the Team screen: their attainment per metric (each quota in its current period), and how
    many of their client cards miss an e-mail or a phone (a fault on the sales floor)."""
    attainment: tuple[Attainment, ...]
    cards: int             # the rep's client cards (merged ones left out)
    cards_missing: int     # of those, missing an e-mail or a phone
    numbers: bool = True   # False: a teammate of a rep (who is in or away; their numbers are not the rep's to see)

    def cell(self, metric: str) -> Attainment | None:
        """The rep's first quota of METRIC (the shortest period) or None."""
        return next((a for a in self.attainment if a.metric == metric), None)

    @property
    def missing_percent(self) -> int | None:
        return self.cards_missing * 100 // self.cards if self.cards else None


@dataclass(frozen=True)
class TeamBoard:
    now: datetime
    team: str | None       # the actor's team (None: everyone, for a director)
    rows: tuple[BoardRow, ...]
    forecast: str | None = None   # the forecast's headline (a manager's, director's or admin's board)


def _visible_reps(actor):
    q = (Rep.select(Rep, Team.name.alias("team_name")).join(Team, JOIN.LEFT_OUTER, on=(Rep.team == Team.id))
         .where(Rep.active == True))  # noqa: E712
    if not sees_all(actor):  # a rep sees who of their team is in or away, not their numbers
        mine = Rep.id == actor.id
        q = q.where(mine | (Rep.team == actor.team_id) if actor.team_id is not None else mine)
    return list(q.order_by(Rep.login).objects())


def team_board(actor, now: datetime) -> TeamBoard:
    """The reps ACTOR may see (a manager: the team; a director: everyone; a rep: the team, with only their own
    numbers) x metric, with card completeness: a few grouped queries for the whole board (models.quotas)."""
    reps = _visible_reps(actor)
    mine = [r for r in reps if may_see_rep(actor, r.id, r.team_id)]
    att, _others = reps_attainment([_member(r) for r in mine], now)
    gaps = card_gaps([r.id for r in mine])
    rows = tuple(BoardRow(login=r.login, name=r.name, role=r.role, team=r.team_name, away=bool(r.away),
                          timezone=r.timezone or "UTC", attainment=att.get(r.id, ()),
                          cards=gaps.get(r.id, (0, 0))[1], cards_missing=gaps.get(r.id, (0, 0))[0],
                          numbers=r.id in att) for r in reps)
    return TeamBoard(now=now, team=getattr(actor, "team_name", None) if actor.role == "manager" else None, rows=rows,
                     forecast=_forecast_headline(actor, now))


def _forecast_headline(actor, now: datetime) -> str | None:
    """The forecast of the current quarter in one line (models.forecast), for a manager, director or admin:
    "Forecast 2026-Q4: weighted 12,300 · commit 8,000 · won 4,000 EUR · coverage 120% · 2 slipped"; None
    for a rep, or when it cannot be read."""
    from ..errors import DomainError
    from ..forecast import forecast

    if actor.role == "rep":
        return None
    try:
        f = forecast(actor, now)
    except DomainError:
        return None
    sums: dict[str, list[int]] = {}
    for month in f.months:
        for t in month.totals:
            acc = sums.setdefault(t.currency, [0, 0, 0])
            acc[0] += t.weighted_minor
            acc[1] += t.commit_minor
            acc[2] += t.won_minor
    currency = f.coverage.currency if f.coverage is not None else next(iter(sums), None)
    if currency is None:
        return f"Forecast {f.period}: nothing expected to close" + (f" · {f.slipped_count} slipped"
                                                                  if f.slipped_count else "")
    from ..money import exponent

    w, c, won = sums.get(currency, [0, 0, 0])
    unit = 10 ** exponent(currency)
    text = f"Forecast {f.period}: weighted {w // unit:,} · commit {c // unit:,} · won {won // unit:,} {currency}"
    if f.coverage is not None and f.coverage.coverage_percent is not None:
        text += f" · coverage {f.coverage.coverage_percent}%"
    if f.slipped_count:
        text += f" · {f.slipped_count} slipped"
    return text


# ---------------------------------------------------------------- the records behind a rep's numbers

@dataclass(frozen=True)
class RecordRow:
    metric: str            # calls | meetings | new_clients | deals_won | revenue | cards
    at: datetime | None
    text: str
    client_id: int | None


@dataclass(frozen=True)
class RepRecords:
    login: str
    name: str
    timezone: str
    attainment: tuple[Attainment, ...]
    rows: tuple[RecordRow, ...]


PER_METRIC = 25


def rep_records(actor, login: str, now: datetime) -> RepRecords:
    """What stands behind LOGIN's numbers: for each quota in force, the newest PER_METRIC records counted in
    its period (calls and meetings done, cards created, deals won, payments and refunds or invoices), and the
    cards missing an e-mail or a phone. Refused like a missing rep when ACTOR may not see LOGIN."""
    from ..errors import NotYours
    from ..tables import Activity, Client, Deal, Invoice, Payment, Refund, Stage

    r = Rep.get_or_none(Rep.login == (login or "").strip())
    if r is None or not r.active or not may_see_rep(actor, r.id, r.team_id):
        raise NotYours("rep", login)
    m = _member(r)
    att = reps_attainment([m], now)[0][m.id]
    out: list[RecordRow] = []
    seen = set()
    for a in att:
        key = (a.metric, a.label, a.basis, a.currency)
        if key in seen:
            continue
        seen.add(key)
        start, end = utc_bounds(Period(a.period, a.first, a.last + timedelta(days=1), a.label), m.tz)
        if a.metric in ("calls", "meetings"):
            q = (Activity.select(Activity.done_at, Activity.subject, Activity.client)
                 .where((Activity.rep == r.id) & (Activity.kind == ("call" if a.metric == "calls" else "meeting"))
                        & (Activity.done_at >= start) & (Activity.done_at < end) & Activity.cancelled_at.is_null())
                 .order_by(Activity.done_at.desc()).limit(PER_METRIC).tuples())
            out += [RecordRow(a.metric, at, subject, cid) for at, subject, cid in q]
        elif a.metric == "new_clients":
            q = (Client.select(Client.created_at, Client.name, Client.id)
                 .where((Client.owner == r.id) & (Client.created_at >= start) & (Client.created_at < end)
                        & Client.merged_into.is_null()).order_by(Client.created_at.desc()).limit(PER_METRIC).tuples())
            out += [RecordRow(a.metric, at, name, cid) for at, name, cid in q]
        elif a.metric == "deals_won":
            q = (Deal.select(Deal.closed_at, Deal.title, Deal.client).join(Stage)
                 .where((Deal.owner == r.id) & (Stage.key == "won") & (Deal.closed_at >= start)
                        & (Deal.closed_at < end)).order_by(Deal.closed_at.desc()).limit(PER_METRIC).tuples())
            out += [RecordRow(a.metric, at, title, cid) for at, title, cid in q]
        elif a.basis == "invoiced":
            q = (Invoice.select(Invoice.issued_at, Invoice.number, Invoice.amount_minor, Invoice.currency, Deal.client)
                 .join(Deal).where((Deal.owner == r.id) & (Invoice.issued_at >= start) & (Invoice.issued_at < end)
                                   & (Invoice.status != "cancelled") & (Invoice.currency == a.currency))
                 .order_by(Invoice.issued_at.desc()).limit(PER_METRIC).tuples())
            out += [RecordRow(a.metric, at, f"invoice {num} {_money(amt, cur)}", cid) for at, num, amt, cur, cid in q]
        else:
            for model, when, ok, word in ((Payment, Payment.received_at, Payment.status == "ok", "payment"),
                                          (Refund, Refund.paid_at, Refund.status == "paid", "refund paid")):
                q = (model.select(when, Invoice.number, model.amount_minor, model.currency, Deal.client)
                     .join(Invoice, on=(model.invoice == Invoice.id)).join(Deal, on=(Invoice.deal == Deal.id))
                     .where((Deal.owner == r.id) & ok & (when >= start) & (when < end) & (model.currency == a.currency))
                     .order_by(when.desc()).limit(PER_METRIC).tuples())
                sign = "-" if model is Refund else ""
                out += [RecordRow(a.metric, at, f"{word} on {num}: {sign}{_money(amt, cur)}", cid)
                        for at, num, amt, cur, cid in q]
    empty = lambda f: f.is_null() | (f == "")  # noqa: E731
    q = (Client.select(Client.name, Client.email, Client.phone, Client.id)
         .where((Client.owner == r.id) & Client.merged_into.is_null() & (empty(Client.email) | empty(Client.phone)))
         .order_by(Client.name, Client.id).limit(PER_METRIC).tuples())
    out += [RecordRow("cards", None, f"{name}: no {'e-mail' if not email else 'phone'}"
                      + (" nor phone" if not email and not phone else ""), cid) for name, email, phone, cid in q]
    return RepRecords(login=r.login, name=r.name, timezone=m.tz, attainment=att, rows=tuple(out))


def _money(minor: int, currency: str) -> str:
    from ..money import format_amount

    return format_amount(int(minor), currency)
