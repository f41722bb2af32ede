"""Orders to the warehouse: refused without a signed agreement or without the money (paid in full or an
approved plan), on both engines; shipment checks again; forwarded -> shipped -> delivered; the export
has what the warehouse needs, role-scoped and safe for spreadsheets and terminals."""
from __future__ import annotations

import csv
import io
import json
import multiprocessing as mp
from datetime import timedelta

import pytest

from models import ledger
from models.audit import history
from models.errors import NothingToDo, PermissionDenied, ValidationError
from models.orders import (ShipmentBlocked, create_order, deliver_order, export_orders, order_dict,
                           ship_order)
from models.payments import (add_note, approve_plan, cancel_invoice, issue_invoice, record_payment, sign_agreement,
                             upsert_agreement)
from models.tables import Client, Deal, DealLine, Order, Product, Stage


def make_deal(owner, now, amount=100000, title="Balls", name="Club", address="1 Pitch Lane", line=True):
    """A deal in New; with LINE (issue 11: an order takes its lines from the deal) one line making AMOUNT."""
    c = Client.create(name=name, email="c@example.com", address=address, city="Leeds", country="GB", owner=owner,
                      team=owner.team_id, created_at=now, updated_at=now)
    d = Deal.create(client=c, owner=owner, team=owner.team_id, title=title, stage=Stage.get(Stage.key == "new"),
                    amount_minor=amount, currency="EUR", stage_changed_at=now, created_at=now, updated_at=now)
    if line:
        p = Product.get_or_none(Product.sku == "TEST-BALL") or Product.create(
            sku="TEST-BALL", name="Test ball", category="balls", price_minor=1000, currency="EUR")
        DealLine.create(deal=d, product=p, description=p.name, quantity=amount // 1000 or 1, unit_price_minor=1000,
                        currency="EUR")
    return d


def signed(rep, deal, now):
    upsert_agreement(rep, deal.id, "100 balls", "1,000.00 EUR", now)
    sign_agreement(rep, deal.id, now)


def test_refused_without_agreement_or_money(team, now):
    ana = team["ana"]
    d = make_deal(ana, now)
    with pytest.raises(ShipmentBlocked, match="no signed agreement; not paid") as err:
        create_order(ana, d.id, now)
    assert err.value.reasons == ["no signed agreement", "not paid"]
    inv = issue_invoice(ana, d.id, now)
    upsert_agreement(ana, d.id, "100 balls", "1,000.00 EUR", now)  # a draft is not enough
    with pytest.raises(ShipmentBlocked, match="no signed agreement"):
        create_order(ana, d.id, now)
    sign_agreement(ana, d.id, now)
    with pytest.raises(ShipmentBlocked, match=r"^Deal \d+ cannot go to the warehouse: not paid\.$"):
        create_order(ana, d.id, now)
    record_payment(ana, inv.id, 99999, now)  # one cent short
    with pytest.raises(ShipmentBlocked, match="not paid"):
        create_order(ana, d.id, now)
    record_payment(ana, inv.id, 1, now)
    o = create_order(ana, d.id, now)
    assert o.status == "forwarded" and Order.select().count() == 1
    with pytest.raises(NothingToDo, match="already has order"):
        create_order(ana, d.id, now)


def test_paid_without_agreement_is_refused(team, now):
    ana = team["ana"]
    d = make_deal(ana, now)
    inv = issue_invoice(ana, d.id, now)
    record_payment(ana, inv.id, 100000, now)
    with pytest.raises(ShipmentBlocked) as err:
        create_order(ana, d.id, now)
    assert err.value.reasons == ["no signed agreement"]
    assert Order.select().count() == 0


def test_an_approved_plan_is_enough_a_proposed_one_is_not(team, now):
    ana = team["ana"]
    d = make_deal(ana, now)
    signed(ana, d, now)
    inv = issue_invoice(ana, d.id, now, installments=3)
    with pytest.raises(ShipmentBlocked) as err:
        create_order(ana, d.id, now)
    assert err.value.reasons == ["plan not approved"]
    approve_plan(team["mia"], inv.id, now)
    assert create_order(ana, d.id, now).status == "forwarded"


def test_shipment_checks_again_and_the_flow(team, now):
    ana = team["ana"]
    d = make_deal(ana, now)
    signed(ana, d, now)
    inv = issue_invoice(team["mia"], d.id, now, installments=2)  # approved at once
    o = create_order(ana, d.id, now)
    cancel_invoice(ana, inv.id, "client changed the order", now)  # the money side is gone
    with pytest.raises(ShipmentBlocked, match=r"Order \d+ cannot ship: not paid"):
        ship_order(ana, o.id, now)
    inv2 = issue_invoice(ana, d.id, now)
    record_payment(ana, inv2.id, 100000, now)
    with pytest.raises(ValidationError, match="forwarded, then shipped"):
        deliver_order(ana, o.id, now)
    assert ship_order(ana, o.id, now + timedelta(hours=1)).status == "shipped"
    with pytest.raises(NothingToDo):
        ship_order(ana, o.id, now)
    o = deliver_order(ana, o.id, now + timedelta(days=2))
    assert (o.status, o.shipped_at, o.delivered_at) == ("delivered", now + timedelta(hours=1), now + timedelta(days=2))
    assert [(h["action"], h["old"], h["new"]) for h in history("order", o.id) if h["field"] == "status"][::-1] == [
        ("create", None, "forwarded"), ("ship", "forwarded", "shipped"), ("deliver", "shipped", "delivered")]


def test_debit_after_payment_blocks_shipment(team, now):
    ana = team["ana"]
    d = make_deal(ana, now)
    signed(ana, d, now)
    inv = issue_invoice(ana, d.id, now)
    record_payment(ana, inv.id, 100000, now)
    o = create_order(ana, d.id, now)
    add_note(ana, inv.id, "debit", 1500, "express delivery", now)
    assert ledger.shipment_blockers(d.id) == ["not paid"]
    with pytest.raises(ShipmentBlocked):
        ship_order(ana, o.id, now)
    record_payment(ana, inv.id, 1500, now)
    assert ship_order(ana, o.id, now).status == "shipped"


def test_roles(team, now):
    sol = team["sol"]
    d = make_deal(sol, now)
    signed(sol, d, now)
    inv = issue_invoice(sol, d.id, now)
    record_payment(sol, inv.id, 100000, now)
    with pytest.raises(PermissionDenied):
        create_order(team["ana"], d.id, now)
    o = create_order(sol, d.id, now)
    for who in ("ana", "mia"):
        with pytest.raises(PermissionDenied):
            ship_order(team[who], o.id, now)
    assert ship_order(team["dan"], o.id, now).status == "shipped"
    assert json.loads(export_orders(team["ana"], "json")) == []
    assert len(json.loads(export_orders(team["dan"], "json"))) == 1


def test_lines_and_export(team, now, catalog):
    ana = team["ana"]
    p1, p2 = list(Product.select().order_by(Product.id).limit(2))
    d = make_deal(ana, now, name="=HYPERLINK(\"http://evil\")", address="2 Goal St\x1b]0;pwned\x07", line=False)
    DealLine.create(deal=d, product=p1, description=p1.name, quantity=3, unit_price_minor=1000, currency="EUR")
    DealLine.create(deal=d, product=p2, description="Nets\u202egnp.exe", quantity=1, unit_price_minor=500,
                    currency="EUR")
    d2 = make_deal(ana, now, title="Training day", name="Plain Club", line=False)
    for deal in (d, d2):
        signed(ana, deal, now)
        inv = issue_invoice(ana, deal.id, now)
        record_payment(ana, inv.id, inv.amount_minor, now)
    o1 = create_order(ana, d.id, now)
    # issue 11: an order takes its lines from the deal; a deal without lines has nothing for the warehouse
    with pytest.raises(ValidationError, match="no lines") as err:
        create_order(ana, d2.id, now)
    assert err.value.field == "lines"
    DealLine.create(deal=d2, product=p1, description="Training day", quantity=1, unit_price_minor=0, currency="EUR")
    o2 = create_order(ana, d2.id, now)
    assert [x["sku"] for x in order_dict(o1)["lines"]] == [p1.sku, p2.sku]
    assert order_dict(o2)["lines"] == [dict(sku=p1.sku, description="Training day", quantity=1)]
    assert order_dict(o2)["address"] == "1 Pitch Lane, Leeds, GB"
    rows = list(csv.DictReader(io.StringIO(export_orders(ana, "csv"))))
    assert [(r["order_id"], r["sku"], r["quantity"]) for r in rows] == [
        (str(o1.id), p1.sku, "3"), (str(o1.id), p2.sku, "1"), (str(o2.id), p1.sku, "1")]
    assert rows[0]["client"].startswith("'=HYPERLINK")  # no formula for the spreadsheet
    assert "\x1b" not in rows[0]["address"] and "\u202e" not in rows[1]["description"]
    assert rows[2]["client"] == "Plain Club" and rows[2]["status"] == "forwarded" and rows[2]["deal"] == "Training day"
    data = json.loads(export_orders(ana, "json"))
    assert [o["id"] for o in data] == [o1.id, o2.id] and data[0]["lines"][0]["quantity"] == 3
    assert "\x1b" not in data[0]["address"] and data[1]["client"] == "Plain Club"
    with pytest.raises(ValidationError):
        export_orders(ana, "xml")
    ship_order(ana, o2.id, now)
    assert [o["id"] for o in json.loads(export_orders(ana, "json", status="shipped"))] == [o2.id]


def _orderer(url, deal_id, q):
    from datetime import datetime

    from models.db import open_database
    from models.errors import DomainError
    from models.orders import create_order
    from models.reps import get_rep

    open_database(url)
    try:
        create_order(get_rep("ana"), deal_id, datetime(2026, 11, 20, 10))
        q.put("ok")
    except DomainError as exc:
        q.put(type(exc).__name__)


def test_concurrent_orders_make_one(db, team, now):
    d = make_deal(team["ana"], now)
    signed(team["ana"], d, now)
    inv = issue_invoice(team["ana"], d.id, now)
    record_payment(team["ana"], inv.id, 100000, now)
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_orderer, args=(db, d.id, q)) for _ in range(4)]
    for p in procs:
        p.start()
    results = sorted(q.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    assert results == ["NothingToDo"] * 3 + ["ok"] and Order.select().count() == 1
