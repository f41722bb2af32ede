"""Shared fixtures. Tests that take `db` (or `db_url`) run on every configured engine:
SQLite always, PostgreSQL too when REPDESK_TEST_DATABASE_URL is set. Such tests are
marked `engine`, so CI can rerun just them against PostgreSQL (`-m engine -k postgresql`).
"""
from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The labelled samples live in ../shared/samples beside the checkout; a copy in tests/data keeps
# `make test` working in a clone that has nothing beside it.
SAMPLES = ROOT.parent / "shared" / "samples"
if not (SAMPLES / "catalog.csv").exists():
    SAMPLES = ROOT / "tests" / "data" / "samples"
PG_URL = os.environ.get("REPDESK_TEST_DATABASE_URL")
ENGINES = ["sqlite"] + (["postgresql"] if PG_URL else [])
REPDESK = str(Path(sys.executable).parent / "repdesk")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "db_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.engine)


def reset_postgres(url: str) -> None:
    import psycopg2

    from models.db import make_database

    db = make_database(url)
    db.connect()
    db.execute_sql("DROP SCHEMA public CASCADE")
    db.execute_sql("CREATE SCHEMA public")
    db.close()


@pytest.fixture(scope="session", autouse=True)
def lemma_tries():
    """simplemma's tries are built once per machine (about ten seconds, models.scoring._trie_lemmatizer):
    build them before the first test, so no app under test pays it inside a test's wait for the screen."""
    from models.scoring import _lemmas

    _lemmas("balones")


@pytest.fixture(params=ENGINES)
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/repdesk-test.db"
    else:
        reset_postgres(PG_URL)
        yield PG_URL


@pytest.fixture
def db(db_url):
    """An empty, migrated database bound to models.db.database."""
    from models.db import close_database, open_database

    open_database(db_url)
    yield db_url
    close_database()


@pytest.fixture
def now():
    return datetime(2026, 11, 20, 9, 0, 0)


@pytest.fixture
def team(db, now):
    """Two teams: North (manager mia, reps ana, ben, cai) and South (rep sol); director dan."""
    from models.reps import add_rep

    reps = {}
    reps["mia"] = add_rep("admin", "mia", "Mia Manager", "manager", "North", now=now)
    for login, name in (("ana", "Ana Alvarez"), ("ben", "Ben Brown"), ("cai", "Cai Chen")):
        reps[login] = add_rep("admin", login, name, "rep", "North", now=now)
    reps["sol"] = add_rep("admin", "sol", "Sol South", "rep", "South", now=now)
    reps["dan"] = add_rep("admin", "dan", "Dan Director", "director", None, now=now)
    return reps


@pytest.fixture
def catalog(db):
    from models.products import import_products

    import_products("admin", (SAMPLES / "catalog.csv").read_text())


CREATING_COMMANDS = ("init", "demo")


def ensure_database(db_url: str, env: dict | None = None) -> None:
    """Create (init) the SQLite file DB_URL names if it is missing: commands other than init and demo refuse
    a missing file (issue 12), and most tests mean an existing, empty database."""
    import subprocess

    if not db_url.startswith("sqlite:///") or db_url.endswith(":memory:"):
        return
    if Path(db_url[len("sqlite:///"):]).exists():
        return
    full_env = {**os.environ, **(env or {})}
    full_env.pop("REPDESK_DATABASE_URL", None)
    done = subprocess.run([REPDESK, "init", "--db", db_url], capture_output=True, text=True, env=full_env,
                          timeout=120)
    assert done.returncode == 0, done.stderr


def run_cli(*args: str, db_url: str | None = None, input: str | None = None, env: dict | None = None,
            init: bool = True):
    """Run the real `repdesk` entry point in a subprocess; returns CompletedProcess. A missing SQLite file
    at DB_URL is created first (`repdesk init`) unless INIT is False or the command is init or demo."""
    import subprocess

    if db_url and init and not (args and args[0] in CREATING_COMMANDS):
        ensure_database(db_url, env)
    cmd = [REPDESK, *args]
    if db_url:
        cmd += ["--db", db_url]
    full_env = {**os.environ, **(env or {})}
    full_env.pop("REPDESK_DATABASE_URL", None)
    return subprocess.run(cmd, input=input, capture_output=True, text=True, env=full_env, timeout=120)


def assert_plain(value, path: str = "result") -> None:
    """Fail unless VALUE is what a screen may receive from a use case: frozen dataclasses, tuples,
    lists, dicts and plain values, with no database row (peewee Model) anywhere inside."""
    import dataclasses
    from datetime import date, datetime, timedelta

    import peewee

    if isinstance(value, peewee.Model):
        raise AssertionError(f"{path} is a database row ({type(value).__name__})")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        params = getattr(type(value), "__dataclass_params__", None)
        assert params is not None and params.frozen, f"{path} ({type(value).__name__}) is not a frozen dataclass"
        for f in dataclasses.fields(value):
            assert_plain(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, (list, tuple, set, frozenset)):
        for i, item in enumerate(value):
            assert_plain(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for k, item in value.items():
            assert_plain(k, f"{path} key")
            assert_plain(item, f"{path}[{k!r}]")
    else:
        assert value is None or isinstance(value, (str, int, float, bool, datetime, date, timedelta, bytes)), \
            f"{path} is a {type(value).__name__}"


@pytest.fixture
def plain():
    return assert_plain


async def until(pilot, predicate, timeout: float = 10.0, what: str = "the screen to show it"):
    """Wait until PREDICATE() is true (screens load in workers): let workers finish and messages run,
    then look again, up to TIMEOUT seconds. A condition, never a fixed sleep."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while True:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        try:
            if predicate():
                return
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def _sizing(table) -> bool:
    """Whether a shown DataTable has rows whose column widths it has not measured yet (it does so when idle:
    a picture taken before would show columns cut to their labels)."""
    return table.size.area > 0 and bool(getattr(table, "_require_update_dimensions", False))


async def settle(pilot, rounds: int = 400) -> None:
    """Wait (for a condition, never a fixed time) until the app is at rest: no worker running, every open
    loading screen has painted its newest read, and the messages that followed have been handled."""
    app = pilot.app
    for _ in range(rounds):
        await app.workers.wait_for_complete()
        await pilot.pause()
        screens = [s for stack in app._screen_stacks.values() for s in stack]  # every mode's open screens
        if not any(w.is_running for w in app.workers) and all(
                getattr(s, "settled", True) for s in screens if s.is_mounted) and not any(
                _sizing(t) for s in screens if s.is_mounted for t in s.query("DataTable")):
            await pilot.pause()
            return
    waiting = [type(s).__name__ for stack in app._screen_stacks.values() for s in stack
               if s.is_mounted and not getattr(s, "settled", True)]
    raise AssertionError(f"the app did not settle: a screen's read was never painted ({', '.join(waiting)})")
