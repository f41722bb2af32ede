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


def _drivers_after(url: str) -> str:
    code = ("import sys; from tui.run import only_its_own_driver; only_its_own_driver(sys.argv[1]); "
            "import peewee; print('psycopg2' if peewee.psycopg2 else '-', 'sqlite3' if peewee.sqlite3 else '-')")
    return subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, check=True).stdout.strip()


def test_the_workstation_loads_only_its_engines_driver():
    pytest.importorskip("psycopg2")
    assert _drivers_after("sqlite:///x.db") == "- sqlite3"
    assert _drivers_after("postgresql://repdesk@127.0.0.1/repdesk") == "psycopg2 -"
    assert _drivers_after("POSTGRES://repdesk@127.0.0.1/repdesk") == "psycopg2 -"


def test_the_workstation_on_postgresql_runs_without_sqlite3(db_url):
    """On PostgreSQL the database opens, migrates and reads the inbox with sqlite3 absent from the process."""
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only")
    from conftest import run_cli

    assert run_cli("demo", "--applications", "30", "--now", "2026-11-20T09:00:00Z", db_url=db_url).returncode == 0
    code = ("import sys; from tui.run import only_its_own_driver; only_its_own_driver(sys.argv[1]); "
            "import peewee; assert peewee.sqlite3 is None; sys.argv = ['repdesk', '--db', sys.argv[1], '--as', 'demo', 'inbox', "
            "'--json']; from tui.cli import main; sys.exit(main())")
    res = subprocess.run([sys.executable, "-c", code, db_url], capture_output=True, text=True)
    assert res.returncode == 0 and '"channel"' in res.stdout, res.stderr


@pytest.mark.parametrize("theme, expected", [("textual-light", "textual-light"), ("ansi-dark", "ansi-dark"),
                                             ("no-such-theme", "ansi-dark")])
def test_the_configured_theme_is_textuals_default_before_it_loads(tmp_path, theme, expected):
    """The theme from config.toml becomes Textual's default before Textual is imported (no stylesheet pass
    for a theme set on the App); a name Textual does not know falls back to ansi-dark."""
    import os

    config = tmp_path / "config.toml"
    config.write_text(f'theme = "{theme}"\n', encoding="utf-8")
    code = ("from tui.run import theme_before_textual; theme_before_textual(); "
            "from tui.app import RepdeskApp; app = RepdeskApp(); "
            "print(RepdeskApp.theme._default, app.theme, app._css_update_count)")
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_THEME"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**env, "REPDESK_CONFIG": str(config)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [expected, expected, "0"]  # 0: no stylesheet marked stale


async def test_a_modes_first_screen_does_not_reparse_the_stylesheets(team, now):
    """Textual re-parses every stylesheet when a mode's first screen is made (its count of stylesheet
    changes starts at -1); ours start level with the app's, so the first switch to a screen parses
    nothing, and a theme changed later still restyles every screen."""
    from textual.css.stylesheet import Stylesheet

    from models.reps import get_rep
    from tui.app import RepdeskApp

    app = RepdeskApp(rep=get_rep("ana"), login="ana", frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        calls = []
        original = Stylesheet.reparse

        def counting(self):
            calls.append(1)
            return original(self)

        Stylesheet.reparse = counting
        try:
            await pilot.press("2")
            await pilot.pause()
            assert app.screen.__class__.__name__ == "ClientsScreen"
            assert calls == []
            before = app.screen.query_one("#status").styles.background
            app.theme = "textual-light"
            await pilot.pause()
            assert calls and app.screen.query_one("#status").styles.background != before  # restyled
        finally:
            Stylesheet.reparse = original
