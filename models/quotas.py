"""Quotas (issue 15): a goal per rep or per team, one metric per period kind, in force from a date; and
what the system recorded against them, counted in SQL.

Metrics: calls, meetings (activities of that kind done in the period, not cancelled), new_clients (cards
the rep owns that were created in the period, merged ones left out), deals_won (deals the rep owns that
entered Won in the period), revenue (collected: successful payments received in the period on the rep's
deals less refunds paid out in it; invoiced: invoices issued in the period, not cancelled), in the
quota's currency.

Periods: a day, an ISO week (Monday to Sunday), a month or a quarter, in the rep's time zone (stored UTC:
a period's bounds are the rep's midnights). Written "2026-12-02", "2026-W48", "2026-11", "2026-Q4".

The quota in force for a period is the row of that owner, metric and period kind with the greatest
`starts_on` on or before the period's last day (a new quota never rewrites a period that is over; its
`starts_on` is the first day of the period it starts in). A team's target is the team's own row if any,
else the sum of its active reps' targets (models.usecases.attainment; models/forecast.py reads the same
rows by the same rule).

Pace: where the rep should be by now, counting working days (Monday to Friday) and leaving out the days
the rep was away (read from the audit rows of `reps.set_away`, field "away": a day is an away day when
the rep was marked away at noon of that day, in their zone). Today counts for the share of the rep's shift
(09:00 to 17:00 when none is set) that has passed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from fractions import Fraction

from peewee import JOIN, Case, fn

from .audit import record, record_changes
from .clock import local, zone
from .engine import write_txn
from .errors import NotYours, PermissionDenied, ValidationError
from .money import check_currency, format_amount, parse_amount
from .tables import Activity, Audit, Client, Deal, Invoice, Payment, Quota, Refund, Rep, Stage, Team

METRICS = ("calls", "meetings", "new_clients", "deals_won", "revenue")
PERIODS = ("day", "week", "month", "quarter")
BASES = ("collected", "invoiced")
COUNT_MAX = 1_000_000  # calls in a quarter for a whole floor stays far below this
DEFAULT_CURRENCY = "EUR"
_ACTIVITY_KIND = {"calls": "call", "meetings": "meeting"}


# ---------------------------------------------------------------- periods

@dataclass(frozen=True)
class Period:
    kind: str      # day | week | month | quarter
    first: date    # its first day
    after: date    # the day after its last day
    label: str     # "2026-12-02", "2026-W48", "2026-11", "2026-Q4"

    @property
    def last(self) -> date:
        return self.after - timedelta(days=1)


def period_containing(kind: str, day: date) -> Period:
    """The period of KIND that DAY falls in."""
    if kind == "day":
        return Period("day", day, day + timedelta(days=1), day.isoformat())
    if kind == "week":
        year, week, weekday = day.isocalendar()
        first = day - timedelta(days=weekday - 1)
        return Period("week", first, first + timedelta(days=7), f"{year}-W{week:02d}")
    if kind == "month":
        first = day.replace(day=1)
        after = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        return Period("month", first, after, f"{first.year}-{first.month:02d}")
    if kind == "quarter":
        q = (day.month - 1) // 3
        first = date(day.year, q * 3 + 1, 1)
        after = date(day.year + (q == 3), (q * 3 + 3) % 12 + 1, 1)
        return Period("quarter", first, after, f"{day.year}-Q{q + 1}")
    raise ValidationError(f"Period {kind!r} is not one of {', '.join(PERIODS)}.", field="period")


_SPECS = (
    ("quarter", re.compile(r"(\d{4})-[Qq]([1-4])")),
    ("week", re.compile(r"(\d{4})-[Ww](\d{2})")),
    ("month", re.compile(r"(\d{4})-(\d{2})")),
    ("day", re.compile(r"(\d{4})-(\d{2})-(\d{2})")),
)
PERIOD_EXAMPLES = "2026-11 (a month), 2026-W48 (an ISO week), 2026-Q4 (a quarter) or 2026-12-02 (a day)"


def parse_period(text: str, field: str = "period") -> Period:
    """'2026-11', '2026-W48', '2026-Q4' or '2026-12-02' -> the Period; a sentence with examples otherwise."""
    raw = (text or "").strip()
    bad = ValidationError(f"{raw[:40]!r} is not a period: write {PERIOD_EXAMPLES}.", field=field)
    for kind, pattern in _SPECS:
        m = pattern.fullmatch(raw)
        if not m:
            continue
        year = int(m.group(1))
        if not 2000 <= year <= 2999:
            raise ValidationError(f"{raw!r} is not a plausible period (years 2000 to 2999).", field=field)
        try:
            if kind == "quarter":
                return period_containing("quarter", date(year, int(m.group(2)) * 3 - 2, 1))
            if kind == "week":
                return period_containing("week", date.fromisocalendar(year, int(m.group(2)), 1))
            if kind == "month":
                return period_containing("month", date(year, int(m.group(2)), 1))
            return period_containing("day", date(year, int(m.group(2)), int(m.group(3))))
        except ValueError:
            raise bad from None
    raise bad


def current_period(kind: str, now: datetime, tz: str | None) -> Period:
    """The period of KIND that NOW (naive UTC) falls in, in the zone TZ."""
    return period_containing(kind, local(now, tz).date())


def local_midnight(day: date, tz: str | None) -> datetime:
    """The UTC moment (naive, as stored) of DAY's midnight in TZ."""
    return datetime.combine(day, time(0), tzinfo=zone(tz)).astimezone(timezone.utc).replace(tzinfo=None)


def utc_bounds(period: Period, tz: str | None) -> tuple[datetime, datetime]:
    """[start, end) of PERIOD in TZ as naive UTC: the rep's midnights (23 or 25 hours on DST days)."""
    return local_midnight(period.first, tz), local_midnight(period.after, tz)


def working_days(period: Period) -> list[date]:
    """Monday to Friday within PERIOD."""
    n = (period.after - period.first).days
    days = (period.first + timedelta(days=i) for i in range(n))
    return [d for d in days if d.weekday() < 5]


# ---------------------------------------------------------------- who sets and reads quotas

def _owner(actor, owner: str, *, write: bool):
    """(rep row, None) or (None, team row) for OWNER ("LOGIN" or "team:NAME"), if ACTOR may see it (write:
    set it). The refusal for one the actor may not see is the one for a missing one."""
    raw = (owner or "").strip()
    if not raw:
        raise ValidationError("Say whose quota it is: a rep's login or team:NAME.", field="owner")
    if actor.role == "rep" and write:
        raise PermissionDenied(f"{actor.login} (rep) may not set quotas; a manager sets their team's, a director "
                               "anyone's.")
    if raw.lower().startswith("team:"):
        name = raw[5:].strip()
        team = Team.get_or_none(Team.name == name)
        if team is None or not _may_see_team(actor, team.id):
            raise NotYours("team", name or "(empty)")
        return None, team
    rep = Rep.get_or_none(Rep.login == raw)
    if rep is None or not rep.active or not may_see_rep(actor, rep.id, rep.team_id):
        raise NotYours("rep", raw)
    return rep, None


def may_see_rep(actor, rep_id: int, team_id: int | None) -> bool:
    """A rep: themself; a manager: their team's reps (and themself); a director or admin: anyone."""
    if actor.role in ("director", "admin") or rep_id == actor.id:
        return True
    return actor.role == "manager" and actor.team_id is not None and team_id == actor.team_id


def _may_see_team(actor, team_id: int) -> bool:
    return actor.role in ("director", "admin") or (actor.role == "manager" and actor.team_id == team_id)


def _whole(value, field: str, label: str) -> int:
    text = str(value).strip().replace("_", "")
    if not re.fullmatch(r"\d{1,9}", text):
        raise ValidationError(f"{label} must be a whole number from 1 to {COUNT_MAX:,}.", field=field)
    n = int(text)
    if not 1 <= n <= COUNT_MAX:
        raise ValidationError(f"{label} must be a whole number from 1 to {COUNT_MAX:,}.", field=field)
    return n


def _amount(value, currency: str, field: str, label: str) -> int:
    try:
        minor = parse_amount(value if isinstance(value, str) else str(value), currency)
    except ValueError as exc:
        raise ValidationError(f"{label}: {exc}.", field=field) from None
    if minor <= 0:
        raise ValidationError(f"{label} must be more than zero.", field=field)
    return minor


def _starts_on(value, kind: str, now: datetime, tz: str) -> date:
    """The first day of the period STARTS_ON (a date, "2026-11-15", or a period "2026-12") falls in; not a
    period that is over (a new quota never rewrites the past)."""
    today = local(now, tz).date()
    if value is None or value == "":
        day = today
    elif isinstance(value, date):
        day = value
    else:
        raw = str(value).strip()
        try:
            day = date.fromisoformat(raw) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw) else \
                parse_period(raw, "starts_on").first
        except ValueError:
            raise ValidationError(f"{raw[:40]!r} is not a date (e.g. 2026-12-01) or a period ({PERIOD_EXAMPLES}).",
                                  field="starts_on") from None
        if not 2000 <= day.year <= 2999:
            raise ValidationError(f"{raw!r} is not a plausible date (years 2000 to 2999).", field="starts_on")
    period = period_containing(kind, day)
    if period.after <= today:
        now_period = period_containing(kind, today)
        raise ValidationError(f"A quota starting in {period.label} would rewrite a {kind} that is over; it starts "
                              f"in {now_period.label} (the current {kind}) or later.", field="starts_on")
    return period.first


def quota_dict(q: Quota, owner: str | None = None) -> dict:
    if owner is None:
        owner = Rep.get_by_id(q.rep_id).login if q.rep_id else "team:" + Team.get_by_id(q.team_id).name
    return dict(id=q.id, owner=owner, metric=q.metric, period=q.period, target=q.target, stretch=q.stretch,
                currency=q.currency, basis=q.basis if q.metric == "revenue" else None,
                starts_on=q.starts_on.isoformat() if hasattr(q.starts_on, "isoformat") else str(q.starts_on),
                set_by=q.set_by, set_at=q.set_at, version=q.version)


def target_text(metric: str, value: int | None, currency: str | None) -> str:
    """A target or a count as people read it: '40', '5,000.00 EUR'."""
    if value is None:
        return "-"
    if metric == "revenue":
        return format_amount(int(value), currency or DEFAULT_CURRENCY)
    return f"{int(value):,}"


def set_quota(actor, owner: str, metric: str, target, period: str, now: datetime, stretch=None, starts_on=None,
              basis: str = "collected", currency: str | None = None) -> dict:
    """Set OWNER's ("LOGIN" or "team:NAME") quota of METRIC per PERIOD from STARTS_ON (default: the current
    period, in the rep's zone; a team's in the actor's). The same owner, metric, period and start replaces
    the row (its version goes up). One transaction, audited. A manager sets their team's, a director or admin
    anyone's; a rep none."""
    metric = (metric or "").strip()
    if metric not in METRICS:
        raise ValidationError(f"Metric {metric!r} is not one of {', '.join(METRICS)}.", field="metric")
    period = (period or "").strip()
    if period not in PERIODS:
        raise ValidationError(f"Period {period!r} is not one of {', '.join(PERIODS)}.", field="period")
    basis = (basis or "collected").strip()
    if basis not in BASES:
        raise ValidationError(f"Basis {basis!r} is not one of {', '.join(BASES)}.", field="basis")
    if metric == "revenue":
        try:
            currency = check_currency(currency or DEFAULT_CURRENCY)
        except ValueError as exc:
            raise ValidationError(f"{exc}.", field="currency") from None
        target_minor = _amount(target, currency, "target", "The target")
        stretch_minor = None if stretch in (None, "") else _amount(stretch, currency, "stretch", "The stretch")
    else:
        if currency:
            raise ValidationError(f"A currency goes with a revenue quota, not with {metric}.", field="currency")
        if basis != "collected":
            raise ValidationError(f"The basis (collected or invoiced) goes with a revenue quota, not with {metric}.",
                                  field="basis")
        currency = None
        target_minor = _whole(target, "target", "The target")
        stretch_minor = None if stretch in (None, "") else _whole(stretch, "stretch", "The stretch")
    if stretch_minor is not None and stretch_minor < target_minor:
        raise ValidationError("The stretch level is above the target (it is the goal beyond it).", field="stretch")
    with write_txn():
        rep, team = _owner(actor, owner, write=True)
        tz = (rep.timezone if rep is not None else getattr(actor, "timezone", None)) or "UTC"
        first = _starts_on(starts_on, period, now, tz)
        who = Quota.rep == rep.id if rep is not None else Quota.team == team.id
        row = Quota.get_or_none(who & (Quota.metric == metric) & (Quota.period == period)
                                & (Quota.starts_on == first))
        values = dict(target=target_minor, stretch=stretch_minor, currency=currency,
                      basis=basis if metric == "revenue" else "collected")
        name = rep.login if rep is not None else f"team:{team.name}"
        if row is None:
            row = Quota.create(rep=rep.id if rep else None, team=team.id if team else None, metric=metric,
                               period=period, starts_on=first, set_by=actor.login, set_at=now, **values)
            record(actor.login, "quota", row.id, "create",
                   new=f"{name} {metric} per {period} from {first}: {target_text(metric, target_minor, currency)}",
                   at=now)
        else:
            old = dict(target=row.target, stretch=row.stretch, currency=row.currency, basis=row.basis)
            Quota.update(**values, set_by=actor.login, set_at=now, version=Quota.version + 1) \
                .where(Quota.id == row.id).execute()
            record_changes(actor.login, "quota", row.id, old, values, at=now)
            row = Quota.get_by_id(row.id)
        return quota_dict(row, name)


def list_quotas(actor) -> list[dict]:
    """The quotas ACTOR may read: a rep their own, a manager their team's (its reps' and the team's), a
    director or admin every one; by owner, metric, period, newest start first."""
    q = (Quota.select(Quota, Rep.login.alias("login"), Team.name.alias("team_name"))
         .join(Rep, JOIN.LEFT_OUTER, on=(Quota.rep == Rep.id))
         .join(Team, JOIN.LEFT_OUTER, on=(Quota.team == Team.id), src=Quota))
    if actor.role == "rep" or (actor.role == "manager" and actor.team_id is None):
        q = q.where(Quota.rep == actor.id)
    elif actor.role == "manager":
        q = q.where((Quota.team == actor.team_id) | (Rep.team == actor.team_id) | (Quota.rep == actor.id))
    q = q.order_by(Team.name.is_null(False), Rep.login, Team.name, Quota.metric, Quota.period, Quota.starts_on.desc())
    out = []
    for row in q.objects():
        owner = row.login if row.rep_id else f"team:{row.team_name}"
        out.append(quota_dict(row, owner))
    return out


# ---------------------------------------------------------------- the quota in force

def quota_rows(rep_ids: list[int], team_ids: list[int], kinds: list[str], until: date) -> list[Quota]:
    """Every quota of these reps and teams for the period KINDS starting on or before UNTIL, oldest start first
    (one query; quotas are few), for in_force() to choose from."""
    if not kinds or not (rep_ids or team_ids):
        return []
    who = Quota.rep.in_(rep_ids) if rep_ids else None
    if team_ids:
        who = Quota.team.in_(team_ids) if who is None else who | Quota.team.in_(team_ids)
    return list(Quota.select().where(who & Quota.period.in_(list(kinds)) & (Quota.starts_on <= until))
                .order_by(Quota.starts_on, Quota.id))


def in_force(rows: list[Quota], owner: tuple[str, int], metric: str, period: Period) -> Quota | None:
    """The quota of OWNER (("rep", id) or ("team", id)) for METRIC in force in PERIOD: the row of that period
    kind with the greatest starts_on on or before the period's last day."""
    found = None
    for q in rows:
        mine = q.rep_id == owner[1] if owner[0] == "rep" else q.team_id == owner[1]
        starts = q.starts_on if isinstance(q.starts_on, date) else date.fromisoformat(str(q.starts_on)[:10])
        if mine and q.metric == metric and q.period == period.kind and starts <= period.last:
            found = q  # oldest first: the latest start wins
    return found


# ---------------------------------------------------------------- what was done, in SQL

def done_counts(rep_ids: list[int], start: datetime, end: datetime, metrics: set[str],
                revenue: set[tuple[str, str]] = frozenset()) -> dict[int, dict]:
    """{rep_id: {metric: n, ("revenue", currency, basis): minor}} for [START, END) (UTC), one grouped query
    per metric (calls and meetings share one), on the indexes of migration 5."""
    out: dict[int, dict] = {rid: {} for rid in rep_ids}
    if not rep_ids:
        return out
    kinds = [_ACTIVITY_KIND[m] for m in ("calls", "meetings") if m in metrics]
    if kinds:
        q = (Activity.select(Activity.rep, Activity.kind, fn.COUNT(Activity.id))
             .where(Activity.rep.in_(rep_ids) & Activity.kind.in_(kinds) & (Activity.done_at >= start)
                    & (Activity.done_at < end) & Activity.cancelled_at.is_null())
             .group_by(Activity.rep, Activity.kind).tuples())
        for rid, kind, n in q:
            out[rid]["calls" if kind == "call" else "meetings"] = int(n)
    if "new_clients" in metrics:
        q = (Client.select(Client.owner, fn.COUNT(Client.id))
             .where(Client.owner.in_(rep_ids) & (Client.created_at >= start) & (Client.created_at < end)
                    & Client.merged_into.is_null())
             .group_by(Client.owner).tuples())
        for rid, n in q:
            out[rid]["new_clients"] = int(n)
    if "deals_won" in metrics:
        won = Stage.select(Stage.id).where(Stage.key == "won")
        q = (Deal.select(Deal.owner, fn.COUNT(Deal.id))
             .where(Deal.owner.in_(rep_ids) & Deal.stage.in_(won) & (Deal.closed_at >= start)
                    & (Deal.closed_at < end))
             .group_by(Deal.owner).tuples())
        for rid, n in q:
            out[rid]["deals_won"] = int(n)
    currencies = {c for c, _b in revenue}
    if any(b == "collected" for _c, b in revenue):
        for model, when, ok, sign in ((Payment, Payment.received_at, Payment.status == "ok", 1),
                                      (Refund, Refund.paid_at, Refund.status == "paid", -1)):
            q = (model.select(Deal.owner, model.currency, fn.SUM(model.amount_minor))
                 .join(Invoice, on=(model.invoice == Invoice.id)).join(Deal, on=(Invoice.deal == Deal.id))
                 .where(Deal.owner.in_(rep_ids) & ok & (when >= start) & (when < end)
                        & model.currency.in_(list(currencies)))
                 .group_by(Deal.owner, model.currency).tuples())
            for rid, cur, total in q:
                key = ("revenue", cur, "collected")
                out[rid][key] = out[rid].get(key, 0) + sign * int(total or 0)
    if any(b == "invoiced" for _c, b in revenue):
        q = (Invoice.select(Deal.owner, Invoice.currency, fn.SUM(Invoice.amount_minor))
             .join(Deal, on=(Invoice.deal == Deal.id))
             .where(Deal.owner.in_(rep_ids) & (Invoice.issued_at >= start) & (Invoice.issued_at < end)
                    & (Invoice.status != "cancelled") & Invoice.currency.in_(list(currencies)))
             .group_by(Deal.owner, Invoice.currency).tuples())
        for rid, cur, total in q:
            out[rid][("revenue", cur, "invoiced")] = int(total or 0)
    return out


def card_gaps(rep_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{rep_id: (clients missing an e-mail or a phone, clients)} of the reps' cards (merged ones left out):
    one grouped query."""
    if not rep_ids:
        return {}
    empty = lambda f: f.is_null() | (f == "")  # noqa: E731
    gap = fn.SUM(Case(None, [(empty(Client.email) | empty(Client.phone), 1)], 0))
    q = (Client.select(Client.owner, gap, fn.COUNT(Client.id))
         .where(Client.owner.in_(rep_ids) & Client.merged_into.is_null()).group_by(Client.owner).tuples())
    return {rid: (int(g or 0), int(n)) for rid, g, n in q}


# ---------------------------------------------------------------- away days and pace

def away_changes(rep_ids: list[int], until: datetime) -> dict[int, list[tuple[datetime, bool, bool]]]:
    """{rep_id: [(at, old, new)]} of the away flag (the audit rows reps.set_away writes), oldest first."""
    out: dict[int, list] = {rid: [] for rid in rep_ids}
    if not rep_ids:
        return out
    q = (Audit.select(Audit.record_id, Audit.at, Audit.old, Audit.new)
         .where((Audit.kind == "rep") & (Audit.field == "away") & Audit.record_id.in_(rep_ids) & (Audit.at <= until))
         .order_by(Audit.at, Audit.id).tuples())
    for rid, at, old, new in q:
        if isinstance(at, str):
            at = datetime.fromisoformat(at[:19])
        out[rid].append((at, old == "True", new == "True"))
    return out


def _away_at(changes: list, moment: datetime, current: bool) -> bool:
    state = changes[0][1] if changes else current
    for at, _old, new in changes:
        if at > moment:
            break
        state = new
    return state


def _shift(rep_shift: tuple[str | None, str | None]) -> tuple[time, time]:
    try:
        start, end = (time.fromisoformat(v) for v in rep_shift)
        if end > start:
            return start, end
    except (TypeError, ValueError):
        pass
    return time(9), time(17)


@dataclass(frozen=True)
class Days:
    """The working days of a period for one rep: how many count (away days left out) and how many of those
    have passed at now (today by the share of the shift gone)."""
    total: int
    elapsed: Fraction
    away: tuple[date, ...]


def working_days_of(period: Period, tz: str, now: datetime, changes: list, away_now: bool,
                    shift: tuple[str | None, str | None] = (None, None)) -> Days:
    today_local = local(now, tz)
    today = today_local.date()
    away, total, elapsed = [], 0, Fraction(0)
    for d in working_days(period):
        if d <= today:
            noon = datetime.combine(d, time(12), tzinfo=zone(tz)).astimezone(timezone.utc).replace(tzinfo=None)
            if _away_at(changes, min(noon, now), away_now):
                away.append(d)
                continue
        total += 1
        if d < today:
            elapsed += 1
        elif d == today:
            start, end = _shift(shift)
            t = today_local.replace(tzinfo=None)
            s, e = datetime.combine(d, start), datetime.combine(d, end)
            elapsed += min(max(Fraction(int((t - s).total_seconds()), int((e - s).total_seconds())), Fraction(0)),
                           Fraction(1))
    return Days(total=total, elapsed=elapsed, away=tuple(away))


def pace_of(target: int, days: Days) -> int:
    """Where the rep should be by now: TARGET x elapsed working days / working days (rounded down)."""
    if days.total <= 0:
        return 0
    return int(Fraction(target) * days.elapsed / days.total)
