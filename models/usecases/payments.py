"""What the Payments screen (and the invoice and deal views it opens) paints, as frozen data.

`payments_overview` reads the sections (failed payments to follow up, overdue invoices, installments
due this week, reminders to send, received today, shipments waiting and why, credit notes waiting for a
manager's decision (for a manager), refunds due to clients) and the totals per currency, role-scoped,
in a fixed number of queries (joins and grouped reads, never one query per row). `invoice_detail` and
`deal_detail` read one invoice or deal for its view. Amounts are minor units with their currency; times
are UTC datetimes (naive, as stored).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import JOIN, fn

from .. import ledger
from ..access import is_manager, owned_row, scope
from ..clock import day_bounds
from ..payments import installment_status
from ..tables import (Agreement, Client, Deal, Installment, InstallmentPlan, Invoice, Note, Order, Payment,
                      Refund, Reminder, Rep, Stage)

READY = "ready to send to the warehouse"


# ---------------------------------------------------------------- the overview's rows


@dataclass(frozen=True)
class FailedPayment:
    payment_id: int
    invoice_id: int
    number: str
    deal_id: int
    client_id: int
    client: str
    owner: str | None  # the deal owner's login
    amount_minor: int
    currency: str
    method: str
    reason: str | None
    received_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class OverdueInvoice:
    invoice_id: int
    number: str
    deal_id: int
    client_id: int
    client: str
    owner: str | None
    amount_minor: int
    paid_minor: int
    balance_minor: int
    currency: str
    due_at: datetime
    plan: str | None  # the plan's status (proposed, approved ...) or None


@dataclass(frozen=True)
class InstallmentDue:
    installment_id: int
    invoice_id: int
    number: str
    deal_id: int
    client_id: int
    client: str
    owner: str | None
    seq: int
    parts: int
    amount_minor: int
    currency: str
    due_at: datetime


@dataclass(frozen=True)
class ReminderToSend:
    reminder_id: int
    invoice_id: int
    number: str
    deal_id: int
    client_id: int
    client: str
    owner: str | None
    kind: str
    channel: str
    recipient: str | None
    status: str
    error: str | None
    text: str
    due_at: datetime | None


@dataclass(frozen=True)
class ReceivedToday:
    payment_id: int
    invoice_id: int
    number: str
    deal_id: int
    client_id: int
    client: str
    owner: str | None
    amount_minor: int
    currency: str
    method: str
    received_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class ShipmentWaiting:
    deal_id: int
    title: str
    client_id: int
    client: str
    owner: str | None
    agreement: str | None  # the agreement's status, None without one
    ready: bool
    why: tuple[str, ...]  # what holds it, or ("ready to send to the warehouse",)


@dataclass(frozen=True)
class NoteWaiting:
    """A rep's credit note waiting for a manager's decision (models.payments.decide_note takes note_id)."""

    note_id: int
    invoice_id: int
    number: str
    deal_id: int
    client_id: int
    client: str
    owner: str | None
    amount_minor: int
    currency: str
    reason: str
    created_by: str  # who asked (login)
    created_at: datetime


@dataclass(frozen=True)
class RefundDue:
    """Money owed back to a client: the part of an approved credit note beyond what was still owed
    (models.payments.mark_refund_paid takes refund_id)."""

    refund_id: int
    invoice_id: int
    number: str
    deal_id: int
    client_id: int
    client: str
    owner: str | None
    note_id: int | None
    amount_minor: int
    currency: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class CurrencyTotals:
    currency: str
    open_minor: int
    overdue_minor: int
    today_minor: int


@dataclass(frozen=True)
class PaymentsOverview:
    failed: tuple[FailedPayment, ...]
    overdue: tuple[OverdueInvoice, ...]
    installments: tuple[InstallmentDue, ...]
    reminders: tuple[ReminderToSend, ...]
    today: tuple[ReceivedToday, ...]
    shipments: tuple[ShipmentWaiting, ...]
    totals: tuple[CurrencyTotals, ...]  # by currency code
    notes_waiting: tuple[NoteWaiting, ...] = ()  # for a manager (a rep decides none): oldest first
    refunds_due: tuple[RefundDue, ...] = ()  # oldest first


# ---------------------------------------------------------------- the invoice and the deal


@dataclass(frozen=True)
class PlanPart:
    seq: int
    amount_minor: int
    due_at: datetime
    status: str  # paid | overdue | due
    paid_at: datetime | None


@dataclass(frozen=True)
class PaymentLine:
    payment_id: int
    amount_minor: int
    currency: str
    method: str
    status: str  # ok | failed
    reason: str | None
    received_at: datetime
    followed_up_at: datetime | None
    recorded_by: str


@dataclass(frozen=True)
class NoteLine:
    note_id: int
    kind: str  # credit | debit
    amount_minor: int
    reason: str
    created_at: datetime
    created_by: str
    status: str = "approved"  # proposed (waits for a manager: changes nothing yet) | approved | rejected
    decided_by: str | None = None
    decided_at: datetime | None = None


@dataclass(frozen=True)
class RefundLine:
    refund_id: int
    note_id: int | None
    amount_minor: int
    currency: str
    status: str  # due | paid
    created_at: datetime
    paid_at: datetime | None


@dataclass(frozen=True)
class InvoiceSummary:
    """An invoice with its balance, derived status and plan (a line of `repdesk invoices`)."""

    invoice_id: int
    number: str
    deal_id: int
    currency: str
    amount_minor: int
    paid_minor: int
    credits_minor: int  # approved credit notes only
    debits_minor: int
    refunds_minor: int  # owed back to the client (due or paid): balance = amount + debits - credits - paid + refunds
    balance_minor: int
    status: str  # open | partly_paid | overdue | paid | cancelled
    issued_at: datetime
    due_at: datetime
    plan: str | None
    plan_approved_by: str | None
    parts: tuple[PlanPart, ...]


@dataclass(frozen=True)
class InvoiceDetail(InvoiceSummary):
    """The invoice's view: the summary plus who it is for, its payments and its notes."""

    deal_title: str
    client_id: int
    client: str
    owner_id: int | None
    owner: str | None  # login
    owner_name: str | None
    payments: tuple[PaymentLine, ...]  # oldest first
    notes: tuple[NoteLine, ...]  # oldest first, proposed and rejected ones included (see status)
    refunds: tuple[RefundLine, ...] = ()  # oldest first


@dataclass(frozen=True)
class AgreementTerms:
    status: str
    provides: str
    receives: str
    signed_at: datetime | None
    signed_by: str | None


@dataclass(frozen=True)
class DealDetail:
    deal_id: int
    title: str
    client_id: int
    client: str
    owner: str | None  # login
    stage_key: str
    stage: str  # the stage's name
    amount_minor: int | None
    currency: str
    stage_changed_at: datetime | None
    need: str | None
    budget: str | None
    timeline: str | None
    decision_maker: str | None
    products: str | None
    agreement: AgreementTerms | None
    shipment: tuple[str, ...] | None  # why it waits (or READY); None once it has an order


# ---------------------------------------------------------------- reading

Owner = Rep.alias("owner")


def _joined(query):
    """QUERY (which reaches Deal) with the client's name and the owner's login."""
    return (query.join(Client, on=(Deal.client == Client.id)).switch(Deal)
            .join(Owner, JOIN.LEFT_OUTER, on=(Deal.owner == Owner.id)))


def _scoped(query, actor):
    return scope(query, actor, Deal.owner, Deal.team)


_PARTY = (Deal.id.alias("deal_id"), Client.id.alias("client_id"), Client.name.alias("client"),
          Owner.login.alias("owner"))


def _failed(actor, limit: int = 100) -> tuple[FailedPayment, ...]:
    q = _scoped(_joined(Payment.select(Payment.id.alias("payment_id"), Invoice.id.alias("invoice_id"), Invoice.number,
                                       *_PARTY, Payment.amount_minor, Payment.currency, Payment.method,
                                       Payment.reason, Payment.received_at, Payment.recorded_by)
                        .join(Invoice).join(Deal))
                .where((Payment.status == "failed") & Payment.followed_up_at.is_null()), actor)
    return tuple(FailedPayment(**r) for r in q.order_by(Payment.received_at.desc(), Payment.id.desc())
                 .limit(limit).dicts())


def _today(actor, now: datetime, tz: str | None, limit: int = 200):
    start, end = day_bounds(now, tz)
    cond = (Payment.status == "ok") & (Payment.received_at >= start) & (Payment.received_at < end)
    q = _scoped(_joined(Payment.select(Payment.id.alias("payment_id"), Invoice.id.alias("invoice_id"), Invoice.number,
                                       *_PARTY, Payment.amount_minor, Payment.currency, Payment.method,
                                       Payment.received_at, Payment.recorded_by)
                        .join(Invoice).join(Deal)).where(cond), actor)
    rows = tuple(ReceivedToday(**r) for r in q.order_by(Payment.received_at.desc(), Payment.id.desc())
                 .limit(limit).dicts())
    sums = dict(_scoped(Payment.select(Payment.currency, fn.SUM(Payment.amount_minor)).join(Invoice).join(Deal)
                        .where(cond), actor).group_by(Payment.currency).tuples())
    return rows, {cur: int(v or 0) for cur, v in sums.items()}


def _installments(actor, now: datetime, days: int = 7, limit: int = 100) -> tuple[InstallmentDue, ...]:
    q = _scoped(_joined(Installment.select(Installment.id.alias("installment_id"), Invoice.id.alias("invoice_id"),
                                           Invoice.number, *_PARTY, Installment.seq, InstallmentPlan.parts,
                                           Installment.amount_minor, Invoice.currency, Installment.due_at)
                        .join(InstallmentPlan).join(Invoice).join(Deal))
                .where(Installment.paid_at.is_null() & (InstallmentPlan.status == "approved")
                       & (Invoice.status != "cancelled") & (Installment.due_at <= now + timedelta(days=days))), actor)
    return tuple(InstallmentDue(**r) for r in q.order_by(Installment.due_at, Installment.id).limit(limit).dicts())


def _reminders(actor, limit: int = 500) -> tuple[ReminderToSend, ...]:
    q = _scoped(_joined(Reminder.select(Reminder.id.alias("reminder_id"), Invoice.id.alias("invoice_id"),
                                        Invoice.number, *_PARTY, Reminder.kind, Reminder.channel, Reminder.recipient,
                                        Reminder.status, Reminder.error, Reminder.text, Reminder.due_at)
                        .join(Invoice).join(Deal))
                .where(Reminder.status.in_(("pending", "failed", "sending"))), actor)
    return tuple(ReminderToSend(**r) for r in q.order_by(Reminder.due_at, Reminder.id).limit(limit).dicts())


def _invoices(actor, now: datetime, limit: int = 500):
    """(overdue rows, per-currency open and overdue balances) from the open invoices in view."""
    rows = list(_scoped(_joined(Invoice.select(Invoice, Client.id.alias("client_id"), Client.name.alias("client"),
                                               Owner.login.alias("owner")).join(Deal)), actor)
                .where(Invoice.status.not_in(("cancelled", "paid"))).order_by(Invoice.due_at, Invoice.id).objects())
    totals = ledger.totals_for(rows)
    plans = ledger.plans_for([i.id for i in rows])
    overdue, sums = [], {}
    for inv in rows:
        t = totals[inv.id]
        if t["balance"] <= 0:
            continue
        plan, parts = plans.get(inv.id, (None, []))
        late = ledger.known_status(inv, now, t, plan, parts) == "overdue"
        cur = sums.setdefault(inv.currency, [0, 0])
        cur[0] += t["balance"]
        if late:
            cur[1] += t["balance"]
            overdue.append(OverdueInvoice(
                invoice_id=inv.id, number=inv.number, deal_id=inv.deal_id, client_id=inv.client_id,
                client=inv.client, owner=inv.owner, amount_minor=inv.amount_minor, paid_minor=t["paid"],
                balance_minor=t["balance"], currency=inv.currency, due_at=inv.due_at,
                plan=plan.status if plan else None))
    return tuple(overdue[:limit]), sums


def _shipments(actor, limit: int = 200, show: int = 50) -> tuple[ShipmentWaiting, ...]:
    lost = Stage.select(Stage.id).where(Stage.key == "lost")
    candidates = (Deal.id.in_(Invoice.select(Invoice.deal).where(Invoice.status != "cancelled"))
                  | Deal.id.in_(Agreement.select(Agreement.deal)))
    q = _scoped(_joined(Deal.select(Deal.id.alias("deal_id"), Deal.title, Client.id.alias("client_id"),
                                    Client.name.alias("client"), Owner.login.alias("owner"),
                                    Agreement.status.alias("agreement")))
                .switch(Deal).join(Agreement, JOIN.LEFT_OUTER, on=(Agreement.deal == Deal.id))
                .switch(Deal).join(Order, JOIN.LEFT_OUTER, on=(Order.deal == Deal.id))
                .where(candidates & (Order.id.is_null() | (Order.status == "cancelled")) & Deal.stage.not_in(lost)), actor)
    rows = list(q.order_by(Deal.id).limit(limit).dicts())
    why = ledger.shipment_blockers_for([r["deal_id"] for r in rows])
    out = [ShipmentWaiting(**r, ready=not why[r["deal_id"]], why=tuple(why[r["deal_id"]]) or (READY,))
           for r in rows]
    out.sort(key=lambda w: (w.ready, w.deal_id))  # blocked first
    return tuple(out[:show])


def notes_waiting(actor, limit: int = 200) -> tuple[NoteWaiting, ...]:
    """Proposed credit notes on live invoices that ACTOR may decide (a manager: the team's; a director:
    all), oldest first; a rep decides none."""
    if not is_manager(actor):
        return ()
    q = _scoped(_joined(Note.select(Note.id.alias("note_id"), Invoice.id.alias("invoice_id"), Invoice.number,
                                    *_PARTY, Note.amount_minor, Invoice.currency, Note.reason, Note.created_by,
                                    Note.created_at).join(Invoice).join(Deal))
                .where((Note.status == "proposed") & (Invoice.status != "cancelled")), actor)
    return tuple(NoteWaiting(**r) for r in q.order_by(Note.created_at, Note.id).limit(limit).dicts())


def refunds_due(actor, limit: int = 200) -> tuple[RefundDue, ...]:
    """Refunds not yet paid out, in ACTOR's scope, oldest first."""
    q = _scoped(_joined(Refund.select(Refund.id.alias("refund_id"), Invoice.id.alias("invoice_id"), Invoice.number,
                                      *_PARTY, Refund.note.alias("note_id"), Refund.amount_minor, Refund.currency,
                                      Refund.created_at, Refund.created_by).join(Invoice).join(Deal))
                .where(Refund.status == "due"), actor)
    return tuple(RefundDue(**r) for r in q.order_by(Refund.created_at, Refund.id).limit(limit).dicts())


def payments_overview(actor, now: datetime, tz: str | None = None) -> PaymentsOverview:
    """The Payments screen, role-scoped: every section and the totals per currency ("today" is NOW's day
    in TZ, default the actor's zone)."""
    tz = tz or getattr(actor, "timezone", None)
    overdue, sums = _invoices(actor, now)
    today, received = _today(actor, now, tz)
    currencies = sorted(set(sums) | set(received))
    totals = tuple(CurrencyTotals(c, sums.get(c, [0, 0])[0], sums.get(c, [0, 0])[1], received.get(c, 0))
                   for c in currencies)
    return PaymentsOverview(failed=_failed(actor), overdue=overdue, installments=_installments(actor, now),
                            reminders=_reminders(actor), today=today, shipments=_shipments(actor), totals=totals,
                            notes_waiting=notes_waiting(actor), refunds_due=refunds_due(actor))


def _summary_fields(inv, t: dict, plan, parts, now: datetime) -> dict:
    covered = ledger.covered_installments(parts, t)
    return dict(
        invoice_id=inv.id, number=inv.number, deal_id=inv.deal_id, currency=inv.currency,
        amount_minor=inv.amount_minor, paid_minor=t["paid"], credits_minor=t["credits"], debits_minor=t["debits"],
        refunds_minor=t["refunds"],
        balance_minor=t["balance"], status=ledger.known_status(inv, now, t, plan, parts), issued_at=inv.issued_at,
        due_at=inv.due_at, plan=plan.status if plan else None, plan_approved_by=plan.approved_by if plan else None,
        parts=tuple(PlanPart(p.seq, p.amount_minor, p.due_at, installment_status(p, covered, now), p.paid_at)
                    for p in parts))


def invoice_list(actor, now: datetime, overdue: bool = False, limit: int = 1000) -> tuple[InvoiceSummary, ...]:
    """The invoices in view, soonest due first; OVERDUE: only those past due with money owed."""
    q = _scoped(Invoice.select(Invoice).join(Deal), actor)
    if overdue:
        late_parts = (InstallmentPlan.select(InstallmentPlan.invoice).join(Installment)
                      .where((InstallmentPlan.status == "approved") & Installment.paid_at.is_null()
                             & (Installment.due_at < now)))
        q = q.where((Invoice.status != "cancelled") & (Invoice.status != "paid")
                    & ((Invoice.due_at < now) | Invoice.id.in_(late_parts)))
    rows = list(q.order_by(Invoice.due_at, Invoice.id).limit(limit * 2 if overdue else limit))
    totals = ledger.totals_for(rows)
    plans = ledger.plans_for([i.id for i in rows])
    out = [InvoiceSummary(**_summary_fields(i, totals[i.id], *plans.get(i.id, (None, [])), now)) for i in rows]
    if overdue:
        out = [i for i in out if i.status == "overdue"]
    return tuple(out[:limit])


def invoice_detail(actor, invoice_id: int, now: datetime) -> InvoiceDetail:
    """One invoice for its view: balance, status, plan parts, payments and notes, client and owner."""
    owned_row(Invoice, invoice_id, actor, "invoice", owner_of=lambda inv: Deal.get_by_id(inv.deal_id))
    inv = (_joined(Invoice.select(Invoice, Deal.title.alias("deal_title"), Client.id.alias("client_id"),
                                  Client.name.alias("client"), Owner.id.alias("owner_id"),
                                  Owner.login.alias("owner"), Owner.name.alias("owner_name")).join(Deal))
           .where(Invoice.id == invoice_id).objects().get())
    t = ledger.totals_for([inv])[inv.id]
    plan, parts = ledger.plans_for([inv.id]).get(inv.id, (None, []))
    payments = tuple(PaymentLine(**r) for r in Payment.select(
        Payment.id.alias("payment_id"), Payment.amount_minor, Payment.currency, Payment.method, Payment.status,
        Payment.reason, Payment.received_at, Payment.followed_up_at, Payment.recorded_by)
        .where(Payment.invoice == invoice_id).order_by(Payment.received_at, Payment.id).dicts())
    notes = tuple(NoteLine(**r) for r in Note.select(
        Note.id.alias("note_id"), Note.kind, Note.amount_minor, Note.reason, Note.created_at, Note.created_by,
        Note.status, Note.decided_by, Note.decided_at)
        .where(Note.invoice == invoice_id).order_by(Note.created_at, Note.id).dicts())
    refunds = tuple(RefundLine(**r) for r in Refund.select(
        Refund.id.alias("refund_id"), Refund.note.alias("note_id"), Refund.amount_minor, Refund.currency,
        Refund.status, Refund.created_at, Refund.paid_at)
        .where(Refund.invoice == invoice_id).order_by(Refund.created_at, Refund.id).dicts())
    return InvoiceDetail(**_summary_fields(inv, t, plan, parts, now), deal_title=inv.deal_title,
                         client_id=inv.client_id, client=inv.client, owner_id=inv.owner_id, owner=inv.owner,
                         owner_name=inv.owner_name, payments=payments, notes=notes, refunds=refunds)


def deal_detail(actor, deal_id: int) -> DealDetail:
    """One deal, read-only: what it is, where it stands, its agreement and what holds its shipment."""
    owned_row(Deal, deal_id, actor, "deal")
    d = (_joined(Deal.select(Deal, Client.name.alias("client_name"), Owner.login.alias("owner_login"),
                             Stage.key.alias("stage_key"), Stage.name.alias("stage_name"),
                             Order.id.alias("order_id")))
         .switch(Deal).join(Stage, on=(Deal.stage == Stage.id))
         .switch(Deal).join(Order, JOIN.LEFT_OUTER, on=(Order.deal == Deal.id))
         .where(Deal.id == deal_id).objects().get())
    ag = Agreement.get_or_none(Agreement.deal == deal_id)
    terms = None if ag is None else AgreementTerms(ag.status, ag.provides or "", ag.receives or "", ag.signed_at,
                                                   ag.signed_by)
    shipment = None
    if d.order_id is None:
        shipment = tuple(ledger.shipment_blockers(deal_id)) or (READY,)
    return DealDetail(
        deal_id=d.id, title=d.title, client_id=d.client_id, client=d.client_name, owner=d.owner_login,
        stage_key=d.stage_key, stage=d.stage_name, amount_minor=d.amount_minor, currency=d.currency,
        stage_changed_at=d.stage_changed_at, need=d.need, budget=d.budget, timeline=d.timeline,
        decision_maker=d.decision_maker, products=d.products, agreement=terms, shipment=shipment)
