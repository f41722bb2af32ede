"""Opening the database (issue 12): a missing SQLite file is refused by every command but init and demo
(which say they create it), no folder is made on a refusal, copy-db from a missing source creates nothing,
and a read-only filesystem is named as such."""
from __future__ import annotations

import os

import pytest

from conftest import run_cli


@pytest.mark.parametrize("argv", [["inbox"], ["clients"], ["show", "1"], ["rep", "list"],
                                  ["intake", "-"], ["client", "add", "--name", "X"]])
def test_a_missing_file_is_refused_and_nothing_is_created(tmp_path, argv):
    path = tmp_path / "typo" / "deeper" / "repdesk.db"
    res = run_cli(*argv, db_url=f"sqlite:///{path}", input="", init=False)
    assert res.returncode == 10, res.stderr
    assert f"No database at {path}: run `repdesk init` (or `repdesk demo`) to create one." in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "typo").exists()


def test_a_missing_file_beside_existing_folder_is_not_created(tmp_path):
    path = tmp_path / "repdesk.db"
    res = run_cli("clients", db_url=f"sqlite:///{path}", init=False)
    assert res.returncode == 10 and "No database at" in res.stderr
    assert sorted(os.listdir(tmp_path)) == []


def test_the_default_path_is_refused_too(tmp_path):
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    res = run_cli("inbox", env=env)
    assert res.returncode == 10
    assert "No database at" in res.stderr and "repdesk init" in res.stderr
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("argv", [["init"], ["demo", "--applications", "3"]])
def test_init_and_demo_create_and_say_so(tmp_path, argv):
    path = tmp_path / "new" / "repdesk.db"
    res = run_cli(*argv, db_url=f"sqlite:///{path}")
    assert res.returncode == 0, res.stderr
    assert f"Created a new database at {path}." in res.stderr
    assert path.exists()
    again = run_cli(*argv, db_url=f"sqlite:///{path}")
    assert again.returncode == 0 and "Created" not in again.stderr


def test_make_run_works_on_a_fresh_machine(tmp_path):
    """The Makefile's `run`: `repdesk demo --if-empty`, then the workstation (checked up to opening the
    database: the TUI itself needs a terminal)."""
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    first = run_cli("demo", "--if-empty", "--applications", "3", env=env)
    assert first.returncode == 0, first.stderr
    assert "Created a new database at" in first.stderr
    assert run_cli("inbox", "--as", "demo", env=env).returncode == 0
    second = run_cli("demo", "--if-empty", env=env)
    assert second.returncode == 0 and "nothing to do" in second.stdout


def test_copy_db_from_a_missing_source_creates_nothing(tmp_path):
    src = tmp_path / "gone" / "src.db"
    dst = tmp_path / "dst.db"
    res = run_cli("admin", "copy-db", f"sqlite:///{src}", f"sqlite:///{dst}", init=False)
    assert res.returncode == 10
    assert f"No source database at {src}" in res.stderr
    assert not src.parent.exists() and not dst.exists()


def test_a_read_only_filesystem_is_named(tmp_path, monkeypatch):
    from models.db import open_database
    from models.errors import DatabaseSetupError

    url = f"sqlite:///{tmp_path}/ro.db"
    run_cli("init", db_url=url)
    real = os.statvfs

    class RO:
        def __init__(self, st):
            self.st = st

        def __getattr__(self, name):
            return getattr(self.st, name)

        @property
        def f_flag(self):
            return self.st.f_flag | os.ST_RDONLY

    monkeypatch.setattr(os, "statvfs", lambda p: RO(real(p)))
    with pytest.raises(DatabaseSetupError, match="read-only filesystem"):
        open_database(url, create=False)


def test_a_refused_write_names_the_read_only_database(tmp_path, monkeypatch):
    """At write: SQLite says "attempt to write a readonly database"; the sentence names the file."""
    import sqlite3

    path = tmp_path / "w.db"
    assert run_cli("init", db_url=f"sqlite:///{path}").returncode == 0
    from tui import cli

    from models.db import close_database, open_database

    open_database(f"sqlite:///{path}", create=False)
    try:
        text = cli._read_only_write_text()
    finally:
        close_database()
    assert str(path) in text and "read-only" in text
    del sqlite3


def test_postgres_url_parts_reach_libpq_as_given():
    """models.db.pg_connect_params (what playhouse.db_url.parse gave, without its imports): user and password
    percent-decoded, host, port, database, every query parameter for libpq as written."""
    from urllib.parse import urlparse

    from models.db import pg_connect_params

    got = pg_connect_params(urlparse("postgresql://ana%40north:p%3Aw%2Fd@db.example:6432/sales?sslmode=require"
                                     "&options=-c%20statement_timeout%3D5000"))
    assert got == {"database": "sales", "user": "ana@north", "password": "p:w/d", "host": "db.example",
                   "port": 6432, "sslmode": "require", "options": "-c statement_timeout=5000"}
    assert pg_connect_params(urlparse("postgresql:///sales")) == {"database": "sales"}  # the local socket
