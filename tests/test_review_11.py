"""Ways around the rules that a review of issue 11 found, each closed and pinned (both engines)."""
from __future__ import annotations

import pytest

from models.errors import StageGateError, ValidationError
from models.flow import lose_deal, move_deal
from models.orders import cancel_order, create_order
from models.payments import add_note, issue_invoice, record_payment, sign_agreement, upsert_agreement
from models.pipeline import add_deal, add_line
from models.settings import put
from models.tables import Note, Order


def _ready_deal(team, now, catalog_sku="BALL-PRO5"):
    from models.clients import add_client

    ana = team["ana"]
    c = add_client(ana, now, name="Club Norte", email="pagos@clubnorte.es", address="Calle Mayor 1, Valencia")
    d = add_deal(ana, c.id, "Balls", now)
    add_line(ana, d.id, catalog_sku, 10, now)
    return d


def test_a_rep_cannot_discount_by_invoicing_less_than_the_deal(team, catalog, now):
    d = _ready_deal(team, now)
    with pytest.raises(ValidationError, match="less than the deal"):
        issue_invoice(team["ana"], d.id, now, amount_minor=1)
    inv = issue_invoice(team["mia"], d.id, now, amount_minor=1)  # a manager may
    assert inv.amount_minor == 1


def test_a_reps_small_credit_notes_add_up_against_the_limit(team, catalog, now):
    put("mia", "credit.rep_limit", 1000, now=now)  # 10.00 without a manager, in all
    d = _ready_deal(team, now)
    inv = issue_invoice(team["ana"], d.id, now)
    statuses = [add_note(team["ana"], inv.id, "credit", 600, "goodwill", now).status for _ in range(3)]
    assert statuses == ["approved", "proposed", "proposed"]  # 6.00 fits; 12.00 would not
    assert Note.select().where((Note.invoice == inv.id) & (Note.status == "approved")).count() == 1


def test_reopening_a_lost_deal_checks_every_open_stage(team, now):
    from models.clients import add_client

    c = add_client(team["ana"], now, name="Club", email="c@example.com")
    d = add_deal(team["ana"], c.id, "Empty", now)
    lose_deal(team["ana"], d.id, "price", now)
    with pytest.raises(StageGateError) as exc:
        move_deal(team["ana"], d.id, "negotiation", now)
    assert {m["stage"] for m in exc.value.missing} >= {"qualified", "proposal"}


def test_a_cancelled_order_can_go_out_again(team, catalog, now):
    d = _ready_deal(team, now)
    ana = team["ana"]
    upsert_agreement(ana, d.id, "10 balls", "the price", now)
    sign_agreement(ana, d.id, now, signed_by="Marta")
    inv = issue_invoice(ana, d.id, now)
    record_payment(ana, inv.id, inv.amount_minor, now)
    first = create_order(ana, d.id, now, address="Wrong street 1")
    cancel_order(ana, first.id, "wrong address", now)
    again = create_order(ana, d.id, now, address="Calle Mayor 1, Valencia")
    assert again.id == first.id and again.status == "forwarded" and again.address == "Calle Mayor 1, Valencia"
    assert Order.get_by_id(first.id).cancelled_at is None and len(list(again.lines)) == 1
