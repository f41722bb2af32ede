"""Time: stored as naive UTC datetimes, shown in the rep's zone.

Every operation that depends on "now" takes it as a parameter; `utcnow()` is
only the default at the edges (CLI, TUI), which also accept `--now`.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def to_utc(value: datetime) -> datetime:
    """Aware -> naive UTC; naive is taken to be UTC already."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def parse_iso(text: str) -> datetime:
    """Parse ISO 8601 ('Z' allowed) into naive UTC; raise ValueError with a clear message."""
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        return to_utc(datetime.fromisoformat(raw))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date and time (e.g. 2026-11-20T09:02:00+00:00)") from None


def iso(value: datetime | None) -> str | None:
    """Naive UTC -> '2026-11-20T09:02:00+00:00'."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc).isoformat()


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local(value: datetime, tz: str | None) -> datetime:
    return value.replace(tzinfo=timezone.utc).astimezone(zone(tz))


def zone_name(value: datetime, tz: str | None) -> str:
    """The zone's short name at that moment ("CET", "CEST", "UTC"; "+03" where the zone has none)."""
    return local(value, tz).tzname() or (tz or "UTC")


def _moment(value) -> datetime | None:
    """A stored moment: naive UTC, an aware datetime, or ISO 8601 text (what the dicts of models/ carry)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return parse_iso(value)
    return to_utc(value)


def shown(value, tz: str | None, now: datetime | None = None, *, with_zone: bool = True,
          seconds: bool = False) -> str:
    """THE screen format of a stored moment, in the rep's zone with the zone named: "15:30 CET" today,
    "Thu 03 Dec 15:30 CET" within the year around NOW, "03 Dec 2027 15:30 CET" beyond; "-" for none.
    Screens that already name the zone once (a column header) pass with_zone=False."""
    moment = _moment(value)
    if moment is None:
        return "-"
    loc = local(moment, tz)
    clock = "%H:%M:%S" if seconds else "%H:%M"
    if now is not None and loc.date() == local(now, tz).date():
        text = loc.strftime(clock)
    elif now is None or abs((moment - now).days) < 180:
        text = loc.strftime(f"%a %d %b {clock}")
    else:
        text = loc.strftime(f"%d %b %Y {clock}")
    return f"{text} {loc.tzname() or tz}" if with_zone else text


def stamp(value, tz: str | None) -> str:
    """THE command-line format of a stored moment: "2026-12-03 15:30 CET" (sortable, the rep's zone, the
    zone named); "-" for none. `--json` prints iso_local() instead."""
    moment = _moment(value)
    if moment is None:
        return "-"
    loc = local(moment, tz)
    return f"{loc.strftime('%Y-%m-%d %H:%M')} {loc.tzname() or tz}"


def iso_local(value, tz: str | None) -> str | None:
    """ISO 8601 with the rep's offset: "2026-12-03T15:30:00+01:00" (the same moment iso() names in UTC)."""
    moment = _moment(value)
    return None if moment is None else local(moment, tz).isoformat()


def valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
        return True
    except (ZoneInfoNotFoundError, ValueError):
        return False


def human_delta(seconds: float) -> str:
    """'45m', '1h05m', '-12m' (overdue), '3d'."""
    sign = "-" if seconds < 0 else ""
    s = abs(int(seconds))
    if s >= 2 * 86400:
        return f"{sign}{s // 86400}d"
    if s >= 3600:
        return f"{sign}{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{sign}{max(s // 60, 0)}m"


def parse_local(text: str, tz: str | None, now: datetime) -> datetime:
    """A moment typed by a rep, in the rep's zone, as naive UTC: "2026-11-24 15:30", "2026-11-24" (09:00),
    "+2d", "+3h", "+30m" (from NOW), or ISO 8601 with an offset. Raises ValueError with an example."""
    import re

    raw = (text or "").strip()
    m = re.fullmatch(r"\+(\d{1,4})\s*([dhm])", raw.lower())
    if m:
        n, unit = int(m.group(1)), m.group(2)
        return now + {"d": timedelta(days=n), "h": timedelta(hours=n), "m": timedelta(minutes=n)}[unit]
    try:
        value = datetime.fromisoformat(raw.replace(" ", "T", 1) if len(raw) > 10 else raw)
    except ValueError:
        raise ValueError(f"{text!r} is not a date and time (e.g. 2026-11-24 15:30, 2026-11-24, +2d, +3h)") from None
    if len(raw) <= 10:
        value = value.replace(hour=9)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(tz))
    try:
        out = to_utc(value)
    except OverflowError:
        raise ValueError(f"{text!r} is too far in the future") from None
    if not 2000 <= out.year <= 2999:
        raise ValueError(f"{text!r} is not a plausible date (years 2000 to 2999)")
    return out


def day_bounds(now: datetime, tz: str | None) -> tuple[datetime, datetime]:
    """The UTC start and end (naive, as stored) of NOW's day in the time zone TZ: "today" for a rep."""
    loc = local(now, tz)
    start_local = loc.replace(hour=0, minute=0, second=0, microsecond=0)
    start = start_local.astimezone(timezone.utc).replace(tzinfo=None)
    end_local = (start_local + timedelta(days=1)).replace(tzinfo=None).replace(tzinfo=zone(tz))
    end = end_local.astimezone(timezone.utc).replace(tzinfo=None)
    return start, end
