"""Live updates between processes in a real terminal, on every engine: another rep's new application,
claim and payment appear on an open screen within 2 seconds without a key press."""
from __future__ import annotations

import json
import time

import pytest

from conftest import REPDESK, run_cli
from test_terminal import Tmux

pytestmark = pytest.mark.terminal


def test_other_processes_changes_appear_within_two_seconds(db_url):
    def cli(*args, **kw):
        res = run_cli(*args, db_url=db_url, **kw)
        assert res.returncode == 0, res.stderr
        return res.stdout

    cli("rep", "add", "ana", "--name", "Ana Alvarez", "--team", "North")
    cli("rep", "add", "ben", "--name", "Ben Brown", "--team", "North")
    cli("intake", "-", input='{"channel": "email", "name": "Olga First", "email": "olga@example.com", '
                             '"text": "need 10 cones"}\n')
    term = Tmux(f"{REPDESK} --db {db_url} --as ana")
    try:
        term.wait_for("Olga First")
        term.wait_for("1 open")
        cli("intake", "-", input='{"channel": "phone", "name": "Nina Live", "phone": "+447700900777", '
                                 '"text": "needs 40 match balls"}\n')
        started = time.time()
        term.wait_for("Nina Live", timeout=5)
        term.wait_for("2 open", timeout=5)
        assert time.time() - started < 2.5, "the new application took too long to appear"
        first = json.loads(cli("inbox", "--json", "--as", "ben"))
        nina = next(a for a in first if a["name"] == "Nina Live")
        cli("claim", str(nina["id"]), "--as", "ben")
        started = time.time()
        term.wait_for("ben", timeout=5)  # the row now names its owner
        assert time.time() - started < 2.5, "the claim took too long to appear"
        client = cli("client", "add", "--name", "Pay Club", "--email", "pay@example.com", "--as", "ana").strip()
        deal = cli("deal", "add", "--client", client, "--title", "kit", "--amount", "50", "--as", "ana").strip()
        invoice = cli("invoice", "add", "--deal", deal, "--as", "ana").strip()
        term.keys("4")
        term.wait_for("Payments")
        cli("payment", "add", "--invoice", invoice, "--amount", "12.34", "--as", "ana")
        started = time.time()
        term.wait_for("12.34", timeout=5)
        assert time.time() - started < 2.5, "the payment took too long to appear"
    finally:
        term.kill()
