"""Issue 11 done means: one order end to end through the real CLI, on both engines. Intake -> convert ->
deal line add -> deal set -> qualified -> proposal -> agreement set + sign (Agreement signed by itself) ->
invoice add (Invoiced by itself) -> payment in full (Paid by itself) -> order create -> ship (Shipped) ->
deliver (Won), and the deal's audit trail names each automatic move's cause."""
from __future__ import annotations

import json

from conftest import SAMPLES, run_cli

ASK = "Hello, we need 40 BALL-PRO5 and 2 portable goals 7x5 for our club, delivery to Leeds by 5 December."


def test_one_order_end_to_end(db_url):
    def cli(*args, ok=True, **kw):
        res = run_cli(*args, db_url=db_url, **kw)
        if ok:
            assert res.returncode == 0, (args, res.returncode, res.stderr)
        return res

    def js(*args):
        return json.loads(cli(*args, "--json").stdout)

    def stage():
        return js("deal", "show", str(deal), "--as", "ana")["stage"]

    cli("rep", "add", "ana", "--name", "Ana Alvarez", "--team", "North", "--timezone", "Europe/Madrid")
    cli("rep", "add", "mia", "--name", "Mia", "--role", "manager", "--team", "North")
    cli("import", "products", str(SAMPLES / "catalog.csv"))
    line = json.dumps(dict(channel="email", received_at="2026-11-20T08:00:00+00:00", name="Marta Ruiz",
                           email="marta@clubnorte.es", phone="+34 600 123 456", text=ASK))
    cli("intake", "-", input=line + "\n")
    app_id = js("inbox", "--as", "ana")[0]["id"]

    converted = js("convert", str(app_id), "--as", "ana")
    deal, client = converted["deal_id"], converted["client_id"]
    assert converted["created_client"] and converted["lines"] == 2
    assert js("show", str(app_id), "--as", "ana")["status"] == "converted"

    # no way around the gate: New -> Won names the first stage's missing fields (exit 3)
    won = cli("deal", "move", str(deal), "won", "--as", "ana", "--json", ok=False)
    assert won.returncode == 3
    assert [m["field"] for m in json.loads(won.stdout)["missing"]][:4] == [  # the rep qualifies the need
        "deal.need", "deal.budget", "deal.timeline", "deal.decision_maker"]
    assert "deal.budget" in won.stderr and "order.delivered" in won.stderr and stage() == "new"

    added = js("deal", "line", "add", str(deal), "BALL-FUT", "10", "--as", "ana")
    assert added["deal_amount_minor"] == 40 * 3990 + 2 * 18900 + 10 * 2490
    cli("deal", "set", str(deal), "need=kit for the club's season", "budget=2,400 EUR", "timeline=before 5 December",
        "decision_maker=Marta Ruiz", "expected_close=2026-12-04", "--as", "ana")
    assert js("deal", "move", str(deal), "qualified", "--as", "ana")["stage"] == "qualified"
    assert js("deal", "move", str(deal), "proposal", "--as", "ana")["stage"] == "proposal"
    cli("agreement", "set", "--deal", str(deal), "--provides", "40 balls, 2 goals, 10 futsal balls",
        "--receives", "2,223.00 EUR within 3 days", "--as", "ana")
    cli("agreement", "send", "--deal", str(deal), "--as", "ana")
    cli("agreement", "sign", "--deal", str(deal), "--by", "Marta Ruiz", "--as", "ana")
    assert stage() == "agreement_signed"
    invoice = js("invoice", "add", "--deal", str(deal), "--as", "ana")["id"]
    assert stage() == "invoiced"
    balance = js("invoice", "show", str(invoice), "--as", "ana")["balance"]
    assert balance == "2223.00"
    cli("payment", "add", "--invoice", str(invoice), "--amount", balance, "--as", "ana")
    assert stage() == "paid"

    refused = cli("order", "create", "--deal", str(deal), "--as", "ana", ok=False)
    assert refused.returncode == 2 and "--address" in refused.stderr  # the new card has no address
    order = js("order", "create", "--deal", str(deal), "--address", "Campo Norte, Leeds", "--as", "ana")
    assert [x["sku"] for x in order["lines"]] == ["BALL-PRO5", "GOAL-7X5", "BALL-FUT"]
    assert stage() == "paid"
    assert js("order", "ship", str(order["id"]), "--as", "ana")["deal_stage"] == "shipped"
    assert js("order", "deliver", str(order["id"]), "--as", "ana")["deal_stage"] == "won"
    assert stage() == "won"

    trail = js("audit", "--record", f"deal:{deal}", "--as", "ana", "--limit", "500")[::-1]
    moves = [(r["action"], r["new"], r["cause"]) for r in trail if r["field"] == "stage"]
    assert [m[:2] for m in moves] == [("move", "qualified"), ("move", "proposal"), ("follow", "agreement_signed"),
                                      ("follow", "invoiced"), ("follow", "paid"), ("follow", "shipped"),
                                      ("follow", "won")]
    causes = [c for a, _, c in moves if a == "follow"]
    assert "agreement signed" in causes[0] and "Marta Ruiz" in causes[0]
    assert "invoice" in causes[1] and "issued" in causes[1]
    assert "paid" in causes[2]
    assert causes[3:] == [f"order {order['id']} shipped", f"order {order['id']} delivered"]
    text = cli("audit", "--record", f"deal:{deal}", "--as", "ana", "--limit", "500").stdout
    assert "CAUSE" in text.splitlines()[0] and f"order {order['id']} delivered" in text
    assert js("client", "show", str(client), "--as", "ana")["segment"] == "hot"  # paid: a purchase
