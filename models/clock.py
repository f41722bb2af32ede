"""Time: stored as naive UTC datetimes, shown in the rep's zone.

Every operation that depends on "now" takes it as a parameter; `utcnow()` is
only the default at the edges (CLI, TUI), which also accept `--now`.
"""
from __future__ import annotations

from datetime import datetime, timezone
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
