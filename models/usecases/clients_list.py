"""The Clients list: one page of the actor's clients (the team's for a manager) as plain rows with what
the list and the preview below it paint, in a few queries per page (the clients, their owners' logins,
their next open task)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..activities import next_tasks_due
from ..clients import client_count, client_page
from ..tables import Rep

# the fields the preview lists after the name line, in this order, when they are not empty
PREVIEW_FIELDS = ("company", "email", "phone", "birth_date", "hobbies", "preferences", "notes")


@dataclass(frozen=True)
class ClientRow:
    id: int
    name: str
    company: str | None
    email: str | None
    phone: str | None
    segment: str
    owner: str | None                  # the owner's login
    last_purchase_at: datetime | None
    next_task_due: datetime | None     # the earliest open task with a due date
    details: tuple[tuple[str, str], ...]  # (field, text) of PREVIEW_FIELDS that are filled in


@dataclass(frozen=True)
class ClientsPage:
    """The first page of a filter and how many clients match it."""
    rows: tuple[ClientRow, ...]
    total: int


def client_rows(actor, *, after: tuple | None = None, before: tuple | None = None, last: bool = False,
                limit: int = 50, search: str | None = None, segment: str | None = None) -> tuple[ClientRow, ...]:
    """One keyset page by (name, id), as models.clients.client_page orders it."""
    rows = client_page(actor, after=after, before=before, last=last, limit=limit, search=search or None,
                       segment=segment)
    if not rows:
        return ()
    due = next_tasks_due([r.id for r in rows])
    owner_ids = {r.owner_id for r in rows if r.owner_id}
    logins = dict(Rep.select(Rep.id, Rep.login).where(Rep.id.in_(owner_ids)).tuples()) if owner_ids else {}
    return tuple(_row(r, logins.get(r.owner_id), due.get(r.id)) for r in rows)


def clients_total(actor, *, search: str | None = None, segment: str | None = None) -> int:
    return client_count(actor, search=search or None, segment=segment)


def first_page(actor, *, limit: int = 50, search: str | None = None, segment: str | None = None) -> ClientsPage:
    return ClientsPage(rows=client_rows(actor, limit=limit, search=search, segment=segment),
                       total=clients_total(actor, search=search, segment=segment))


def _row(c, owner: str | None, next_due: datetime | None) -> ClientRow:
    details = []
    for k in PREVIEW_FIELDS:
        value = getattr(c, k)
        if value:
            details.append((k, value.isoformat() if hasattr(value, "isoformat") else str(value)))
    return ClientRow(id=c.id, name=c.name, company=c.company, email=c.email, phone=c.phone, segment=c.segment,
                     owner=owner, last_purchase_at=c.last_purchase_at, next_task_due=next_due,
                     details=tuple(details))
