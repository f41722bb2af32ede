"""Issue 11 in a real terminal (tmux, 80x24): one order from the inbox to a won deal with keys only. The
application is converted (`v`), gets a second line (`l`), its qualification fields typed in where the
gate puts the cursor, `>` through Qualified, Proposal and Negotiation, the agreement's terms, sending and
signing (`T`, `s`, `S`: Agreement signed by itself); then on Payments (`4`) the invoice (`i`: Invoiced
by itself), the payment in full (`p`: Paid), the order (`w`), shipped (`S`) and delivered (`D`: Won).
The deal's audit trail names the cause of every automatic move."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from conftest import REPDESK, SAMPLES, run_cli
from test_terminal import Tmux

pytestmark = pytest.mark.terminal

NOW = "2026-11-20T09:00:00"


def test_one_order_end_to_end_in_a_real_terminal(db_url, now):
    def cli(*args, **kw):
        res = run_cli(*args, "--now", NOW, db_url=db_url, **kw)
        assert res.returncode == 0, res.stderr
        return res.stdout

    cli("rep", "add", "ana", "--name", "Ana Alvarez", "--team", "North")
    cli("import", "products", str(SAMPLES / "catalog.csv"))
    received = (now - timedelta(minutes=20)).isoformat()
    cli("intake", "-", input=json.dumps(dict(
        channel="website", name="Marta Ruiz", email="marta@club.es", phone="+34 612 345 678",
        received_at=received,
        text="We need 40 Pro Match Ball size 5 delivered to Valencia before 5 December. Budget 1,800 EUR.")) + "\n")
    term = Tmux(f"{REPDESK} --db {db_url} --as ana --now {NOW}")
    try:
        term.wait_for("Marta Ruiz")
        term.wait_for("Convert")
        term.keys("v")
        term.wait_for("A new card: Marta Ruiz")
        term.keys("Enter")  # the proposed line as it is: 40 balls at the catalog price
        term.wait_for("40 x BALL-PRO5")
        term.keys("l")
        term.wait_for("Deal 1: add a line")
        term.keys("-l", "GOAL-7X5")
        term.keys("Tab")
        term.wait_for("GOAL-7X5")
        term.keys("BSpace")
        term.keys("2")
        term.keys("C-s")
        term.wait_for("2 x GOAL-7X5")
        term.keys(">")  # the gate: Qualified needs a need, a budget, a timeline, a decision maker
        term.wait_for("Cannot move")
        for text in ("Kit for the season", "2,400 EUR", "before 5 December", "Marta Ruiz", "2026-12-04"):
            term.keys("-l", text)
            term.wait_for(text)
            term.keys("Tab")
        term.escape(shows="Move on")  # the footer shows > once the focus left the field
        for stage in ("Qualified", "Proposal", "Negotiation"):
            term.keys(">")
            term.wait_for(f"moved to {stage}")
        term.keys("T")
        term.keys("-l", "50 match balls and 2 goals")
        term.wait_for("50 match balls and 2 goals")
        term.keys("Tab")
        term.keys("-l", "2,373.00 EUR")
        term.wait_for("2,373.00 EUR")
        term.keys("C-s")
        term.wait_for("Saved")
        term.escape(shows="Move on")
        term.keys("s")
        term.wait_for("sent for signature")
        term.keys("S")
        term.wait_for("Signed by")
        term.keys("C-s")
        term.wait_for("is signed by Marta Ruiz. Deal 1 is in Agreement")  # moved by itself
        term.escape(shows="Convert")  # back on the inbox
        term.keys("4")
        term.wait_for("Shipments waiting (1)")  # the Payments screen, loaded
        term.keys("i")
        term.wait_for("Installments")
        term.keys("C-s")
        term.wait_for("▸ INV-2026-000001     1,974.00 EUR  of 1,974.00 EUR")  # Invoiced, by itself
        term.keys("p")
        term.wait_for("Record a payment on INV-2026-000001")
        term.keys("-l", "1974.00")
        term.wait_for("1974.00")
        term.keys("C-s")
        term.wait_for("Received today (1)")  # Paid, by itself
        select(term, "▸ deal 1")
        term.keys("w")
        term.wait_for("Delivery address")
        term.keys("-l", "Calle Mayor 1, 46001 Valencia")
        term.wait_for("Calle Mayor 1")
        term.keys("C-s")
        term.wait_for("Orders at the warehouse (1)")
        select(term, "▸ order 1    FORWARDED")
        term.keys("S")
        term.wait_for("SHIPPED")  # Shipped, by itself
        select(term, "▸ order 1    SHIPPED")
        term.keys("D")
        term.wait_for("Orders at the warehouse (0)")  # delivered: Won, by itself
    finally:
        term.kill()
    deal = json.loads(cli("deal", "show", "1", "--json", "--as", "ana"))
    assert deal["stage"] == "won"
    trail = json.loads(cli("audit", "--record", "deal:1", "--json", "--as", "ana"))
    follows = [(r["new"], r["cause"]) for r in reversed(trail) if r["action"] == "follow"]
    assert [stage for stage, _cause in follows] == ["agreement_signed", "invoiced", "paid", "shipped", "won"]
    causes = " | ".join(cause for _stage, cause in follows)
    for words in ("agreement signed by Marta Ruiz", "INV-2026-000001 issued", "paid in full", "shipped", "delivered"):
        assert words in causes, causes
    moves = [r["new"] for r in reversed(trail) if r["action"] == "move"]
    assert moves == ["qualified", "proposal", "negotiation"]


def select(term: Tmux, marked: str, presses: int = 40) -> None:
    """Move the Payments list's cursor down from the top until the row MARKED carries it; after each key,
    wait for the screen to show the move (a condition, not a pause), so the cursor never overshoots."""
    import time

    term.keys("g")
    for _ in range(presses):
        before = term.screen()
        if marked in before:
            return
        term.keys("j")
        deadline = time.time() + 5
        while term.screen() == before and time.time() < deadline:
            time.sleep(0.05)
    term.wait_for(marked, timeout=2)
