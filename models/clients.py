"""Clients: the card's fields, validated wherever a client is saved (create, edit, import, merge);
versioned saves (a stale one is refused with what changed); likely duplicates; merging two cards."""
from __future__ import annotations

from datetime import date, datetime

from . import settings
from .access import check_client, may_act_for_team, owned_row
from .audit import record
from .clock import iso
from .engine import write_txn
from .errors import DomainError, NotYours, ValidationError
from .tables import Activity, Application, Client, Deal, LostReason, Rep
from .validation import normalize_email, normalize_phone

CARD_FIELDS = ("name", "company", "position", "email", "phone", "birth_date", "hobbies", "marital_status", "family",
               "preferences", "notes", "address", "city", "country", "source")


LABELS = {"name": "Name", "company": "Company / work", "position": "Position", "email": "E-mail", "phone": "Phone",
          "birth_date": "Date of birth", "hobbies": "Hobbies", "marital_status": "Marital status",
          "family": "Family", "preferences": "Preferences", "notes": "Notes", "address": "Address", "city": "City",
          "country": "Country", "source": "Source", "lost_reason": "Lost reason"}
EDITABLE = CARD_FIELDS + ("lost_reason",)


def _check_required(value) -> None:
    for spec in value:
        names = [n.strip() for n in str(spec).split("|")]
        bad = [n for n in names if n not in CARD_FIELDS]
        if not isinstance(spec, str) or not names or bad:
            raise ValidationError(f"client.required lists client fields, alternatives joined by | "
                                  f"(\"email|phone\"); {', '.join(bad) or spec!r} is not one "
                                  f"({', '.join(CARD_FIELDS)}).", field="value")


settings.declare("client.required", ["name", "email|phone"], check=_check_required, writers=settings.MANAGERS,
                 doc='Fields every client must have; "a|b" means at least one of them.')
MULTILINE = ("hobbies", "family", "preferences", "notes", "address")  # text areas on the card
TEXT_LIMIT = 10000  # characters in a free-text field


def clean_fields(fields: dict, region: str | None = None) -> dict:
    """Validated, normalised values of client fields (raises ValidationError naming the field). REGION is
    the default phone region (read from the settings when not given)."""
    from .text import strip_controls

    out = {}
    for key, value in fields.items():
        if key not in EDITABLE:
            raise ValidationError(f"{key!r} is not a client field ({', '.join(EDITABLE)}).", field=key)
        if isinstance(value, str):  # escape sequences and control characters are never stored
            value = strip_controls(value, keep_newlines=key in MULTILINE).strip()
            limit = getattr(Client._meta.fields[key], "max_length", None) or TEXT_LIMIT
            if len(value) > limit and key not in ("country", "phone"):  # those have their own, clearer checks
                raise ValidationError(f"{LABELS[key]} has at most {limit} characters ({len(value)} given).",
                                      field=key)
        if key == "name" and not value:
            raise ValidationError("A client needs a name.", field="name")
        if key == "email":
            value = normalize_email(value)
        elif key == "phone":
            value = normalize_phone(value, region)
        elif key == "birth_date" and value:
            try:
                value = date.fromisoformat(str(value))
            except ValueError:
                raise ValidationError(f"Date of birth {value!r} is not a date (YYYY-MM-DD).", field=key) from None
        elif key == "country" and value:
            if len(value) != 2 or not value.isalpha():
                raise ValidationError(f"Country {value!r} is not a two-letter code (ES, GB, DE ...).", field=key)
            value = value.upper()
        elif key == "lost_reason" and value:
            reasons = lost_reasons()
            if value not in reasons:
                raise ValidationError(f"Lost reason {value!r} is not one of {', '.join(reasons)}.", field=key)
        out[key] = value or None
    return out


def field_problem(name: str, value: str, region: str | None = None) -> str | None:
    """Why VALUE is refused for the client field NAME, as a rep types it; None when it is fine."""
    if name not in EDITABLE or not str(value or "").strip():
        return None
    try:
        clean_fields({name: value}, region=region)
    except ValidationError as exc:
        return str(exc)
    return None


def lost_reasons() -> dict[str, str]:
    """The reasons a client (or deal) is lost, key -> label, as managers keep them."""
    return {r.key: r.label for r in LostReason.select().where(LostReason.applies_to.in_(("client", "both")))
            .order_by(LostReason.id)}


def required_specs() -> list[list[str]]:
    """The client.required setting as alternatives: [["name"], ["email", "phone"]]."""
    return [[n.strip() for n in spec.split("|") if n.strip()] for spec in settings.get("client.required")]


def required_fields() -> set[str]:
    """Every field that appears in a requirement (marked on the card)."""
    return {n for spec in required_specs() for n in spec}


def check_required(values: dict) -> None:
    for names in required_specs():
        if not any(values.get(n) for n in names):
            label = " or ".join(LABELS.get(n, n).lower() for n in names)
            raise ValidationError(f"A client needs {label}.", field=names[0])


def add_client(actor: Rep, now: datetime, **fields) -> Client:
    values = clean_fields(fields)
    check_required(values)
    with write_txn():
        c = Client.create(**values, owner=actor.id, team=actor.team_id, created_at=now, updated_at=now)
        record(actor.login, "client", c.id, "create", new=values.get("name"), at=now)
    return c


def get_client(actor: Rep, client_id: int) -> Client:
    return owned_row(Client, client_id, actor, "client")


def client_dict(c: Client) -> dict:
    d = {k: getattr(c, k) for k in CARD_FIELDS}
    d["birth_date"] = c.birth_date.isoformat() if c.birth_date else None
    return dict(id=c.id, **d, owner=c.owner.login if c.owner_id else None, segment=c.segment,
                last_purchase_at=iso(c.last_purchase_at), lost_reason=c.lost_reason,
                merged_into=c.merged_into_id, version=c.version)


def field_text(c: Client, key: str) -> str:
    """A field as the card's input shows it."""
    value = getattr(c, key)
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def update_client(actor: Rep, client_id: int, changes: dict, now: datetime,
                  expected_version: int | None = None) -> Client:
    """Save changed fields of a card. With EXPECTED_VERSION (the version the rep opened), a save over
    someone else's newer change is refused with what they changed; nothing is overwritten silently."""
    from .audit import record_changes, stale_error

    values = clean_fields(changes)
    with write_txn():
        c = get_client(actor, client_id)
        if c.merged_into_id:
            raise DomainError(f"Client {client_id} was merged into client {c.merged_into_id}; edit that card.")
        if expected_version is not None and c.version != expected_version:
            raise stale_error("client", "Client", c.id, c.version, expected_version)
        before = {k: getattr(c, k) for k in values}
        values = {k: v for k, v in values.items() if _norm(before[k]) != _norm(v)}
        if not values:
            return c
        check_required({**{k: getattr(c, k) for k in CARD_FIELDS}, **values})
        n = (Client.update(**values, updated_at=now, version=Client.version + 1)
             .where((Client.id == c.id) & (Client.version == c.version)).execute())
        if n != 1:  # a concurrent save slipped in between the read and the write
            raise stale_error("client", "Client", c.id, Client.get_by_id(c.id).version, c.version)
        record_changes(actor.login, "client", c.id, {k: before[k] for k in values}, values, at=now)
    return Client.get_by_id(client_id)


def _norm(value):
    if isinstance(value, date):
        return value.isoformat()
    return value if value not in ("",) else None


def reassign_client(actor: Rep, client_id: int, login: str, now: datetime) -> dict:
    """A manager hands a client (with its open deals and open tasks) to another rep of the team; a
    director or admin to anyone. Recorded on the client and on each deal moved."""
    from .access import require_manager
    from .errors import PermissionDenied
    from .reps import get_rep
    from .tables import Stage

    require_manager(actor, "reassign clients")
    with write_txn():
        c = _lock_clients(actor, [client_id])[0]
        if c.merged_into_id:
            raise DomainError(f"Client {client_id} was merged into client {c.merged_into_id}; assign that card.")
        to = get_rep(login)
        if not may_act_for_team(actor, to.team_id):
            raise PermissionDenied(f"{to.login} is not in your team; a director can move clients between teams.")
        if to.id == c.owner_id:
            from .errors import NothingToDo

            raise NothingToDo(f"Client {c.id} is already {to.login}'s.")
        old = c.owner.login if c.owner_id else None
        # the old owner's open deals and tasks go with the client (other reps' stay theirs)
        open_deals = [d.id for d in Deal.select(Deal.id).join(Stage).where(
            (Deal.client == c.id) & ~Stage.terminal & (Deal.owner == c.owner_id))]
        Client.update(owner=to.id, team=to.team_id, updated_at=now, version=Client.version + 1) \
            .where(Client.id == c.id).execute()
        if open_deals:
            Deal.update(owner=to.id, team=to.team_id, updated_at=now, version=Deal.version + 1) \
                .where(Deal.id.in_(open_deals)).execute()
        task_ids = [a.id for a in Activity.select(Activity.id).where(
            (Activity.client == c.id) & Activity.done_at.is_null() & Activity.cancelled_at.is_null()
            & Activity.due_at.is_null(False)
            & (Activity.rep == c.owner_id))]
        if task_ids:
            Activity.update(rep=to.id, version=Activity.version + 1).where(Activity.id.in_(task_ids)).execute()
        tasks = len(task_ids)
        for tid in task_ids:
            record(actor.login, "activity", tid, "reassign", field="rep", old=old, new=to.login, at=now)
        record(actor.login, "client", c.id, "reassign", field="owner", old=old, new=to.login, at=now)
        for did in open_deals:
            record(actor.login, "deal", did, "reassign", field="owner", old=old, new=to.login, at=now)
    return dict(client=c.id, owner=to.login, deals=len(open_deals), tasks=tasks)


def _lock_clients(actor: Rep, ids: list[int]) -> list[Client]:
    """Read clients IDS (in that order) for a change, checking ACTOR may see them; on PostgreSQL the rows
    are locked FOR UPDATE in id order (no deadlock between two merges), on SQLite the write
    transaction already holds the lock."""
    from .engine import is_postgres

    q = Client.select().where(Client.id.in_(ids)).order_by(Client.id)
    rows = {c.id: c for c in (q.for_update() if is_postgres() else q)}
    out = []
    for i in ids:
        if i not in rows:
            raise NotYours("client", i)
        check_client(actor, rows[i])
        out.append(rows[i])
    return out


# ---------------------------------------------------------------- duplicates and merging


def _name_key(name: str) -> str:
    import re
    import unicodedata

    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().casefold()
    return " ".join(sorted(re.findall(r"[a-z0-9]+", text)))


def likely_duplicates(actor: Rep, name: str | None = None, email: str | None = None, phone: str | None = None,
                      exclude: int | None = None, limit: int = 5) -> list[dict]:
    """Existing clients that may be the same person: the same e-mail or phone, or a similar name.
    Each: id, name, owner, reason; a card ACTOR may not see is named only by its owner."""
    from difflib import SequenceMatcher

    from peewee import fn

    from .access import can_see_owned

    found: dict[int, tuple[Client, str]] = {}
    live = Client.merged_into.is_null()
    if exclude is not None:
        live &= Client.id != exclude
    try:
        email = normalize_email(email) if email else None
    except ValidationError:
        email = None
    try:
        phone = normalize_phone(phone) if phone else None
    except ValidationError:
        phone = None
    if email:
        for c in Client.select().where(live & (fn.LOWER(Client.email) == email.lower())).limit(limit):
            found.setdefault(c.id, (c, "same e-mail"))
    if phone:
        for c in Client.select().where(live & (Client.phone == phone)).limit(limit):
            found.setdefault(c.id, (c, "same phone"))
    key = _name_key(name or "")
    if len(key) >= 3:
        words = sorted(key.split(), key=len, reverse=True)[:2]
        cond = None
        for w in words:
            part = fn.LOWER(Client.name).contains(w[:4])
            cond = part if cond is None else cond | part
        for c in Client.select().where(live & cond).order_by(Client.id).limit(500):
            if c.id in found:
                continue
            if SequenceMatcher(None, key, _name_key(c.name)).ratio() >= 0.88:
                found[c.id] = (c, "similar name")
    out = []
    for c, reason in list(found.values())[:limit]:
        visible = can_see_owned(actor, c.owner_id, c.team_id)
        out.append(dict(id=c.id, name=c.name if visible else None, reason=reason, visible=visible,
                        owner=c.owner.login if c.owner_id else None))
    return out


MERGE_TEXT = ("hobbies", "family", "preferences", "notes")


def merge_clients(actor: Rep, keep_id: int, gone_id: int, now: datetime) -> dict:
    """Merge card GONE into card KEEP: every deal (with its invoices and orders), activity and application
    moves to KEEP; empty fields of KEEP are filled from GONE; text fields are joined; a different e-mail or
    phone of GONE is kept in KEEP's notes. GONE stays as a pointer (merged_into) so old links resolve."""
    from .audit import record_changes

    if keep_id == gone_id:
        raise ValidationError("A card cannot be merged into itself.", field="id")
    with write_txn():
        keep, gone = _lock_clients(actor, [keep_id, gone_id])
        for c in (keep, gone):
            if c.merged_into_id:
                raise DomainError(f"Client {c.id} was already merged into client {c.merged_into_id}.")
        before = {k: getattr(keep, k) for k in CARD_FIELDS}
        after = dict(before)
        extra = []
        for k in CARD_FIELDS:
            theirs = getattr(gone, k)
            if theirs in (None, ""):
                continue
            if after[k] in (None, ""):
                after[k] = theirs
            elif k in MERGE_TEXT and str(theirs).strip() not in str(after[k]):
                after[k] = f"{after[k]}\n{theirs}"
            elif k in ("email", "phone") and theirs != after[k]:
                extra.append(f"also {LABELS[k].lower()} {theirs}")
        if extra:
            after["notes"] = "\n".join(x for x in [after["notes"], f"Merged from client {gone.id}: " + ", ".join(extra)] if x)
        last = max([d for d in (keep.last_purchase_at, gone.last_purchase_at) if d], default=None)
        changed = {k: v for k, v in after.items() if _norm(v) != _norm(before[k])}
        deal_ids = [d.id for d in Deal.select(Deal.id).where(Deal.client == gone.id)]
        for did in deal_ids:
            record(actor.login, "deal", did, "merge", field="client", old=gone.id, new=keep.id, at=now)
        moved = dict(
            deals=Deal.update(client=keep.id, updated_at=now, version=Deal.version + 1)
            .where(Deal.client == gone.id).execute(),
            activities=Activity.update(client=keep.id).where(Activity.client == gone.id).execute(),
            applications=Application.update(client=keep.id).where(Application.client == gone.id).execute(),
        )
        Client.update(**changed, last_purchase_at=last, updated_at=now, version=Client.version + 1) \
            .where(Client.id == keep.id).execute()
        Client.update(merged_into=keep.id, updated_at=now, version=Client.version + 1).where(Client.id == gone.id).execute()
        record_changes(actor.login, "client", keep.id, {k: before[k] for k in changed}, changed, at=now, action="merge")
        record(actor.login, "client", keep.id, "merge", field="merged", new=f"client {gone.id}: "
               + ", ".join(f"{n} {k}" for k, n in moved.items()), at=now)
        record(actor.login, "client", gone.id, "merge", field="merged_into", new=keep.id, at=now)
        if last != keep.last_purchase_at:
            from .segments import refresh_segment

            refresh_segment(keep.id, now)
    return dict(kept=keep.id, merged=gone.id, **moved, filled=sorted(changed))


def _client_query(actor: Rep, search: str | None = None, segment: str | None = None):
    from peewee import SQL

    from .access import scope
    from .engine import is_postgres

    q = scope(Client.select().where(Client.merged_into.is_null()), actor, Client.owner, Client.team)
    if segment:
        q = q.where(Client.segment == segment)
    if search:
        import re

        terms = [t for t in re.findall(r"\w+", search.lower())][:6]
        if terms:
            if is_postgres():
                q = q.where(SQL("to_tsvector('simple', coalesce(t1.name,'') || ' ' || coalesce(t1.company,'') || ' ' "
                                "|| coalesce(t1.email,'') || ' ' || coalesce(t1.phone,'') || ' ' || coalesce(t1.notes,''))"
                                " @@ to_tsquery('simple', %s)", [" & ".join(f"{t}:*" for t in terms)]))
            else:
                match = " ".join('"' + t + '"*' for t in terms)
                q = q.where(Client.id.in_(SQL("(SELECT rowid FROM client_fts WHERE client_fts MATCH ?)", [match])))
    return q


def client_page(actor: Rep, *, after: tuple | None = None, before: tuple | None = None, last: bool = False,
                limit: int = 50, search: str | None = None, segment: str | None = None) -> list[Client]:
    """Clients by name, then id, in keyset pages (the same contract as the inbox's pages)."""
    from .paging import keyset_page

    return keyset_page(_client_query(actor, search, segment), (Client.name, Client.id), after=after, before=before,
                       last=last, limit=limit)


def client_count(actor: Rep, search: str | None = None, segment: str | None = None) -> int:
    return _client_query(actor, search, segment).count()
