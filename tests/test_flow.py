"""Issue 11 in the domain, on both engines: gates with no way around (every stage passed over, Won
included, skippable stages excepted), deal lines making the amount, orders that need lines and an
address, stages that follow the papers, and losing a deal cancelling what has not shipped."""
from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from models import flow, ledger, pipeline
from models.audit import history
from models.clients import add_client
from models.errors import DomainError, NotFound, NothingToDo, PermissionDenied, StageGateError, ValidationError
from models.orders import cancel_order, create_order, deliver_order, export_orders, ship_order
from models.payments import approve_plan, issue_invoice, record_payment, sign_agreement, upsert_agreement
from models.tables import Deal, Invoice, Order


def stage(deal_id: int) -> str:
    return Deal.get_by_id(deal_id).stage.key


@pytest.fixture
def club(team, now):
    return add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es", address="1 Pitch Lane",
                      city="Leeds", country="GB")


def ready_deal(team, club, now, plan=False):
    """A deal with two lines, qualified, its agreement signed and its money in (paid, or a manager's plan)."""
    ana = team["ana"]
    d = pipeline.add_deal(ana, club.id, "balls", now)
    pipeline.add_line(ana, d.id, "BALL-PRO5", 10, now)
    pipeline.add_line(ana, d.id, "GOAL-7X5", 1, now)
    pipeline.update_deal(ana, d.id, dict(need="balls", budget="600", timeline="May", decision_maker="Marta",
                                         expected_close="2026-12-15"), now)
    for s in ("qualified", "proposal", "negotiation"):
        flow.move_deal(ana, d.id, s, now)
    upsert_agreement(ana, d.id, "10 balls and a goal", "588.00 EUR", now)
    sign_agreement(ana, d.id, now, signed_by="Marta")
    if plan:
        issue_invoice(team["mia"], d.id, now, installments=2)  # a manager's plan is approved at once
    else:
        inv = issue_invoice(ana, d.id, now)
        record_payment(ana, inv.id, inv.amount_minor, now)
    return Deal.get_by_id(d.id)


def test_won_on_a_new_deal_is_refused_naming_the_first_stages_fields(team, club, now):
    d = pipeline.add_deal(team["ana"], club.id, "balls", now)
    with pytest.raises(StageGateError) as exc:
        flow.move_deal(team["ana"], d.id, "won", now)
    fields = [m["field"] for m in exc.value.missing]
    assert fields[:4] == ["deal.need", "deal.budget", "deal.timeline", "deal.decision_maker"]
    assert {"agreement.signed", "invoice.issued", "payment.full_or_plan", "order.shipped", "order.delivered"} <= set(fields)
    assert exc.value.missing[0]["stage"] == "qualified" and "Won" in str(exc.value)
    assert stage(d.id) == "new"
    with pytest.raises(StageGateError):
        pipeline.move_deal(team["ana"], d.id, "won", now)  # the same gate on the lower floor


def test_a_skippable_stage_is_passed_over_without_its_requirements(team, club, now):
    ana, mia = team["ana"], team["mia"]
    d = pipeline.add_deal(ana, club.id, "balls", now, amount="100")
    pipeline.update_deal(ana, d.id, dict(products="10 balls", expected_close="2026-12-15"), now)
    with pytest.raises(StageGateError) as exc:
        flow.move_deal(ana, d.id, "proposal", now)
    assert [m["field"] for m in exc.value.missing] == ["deal.need", "deal.budget", "deal.timeline",
                                                       "deal.decision_maker"]
    with pytest.raises(PermissionDenied):
        pipeline.set_skippable(ana, "qualified", True, now)
    with pytest.raises(ValidationError):
        pipeline.set_skippable(mia, "won", True, now)
    assert pipeline.set_skippable(mia, "qualified", True, now).skippable
    assert [(h["field"], h["old"], h["new"]) for h in history("stage", pipeline.stage_by_key("qualified").id)] == [
        ("skippable", "False", "True")]
    with pytest.raises(StageGateError) as exc:  # entering the skippable stage itself still needs its fields
        flow.move_deal(ana, d.id, "qualified", now)
    assert flow.move_deal(ana, d.id, "proposal", now).stage.key == "proposal"
    pipeline.set_skippable(mia, "qualified", False, now)
    d2 = pipeline.add_deal(ana, club.id, "goals", now, amount="100")
    pipeline.update_deal(ana, d2.id, dict(products="a goal"), now)
    with pytest.raises(StageGateError):
        flow.move_deal(ana, d2.id, "proposal", now)


def test_lines_make_the_amount(team, club, now, catalog):
    ana = team["ana"]
    d = pipeline.add_deal(ana, club.id, "balls", now, amount="50")
    first = pipeline.add_line(ana, d.id, "BALL-PRO5", 10, now)  # 39.90 each
    assert Deal.get_by_id(d.id).amount_minor == 39900
    second = pipeline.add_line(ana, d.id, "ball-fut", 2, now, price_minor=2000)  # a price agreed with the client
    assert Deal.get_by_id(d.id).amount_minor == 43900
    assert [(x["sku"], x["quantity"], x["unit_price_minor"]) for x in pipeline.deal_lines(d.id)] == [
        ("BALL-PRO5", 10, 3990), ("BALL-FUT", 2, 2000)]
    with pytest.raises(ValidationError) as exc:
        pipeline.update_deal(ana, d.id, {"amount": "10"}, now)
    assert exc.value.field == "amount"
    pipeline.update_deal(ana, d.id, {"amount": "439.00", "need": "balls"}, now)  # the same amount is fine
    with pytest.raises(NotFound):
        pipeline.add_line(ana, d.id, "NO-SUCH", 1, now)
    with pytest.raises(ValidationError):
        pipeline.add_line(ana, d.id, "BALL-PRO5", 0, now)
    with pytest.raises(PermissionDenied):
        pipeline.add_line(team["sol"], d.id, "BALL-PRO5", 1, now)
    pipeline.remove_line(ana, d.id, first, now)
    assert Deal.get_by_id(d.id).amount_minor == 4000
    pipeline.remove_line(ana, d.id, second, now)
    assert Deal.get_by_id(d.id).amount_minor == 4000  # no lines: the stored amount stays
    with pytest.raises(NotFound):
        pipeline.remove_line(ana, d.id, second, now)
    rows = [(h["action"], h["field"]) for h in history("deal", d.id)][::-1]
    assert ("line_add", "line") in rows and ("line_remove", "line") in rows and ("update", "amount_minor") in rows
    pipeline.add_line(ana, d.id, "BALL-PRO5", 1, now)
    issue_invoice(ana, d.id, now)
    with pytest.raises(DomainError, match="invoiced"):
        pipeline.add_line(ana, d.id, "BALL-PRO5", 1, now)


def test_an_order_needs_lines_and_an_address(team, now, catalog):
    ana = team["ana"]
    nowhere = add_client(ana, now, name="No Address FC", email="no@address.example")
    d = pipeline.add_deal(ana, nowhere.id, "balls", now, amount="100")
    upsert_agreement(ana, d.id, "balls", "money", now)
    sign_agreement(ana, d.id, now)
    inv = issue_invoice(ana, d.id, now)
    record_payment(ana, inv.id, inv.amount_minor, now)
    with pytest.raises(ValidationError) as exc:
        create_order(ana, d.id, now)
    assert exc.value.field == "lines"
    Invoice.update(status="cancelled").where(Invoice.id == inv.id).execute()  # lines change only before invoicing
    pipeline.add_line(ana, d.id, "BALL-PRO5", 3, now)
    inv = issue_invoice(ana, d.id, now)
    record_payment(ana, inv.id, inv.amount_minor, now)
    with pytest.raises(ValidationError) as exc:
        create_order(ana, d.id, now)
    assert exc.value.field == "address" and "address" in str(exc.value)
    o = create_order(ana, d.id, now, address="Stadium gate 3, Bilbao")
    assert o.address == "Stadium gate 3, Bilbao" and [x.sku for x in o.lines] == ["BALL-PRO5"]


def test_stages_follow_the_order(team, club, now, catalog):
    ana = team["ana"]
    d = ready_deal(team, club, now)
    assert stage(d.id) == "paid"
    o = create_order(ana, d.id, now)
    assert o.address == "1 Pitch Lane, Leeds, GB"
    ship_order(ana, o.id, now + timedelta(hours=1))
    assert stage(d.id) == "shipped"
    deliver_order(ana, o.id, now + timedelta(days=1))
    assert stage(d.id) == "won"
    follows = [(h["old"], h["new"], h["cause"]) for h in history("deal", d.id) if h["action"] == "follow"][::-1]
    assert follows[-2:] == [("paid", "shipped", f"order {o.id} shipped"), ("shipped", "won", f"order {o.id} delivered")]
    assert pipeline.follow("ana", d.id, now, "again") is None  # never out of Won


def test_follow_never_moves_back_nor_past_a_gate(team, club, now, catalog):
    ana = team["ana"]
    d = pipeline.add_deal(ana, club.id, "balls", now)
    pipeline.add_line(ana, d.id, "BALL-PRO5", 1, now)
    upsert_agreement(ana, d.id, "a ball", "39.90 EUR", now)
    sign_agreement(ana, d.id, now)
    assert stage(d.id) == "new"  # signed, but Qualified's fields are empty: the gate holds it
    assert pipeline.follow("ana", d.id, now, "test") is None
    Deal.update(stage=pipeline.stage_by_key("shipped").id).where(Deal.id == d.id).execute()
    assert pipeline.follow("ana", d.id, now, "test") is None and stage(d.id) == "shipped"


def test_losing_cancels_the_unpaid_invoice_and_the_order_not_shipped(team, club, now, catalog):
    ana = team["ana"]
    d = ready_deal(team, club, now, plan=True)
    assert stage(d.id) == "paid"  # an approved plan
    o = create_order(ana, d.id, now)
    with pytest.raises(ValidationError):
        flow.lose_deal(ana, d.id, "moon phase", now)
    assert Order.get_by_id(o.id).status == "forwarded" and stage(d.id) == "paid"
    with pytest.raises(ValidationError, match="reason"):
        pipeline.move_deal(ana, d.id, "lost", now)
    lost = flow.lose_deal(ana, d.id, "competitor", now + timedelta(hours=2))
    assert (lost.stage.key, lost.lost_reason) == ("lost", "competitor")
    assert [i.status for i in Invoice.select().where(Invoice.deal == d.id)] == ["cancelled"]
    o = Order.get_by_id(o.id)
    assert (o.status, o.cancelled_at) == ("cancelled", now + timedelta(hours=2)) and "competitor" in o.cancel_reason
    rows = list(csv.DictReader(io.StringIO(export_orders(ana, "csv"))))
    assert {r["status"] for r in rows} == {"cancelled"} and rows[0]["cancelled_at"].startswith("2026-11-20T11:00")
    assert json.loads(export_orders(ana, "json", status="cancelled"))[0]["id"] == o.id
    with pytest.raises(DomainError, match="cancelled"):
        ship_order(ana, o.id, now)
    with pytest.raises(NothingToDo):
        flow.lose_deal(ana, d.id, "price", now)


def test_a_shipped_order_cannot_be_lost_only_credited(team, club, now, catalog):
    ana = team["ana"]
    d = ready_deal(team, club, now, plan=True)
    o = ship_order(ana, create_order(ana, d.id, now).id, now)
    with pytest.raises(DomainError, match="credit"):
        flow.lose_deal(ana, d.id, "quality", now)
    with pytest.raises(DomainError, match="credit"):
        cancel_order(ana, o.id, "client changed their mind", now)
    assert stage(d.id) == "shipped" and Order.get_by_id(o.id).status == "shipped"
    assert ledger.live_invoices(d.id)


def test_money_received_stops_the_loss(team, club, now, catalog):
    d = ready_deal(team, club, now)  # paid in full
    with pytest.raises(DomainError, match="credit note"):
        flow.lose_deal(team["ana"], d.id, "price", now)
    assert stage(d.id) == "paid"


def test_move_into_lost_through_the_flow_uses_the_deals_reason(team, club, now):
    ana = team["ana"]
    d = pipeline.add_deal(ana, club.id, "balls", now, amount="10")
    inv = issue_invoice(ana, d.id, now)
    with pytest.raises(StageGateError) as exc:
        flow.move_deal(ana, d.id, "lost", now)
    assert [m["field"] for m in exc.value.missing] == ["deal.lost_reason"]
    pipeline.update_deal(ana, d.id, {"lost_reason": "no_budget"}, now)
    assert flow.move_deal(ana, d.id, "lost", now).stage.key == "lost"
    assert Invoice.get_by_id(inv.id).status == "cancelled"


def test_pipeline_imports_neither_payments_nor_orders():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(pipeline))
    names = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert not names & {"payments", "orders", "flow"}, names
