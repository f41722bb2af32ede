"""The stage gate through the real CLI: refused moves list what is missing (exit 3), fills, moves."""
from __future__ import annotations

import json

from conftest import run_cli


def cli(db, *args, **kw):
    return run_cli(*args, db_url=db, **kw)


def test_gate_through_the_cli(db_url):
    cli(db_url, "rep", "add", "ana", "--name", "Ana", "--team", "North")
    cli(db_url, "rep", "add", "mia", "--name", "Mia", "--role", "manager", "--team", "North")
    cli(db_url, "rep", "add", "sol", "--name", "Sol", "--team", "South")
    bad = cli(db_url, "client", "add", "--name", "X", "--email", "not-mail", "--as", "ana")
    assert bad.returncode == 2 and "E-mail" in bad.stderr
    none = cli(db_url, "client", "add", "--name", "No Contact", "--as", "ana")
    assert none.returncode == 2 and "e-mail or phone" in none.stderr
    client = json.loads(cli(db_url, "client", "add", "--name", "Club Norte", "--email", "info@clubnorte.es",
                            "--as", "ana", "--json").stdout)["id"]
    deal = json.loads(cli(db_url, "deal", "add", "--client", str(client), "--title", "40 balls", "--as", "ana",
                          "--json").stdout)["id"]
    refused = cli(db_url, "deal", "move", str(deal), "qualified", "--as", "ana", "--json")
    assert refused.returncode == 3
    body = json.loads(refused.stdout)
    assert body["moved"] is False
    assert [m["field"] for m in body["missing"]] == ["deal.need", "deal.budget", "deal.timeline",
                                                     "deal.decision_maker"]
    # skipping to proposal needs qualified's fields too
    skip = json.loads(cli(db_url, "deal", "move", str(deal), "proposal", "--as", "ana", "--json").stdout)
    assert "deal.need" in [m["field"] for m in skip["missing"]] and "deal.amount" in [m["field"] for m in skip["missing"]]
    ok = cli(db_url, "deal", "set", str(deal), "need=balls for the league", "budget=1800 EUR", "timeline=December",
             "decision_maker=Marta", "--as", "ana", "--version", "1")
    assert ok.returncode == 0, ok.stderr
    stale = cli(db_url, "deal", "set", str(deal), "need=something else", "--as", "ana", "--version", "1")
    assert stale.returncode == 6 and "need" in stale.stderr
    moved = json.loads(cli(db_url, "deal", "move", str(deal), "qualified", "--as", "ana", "--json").stdout)
    assert moved["moved"] is True and moved["stage"] == "qualified"
    shown = json.loads(cli(db_url, "deal", "show", str(deal), "--as", "ana", "--json").stdout)
    assert shown["stage"] == "qualified" and shown["need"] == "balls for the league"
    # signed agreement gate
    sig = json.loads(cli(db_url, "deal", "move", str(deal), "agreement_signed", "--as", "ana", "--json").stdout)
    assert "agreement.signed" in [m["field"] for m in sig["missing"]]
    # lost needs a reason from the list; moving back is allowed
    assert cli(db_url, "deal", "move", str(deal), "lost", "--as", "ana").returncode == 3
    assert cli(db_url, "deal", "set", str(deal), "lost_reason=cheaper", "--as", "ana").returncode == 2
    assert cli(db_url, "deal", "set", str(deal), "lost_reason=price", "--as", "ana").returncode == 0
    assert cli(db_url, "deal", "move", str(deal), "lost", "--as", "ana").returncode == 0
    assert cli(db_url, "deal", "move", str(deal), "new", "--as", "ana").returncode == 0
    # roles: another team's rep cannot see it; reps cannot edit rules; managers can
    assert cli(db_url, "deal", "show", str(deal), "--as", "sol").returncode == 4
    assert cli(db_url, "stage", "require", "new", "client.phone", "--as", "ana").returncode == 5
    assert cli(db_url, "stage", "require", "new", "client.shoe_size", "--as", "mia").returncode == 2
    assert cli(db_url, "stage", "require", "negotiation", "client.phone", "--label", "Phone", "--as",
               "mia").returncode == 0
    stages = json.loads(cli(db_url, "stage", "list", "--json").stdout)
    assert "client.phone" in next(s for s in stages if s["key"] == "negotiation")["requires"]
    audit = json.loads(cli(db_url, "audit", "--record", f"deal:{deal}", "--as", "mia", "--json").stdout)
    assert [a["new"] for a in audit if a["action"] == "move"][::-1] == ["qualified", "lost", "new"]


def test_every_stage_refuses_until_its_requirements_hold(team, now, catalog):
    """Walk one deal New -> Won: each stage refuses with exactly its own missing fields (and those of the
    stages it would pass over), then accepts once they are filled. Issue 11: from the agreement on, the
    deal follows its papers and money by itself (signed -> Agreement signed, invoiced -> Invoiced, an
    approved plan -> Paid, order shipped -> Shipped, delivered -> Won); Paid means paid in full or an
    approved plan; Won asks what Shipped asks."""
    import pytest

    from models.clients import add_client
    from models.errors import StageGateError
    from models.flow import move_deal
    from models.orders import create_order, deliver_order, ship_order
    from models.payments import approve_plan, issue_invoice, sign_agreement, upsert_agreement
    from models.pipeline import add_deal, add_line, update_deal

    ana = team["ana"]

    def refused(stage):
        with pytest.raises(StageGateError) as exc:
            move_deal(ana, deal.id, stage, now)
        assert stage_of(deal) == before
        return [m["field"] for m in exc.value.missing]

    from models.tables import Deal

    def stage_of(d):
        return Deal.get_by_id(d.id).stage.key

    c = add_client(ana, now, name="Club", email="club@example.com")
    deal = add_deal(ana, c.id, "balls", now)
    before = "new"
    assert refused("qualified") == ["deal.need", "deal.budget", "deal.timeline", "deal.decision_maker"]
    assert refused("won")[:4] == ["deal.need", "deal.budget", "deal.timeline", "deal.decision_maker"]
    update_deal(ana, deal.id, dict(need="balls", budget="2000", timeline="May", decision_maker="Marta"), now)
    before = move_deal(ana, deal.id, "qualified", now).stage.key
    assert refused("proposal") == ["deal.products", "deal.amount", "deal.expected_close"]  # client has an e-mail
    add_line(ana, deal.id, "BALL-PRO5", 40, now)  # lines make the products and the amount
    assert refused("proposal") == ["deal.expected_close"]
    update_deal(ana, deal.id, dict(expected_close="2026-12-15"), now)
    before = move_deal(ana, deal.id, "proposal", now).stage.key
    before = move_deal(ana, deal.id, "negotiation", now).stage.key  # negotiation needs nothing more
    assert refused("agreement_signed") == ["agreement.provides", "agreement.receives", "agreement.signed"]
    upsert_agreement(ana, deal.id, "40 balls delivered to the club", "1596.00 EUR within 30 days", now)
    assert refused("agreement_signed") == ["agreement.signed"]
    sign_agreement(ana, deal.id, now, signed_by="Marta")
    before = stage_of(deal)
    assert before == "agreement_signed"  # by itself
    assert refused("invoiced") == ["invoice.issued"]
    inv = issue_invoice(ana, deal.id, now, installments=3, every_days=30)  # a rep's plan waits
    before = stage_of(deal)
    assert before == "invoiced"  # by itself
    assert refused("paid") == ["payment.full_or_plan"]
    assert refused("shipped") == ["payment.full_or_plan", "order.shipped"]  # skipping paid: its money too
    approve_plan(team["mia"], inv.id, now)
    before = stage_of(deal)
    assert before == "paid"  # an approved plan is what Paid means
    assert refused("shipped") == ["order.shipped"]
    assert refused("won") == ["order.shipped", "order.delivered"]  # Won asks what Shipped asks
    o = create_order(ana, deal.id, now, address="1 Pitch Lane, Leeds")
    assert stage_of(deal) == "paid"
    ship_order(ana, o.id, now)
    before = stage_of(deal)
    assert before == "shipped"
    deliver_order(ana, o.id, now)
    assert stage_of(deal) == "won"
    lost = add_deal(ana, c.id, "goals", now)
    deal, before = lost, "new"
    assert refused("lost") == ["deal.lost_reason"]
    update_deal(ana, lost.id, dict(lost_reason="price"), now)
    assert move_deal(ana, lost.id, "lost", now).stage.key == "lost"


def test_lose_deal_is_one_step(team, now):
    import pytest

    from models.clients import add_client
    from models.errors import ValidationError
    from models.flow import lose_deal
    from models.pipeline import add_deal, move_deal
    from models.tables import Deal

    c = add_client(team["ana"], now, name="Club", email="club@example.com")
    d = add_deal(team["ana"], c.id, "balls", now)
    with pytest.raises(ValidationError):
        lose_deal(team["ana"], d.id, "moon phase", now)
    assert (Deal.get_by_id(d.id).stage.key, Deal.get_by_id(d.id).lost_reason) == ("new", None)
    with pytest.raises(ValidationError, match="reason") as exc:  # issue 11: lost only with a reason, via flow
        move_deal(team["ana"], d.id, "lost", now)
    assert exc.value.field == "lost_reason"
    lost = lose_deal(team["ana"], d.id, "price", now)
    assert (lost.stage.key, lost.lost_reason) == ("lost", "price")
