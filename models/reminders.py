"""Installment reminders: at issue, at mid-term and on the eve of each due date, never more, never
after the part is paid, never twice (the reminder's key is unique; sweep may run anywhere, any time)."""
from __future__ import annotations

from datetime import datetime, timedelta

from peewee import IntegrityError

from .audit import SYSTEM, record
from .clock import iso
from .db import database, write_txn
from .money import format_amount
from .tables import Client, Deal, Installment, InstallmentPlan, Invoice, Reminder, Rep


def moments(issued_at: datetime, due_at: datetime) -> list[tuple[str, datetime]]:
    """The three reminder moments of one installment: issue, half-way, the day before."""
    return [("issue", issued_at), ("mid", issued_at + (due_at - issued_at) / 2), ("eve", due_at - timedelta(days=1))]


def sweep_reminders(now: datetime) -> int:
    """Create the reminders that are due by NOW and not created yet; returns how many were created."""
    created = 0
    q = (Installment.select(Installment, InstallmentPlan, Invoice, Deal, Client)
         .join(InstallmentPlan).join(Invoice).join(Deal).join(Client)
         .where(Installment.paid_at.is_null() & (InstallmentPlan.status == "approved")
                & (Invoice.status != "cancelled")))
    for inst in list(q):  # read first: a live cursor would pin an old snapshot under our own writes
        inv = inst.plan.invoice
        client = inv.deal.client
        for kind, at in moments(inv.issued_at, inst.due_at):
            if at > now:
                continue
            key = f"inst:{inst.id}:{kind}"
            text = (f"Dear {client.name}, a reminder that part {inst.seq} of invoice {inv.number}, "
                    f"{format_amount(inst.amount_minor, inv.currency)}, is due on {inst.due_at:%d %b %Y}.")
            try:
                with write_txn():
                    with database.atomic():
                        r = Reminder.create(key=key, invoice=inv.id, installment=inst.id, rep=inv.deal.owner_id,
                                            kind=kind, channel="email" if client.email else "sms",
                                            recipient=client.email or client.phone or "", text=text, due_at=at)
                    record(SYSTEM, "reminder", r.id, "create", new=key, at=now)
                created += 1
            except IntegrityError:
                continue  # already there (this or another sweep made it)
    # a paid part needs no more reminders
    with write_txn():
        paid = Installment.select(Installment.id).where(Installment.paid_at.is_null(False))
        Reminder.update(status="cancelled").where((Reminder.status == "pending")
                                                  & Reminder.installment.in_(paid)).execute()
    return created


def outbox(actor: Rep) -> list[dict]:
    from .access import scope

    q = scope(Reminder.select().join(Invoice).join(Deal).where(Reminder.status == "pending"),
              actor, Deal.owner, Deal.team).order_by(Reminder.due_at)
    return [dict(id=r.id, kind=r.kind, channel=r.channel, recipient=r.recipient, text=r.text, due_at=iso(r.due_at),
                 invoice_id=r.invoice_id) for r in q]
