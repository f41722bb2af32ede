"""The bound database: one proxy every table uses, the engine tests, and the one transaction
that reads then writes (`write_txn`). Opening a URL and migrating it is models.db's job; this
module imports nothing of the project, so tables and migrations can lean on it without a circle.
"""
from __future__ import annotations

import os
import threading

from peewee import DatabaseProxy, PostgresqlDatabase, SqliteDatabase

database = DatabaseProxy()

# A busy database (issue 12): a write that has waited WAIT_NOTICE_AFTER seconds for another writer calls
# `wait_notice(holder)` once (the CLI prints "Waiting for another writer ..." on stderr; the TUI sets
# nothing); when the wait gives up, the error names what holds it (`last_holder`).
WAIT_NOTICE_AFTER = 1.0
wait_notice = None
last_holder: str | None = None


def busy_timeout() -> float:
    """Seconds a write waits for another writer before giving up ($REPDESK_BUSY_TIMEOUT, default 10)."""
    try:
        value = float(os.environ.get("REPDESK_BUSY_TIMEOUT", "10"))
    except ValueError:
        return 10.0
    return min(max(value, 0.1), 3600.0)


def is_sqlite() -> bool:
    return isinstance(database.obj, SqliteDatabase)


def is_postgres() -> bool:
    return isinstance(database.obj, PostgresqlDatabase)


class write_txn:
    """A transaction that reads then writes, safe against other processes.

    SQLite: BEGIN IMMEDIATE takes the write lock before the first read.
    PostgreSQL: a plain transaction (operations lock what they change with
    guarded UPDATEs or FOR UPDATE SKIP LOCKED); after the outermost one commits,
    the change sequence is bumped so open screens elsewhere refresh.
    """

    def __enter__(self):
        self._outer = database.transaction_depth() == 0
        self._txn = database.atomic("IMMEDIATE") if is_sqlite() else database.atomic()
        self._watch = _WaitWatch() if self._outer and wait_notice is not None else None
        if self._watch is None or not is_sqlite():
            try:
                entered = self._txn.__enter__()
            except Exception as exc:
                raise _busy_or(exc) from None
            if self._watch is not None:  # PostgreSQL: row locks are waited for inside the transaction
                self._watch.start()
            return entered
        self._watch.start()  # SQLite: BEGIN IMMEDIATE is the wait
        try:
            return self._txn.__enter__()
        except Exception as exc:
            raise _busy_or(exc) from None
        finally:
            self._watch.stop()

    def __exit__(self, exc_type, exc, tb):
        if self._watch is not None:
            self._watch.stop()
        result = self._txn.__exit__(exc_type, exc, tb)
        if exc_type is None and self._outer and is_postgres():
            bump_changes()
        return result


class _WaitWatch:
    """After WAIT_NOTICE_AFTER seconds, if this process is (still) waiting for another writer, say so once.
    On SQLite the caller starts it around BEGIN IMMEDIATE, so running at all means waiting; on PostgreSQL
    it asks pg_stat_activity (on a connection of its own) whether this backend waits on a lock, and who
    holds it (pg_blocking_pids -> application_name)."""

    def __init__(self):
        self._done = threading.Event()
        self._thread = None
        self._pid = None
        if is_postgres():
            try:
                self._pid = database.connection().info.backend_pid
            except Exception:
                self._pid = None

    def start(self) -> None:
        global last_holder
        last_holder = None
        if is_postgres() and self._pid is None:
            return
        self._thread = threading.Thread(target=self._run, name="repdesk-wait-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._done.set()

    def _run(self) -> None:
        global last_holder
        if self._done.wait(WAIT_NOTICE_AFTER):
            return
        holder = None
        if is_postgres():
            holder = _pg_holder(self._pid)
            if holder is None:
                return  # working, not waiting
            last_holder = holder
        notice = wait_notice
        if notice is not None and not self._done.is_set():
            try:
                notice(holder)
            except Exception:
                pass


def _pg_holder(pid: int) -> str | None:
    """What blocks backend PID ("repdesk intake as ana, pid 4711"), or None if it is not waiting on a lock."""
    try:
        import psycopg2

        obj = database.obj
        conn = psycopg2.connect(dbname=obj.database, **{k: v for k, v in obj.connect_params.items()
                                                         if k != "options"})
    except Exception:
        return None
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT b.pid, b.application_name, b.usename, b.client_addr::text "
                        "FROM pg_stat_activity b WHERE b.pid = ANY(pg_blocking_pids(%s)) ORDER BY b.pid", (pid,))
            rows = cur.fetchall()
    except Exception:
        return None
    finally:
        conn.close()
    if not rows:
        return None
    parts = []
    for bpid, app, user, addr in rows[:3]:
        who = app or f"a session of {user}" + (f" from {addr}" if addr else "")
        parts.append(f"{who} (server pid {bpid})")
    return ", ".join(parts)


def busy_text(url_or_path: str | None = None) -> str:
    """The sentence for a write that gave up waiting for another writer."""
    waited = f"{busy_timeout():g} s"
    if is_sqlite():
        path = getattr(database.obj, "database", None) or url_or_path or "the database file"
        return (f"Gave up after {waited}: another repdesk process holds the write lock on {path} "
                "(a long import or another command). Try again when it has finished; "
                f"`fuser {path}` lists the processes that have it open.")
    holder = last_holder
    if holder:
        return f"Gave up after {waited} waiting for another writer: {holder} holds the lock. Try again when it has finished."
    return (f"Gave up after {waited} waiting for another writer; pg_stat_activity (application_name) "
            "names the session that holds it. Try again when it has finished.")


def is_busy_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return ("database is locked" in text or "database table is locked" in text
            or "lock timeout" in text or "could not obtain lock" in text)


def _busy_or(exc: BaseException) -> BaseException:
    if is_busy_error(exc):
        from .errors import DatabaseBusy

        return DatabaseBusy(busy_text())
    return exc


def bump_changes() -> None:
    """Tell other PostgreSQL sessions that something changed (outside any transaction)."""
    if is_postgres():
        database.execute_sql("SELECT nextval('repdesk_changes')")


def data_version() -> int:
    """A number that changes when another connection commits (live updates).

    SQLite: PRAGMA data_version (no I/O beyond the WAL index). PostgreSQL: the
    change sequence that every committed write operation bumps.
    """
    if is_sqlite():
        return database.execute_sql("PRAGMA data_version").fetchone()[0]
    return database.execute_sql("SELECT last_value FROM repdesk_changes").fetchone()[0]


def in_own_connection(fn, *args, **kwargs):
    """Run FN in this thread's own connection, opened before and closed after (for worker threads:
    peewee keeps one connection per thread, so a worker never shares the UI thread's)."""
    with database.connection_context():
        return fn(*args, **kwargs)


def locked(query):
    """QUERY taking row locks on PostgreSQL (SELECT ... FOR UPDATE); on SQLite the write transaction
    (BEGIN IMMEDIATE) already holds the database."""
    return query.for_update() if is_postgres() else query


def insert_many_ids(model, rows: list[dict], batch: int = 400, *, plain: bool = False) -> list[int]:
    """Insert ROWS into MODEL's table in multi-row INSERTs (one statement per batch) and return their
    ids in order. Call inside write_txn(): PostgreSQL says them (RETURNING); on SQLite, inside BEGIN
    IMMEDIATE nobody else inserts, so the rowids of one multi-row INSERT are consecutive. PLAIN: every
    value is already what the driver stores (str, int, bool, None, datetime, as models.inbox's prepared
    rows are), so no field converts it again (on SQLite, a tenth of an intake's time)."""
    ids: list[int] = []
    for i in range(0, len(rows), batch):
        chunk = rows[i:i + batch]
        if is_postgres():
            got = _pg_insert_chunk(model, chunk) if plain else None
            if got is None:
                cur = model.insert_many(chunk).returning(model.id).execute()
                got = [r[0] if isinstance(r, tuple) else r.id for r in cur]
            ids.extend(got)
        else:
            last = _sqlite_insert_chunk(model, chunk, plain)
            ids.extend(range(last - len(chunk) + 1, last + 1))
    return ids


def _same_shape(model, chunk: list[dict]):
    """(CHUNK with the defaults of the fields its rows leave out, their keys, their fields, the INSERT's
    head up to VALUES), or None when the rows differ in shape or name no field (peewee sorts those out)."""
    keys = list(chunk[0])
    fields = [model._meta.fields.get(k) or model._meta.columns.get(k) for k in keys]
    shape = chunk[0].keys()
    if any(f is None for f in fields) or any(r.keys() != shape for r in chunk):
        return None
    # the fields a row leaves out get their defaults, as peewee's insert_many gives them
    names = {f.name for f in fields}  # (not `f in fields`: a peewee field compares into an expression)
    defaults = [(f, d) for f, d in model._meta.defaults.items() if f.name not in names]
    if defaults:
        chunk = [{**r, **{f.name: (d() if callable(d) else d) for f, d in defaults}} for r in chunk]
        keys += [f.name for f, _ in defaults]
        fields += [f for f, _ in defaults]
    head = (f'INSERT INTO "{model._meta.table_name}" ({", ".join(chr(34) + f.column_name + chr(34) for f in fields)}) '
            'VALUES ')
    return chunk, keys, fields, head


def _pg_insert_chunk(model, chunk: list[dict]) -> list[int] | None:
    """One multi-row INSERT ... RETURNING id of CHUNK on PostgreSQL, its values (already what the driver
    stores: insert_many_ids' PLAIN) sent as they are by psycopg2's execute_values, without peewee building
    SQL per value (two thirds of the main process's time in an intake). The ids in the rows' order; None
    when the rows differ in shape."""
    from psycopg2.extras import execute_values

    same = _same_shape(model, chunk)
    if same is None:
        return None
    chunk, keys, _fields, head = same
    sql = f'{head}%s RETURNING "{model._meta.primary_key.column_name}"'
    cursor = database.cursor()
    got = execute_values(cursor, sql, [tuple(r[k] for k in keys) for r in chunk], page_size=len(chunk),
                         fetch=True)
    return [r[0] for r in got]


def _sqlite_insert_chunk(model, chunk: list[dict], plain: bool = False) -> int:
    """One multi-row INSERT of CHUNK on SQLite, built once and bound as plain parameters (each value through
    its field's db_value, as peewee does), without peewee generating SQL per value: for intake, where that
    generation was a fifth of the time. Returns the last rowid."""
    same = _same_shape(model, chunk)
    if same is None:
        return model.insert_many(chunk).execute()  # mixed shapes: let peewee sort them out
    chunk, keys, fields, head = same
    one = "(" + ", ".join("?" * len(keys)) + ")"
    sql = head + ", ".join([one] * len(chunk))
    if plain:
        params = [r[k] for r in chunk for k in keys]
    else:
        convert = [f.db_value for f in fields]
        params = [c(r[k]) for r in chunk for k, c in zip(keys, convert)]
    cursor = database.execute_sql(sql, params)
    return cursor.lastrowid


_PG_ARRAY_TYPES = {"INT": "integer", "SMALLINT": "smallint", "BIGINT": "bigint", "AUTO": "integer",
                   "VARCHAR": "text", "TEXT": "text", "DATETIME": "timestamp", "BOOL": "boolean", "DATE": "date"}


def pg_array_type(model, column: str) -> str:
    """The PostgreSQL array element type for MODEL's COLUMN (for unnest(%s::type[]) parameters)."""
    return _PG_ARRAY_TYPES.get(model._meta.columns[column].field_type, "text")


def db_time(value):
    """VALUE (a datetime) as a raw statement parameter: a datetime for psycopg2, on SQLite the text peewee
    stores (what sqlite3 makes of a datetime, once per value instead of once per row)."""
    return value if is_postgres() else value.isoformat(" ")


def sqlite_max_params() -> int:
    """How many ? parameters one statement may carry on this SQLite (32,766 since 3.32; builds raise it)."""
    import sqlite3

    try:
        return database.connection().getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    except Exception:
        return 32766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999


def insert_rows(model, columns: tuple[str, ...], rows: list[tuple], batch: int = 5000) -> None:
    """Insert plain tuples of COLUMNS (column names as in the table) into MODEL's table, in bulk: on SQLite
    multi-row INSERTs of up to 500 rows (one statement text, so one prepared statement, for every full
    chunk: a third faster than executemany of one row); on PostgreSQL one
    INSERT ... SELECT FROM unnest(one array per column) per BATCH rows. No ids come back: for rows
    nothing else refers to (audit, transfers). Call inside write_txn()."""
    if not rows:
        return
    table = model._meta.table_name
    cols = ", ".join(f'"{c}"' for c in columns)
    cursor = database.cursor()
    if is_postgres():
        arrays = ", ".join(f"%s::{pg_array_type(model, c)}[]" for c in columns)
        sql = f'INSERT INTO "{table}" ({cols}) SELECT * FROM unnest({arrays})'
        for i in range(0, len(rows), batch):
            cursor.execute(sql, [list(col) for col in zip(*rows[i:i + batch])])
    else:
        one = "(" + ", ".join("?" * len(columns)) + ")"
        per = max(1, min(500, sqlite_max_params() // len(columns)))
        head = f'INSERT INTO "{table}" ({cols}) VALUES '
        full = head + ", ".join([one] * per)
        for i in range(0, len(rows), per):
            chunk = rows[i:i + per]
            sql = full if len(chunk) == per else head + ", ".join([one] * len(chunk))
            cursor.execute(sql, [value for r in chunk for value in r])


def sqlite_has_update_from() -> bool:
    """UPDATE ... FROM (SQLite 3.33) with RETURNING (3.35) on this SQLite."""
    import sqlite3

    return sqlite3.sqlite_version_info >= (3, 35, 0)
