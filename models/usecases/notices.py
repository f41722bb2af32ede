"""Notices as the header counter, the toasts, the notices list and `repdesk notices --json` read them.

`notices_view` only reads; `open_notices` reads and then marks them seen (the counter starts again),
which is what opening the list means, on screen and on the command line.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import notices as domain
from ..clock import iso_local, stamp

TITLES = {"application": "New application", "transfer": "Moved", "payment_failed": "Payment failed",
          "plan_decided": "Plan decided", "note_decided": "Note decided", "order_shipped": "Shipped",
          "task_due": "Task due"}


@dataclass(frozen=True)
class Notice:
    key: str              # stable across reads ("payment:12"): what a toast was already shown for
    kind: str             # one of models.notices.KINDS
    at: datetime          # naive UTC
    text: str             # one plain line (outside text in it is made one line, never markup)
    record: str           # what it is about: application | deal | activity
    record_id: int
    client_id: int | None

    @property
    def title(self) -> str:
        return TITLES.get(self.kind, "Notice")


@dataclass(frozen=True)
class NoticesView:
    since: datetime
    now: datetime
    items: tuple[Notice, ...]   # newest first, at most the limit asked
    count: int                  # every notice since `since` (each kind read up to models.notices.CAP)
    more: bool                  # some kind had more than CAP
    approvals: int              # plans and credit notes waiting for this manager's decision

    @property
    def counter(self) -> str:
        """The header's words: "3 new", "99+ new", "" when nothing is new."""
        if not self.count:
            return ""
        return f"{'99+' if self.more or self.count > 99 else self.count} new"


def notices_view(actor, now: datetime, limit: int = 50) -> NoticesView:
    since = domain.since_for(actor, now)
    rows, count, more = domain.notices(actor, now, since=since)
    items = tuple(Notice(**r) for r in rows[:limit])
    return NoticesView(since=since, now=now, items=items, count=count, more=more,
                       approvals=domain.approvals_waiting(actor))


def open_notices(actor, now: datetime, limit: int = 50) -> NoticesView:
    """The rep looks at their notices: what they see is returned, and from NOW the counter counts anew."""
    view = notices_view(actor, now, limit=limit)
    domain.mark_seen(actor, now)
    return view


def notices_json(view: NoticesView, tz: str | None) -> dict:
    """What `repdesk notices --json` prints: times in ISO 8601 with the rep's offset."""
    return dict(since=iso_local(view.since, tz), count=view.count, more=view.more, approvals=view.approvals,
                notices=[dict(kind=n.kind, at=iso_local(n.at, tz), text=n.text, record=n.record,
                              record_id=n.record_id, client_id=n.client_id) for n in view.items])


def notices_text(view: NoticesView, tz: str | None) -> str:
    """What `repdesk notices` prints: one line per notice, the time in the rep's zone, the zone named."""
    lines = [f"{stamp(n.at, tz)}  {n.title}: {n.text}" for n in view.items]
    if not lines:
        lines = [f"Nothing new since {stamp(view.since, tz)}."]
    elif view.count > len(view.items):
        lines.append(f"... and {view.count - len(view.items)}{'+' if view.more else ''} more.")
    if view.approvals:
        lines.append(f"{view.approvals} plan(s) or credit note(s) wait for your decision.")
    return "\n".join(lines)
