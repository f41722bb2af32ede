"""models.usecases.payments: the Payments screen's data as plain frozen rows, per section and role scope,
and the invoice and deal views; read in a fixed number of queries however many rows there are."""
from __future__ import annotations

from datetime import timedelta

import pytest

from models.clients import add_client
from models.payments import add_note, issue_invoice, record_payment
from models.pipeline import add_deal
from models.tables import Client, Installment, InstallmentPlan, Reminder
from models.usecases.payments import (READY, CurrencyTotals, deal_detail, invoice_detail, payments_overview)


@pytest.fixture
def books(team, now):
    """As in test_tui_payments: ana has an overdue invoice with a failed card payment, a payment today on a
    second deal, a plan approved by mia (3 parts, the first due this week, its issue reminder in the
    outbox); ben (same team) and sol (South) one overdue invoice each."""
    from models.reminders import sweep_reminders

    ana, ben, sol, mia = team["ana"], team["ben"], team["sol"], team["mia"]
    ids = {}
    c1 = add_client(ana, now, name="Club Norte", email="pagos@clubnorte.es")
    d1 = add_deal(ana, c1.id, "40 match balls", now - timedelta(days=6), amount="500.00")
    ids["overdue"] = issue_invoice(ana, d1.id, now - timedelta(days=5)).id
    ids["failed"] = record_payment(ana, ids["overdue"], 50000, now - timedelta(hours=20), method="card",
                                   failed=True, reason="card declined").id
    c2 = add_client(ana, now, name="[bold]Evil[/bold] FC", phone="+34612345678")
    Client.update(name="[bold]Evil[/bold] \x1b]0;owned\x07FC").where(Client.id == c2.id).execute()
    d2 = add_deal(ana, c2.id, "Nets", now, amount="300.00")
    ids["today_invoice"] = issue_invoice(ana, d2.id, now - timedelta(hours=3)).id
    ids["today"] = record_payment(ana, ids["today_invoice"], 20000, now - timedelta(hours=1)).id
    c3 = add_client(ana, now, name="Academia Sur", email="info@academiasur.es")
    d3 = add_deal(ana, c3.id, "Training kit", now - timedelta(days=2), amount="900.00")
    ids["plan"] = issue_invoice(mia, d3.id, now - timedelta(days=1), installments=3, every_days=7).id
    ids["part1"] = Installment.select().join(InstallmentPlan).where(
        (InstallmentPlan.invoice == ids["plan"]) & (Installment.seq == 1)).get().id
    sweep_reminders(now)
    ids["reminder"] = Reminder.select().where(Reminder.invoice == ids["plan"]).get().id
    cb = add_client(ben, now, name="Ben's Club", email="ben@club.example")
    ids["ben_deal"] = add_deal(ben, cb.id, "Goals", now, amount="120.00").id
    ids["ben"] = issue_invoice(ben, ids["ben_deal"], now - timedelta(days=4)).id
    cs = add_client(sol, now, name="South FC", phone="+34612345679")
    ids["sol"] = issue_invoice(sol, add_deal(sol, cs.id, "Cones", now, amount="80.00").id,
                               now - timedelta(days=4)).id
    ids["deals"] = (d1.id, d2.id, d3.id)
    return ids


def test_overview_is_plain_and_holds_each_section(books, team, now, plain):
    data = payments_overview(team["ana"], now)
    plain(data)
    assert [(f.payment_id, f.reason, f.amount_minor, f.currency, f.client, f.owner) for f in data.failed] == \
        [(books["failed"], "card declined", 50000, "EUR", "Club Norte", "ana")]
    [late] = data.overdue
    assert (late.invoice_id, late.balance_minor, late.paid_minor, late.plan) == (books["overdue"], 50000, 0, None)
    assert late.due_at == now - timedelta(days=2)
    [part] = data.installments
    assert (part.installment_id, part.seq, part.parts, part.amount_minor) == (books["part1"], 1, 3, 30000)
    [rem] = data.reminders
    assert (rem.reminder_id, rem.kind, rem.channel, rem.recipient, rem.client) == \
        (books["reminder"], "issue", "email", "info@academiasur.es", "Academia Sur")
    [paid] = data.today
    assert (paid.payment_id, paid.amount_minor, paid.invoice_id) == (books["today"], 20000, books["today_invoice"])
    assert {s.deal_id for s in data.shipments} == set(books["deals"])
    assert all("no signed agreement" in s.why and not s.ready for s in data.shipments)
    assert data.totals == (CurrencyTotals("EUR", 150000, 50000, 20000),)


def test_a_rep_never_sees_another_reps_or_teams_invoice(books, team, now):
    ana = payments_overview(team["ana"], now)
    assert [o.invoice_id for o in ana.overdue] == [books["overdue"]]
    mia = payments_overview(team["mia"], now)
    assert {o.invoice_id for o in mia.overdue} == {books["overdue"], books["ben"]}
    sol = payments_overview(team["sol"], now)
    assert [o.invoice_id for o in sol.overdue] == [books["sol"]]
    assert (sol.failed, sol.installments, sol.reminders, sol.today) == ((), (), (), ())
    dan = payments_overview(team["dan"], now)
    assert {o.invoice_id for o in dan.overdue} == {books["overdue"], books["ben"], books["sol"]}


def test_overview_agrees_with_the_domain_lists(books, team, now):
    from models.payments import overview

    for login in ("ana", "mia", "sol", "dan"):
        actor = team[login]
        old, new = overview(actor, now), payments_overview(actor, now)
        assert [p.id for p in old["failed"]] == [f.payment_id for f in new.failed]
        assert [d["id"] for d in old["overdue"]] == [o.invoice_id for o in new.overdue]
        assert [i.id for i in old["installments"]] == [i.installment_id for i in new.installments]
        assert [p.id for p in old["today"]] == [p.payment_id for p in new.today]
        assert [(w["deal_id"], tuple(w["why"])) for w in old["waiting"]] == \
            [(s.deal_id, s.why) for s in new.shipments]
        assert {c: (v["open"], v["overdue"], v["today"]) for c, v in old["totals"].items()} == \
            {t.currency: (t.open_minor, t.overdue_minor, t.today_minor) for t in new.totals}


def test_a_ready_shipment_says_so(team, now):
    from models.payments import sign_agreement, upsert_agreement

    ana = team["ana"]
    c = add_client(ana, now, name="Club", email="c@club.example")
    d = add_deal(ana, c.id, "Balls", now, amount="10.00")
    record_payment(ana, issue_invoice(ana, d.id, now).id, 1000, now)
    upsert_agreement(ana, d.id, "balls", "money", now)
    sign_agreement(ana, d.id, now)
    [ship] = payments_overview(ana, now).shipments
    assert (ship.ready, ship.why, ship.agreement) == (True, (READY,), "signed")
    assert deal_detail(ana, d.id).shipment == (READY,)


def test_invoice_detail(books, team, now, plain):
    ana = team["ana"]
    add_note(ana, books["overdue"], "debit", 1500, "delivery", now)
    inv = invoice_detail(ana, books["overdue"], now)
    plain(inv)
    assert (inv.number.startswith("INV-2026-"), inv.status, inv.amount_minor, inv.debits_minor, inv.balance_minor) \
        == (True, "overdue", 50000, 1500, 51500)
    assert (inv.client, inv.owner, inv.owner_name, inv.deal_title) == ("Club Norte", "ana", "Ana Alvarez",
                                                                       "40 match balls")
    assert [(p.status, p.reason, p.method) for p in inv.payments] == [("failed", "card declined", "card")]
    assert [(n.kind, n.amount_minor, n.reason) for n in inv.notes] == [("debit", 1500, "delivery")]
    plan = invoice_detail(ana, books["plan"], now)
    assert (plan.plan, plan.plan_approved_by) == ("approved", "mia")
    assert [(p.seq, p.amount_minor, p.status) for p in plan.parts] == [(1, 30000, "due"), (2, 30000, "due"),
                                                                       (3, 30000, "due")]


def test_detail_refuses_what_the_role_does_not_allow(books, team, now):
    from models.errors import DomainError, NotFound

    with pytest.raises(DomainError):
        invoice_detail(team["sol"], books["overdue"], now)
    with pytest.raises(DomainError):
        deal_detail(team["ana"], books["ben_deal"])
    with pytest.raises(NotFound):
        invoice_detail(team["ana"], 999999, now)
    assert invoice_detail(team["mia"], books["ben"], now).owner == "ben"


def test_deal_detail(books, team, now, plain):
    from models.payments import upsert_agreement

    ana = team["ana"]
    deal = books["deals"][0]
    upsert_agreement(ana, deal, "40 balls", "500 EUR", now)
    d = deal_detail(ana, deal)
    plain(d)
    assert (d.title, d.client, d.owner, d.amount_minor, d.currency) == ("40 match balls", "Club Norte", "ana",
                                                                        50000, "EUR")
    assert d.stage and d.stage_key
    assert (d.agreement.status, d.agreement.provides, d.agreement.signed_at) == ("draft", "40 balls", None)
    assert d.shipment == ("no signed agreement", "not paid")


def test_overview_reads_in_a_fixed_number_of_queries(team, now):
    from models.engine import database

    ana = team["ana"]

    def count() -> int:
        n = 0

        def counting(*args, **kwargs):
            nonlocal n
            n += 1
            return real(*args, **kwargs)

        real_db = database.obj
        real = real_db.execute_sql
        real_db.execute_sql = counting
        try:
            payments_overview(ana, now)
        finally:
            del real_db.execute_sql
        return n

    def more(k: int) -> None:
        for i in range(k):
            c = add_client(ana, now, name=f"Club {i}", email=f"c{i}@club.example")
            inv = issue_invoice(ana, add_deal(ana, c.id, "Balls", now, amount="10.00").id, now - timedelta(days=4))
            record_payment(ana, inv.id, 100, now, failed=True, reason="declined")

    more(2)
    few = count()
    more(10)
    assert 0 < few == count()


def test_invoice_json_keeps_the_keys_the_cli_printed(books, team, now, plain):
    from models.payments import get_invoice, invoice_dict, list_invoices
    from models.usecases.payments import invoice_list
    from tui.commands.payments import invoice_json

    ana, mia = team["ana"], team["mia"]
    for invoice_id in (books["overdue"], books["plan"], books["today_invoice"]):
        detail = invoice_detail(mia, invoice_id, now)
        assert invoice_json(detail) == invoice_dict(get_invoice(mia, invoice_id), now)
    for actor in (ana, mia, team["sol"]):
        for overdue in (False, True):
            rows = invoice_list(actor, now, overdue=overdue)
            plain(rows)
            assert [invoice_json(r) for r in rows] == \
                [invoice_dict(i, now) for i in list_invoices(actor, now, overdue=overdue, limit=1000)]


def test_notes_waiting_and_refunds_due_are_read_in_a_fixed_number_of_queries(team, now, plain):
    """Issue 11: the overview carries, for a manager, the credit notes waiting for a decision, and the
    refunds due; more of them cost no more queries."""
    from models.engine import database

    ana, mia = team["ana"], team["mia"]

    def count() -> tuple[int, object]:
        n = 0
        real_db = database.obj
        real = real_db.execute_sql

        def counting(*args, **kwargs):
            nonlocal n
            n += 1
            return real(*args, **kwargs)

        real_db.execute_sql = counting
        try:
            data = payments_overview(mia, now)
        finally:
            del real_db.execute_sql
        return n, data

    def more(k: int) -> None:
        for i in range(k):
            c = add_client(ana, now, name=f"Club {i}", email=f"c{i}@club.example")
            inv = issue_invoice(ana, add_deal(ana, c.id, "Balls", now, amount="10.00").id, now)
            record_payment(ana, inv.id, 1000, now)
            add_note(mia, inv.id, "credit", 300, "returned", now)  # all paid: the credit is a refund due
            add_note(ana, inv.id, "credit", 100, "goodwill", now)  # waits for mia

    more(2)
    few, data = count()
    plain(data)
    assert [(n.amount_minor, n.created_by) for n in data.notes_waiting] == [(100, "ana")] * 2
    assert [(r.amount_minor, r.created_by) for r in data.refunds_due] == [(300, "mia")] * 2
    more(5)
    many, data = count()
    assert few == many and len(data.notes_waiting) == len(data.refunds_due) == 7
    assert payments_overview(ana, now).notes_waiting == () and len(payments_overview(ana, now).refunds_due) == 7
