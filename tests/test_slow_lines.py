"""Slow lines (issue 16): the real app in a pseudo-terminal at 80x24, counting the bytes it writes.

A rep on a hotel link pays for every byte: a cursor move repaints the two rows that changed and the detail
lines that differ, not the screen; idle is silent; NO_COLOR costs no more than colour.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from conftest import REPDESK, run_cli

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from ptybytes import Session, visible_text  # noqa: E402

pytestmark = pytest.mark.terminal

NOW = "2026-11-20T09:00:00Z"
CURSOR_BUDGET = 600      # bytes per cursor move without scrolling, the detail pane repainted (issue 16)
PAGE_BUDGET = 3 * 1024   # page down


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('slow')}/demo.db"
    done = run_cli("demo", "--applications", "120", "--now", NOW, db_url=url)
    assert done.returncode == 0, done.stderr
    return url


def _session(url: str, **env) -> Session:
    # the notices read before: no "since you last looked" toast over the detail pane (a toast repaints
    # with whatever changes under it; it is measured in the first paint, not in every move)
    assert run_cli("notices", "--as", "demo", "--now", NOW, db_url=url).returncode == 0
    s = Session([REPDESK, "--db", url, "--as", "demo", "--now", NOW], env=env)
    s.wait_for("open ·")
    s.wait_for("Why:")  # the detail pane shows the first record
    s.settle(0.8)  # the notices and the count arrive just after the first paint
    return s


@pytest.mark.parametrize("env", [{}, {"NO_COLOR": "1"}], ids=["256-colours", "no-color"])
def test_a_cursor_move_costs_its_lines_not_the_screen(demo_url, env):
    s = _session(demo_url, **env)
    try:
        assert s.settle(1.5, limit=1.5) == b""  # idle: nothing at all
        # one move: the two list rows that changed and the detail lines that differ (once the cursor rests)
        moves = [len(s.send("j")) for _ in range(6)]
        assert all(0 < n <= CURSOR_BUDGET for n in moves), moves
        back = s.send("k")
        assert 0 < len(back) <= CURSOR_BUDGET
        if not env:  # the terminal's own colours go without a code: a reset has just said them
            assert b"39;49" not in back and b"\x1b[49m" not in back and b"\x1b[39m" not in back, back
        # a held key: ten rows for less than ten single moves - the detail waits for the cursor to rest
        held = s.send("j" * 10)
        assert 0 < len(held) <= 10 * CURSOR_BUDGET, len(held)
        page = s.send("\x1b[6~")
        assert 0 < len(page) <= PAGE_BUDGET, len(page)
    finally:
        s.close()


def test_a_text_field_does_not_blink_while_the_rep_does_nothing(demo_url):
    s = _session(demo_url)
    try:
        s.send("/")  # the filter field, focused: its cursor would blink twice a second
        assert "filter:" in visible_text(s.seen)
        assert s.settle(1.6, limit=1.6) == b""
    finally:
        s.close()


def test_no_color_is_no_bigger_than_colour_and_stays_readable(demo_url):
    sizes = {}
    for name, env in (("colour", {}), ("none", {"NO_COLOR": "1"})):
        s = _session(demo_url, **env)
        try:
            # the whole settled screen (the first paint comes in as many frames as the loading takes, so
            # its size varies from run to run; a full repaint of the same screen does not)
            whole = len(s.full_repaint())
            sizes[name] = (whole, len(s.send("j")))
            if name == "none":
                # no colour codes at all, so nothing can be drawn black on black
                assert b"38;5;" not in s.send("j") and b"48;5;" not in s.seen[-2000:]
        finally:
            s.close()
    assert sizes["none"][0] <= sizes["colour"][0] * 1.02, sizes
    assert sizes["none"][1] <= sizes["colour"][1] * 1.05, sizes


@pytest.mark.skipif(not shutil.which("tmux"), reason="tmux is not installed")
def test_holding_j_for_forty_rows_lands_on_the_right_record(demo_url):
    from test_terminal import Tmux

    term = Tmux(f"{REPDESK} --db {demo_url} --as demo --now {NOW}")
    try:
        term.wait_for("open ·")
        first = term.wait_for("Why:")
        import subprocess

        # forty presses in one burst, as a held key repeats
        subprocess.run(["tmux", "send-keys", "-t", term.name, *(["j"] * 40)], check=True)
        import json

        rows = json.loads(run_cli("inbox", "--json", "--as", "demo", "--limit", "41", "--now", NOW,
                                  db_url=demo_url).stdout)
        target = f"#{rows[40]['id']} "
        screen = term.wait_for(target)
        assert target in screen.split("─" * 20)[-1]  # in the detail pane, below the list's rule
        assert first != screen
    finally:
        term.kill()


def test_visible_text_helper_finds_words():
    assert visible_text(b"\x1b[3;1H\x1b[1;38;5;16mHello\x1b[0m") == "Hello"


def test_a_pane_line_is_repainted_only_where_it_changed():
    from tui.widgets.linepane import _changed_span

    same = (("Why: 88 = +31", None),)
    assert _changed_span(same, same, 20) == (20, 20)  # nothing to send
    assert _changed_span((("Why: 88 = +31", None),), (("Why: 91 = +31", None),), 20) == (5, 7)
    assert _changed_span((("due in 40m", None),), (("due in 4m", None),), 20) == (8, 10)  # the tail cleared
    assert _changed_span((("a漢c", None),), (("a字c", None),), 8) == (1, 3)  # a wide character whole
    assert _changed_span(None, (("x", None),), 4) == (0, 1)
