"""Issue 15 in a real terminal (tmux, 80x24): a manager sets a quota from the CLI, a rep logs calls, and the
manager reads the team's numbers with keys only: Today (`5`), the Team board (`T`) with the rep behind
pace, `enter` for the calls behind the number, and the forecast headline."""
from __future__ import annotations

import shutil

import pytest

from conftest import REPDESK, run_cli
from test_terminal import Tmux

pytestmark = [pytest.mark.terminal,
              pytest.mark.skipif(not shutil.which("tmux"), reason="tmux is not installed")]

NOW = "2026-11-20T09:00:00"


def test_a_manager_reads_the_team_board_in_a_real_terminal(db_url):
    def cli(*args):
        res = run_cli(*args, "--now", NOW, db_url=db_url)
        assert res.returncode == 0, res.stderr
        return res.stdout

    cli("rep", "add", "mia", "--name", "Mia Novak", "--role", "manager", "--team", "North")
    cli("rep", "add", "ana", "--name", "Ana Alvarez", "--team", "North")
    cli("quota", "set", "ana", "calls", "10", "--period", "month", "--from", "2026-11-01", "--as", "mia")
    client = cli("client", "add", "--name", "Club Norte", "--email", "info@clubnorte.es", "--as", "ana").split()[-1]
    for subject in ("first call", "second call"):
        cli("activity", "add", "--client", client.strip("."), "--kind", "call", "--subject", subject, "--as", "ana")
    term = Tmux(f"{REPDESK} --db {db_url} --as mia --now {NOW}")
    try:
        term.wait_for("Inbox")
        term.keys("5")
        term.wait_for("Today")
        term.keys("T")
        # the legend ("▼ behind pace") is painted at once, the board's title and rows when the data has come
        board = term.wait_for("Team: North")
        assert "behind pace" in board
        term.wait_for("ana")
        screen = term.wait_for("20%")  # 2 of 10 calls, two thirds into the month: behind pace
        row = next(line for line in screen.splitlines() if "20%" in line)
        assert "ana" in row and "▼" in row  # the mark on ana's row (the legend has one too)
        term.keys("j")  # the rows are in login order: ana first, the cursor starts on her
        term.keys("k", "Enter")
        term.wait_for("Behind ana's numbers")
        records = term.wait_for("second call")  # the title is painted at once, the records when they come
        assert "calls" in records
        term.escape(shows="behind pace")
    finally:
        term.kill()
