"""Issue 11, money that adds up and the deal following its papers and money, on both engines:

- a rep's credit note (above credit.rep_limit, default 0) waits for a manager: the balance, the status and
  the warehouse gate stay as they were (an order stays refused) until a manager of the team approves it;
- a credit note is limited to what is still owed plus what was paid, the part beyond what is owed is a
  refund due (checked again at approval, under the invoice's lock: two approvals at once never take the
  balance below zero);
- `waiting_for_me` lists the plans and credit notes a manager decides; the Payments overview carries the
  notes waiting and the refunds due;
- signing, issuing, settling in full and approving a plan move the deal, audited with the cause.
"""
from __future__ import annotations

import multiprocessing as mp
from datetime import timedelta

import pytest

from models import ledger
from models.audit import history
from models.errors import DomainError, NothingToDo, PermissionDenied, ValidationError
from models.orders import ShipmentBlocked, create_order
from models.payments import (add_note, approve_plan, cancel_invoice, decide_note, issue_invoice, list_refunds,
                             mark_refund_paid, record_payment, sign_agreement, upsert_agreement)
from models.tables import Audit, Client, Deal, DealLine, Note, Product, Stage
from models.usecases.approvals import waiting_for_me
from models.usecases.payments import invoice_detail, payments_overview


def deal_for(owner, now, stage="negotiation", amount=100000, name="Club"):
    """A deal ready for the papers: qualified, with a line making AMOUNT, a client with e-mail and address,
    agreement terms set (not signed)."""
    c = Client.create(name=name, email="c@example.com", address="1 Pitch Lane", city="Leeds", owner=owner,
                      team=owner.team_id, created_at=now, updated_at=now)
    d = Deal.create(client=c, owner=owner, team=owner.team_id, title="Balls", stage=Stage.get(Stage.key == stage),
                    amount_minor=amount, currency="EUR", need="balls", budget="1000", timeline="May",
                    decision_maker="treasurer", stage_changed_at=now, created_at=now, updated_at=now)
    p = Product.get_or_none(Product.sku == "APPR-BALL") or Product.create(
        sku="APPR-BALL", name="Ball", category="balls", price_minor=1000, currency="EUR")
    DealLine.create(deal=d, product=p, description=p.name, quantity=1, unit_price_minor=amount, currency="EUR")
    upsert_agreement(owner, d.id, "balls", "money", now)
    return d


def stage_of(deal_id) -> str:
    return Deal.get_by_id(deal_id).stage.key


def causes(deal_id) -> list[tuple[str, str, str]]:
    return [(a.old, a.new, a.cause) for a in Audit.select().where((Audit.kind == "deal") & (Audit.record_id == deal_id)
                                                                   & (Audit.field == "stage")).order_by(Audit.id)]


def test_a_reps_credit_note_waits_and_the_order_stays_refused(team, now, plain):
    """Done means (issue 11): the balance is unchanged until a manager approves, and the order is refused
    meanwhile; approval settles the invoice, moves the deal to Paid and opens the warehouse."""
    ana, mia = team["ana"], team["mia"]
    d = deal_for(ana, now)
    sign_agreement(ana, d.id, now, signed_by="Carla Club")
    inv = issue_invoice(ana, d.id, now)
    record_payment(ana, inv.id, 90000, now)
    note = add_note(ana, inv.id, "credit", 10000, "two balls missing", now)
    assert (note.status, note.decided_by) == ("proposed", None)
    assert ledger.invoice_balance(inv.id) == 10000 and ledger.invoice_totals(inv.id)["credits"] == 0
    assert invoice_detail(ana, inv.id, now).status == "partly_paid"
    assert ledger.shipment_blockers(d.id) == ["not paid"]
    with pytest.raises(ShipmentBlocked, match="not paid"):
        create_order(ana, d.id, now)
    assert stage_of(d.id) == "invoiced"
    [line] = [n for n in invoice_detail(ana, inv.id, now).notes]
    assert (line.status, line.amount_minor) == ("proposed", 10000)
    # who may decide: a manager of the team or a director, not the rep, another rep or another team
    for who in ("ana", "ben", "sol"):
        with pytest.raises(PermissionDenied):
            decide_note(team[who], note.id, True, now)
    assert waiting_for_me(ana, now) == () and waiting_for_me(team["sol"], now) == ()
    [w] = waiting_for_me(mia, now)
    plain(w)
    assert (w.kind, w.id, w.invoice_id, w.amount_minor, w.what, w.asked_by, w.client) == \
        ("note", note.id, inv.id, 10000, "two balls missing", "ana", "Club")
    assert [x.id for x in waiting_for_me(team["dan"], now)] == [note.id]
    over = payments_overview(mia, now)
    plain(over)
    assert [(n.note_id, n.amount_minor, n.created_by) for n in over.notes_waiting] == [(note.id, 10000, "ana")]
    assert payments_overview(ana, now).notes_waiting == ()
    # approved: the balance settles, the deal follows its money, the order goes
    later = now + timedelta(hours=1)
    decided = decide_note(mia, note.id, True, later)
    assert (decided.status, decided.decided_by, decided.decided_at) == ("approved", "mia", later)
    assert ledger.invoice_balance(inv.id) == 0 and list_refunds(ana) == []
    assert stage_of(d.id) == "paid"
    assert causes(d.id)[-1] == ("invoiced", "paid", f"credit note {note.id} on {inv.number} approved")
    assert waiting_for_me(mia, now) == () and payments_overview(mia, now).notes_waiting == ()
    assert create_order(ana, d.id, later).status == "forwarded"
    assert [(h["action"], h["actor"], h["new"]) for h in history("note", note.id)][0] == ("approve", "mia", "approved")
    with pytest.raises(NothingToDo, match="already approved by mia"):
        decide_note(team["dan"], note.id, False, later)


def test_a_rejected_note_changes_nothing_and_debits_need_no_approval(team, now):
    ana, mia = team["ana"], team["mia"]
    inv = issue_invoice(ana, deal_for(ana, now).id, now)
    debit = add_note(ana, inv.id, "debit", 1500, "express delivery", now)
    assert debit.status == "approved" and ledger.invoice_balance(inv.id) == 101500
    note = add_note(ana, inv.id, "credit", 5000, "goodwill", now)
    assert decide_note(mia, note.id, False, now).status == "rejected"
    assert ledger.invoice_balance(inv.id) == 101500
    with pytest.raises(NothingToDo):
        decide_note(mia, note.id, True, now)
    assert any(h["action"] == "reject_note" for h in history("invoice", inv.id))
    # a manager's own credit note needs no approval
    assert add_note(mia, inv.id, "credit", 1500, "waived", now).status == "approved"
    assert ledger.invoice_balance(inv.id) == 100000


def test_the_rep_limit_setting(team, now):
    from models import settings

    ana = team["ana"]
    inv = issue_invoice(ana, deal_for(ana, now).id, now)
    settings.put("mia", "credit.rep_limit", 2000, now)
    assert add_note(ana, inv.id, "credit", 2000, "small", now).status == "approved"
    assert add_note(ana, inv.id, "credit", 2001, "larger", now).status == "proposed"
    assert ledger.invoice_balance(inv.id) == 98000
    with pytest.raises(ValidationError):
        settings.put("mia", "credit.rep_limit", -1, now)


def test_credit_is_limited_and_the_part_beyond_what_is_owed_is_a_refund(team, now):
    ana, mia = team["ana"], team["mia"]
    d = deal_for(ana, now, amount=92500)
    inv = issue_invoice(ana, d.id, now)
    record_payment(ana, inv.id, 50000, now)
    # the issue's example: a credit of 5,000 on a 925 invoice is refused, clearly
    with pytest.raises(ValidationError, match=r"credit note of 5000\.00 EUR is more than invoice") as err:
        add_note(mia, inv.id, "credit", 500000, "bad typing", now)
    assert "425.00 EUR still owed plus 500.00 EUR paid, at most 925.00 EUR" in str(err.value)
    assert err.value.field == "amount"
    with pytest.raises(ValidationError, match="at most 925.00 EUR"):
        add_note(ana, inv.id, "credit", 92501, "a rep is refused as clearly", now)
    n = add_note(mia, inv.id, "credit", 60000, "returned 20 balls", now)
    t = ledger.invoice_totals(inv.id)
    assert (t["balance"], t["credits"], t["refunds"]) == (0, 60000, 17500)
    [r] = list_refunds(ana)
    assert (r.amount_minor, r.status, r.note_id, r.created_by) == (17500, "due", n.id, "mia")
    [due] = payments_overview(ana, now).refunds_due
    assert (due.refund_id, due.amount_minor, due.note_id, due.client) == (r.id, 17500, n.id, "Club")
    assert payments_overview(team["sol"], now).refunds_due == ()
    assert [(x.amount_minor, x.status) for x in invoice_detail(ana, inv.id, now).refunds] == [(17500, "due")]
    # what is left to credit: nothing owed, 500 - 175 paid and kept
    with pytest.raises(ValidationError, match="at most 325.00 EUR"):
        add_note(mia, inv.id, "credit", 32501, "more", now)
    with pytest.raises(PermissionDenied):
        mark_refund_paid(team["sol"], r.id, now)
    assert mark_refund_paid(ana, r.id, now).status == "paid"
    with pytest.raises(NothingToDo):
        mark_refund_paid(ana, r.id, now)
    assert list_refunds(ana) == [] and [x.id for x in list_refunds(ana, None)] == [r.id]
    assert ledger.invoice_balance(inv.id) == 0  # paying the refund out changes no balance
    # everything paid returned: the invoice can then be cancelled
    with pytest.raises(DomainError, match="has payments"):
        cancel_invoice(ana, inv.id, "order withdrawn", now)
    add_note(mia, inv.id, "credit", 32500, "the rest returned", now)
    assert ledger.invoice_totals(inv.id)["refunds"] == 50000
    assert cancel_invoice(ana, inv.id, "order withdrawn", now).status == "cancelled"


def test_approval_checks_the_limit_again_and_cancelling_rejects_what_waits(team, now):
    ana, mia = team["ana"], team["mia"]
    inv = issue_invoice(ana, deal_for(ana, now, amount=10000).id, now)
    a = add_note(ana, inv.id, "credit", 6000, "first", now)
    b = add_note(ana, inv.id, "credit", 6000, "second", now)  # each fits alone; not both
    decide_note(mia, a.id, True, now)
    with pytest.raises(ValidationError, match="at most 40.00 EUR"):
        decide_note(mia, b.id, True, now)
    assert Note.get_by_id(b.id).status == "proposed" and ledger.invoice_balance(inv.id) == 4000
    cancel_invoice(ana, inv.id, "wrong client", now)
    assert Note.get_by_id(b.id).status == "rejected"
    assert waiting_for_me(mia, now) == ()
    with pytest.raises(NothingToDo):
        decide_note(mia, b.id, True, now)


def test_waiting_for_me_is_the_managers_team(team, now, plain):
    ana, ben, sol, mia, dan = team["ana"], team["ben"], team["sol"], team["mia"], team["dan"]
    plan = issue_invoice(ben, deal_for(ben, now, name="Ben's club").id, now, installments=3, every_days=30)
    south = issue_invoice(sol, deal_for(sol, now, name="South club").id, now, installments=2)
    inv = issue_invoice(ana, deal_for(ana, now).id, now + timedelta(minutes=5))
    note = add_note(ana, inv.id, "credit", 100, "scratch", now + timedelta(minutes=10))
    mine = waiting_for_me(mia, now)
    plain(mine)
    assert [(w.kind, w.invoice_id, w.asked_by, w.what) for w in mine] == [
        ("plan", plan.id, "ben", "3 parts every 30 days"), ("note", inv.id, "ana", "scratch")]
    assert mine[1].id == note.id and mine[0].amount_minor == 100000
    assert {(w.kind, w.invoice_id) for w in waiting_for_me(dan, now)} == {("plan", plan.id), ("plan", south.id),
                                                                        ("note", inv.id)}
    assert waiting_for_me(ana, now) == ()
    approve_plan(mia, plan.id, now)
    assert [w.kind for w in waiting_for_me(mia, now)] == ["note"]


def test_the_deal_follows_its_papers_and_money_with_the_cause(team, now):
    ana, mia = team["ana"], team["mia"]
    d = deal_for(ana, now)
    ag = sign_agreement(ana, d.id, now, signed_by="Carla Club")
    assert stage_of(d.id) == "agreement_signed"
    inv = issue_invoice(ana, d.id, now)
    assert stage_of(d.id) == "invoiced"
    record_payment(ana, inv.id, 40000, now)
    assert stage_of(d.id) == "invoiced"
    record_payment(ana, inv.id, 60000, now)
    assert causes(d.id) == [("negotiation", "agreement_signed", "agreement signed by Carla Club"),
                            ("agreement_signed", "invoiced", f"invoice {inv.number} issued"),
                            ("invoiced", "paid", f"invoice {inv.number} paid in full")]
    assert ag.signed_by == "Carla Club"
    # a plan a manager approves carries the deal to Paid too
    d2 = deal_for(ana, now, name="Plan club")
    sign_agreement(ana, d2.id, now)
    inv2 = issue_invoice(ana, d2.id, now, installments=2)
    assert stage_of(d2.id) == "invoiced"
    approve_plan(mia, inv2.id, now)
    assert stage_of(d2.id) == "paid"
    assert causes(d2.id)[-1] == ("invoiced", "paid", f"installment plan of {inv2.number} approved")
    # no move when the gate does not hold: an unqualified deal stays where it is, and is never moved back
    d3 = deal_for(ana, now, stage="new", name="New club")
    inv3 = issue_invoice(ana, d3.id, now)
    record_payment(ana, inv3.id, 100000, now)
    assert stage_of(d3.id) == "new" and causes(d3.id) == []
    add_note(ana, inv.id, "debit", 500, "late fee", now)
    assert stage_of(d.id) == "paid"


def _approver(url, login, note_id, q):
    from datetime import datetime

    from models.db import open_database
    from models.errors import DomainError
    from models.payments import decide_note
    from models.reps import get_rep

    open_database(url)
    try:
        decide_note(get_rep(login), note_id, True, datetime(2026, 11, 20, 10))
        q.put("ok")
    except DomainError as exc:
        q.put(f"refused: {exc}")


def test_concurrent_approvals_never_take_the_balance_below_zero(db, team, now):
    """Three notes of 60% each, approved by three processes at once: exactly one gets through (the rest
    would need more than what is owed plus paid), on both engines."""
    inv = issue_invoice(team["ana"], deal_for(team["ana"], now, amount=10000).id, now)
    notes = [add_note(team["ana"], inv.id, "credit", 6000, f"note {i}", now).id for i in range(3)]
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_approver, args=(db, login, n, q)) for login, n in zip(("mia", "dan", "mia"), notes)]
    for p in procs:
        p.start()
    results = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert results.count("ok") == 1, results
    assert all("can take" in r for r in results if r != "ok")
    assert ledger.invoice_balance(inv.id) == 4000
