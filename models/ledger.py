"""Facts about money and agreements that several rules share (stage gate, shipment, reports).

balance = amount + debit notes - credit notes - successful payments + refunds, in minor units (exact
ints). Only approved notes count: a credit note a rep proposed above their limit changes nothing until a
manager approves it (models.payments.decide_note). A refund is the part of an approved credit note beyond
what was still owed: money the company owes back, so the balance never goes below zero. A refund counts
once it is due, paid out or not.

Invoice status is derived, never trusted from the row alone: cancelled (stored), paid (balance <= 0),
overdue (balance > 0 and past due: the invoice's due date, or with an approved plan the earliest
unpaid part's), partly_paid (something paid or credited), open.
"""
from __future__ import annotations

from datetime import datetime

from peewee import fn

from .tables import Agreement, Installment, InstallmentPlan, Invoice, Note, Payment, Refund

STORED_STATUSES = ("open", "partly_paid", "paid", "cancelled")  # "overdue" is derived from the clock


def _totals(inv: Invoice, paid: int, credits: int, debits: int, refunds: int = 0) -> dict:
    paid, credits, debits, refunds = int(paid or 0), int(credits or 0), int(debits or 0), int(refunds or 0)
    return dict(amount=inv.amount_minor, paid=paid, credits=credits, debits=debits, refunds=refunds,
                balance=inv.amount_minor + debits - credits - paid + refunds, currency=inv.currency)


def credit_room(totals: dict) -> int:
    """The largest credit note the invoice can take: what is still owed plus what was paid (and not
    already refunded). Beyond what is owed, the credit becomes a refund due."""
    return max(0, totals["balance"]) + max(0, totals["paid"] - totals["refunds"])


def refund_part(totals: dict, credit_minor: int) -> int:
    """The part of a credit note of CREDIT_MINOR that is money owed back (beyond what is still owed)."""
    return max(0, credit_minor - max(0, totals["balance"]))


def invoice_totals(invoice: Invoice | int) -> dict:
    inv = invoice if isinstance(invoice, Invoice) else Invoice.get_by_id(invoice)
    paid = (Payment.select(fn.COALESCE(fn.SUM(Payment.amount_minor), 0))
            .where((Payment.invoice == inv.id) & (Payment.status == "ok")).scalar())
    notes = dict(Note.select(Note.kind, fn.SUM(Note.amount_minor))
                 .where((Note.invoice == inv.id) & (Note.status == "approved")).group_by(Note.kind).tuples())
    refunds = Refund.select(fn.COALESCE(fn.SUM(Refund.amount_minor), 0)).where(Refund.invoice == inv.id).scalar()
    return _totals(inv, paid, notes.get("credit", 0), notes.get("debit", 0), refunds)


def totals_for(invoices: list[Invoice]) -> dict[int, dict]:
    """invoice_totals for many invoices in four grouped queries (lists and screens)."""
    ids = [i.id for i in invoices]
    if not ids:
        return {}
    paid = dict(Payment.select(Payment.invoice, fn.SUM(Payment.amount_minor))
                .where(Payment.invoice.in_(ids) & (Payment.status == "ok")).group_by(Payment.invoice).tuples())
    notes: dict[tuple[int, str], int] = {}
    for inv_id, kind, total in (Note.select(Note.invoice, Note.kind, fn.SUM(Note.amount_minor))
                                .where(Note.invoice.in_(ids) & (Note.status == "approved"))
                                .group_by(Note.invoice, Note.kind).tuples()):
        notes[(inv_id, kind)] = total
    refunds = dict(Refund.select(Refund.invoice, fn.SUM(Refund.amount_minor))
                   .where(Refund.invoice.in_(ids)).group_by(Refund.invoice).tuples())
    return {i.id: _totals(i, paid.get(i.id, 0), notes.get((i.id, "credit"), 0), notes.get((i.id, "debit"), 0),
                          refunds.get(i.id, 0))
            for i in invoices}


def invoice_balance(invoice: Invoice | int) -> int:
    return invoice_totals(invoice)["balance"]


def plan_of(invoice_id: int) -> InstallmentPlan | None:
    return InstallmentPlan.get_or_none(InstallmentPlan.invoice == invoice_id)


def plans_for(invoice_ids: list[int]) -> dict[int, tuple[InstallmentPlan, list[Installment]]]:
    """plan_of and installments_of for many invoices in two queries: invoice id -> (plan, parts by seq)."""
    ids = list(dict.fromkeys(invoice_ids))
    if not ids:
        return {}
    plans = {p.id: p for p in InstallmentPlan.select().where(InstallmentPlan.invoice.in_(ids))}
    parts: dict[int, list[Installment]] = {pid: [] for pid in plans}
    if plans:
        for part in (Installment.select().where(Installment.plan.in_(list(plans)))
                     .order_by(Installment.plan, Installment.seq)):
            parts[part.plan_id].append(part)
    return {p.invoice_id: (p, parts[p.id]) for p in plans.values()}


def installments_of(invoice_id: int) -> list[Installment]:
    return list(Installment.select().join(InstallmentPlan)
                .where(InstallmentPlan.invoice == invoice_id).order_by(Installment.seq))


def covered_installments(parts: list[Installment], totals: dict) -> set[int]:
    """Ids of the parts the money in covers, oldest first: payments and approved credit notes count, less
    refunds; a part is covered only when fully covered. A settled invoice (balance <= 0) covers every part."""
    if totals["balance"] <= 0:
        return {p.id for p in parts}
    money = totals["paid"] + totals["credits"] - totals.get("refunds", 0)
    out, running = set(), 0
    for p in sorted(parts, key=lambda x: x.seq):
        running += p.amount_minor
        if running > money:
            break
        out.add(p.id)
    return out


def invoice_status(inv: Invoice, now: datetime, totals: dict | None = None,
                   plan: InstallmentPlan | None = None, parts: list[Installment] | None = None) -> str:
    if inv.status == "cancelled":
        return "cancelled"
    t = totals if totals is not None else invoice_totals(inv)
    if t["balance"] <= 0:
        return "paid"
    plan = plan if plan is not None else plan_of(inv.id)
    parts = (parts if parts is not None else installments_of(inv.id)) if plan is not None else []
    return known_status(inv, now, t, plan, parts)


def known_status(inv: Invoice, now: datetime, totals: dict, plan: InstallmentPlan | None,
                 parts: list[Installment]) -> str:
    """invoice_status with everything already read (totals_for, plans_for): no query."""
    if inv.status == "cancelled":
        return "cancelled"
    t = totals
    if t["balance"] <= 0:
        return "paid"
    if plan is not None and plan.status == "approved" and parts:
        # An approved plan replaces the single due date with its parts' dates (debits after the last
        # part fall due on the invoice's date, which approval moves to the last part's).
        covered = covered_installments(parts, t)
        uncovered = [p for p in parts if p.id not in covered]
        late = any(p.due_at < now for p in uncovered) if uncovered else inv.due_at < now
    else:
        late = inv.due_at < now
    if late:
        return "overdue"
    return "partly_paid" if (t["paid"] or t["credits"]) else "open"


def stored_status(inv: Invoice, totals: dict | None = None) -> str:
    """What the status column holds (no clock in it): open, partly_paid, paid or cancelled."""
    if inv.status == "cancelled":
        return "cancelled"
    t = totals if totals is not None else invoice_totals(inv)
    if t["balance"] <= 0:
        return "paid"
    return "partly_paid" if (t["paid"] or t["credits"]) else "open"


def live_invoices(deal_id: int) -> list[Invoice]:
    return list(Invoice.select().where((Invoice.deal == deal_id) & (Invoice.status != "cancelled")))


def deal_invoiced(deal_id: int) -> bool:
    return bool(live_invoices(deal_id))


def deal_paid_in_full(deal_id: int) -> bool:
    invoices = live_invoices(deal_id)
    return bool(invoices) and all(invoice_balance(inv) <= 0 for inv in invoices)


def deal_plan_approved(deal_id: int) -> bool:
    return (InstallmentPlan.select().join(Invoice)
            .where((Invoice.deal == deal_id) & (Invoice.status != "cancelled")
                   & (InstallmentPlan.status == "approved")).exists())


def deal_plan_proposed(deal_id: int) -> bool:
    return (InstallmentPlan.select().join(Invoice)
            .where((Invoice.deal == deal_id) & (Invoice.status != "cancelled")
                   & (InstallmentPlan.status == "proposed")).exists())


def agreement_signed(deal_id: int) -> bool:
    return Agreement.select().where((Agreement.deal == deal_id) & (Agreement.status == "signed")).exists()


def money_in(deal_id: int) -> bool:
    """Paid in full, or an approved installment plan: what shipment needs on the money side."""
    return deal_paid_in_full(deal_id) or deal_plan_approved(deal_id)


def shipment_blockers(deal_id: int) -> list[str]:
    """Why DEAL cannot go to the warehouse yet (empty when it can): "no signed agreement",
    "plan not approved" (an installment plan waits for a manager) or "not paid"."""
    return _why(agreement_signed(deal_id), money_in(deal_id), lambda: deal_plan_proposed(deal_id))


def _why(signed: bool, money: bool, proposed) -> list[str]:
    """The one rule of shipment_blockers; PROPOSED is asked only when the money is not in."""
    why = []
    if not signed:
        why.append("no signed agreement")
    if not money:
        why.append("plan not approved" if proposed() else "not paid")
    return why


def shipment_blockers_for(deal_ids: list[int]) -> dict[int, list[str]]:
    """shipment_blockers of many deals in a few queries (lists): deal id -> why (empty when ready)."""
    ids = list(dict.fromkeys(deal_ids))
    if not ids:
        return {}
    signed = {d for (d,) in Agreement.select(Agreement.deal)
              .where(Agreement.deal.in_(ids) & (Agreement.status == "signed")).tuples()}
    live = list(Invoice.select().where(Invoice.deal.in_(ids) & (Invoice.status != "cancelled")))
    totals = totals_for(live)
    plan_status = dict(InstallmentPlan.select(InstallmentPlan.invoice, InstallmentPlan.status)
                       .where(InstallmentPlan.invoice.in_([i.id for i in live])).tuples()) if live else {}
    by_deal: dict[int, list[Invoice]] = {}
    for inv in live:
        by_deal.setdefault(inv.deal_id, []).append(inv)
    out = {}
    for d in ids:
        invoices = by_deal.get(d, [])
        paid = bool(invoices) and all(totals[i.id]["balance"] <= 0 for i in invoices)
        approved = any(plan_status.get(i.id) == "approved" for i in invoices)
        proposed = any(plan_status.get(i.id) == "proposed" for i in invoices)
        out[d] = _why(d in signed, paid or approved, lambda proposed=proposed: proposed)
    return out
