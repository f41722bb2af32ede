"""Today: a rep's agenda (open tasks due by the end of their day, overdue first), what moved today, and the
rep's own attainment (each quota in its current period, models.usecases.attainment)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..activities import agenda
from ..clock import day_bounds
from .attainment import Attainment, own_attainment
from .inbox import Move, moves_seen


@dataclass(frozen=True)
class AgendaItem:
    id: int
    kind: str
    subject: str
    due_at: datetime
    overdue: bool


@dataclass(frozen=True)
class TodayView:
    now: datetime
    tasks: tuple[AgendaItem, ...]
    moves: tuple[Move, ...]      # today's moves to or from the rep (a manager: the team's), newest first
    attainment: tuple[Attainment, ...] = ()   # the rep's quotas in force, each in its current period

    @property
    def overdue(self) -> int:
        return sum(1 for t in self.tasks if t.overdue)


def today_view(actor, now: datetime, moves: int = 6) -> TodayView:
    tasks = tuple(AgendaItem(id=a.id, kind=a.kind, subject=a.subject, due_at=a.due_at, overdue=a.due_at < now)
                  for a in agenda(actor, now))
    since, _end = day_bounds(now, actor.timezone)  # the rep's midnight, not UTC's
    return TodayView(now=now, tasks=tasks, moves=moves_seen(actor, since=since, limit=moves),
                     attainment=own_attainment(actor, now))
