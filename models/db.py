"""One URL picks the engine: sqlite:///path (default) or postgresql://...

The same models serve both through a DatabaseProxy. `write_txn()` is the one
way operations open a transaction that reads then writes: BEGIN IMMEDIATE on
SQLite (so two processes never both read the old state), a plain transaction
on PostgreSQL, where claims use guarded UPDATEs or FOR UPDATE SKIP LOCKED.
"""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

from peewee import InterfaceError, OperationalError, PostgresqlDatabase, SqliteDatabase

from .engine import bump_changes, data_version, database, is_postgres, is_sqlite, write_txn  # noqa: F401 (re-exported)
from .errors import DatabaseSetupError
from .migrations import check_version
from .migrations import migrate as run_migrations

SQLITE_PRAGMAS = (
    ("journal_mode", "wal"),
    ("foreign_keys", 1),
    ("busy_timeout", 10000),
    ("synchronous", "normal"),
    ("journal_size_limit", 64 * 1024 * 1024),
    ("cache_size", -16000),
)


def default_url() -> str:
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('repdesk')) / 'repdesk.db'}"


def resolve_url(url: str | None) -> str:
    return url or os.environ.get("REPDESK_DATABASE_URL") or default_url()


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    p = urlparse(url)
    if p.password:
        netloc = p.netloc.replace(f":{p.password}@", ":***@")
        return p._replace(netloc=netloc).geturl()
    return url


def make_database(url: str):
    """Build (do not yet connect) a peewee Database for the URL, or raise a clear error."""
    p = urlparse(url)
    scheme = p.scheme.lower()
    if scheme == "sqlite":
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else ""
        if not path:
            raise DatabaseSetupError(
                f"{redact(url)!r} has no file path: use sqlite:///path/to/repdesk.db (three slashes).")
        if path != ":memory:":
            path = os.path.expanduser(path)
            parent = Path(path).parent
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseSetupError(f"Cannot create the folder {parent} for the database: {exc.strerror}.")
        return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=10, check_same_thread=False)
    if scheme in ("postgres", "postgresql"):
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            raise DatabaseSetupError(
                "PostgreSQL needs the psycopg2 driver: pip install 'repdesk[postgres]'.") from None
        if not p.path.strip("/"):
            raise DatabaseSetupError(f"{redact(url)!r} names no database: use postgresql://user@host/dbname.")
        from playhouse.db_url import parse

        kwargs = parse(url, unquote_password=True, unquote_user=True)
        kwargs.setdefault("connect_timeout", 5)
        name = kwargs.pop("database")
        return PostgresqlDatabase(name, **kwargs)
    raise DatabaseSetupError(
        f"{redact(url)!r} is not a database URL repdesk knows: use sqlite:///path or postgresql://user@host/dbname.")


def open_database(url: str | None = None, *, migrate: bool = True, create: bool = True):
    """Bind the proxy to the database at URL, check it is reachable and, if asked, migrate it.

    Every failure is a DatabaseSetupError with one sentence: unknown URL, unreachable
    server, read-only file, a schema from a newer repdesk.
    """
    url = resolve_url(url)
    db = make_database(url)
    if isinstance(db, SqliteDatabase) and db.database != ":memory:":
        path = Path(db.database)
        if not create and not path.exists():
            raise DatabaseSetupError(f"There is no database at {path}: run 'repdesk init' or 'repdesk demo' first.")
        if path.exists() and not os.access(path, os.R_OK):
            raise DatabaseSetupError(f"The database file {path} cannot be read (permissions).")
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
    except (OperationalError, InterfaceError) as exc:
        database.initialize(None)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseSetupError(f"Cannot reach the database {redact(url)}: {first}.") from None
    except Exception as exc:  # driver-specific errors (bad DSN options ...)
        database.initialize(None)
        raise DatabaseSetupError(f"Cannot open the database {redact(url)}: {exc}.") from None
    if migrate:
        run_migrations()
    else:
        check_version()
    return db


def close_database() -> None:
    obj = database.obj
    if obj is not None and not obj.is_closed():
        obj.close()
