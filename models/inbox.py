"""The inbox: incoming applications, their ranking, claims, first contact, deadlines and transfers.

Order: score high first (stored as rank = -score), then oldest first, then id.
One index per list (open, rank, received_at, id) serves keyset pagination, so
the screen stays instant with a million rows.

Concurrency: a claim is a guarded UPDATE (... WHERE owner IS NULL), so two reps
never both get one, on either engine. `claim_next` and `sweep` pick rows with
FOR UPDATE SKIP LOCKED on PostgreSQL and inside BEGIN IMMEDIATE on SQLite, and
every move is again a guarded UPDATE, so concurrent sweeps move each
application once.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from peewee import JOIN, SQL, Tuple, fn

from . import settings
from .access import can_see_application, leads_team, sees_all, sees_only_own
from .audit import SYSTEM, record
from .clock import iso
from .engine import (database, insert_many_ids, insert_rows, is_postgres, is_sqlite, sqlite_has_update_from,
                     db_time, write_txn)
from .errors import NotFound, NothingToDo, NotYours, PermissionDenied, ValidationError
from .paging import keyset_page
from .migration_0007 import ACCENTED, PLAIN
from .tables import CHANNELS, Activity, Application, Audit, Rep, Transfer
from .text import clean_incoming


def _check_sla(value) -> None:
    if set(value) - set(CHANNELS):
        raise ValidationError(f"sla.minutes has a number of minutes per channel ({', '.join(CHANNELS)}).",
                              field="value")
    for channel, minutes in value.items():
        settings.whole(f"sla.minutes[{channel}]", minutes, 1, 60 * 24 * 30)


def _check_strategy(value) -> None:
    if value not in ("round_robin", "least_loaded"):
        raise ValidationError('sla.strategy is "round_robin" or "least_loaded".', field="value")


settings.declare("sla.minutes", {"phone": 60, "email": 60, "social": 60, "website": 60}, check=_check_sla,
                 doc="Minutes a new application waits for its first contact, per channel.")
settings.declare("sla.strategy", "round_robin", check=_check_strategy,
                 doc='How an overdue application finds its next rep: "round_robin" or "least_loaded".')

CONTACT_KINDS = ("call", "email", "message", "meeting")


# ---------------------------------------------------------------- settings

def sla_minutes(channel: str, table: dict | None = None) -> int:
    table = table if table is not None else settings.get("sla.minutes")
    try:
        minutes = int(table.get(channel, table.get("default", 60)))
    except (TypeError, ValueError):
        minutes = 60
    return max(minutes, 1)


# ---------------------------------------------------------------- output

def app_dict(a: Application, owner_login: str | None = None) -> dict:
    if owner_login is None and a.owner_id is not None:
        owner_login = getattr(getattr(a, "owner", None), "login", None)
    return dict(
        id=a.id, channel=a.channel, received_at=iso(a.received_at), name=a.name, email=a.email,
        phone=a.phone, subject=a.subject, text=a.text, score=a.score, reasons=json.loads(a.reasons or "[]"),
        owner=owner_login, due_at=iso(a.due_at), status=a.status,
        first_contact_at=iso(a.first_contact_at), client_id=a.client_id, duplicate_of=a.duplicate_of_id,
        transfers=a.transfers, version=a.version,
    )


def with_owner(query):
    """QUERY over applications with the owner's login as `owner_login` (the one application + owner join)."""
    return query.select_extend(Rep.login.alias("owner_login")).join(
        Rep, JOIN.LEFT_OUTER, on=(Application.owner == Rep.id))


def get_application(app_id: int) -> Application:
    a = with_owner(Application.select()).where(Application.id == app_id).objects().first()
    if a is None:
        raise NotFound(f"There is no application {app_id}.")
    return a


def _logins() -> dict[int, str]:
    return {r.id: r.login for r in Rep.select(Rep.id, Rep.login)}


def _move_row(t: Transfer, logins: dict) -> dict:
    return dict(application_id=t.application_id, at=t.at, from_rep=logins.get(t.from_rep_id),
                to_rep=logins.get(t.to_rep_id), reason=t.reason, actor=t.actor)


def moves_of(app_id: int) -> list[dict]:
    """The moves of one application, oldest first (`at` a datetime; reps by login)."""
    logins = _logins()
    return [_move_row(t, logins) for t in Transfer.select().where(Transfer.application == app_id)
            .order_by(Transfer.id)]


def activities_of(app_id: int) -> list[dict]:
    """The activities logged on one application, oldest first (`at` a datetime)."""
    return [dict(kind=x.kind, at=x.done_at or x.created_at, subject=x.subject, note=x.note)
            for x in Activity.select().where(Activity.application == app_id).order_by(Activity.id)]


# ---------------------------------------------------------------- arrival

def scoring_input(data: dict) -> tuple[str, str]:
    """(text, subject) as prepare_application scores them: what a read ahead (scoring.read_text, in a
    worker process) must read for its result to be used."""
    text = clean_incoming(data.get("text"))
    subject = clean_incoming(data.get("subject")).strip()[:300]
    return (text if not subject else f"{subject}\n{text}"), subject


# the reasons as stored: json.dumps(reasons, ensure_ascii=False), without making an encoder per line
_reasons_json = json.JSONEncoder(ensure_ascii=False).encode


def prepare_application(data: dict, now: datetime, *, catalog=None, sla: dict | None = None,
                        known: bool = False, weights: dict | None = None, read=None) -> dict:
    """Validate and score one incoming application; returns the row to insert (no DB writes). READ: the
    text's signals read ahead (scoring.read_text of scoring_input(DATA)), else they are read here."""
    from .scoring import score_application

    channel = (data.get("channel") or "").strip().lower()
    if channel not in CHANNELS:
        raise ValidationError(f"channel must be one of {', '.join(CHANNELS)}, not {channel or '(empty)'!r}",
                              field="channel")
    received = data.get("received_at") or now
    if not isinstance(received, datetime):
        raise ValidationError("received_at must be a date and time", field="received_at")
    # the last line of the boundary (models/intake.py is the first): nothing either engine refuses
    text = clean_incoming(data.get("text"))
    name = clean_incoming(data.get("name")).strip()[:200]
    email = clean_incoming(data.get("email")).strip()
    if len(email) > 254:
        raise ValidationError(f"the e-mail address is {len(email)} characters long; at most 254 fit.", field="email")
    phone = clean_incoming(data.get("phone")).strip()[:64]
    subject = clean_incoming(data.get("subject")).strip()[:300]
    message_id = clean_incoming(data.get("message_id")).strip() or None
    if message_id and len(message_id) > 300:
        raise ValidationError(f"the Message-ID is {len(message_id)} characters long; at most 300 fit.",
                              field="message_id")
    if not (text.strip() or subject):
        raise ValidationError("the application has no text", field="text")
    if not (name or email or phone):
        raise ValidationError("the application has no name, e-mail or phone to answer", field="contact")
    scored = score_application(text if not subject else f"{subject}\n{text}", name=name, email=email,
                               phone=phone, subject=subject, channel=channel, catalog=catalog,
                               known_client=known, weights=weights, read=read)
    return dict(channel=channel, received_at=received, name=name, email=email, phone=phone, subject=subject,
                text=text, message_id=message_id, score=scored.score, rank=-scored.score,
                reasons=_reasons_json(scored.reasons),
                due_at=received + timedelta(minutes=sla_minutes(channel, sla)), status="new", open=True,
                created_at=now)


def _select_in(sql: str, values: list, *extra, n: int = 500):
    """The rows of SQL (a statement whose "IN ({})" takes the values) for VALUES, a few hundred at a time,
    EXTRA parameters after them; raw rows, as the driver gives them. An intake asks this for every one of
    its lines (message ids, contacts): built by hand, the statement costs nothing next to peewee's."""
    mark = database.param
    for part in _chunks(values, n):
        yield from database.execute_sql(sql.format(", ".join([mark] * len(part))), [*part, *extra]).fetchall()


def _known_clients(rows: list[dict]) -> dict[str, int]:
    """Map normalised e-mail / phone -> client id for contacts already in the client base."""
    emails = {r["email"].lower() for r in rows if r.get("email")}
    phones = {_digits(r["phone"]) for r in rows if r.get("phone")}
    found: dict[str, int] = {}
    for client_id, email in _select_in("SELECT id, email FROM client WHERE LOWER(email) IN ({})", sorted(emails)):
        found[f"e:{email.lower()}"] = client_id
    plus = ["+" + p for p in sorted(phones) if p]
    for client_id, phone in _select_in("SELECT id, phone FROM client WHERE phone IN ({})", plus):
        found[f"p:{_digits(phone)}"] = client_id
    return found


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone or "" if ch.isdigit())


def _chunks(seq, n):
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def _client_key(row: dict) -> list[str]:
    keys = []
    if row.get("email"):
        keys.append(f"e:{row['email'].lower()}")
    if row.get("phone") and _digits(row["phone"]):
        keys.append(f"p:{_digits(row['phone'])}")
    return keys


def add_applications(actor: str, items: list[dict], now: datetime, *, batch: int = 2000,
                     rejected: list | None = None, prepared: list | None = None, catalog=None,
                     weights: dict | None = None, sla: dict | None = None, audit: bool = True
                     ) -> list[int | None]:
    """Store already-validated applications (dicts from prepare_application's input) in one transaction.

    Each is scored, linked to a known client (same e-mail or phone), and marked as a
    likely duplicate of an earlier open application from the same contact with
    similar text within a day (marked, never merged). Returns the new ids in order.
    Messages whose Message-ID is already stored are skipped (id None in the result).
    With REJECTED (a list), an item prepare_application refuses is appended to it as (index, reason)
    and gets id None, instead of failing the whole batch.
    PREPARED: each item's row made ahead by prepare_application (or None), scored as from a contact who is
    not a client, with the CATALOG, WEIGHTS and SLA given (models.intake prepares a large file in worker
    processes); an item whose contact is a known client is prepared again here. AUDIT False: the caller
    writes the one audit row of the whole intake.
    """
    from .scoring import load_catalog

    if prepared is None:
        catalog = load_catalog()
        weights = settings.get("scoring.weights") or {}  # read once per batch, not once per application
    if sla is None:
        sla = settings.get("sla.minutes")
    ids: list[int | None] = []
    with write_txn():
        for start in range(0, len(items), batch):
            chunk = items[start:start + batch]
            known = _known_clients(chunk)
            mids = [d.get("message_id") for d in chunk if d.get("message_id")]
            seen_mids = {m for (m,) in _select_in("SELECT message_id FROM application WHERE message_id IN ({})",
                                                  mids)}
            rows = []
            for k, d in enumerate(chunk, start=start):
                if d.get("message_id") and d["message_id"] in seen_mids:
                    rows.append(None)
                    continue
                keys = _client_key({"email": d.get("email") or "", "phone": d.get("phone") or ""})
                client_id = next((known[k] for k in keys if k in known), None)
                try:
                    row = prepared[k] if prepared is not None and client_id is None else None
                    if row is None:
                        row = prepare_application(d, now, catalog=catalog, sla=sla, known=client_id is not None,
                                                  weights=weights)
                except ValidationError as exc:
                    if rejected is None:
                        raise
                    rejected.append((start + len(rows), str(exc)))
                    rows.append(None)
                    continue
                row["client"] = client_id
                if row["message_id"]:
                    seen_mids.add(row["message_id"])
                rows.append(row)
            real = [r for r in rows if r is not None]
            new_ids = _insert(real)
            it = iter(new_ids)
            for r in rows:
                ids.append(None if r is None else next(it))
            _mark_duplicates([(i, r) for i, r in zip(new_ids, real)])
        created = [i for i in ids if i is not None]
        if created and audit:
            record(actor, "application", created[0], "intake",
                   new=f"{len(created)} application(s), ids {created[0]}..{created[-1]}", at=now)
    return ids


class arrivals_in_bulk:
    """Inside write_txn(), around a large intake: on SQLite the full-text rows of the applications inserted
    in the block are written once at its end (one INSERT ... SELECT of the new open rows) instead of by the
    insert trigger row by row, a fifth of an intake's storing, and the page cache is larger meanwhile
    (random inserts into the message-id and contact indexes). The trigger is dropped and made again inside
    the caller's transaction, so a failure rolls both back with the rows. The block inserts applications and
    may change their columns that are not searched (duplicate_of, client); it must not update the searched
    ones of, nor delete, the rows it inserts (their index rows are not there yet). PostgreSQL: nothing to do
    (the search vector is a generated column)."""

    CACHE_KIB = 65536

    def __enter__(self):
        self._trigger = self._cache = None
        if not is_sqlite():
            return self
        row = database.execute_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                                   "AND name = 'application_fts_ai'").fetchone()
        self._cache = database.execute_sql("PRAGMA cache_size").fetchone()[0]
        database.execute_sql(f"PRAGMA cache_size = -{self.CACHE_KIB}")
        if row is not None:
            self._last = database.execute_sql("SELECT COALESCE(MAX(id), 0) FROM application").fetchone()[0]
            database.execute_sql("DROP TRIGGER application_fts_ai")
            self._trigger = row[0]
        return self

    def index_new(self) -> None:
        """Write the full-text rows of the applications inserted so far (an intake calls it after each
        chunk, so the index is written while the worker processes read the next ones)."""
        if self._trigger is None:
            return
        top = database.execute_sql("SELECT COALESCE(MAX(id), 0) FROM application").fetchone()[0]
        if top > self._last:
            database.execute_sql("INSERT INTO application_fts(rowid, name, email, subject, text) "
                                 "SELECT id, name, email, subject, text FROM application "
                                 "WHERE id > ? AND id <= ? AND open ORDER BY id", (self._last, top))
            self._last = top

    def __exit__(self, exc_type, exc, tb):
        try:
            if self._trigger is not None:
                if exc_type is None:
                    self.index_new()
                database.execute_sql(self._trigger)
        finally:
            if self._cache is not None:
                database.execute_sql(f"PRAGMA cache_size = {int(self._cache)}")
        return False


def _insert(rows: list[dict]) -> list[int]:
    """ROWS are prepare_application's (plus the client id): values the driver takes as they are."""
    return insert_many_ids(Application, rows, plain=True) if rows else []


def _mark_duplicates(pairs: list[tuple[int, dict]]) -> None:
    """Same contact + similar text within a day: mark the later one as a likely duplicate.

    PAIRS are the batch just inserted, in id order. One query per few hundred contacts finds the earlier
    applications stored before the batch; the batch's own are compared from memory.
    """
    from rapidfuzz import fuzz

    if not pairs:
        return
    emails = sorted({r["email"] for _, r in pairs if r["email"]})
    phones = sorted({r["phone"] for _, r in pairs if r["phone"]})
    if not (emails or phones):
        return
    day = timedelta(days=1)
    first = min(i for i, _ in pairs)
    lo = min(r["received_at"] for _, r in pairs) - day
    hi = max(r["received_at"] for _, r in pairs)
    # key -> [id, received_at, text, duplicate_of], in id order
    by_contact: dict[str, list] = {}
    earlier: dict[int, tuple] = {}
    tail = "AND id < {p} AND received_at BETWEEN {p} AND {p}".format(p=database.param)
    head = "SELECT id, email, phone, text, received_at, duplicate_of_id FROM application WHERE "
    window = (first, db_time(lo), db_time(hi))
    for column, values in (("email", emails), ("phone", phones)):
        for r in _select_in(head + column + " IN ({}) " + tail, values, *window):
            earlier[r[0]] = r
    as_time = Application.received_at.python_value
    for app_id, email, phone, text, received, dup in earlier.values():
        received = as_time(received)
        for key in (f"e:{email}" if email else None, f"p:{phone}" if phone else None):
            if key:
                by_contact.setdefault(key, []).append((app_id, received, text, dup))
    for key in by_contact:
        by_contact[key].sort(key=lambda e: e[0])
    updates: dict[int, int] = {}
    for new_id, row in sorted(pairs, key=lambda p: p[0]):
        keys = [k for k in (f"e:{row['email']}" if row["email"] else None,
                            f"p:{row['phone']}" if row["phone"] else None) if k]
        seen = set()
        for key in keys:
            for e_id, received, text, dup in by_contact.get(key, ()):
                if e_id >= new_id or e_id in seen or not (row["received_at"] - day <= received):
                    continue
                seen.add(e_id)
                if fuzz.token_set_ratio(text or "", row["text"] or "") >= 80:
                    updates[new_id] = updates.get(e_id) or dup or e_id
                    break
            if new_id in updates:
                break
        for key in keys:  # a later row of the batch compares with this one
            by_contact.setdefault(key, []).append((new_id, row["received_at"], row["text"], None))
    for new_id, original in updates.items():
        Application.update(duplicate_of=original).where(Application.id == new_id).execute()


def add_application(actor: str, data: dict, now: datetime) -> int:
    ids = add_applications(actor, [data], now)
    if ids[0] is None:
        raise ValidationError("This message was already imported (same Message-ID).", field="message_id")
    return ids[0]


def rescore_open(actor: str, now: datetime, *, weights: dict | None = None, batch: int = 2000) -> dict:
    """Score every open application again with today's catalog and WEIGHTS (default: the setting), so the
    inbox is in one order after the weights or the catalog change (`repdesk scoring rescore`, and `scoring
    fit` when it writes). Keyset batches by id, each one transaction: the rows a batch changed are updated
    in one statement per few hundred, guarded (only a row still open), with an audit row per application
    whose score moved (old and new score). Re-running finishes what an interrupted run left."""
    from peewee import Case

    from .access import admin_gate
    from .scoring import load_catalog, score_application

    admin_gate(actor, "score the open applications again")
    catalog = load_catalog()
    if weights is None:
        weights = settings.get("scoring.weights") or {}
    seen = changed = 0
    last = 0
    cols = (Application.id, Application.channel, Application.name, Application.email, Application.phone,
            Application.subject, Application.text, Application.client, Application.score, Application.reasons)
    while True:
        with write_txn():
            q = (Application.select(*cols).where((Application.open == True) & (Application.id > last))  # noqa: E712
                 .order_by(Application.id).limit(batch))
            if is_postgres():
                q = q.for_update(skip_locked=True)
            rows = database.execute_sql(*q.sql()).fetchall()
            if not rows:
                break
            plan = []
            for app_id, channel, name, email, phone, subject, text, client_id, score, reasons in rows:
                text = text or ""
                scored = score_application(text if not subject else f"{subject}\n{text}", name=name or "",
                                           email=email or "", phone=phone or "", subject=subject or "",
                                           channel=channel, catalog=catalog, known_client=client_id is not None,
                                           weights=weights)
                new_reasons = _reasons_json(scored.reasons)
                if scored.score != score or new_reasons != reasons:
                    plan.append((app_id, score, scored.score, new_reasons))
            for part in _chunks(plan, 300):
                ids = [p[0] for p in part]
                Application.update(
                    score=Case(Application.id, [(p[0], p[2]) for p in part]),
                    rank=Case(Application.id, [(p[0], -p[2]) for p in part]),
                    reasons=Case(Application.id, [(p[0], p[3]) for p in part]),
                ).where(Application.id.in_(ids) & (Application.open == True)).execute()  # noqa: E712
            at = db_time(now)
            insert_rows(Audit, ("at", "actor", "kind", "record_id", "action", "field", "old", "new"),
                        [(at, actor, "application", p[0], "rescore", "score", str(p[1]), str(p[2]))
                         for p in plan if p[1] != p[2]])
            seen += len(rows)
            changed += len(plan)
            last = rows[-1][0]
    return {"open": seen, "rescored": changed}


# ---------------------------------------------------------------- the list

ORDER = (Application.rank, Application.received_at, Application.id)


def _filtered(actor: Rep | None, *, channel=None, owner=None, search=None, mine=False, include_closed=False,
              broad: bool = False, joined: bool = True):
    """The inbox's rows for these filters; JOINED adds the owner's login (a count needs no join: the
    left join by the owner's key never changes how many rows there are)."""
    q = with_owner(Application.select()) if joined else Application.select()
    if not include_closed:
        q = q.where(Application.open == True)  # noqa: E712
    if mine and actor is not None:
        q = q.where(Application.owner == actor.id)
    if channel:
        if channel not in CHANNELS:
            raise ValidationError(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
        q = q.where(Application.channel == channel)
    if owner == "none":
        q = q.where(Application.owner.is_null())
    elif owner:
        rep = Rep.get_or_none(Rep.login == owner)
        q = q.where(Application.owner == (rep.id if rep else -1))
    if search:
        q = q.where(search_condition(search, broad=broad))
    return q


_FOLD = str.maketrans(ACCENTED, PLAIN)

# A filter whose words match at least BROAD_AT open applications is "broad": its page is read in display
# order (the inbox index, each row checked against the set of matches, stopping after a page) instead of
# fetching and sorting every match; a narrower one is read from its matches (at most BROAD_AT lookups).
# The inbox shows counts above SEARCH_CAP as "1,000+".
BROAD_AT = 5000
BROAD_AT_PG = 2000
SEARCH_CAP = 1000


def _fts_terms(text: str) -> list[str]:
    """The words of a filter as both engines' tokenizers see them: runs of letters and digits, lower case."""
    import re

    return [t for t in re.findall(r"[^\W_]+", text.lower()) if t][:8]


def _pg_query(terms: list[str]) -> str:
    return " & ".join(f"{t.translate(_FOLD)}:*" for t in terms)


def _sqlite_match(terms: list[str]) -> str:
    return " ".join('"' + t + '"*' for t in terms)


def search_condition(text: str, *, broad: bool = False):
    """The full-text condition on open applications. BROAD (SQLite): checked row by row in the order the
    inbox index gives (id + 0 keeps SQLite from starting at the matches), for a filter that matches many."""
    terms = _fts_terms(text)
    if not terms:
        return SQL("1=1")
    if is_postgres():  # the generated column, through the GIN index of open rows (migration 7)
        return SQL('"t1"."search_vector" @@ to_tsquery(\'simple\', %s)', [_pg_query(terms)])
    ids = SQL("(SELECT rowid FROM application_fts WHERE application_fts MATCH ?)", [_sqlite_match(terms)])
    return (Application.id + 0).in_(ids) if broad else Application.id.in_(ids)


def search_matches(text: str, cap: int = BROAD_AT) -> int:
    """How many open applications the filter's words match, counted up to CAP (an index read of at most
    CAP entries)."""
    terms = _fts_terms(text)
    if not terms:
        return cap
    if is_postgres():
        sql = ("SELECT count(*) FROM (SELECT 1 FROM application WHERE open AND search_vector @@ "
               "to_tsquery('simple', %s) LIMIT %s) m")
        return database.execute_sql(sql, [_pg_query(terms), cap]).fetchone()[0]
    sql = "SELECT count(*) FROM (SELECT rowid FROM application_fts WHERE application_fts MATCH ? LIMIT ?)"
    return database.execute_sql(sql, [_sqlite_match(terms), cap]).fetchone()[0]


def sort_key(row: dict | Application) -> tuple:
    if isinstance(row, dict):
        return (row["_rank"], row["_received"], row["id"])
    return (row.rank, row.received_at, row.id)


def inbox_page(actor: Rep | None, *, after: tuple | None = None, before: tuple | None = None,
               last: bool = False, limit: int = 50, **filters) -> list[Application]:
    """One page of the inbox in display order, by keyset (never OFFSET).

    after=key: the rows following KEY; before=key: the rows preceding KEY (returned in
    display order); last=True: the final page.
    """
    filters, order = _page_plan(filters)
    return keyset_page(_filtered(actor, **filters), order, after=after, before=before, last=last, limit=limit,
                       objects=True)


# The display order with the score hidden from the planner: PostgreSQL then cannot walk the inbox index
# and reads a narrow filter's few matches through the GIN index (then sorts them), the same rows in the
# same order.
NARROW_ORDER = (Application.rank + 0, Application.received_at, Application.id)


def _page_plan(filters: dict) -> tuple[dict, tuple]:
    """How a page of FILTERS is read: a broad full-text filter (BROAD_AT matches or more; on PostgreSQL,
    whose inbox index does not hold the tsvector, BROAD_AT_PG) in display order, stopping after a page;
    a narrow one from its matches, sorted (at most that many)."""
    if not filters.get("search"):
        return filters, ORDER
    if is_postgres():
        broad = _matches_cached(filters["search"], BROAD_AT_PG) >= BROAD_AT_PG
        return filters, (ORDER if broad else NARROW_ORDER)
    return dict(filters, broad=_matches_cached(filters["search"], BROAD_AT) >= BROAD_AT), ORDER


_MATCHES: dict = {}


def _matches_cached(text: str, cap: int) -> int:
    """search_matches, remembered for 30 s per filter text: the page, the count and the next pages of one
    filter choose their plan from one read (a stale number only picks the slower plan, never other rows)."""
    import time

    key = (text, cap, id(database.obj))
    hit = _MATCHES.get(key)
    if hit is not None and time.monotonic() - hit[1] < 30:
        return hit[0]
    n = search_matches(text, cap)
    if len(_MATCHES) > 64:
        _MATCHES.clear()
    _MATCHES[key] = (n, time.monotonic())
    return n


def first_page_query(actor: Rep | None, limit: int = 50, **filters):
    """The query of the first page, as inbox_page runs it (for EXPLAIN in tests and the benchmark)."""
    filters, order = _page_plan(filters)
    return _filtered(actor, **filters).order_by(*order).limit(limit)


def inbox_count(actor: Rep | None, cap: int | None = None, **filters) -> int:
    """How many rows the filtered inbox has; with CAP, counted up to CAP + 1 at most (a result above CAP
    reads "CAP+": no count reads more rows than that)."""
    if cap is not None and filters.get("search") and not filters.get("include_closed") \
            and not any(filters.get(k) for k in ("channel", "owner", "mine")):
        # Only the words filter: the full-text index holds the open applications (SQLite's FTS table,
        # PostgreSQL's partial GIN index), so its matches, counted up to CAP + 1, are the answer.
        return search_matches(filters["search"], cap + 1)
    if cap is not None:
        filters, _order = _page_plan(filters)
    q = _filtered(actor, joined=False, **filters)
    if cap is None:
        return q.select(fn.COUNT(Application.id)).scalar() or 0
    inner = q.select(SQL("1")).limit(cap + 1)
    return Application.select(fn.COUNT(SQL("*"))).from_(inner.alias("capped")).scalar() or 0


def position_of(actor: Rep | None, key: tuple, **filters) -> int:
    """How many rows precede KEY in the filtered order (for the scrollbar after a jump)."""
    q = _filtered(actor, joined=False, **filters).where(Tuple(*ORDER) < Tuple(*key))
    return q.select(fn.COUNT(Application.id)).scalar() or 0


def list_inbox(actor: Rep | None, limit: int = 100, **filters) -> list[dict]:
    return [app_dict(a, a.owner_login) for a in inbox_page(actor, limit=limit, **filters)]


# ---------------------------------------------------------------- claims

def _explain_unclaimable(app_id: int) -> str:
    a = with_owner(Application.select()).where(Application.id == app_id).objects().first()
    if a is None:
        return f"There is no application {app_id}."
    if not a.open:
        return f"Application {app_id} is already {a.status}."
    return f"Application {app_id} is already claimed by {a.owner_login}."


def claim(actor: Rep, app_id: int, now: datetime) -> Application:
    """Take an unowned open application. Two reps at once: exactly one wins."""
    with write_txn():
        n = (Application.update(owner=actor.id, team=actor.team_id, status="claimed",
                                version=Application.version + 1)
             .where((Application.id == app_id) & Application.owner.is_null() & (Application.open == True))  # noqa: E712
             .execute())
        if n != 1:
            a = Application.get_or_none(Application.id == app_id)
            if a is not None and a.owner_id == actor.id and a.open:
                raise NothingToDo(f"Application {app_id} is already yours.")
            raise (NotFound if a is None else NothingToDo)(_explain_unclaimable(app_id))
        record(actor.login, "application", app_id, "claim", field="owner", old=None, new=actor.login, at=now)
    return get_application(app_id)


def claim_next(actor: Rep, now: datetime, **filters) -> Application:
    """Take the top unclaimed open application (in inbox order)."""
    for _attempt in range(20):
        with write_txn():
            q = (Application.select(Application.id)
                 .where((Application.open == True) & Application.owner.is_null())  # noqa: E712
                 .order_by(*ORDER).limit(1))
            if filters.get("channel"):
                q = q.where(Application.channel == filters["channel"])
            if is_postgres():
                q = q.for_update(skip_locked=True)
            row = q.first()
            if row is None:
                raise NothingToDo("There is no unclaimed application to take.")
            n = (Application.update(owner=actor.id, team=actor.team_id, status="claimed",
                                    version=Application.version + 1)
                 .where((Application.id == row.id) & Application.owner.is_null()).execute())
            if n == 1:
                record(actor.login, "application", row.id, "claim", field="owner", old=None, new=actor.login, at=now)
                claimed = row.id
                break
    else:
        raise NothingToDo("Could not take an application (others are claiming too); try again.")
    return get_application(claimed)


def contact(actor: Rep, app_id: int, kind: str, now: datetime, note: str | None = None) -> Application:
    """Log the first contact: stops the clock. An unowned application becomes the rep's."""
    if kind not in CONTACT_KINDS:
        raise ValidationError(f"kind must be one of {', '.join(CONTACT_KINDS)}.", field="kind")
    with write_txn():
        a = _visible(actor, Application.get_or_none(Application.id == app_id), app_id)
        if a.owner_id not in (None, actor.id) and sees_only_own(actor):
            owner = Rep.get_by_id(a.owner_id).login  # an open one: its owner is in everyone's inbox anyway
            raise PermissionDenied(f"Application {app_id} belongs to {owner}; ask them or a manager to transfer it.")
        if not a.open:
            raise NothingToDo(f"Application {app_id} is already {a.status}.")
        owner_id = a.owner_id or actor.id
        n = (Application.update(owner=owner_id, team=a.team_id or actor.team_id, status="contacted", open=False,
                                first_contact_at=now, version=Application.version + 1)
             .where((Application.id == app_id) & (Application.open == True)).execute())  # noqa: E712
        if n != 1:
            raise NothingToDo(f"Application {app_id} was closed meanwhile.")
        Activity.create(kind=kind, rep=actor.id, client=a.client_id, application=app_id,
                        subject=f"First contact: {kind}", note=note, done_at=now, created_at=now)
        if a.owner_id is None:
            record(actor.login, "application", app_id, "claim", field="owner", old=None, new=actor.login, at=now)
        record(actor.login, "application", app_id, "contact", field="status", old=a.status, new="contacted", at=now)
    return get_application(app_id)


def _required_reason(reason: str | None, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(f"Say why {what} (a reason is required).", field="reason")
    return reason


def _own_for_change(actor: Rep, app_id: int, verb: str) -> Application:
    """The application, if ACTOR may change it (a rep only their own or an unclaimed one)."""
    a = _visible(actor, Application.get_or_none(Application.id == app_id), app_id)
    if a.owner_id not in (None, actor.id) and sees_only_own(actor):
        raise PermissionDenied(f"Application {app_id} is not yours to {verb}.")
    return a


def _visible(actor: Rep, a: Application | None, app_id: int) -> Application:
    """A, if ACTOR may see it (an open or never claimed application is everyone's; a contacted, closed or
    converted one with an owner is its owner's, their manager's, a director's); else the one sentence for
    missing and hidden alike, so a refusal never tells whose it is or that it exists."""
    if a is None or a.owner_id is not None and not can_see_application(actor, a.owner_id, a.team_id, a.open):
        raise NotYours("application", app_id)
    return a


def close(actor: Rep, app_id: int, status: str, reason: str, now: datetime) -> Application:
    """Mark an application closed or spam, with a reason."""
    if status not in ("closed", "spam"):
        raise ValidationError("status must be closed or spam", field="status")
    reason = _required_reason(reason, "it is closed")
    with write_txn():
        a = _own_for_change(actor, app_id, "close")
        n = (Application.update(status=status, open=False, closed_reason=reason[:200],
                                version=Application.version + 1)
             .where((Application.id == app_id) & (Application.open == True)).execute())  # noqa: E712
        if n != 1:
            raise NothingToDo(f"Application {app_id} is already {a.status}.")
        record(actor.login, "application", app_id, status, field="status", old=a.status, new=status, at=now)
        record(actor.login, "application", app_id, status, field="closed_reason", old=None, new=reason, at=now)
    return get_application(app_id)


def transfer(actor: Rep, app_id: int, to_login: str, reason: str, now: datetime) -> Application:
    """Hand an application to another rep by hand, with a reason; the new owner gets a fresh deadline."""
    reason = _required_reason(reason, "the application moves")
    with write_txn():
        a = _own_for_change(actor, app_id, "transfer")
        target = Rep.get_or_none(Rep.login == to_login)
        if target is None or not target.active:
            raise NotFound(f"There is no rep {to_login!r}.")
        if not a.open:
            raise NothingToDo(f"Application {app_id} is already {a.status}.")
        if a.owner_id == target.id:
            raise NothingToDo(f"Application {app_id} already belongs to {to_login}.")
        _move(a, target, reason, actor.login, now)
    return get_application(app_id)


def _move(a: Application, target: Rep, reason: str, who: str, now: datetime) -> bool:
    """Give A to TARGET with a fresh deadline, if nobody moved or claimed it meanwhile (guarded UPDATE)."""
    due = now + timedelta(minutes=sla_minutes(a.channel))
    params = [target.id, target.team_id, due, a.id, True] + ([] if a.owner_id is None else [a.owner_id])
    params.append(a.due_at)
    cursor = database.execute_sql(_move_sql(a.owner_id is None), params)
    if cursor.rowcount != 1:
        return False
    old_login = Rep.select(Rep.login).where(Rep.id == (a.owner_id or -1)).scalar()
    Transfer.insert(application=a.id, from_rep=a.owner_id, to_rep=target.id, reason=reason[:200], at=now,
                    actor=who).execute()
    Audit.insert(at=now, actor=who, kind="application", record_id=a.id, action="transfer", field="owner",
                 old=old_login, new=target.login).execute()
    Rep.update(last_assigned_at=now).where(Rep.id == target.id).execute()
    return True


_MOVE_SQL: dict = {}


def _move_sql(owner_null: bool) -> str:
    """The guarded move as one prepared statement (building it with the query builder per row is
    what made a sweep of 100k slow). Same meaning as:
    UPDATE application SET owner, team, status='claimed', due_at, transfers+1, version+1
    WHERE id = ? AND open AND owner IS <as read> AND due_at = <as read>."""
    p = database.obj.param
    key = (p, owner_null)
    if key not in _MOVE_SQL:
        owner = '"owner_id" IS NULL' if owner_null else f'"owner_id" = {p}'
        _MOVE_SQL[key] = (
            f'UPDATE "application" SET "owner_id" = {p}, "team_id" = {p}, "status" = \'claimed\', '
            f'"due_at" = {p}, "transfers" = "transfers" + 1, "version" = "version" + 1 '
            f'WHERE "id" = {p} AND "open" = {p} AND {owner} AND "due_at" = {p}')
    return _MOVE_SQL[key]


# ---------------------------------------------------------------- deadlines

def on_shift(rep: Rep, now: datetime) -> bool:
    if not rep.shift_start or not rep.shift_end:
        return True
    from .clock import local

    t = local(now, rep.timezone).strftime("%H:%M")
    if rep.shift_start <= rep.shift_end:
        return rep.shift_start <= t < rep.shift_end
    return t >= rep.shift_start or t < rep.shift_end  # overnight shift


def available_reps(team_id: int | None, now: datetime) -> list[Rep]:
    q = Rep.select().where((Rep.active == True) & (Rep.away == False)  # noqa: E712
                           & (Rep.role.in_(("rep", "manager"))))
    if team_id is not None:
        q = q.where(Rep.team == team_id)
    else:
        q = q.where(Rep.role == "rep")
    return [r for r in q.order_by(Rep.id) if on_shift(r, now)]


class _Picker:
    """Chooses the next rep per team: round-robin (longest since last assignment) or least-loaded."""

    def __init__(self, strategy: str, now: datetime):
        self.strategy = strategy
        self.now = now
        self.pools: dict = {}

    def pick(self, team_id, exclude_id):
        if team_id not in self.pools:
            reps = available_reps(team_id, self.now)
            if self.strategy == "least_loaded":
                counts = dict(Application.select(Application.owner, fn.COUNT(Application.id))
                              .where((Application.open == True) & Application.owner.in_([r.id for r in reps] or [-1]))  # noqa: E712
                              .group_by(Application.owner).tuples())
                load = {r.id: counts.get(r.id, 0) for r in reps}
            else:  # the rotation: longest since the last assignment first; the one picked goes last
                epoch = datetime(1970, 1, 1)
                load = [r.id for r in sorted(reps, key=lambda r: (r.last_assigned_at or epoch, r.id))]
            self.pools[team_id] = ({r.id: r for r in reps}, load)
        by_id, load = self.pools[team_id]
        if self.strategy != "least_loaded":
            for i, rep_id in enumerate(load):
                if rep_id != exclude_id:
                    load.append(load.pop(i))
                    return by_id[rep_id]
            return None
        best_id = min((i for i in by_id if i != exclude_id), key=lambda i: (load[i], i), default=None)
        if best_id is None:
            return None
        load[best_id] += 1
        if exclude_id in load:
            load[exclude_id] -= 1
        return by_id[best_id]




# Rows per transaction of the sweep (about a third of a second of lock on SQLite). No statement carries a
# parameter per row (SQLite reads the plan from a temporary table, PostgreSQL from one array per column), so
# the engine's parameter limit does not bound it.
SWEEP_BATCH = 20000


def sweep(now: datetime, *, batch: int | None = None, strategy: str | None = None) -> dict:
    """Move every open application whose first-contact deadline passed to another available rep.

    Set-based: per batch one SELECT of the overdue rows (oldest deadline first, keyset on (due_at, id)),
    the next reps picked in memory, ONE guarded UPDATE ... FROM (a temporary table on SQLite >= 3.35, unnest
    of arrays on PostgreSQL) ... RETURNING that moves them all, and the transfer and audit rows of the moves
    it made written by INSERT ... SELECT from the same plan (_move_many).
    Safe from cron in several processes at once: rows are picked with SKIP LOCKED (PostgreSQL) or under
    BEGIN IMMEDIATE (SQLite), and the UPDATE moves a row only if its owner and deadline are still the
    ones read (owner IS NOT DISTINCT FROM, due_at =), so an application moves once per deadline.
    Returns {"moved": n, "stuck": n (no rep available)}.
    """
    batch = batch or SWEEP_BATCH
    strategy = strategy or settings.get("sla.strategy")
    sla = settings.get("sla.minutes")
    fresh = {c: db_time(now + timedelta(minutes=sla_minutes(c, sla))) for c in CHANNELS}  # new deadline per channel
    moved = stuck = 0
    last: tuple | None = None
    cols = (Application.id, Application.owner, Application.team, Application.channel, Application.due_at)
    picker = _Picker(strategy, now)  # one rotation (or load count) for the whole run
    reps = {r.id: r for r in Rep.select()}
    while True:
        with write_txn():
            cond = ((Application.open == True) & (Application.due_at < now)  # noqa: E712
                    & Application.first_contact_at.is_null())
            if last is not None:
                cond &= Tuple(Application.due_at, Application.id) > Tuple(SQL(database.obj.param, [last[0]]),
                                                                           last[1])
            q = (Application.select(*cols).where(cond)
                 .order_by(Application.due_at, Application.id).limit(batch))
            if is_postgres():
                q = q.for_update(skip_locked=True)
            # Raw rows: due_at comes back exactly as stored (the guard compares it), and 100k rows skip
            # the model layer's per-value conversion.
            rows = database.execute_sql(*q.sql()).fetchall()
            if not rows:
                break
            plan = []  # (id, owner as read, due_at as read, target rep, new due_at)
            for app_id, owner_id, team_id, channel, due_at in rows:
                if team_id is None and owner_id is not None and owner_id in reps:
                    team_id = reps[owner_id].team_id
                target = picker.pick(team_id, owner_id)
                if target is None:
                    stuck += 1
                    continue
                plan.append((app_id, owner_id, due_at, target,
                             fresh.get(channel) or db_time(now + timedelta(minutes=sla_minutes(channel, sla)))))
            moved += len(_move_many(plan, reps, now))
            last = (rows[-1][4], rows[-1][0])
    return {"moved": moved, "stuck": stuck}


_UNCLAIMED = "unclaimed past its deadline"
_LAPSED = "deadline passed without contact"
_MOVE_SET = ("UPDATE application SET owner_id = v.new_owner, team_id = v.new_team, status = 'claimed', "
             "due_at = v.new_due, transfers = application.transfers + 1, version = application.version + 1 ")
_MOVE_GUARD = ("application.open {open} AND application.owner_id IS NOT DISTINCT FROM v.old_owner "
               "AND application.due_at = v.old_due")
_WHY = f"CASE WHEN {{t}}.old_owner IS NULL THEN '{_UNCLAIMED}' ELSE '{_LAPSED}' END"
_TRANSFER_COLS = "application_id, from_rep_id, to_rep_id, reason, at, actor"
_AUDIT_COLS = "at, actor, kind, record_id, action, field, old, new"


def _move_many(plan: list[tuple], reps: dict, now: datetime) -> set[int]:
    """The guarded moves of PLAN, their transfer and audit rows and the reps' last assignment, written by
    the database from the plan itself (no row built in Python); the ids it actually moved.

    PostgreSQL: one statement (the plan as typed arrays, the UPDATE ... RETURNING and the inserts as
    data-modifying CTEs of what it returned). SQLite >= 3.35: the plan in a temporary table (one executemany),
    UPDATE ... FROM it ... RETURNING, the rows of a move it refused taken out, then INSERT ... SELECT."""
    if not plan:
        return set()
    at = db_time(now)
    if is_sqlite() and not sqlite_has_update_from():  # SQLite < 3.35: one prepared UPDATE per row
        done = set()
        for app_id, owner_id, due_at, target, due in plan:
            params = [target.id, target.team_id, due, app_id, True] + ([] if owner_id is None else [owner_id])
            if database.execute_sql(_move_sql(owner_id is None), params + [due_at]).rowcount == 1:
                done.add(app_id)
        _record_moves([m for m in plan if m[0] in done], reps, now)
        return done
    if is_postgres():
        # One array per column (typed, so a column of NULLs is still integer); unnest's small row
        # estimate makes the join a loop over the primary key.
        sql = (
            "WITH v AS (SELECT * FROM unnest(%s::integer[], %s::integer[], %s::timestamp[], %s::integer[], "
            "%s::integer[], %s::timestamp[]) AS v(id, old_owner, old_due, new_owner, new_team, new_due)), "
            "moved AS (" + _MOVE_SET + "FROM v WHERE application.id = v.id AND " + _MOVE_GUARD.format(open="")
            + " RETURNING application.id, v.old_owner, v.new_owner), "
            f"t AS (INSERT INTO transfer ({_TRANSFER_COLS}) SELECT m.id, m.old_owner, m.new_owner, "
            + _WHY.format(t="m") + ", %s, %s FROM moved m ORDER BY m.id), "
            f"a AS (INSERT INTO audit ({_AUDIT_COLS}) SELECT %s, %s, 'application', m.id, 'transfer', 'owner', "
            "o.login, n.login FROM moved m LEFT JOIN rep o ON o.id = m.old_owner LEFT JOIN rep n ON n.id = m.new_owner "
            "ORDER BY m.id), "
            "r AS (UPDATE rep SET last_assigned_at = %s WHERE id IN (SELECT new_owner FROM moved)) "
            "SELECT id FROM moved")
        params = [[m[0] for m in plan], [m[1] for m in plan], [m[2] for m in plan], [m[3].id for m in plan],
                  [m[3].team_id for m in plan], [m[4] for m in plan], at, SYSTEM, at, SYSTEM, at]
        return {r[0] for r in database.execute_sql(sql, params).fetchall()}
    database.execute_sql("CREATE TEMP TABLE IF NOT EXISTS sweep_plan (id INTEGER PRIMARY KEY, old_owner INTEGER, "
                         "old_due, new_owner INTEGER, new_team INTEGER, new_due)")
    database.execute_sql("DELETE FROM sweep_plan")
    database.cursor().executemany("INSERT INTO sweep_plan VALUES (?, ?, ?, ?, ?, ?)",
                                  [(i, o, d, t.id, t.team_id, n) for i, o, d, t, n in plan])
    done = {r[0] for r in database.execute_sql(
        _MOVE_SET + "FROM sweep_plan AS v WHERE application.id = v.id AND " + _MOVE_GUARD.format(open="= 1")
        + " RETURNING application.id").fetchall()}
    if len(done) < len(plan):  # a row changed since it was read: no transfer for it
        database.cursor().executemany("DELETE FROM sweep_plan WHERE id = ?", [(m[0],) for m in plan
                                                                             if m[0] not in done])
    database.execute_sql(f"INSERT INTO transfer ({_TRANSFER_COLS}) SELECT id, old_owner, new_owner, "
                         + _WHY.format(t="sweep_plan") + ", ?, ? FROM sweep_plan ORDER BY id", [at, SYSTEM])
    database.execute_sql(f"INSERT INTO audit ({_AUDIT_COLS}) SELECT ?, ?, 'application', v.id, 'transfer', 'owner', "
                         "o.login, n.login FROM sweep_plan v LEFT JOIN rep o ON o.id = v.old_owner "
                         "LEFT JOIN rep n ON n.id = v.new_owner ORDER BY v.id", [at, SYSTEM])
    database.execute_sql("UPDATE rep SET last_assigned_at = ? WHERE id IN (SELECT new_owner FROM sweep_plan)", [at])
    return done


def _record_moves(moves: list[tuple], reps: dict, now: datetime) -> None:
    """The transfer and audit rows of MOVES in bulk, and the reps' last assignment (SQLite < 3.35)."""
    transfers, audit = [], []
    at = db_time(now)
    for app_id, owner_id, _due_at, target, _due in moves:
        why = _LAPSED if owner_id else _UNCLAIMED
        old = reps[owner_id].login if owner_id in reps else None
        transfers.append((app_id, owner_id, target.id, why, at, SYSTEM))
        audit.append((at, SYSTEM, "application", app_id, "transfer", "owner", old, target.login))
    insert_rows(Transfer, ("application_id", "from_rep_id", "to_rep_id", "reason", "at", "actor"), transfers)
    insert_rows(Audit, ("at", "actor", "kind", "record_id", "action", "field", "old", "new"), audit)
    targets = sorted({m[3].id for m in moves})
    for chunk in _chunks(targets, 500):
        Rep.update(last_assigned_at=now).where(Rep.id.in_(chunk)).execute()


def visible_moves(actor: Rep, since: datetime | None = None, limit: int = 50) -> list[dict]:
    """Moves that concern ACTOR, newest first: to or from them; a manager sees the team's; a director all.
    (`at` a datetime; reps by login.)"""
    q = Transfer.select().order_by(Transfer.id.desc()).limit(limit)
    if since is not None:
        q = q.where(Transfer.at >= since)
    if sees_all(actor):
        pass
    elif leads_team(actor):
        team_ids = [r.id for r in Rep.select(Rep.id).where(Rep.team == actor.team_id)]
        q = q.where(Transfer.from_rep.in_(team_ids) | Transfer.to_rep.in_(team_ids))
    else:
        q = q.where((Transfer.from_rep == actor.id) | (Transfer.to_rep == actor.id))
    logins = _logins()
    return [_move_row(t, logins) for t in q]


def transfers_visible_to(actor: Rep, since: datetime | None = None, limit: int = 50) -> list[dict]:
    """visible_moves with `at` as ISO 8601 text (what `repdesk moves --json` prints)."""
    return [dict(m, at=iso(m["at"])) for m in visible_moves(actor, since=since, limit=limit)]


def quarantined(limit: int = 100) -> list[dict]:
    """Intake lines not yet resolved, newest first (`at` a datetime)."""
    from .tables import Quarantine

    return [dict(id=q.id, source=q.source, line=q.line_no, raw=q.raw, reason=q.reason, at=q.created_at)
            for q in Quarantine.select().where(Quarantine.resolved == False)  # noqa: E712
            .order_by(Quarantine.id.desc()).limit(limit)]



# ---------------------------------------------------------------- typed in by a rep, converted


def add_phone_application(actor: Rep, data: dict, now: datetime, kind: str = "call",
                          note: str | None = None) -> int:
    """A phone call a rep types in (`n` on the inbox): it is that rep's, and the call was its first contact,
    logged at once (the clock never runs). One transaction; returns the application's id."""
    with write_txn():
        app_id = add_application(actor.login, dict(data, channel="phone"), now)
        Application.update(owner=actor.id, team=actor.team_id, version=Application.version + 1) \
            .where(Application.id == app_id).execute()
        record(actor.login, "application", app_id, "claim", field="owner", old=None, new=actor.login, at=now,
               cause="typed in by the rep who took the call")
        contact(actor, app_id, kind, now, note=note)
    return app_id


def requested_products(app: Application) -> list[tuple[str, int | None]]:
    """The catalog products an application names, as the scoring found them: (SKU, quantity or None), in the
    order the scoring ranks them (spam names none)."""
    from . import scoring

    return scoring.products_named(app.text, app.subject or "", scoring.load_catalog())


def convertible(actor: Rep, app_id: int, lock: bool = False) -> Application:
    """The application, if ACTOR may convert it now: not converted, closed or spam already; a rep only their
    own or an unclaimed one (which they then own)."""
    from .engine import locked

    q = Application.select().where(Application.id == app_id)
    a = _visible(actor, (locked(q) if lock else q).first(), app_id)
    if a.owner_id not in (None, actor.id) and sees_only_own(actor):
        owner = Rep.get_by_id(a.owner_id).login
        raise PermissionDenied(f"Application {app_id} belongs to {owner}; ask them or a manager to transfer it.")
    if a.status == "converted":
        from .tables import Deal

        d = Deal.get_or_none(Deal.application == a.id)
        raise NothingToDo(f"Application {app_id} was already converted"
                          + (f" (client {a.client_id}, deal {d.id})." if d else "."))
    if a.status in ("closed", "spam"):
        raise NothingToDo(f"Application {app_id} is {a.status} ({a.closed_reason or 'no reason'}); it cannot be "
                          "converted.")
    return a


def mark_converted(actor: Rep, app_id: int, client_id: int, deal_id: int, now: datetime) -> Application:
    """Close the application as converted, linked to its client (the deal links back to it); it becomes the
    converting rep's when it was nobody's. Inside the conversion's transaction."""
    with write_txn():
        a = convertible(actor, app_id, lock=True)
        owner_id = a.owner_id or actor.id
        n = (Application.update(status="converted", open=False, client=client_id, owner=owner_id,
                                team=a.team_id or actor.team_id, closed_reason=f"converted: deal {deal_id}",
                                version=Application.version + 1)
             .where((Application.id == app_id) & (Application.version == a.version)).execute())
        if n != 1:  # pragma: no cover (the row lock / write lock prevents it)
            raise NothingToDo(f"Application {app_id} changed meanwhile; look again.")
        if a.owner_id is None:
            record(actor.login, "application", app_id, "claim", field="owner", old=None, new=actor.login, at=now)
        record(actor.login, "application", app_id, "convert", field="status", old=a.status, new="converted", at=now)
        record(actor.login, "application", app_id, "convert", field="client", old=a.client_id, new=client_id,
               at=now)
        record(actor.login, "application", app_id, "convert", field="deal", new=deal_id, at=now)
    return get_application(app_id)
