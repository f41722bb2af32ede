"""The Reports screen and `repdesk report`: the funnel, why deals and clients were lost, activity per rep
and cash in over the last DAYS days, and this quarter's forecast, scoped to what the actor may see (models.reports computes them)."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from .. import reports
from ..forecast import Forecast, forecast


@dataclass(frozen=True)
class FunnelStep:
    step: str
    count: int
    conversion: float | None   # percent of the step before, None for the first


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    count: int


@dataclass(frozen=True)
class RepActivity:
    rep: str
    call: int
    email: int
    message: int
    meeting: int
    task: int


@dataclass(frozen=True)
class CashDay:
    day: str          # ISO date
    currency: str
    amount_minor: int


@dataclass(frozen=True)
class Report:
    days: int
    since: datetime
    until: datetime
    funnel: tuple[FunnelStep, ...]
    lost_deals: tuple[ReasonCount, ...]
    lost_clients: tuple[ReasonCount, ...]   # all time
    activity: tuple[RepActivity, ...]
    cash_in: tuple[CashDay, ...]
    forecast: Forecast | None = None        # this quarter, month by month (issue 15), in the same scope


def report(actor, now: datetime, days: int = 30) -> Report:
    since = now - timedelta(days=days)
    return Report(
        days=days, since=since, until=now,
        funnel=tuple(FunnelStep(**s) for s in reports.funnel(actor, since, now)),
        lost_deals=tuple(ReasonCount(**x) for x in reports.lost_reasons(actor, since, now)),
        lost_clients=tuple(ReasonCount(**x) for x in reports.lost_clients(actor)),
        activity=tuple(RepActivity(**r) for r in reports.activity_by_rep(actor, since, now)),
        cash_in=tuple(CashDay(**c) for c in reports.cash_in(actor, since, now)),
        forecast=forecast(actor, now))


def report_json(r: Report) -> dict:
    """What `repdesk report --json` prints (its keys as they have always been)."""
    return dict(since=r.since.isoformat(), until=r.until.isoformat(),
                funnel=[asdict(s) for s in r.funnel], lost_deals=[asdict(x) for x in r.lost_deals],
                lost_clients=[asdict(x) for x in r.lost_clients], activity=[asdict(a) for a in r.activity],
                cash_in=[asdict(c) for c in r.cash_in])
