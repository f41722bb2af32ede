"""Reports: the funnel counts each step and its conversion; a rep sees only their own numbers."""
from __future__ import annotations

from datetime import timedelta

from models import inbox, reports
from models.tables import Client, Deal, Stage


def _deal(owner, stage, now, lost_reason=None):
    c = Client.create(name="C", owner=owner, team=owner.team_id, created_at=now, updated_at=now)
    return Deal.create(client=c, owner=owner, team=owner.team_id, title="t", stage=Stage.get(Stage.key == stage),
                       lost_reason=lost_reason, stage_changed_at=now, created_at=now, updated_at=now)


def test_funnel_and_lost_reasons(team, catalog, now):
    for i in range(4):
        a = inbox.add_application("t", dict(channel="email", email=f"f{i}@example.com", text="need 10 BALL-PRO5",
                                             received_at=now - timedelta(hours=1)), now)
        if i < 2:
            inbox.contact(team["ana"], a, "call", now)
    _deal(team["ana"], "proposal", now)
    _deal(team["ana"], "paid", now)
    _deal(team["ana"], "lost", now, lost_reason="price")
    _deal(team["sol"], "paid", now)
    period = (now - timedelta(days=1), now + timedelta(minutes=1))
    steps = {s["step"]: s for s in reports.funnel(team["dan"], *period)}
    assert steps["Applications"]["count"] == 4 and steps["Contacted"]["count"] == 2
    assert steps["Contacted"]["conversion"] == 50.0
    assert steps["Deals"]["count"] == 4 and steps["Proposal"]["count"] == 3 and steps["Paid"]["count"] == 2
    mine = {s["step"]: s for s in reports.funnel(team["ana"], *period)}
    assert mine["Deals"]["count"] == 3 and mine["Paid"]["count"] == 1  # sol's deal is not ana's to see
    assert reports.lost_reasons(team["dan"], *period) == [{"reason": "price", "count": 1}]
    assert reports.lost_reasons(team["sol"], *period) == []
    acts = {r["rep"]: r for r in reports.activity_by_rep(team["mia"], *period)}
    assert acts["ana"]["call"] == 2


def test_lost_clients_by_reason_scoped_and_in_the_cli(db_url):
    import json

    from conftest import run_cli

    def cli(*args):
        return run_cli(*args, db_url=db_url)

    cli("rep", "add", "ana", "--name", "Ana", "--team", "North")
    cli("rep", "add", "mia", "--name", "Mia", "--role", "manager", "--team", "North")
    cli("rep", "add", "sol", "--name", "Sol", "--team", "South")
    for who, name, reason in (("ana", "A", "price"), ("ana", "B", "price"), ("ana", "C", "competitor"),
                              ("sol", "S", "price")):
        cid = cli("client", "add", "--name", name, "--email", f"{name.lower()}@example.com", "--as", who).stdout.strip()
        assert cli("client", "lost", cid, reason, "--as", who).returncode == 0
    mine = json.loads(cli("report", "--json", "--as", "ana").stdout)["lost_clients"]
    assert mine == [{"reason": "price", "count": 2}, {"reason": "competitor", "count": 1}]
    assert json.loads(cli("report", "--json", "--as", "sol").stdout)["lost_clients"] == [{"reason": "price", "count": 1}]
    assert json.loads(cli("report", "--json", "--as", "mia").stdout)["lost_clients"][0]["count"] == 2
    text = cli("report", "--as", "ana").stdout
    assert "Lost clients" in text and "competitor" in text
    bad = cli("client", "lost", "1", "bored", "--as", "ana")
    assert bad.returncode == 2 and "competitor" in bad.stderr
