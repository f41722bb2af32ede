"""Start-up (issues 10 and 13): the workstation starts without the parsers of every command and, on
SQLite, without the PostgreSQL driver; the commands' parsers are still there for every command."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import run_cli
from tui.cli import opens_workstation


@pytest.mark.parametrize("argv, opens", [
    ([], True),
    (["--db", "sqlite:///x.db", "--as", "ana", "--now", "2026-11-20T09:00:00"], True),
    (["--db=sqlite:///x.db", "--as=ana"], True),
    (["--json"], True),
    (["inbox"], False),
    (["--db", "sqlite:///x.db", "inbox"], False),
    (["--help"], False),
    (["-h"], False),
    (["--version"], False),
    (["--db"], False),            # argparse says the value is missing
    (["--as", "ana", "--bogus"], False),
])
def test_only_the_common_options_open_the_workstation_directly(argv, opens):
    assert opens_workstation(argv) is opens


def test_help_and_commands_still_have_their_parsers(tmp_path):
    res = run_cli("--help")
    assert res.returncode == 0 and "quota" in res.stdout and "convert" in res.stdout
    res = run_cli("--bogus")
    assert res.returncode == 2 and "unrecognized arguments: --bogus" in res.stderr


def _driver_after(url: str) -> str:
    code = ("import sys; from tui.run import without_postgres_driver; without_postgres_driver(sys.argv[1]); "
            "import peewee; print('loaded' if peewee.psycopg2 else 'absent')")
    return subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, check=True).stdout.strip()


def test_the_workstation_on_sqlite_does_not_load_the_postgres_driver():
    pytest.importorskip("psycopg2")
    assert _driver_after("sqlite:///x.db") == "absent"
    assert _driver_after("postgresql://repdesk@127.0.0.1/repdesk") == "loaded"
