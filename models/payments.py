"""Payments: agreements, invoices (with installment plans), payments (failed ones open a task),
credit/debit notes and the shipment gate. balance = amount + debits - credits - payments."""
from __future__ import annotations

from datetime import datetime, timedelta

from peewee import JOIN

from . import ledger
from .access import check_deal, require_manager, scope
from .activities import create_task
from .audit import record
from .clock import iso
from .db import write_txn
from .errors import DomainError, NotFound, ValidationError
from .money import plain_amount
from .tables import Agreement, Deal, DealLine, Installment, InstallmentPlan, Invoice, Note, Order, OrderLine, Payment, Rep


def split_amount(total: int, parts: int) -> list[int]:
    """N amounts in minor units that add up exactly to TOTAL (the first ones carry the remainder)."""
    if parts < 1:
        raise ValidationError("An installment plan needs at least one part.", field="installments")
    base, rest = divmod(total, parts)
    return [base + (1 if i < rest else 0) for i in range(parts)]


def _deal(actor: Rep, deal_id: int) -> Deal:
    d = Deal.get_or_none(Deal.id == deal_id)
    if d is None:
        raise NotFound(f"There is no deal {deal_id}.")
    check_deal(actor, d)
    return d


def _invoice(actor: Rep, invoice_id: int) -> Invoice:
    inv = Invoice.get_or_none(Invoice.id == invoice_id)
    if inv is None:
        raise NotFound(f"There is no invoice {invoice_id}.")
    check_deal(actor, Deal.get_by_id(inv.deal_id))
    return inv


def set_agreement(actor: Rep, deal_id: int, provides: str, receives: str, now: datetime) -> Agreement:
    if not (provides or "").strip() or not (receives or "").strip():
        raise ValidationError("An agreement says what we provide and what we get back.", field="provides")
    with write_txn():
        _deal(actor, deal_id)
        ag = Agreement.get_or_none(Agreement.deal == deal_id)
        if ag is None:
            ag = Agreement.create(deal=deal_id, provides=provides.strip(), receives=receives.strip())
        else:
            Agreement.update(provides=provides.strip(), receives=receives.strip(), version=Agreement.version + 1) \
                .where(Agreement.id == ag.id).execute()
        record(actor.login, "agreement", ag.id, "set", field="terms", new=f"{provides} / {receives}", at=now)
    return Agreement.get_by_id(ag.id)


def sign_agreement(actor: Rep, deal_id: int, now: datetime, signed_by: str | None = None) -> Agreement:
    with write_txn():
        _deal(actor, deal_id)
        ag = Agreement.get_or_none(Agreement.deal == deal_id)
        if ag is None or not (ag.provides and ag.receives):
            raise ValidationError(f"Deal {deal_id} has no agreement terms yet: set what we provide and what we "
                                  "get back first (repdesk agreement set).", field="provides")
        Agreement.update(status="signed", signed_at=now, signed_by=signed_by or actor.name,
                         version=Agreement.version + 1).where(Agreement.id == ag.id).execute()
        record(actor.login, "agreement", ag.id, "sign", field="status", old=ag.status, new="signed", at=now)
    return Agreement.get_by_id(ag.id)


def issue_invoice(actor: Rep, deal_id: int, now: datetime, amount_minor: int | None = None,
                  due_at: datetime | None = None, installments: int | None = None,
                  every_days: int | None = None) -> Invoice:
    from .settings import get

    with write_txn():
        d = _deal(actor, deal_id)
        if amount_minor is None:
            lines = list(DealLine.select().where(DealLine.deal == deal_id))
            amount_minor = sum(x.quantity * x.unit_price_minor for x in lines) if lines else d.amount_minor
        if not amount_minor or amount_minor <= 0:
            raise ValidationError(f"Deal {deal_id} has no amount; give --amount.", field="amount")
        due_at = due_at or now + timedelta(hours=int(get("invoice.due_hours")))
        inv = Invoice.create(deal=deal_id, number=f"INV-{now:%Y%m%d}-{deal_id}-{Invoice.select().count() + 1}",
                             amount_minor=amount_minor, currency=d.currency, issued_at=now, due_at=due_at)
        record(actor.login, "invoice", inv.id, "issue", new=plain_amount(amount_minor, d.currency), at=now)
        if installments:
            every = every_days or 30
            approved = actor.role in ("manager", "director", "admin")
            plan = InstallmentPlan.create(invoice=inv, parts=installments, every_days=every,
                                          status="approved" if approved else "proposed",
                                          approved_by=actor.login if approved else None,
                                          approved_at=now if approved else None)
            for i, part in enumerate(split_amount(amount_minor, installments), start=1):
                Installment.create(plan=plan, seq=i, amount_minor=part, due_at=now + timedelta(days=every * i))
            record(actor.login, "invoice", inv.id, "plan", new=f"{installments} x every {every} days", at=now)
    return inv


def approve_plan(actor: Rep, invoice_id: int, now: datetime) -> InstallmentPlan:
    require_manager(actor, "approve an installment plan")
    with write_txn():
        _invoice(actor, invoice_id)
        plan = InstallmentPlan.get_or_none(InstallmentPlan.invoice == invoice_id)
        if plan is None:
            raise NotFound(f"Invoice {invoice_id} has no installment plan.")
        InstallmentPlan.update(status="approved", approved_by=actor.login, approved_at=now,
                               version=InstallmentPlan.version + 1).where(InstallmentPlan.id == plan.id).execute()
        record(actor.login, "invoice", invoice_id, "approve_plan", field="plan", old=plan.status, new="approved", at=now)
    return InstallmentPlan.get_by_id(plan.id)


def _status(inv: Invoice, now: datetime) -> str:
    if inv.status == "cancelled":
        return "cancelled"
    t = ledger.invoice_totals(inv)
    if t["balance"] <= 0:
        return "paid"
    if inv.due_at < now and not InstallmentPlan.select().where((InstallmentPlan.invoice == inv.id)
                                                               & (InstallmentPlan.status == "approved")).exists():
        return "overdue"
    return "partly_paid" if t["paid"] else "open"


def record_payment(actor: Rep, invoice_id: int, amount_minor: int, now: datetime, method: str = "transfer",
                   failed: bool = False, reason: str | None = None) -> Payment:
    if amount_minor <= 0:
        raise ValidationError("A payment is a positive amount.", field="amount")
    if failed and not (reason or "").strip():
        raise ValidationError("A failed payment needs its reason (--reason).", field="reason")
    with write_txn():
        inv = _invoice(actor, invoice_id)
        balance = ledger.invoice_balance(inv)
        if not failed and amount_minor > balance:
            raise ValidationError(f"That is more than the balance of {plain_amount(balance, inv.currency)} "
                                  f"{inv.currency}.", field="amount")
        p = Payment.create(invoice=inv, amount_minor=amount_minor, currency=inv.currency, method=method,
                           status="failed" if failed else "ok", reason=reason, received_at=now,
                           recorded_by=actor.login)
        record(actor.login, "payment", p.id, "failed" if failed else "received",
               new=f"{plain_amount(amount_minor, inv.currency)} {inv.currency} {method}", at=now)
        deal = Deal.get_by_id(inv.deal_id)
        if failed:
            create_task(actor.login, deal.owner_id, f"Follow up failed payment on {inv.number}: {reason}", now,
                        now=now, deal_id=deal.id, client_id=deal.client_id, origin=f"failed-payment:{p.id}")
        else:
            # Payments cover the installments in order: each one fully covered is paid.
            paid_total = ledger.invoice_totals(inv)["paid"]
            covered = 0
            for inst in ledger.installments_of(inv.id):
                covered += inst.amount_minor
                if covered > paid_total:
                    break
                if inst.paid_at is None:
                    Installment.update(paid_at=now).where(Installment.id == inst.id).execute()
        new_status = _status(inv, now)
        if new_status != inv.status:
            Invoice.update(status=new_status, version=Invoice.version + 1).where(Invoice.id == inv.id).execute()
            record(actor.login, "invoice", inv.id, "update", field="status", old=inv.status, new=new_status, at=now)
            if new_status == "paid":
                from .tables import Client

                Client.update(last_purchase_at=now).where(Client.id == deal.client_id).execute()
    return p


def add_note(actor: Rep, invoice_id: int, kind: str, amount_minor: int, reason: str, now: datetime) -> Note:
    if kind not in ("credit", "debit"):
        raise ValidationError("A note is --credit or --debit.", field="kind")
    if amount_minor <= 0:
        raise ValidationError("A note is a positive amount.", field="amount")
    if not (reason or "").strip():
        raise ValidationError("A note needs its reason.", field="reason")
    with write_txn():
        inv = _invoice(actor, invoice_id)
        before = ledger.invoice_balance(inv)
        n = Note.create(invoice=inv, kind=kind, amount_minor=amount_minor, reason=reason.strip(), created_at=now,
                        created_by=actor.login)
        after = ledger.invoice_balance(inv)
        record(actor.login, "invoice", inv.id, f"{kind}_note", field="balance",
               old=plain_amount(before, inv.currency), new=plain_amount(after, inv.currency), at=now)
        status = _status(inv, now)
        if status != inv.status:
            Invoice.update(status=status).where(Invoice.id == inv.id).execute()
    return n


def invoice_dict(inv: Invoice, now: datetime) -> dict:
    t = ledger.invoice_totals(inv)
    plan = InstallmentPlan.get_or_none(InstallmentPlan.invoice == inv.id)
    insts = []
    for i in ledger.installments_of(inv.id):
        insts.append(dict(seq=i.seq, amount=plain_amount(i.amount_minor, inv.currency), due_at=iso(i.due_at),
                          status="paid" if i.paid_at else ("overdue" if i.due_at < now else "due")))
    return dict(id=inv.id, number=inv.number, deal_id=inv.deal_id, currency=inv.currency,
                amount=plain_amount(inv.amount_minor, inv.currency), paid=plain_amount(t["paid"], inv.currency),
                credits=plain_amount(t["credits"], inv.currency), debits=plain_amount(t["debits"], inv.currency),
                balance=plain_amount(t["balance"], inv.currency), status=_status(inv, now),
                issued_at=iso(inv.issued_at), due_at=iso(inv.due_at),
                plan=plan.status if plan else None, installments=insts)


def get_invoice(actor: Rep, invoice_id: int) -> Invoice:
    return _invoice(actor, invoice_id)


def list_invoices(actor: Rep, now: datetime, overdue: bool = False, limit: int = 200) -> list[Invoice]:
    q = scope(Invoice.select().join(Deal), actor, Deal.owner, Deal.team).order_by(Invoice.due_at).limit(limit)
    rows = list(q)
    return [i for i in rows if _status(i, now) == "overdue"] if overdue else rows


def shipment_blockers(deal_id: int) -> list[str]:
    why = []
    if not ledger.agreement_signed(deal_id):
        why.append("no signed agreement")
    if not (ledger.deal_paid_in_full(deal_id) or ledger.deal_plan_approved(deal_id)):
        why.append("not paid (and no approved installment plan)")
    return why


def create_order(actor: Rep, deal_id: int, now: datetime) -> Order:
    with write_txn():
        d = _deal(actor, deal_id)
        blockers = shipment_blockers(deal_id)
        if blockers:
            raise DomainError(f"Deal {deal_id} cannot go to the warehouse: {'; '.join(blockers)}.")
        if Order.select().where(Order.deal == deal_id).exists():
            raise ValidationError(f"Deal {deal_id} already has an order.")
        o = Order.create(deal=deal_id, created_at=now)
        lines = list(DealLine.select().where(DealLine.deal == deal_id))
        for x in lines or [None]:
            OrderLine.create(order=o, sku=(x.product.sku if x and x.product_id else ""),
                             description=x.description if x else d.title, quantity=x.quantity if x else 1)
        record(actor.login, "order", o.id, "create", new="forwarded", at=now)
    return o


def ship_order(actor: Rep, order_id: int, now: datetime) -> Order:
    with write_txn():
        o = Order.get_or_none(Order.id == order_id)
        if o is None:
            raise NotFound(f"There is no order {order_id}.")
        _deal(actor, o.deal_id)
        blockers = shipment_blockers(o.deal_id)
        if blockers:
            raise DomainError(f"Order {order_id} cannot ship: {'; '.join(blockers)}.")
        Order.update(status="shipped", shipped_at=now, version=Order.version + 1).where(Order.id == o.id).execute()
        record(actor.login, "order", o.id, "ship", field="status", old=o.status, new="shipped", at=now)
    return Order.get_by_id(order_id)


def overview(actor: Rep, now: datetime) -> dict:
    """What the Payments screen shows, role-scoped: overdue invoices, failed payments not followed up,
    installments due this week, payments received today, shipments waiting and why, totals per currency."""
    invoices = list_invoices(actor, now, limit=500)
    overdue = [invoice_dict(i, now) for i in invoices if _status(i, now) == "overdue"]
    failed = list(scope(Payment.select(Payment, Invoice).join(Invoice).join(Deal)
                        .where((Payment.status == "failed") & Payment.followed_up_at.is_null()),
                        actor, Deal.owner, Deal.team).order_by(Payment.received_at.desc()).limit(100))
    week = now + timedelta(days=7)
    due_parts = list(scope(Installment.select(Installment, InstallmentPlan, Invoice).join(InstallmentPlan)
                           .join(Invoice).join(Deal)
                           .where(Installment.paid_at.is_null() & (Installment.due_at <= week)),
                           actor, Deal.owner, Deal.team).order_by(Installment.due_at).limit(100))
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today = list(scope(Payment.select(Payment, Invoice).join(Invoice).join(Deal)
                       .where((Payment.status == "ok") & (Payment.received_at >= day_start)),
                       actor, Deal.owner, Deal.team).limit(100))
    waiting = []
    for d in scope(Deal.select().join(Agreement, JOIN.LEFT_OUTER, on=(Agreement.deal == Deal.id))
                   .switch(Deal).where(Deal.id.in_(Invoice.select(Invoice.deal))), actor, Deal.owner, Deal.team):
        if Order.select().where(Order.deal == d.id).exists():
            continue
        why = shipment_blockers(d.id)
        waiting.append(dict(deal_id=d.id, title=d.title, why=why or ["ready to send to the warehouse"]))
    totals: dict[str, dict[str, int]] = {}
    for i in invoices:
        t = ledger.invoice_totals(i)
        cur = totals.setdefault(i.currency, {"open": 0, "overdue": 0, "today": 0})
        cur["open"] += max(t["balance"], 0)
        if _status(i, now) == "overdue":
            cur["overdue"] += max(t["balance"], 0)
    for p in today:
        totals.setdefault(p.currency, {"open": 0, "overdue": 0, "today": 0})["today"] += p.amount_minor
    return dict(overdue=overdue, failed=failed, installments=due_parts, today=today, waiting=waiting[:50],
                totals=totals)


def mark_followed_up(actor: Rep, payment_id: int, now: datetime) -> None:
    with write_txn():
        p = Payment.get_or_none(Payment.id == payment_id)
        if p is None:
            raise NotFound(f"There is no payment {payment_id}.")
        _invoice(actor, p.invoice_id)
        Payment.update(followed_up_at=now).where(Payment.id == payment_id).execute()
        record(actor.login, "payment", payment_id, "followed_up", field="followed_up_at", new=now, at=now)
