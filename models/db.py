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
from .engine import busy_text, busy_timeout, is_busy_error
from .errors import DatabaseBusy, DatabaseSetupError
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


def sqlite_path(url: str) -> Path | None:
    """The file a sqlite:/// URL names (None for another engine or :memory:)."""
    if not url.lower().startswith("sqlite:///"):
        return None
    path = url[len("sqlite:///"):]
    if not path or path == ":memory:":
        return None
    return Path(os.path.expanduser(path))


def _read_only_fs(path: Path) -> bool:
    """Whether PATH (or the nearest folder that exists above it) is on a read-only filesystem."""
    probe = path
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    try:
        return bool(os.statvfs(probe).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def missing_text(path: Path) -> str:
    return f"No database at {path}: run `repdesk init` (or `repdesk demo`) to create one."


def read_only_text(path: Path) -> str | None:
    """The sentence for a database file repdesk cannot write, or None if it can."""
    if _read_only_fs(path):
        return (f"The database {path} is on a read-only filesystem: repdesk writes to the file and its folder "
                "(remount it read-write or copy the database somewhere writable).")
    folder = path.parent
    if path.exists() and not os.access(path, os.W_OK):
        return f"The database file {path} is read-only (permissions): make it writable for this user."
    if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
        return (f"The folder {folder} is read-only (permissions): repdesk keeps its journal files beside the "
                "database, so the folder must be writable for this user.")
    return None


def make_database(url: str, *, create_folder: bool = False, app_name: str | None = None):
    """Build (do not yet connect) a peewee Database for the URL, or raise a clear error. Folders are made
    only when CREATE_FOLDER (init, demo); APP_NAME labels PostgreSQL connections (pg_stat_activity)."""
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
            if create_folder and not parent.exists():
                try:
                    parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    if _read_only_fs(parent):
                        raise DatabaseSetupError(
                            f"Cannot create the folder {parent} for the database: the filesystem is read-only.") from None
                    raise DatabaseSetupError(f"Cannot create the folder {parent} for the database: {exc.strerror}.") from None
        timeout = busy_timeout()
        pragmas = tuple((k, int(timeout * 1000) if k == "busy_timeout" else v) for k, v in SQLITE_PRAGMAS)
        return SqliteDatabase(path, pragmas=pragmas, timeout=timeout, check_same_thread=False)
    if scheme in ("postgres", "postgresql"):
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            raise DatabaseSetupError(
                "PostgreSQL needs the psycopg2 driver: pip install 'repdesk[postgres]'.") from None
        if not p.path.strip("/"):
            raise DatabaseSetupError(f"{redact(url)!r} names no database: use postgresql://user@host/dbname.")
        try:
            kwargs = pg_connect_params(p)
        except ValueError:  # a port that is not a number from 0 to 65535
            raise DatabaseSetupError(f"{redact(url)!r} has a port that is not a number: "
                                     "use postgresql://user@host:5432/dbname.") from None
        kwargs.setdefault("connect_timeout", 5)
        kwargs.setdefault("application_name", application_name(app_name))
        if "lock_timeout" not in str(kwargs.get("options", "")):
            kwargs["options"] = (str(kwargs.get("options", "")) +
                                 f" -c lock_timeout={int(busy_timeout() * 1000)}").strip()
        name = kwargs.pop("database")
        return PostgresqlDatabase(name, **kwargs)
    raise DatabaseSetupError(
        f"{redact(url)!r} is not a database URL repdesk knows: use sqlite:///path or postgresql://user@host/dbname.")


def pg_connect_params(p) -> dict:
    """libpq's keywords from a parsed postgresql:// URL: user and password (percent-decoded), host, port,
    the database, and every query parameter as given (sslmode=require, options=..., as libpq reads them).
    The same as playhouse.db_url.parse, whose module imports every other engine's extension with it (5 ms
    of the start-up on PostgreSQL)."""
    from urllib.parse import parse_qsl, unquote

    kwargs: dict = {"database": p.path[1:]}
    if p.username:
        kwargs["user"] = unquote(p.username)
    if p.password:
        kwargs["password"] = unquote(p.password)
    if p.hostname:
        kwargs["host"] = p.hostname
    if p.port:
        kwargs["port"] = p.port
    kwargs.update(parse_qsl(p.query, keep_blank_values=True))
    return kwargs


def application_name(label: str | None) -> str:
    """What pg_stat_activity shows for this process's connections: "repdesk inbox as ana" (63 bytes at most,
    printable ASCII, as PostgreSQL keeps it)."""
    text = "".join(ch if " " <= ch <= "~" else "?" for ch in (label or "repdesk"))
    return text[:63]


def open_database(url: str | None = None, *, migrate: bool = True, create: bool = True,
                  app_name: str | None = None):
    """Bind the proxy to the database at URL, check it is reachable and, if asked, migrate it.

    A missing SQLite file is refused unless CREATE (init and demo create it; the CLI's other commands
    pass create=False); then `db.repdesk_created` is True. Every failure is a DatabaseSetupError with one
    sentence: unknown URL, missing file, unreachable server, read-only file or filesystem, a schema from a
    newer repdesk.
    """
    url = resolve_url(url)
    db = make_database(url, create_folder=create, app_name=app_name)
    created = False
    if isinstance(db, SqliteDatabase) and db.database != ":memory:":
        path = Path(db.database)
        if not path.exists():
            if not create:
                raise DatabaseSetupError(missing_text(path))
            created = True
        elif not os.access(path, os.R_OK):
            raise DatabaseSetupError(f"The database file {path} cannot be read (permissions).")
        ro = read_only_text(path)
        if ro:
            raise DatabaseSetupError(ro)
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
    except (OperationalError, InterfaceError) as exc:
        database.initialize(None)
        if is_busy_error(exc):
            raise DatabaseBusy(busy_text(str(getattr(db, "database", "")))) from None
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseSetupError(f"Cannot reach the database {redact(url)}: {first}.") from None
    except Exception as exc:  # driver-specific errors (bad DSN options ...)
        database.initialize(None)
        raise DatabaseSetupError(f"Cannot open the database {redact(url)}: {exc}.") from None
    try:
        if migrate:
            run_migrations()
        else:
            check_version()
    except (OperationalError, InterfaceError) as exc:
        if is_busy_error(exc):
            raise DatabaseBusy(busy_text()) from None
        raise
    db.repdesk_created = created
    return db


def close_database() -> None:
    obj = database.obj
    if obj is not None and not obj.is_closed():
        obj.close()
