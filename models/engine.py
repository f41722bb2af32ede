"""The bound database: one proxy every table uses, the engine tests, and the one transaction
that reads then writes (`write_txn`). Opening a URL and migrating it is models.db's job; this
module imports nothing of the project, so tables and migrations can lean on it without a circle.
"""
from __future__ import annotations

from peewee import DatabaseProxy, PostgresqlDatabase, SqliteDatabase

database = DatabaseProxy()


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
        return self._txn.__enter__()

    def __exit__(self, exc_type, exc, tb):
        result = self._txn.__exit__(exc_type, exc, tb)
        if exc_type is None and self._outer and is_postgres():
            bump_changes()
        return result


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


def insert_many_ids(model, rows: list[dict], batch: int = 400) -> list[int]:
    """Insert ROWS into MODEL's table in multi-row INSERTs (one statement per batch) and return their
    ids in order. Call inside write_txn(): PostgreSQL says them (RETURNING); on SQLite, inside BEGIN
    IMMEDIATE nobody else inserts, so the rowids of one multi-row INSERT are consecutive."""
    ids: list[int] = []
    for i in range(0, len(rows), batch):
        chunk = rows[i:i + batch]
        if is_postgres():
            cur = model.insert_many(chunk).returning(model.id).execute()
            ids.extend(r[0] if isinstance(r, tuple) else r.id for r in cur)
        else:
            last = model.insert_many(chunk).execute()
            ids.extend(range(last - len(chunk) + 1, last + 1))
    return ids
