"""The reps a person works with (the team screen, assigning a client): their team's, everyone's for a
director or admin; active ones, by login."""
from __future__ import annotations

from dataclasses import dataclass

from peewee import JOIN

from ..access import sees_all
from ..tables import Rep, Team


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
