"""Reps and teams."""
from __future__ import annotations

import re
from dataclasses import dataclass

from peewee import JOIN

from .audit import record
from .clock import utcnow, valid_zone
from .engine import write_txn
from .errors import NotFound, ValidationError
from .tables import ROLES, Rep, Team

_LOGIN = re.compile(r"^[a-z_][a-z0-9_.-]{0,63}$")


def rep_dict(rep: Rep) -> dict:
    return dict(id=rep.id, login=rep.login, name=rep.name, role=rep.role,
                team=rep.team.name if rep.team_id else None, away=bool(rep.away),
                timezone=rep.timezone, active=bool(rep.active))


@dataclass(frozen=True)
class Actor:
    """Who is signed in, as screens and use cases see them (no database row leaves models/).

    Every operation that takes an acting rep reads only these attributes, so an Actor and a Rep row
    serve alike."""
    id: int
    login: str
    name: str
    role: str
    team_id: int | None
    team_name: str | None
    timezone: str


def actor_of(rep) -> Actor:
    """The Actor of a Rep row (or an Actor already)."""
    if isinstance(rep, Actor):
        return rep
    team = rep.team.name if rep.team_id else None
    return Actor(id=rep.id, login=rep.login, name=rep.name, role=rep.role, team_id=rep.team_id, team_name=team,
                 timezone=rep.timezone or "UTC")


def get_actor(login: str) -> Actor:
    return actor_of(get_rep(login))


def get_rep(login: str) -> Rep:
    rep = Rep.select(Rep, Team).join(Team, JOIN.LEFT_OUTER).where(Rep.login == login).first()
    if rep is None:
        raise NotFound(f"There is no rep with login {login!r} (see 'repdesk rep list', or add one with "
                       f"'repdesk rep add {login} --name NAME --role rep').")
    if not rep.active:
        raise NotFound(f"The rep {login!r} is deactivated.")
    return rep


def get_or_create_team(name: str, now) -> Team:
    team = Team.get_or_none(Team.name == name)
    if team is None:
        team = Team.create(name=name, created_at=now)
    return team


def add_rep(actor: str, login: str, name: str, role: str = "rep", team: str | None = None,
            timezone: str = "UTC", email: str | None = None, now=None) -> Rep:
    now = now or utcnow()
    login = (login or "").strip()
    if not _LOGIN.match(login):
        raise ValidationError(f"Login {login!r} must be lower-case letters, digits, '.', '_' or '-', "
                              "starting with a letter.", field="login")
    name = (name or "").strip()
    if not name:
        raise ValidationError("A rep needs a name.", field="name")
    if role not in ROLES:
        raise ValidationError(f"Role {role!r} is not one of {', '.join(ROLES)}.", field="role")
    if not valid_zone(timezone):
        raise ValidationError(f"{timezone!r} is not a time zone (e.g. Europe/Madrid).", field="timezone")
    if email:
        from .validation import normalize_email

        email = normalize_email(email)
    with write_txn():
        from .access import admin_gate

        admin_gate(actor, "add reps")
        if Rep.select().where(Rep.login == login).exists():
            raise ValidationError(f"A rep with login {login!r} already exists.", field="login")
        team_row = get_or_create_team(team.strip(), now) if team and team.strip() else None
        rep = Rep.create(login=login, name=name, role=role, team=team_row, timezone=timezone,
                         email=email, created_at=now)
        if role == "manager" and team_row is not None and team_row.manager is None:
            Team.update(manager=rep.id).where(Team.id == team_row.id).execute()
        record(actor, "rep", rep.id, "create", new=f"{login} ({role}, team {team or '-'})", at=now)
    return rep


def list_reps() -> list[Rep]:
    return list(Rep.select(Rep, Team).join(Team, JOIN.LEFT_OUTER).order_by(Rep.login))


def set_away(actor: str, login: str, away: bool, now=None) -> Rep:
    now = now or utcnow()
    with write_txn():
        rep = get_rep(login)
        if actor != rep.login:  # a rep marks themself; a manager their team; an admin anyone
            from .access import admin_gate, may_act_for_team
            from .errors import PermissionDenied

            admin_gate(actor, "mark other reps away", roles=("admin", "director", "manager"))
            me = Rep.get_or_none(Rep.login == actor)
            if me is not None and me.role == "manager" and not may_act_for_team(me, rep.team_id):
                raise PermissionDenied(f"{actor} (manager) may mark only their own team away; {rep.login} is not.")
        if bool(rep.away) != away:
            Rep.update(away=away, version=Rep.version + 1).where(Rep.id == rep.id).execute()
            record(actor, "rep", rep.id, "update", field="away", old=bool(rep.away), new=away, at=now)
        rep.away = away
    return rep
