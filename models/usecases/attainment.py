"""Attainment (issue 15): per metric, the quota in force, what the system recorded against it, the percent
and the pace (where the rep should be by now, in working days), for a rep or a team, in one period or in
each quota's current period. Counted in SQL (models.quotas.done_counts), grouped by the reps' zones.

A rep reads their own, a manager their team's (its reps and the team), a director or admin anyone's; any
other is refused as if it did not exist ("There is no rep X, or it is not yours.").
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from ..errors import NotYours
from ..quotas import (METRICS, PERIODS, Days, Period, away_changes, current_period, done_counts, in_force,
                      may_see_rep, pace_of, parse_period, quota_rows, utc_bounds, working_days_of)
from ..tables import Rep, Team


@dataclass(frozen=True)
class Attainment:
    metric: str               # calls | meetings | new_clients | deals_won | revenue
    target: int               # a count, or minor units of `currency`
    stretch: int | None
    done: int
    percent: int              # done / target, rounded down
    pace: int                 # where the owner should be by now (target x elapsed / working days)
    behind: bool              # done below pace
    currency: str | None      # revenue only
    basis: str | None         # revenue only: collected | invoiced
    period: str               # day | week | month | quarter
    label: str                # "2026-11", "2026-W48", "2026-Q4", "2026-12-02"
    first: date
    last: date
    working_days: int         # Monday to Friday in the period, away days left out
    elapsed_days: float       # of those, how many have passed (today by the share of the shift gone)
    away_days: int


@dataclass(frozen=True)
class AttainmentView:
    owner: str                # a login, or "team:NAME"
    name: str
    timezone: str
    now: datetime
    rows: tuple[Attainment, ...]
    other_kinds: tuple[str, ...] = ()   # with a period asked: "calls per day" quotas of another kind


@dataclass(frozen=True)
class _Member:
    id: int
    login: str
    name: str
    tz: str
    away: bool
    shift: tuple[str | None, str | None]


def _member(r) -> _Member:
    return _Member(id=r.id, login=r.login, name=r.name, tz=r.timezone or "UTC", away=bool(r.away),
                   shift=(r.shift_start, r.shift_end))


def _members_of(team_id: int) -> list[_Member]:
    q = (Rep.select().where((Rep.team == team_id) & (Rep.active == True)  # noqa: E712
                            & Rep.role.in_(("rep", "manager"))).order_by(Rep.login))
    return [_member(r) for r in q]


def _metric_keys(metric: str, quota) -> object:
    return ("revenue", quota.currency, quota.basis) if metric == "revenue" else metric


class _Counter:
    """Counts what reps did in periods, one set of grouped queries per (zone, period): asked for all first
    (want), then read (get)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.wanted: dict[tuple, tuple[set, set]] = {}
        self.members: dict[tuple, set[int]] = {}
        self.results: dict[tuple, dict] = {}

    def want(self, m: _Member, period: Period, key) -> None:
        group = (m.tz, period)
        metrics, revenue = self.wanted.setdefault(group, (set(), set()))
        self.members.setdefault(group, set()).add(m.id)
        if isinstance(key, tuple):
            revenue.add(key[1:])
        else:
            metrics.add(key)

    def run(self) -> None:
        for (tz, period), (metrics, revenue) in self.wanted.items():
            start, end = utc_bounds(period, tz)
            self.results[(tz, period)] = done_counts(sorted(self.members[(tz, period)]), start, end, metrics,
                                                     revenue)

    def get(self, m: _Member, period: Period, key) -> int:
        return int(self.results.get((m.tz, period), {}).get(m.id, {}).get(key, 0))


def _days(m: _Member, period: Period, now: datetime, changes: dict) -> Days:
    return working_days_of(period, m.tz, now, changes.get(m.id, []), m.away, m.shift)


def _row(metric: str, quota, target: int, done: int, pace: int, period: Period, days_total: int,
         elapsed: Fraction, away: int, currency: str | None = None) -> Attainment:
    stretch = quota.stretch if quota is not None else None
    currency = quota.currency if quota is not None and metric == "revenue" else currency
    basis = (quota.basis if quota is not None else "collected") if metric == "revenue" else None
    return Attainment(metric=metric, target=target, stretch=stretch, done=done,
                      percent=done * 100 // target if target > 0 else 0, pace=pace,
                      behind=target > 0 and done < pace, currency=currency, basis=basis, period=period.kind,
                      label=period.label, first=period.first, last=period.last, working_days=days_total,
                      elapsed_days=round(float(elapsed), 2), away_days=away)


def reps_attainment(members: list[_Member], now: datetime, period: Period | None = None
                    ) -> tuple[dict[int, tuple[Attainment, ...]], dict[int, tuple[str, ...]]]:
    """For each member, their quotas in force (in PERIOD, else each in its current period in the rep's zone)
    against what they did; and the quotas of other kinds left out when a PERIOD was asked."""
    kinds = [period.kind] if period is not None else list(PERIODS)
    ids = [m.id for m in members]
    periods = {(m.id, k): period or current_period(k, now, m.tz) for m in members for k in kinds}
    until = max((p.last for p in periods.values()), default=now.date())
    rows = quota_rows(ids, [], list(PERIODS) if period is not None else kinds, until)
    counter = _Counter(now)
    chosen = []
    for m in members:
        for k in kinds:
            p = periods[(m.id, k)]
            for metric in METRICS:
                q = in_force(rows, ("rep", m.id), metric, p)
                if q is not None:
                    chosen.append((m, p, metric, q))
                    counter.want(m, p, _metric_keys(metric, q))
    counter.run()
    changes = away_changes(ids, now) if chosen else {}
    out: dict[int, list] = {m.id: [] for m in members}
    for m, p, metric, q in chosen:
        days = _days(m, p, now, changes)
        out[m.id].append(_row(metric, q, q.target, counter.get(m, p, _metric_keys(metric, q)),
                              pace_of(q.target, days), p, days.total, days.elapsed, len(days.away)))
    others: dict[int, tuple[str, ...]] = {}
    if period is not None:
        for m in members:
            seen = {(r.metric, r.period) for r in out[m.id]}
            others[m.id] = tuple(sorted({f"{q.metric} per {q.period}" for q in rows if q.rep_id == m.id
                                         and q.period != period.kind and (q.metric, q.period) not in seen}))
    order = {k: i for i, k in enumerate(PERIODS)}
    return ({rid: tuple(sorted(v, key=lambda a: (METRICS.index(a.metric), order[a.period]))) for rid, v in out.items()},
            others)


def team_attainment(team_id: int, team_name: str, tz: str, now: datetime, period: Period | None = None
                    ) -> tuple[Attainment, ...]:
    """A team's attainment: per metric and period kind, the team's own quota if any, else the sum of its
    active reps' quotas (in one currency for revenue); done is the whole team's, each rep counted in their
    own zone; pace is the team's target over the reps' working days (away days left out), or the sum of the
    reps' paces when the target is theirs."""
    members = _members_of(team_id)
    kinds = [period.kind] if period is not None else list(PERIODS)
    team_period = {k: period or current_period(k, now, tz) for k in kinds}
    until = max(p.last for p in team_period.values())
    rows = quota_rows([m.id for m in members], [team_id], kinds, until)
    counter = _Counter(now)
    plans = []
    for k in kinds:
        p = team_period[k]
        for metric in METRICS:
            own = in_force(rows, ("team", team_id), metric, p)
            theirs = [(m, in_force(rows, ("rep", m.id), metric, p)) for m in members]
            theirs = [(m, q) for m, q in theirs if q is not None]
            if own is None and not theirs:
                continue
            currency = basis = None
            if metric == "revenue":
                head = own or theirs[0][1]
                currency, basis = head.currency, head.basis
                theirs = [(m, q) for m, q in theirs if q.currency == currency and q.basis == basis]
            key = ("revenue", currency, basis) if metric == "revenue" else metric
            for m in members:
                counter.want(m, p, key)
            plans.append((p, metric, own, theirs, key, currency))
    counter.run()
    changes = away_changes([m.id for m in members], now) if plans else {}
    out = []
    for p, metric, own, theirs, key, currency in plans:
        done = sum(counter.get(m, p, key) for m in members)
        days = {m.id: _days(m, p, now, changes) for m in members}
        total = sum(d.total for d in days.values())
        elapsed = sum((d.elapsed for d in days.values()), Fraction(0))
        away = sum(len(d.away) for d in days.values())
        if own is not None:
            target = own.target
            pace = int(Fraction(target) * elapsed / total) if total else 0
        else:
            target = sum(q.target for _m, q in theirs)
            pace = sum(pace_of(q.target, days[m.id]) for m, q in theirs)
        out.append(_row(metric, own, target, done, pace, p, total, elapsed, away, currency=currency))
    return tuple(out)


def attainment(actor, now: datetime, rep: str | None = None, team: str | None = None,
               period: str | None = None) -> AttainmentView:
    """ACTOR's own attainment, or REP's (a login), or TEAM's (a name), in PERIOD ("2026-11", "2026-W48",
    "2026-Q4", "2026-12-02") or each quota in its current period."""
    spec = parse_period(period) if period else None
    if team:
        name = team.strip()
        row = Team.get_or_none(Team.name == name)
        if row is None or not (actor.role in ("director", "admin") or (actor.role == "manager"
                                                                        and actor.team_id == row.id)):
            raise NotYours("team", name or "(empty)")
        tz = getattr(actor, "timezone", None) or "UTC"
        return AttainmentView(owner=f"team:{row.name}", name=row.name, timezone=tz, now=now,
                              rows=team_attainment(row.id, row.name, tz, now, spec))
    login = (rep or actor.login).strip()
    r = Rep.get_or_none(Rep.login == login)
    if r is None or not r.active or not may_see_rep(actor, r.id, r.team_id):
        raise NotYours("rep", login)
    m = _member(r)
    rows, others = reps_attainment([m], now, spec)
    return AttainmentView(owner=m.login, name=m.name, timezone=m.tz, now=now, rows=rows[m.id],
                          other_kinds=others.get(m.id, ()))


LABELS = {"calls": "calls", "meetings": "meetings", "new_clients": "new clients", "deals_won": "deals won",
          "revenue": "revenue"}


def amount_short(metric: str, value: int, currency: str | None) -> str:
    """A count, or money in whole units with thousands separators ("5,500"), for a narrow cell or line."""
    if metric != "revenue":
        return f"{value:,}"
    from ..money import exponent

    return f"{value // 10 ** exponent(currency or 'EUR'):,}"


SHORT = {"new_clients": "new", "deals_won": "won"}


def short_text(a: Attainment, compact: bool = False) -> str:
    """"calls 4/10 40%", "revenue 1,200/5,500 EUR 21%"; COMPACT: "new 1/8 12%▼" (▼: behind pace)."""
    cur = f" {a.currency}" if a.currency else ""
    label = SHORT.get(a.metric, a.metric) if compact else LABELS[a.metric]
    text = (f"{label} {amount_short(a.metric, a.done, a.currency)}/"
            f"{amount_short(a.metric, a.target, a.currency)}{cur} {a.percent}%")
    return text + ("▼" if compact and a.behind else "")


def own_attainment(actor, now: datetime) -> tuple[Attainment, ...]:
    """ACTOR's own quotas in force, each in its current period (the top of Today)."""
    r = Rep.get_or_none(Rep.id == actor.id)
    if r is None:
        return ()
    m = _member(r)
    return reps_attainment([m], now)[0][m.id]


def attainment_json(view: AttainmentView) -> dict:
    """What `repdesk attainment --json` prints: per metric `metric`, `target`, `done`, `percent`, `pace` (money
    in minor units with its `currency`), and the period each is counted in."""
    metrics = []
    for a in view.rows:
        row = dict(metric=a.metric, target=a.target, done=a.done, percent=a.percent, pace=a.pace)
        if a.metric == "revenue":
            row.update(currency=a.currency, basis=a.basis)
        row.update(stretch=a.stretch, behind=a.behind, period=a.period, label=a.label, first=a.first.isoformat(),
                   last=a.last.isoformat(), working_days=a.working_days, elapsed_days=a.elapsed_days,
                   away_days=a.away_days)
        metrics.append(row)
    return dict(owner=view.owner, name=view.name, timezone=view.timezone, metrics=metrics,
                other_kinds=list(view.other_kinds))
