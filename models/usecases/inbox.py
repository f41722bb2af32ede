"""The inbox as screens and `--json` read it: list rows, one application's view, the quarantine.

Every read returns frozen dataclasses (no Peewee row leaves here); the operations the inbox screen
runs (claim, contact, transfer, close, a phone application) return the changed row the same way.
`*_json` give what the CLI prints with --json (the keys it always printed).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from .. import inbox
from ..access import can_see_application, takes_applications
from ..clock import iso


@dataclass(frozen=True)
class InboxRow:
    """One application as the inbox list, its detail pane and `repdesk inbox --json` show it."""
    id: int
    channel: str
    received_at: datetime
    name: str
    email: str
    phone: str
    subject: str
    text: str
    score: int
    reasons: tuple[str, ...]
    owner: str | None            # the owner's login
    due_at: datetime
    status: str
    first_contact_at: datetime | None
    client_id: int | None        # a known client (same e-mail or phone)
    duplicate_of: int | None     # likely duplicate of this earlier application
    transfers: int
    version: int
    owner_id: int | None = None
    rank: int = 0

    @property
    def key(self) -> tuple:
        """Where the row sits in inbox order (the keyset the pager continues from)."""
        return (self.rank, self.received_at, self.id)

    @property
    def who(self) -> str:
        return self.name or self.email or self.phone


@dataclass(frozen=True)
class Move:
    """An application moving from one rep (None: the open inbox) to another."""
    application_id: int
    at: datetime
    from_rep: str | None
    to_rep: str | None
    reason: str
    actor: str


@dataclass(frozen=True)
class ActivityLine:
    kind: str
    at: datetime | None
    subject: str
    note: str | None


@dataclass(frozen=True)
class ApplicationView:
    """One application with its history: what the details screen and `repdesk show` show."""
    application: InboxRow
    history: tuple[Move, ...]
    activities: tuple[ActivityLine, ...]


@dataclass(frozen=True)
class QuarantineRow:
    id: int
    source: str
    line: int | None
    raw: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class RepChoice:
    """A rep an application can be handed to."""
    login: str
    name: str
    away: bool


_JSON_KEYS = ("id", "channel", "received_at", "name", "email", "phone", "subject", "text", "score", "reasons",
              "owner", "due_at", "status", "first_contact_at", "client_id", "duplicate_of", "transfers", "version")


def row_of(a) -> InboxRow:
    """An application row (read with models.inbox.with_owner) as plain data."""
    return InboxRow(
        id=a.id, channel=a.channel, received_at=a.received_at, name=a.name, email=a.email,
        phone=a.phone, subject=a.subject, text=a.text, score=a.score,
        reasons=tuple(json.loads(a.reasons or "[]")), owner=getattr(a, "owner_login", None),
        due_at=a.due_at, status=a.status, first_contact_at=a.first_contact_at, client_id=a.client_id,
        duplicate_of=a.duplicate_of_id, transfers=a.transfers, version=a.version, owner_id=a.owner_id,
        rank=a.rank)


def _move(m: dict) -> Move:
    return Move(application_id=m["application_id"], at=m["at"], from_rep=m["from_rep"], to_rep=m["to_rep"],
                reason=m["reason"], actor=m["actor"])


# ---------------------------------------------------------------- reads

def inbox_rows(actor, *, after: tuple | None = None, before: tuple | None = None, last: bool = False,
               limit: int = 50, **filters) -> list[InboxRow]:
    """One keyset page of the inbox in display order (filters: channel, owner, search, mine)."""
    return [row_of(a) for a in inbox.inbox_page(actor, after=after, before=before, last=last, limit=limit,
                                                **filters)]


COUNT_CAP = inbox.SEARCH_CAP


def inbox_count(actor, cap: int | None = None, **filters) -> int:
    """How many rows the filtered inbox has; with CAP at most CAP + 1 (shown as "1,000+": never a scan)."""
    return inbox.inbox_count(actor, cap=cap, **filters)


@dataclass(frozen=True)
class FirstPage:
    """The inbox's first page and its capped count, read before the workstation's first paint."""
    rows: tuple
    count: int
    limit: int


def first_page(actor, lines: int) -> FirstPage:
    """What the inbox shows first (no filter) on a terminal of LINES lines: two screens of rows, so the
    list has its buffer at once, and the status line's capped count."""
    limit = max(2 * lines, 40)
    return FirstPage(rows=tuple(inbox_rows(actor, limit=limit)), count=inbox_count(actor, cap=COUNT_CAP),
                     limit=limit)


def application_row(app_id: int) -> InboxRow:
    """One application as a list row (NotFound when there is none)."""
    return row_of(inbox.get_application(app_id))


def application_view(actor, app_id: int) -> ApplicationView:
    """The application, its moves and its activities, if ACTOR may see it (models.access
    .can_see_application): NotYours, "There is no application N, or it is not yours.", both when there is
    none and when it is another's (a contacted or closed application of someone else's team)."""
    from ..errors import NotFound, NotYours

    try:
        a = inbox.get_application(app_id)
    except NotFound:
        raise NotYours("application", app_id) from None
    if not can_see_application(actor, a.owner_id, a.team_id, a.open):
        raise NotYours("application", app_id)
    return ApplicationView(
        application=row_of(a),
        history=tuple(_move(m) for m in inbox.moves_of(app_id)),
        activities=tuple(ActivityLine(kind=x["kind"], at=x["at"], subject=x["subject"], note=x["note"])
                         for x in inbox.activities_of(app_id)))


def moves_seen(actor, since: datetime | None = None, limit: int = 50) -> tuple[Move, ...]:
    """Moves that concern ACTOR (their own; a manager's team; everything for a director), newest first."""
    return tuple(_move(m) for m in inbox.visible_moves(actor, since=since, limit=limit))


def quarantine_rows(actor, limit: int = 100) -> tuple[QuarantineRow, ...]:
    """Intake lines and messages that could not be imported, newest first: for managers, directors and
    admins only (the rejected lines carry every team's names, e-mails and phones)."""
    from ..access import require_manager

    require_manager(actor, "see the quarantine (the lines intake refused)")
    return tuple(QuarantineRow(**q) for q in inbox.quarantined(limit))


def transfer_targets(exclude_id: int | None) -> tuple[RepChoice, ...]:
    """Active reps and managers an application can move to (not its owner EXCLUDE_ID), by login."""
    from ..reps import list_reps

    return tuple(RepChoice(login=r.login, name=r.name, away=bool(r.away)) for r in list_reps()
                 if r.active and r.id != exclude_id and takes_applications(r))


# ---------------------------------------------------------------- operations

def claim(actor, app_id: int, now: datetime) -> InboxRow:
    return row_of(inbox.claim(actor, app_id, now))


def claim_next(actor, now: datetime, **filters) -> InboxRow:
    return row_of(inbox.claim_next(actor, now, **filters))


def contact(actor, app_id: int, kind: str, now: datetime, note: str | None = None) -> InboxRow:
    return row_of(inbox.contact(actor, app_id, kind, now, note=note))


def transfer(actor, app_id: int, to_login: str, reason: str, now: datetime) -> InboxRow:
    return row_of(inbox.transfer(actor, app_id, to_login, reason, now))


def close(actor, app_id: int, status: str, reason: str, now: datetime) -> InboxRow:
    return row_of(inbox.close(actor, app_id, status, reason, now))


# ---------------------------------------------------------------- JSON (the CLI's --json)

def row_json(row: InboxRow) -> dict:
    d = {k: getattr(row, k) for k in _JSON_KEYS}
    d.update(received_at=iso(row.received_at), due_at=iso(row.due_at), first_contact_at=iso(row.first_contact_at),
             reasons=list(row.reasons))
    return d


def view_json(view: ApplicationView) -> dict:
    d = row_json(view.application)
    d["history"] = [dict(at=iso(m.at), from_rep=m.from_rep, to_rep=m.to_rep, reason=m.reason, actor=m.actor)
                    for m in view.history]
    d["activities"] = [dict(kind=a.kind, at=iso(a.at), subject=a.subject, note=a.note) for a in view.activities]
    return d


def application_detail(actor, app_id: int) -> dict:
    """`repdesk show ID --json`: the application, its moves and activities as JSON-ready data."""
    return view_json(application_view(actor, app_id))


def quarantine_json(rows: tuple[QuarantineRow, ...]) -> list[dict]:
    return [dict(id=q.id, source=q.source, line=q.line, raw=q.raw, reason=q.reason, at=iso(q.at)) for q in rows]
