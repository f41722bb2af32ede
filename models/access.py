"""Who may see and change what. The same checks serve every screen, CLI command and export.

rep: the open inbox, their own clients, deals, invoices and tasks.
manager: everything of their team; stage rules; installment plan approval.
director: everything. admin: reps, keys, settings (and sees everything).

Reps, keys and settings: until the first admin exists (a fresh install, set up by the service account that
owns the database), whoever runs the command may change them; from then on the acting login must be an
admin (managers may also set the client and segment rules and the catalog, and mark their team away).
"""
from __future__ import annotations

from .engine import locked
from .errors import NotYours, PermissionDenied
from .tables import Client, Deal, Rep

SEE_ALL = ("director", "admin")


def is_manager(actor: Rep) -> bool:
    return actor.role in ("manager", "director", "admin")


def sees_all(actor: Rep) -> bool:
    return actor.role in SEE_ALL


def sees_only_own(actor: Rep) -> bool:
    """A plain rep: the open inbox and their own records, nothing of the team's."""
    return actor.role == "rep"


def leads_team(actor: Rep) -> bool:
    """A manager with a team: sees and acts for that team."""
    return actor.role == "manager" and actor.team_id is not None


def may_act_for_team(actor: Rep, team_id: int | None) -> bool:
    """Whether ACTOR may act on people or records of TEAM_ID (a manager: their own team only)."""
    return sees_all(actor) or (actor.role == "manager" and actor.team_id == team_id)


def takes_applications(rep: Rep) -> bool:
    """Reps and managers work the inbox; directors and admins are not handed applications."""
    return rep.role in ("rep", "manager")


def require_role(actor: Rep, *roles: str, what: str = "do that") -> None:
    if actor.role not in roles:
        raise PermissionDenied(f"{actor.login} ({actor.role}) may not {what}; that needs "
                               f"{' or '.join(roles)}.")


def require_manager(actor: Rep, what: str = "do that") -> None:
    require_role(actor, "manager", "director", "admin", what=what)


def owner_condition(actor: Rep, owner_field, team_field=None):
    """A WHERE condition limiting rows to what ACTOR may see, or None for everything."""
    if actor.role in SEE_ALL:
        return None
    if actor.role == "manager" and actor.team_id is not None and team_field is not None:
        return (team_field == actor.team_id) | (owner_field == actor.id)
    return owner_field == actor.id


def scope(query, actor: Rep, owner_field, team_field=None):
    cond = owner_condition(actor, owner_field, team_field)
    return query if cond is None else query.where(cond)


def can_see_owned(actor: Rep, owner_id: int | None, team_id: int | None) -> bool:
    if actor.role in SEE_ALL:
        return True
    if owner_id == actor.id:
        return True
    return actor.role == "manager" and actor.team_id is not None and team_id == actor.team_id


def owned_row(model, row_id: int, actor: Rep, noun: str, *, lock: bool = False, owner_of=None,
              owner_noun: str = "deal"):
    """The row of MODEL with ROW_ID, if ACTOR may see it: the one place for "get it, then check it".

    NotYours (exit 4) both when there is none and when it is not the actor's, with the same sentence
    ("There is no invoice 7, or it is not yours."), so a refusal never reveals that the record exists.
    OWNER_OF maps a row to the record that carries its owner (e.g. an invoice to its deal); OWNER_NOUN is
    kept for callers but no longer named in the refusal. LOCK takes the row lock too."""
    q = model.select().where(model.id == row_id)
    row = (locked(q) if lock else q).first()
    if row is None:
        raise NotYours(noun, row_id)
    owner = owner_of(row) if owner_of is not None else row
    if not can_see_owned(actor, owner.owner_id, owner.team_id):
        raise NotYours(noun, row_id)
    return row


def visible_order(actor: Rep, order_id: int, *, lock: bool = False):
    """The warehouse order ORDER_ID if ACTOR may see its deal, else NotYours naming the order only ("There is
    no order 3, or it is not yours.": not the deal behind it)."""
    from .tables import Order

    return owned_row(Order, order_id, actor, "order", lock=lock, owner_of=lambda o: Deal.get_by_id(o.deal_id))


def check_client(actor: Rep, client: Client) -> None:
    if not can_see_owned(actor, client.owner_id, client.team_id):
        raise NotYours("client", client.id)


def check_deal(actor: Rep, deal: Deal) -> None:
    if not can_see_owned(actor, deal.owner_id, deal.team_id):
        raise NotYours("deal", deal.id)


def can_see_application(actor: Rep, owner_id: int | None, team_id: int | None, is_open: bool) -> bool:
    """An open application is in everyone's inbox; once contacted, closed or converted it is its owner's
    (their manager's team's, a director's) like any owned record."""
    return bool(is_open) or can_see_owned(actor, owner_id, team_id)


def admin_gate(login: str, what: str, roles: tuple[str, ...] = ("admin",)) -> None:
    """Refuse LOGIN unless it has one of ROLES, once an admin exists (see the module's text)."""
    if not Rep.select().where(Rep.role == "admin").exists():
        return
    rep = Rep.get_or_none(Rep.login == login)
    if rep is None or rep.role not in roles:
        who = f"{login} ({rep.role})" if rep is not None else f"{login} (not a rep)"
        denied = PermissionDenied(f"{who} may not {what}; that needs {' or '.join(roles)}: act as one.")
        denied.field = "as_login"  # the CLI names its --as option
        raise denied
