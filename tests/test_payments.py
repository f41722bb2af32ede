"""Payments: balances never drift, installments add up, a failed payment opens one task,
shipment refused without agreement or money (both engines), and the CLI contract."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_cli
from models import ledger
from models.payments import (add_note, create_order, issue_invoice, record_payment, set_agreement, sign_agreement,
                             split_amount)
from models.errors import DomainError, PermissionDenied, ValidationError
from models.tables import Activity, Client, Deal, Stage


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=60))
def test_installments_add_up_exactly(total, parts):
    amounts = split_amount(total, parts)
    assert sum(amounts) == total and len(amounts) == parts and max(amounts) - min(amounts) <= 1


def _deal(owner, now, amount=100000):
    c = Client.create(name="Club", email="c@example.com", owner=owner, team=owner.team_id, created_at=now,
                      updated_at=now)
    return Deal.create(client=c, owner=owner, team=owner.team_id, title="Balls", stage=Stage.get(Stage.key == "new"),
                       amount_minor=amount, currency="EUR", stage_changed_at=now, created_at=now, updated_at=now)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.tuples(st.sampled_from(["pay", "credit", "debit"]), st.integers(min_value=1, max_value=5000)),
                    max_size=12))
def test_balance_never_drifts(team, now, ops):
    """Each example issues a fresh invoice in the same database; the balance follows every step exactly."""
    inv = issue_invoice(team["ana"], _deal(team["ana"], now).id, now, amount_minor=20000)
    expected = 20000
    for kind, amount in ops:
        if kind == "pay":
            if amount > expected:
                with pytest.raises(ValidationError):
                    record_payment(team["ana"], inv.id, amount, now)
                continue
            record_payment(team["ana"], inv.id, amount, now)
            expected -= amount
        elif kind == "credit":
            add_note(team["ana"], inv.id, "credit", amount, "goodwill", now)
            expected -= amount
        else:
            add_note(team["ana"], inv.id, "debit", amount, "delivery", now)
            expected += amount
        assert ledger.invoice_balance(inv) == expected


def test_failed_payment_opens_one_task_for_the_owner(team, now):
    inv = issue_invoice(team["mia"], _deal(team["ana"], now).id, now)
    with pytest.raises(ValidationError, match="reason"):
        record_payment(team["mia"], inv.id, 1000, now, failed=True)
    record_payment(team["mia"], inv.id, 1000, now, failed=True, reason="card declined")
    tasks = list(Activity.select().where(Activity.origin.startswith("failed-payment:")))
    assert len(tasks) == 1 and tasks[0].rep_id == team["ana"].id and "card declined" in tasks[0].subject
    assert ledger.invoice_balance(inv) == 100000


def test_shipment_needs_agreement_and_money(team, now):
    d = _deal(team["ana"], now)
    inv = issue_invoice(team["ana"], d.id, now)
    with pytest.raises(DomainError, match="no signed agreement.*not paid"):
        create_order(team["ana"], d.id, now)
    with pytest.raises(ValidationError):
        sign_agreement(team["ana"], d.id, now)
    set_agreement(team["ana"], d.id, "100 balls delivered", "1,000.00 EUR", now)
    sign_agreement(team["ana"], d.id, now)
    with pytest.raises(DomainError, match="not paid"):
        create_order(team["ana"], d.id, now)
    record_payment(team["ana"], inv.id, 100000, now)
    assert create_order(team["ana"], d.id, now).status == "forwarded"


def test_plan_needs_a_manager(team, now):
    from models.payments import approve_plan, invoice_dict

    d = _deal(team["ana"], now, amount=100001)
    inv = issue_invoice(team["ana"], d.id, now, installments=3, every_days=30)
    info = invoice_dict(inv, now)
    assert info["plan"] == "proposed" and [i["amount"] for i in info["installments"]] == ["333.34", "333.34", "333.33"]
    with pytest.raises(PermissionDenied):
        approve_plan(team["ana"], inv.id, now)
    approve_plan(team["mia"], inv.id, now)
    set_agreement(team["ana"], d.id, "kit", "money", now)
    sign_agreement(team["ana"], d.id, now)
    assert create_order(team["ana"], d.id, now)  # an approved plan lets it ship
    record_payment(team["ana"], inv.id, 33334, now + timedelta(days=1))
    assert [i["status"] for i in invoice_dict(inv, now)["installments"]] == ["paid", "due", "due"]


def test_payments_cli(db_url):
    def cli(*a, **k):
        return run_cli(*a, db_url=db_url, **k)

    cli("rep", "add", "ana", "--name", "Ana", "--team", "North")
    cli("rep", "add", "sol", "--name", "Sol", "--team", "South")
    client = json.loads(cli("client", "add", "--name", "Club", "--email", "c@example.com", "--as", "ana",
                            "--json").stdout)["id"]
    deal = json.loads(cli("deal", "add", "--client", str(client), "--title", "t", "--amount", "199.99", "--as", "ana",
                          "--json").stdout)["id"]
    inv = json.loads(cli("invoice", "add", "--deal", str(deal), "--as", "ana", "--json",
                         "--now", "2026-11-20T09:00:00").stdout)["id"]
    assert cli("payment", "add", "--invoice", str(inv), "--amount", "50.00", "--as", "ana").returncode == 0
    assert cli("note", "add", "--invoice", str(inv), "--credit", "--amount", "9.99", "--reason", "late",
               "--as", "ana").returncode == 0
    shown = json.loads(cli("invoice", "show", str(inv), "--json", "--as", "ana", "--now", "2026-11-20T10:00:00").stdout)
    assert shown["balance"] == "140.00" and shown["status"] == "partly_paid"
    assert shown["due_at"] == "2026-11-23T09:00:00+00:00"  # 72 hours by default
    assert cli("payment", "add", "--invoice", str(inv), "--amount", "1.005", "--as", "ana").returncode == 2
    assert cli("invoice", "show", str(inv), "--as", "sol").returncode == 5
    overdue = json.loads(cli("invoices", "--overdue", "--json", "--as", "ana", "--now", "2026-11-24T09:00:00").stdout)
    assert [r["id"] for r in overdue] == [inv]
    blocked = cli("order", "create", "--deal", str(deal), "--as", "ana")
    assert blocked.returncode == 1 and "no signed agreement" in blocked.stderr
    assert cli("payment", "add", "--invoice", str(inv), "--amount", "5", "--failed", "--reason", "declined",
               "--as", "ana").returncode == 0
    tasks = json.loads(cli("tasks", "--json", "--as", "ana").stdout)
    assert any("declined" in t["subject"] for t in tasks)
