"""Payments: balances never drift by a cent, installments add up exactly and are paid oldest first,
a failed payment opens one task for the owner, overpayment is refused (also by concurrent processes),
status is derived right, the Payments screen's lists are role-scoped. Both engines (the `db` fixture)."""
from __future__ import annotations

import multiprocessing as mp
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import ledger
from models.activities import create_task
from models.audit import history
from models.errors import DomainError, NothingToDo, NotFound, PermissionDenied, ValidationError
from models.payments import (add_note, approve_plan, cancel_invoice, failed_unfollowed, get_invoice,
                             installments_due, invoice_dict, issue_invoice, list_invoices, mark_followed_up,
                             overdue_invoices, overview, payments_today, record_payment, reject_plan, schedule,
                             send_agreement, shipments_waiting, sign_agreement, split_amount, totals_by_currency,
                             upsert_agreement)
from models.tables import Activity, Client, Deal, DealLine, Installment, Invoice, Stage

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def make_deal(owner, now, amount=100000, currency="EUR", email="c@example.com", name="Club"):
    c = Client.create(name=name, email=email, owner=owner, team=owner.team_id, created_at=now, updated_at=now)
    return Deal.create(client=c, owner=owner, team=owner.team_id, title="Balls", stage=Stage.get(Stage.key == "new"),
                       amount_minor=amount, currency=currency, stage_changed_at=now, created_at=now, updated_at=now)


# ---------------------------------------------------------------- pure arithmetic


@given(st.integers(min_value=0, max_value=10**14), st.integers(min_value=1, max_value=120))
def test_installments_add_up_exactly(total, parts):
    amounts = split_amount(total, parts)
    assert sum(amounts) == total and len(amounts) == parts
    assert max(amounts) - min(amounts) <= 1
    assert amounts == sorted(amounts, reverse=True)  # the remainder cents go to the first parts, deterministically


@given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=1, max_value=24),
       st.integers(min_value=1, max_value=90))
def test_schedule_dates_every_n_days(total, parts, every):
    start = datetime(2026, 1, 31, 12, 0)
    plan = schedule(total, parts, every, start)
    assert sum(a for a, _ in plan) == total
    assert [d for _, d in plan] == [start + timedelta(days=every * i) for i in range(1, parts + 1)]


# ---------------------------------------------------------------- balances


@FAST
@given(amount=st.integers(min_value=1, max_value=10**9),
       ops=st.lists(st.tuples(st.sampled_from(["pay", "fail", "credit", "debit"]),
                              st.integers(min_value=1, max_value=10**9)), max_size=12))
def test_balance_never_drifts(team, now, amount, ops):
    """balance == amount + debits - credits - payments + refunds, exactly, after every step; overpayment
    refused; a credit beyond what is owed plus what was paid refused, the part beyond what is owed a refund
    (issue 11: the balance never goes below zero; credits here are a manager's, approved at once)."""
    ana, mia = team["ana"], team["mia"]
    # any amount: a manager may invoice less than the deal (a rep's lower invoice is a discount: refused)
    inv = issue_invoice(mia, make_deal(ana, now).id, now, amount_minor=amount)
    paid = credits = debits = refunds = 0
    for kind, value in ops:
        expected = amount + debits - credits - paid + refunds
        if kind == "pay":
            if value > expected:
                with pytest.raises(ValidationError):
                    record_payment(ana, inv.id, value, now)
                continue
            record_payment(ana, inv.id, value, now)
            paid += value
        elif kind == "fail":
            record_payment(ana, inv.id, value, now, failed=True, reason="declined")
        elif kind == "credit":
            if value > expected + paid - refunds:
                with pytest.raises(ValidationError, match="more than invoice .* can take"):
                    add_note(mia, inv.id, "credit", value, "goodwill", now)
                continue
            add_note(mia, inv.id, "credit", value, "goodwill", now)
            credits += value
            refunds += max(0, value - expected)
        else:
            add_note(ana, inv.id, "debit", value, "delivery", now)
            debits += value
        t = ledger.invoice_totals(inv.id)
        assert (t["paid"], t["credits"], t["debits"], t["refunds"]) == (paid, credits, debits, refunds)
        assert t["balance"] == amount + debits - credits - paid + refunds >= 0
        fresh = Invoice.get_by_id(inv.id)
        assert fresh.status == ("paid" if t["balance"] <= 0 else ("partly_paid" if paid or credits else "open"))
    assert ledger.totals_for([inv])[inv.id] == ledger.invoice_totals(inv.id)


@FAST
@given(total=st.integers(min_value=1, max_value=10**7), parts=st.integers(min_value=1, max_value=12),
       pays=st.lists(st.integers(min_value=1, max_value=10**7), max_size=8))
def test_plan_parts_paid_oldest_first(team, now, total, parts, pays):
    mia = team["mia"]
    if parts > total:
        with pytest.raises(ValidationError):
            issue_invoice(mia, make_deal(team["ana"], now, amount=total).id, now, installments=parts)
        return
    inv = issue_invoice(mia, make_deal(team["ana"], now, amount=total).id, now, installments=parts, every_days=7)
    rows = ledger.installments_of(inv.id)
    assert sum(r.amount_minor for r in rows) == total and [r.seq for r in rows] == list(range(1, parts + 1))
    paid = 0
    for value in pays:
        if value > total - paid:
            with pytest.raises(ValidationError, match="overpayment|already paid"):
                record_payment(mia, inv.id, value, now)
            continue
        record_payment(mia, inv.id, value, now)
        paid += value
        rows = ledger.installments_of(inv.id)
        flags = [r.paid_at is not None for r in rows]
        assert flags == sorted(flags, reverse=True)  # a prefix is paid
        covered = sum(r.amount_minor for r in rows if r.paid_at is not None)
        assert covered <= paid
        nxt = [r for r in rows if r.paid_at is None]
        assert not nxt or covered + nxt[0].amount_minor > paid  # no part left unpaid that the money covers


def test_issue_defaults_and_refusals(team, now, catalog):
    from models.tables import Product

    ana = team["ana"]
    d = make_deal(ana, now, amount=None)
    with pytest.raises(ValidationError, match="no amount"):
        issue_invoice(ana, d.id, now)
    p = Product.select().first()
    DealLine.create(deal=d, product=p, description=p.name, quantity=3, unit_price_minor=1999, currency="EUR")
    inv = issue_invoice(ana, d.id, now)
    assert inv.amount_minor == 3 * 1999 and inv.due_at == now + timedelta(hours=72)
    assert inv.number == f"INV-2026-{inv.id:06d}"
    with pytest.raises(DomainError, match="already has invoice"):
        issue_invoice(ana, d.id, now)
    d2 = make_deal(ana, now)
    with pytest.raises(ValidationError, match="after the issue"):
        issue_invoice(ana, d2.id, now, due_at=now - timedelta(hours=1))
    with pytest.raises(ValidationError, match="days between parts need a number of installments"):
        issue_invoice(ana, d2.id, now, every_days=10)
    with pytest.raises(ValidationError):
        issue_invoice(ana, d2.id, now, installments=0)
    with pytest.raises(NotFound):
        issue_invoice(ana, 999999, now)
    assert [h["action"] for h in history("invoice", inv.id)] == ["issue"] * 5


def test_failed_payment_opens_exactly_one_task_for_the_owner(team, now):
    inv = issue_invoice(team["mia"], make_deal(team["ana"], now).id, now)
    with pytest.raises(ValidationError, match="reason"):
        record_payment(team["mia"], inv.id, 1000, now, failed=True)
    p = record_payment(team["mia"], inv.id, 1000, now, failed=True, reason="card declined")
    tasks = list(Activity.select().where(Activity.origin == f"failed-payment:{p.id}"))
    assert len(tasks) == 1 and tasks[0].rep_id == team["ana"].id and "card declined" in tasks[0].subject
    assert tasks[0].due_at == now and tasks[0].deal_id == inv.deal_id
    # the origin key keeps it one even if the task is asked for again
    assert create_task("system", team["ana"].id, "again", now, now=now, origin=f"failed-payment:{p.id}") is None
    assert Activity.select().where(Activity.origin.startswith("failed-payment:")).count() == 1
    assert ledger.invoice_balance(inv) == 100000 and p.status == "failed" and p.reason == "card declined"
    assert [x.id for x in failed_unfollowed(team["ana"])] == [p.id]
    assert failed_unfollowed(team["sol"]) == []
    mark_followed_up(team["ana"], p.id, now)
    assert failed_unfollowed(team["ana"]) == []
    assert Activity.get_by_id(tasks[0].id).done_at == now  # following up closes the task
    with pytest.raises(NothingToDo):
        mark_followed_up(team["ana"], p.id, now)


def test_overpayment_refused_with_the_balance(team, now):
    inv = issue_invoice(team["ana"], make_deal(team["ana"], now, amount=19999).id, now)
    record_payment(team["ana"], inv.id, 10000, now)
    with pytest.raises(ValidationError, match=r"more than the balance of 99\.99 EUR"):
        record_payment(team["ana"], inv.id, 10000, now)
    record_payment(team["ana"], inv.id, 9999, now)
    with pytest.raises(ValidationError, match="already paid"):
        record_payment(team["ana"], inv.id, 1, now)
    with pytest.raises(ValidationError):
        record_payment(team["ana"], inv.id, 0, now)
    assert invoice_dict(Invoice.get_by_id(inv.id), now)["status"] == "paid"
    client = Client.get_by_id(Deal.get_by_id(inv.deal_id).client_id)
    assert client.last_purchase_at == now


def test_notes_change_the_balance_and_are_audited(team, now):
    """A debit note counts at once; a rep's credit note (above credit.rep_limit, default 0) waits for a
    manager and counts once approved (issue 11)."""
    from models.payments import decide_note

    ana = team["ana"]
    inv = issue_invoice(ana, make_deal(ana, now, amount=10000).id, now)
    with pytest.raises(ValidationError, match="reason"):
        add_note(ana, inv.id, "credit", 100, " ", now)
    with pytest.raises(ValidationError):
        add_note(ana, inv.id, "refund", 100, "x", now)
    add_note(ana, inv.id, "debit", 1550, "delivery", now)
    waiting = add_note(ana, inv.id, "credit", 550, "scratched box", now)
    assert waiting.status == "proposed"
    assert invoice_dict(Invoice.get_by_id(inv.id), now)["balance"] == "115.50"
    decide_note(team["mia"], waiting.id, True, now)
    info = invoice_dict(Invoice.get_by_id(inv.id), now)
    assert (info["balance"], info["debits"], info["credits"]) == ("110.00", "15.50", "5.50")
    rows = [(h["action"], h["field"], h["old"], h["new"]) for h in history("invoice", inv.id)]
    assert ("update", "balance", "100.00 EUR", "115.50 EUR") in rows
    assert ("update", "balance", "115.50 EUR", "110.00 EUR") in rows
    assert ("approve_note", "note", "proposed", f"{waiting.id}: approved") in rows
    assert all(h["actor"] in ("ana", "mia") and h["at"].startswith("2026-11-20T09:00")
               for h in history("invoice", inv.id))
    with pytest.raises(ValidationError, match=r"at most 110\.00 EUR"):
        add_note(team["mia"], inv.id, "credit", 11001, "more than owed", now)
    add_note(team["mia"], inv.id, "credit", 11000, "returned in full", now)
    assert invoice_dict(Invoice.get_by_id(inv.id), now)["status"] == "paid"


def test_status_open_partly_paid_overdue_cancelled(team, now):
    ana = team["ana"]
    inv = issue_invoice(ana, make_deal(ana, now, amount=10000).id, now)
    status = lambda at: invoice_dict(Invoice.get_by_id(inv.id), at)["status"]  # noqa: E731
    assert status(now) == "open"
    assert status(now + timedelta(hours=73)) == "overdue"
    record_payment(ana, inv.id, 2500, now)
    assert status(now) == "partly_paid" and status(now + timedelta(days=4)) == "overdue"
    assert [i["id"] for i in overdue_invoices(ana, now + timedelta(days=4))] == [inv.id]
    assert overdue_invoices(ana, now) == [] and overdue_invoices(team["sol"], now + timedelta(days=4)) == []
    with pytest.raises(DomainError, match="has payments"):
        cancel_invoice(ana, inv.id, "wrong client", now)
    inv2 = issue_invoice(ana, make_deal(ana, now).id, now)
    cancel_invoice(ana, inv2.id, "wrong client", now)
    assert invoice_dict(Invoice.get_by_id(inv2.id), now + timedelta(days=9))["status"] == "cancelled"
    with pytest.raises(DomainError, match="cancelled"):
        record_payment(ana, inv2.id, 100, now)
    # a cancelled invoice frees the deal for a new one
    assert issue_invoice(ana, inv2.deal_id, now).id != inv2.id


def test_plan_approval_by_managers_only(team, now):
    ana, mia = team["ana"], team["mia"]
    d = make_deal(ana, now, amount=100001)
    inv = issue_invoice(ana, d.id, now, installments=3, every_days=30)
    info = invoice_dict(inv, now)
    assert info["plan"] == "proposed" and [i["amount"] for i in info["installments"]] == ["333.34", "333.34", "333.33"]
    assert [i["due_at"][:10] for i in info["installments"]] == ["2026-12-20", "2027-01-19", "2027-02-18"]
    assert inv.due_at == now + timedelta(hours=72)  # until a manager makes the exception
    with pytest.raises(PermissionDenied):
        approve_plan(ana, inv.id, now)
    with pytest.raises(PermissionDenied):
        approve_plan(team["sol"], inv.id, now)
    approve_plan(mia, inv.id, now + timedelta(hours=1))
    fresh = Invoice.get_by_id(inv.id)
    assert fresh.due_at == datetime(2027, 2, 18, 9, 0)  # the last part's date
    with pytest.raises(NothingToDo):
        approve_plan(mia, inv.id, now)
    assert invoice_dict(fresh, now + timedelta(days=10))["status"] == "open"
    assert invoice_dict(fresh, now + timedelta(days=31))["status"] == "overdue"  # part 1 late
    record_payment(ana, inv.id, 33334, now + timedelta(days=31))
    info = invoice_dict(Invoice.get_by_id(inv.id), now + timedelta(days=31))
    assert [i["status"] for i in info["installments"]] == ["paid", "due", "due"] and info["status"] == "partly_paid"
    assert [i["status"] for i in invoice_dict(fresh, now + timedelta(days=61))["installments"]] == \
        ["paid", "overdue", "due"]
    assert any(h["action"] == "approve_plan" and h["actor"] == "mia" for h in history("invoice", inv.id))


def test_manager_plan_is_approved_at_once_and_rejection(team, now):
    inv = issue_invoice(team["mia"], make_deal(team["ana"], now).id, now, installments=2, every_days=14)
    info = invoice_dict(inv, now)
    assert info["plan"] == "approved" and info["due_at"].startswith("2026-12-18")
    inv2 = issue_invoice(team["ana"], make_deal(team["ana"], now).id, now, installments=2)
    with pytest.raises(PermissionDenied):
        reject_plan(team["ana"], inv2.id, now)
    assert reject_plan(team["mia"], inv2.id, now).status == "rejected"
    assert ledger.shipment_blockers(inv2.deal_id) == ["no signed agreement", "not paid"]


def test_roles_rep_sees_own_manager_team_director_all(team, now):
    a = issue_invoice(team["ana"], make_deal(team["ana"], now).id, now)
    s = issue_invoice(team["sol"], make_deal(team["sol"], now).id, now)
    b = issue_invoice(team["ben"], make_deal(team["ben"], now).id, now)
    ids = lambda actor: {i.id for i in list_invoices(actor, now)}  # noqa: E731
    assert ids(team["ana"]) == {a.id}
    assert ids(team["sol"]) == {s.id}
    assert ids(team["mia"]) == {a.id, b.id}
    assert ids(team["dan"]) == {a.id, b.id, s.id}
    for op in (lambda: get_invoice(team["ana"], s.id),
               lambda: record_payment(team["ana"], s.id, 100, now),
               lambda: add_note(team["ana"], s.id, "credit", 100, "x", now),
               lambda: issue_invoice(team["ana"], s.deal_id, now),
               lambda: upsert_agreement(team["ana"], s.deal_id, "a", "b", now),
               lambda: get_invoice(team["mia"], s.id)):
        with pytest.raises(PermissionDenied):
            op()
    assert ledger.invoice_balance(s) == 100000


def test_agreement_draft_sent_signed(team, now):
    ana = team["ana"]
    d = make_deal(ana, now)
    with pytest.raises(ValidationError, match="no agreement terms"):
        sign_agreement(ana, d.id, now)
    with pytest.raises(ValidationError, match="provide"):
        upsert_agreement(ana, d.id, " ", "money", now)
    ag = upsert_agreement(ana, d.id, "100 balls", "1,000.00 EUR", now)
    assert ag.status == "draft"
    ag = upsert_agreement(ana, d.id, "120 balls", "1,000.00 EUR", now)
    assert ag.provides == "120 balls" and ag.version == 2
    assert send_agreement(ana, d.id, now).status == "sent"
    ag = sign_agreement(ana, d.id, now, signed_by="Carla Club")
    assert (ag.status, ag.signed_by, ag.signed_at) == ("signed", "Carla Club", now)
    with pytest.raises(DomainError, match="signed"):
        upsert_agreement(ana, d.id, "200 balls", "x", now)
    with pytest.raises(NothingToDo):
        sign_agreement(ana, d.id, now)
    rows = [(h["action"], h["field"], h["new"]) for h in history("agreement", ag.id)]
    assert ("update", "provides", "120 balls") in rows and ("sign", "signed_by", "Carla Club") in rows


def test_payments_screen_lists(team, now):
    ana, mia, sol = team["ana"], team["mia"], team["sol"]
    late = issue_invoice(ana, make_deal(ana, now - timedelta(days=5)).id, now - timedelta(days=5))
    plan = issue_invoice(mia, make_deal(ana, now).id, now - timedelta(days=25), installments=2, every_days=30)
    usd = issue_invoice(ana, make_deal(ana, now, amount=5000, currency="USD").id, now)
    other = issue_invoice(sol, make_deal(sol, now).id, now - timedelta(days=5))
    record_payment(ana, usd.id, 1000, now - timedelta(hours=1))
    record_payment(ana, usd.id, 500, now - timedelta(hours=8))  # 01:00 UTC: yesterday afternoon in Los Angeles
    record_payment(sol, other.id, 100, now)
    record_payment(ana, late.id, 700, now, failed=True, reason="insufficient funds")
    assert [i["id"] for i in overdue_invoices(ana, now)] == [late.id]
    parts = installments_due(ana, now)
    assert [(p.plan.invoice_id, p.seq) for p in parts] == [(plan.id, 1)]  # due in 5 days; part 2 in 35
    assert installments_due(sol, now) == []
    today = payments_today(ana, now, "UTC")
    assert [p.amount_minor for p in today] == [1000, 500]
    assert [p.amount_minor for p in payments_today(ana, now, "America/Los_Angeles")] == [1000]
    totals = totals_by_currency(ana, now, "UTC")
    assert totals["EUR"] == {"open": 200000, "overdue": 100000, "today": 0}
    assert totals["USD"] == {"open": 3500, "overdue": 0, "today": 1500}
    waiting = {w["deal_id"]: w["why"] for w in shipments_waiting(ana)}
    assert waiting[late.deal_id] == ["no signed agreement", "not paid"]
    assert other.deal_id not in waiting
    data = overview(ana, now)
    assert [p.reason for p in data["failed"]] == ["insufficient funds"]
    assert set(data) == {"failed", "overdue", "installments", "today", "waiting", "totals"}


def _payer(url, login, invoice_id, amount, q):
    from datetime import datetime

    from models.db import open_database
    from models.errors import DomainError
    from models.payments import record_payment
    from models.reps import get_rep

    open_database(url)
    try:
        record_payment(get_rep(login), invoice_id, amount, datetime(2026, 11, 20, 10))
        q.put("ok")
    except DomainError as exc:
        q.put(f"refused: {exc}")


def test_concurrent_payments_never_overpay(db, team, now):
    """Four processes each pay 60% of the balance at once: exactly one gets through, on both engines."""
    inv = issue_invoice(team["ana"], make_deal(team["ana"], now, amount=10000).id, now)
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_payer, args=(db, "ana", inv.id, 6000, q)) for _ in range(4)]
    for p in procs:
        p.start()
    results = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert results.count("ok") == 1, results
    assert all("more than the balance" in r for r in results if r != "ok")
    assert ledger.invoice_balance(inv.id) == 4000
