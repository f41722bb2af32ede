"""Facts about money and agreements that several rules share (stage gate, shipment, reports).

balance = amount + debit notes - credit notes - successful payments, in minor units.
"""
from __future__ import annotations

from peewee import fn

from .tables import Agreement, Installment, InstallmentPlan, Invoice, Note, Payment


def invoice_totals(invoice: Invoice | int) -> dict:
    inv = invoice if isinstance(invoice, Invoice) else Invoice.get_by_id(invoice)
    paid = (Payment.select(fn.COALESCE(fn.SUM(Payment.amount_minor), 0))
            .where((Payment.invoice == inv.id) & (Payment.status == "ok")).scalar())
    credits = (Note.select(fn.COALESCE(fn.SUM(Note.amount_minor), 0))
               .where((Note.invoice == inv.id) & (Note.kind == "credit")).scalar())
    debits = (Note.select(fn.COALESCE(fn.SUM(Note.amount_minor), 0))
              .where((Note.invoice == inv.id) & (Note.kind == "debit")).scalar())
    paid, credits, debits = int(paid), int(credits), int(debits)
    return dict(amount=inv.amount_minor, paid=paid, credits=credits, debits=debits,
                balance=inv.amount_minor + debits - credits - paid, currency=inv.currency)


def invoice_balance(invoice: Invoice | int) -> int:
    return invoice_totals(invoice)["balance"]


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


def agreement_signed(deal_id: int) -> bool:
    return Agreement.select().where((Agreement.deal == deal_id) & (Agreement.status == "signed")).exists()


def installments_of(invoice_id: int) -> list[Installment]:
    return list(Installment.select().join(InstallmentPlan)
                .where(InstallmentPlan.invoice == invoice_id).order_by(Installment.seq))
