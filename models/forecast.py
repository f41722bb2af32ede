"""The weighted forecast (issue 15): per month of a period, from the deals' expected close dates.

- weighted: the sum of amount x the stage's win probability (percent) of the open deals expected to close
  that month (a stage without a probability counts 0); rounded once per month and currency, half up.
- best case: every open deal expected to close that month, at its full amount.
- commit: the open deals from Agreement signed on.
- won: the deals won (closed in Won) during the month, by the moment they closed (the actor's zone).
- slipped: open deals whose expected close is before today (the actor's zone), oldest first.
- coverage: open pipeline in the period (best case) / remaining revenue quota (the quota in force for the
  period minus what was won in it), in the quota's currency.

Money stays per currency (minor units; different currencies are never added). Every sum is one grouped
SQL query on deal (stage_id, expected_close) with CASE ranges for the month buckets (computed in Python, so
both engines read the same SQL). Scope: a rep their own deals, a manager the team's, a director all (or
one team with `team`).

The quota rule shared with models.quotas: the quota in force for a period is the row of that owner (rep or
team), metric "revenue", the period's kind, with the greatest starts_on <= the period's last day; a team's
target is its own row if any, else the sum of its active reps'. A quarter without a quarterly row sums its
months' rows.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone

from peewee import JOIN, Case, fn

from .access import owner_condition, sees_all
from .clock import local, zone
from .errors import NotFound, PermissionDenied, ValidationError
from .tables import Client, Deal, Quota, Rep, Stage, Team


@dataclass(frozen=True)
class MonthMoney:
    currency: str
    weighted_minor: int
    best_case_minor: int
    commit_minor: int
    won_minor: int
    open_deals: int


@dataclass(frozen=True)
class ForecastMonth:
    month: str                      # "2026-11"
    totals: tuple[MonthMoney, ...]  # one per currency


@dataclass(frozen=True)
class SlippedDeal:
    id: int
    title: str
    owner: str | None
    client: str
    expected_close: str             # ISO date
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class Coverage:
    currency: str
    quota_minor: int
    won_minor: int
    remaining_minor: int
    pipeline_minor: int
    coverage_percent: int | None    # pipeline / remaining, percent (None when nothing remains)


@dataclass(frozen=True)
class Forecast:
    period: str                     # "2026-Q4" or "2026-11"
    first_day: str
    last_day: str
    scope: str                      # "ana", "team North", "everyone"
    months: tuple[ForecastMonth, ...]
    slipped: tuple[SlippedDeal, ...]
    slipped_count: int
    coverage: Coverage | None


# ---------------------------------------------------------------- periods

def parse_period(text: str | None, today: date) -> tuple[str, str, list[date]]:
    """"2026-Q1" or "2026-11" (None: TODAY's quarter) -> (label, kind, first days of its months)."""
    raw = (text or "").strip().upper()
    if not raw:
        q = (today.month - 1) // 3
        return f"{today.year}-Q{q + 1}", "quarter", [date(today.year, 3 * q + i + 1, 1) for i in range(3)]
    m = re.fullmatch(r"(\d{4})-Q([1-4])", raw)
    if m:
        y, q = int(m.group(1)), int(m.group(2)) - 1
        _year(y)
        return raw, "quarter", [date(y, 3 * q + i + 1, 1) for i in range(3)]
    m = re.fullmatch(r"(\d{4})-(\d{2})", raw)
    if m and 1 <= int(m.group(2)) <= 12:
        y = _year(int(m.group(1)))
        return raw, "month", [date(y, int(m.group(2)), 1)]
    raise ValidationError(f"Period {text.strip()[:20]!r} is a quarter (2026-Q1) or a month (2026-11).",
                          field="period")


def _year(y: int) -> int:
    if not 2000 <= y <= 2999:
        raise ValidationError(f"Period year {y} is outside 2000 to 2999.", field="period")
    return y


def next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def utc_start(d: date, tz: str | None) -> datetime:
    """The UTC moment (naive) at which day D begins in zone TZ."""
    return datetime(d.year, d.month, d.day, tzinfo=zone(tz)).astimezone(timezone.utc).replace(tzinfo=None)


# ---------------------------------------------------------------- scope

def _scope(actor: Rep, team: str | None):
    """(WHERE condition or None, label, team row or None) for the deals ACTOR's forecast counts."""
    if team:
        t = Team.get_or_none(Team.name == team.strip())
        if t is None or not (sees_all(actor) or (actor.role == "manager" and actor.team_id == t.id)):
            raise NotFound(f"There is no team {team.strip()[:60]!r}, or it is not yours.")
        return Deal.team == t.id, f"team {t.name}", t
    cond = owner_condition(actor, Deal.owner, Deal.team)
    if cond is None:
        return None, "everyone", None
    if actor.role == "manager" and actor.team_id is not None:
        return cond, f"team {Team.get_by_id(actor.team_id).name}", Team.get_by_id(actor.team_id)
    return cond, actor.login, None


def _where(query, cond):
    return query if cond is None else query.where(cond)


# ---------------------------------------------------------------- the forecast

def forecast(actor: Rep, now: datetime, period: str | None = None, team: str | None = None) -> Forecast:
    tz = actor.timezone or "UTC"
    today = local(now, tz).date()
    label, kind, months = parse_period(period, today)
    if team and actor.role == "rep":
        raise PermissionDenied(f"{actor.login} (rep) sees their own forecast; a team's needs its manager.")
    cond, scope_label, team_row = _scope(actor, team)
    first, end = months[0], next_month(months[-1])
    stage_rows = list(Stage.select())
    open_ids = [s.id for s in stage_rows if not s.terminal]
    late = next((s.position for s in stage_rows if s.key == "agreement_signed"), None)
    won = next((s for s in stage_rows if s.key == "won"), None)

    bucket = Case(None, [((Deal.expected_close >= m) & (Deal.expected_close < next_month(m)), i)
                         for i, m in enumerate(months)], -1)
    prob = fn.COALESCE(Stage.probability, 0)
    commit = Case(None, [(Stage.position >= late, Deal.amount_minor)], 0) if late is not None else 0
    q = (Deal.select(Deal.currency, bucket.alias("bucket"),
                     fn.COALESCE(fn.SUM(Deal.amount_minor * prob), 0).alias("weighted"),
                     fn.COALESCE(fn.SUM(Deal.amount_minor), 0).alias("best"),
                     fn.COALESCE(fn.SUM(commit), 0).alias("commit"),
                     fn.COUNT(Deal.id).alias("n"))
         .join(Stage, on=(Deal.stage == Stage.id))
         .where(Deal.stage.in_(open_ids) & (Deal.expected_close >= first) & (Deal.expected_close < end)
                & Deal.amount_minor.is_null(False))
         .group_by(Deal.currency, bucket))
    cells: dict[tuple[int, str], dict] = {}
    for r in _where(q, cond).dicts():
        cells[(int(r["bucket"]), r["currency"])] = dict(
            weighted=_half_up(int(r["weighted"]), 100), best=int(r["best"]), commit=int(r["commit"]),
            n=int(r["n"]), won=0)
    if won is not None:
        starts = [utc_start(m, tz) for m in months] + [utc_start(end, tz)]
        won_bucket = Case(None, [((Deal.closed_at >= starts[i]) & (Deal.closed_at < starts[i + 1]), i)
                                 for i in range(len(months))], -1)
        wq = (Deal.select(Deal.currency, won_bucket.alias("bucket"),
                          fn.COALESCE(fn.SUM(Deal.amount_minor), 0).alias("won"))
              .where((Deal.stage == won.id) & (Deal.closed_at >= starts[0]) & (Deal.closed_at < starts[-1]))
              .group_by(Deal.currency, won_bucket))
        for r in _where(wq, cond).dicts():
            cell = cells.setdefault((int(r["bucket"]), r["currency"]),
                                    dict(weighted=0, best=0, commit=0, n=0, won=0))
            cell["won"] = int(r["won"])
    out_months = []
    for i, m in enumerate(months):
        totals = tuple(MonthMoney(currency=c, weighted_minor=v["weighted"], best_case_minor=v["best"],
                                  commit_minor=v["commit"], won_minor=v["won"], open_deals=v["n"])
                       for (b, c), v in sorted(cells.items()) if b == i)
        out_months.append(ForecastMonth(month=f"{m:%Y-%m}", totals=totals))

    sq = (Deal.select(Deal.id, Deal.title, Deal.expected_close, Deal.amount_minor, Deal.currency,
                      Rep.login.alias("owner_login"), Client.name.alias("client_name"))
          .join(Client, on=(Deal.client == Client.id))
          .join_from(Deal, Rep, on=(Deal.owner == Rep.id), join_type=JOIN.LEFT_OUTER)
          .where(Deal.stage.in_(open_ids) & (Deal.expected_close < today)))
    sq = _where(sq, cond)
    slipped_count = _where(Deal.select(fn.COUNT(Deal.id)).where(Deal.stage.in_(open_ids)
                                                                & (Deal.expected_close < today)), cond).scalar()
    slipped = tuple(SlippedDeal(id=r["id"], title=r["title"], owner=r["owner_login"], client=r["client_name"],
                                expected_close=_iso_date(r["expected_close"]), amount_minor=int(r["amount_minor"] or 0),
                                currency=r["currency"])
                    for r in sq.order_by(Deal.expected_close, Deal.id).limit(20).dicts())
    coverage = _coverage(actor, kind, months, cells, team_row, cond)
    return Forecast(period=label, first_day=first.isoformat(), last_day=(end - timedelta(days=1)).isoformat(),
                    scope=scope_label, months=tuple(out_months), slipped=slipped, slipped_count=slipped_count,
                    coverage=coverage)


def _iso_date(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)[:10]


def _half_up(n: int, d: int) -> int:
    return (n * 2 + d) // (2 * d) if n >= 0 else -((-n * 2 + d) // (2 * d))


# ---------------------------------------------------------------- coverage

def _in_force(owner_field, owner_ids: list[int], kind: str, last_day: date) -> dict[int, Quota]:
    """Per owner id, the revenue quota of KIND in force on LAST_DAY (greatest starts_on <= it)."""
    if not owner_ids:
        return {}
    out: dict[int, Quota] = {}
    rows = (Quota.select().where(owner_field.in_(owner_ids) & (Quota.metric == "revenue") & (Quota.period == kind)
                                 & (Quota.starts_on <= last_day))
            .order_by(owner_field, Quota.starts_on.desc(), Quota.id.desc()))
    for r in rows:
        key = r.rep_id if owner_field is Quota.rep else r.team_id
        out.setdefault(key, r)
    return out


def _target(kind: str, last_day: date, rep_ids: list[int], team_ids: list[int]) -> dict[str, int]:
    """Per currency, the revenue target of the reps REP_IDS plus the teams TEAM_IDS (a team: its own row,
    else the sum of its active reps') for one period of KIND ending LAST_DAY."""
    totals: dict[str, int] = {}

    def add(q: Quota) -> None:
        totals[q.currency or "EUR"] = totals.get(q.currency or "EUR", 0) + int(q.target)

    for q in _in_force(Quota.rep, rep_ids, kind, last_day).values():
        add(q)
    own = _in_force(Quota.team, team_ids, kind, last_day)
    for t in team_ids:
        if t in own:
            add(own[t])
        else:
            members = [r.id for r in Rep.select(Rep.id).where((Rep.team == t) & (Rep.active == True))]  # noqa: E712
            for q in _in_force(Quota.rep, members, kind, last_day).values():
                add(q)
    return totals


def _owners(actor: Rep, team_row) -> tuple[list[int], list[int]]:
    if team_row is not None:
        return [], [team_row.id]
    if sees_all(actor):
        return [], [t.id for t in Team.select(Team.id)]
    return [actor.id], []


def _coverage(actor: Rep, kind: str, months: list[date], cells: dict, team_row, cond) -> Coverage | None:
    rep_ids, team_ids = _owners(actor, team_row)
    last = next_month(months[-1]) - timedelta(days=1)
    target = _target(kind, last, rep_ids, team_ids)
    if not target and kind == "quarter":  # no quarterly quota: the months' quotas add up
        for m in months:
            for cur, v in _target("month", next_month(m) - timedelta(days=1), rep_ids, team_ids).items():
                target[cur] = target.get(cur, 0) + v
    if not target:
        return None
    currency = sorted(target, key=lambda c: -target[c])[0]
    quota = target[currency]
    won = sum(v["won"] for (b, c), v in cells.items() if c == currency)
    pipeline = sum(v["best"] for (b, c), v in cells.items() if c == currency)
    remaining = max(quota - won, 0)
    return Coverage(currency=currency, quota_minor=quota, won_minor=won, remaining_minor=remaining,
                    pipeline_minor=pipeline,
                    coverage_percent=_half_up(pipeline * 100, remaining) if remaining > 0 else None)


def forecast_json(f: Forecast) -> dict:
    return asdict(f)
