"""A busy database (issue 12): while another process holds a long write, read commands answer and the
workstation opens; a write that has to wait says "Waiting for another writer ..." after about a second
and, when it gives up, names what holds the lock. Both engines where the engine matters."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import REPDESK, run_cli
from test_terminal import Tmux  # noqa: E402 (skips the module where tmux is missing)

HOLD = 20.0  # the figure: a 20-second write

WRITER = r"""
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN IMMEDIATE")
con.execute("UPDATE rep SET name = name || ' (importing)'")
print("holding", flush=True)
sys.stdin.read()  # hold the write lock until the test closes the pipe
con.execute("ROLLBACK")
print("released", flush=True)
"""


def _holds_lock(path: Path) -> bool:
    import sqlite3

    con = sqlite3.connect(str(path), timeout=0, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        return "locked" in str(exc)
    finally:
        con.close()


def test_reads_answer_and_the_tui_opens_during_a_20_second_write(tmp_path, now):
    path = tmp_path / "busy.db"
    url = f"sqlite:///{path}"
    assert run_cli("rep", "add", "ana", "--name", "Ana Alvarez", "--team", "North", db_url=url).returncode == 0
    line = '{"channel": "email", "email": "m@club.es", "name": "Marta Ruiz", "text": "need 40 balls"}\n'
    assert run_cli("intake", "-", db_url=url, input=line).returncode == 0
    app_id = run_cli("inbox", "--json", "--as", "ana", db_url=url).stdout.split('"id": ')[1].split(",")[0]
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    term = None
    try:
        assert writer.stdout.readline().strip() == "holding"
        started = time.monotonic()
        term = Tmux(f"{REPDESK} --db {url} --as ana --now {now.isoformat()}")
        rounds = 0
        # read commands answer for the whole 20 s, well past SQLite's 10 s busy timeout that once failed them
        while rounds == 0 or time.monotonic() - started < HOLD:
            for argv in (["inbox", "--as", "ana"], ["clients", "--as", "ana"], ["show", app_id, "--as", "ana"]):
                res = run_cli(*argv, db_url=url)
                assert res.returncode == 0, (argv, res.stderr)
                assert "Waiting" not in res.stderr
            assert "Marta Ruiz" in res.stdout
            if rounds == 0:
                term.wait_for("open ·")  # the workstation opened during the write
                term.wait_for("Marta Ruiz")
            rounds += 1
        assert _holds_lock(path), "the writer did not hold the lock for the whole test"
        assert time.monotonic() - started >= HOLD
    finally:
        if term is not None:
            term.kill()
        writer.stdin.close()
        writer.wait(timeout=10)
    assert writer.returncode == 0


def test_a_waiting_write_says_so_and_then_names_the_holder_sqlite(tmp_path):
    path = tmp_path / "wait.db"
    url = f"sqlite:///{path}"
    assert run_cli("init", db_url=url).returncode == 0
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "holding"
        t0 = time.monotonic()
        res = run_cli("rep", "add", "ben", "--name", "Ben", db_url=url, env={"REPDESK_BUSY_TIMEOUT": "2"})
        took = time.monotonic() - t0
    finally:
        writer.stdin.close()
        writer.wait(timeout=10)
    assert res.returncode == 10
    lines = res.stderr.splitlines()
    assert lines[0] == "Waiting for another writer ..."
    assert f"another repdesk process holds the write lock on {path}" in lines[1]
    assert "Try again" in lines[1] and "Traceback" not in res.stderr
    assert took >= 1.9
    # once it is free, the same write goes through at once, and says nothing about waiting
    res = run_cli("rep", "add", "ben", "--name", "Ben", db_url=url)
    assert res.returncode == 0 and "Waiting" not in res.stderr


def test_a_quick_write_does_not_say_it_waited(tmp_path):
    url = f"sqlite:///{tmp_path}/quick.db"
    res = run_cli("rep", "add", "ana", "--name", "Ana", db_url=url)
    assert res.returncode == 0 and res.stderr == ""


PG_URL = os.environ.get("REPDESK_TEST_DATABASE_URL")


@pytest.mark.engine
@pytest.mark.skipif(not PG_URL, reason="needs REPDESK_TEST_DATABASE_URL (postgresql)")
def test_postgresql_names_the_holder_by_application_name():
    import psycopg2

    from conftest import reset_postgres

    reset_postgres(PG_URL)
    assert run_cli("rep", "add", "ana", "--name", "Ana", db_url=PG_URL).returncode == 0
    holder = psycopg2.connect(PG_URL, application_name="repdesk intake as sol")
    try:
        cur = holder.cursor()
        cur.execute("UPDATE rep SET name = 'Ana (busy)' WHERE login = 'ana'")  # holds the row lock
        res = run_cli("rep", "away", "ana", db_url=PG_URL, env={"REPDESK_BUSY_TIMEOUT": "3"})
    finally:
        holder.rollback()
        holder.close()
    assert res.returncode == 10, res.stderr
    lines = res.stderr.splitlines()
    assert lines[0].startswith("Waiting for another writer (repdesk intake as sol")
    assert "repdesk intake as sol" in lines[1] and "holds the lock" in lines[1]
    assert "Traceback" not in res.stderr


@pytest.mark.engine
@pytest.mark.skipif(not PG_URL, reason="needs REPDESK_TEST_DATABASE_URL (postgresql)")
def test_postgresql_connections_carry_the_command_and_login():
    """Every connection (the command's and a worker thread's own) is "repdesk COMMAND as LOGIN"."""
    from types import SimpleNamespace

    from tui.cli import build_parser, command_label
    from tui.dbopen import open_for

    from conftest import reset_postgres
    from models.db import close_database
    from models.engine import database, in_own_connection

    reset_postgres(PG_URL)
    parser = build_parser()
    args = parser.parse_args(["client", "add", "--name", "X", "--as", "mia", "--db", PG_URL])
    assert command_label(parser, args) == "client add"
    ctx = SimpleNamespace(args=args, login="mia")
    open_for(ctx, command_label(parser, args))
    try:
        ask = "SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()"
        assert database.execute_sql(ask).fetchone()[0] == "repdesk client add as mia"
        seen = []
        t = threading.Thread(target=lambda: seen.append(in_own_connection(
            lambda: database.execute_sql(ask).fetchone()[0])))
        t.start()
        t.join()
        assert seen == ["repdesk client add as mia"]
    finally:
        close_database()
