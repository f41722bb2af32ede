"""Payments: agreements, invoices (with installment plans), payments (a failed one opens a follow-up
task for the deal's owner), credit and debit notes, refunds, and the lists of the Payments screen.

balance = amount + debit notes - credit notes - successful payments + refunds, exact ints in minor units,
counting approved notes only (models.ledger). The balance never goes below zero: a credit note is limited
to what is still owed plus what was paid, and the part beyond what is owed is recorded as a refund due.
A rep's credit note above the setting credit.rep_limit (minor units, default 0: every one) is proposed and
waits for a manager (decide_note), changing no balance, status or warehouse gate until approved.

The deal follows its papers and money (models.pipeline.follow, in the same transaction): signing the
agreement, issuing the invoice, settling it in full and approving its plan move the deal forward when
the stage gate holds, audited with the cause.
Every operation is one transaction with its own audit rows. On PostgreSQL the invoice (or deal) row an
operation reads and then changes is locked with FOR UPDATE, so two reps recording payments at once
cannot both pass the overpayment check; on SQLite write_txn's BEGIN IMMEDIATE does the same.
Warehouse orders live in models.orders.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4

from peewee import JOIN, fn

from . import ledger, settings
from .access import is_manager, owned_row, require_manager, scope, sees_only_own
from .activities import create_task
from .audit import record, record_changes
from .clock import day_bounds, iso
from .engine import write_txn
from .errors import DomainError, NotFound, NotYours, NothingToDo, ValidationError
from .money import plain_amount
from .pipeline import follow
from .tables import (Agreement, Client, Deal, DealLine, Installment, InstallmentPlan, Invoice, Note, Order, Payment,
                     Refund, Rep, Stage)
from .text import one_line

settings.declare("invoice.due_hours", 72, check=settings.ranged("invoice.due_hours", 1, 24 * 366),
                 writers=settings.MANAGERS, doc="Hours an invoice is due after issue.")
settings.declare("credit.rep_limit", 0, check=settings.ranged("credit.rep_limit", 0, 10**15),
                 writers=settings.MANAGERS,
                 doc="A rep's credit note above this many minor units (cents) waits for a manager's approval "
                     "(0: every credit note a rep makes waits).")

MAX_PARTS = 120
AGREEMENT_STATUSES = ("draft", "sent", "signed")


# ---------------------------------------------------------------- helpers


def _deal(actor: Rep, deal_id: int, lock: bool = False) -> Deal:
    return owned_row(Deal, deal_id, actor, "deal", lock=lock)


def _invoice(actor: Rep, invoice_id: int, lock: bool = False) -> Invoice:
    return owned_row(Invoice, invoice_id, actor, "invoice", lock=lock, owner_of=lambda inv: Deal.get_by_id(inv.deal_id))


def _amt(minor: int, currency: str) -> str:
    return f"{plain_amount(minor, currency)} {currency}"


def split_amount(total: int, parts: int) -> list[int]:
    """PARTS amounts in minor units that add up exactly to TOTAL; the remainder cents go one each to the
    first parts (deterministic; no two parts differ by more than one minor unit)."""
    if parts < 1:
        raise ValidationError("An installment plan needs at least one part.", field="installments")
    if total < 0:
        raise ValidationError("An installment plan splits a positive amount.", field="amount")
    base, rest = divmod(total, parts)
    return [base + (1 if i < rest else 0) for i in range(parts)]


def schedule(total: int, parts: int, every_days: int, start: datetime) -> list[tuple[int, datetime]]:
    """(amount, due) of each part: equal amounts adding up to TOTAL, due every EVERY_DAYS after START."""
    return [(a, start + timedelta(days=every_days * i)) for i, a in enumerate(split_amount(total, parts), start=1)]


# ---------------------------------------------------------------- agreements


def agreement_dict(ag: Agreement | None) -> dict | None:
    if ag is None:
        return None
    return dict(id=ag.id, deal_id=ag.deal_id, provides=ag.provides, receives=ag.receives, status=ag.status,
                signed_at=iso(ag.signed_at), signed_by=ag.signed_by, version=ag.version)


def get_agreement(actor: Rep, deal_id: int) -> Agreement | None:
    _deal(actor, deal_id)
    return Agreement.get_or_none(Agreement.deal == deal_id)


def upsert_agreement(actor: Rep, deal_id: int, provides: str, receives: str, now: datetime,
                     expected_version: int | None = None) -> Agreement:
    """Set what the company provides and what it gets in return. A signed agreement is not edited:
    changing signed terms would make the signature a lie. With EXPECTED_VERSION (the version the rep
    opened; 0 when there was no agreement yet) a save over someone else's newer terms is refused."""
    from .text import strip_controls

    provides = strip_controls(provides or "").strip()
    receives = strip_controls(receives or "").strip()
    if not provides:
        raise ValidationError("An agreement says what we provide.", field="provides")
    if not receives:
        raise ValidationError("An agreement says what we get in return.", field="receives")
    with write_txn():
        _deal(actor, deal_id, lock=True)  # the deal's lock serialises two first saves on PostgreSQL
        ag = Agreement.get_or_none(Agreement.deal == deal_id)
        if expected_version is not None and (ag.version if ag else 0) != expected_version:
            raise _stale_agreement(deal_id, ag, expected_version)
        if ag is None:
            ag = Agreement.create(deal=deal_id, provides=provides, receives=receives, status="draft")
            record_changes(actor.login, "agreement", ag.id, {}, dict(provides=provides, receives=receives,
                                                                     status="draft"), at=now, action="create")
            record(actor.login, "deal", deal_id, "agreement", field="agreement", new="draft", at=now)
        else:
            if ag.status == "signed":
                raise DomainError(f"The agreement of deal {deal_id} is signed; its terms cannot change.")
            old = dict(provides=ag.provides, receives=ag.receives)
            new = dict(provides=provides, receives=receives)
            if old != new:
                n = (Agreement.update(**new, version=Agreement.version + 1)
                     .where((Agreement.id == ag.id) & (Agreement.version == ag.version)).execute())
                if n != 1:
                    raise _stale_agreement(deal_id, Agreement.get_by_id(ag.id), ag.version)
                record_changes(actor.login, "agreement", ag.id, old, new, at=now)
    return Agreement.get_by_id(ag.id)


def _stale_agreement(deal_id: int, ag: Agreement | None, seen: int):
    from .audit import changes_since
    from .errors import StaleRecord

    if ag is None:
        return StaleRecord(f"The agreement of deal {deal_id} was removed since you opened it; reload.")
    who, what, changes = changes_since("agreement", ag.id, ag.version, seen)
    return StaleRecord(f"The agreement of deal {deal_id} was changed by {who} since you opened it ({what}); your "
                       "save was not applied: reload and apply your change again.", changes)


def _set_agreement_status(actor: Rep, deal_id: int, now: datetime, status: str, signed_by: str | None = None):
    with write_txn():
        _deal(actor, deal_id, lock=True)
        ag = Agreement.get_or_none(Agreement.deal == deal_id)
        if ag is None or not ((ag.provides or "").strip() and (ag.receives or "").strip()):
            raise ValidationError(f"Deal {deal_id} has no agreement terms yet: set what we provide and what we "
                                  "get in return first (repdesk agreement set).", field="provides")
        if ag.status == "signed":
            raise NothingToDo(f"The agreement of deal {deal_id} is already signed "
                              f"({ag.signed_by}, {iso(ag.signed_at)}).")
        if status == "sent" and ag.status == "sent":
            raise NothingToDo(f"The agreement of deal {deal_id} was already sent.")
        new = dict(status=status)
        if status == "signed":
            who = (signed_by or "").strip() or actor.name
            new.update(signed_at=now, signed_by=who[:200])
        Agreement.update(**new, version=Agreement.version + 1).where(Agreement.id == ag.id).execute()
        record_changes(actor.login, "agreement", ag.id, dict(status=ag.status, signed_at=None, signed_by=None), new,
                       at=now, action=status if status == "sent" else "sign")
        record(actor.login, "deal", deal_id, "agreement", field="agreement", old=ag.status, new=status, at=now)
        if status == "signed":
            follow(actor.login, deal_id, now, f"agreement signed by {new['signed_by']}")
    return Agreement.get_by_id(ag.id)


def send_agreement(actor: Rep, deal_id: int, now: datetime) -> Agreement:
    """Mark the agreement sent to the client for signature (it needs both sides' terms)."""
    return _set_agreement_status(actor, deal_id, now, "sent")


def sign_agreement(actor: Rep, deal_id: int, now: datetime, signed_by: str | None = None) -> Agreement:
    """Mark the agreement signed (by SIGNED_BY, default the acting rep's name); needs both sides' terms."""
    return _set_agreement_status(actor, deal_id, now, "signed", signed_by)


# ---------------------------------------------------------------- invoices


def _deal_amount(d: Deal) -> int | None:
    lines = list(DealLine.select().where(DealLine.deal == d.id))
    if lines:
        other = sorted({x.currency for x in lines if x.currency != d.currency})
        if other:
            raise ValidationError(f"Deal {d.id}'s lines are in {', '.join(other)}, the deal in {d.currency}; "
                                  "give the invoice's amount.", field="amount")
        return sum(x.quantity * x.unit_price_minor for x in lines)
    return d.amount_minor


def issue_invoice(actor: Rep, deal_id: int, now: datetime, amount_minor: int | None = None,
                  due_at: datetime | None = None, installments: int | None = None,
                  every_days: int | None = None) -> Invoice:
    """Issue the deal's invoice: AMOUNT_MINOR (default the sum of the deal's lines, else its amount), due at
    DUE_AT (default now + setting invoice.due_hours, 72). With INSTALLMENTS, an installment plan of that many
    parts every EVERY_DAYS (default 30) days, amounts adding up exactly; a manager's plan is approved at once,
    a rep's is proposed (approve_plan). A deal has one live invoice: cancel it to issue another."""
    if installments is None and every_days is not None:
        raise ValidationError("The days between parts need a number of installments.", field="every")
    if installments is not None:
        if not 1 <= installments <= MAX_PARTS:
            raise ValidationError(f"An installment plan has 1 to {MAX_PARTS} parts.", field="installments")
        every_days = 30 if every_days is None else every_days
        if not 1 <= every_days <= 366:
            raise ValidationError("Installments are 1 to 366 days apart.", field="every")
        if due_at is not None:
            raise ValidationError("Give either a due date or installments: a plan's parts have their own dates.",
                                  field="due")
    if due_at is not None and due_at <= now:
        raise ValidationError("The due date must be after the issue date.", field="due")
    with write_txn():
        d = _deal(actor, deal_id, lock=True)
        if d.stage_id and Stage.get_by_id(d.stage_id).key == "lost":
            raise DomainError(f"Deal {deal_id} is lost; it cannot be invoiced.")
        live = ledger.live_invoices(deal_id)
        if live:
            raise DomainError(f"Deal {deal_id} already has invoice {live[0].number} (id {live[0].id}); cancel it "
                              "first, or add a debit or credit note.")
        if amount_minor is not None and amount_minor <= 0:
            raise ValidationError("An invoice's amount is positive.", field="amount")
        deal_amount = _deal_amount(d)
        if amount_minor is None:
            amount_minor = deal_amount
        elif sees_only_own(actor) and deal_amount and amount_minor < deal_amount:
            # less than the deal is a discount: a credit note, which a manager approves above the rep's limit
            raise ValidationError(f"An invoice of {_amt(amount_minor, d.currency)} is less than the deal's "
                                  f"{_amt(deal_amount, d.currency)}: invoice the deal and give the discount as a "
                                  "credit note.", field="amount")
        if not amount_minor or amount_minor <= 0:
            raise ValidationError(f"Deal {deal_id} has no amount; give the invoice's amount.",
                                  field="amount")
        if installments and installments > amount_minor:
            raise ValidationError(f"{installments} parts of {_amt(amount_minor, d.currency)} would leave some "
                                  "parts empty.", field="installments")
        approved = bool(installments) and is_manager(actor)
        parts = schedule(amount_minor, installments, every_days, now) if installments else []
        if due_at is None:
            due_at = parts[-1][1] if approved else now + timedelta(hours=int(settings.get("invoice.due_hours")))
        inv = Invoice.create(deal=deal_id, number=f"PENDING-{uuid4().hex[:24]}", amount_minor=amount_minor,
                             currency=d.currency, issued_at=now, due_at=due_at, status="open")
        inv.number = f"INV-{now:%Y}-{inv.id:06d}"
        Invoice.update(number=inv.number).where(Invoice.id == inv.id).execute()
        record_changes(actor.login, "invoice", inv.id, {}, dict(number=inv.number, deal=deal_id,
                                                                amount=_amt(amount_minor, d.currency),
                                                                due_at=due_at, status="open"),
                       at=now, action="issue")
        record(actor.login, "deal", deal_id, "invoice", field="invoice", new=inv.number, at=now)
        if installments:
            plan = InstallmentPlan.create(invoice=inv, parts=installments, every_days=every_days,
                                          status="approved" if approved else "proposed",
                                          approved_by=actor.login if approved else None,
                                          approved_at=now if approved else None)
            for i, (part, when) in enumerate(parts, start=1):
                Installment.create(plan=plan, seq=i, amount_minor=part, due_at=when)
            record(actor.login, "invoice", inv.id, "plan", field="plan",
                   new=f"{installments} x every {every_days} days ({plan.status})", at=now)
        follow(actor.login, deal_id, now, f"invoice {inv.number} issued")
    return Invoice.get_by_id(inv.id)


def _plan_for(invoice_id: int) -> InstallmentPlan:
    plan = InstallmentPlan.get_or_none(InstallmentPlan.invoice == invoice_id)
    if plan is None:
        raise NotFound(f"Invoice {invoice_id} has no installment plan.")
    return plan


def approve_plan(actor: Rep, invoice_id: int, now: datetime) -> InstallmentPlan:
    """A manager makes the exception: the plan's parts replace the invoice's single due date."""
    require_manager(actor, "approve an installment plan")
    with write_txn():
        inv = _invoice(actor, invoice_id, lock=True)
        if inv.status == "cancelled":
            raise DomainError(f"Invoice {inv.number} is cancelled.")
        plan = _plan_for(invoice_id)
        if plan.status == "approved":
            raise NothingToDo(f"The plan of invoice {inv.number} is already approved ({plan.approved_by}).")
        InstallmentPlan.update(status="approved", approved_by=actor.login, approved_at=now,
                               version=InstallmentPlan.version + 1).where(InstallmentPlan.id == plan.id).execute()
        record(actor.login, "invoice", invoice_id, "approve_plan", field="plan", old=plan.status, new="approved",
               at=now)
        last = (Installment.select(fn.MAX(Installment.due_at)).where(Installment.plan == plan.id).scalar())
        if last is not None and last != inv.due_at:
            Invoice.update(due_at=last, version=Invoice.version + 1).where(Invoice.id == inv.id).execute()
            record(actor.login, "invoice", inv.id, "update", field="due_at", old=inv.due_at, new=last, at=now)
        follow(actor.login, inv.deal_id, now, f"installment plan of {inv.number} approved")
    return InstallmentPlan.get_by_id(plan.id)


def reject_plan(actor: Rep, invoice_id: int, now: datetime) -> InstallmentPlan:
    """A manager declines the exception: the invoice keeps its single due date."""
    require_manager(actor, "reject an installment plan")
    with write_txn():
        inv = _invoice(actor, invoice_id, lock=True)
        plan = _plan_for(invoice_id)
        if plan.status != "proposed":
            raise NothingToDo(f"The plan of invoice {inv.number} is {plan.status}, not waiting for a decision.")
        InstallmentPlan.update(status="rejected", version=InstallmentPlan.version + 1) \
            .where(InstallmentPlan.id == plan.id).execute()
        record(actor.login, "invoice", invoice_id, "reject_plan", field="plan", old=plan.status, new="rejected",
               at=now)
    return InstallmentPlan.get_by_id(plan.id)


def cancel_invoice(actor: Rep, invoice_id: int, reason: str, now: datetime) -> Invoice:
    """Cancel an invoice no money is kept on: nothing was paid, or what was paid is refunded (money received
    is returned with a credit note first). Credit notes still waiting for a manager are rejected with it."""
    if not (reason or "").strip():
        raise ValidationError("Cancelling an invoice needs its reason.", field="reason")
    with write_txn():
        inv = _invoice(actor, invoice_id, lock=True)
        if inv.status == "cancelled":
            raise NothingToDo(f"Invoice {inv.number} is already cancelled.")
        t = ledger.invoice_totals(inv)
        if t["paid"] > t["refunds"]:
            raise DomainError(f"Invoice {inv.number} has payments; return them with a credit note instead.")
        Invoice.update(status="cancelled", version=Invoice.version + 1).where(Invoice.id == inv.id).execute()
        record(actor.login, "invoice", inv.id, "cancel", field="status", old=inv.status, new="cancelled", at=now)
        record(actor.login, "invoice", inv.id, "cancel", field="reason", new=reason.strip(), at=now)
        for n in Note.select().where((Note.invoice == inv.id) & (Note.status == "proposed")):
            Note.update(status="rejected", decided_by=actor.login, decided_at=now).where(Note.id == n.id).execute()
            record(actor.login, "note", n.id, "reject", field="status", old="proposed", new="rejected", at=now,
                   cause=f"invoice {inv.number} cancelled")
        from .reminders import cancel_settled

        cancel_settled(actor.login, now, inv.id)
    return Invoice.get_by_id(inv.id)


def _settle(actor: Rep, inv: Invoice, now: datetime, before: dict, cause: str | None = None) -> dict:
    """After money moved: mark the parts now covered paid (oldest first), cancel their pending reminders,
    keep the stored status right (audited) and the client's last purchase (when money was kept, not all
    refunded); an invoice settled in full moves its deal forward (follow, audited with CAUSE, default
    "invoice N paid in full"). Returns the new totals."""
    t = ledger.invoice_totals(inv)
    parts = ledger.installments_of(inv.id)
    covered = ledger.covered_installments(parts, t)
    newly = [p for p in parts if p.id in covered and p.paid_at is None]
    if newly:
        Installment.update(paid_at=now).where(Installment.id.in_([p.id for p in newly])).execute()
        for p in newly:
            record(actor.login, "invoice", inv.id, "installment_paid", field=f"part {p.seq}",
                   old="due", new="paid", at=now)
        from .reminders import cancel_settled

        cancel_settled(actor.login, now, inv.id)
    if t["balance"] != before["balance"]:
        record(actor.login, "invoice", inv.id, "update", field="balance", old=_amt(before["balance"], inv.currency),
               new=_amt(t["balance"], inv.currency), at=now)
    status = ledger.stored_status(inv, t)
    if status != inv.status:
        Invoice.update(status=status, version=Invoice.version + 1).where(Invoice.id == inv.id).execute()
        record(actor.login, "invoice", inv.id, "update", field="status", old=inv.status, new=status, at=now)
        if status == "paid":
            follow(actor.login, inv.deal_id, now, cause or f"invoice {inv.number} paid in full")
            deal = Deal.get_by_id(inv.deal_id)
            old = Client.get_by_id(deal.client_id).last_purchase_at
            if t["paid"] > t["refunds"] and (old is None or old < now):
                Client.update(last_purchase_at=now).where(Client.id == deal.client_id).execute()
                record(actor.login, "client", deal.client_id, "update", field="last_purchase_at", old=old, new=now,
                       at=now)
                from .segments import refresh_segment

                refresh_segment(deal.client_id, now)  # a purchase makes the client hot at once
    return t


def record_payment(actor: Rep, invoice_id: int, amount_minor: int, now: datetime, method: str = "transfer",
                   failed: bool = False, reason: str | None = None) -> Payment:
    """Record money received (allocated to the oldest unpaid parts) or a failed attempt (which keeps its
    reason and opens one follow-up task for the deal's owner at once). More than the balance is refused."""
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool):
        raise ValidationError("A payment amount is a whole number of minor units.", field="amount")
    if amount_minor <= 0:
        raise ValidationError("A payment is a positive amount.", field="amount")
    method = (method or "transfer").strip()[:30] or "transfer"
    reason = (reason or "").strip() or None
    if failed and not reason:
        raise ValidationError("A failed payment needs its reason.", field="reason")
    with write_txn():
        inv = _invoice(actor, invoice_id, lock=True)
        if inv.status == "cancelled":
            raise DomainError(f"Invoice {inv.number} is cancelled; it takes no payments.")
        before = ledger.invoice_totals(inv)
        if not failed:
            if before["balance"] <= 0:
                raise ValidationError(f"Invoice {inv.number} is already paid in full.", field="amount")
            if amount_minor > before["balance"]:
                raise ValidationError(
                    f"{_amt(amount_minor, inv.currency)} is more than the balance of "
                    f"{_amt(before['balance'], inv.currency)} on invoice {inv.number}; overpayment is refused.",
                    field="amount")
        p = Payment.create(invoice=inv, amount_minor=amount_minor, currency=inv.currency, method=method,
                           status="failed" if failed else "ok", reason=reason, received_at=now,
                           recorded_by=actor.login)
        record_changes(actor.login, "payment", p.id, {},
                       dict(invoice=inv.number, amount=_amt(amount_minor, inv.currency), method=method,
                            status=p.status, reason=reason), at=now, action="failed" if failed else "received")
        deal = Deal.get_by_id(inv.deal_id)
        if failed:
            create_task(actor.login, deal.owner_id or actor.id,
                        one_line(f"Follow up failed payment on {inv.number} "
                                 f"({_amt(amount_minor, inv.currency)}): {reason}", 300), now,
                        now=now, deal_id=deal.id, client_id=deal.client_id, note=reason,
                        origin=f"failed-payment:{p.id}")
            record(actor.login, "invoice", inv.id, "payment_failed", field="payment", new=f"{p.id}: {reason}", at=now)
        else:
            _settle(actor, inv, now, before)
    return p


def _note_waits(actor: Rep, kind: str, amount_minor: int, invoice_id: int) -> bool:
    """A rep's credit notes above credit.rep_limit wait for a manager; managers' and debit notes do not. The
    limit counts what the rep already credited on the invoice without a manager, so ten small notes are not
    a way around one large one."""
    if kind != "credit" or not sees_only_own(actor):
        return False
    already = (Note.select(fn.COALESCE(fn.SUM(Note.amount_minor), 0))
               .where((Note.invoice == invoice_id) & (Note.kind == "credit") & (Note.status == "approved")
                      & (Note.created_by == actor.login) & (Note.decided_by == actor.login)).scalar()) or 0
    return int(already) + amount_minor > int(settings.get("credit.rep_limit"))


def _check_credit_room(inv: Invoice, amount_minor: int, totals: dict) -> None:
    room = ledger.credit_room(totals)
    if amount_minor > room:
        owed, kept = max(0, totals["balance"]), max(0, totals["paid"] - totals["refunds"])
        raise ValidationError(
            f"A credit note of {_amt(amount_minor, inv.currency)} is more than invoice {inv.number} can take: "
            f"{_amt(owed, inv.currency)} still owed plus {_amt(kept, inv.currency)} paid, at most "
            f"{_amt(room, inv.currency)}.", field="amount")


def _apply_credit(actor: Rep, inv: Invoice, note: Note, now: datetime, before: dict) -> Refund | None:
    """The approved credit NOTE's refund due (the part beyond what was still owed), recorded with it."""
    part = ledger.refund_part(before, note.amount_minor)
    if part <= 0:
        return None
    r = Refund.create(invoice=inv, note=note.id, amount_minor=part, currency=inv.currency, status="due",
                      created_at=now, created_by=actor.login)
    record_changes(actor.login, "refund", r.id, {}, dict(invoice=inv.number, note=note.id,
                                                         amount=_amt(part, inv.currency), status="due"),
                   at=now, action="create")
    record(actor.login, "invoice", inv.id, "refund_due", field="refund", new=f"{r.id}: {_amt(part, inv.currency)}",
           at=now, cause=f"credit note {note.id}")
    return r


def add_note(actor: Rep, invoice_id: int, kind: str, amount_minor: int, reason: str, now: datetime) -> Note:
    """A credit note (lowers the balance: a discount, a return) or a debit note (raises it: delivery, a
    fee), with its reason. A credit note is limited to what is still owed plus what was paid; the part
    beyond what is owed is a refund due (recorded when the note takes effect), so the balance never goes
    below zero. A rep's credit note above credit.rep_limit is proposed (status "proposed"): it waits for a
    manager (decide_note) and changes nothing until approved. Debit notes need no approval."""
    if kind not in ("credit", "debit"):
        raise ValidationError("A note is a credit or a debit note.", field="kind")
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        raise ValidationError("A note is a positive amount.", field="amount")
    if not (reason or "").strip():
        raise ValidationError("A note needs its reason.", field="reason")
    reason = reason.strip()
    with write_txn():
        inv = _invoice(actor, invoice_id, lock=True)
        if inv.status == "cancelled":
            raise DomainError(f"Invoice {inv.number} is cancelled; it takes no notes.")
        before = ledger.invoice_totals(inv)
        if kind == "credit":
            _check_credit_room(inv, amount_minor, before)
        waits = _note_waits(actor, kind, amount_minor, inv.id)
        status = "proposed" if waits else "approved"
        n = Note.create(invoice=inv, kind=kind, amount_minor=amount_minor, reason=reason, created_at=now,
                        created_by=actor.login, status=status, decided_by=None if waits else actor.login,
                        decided_at=None if waits else now)
        record_changes(actor.login, "note", n.id, {}, dict(invoice=inv.number, kind=kind,
                                                           amount=_amt(amount_minor, inv.currency),
                                                           reason=reason, status=status), at=now, action="create")
        record(actor.login, "invoice", inv.id, f"{kind}_note", field="note",
               new=f"{n.id}: {reason}" + (" (waits for a manager)" if waits else ""), at=now)
        if not waits:
            if kind == "credit":
                _apply_credit(actor, inv, n, now, before)
            _settle(actor, inv, now, before, cause=f"invoice {inv.number} settled by credit note {n.id}"
                    if kind == "credit" else None)
    return Note.get_by_id(n.id)


def decide_note(actor: Rep, note_id: int, approve: bool, now: datetime) -> Note:
    """A manager of the deal's team (or a director) approves or rejects a proposed credit note. Approving
    applies it then: the limit (still owed plus paid) is checked again on today's balance, and the refund
    due, if any, is recorded with it. Audited."""
    what = "approve a credit note" if approve else "reject a credit note"
    require_manager(actor, what)
    with write_txn():
        n = Note.get_or_none(Note.id == note_id)
        if n is None:
            raise NotYours("note", note_id)
        inv = _invoice(actor, n.invoice_id, lock=True)
        n = Note.get_by_id(note_id)  # read again under the invoice's lock: a second decider sees the first
        if n.status != "proposed":
            by = f" by {n.decided_by}" if n.decided_by else ""
            raise NothingToDo(f"Note {note_id} is already {n.status}{by}; it is not waiting for a decision.")
        if approve and inv.status == "cancelled":
            raise DomainError(f"Invoice {inv.number} is cancelled; note {note_id} can only be rejected.")
        status = "approved" if approve else "rejected"
        before = ledger.invoice_totals(inv)
        if approve:
            _check_credit_room(inv, n.amount_minor, before)
        Note.update(status=status, decided_by=actor.login, decided_at=now).where(Note.id == n.id).execute()
        record(actor.login, "note", n.id, "approve" if approve else "reject", field="status", old="proposed",
               new=status, at=now)
        record(actor.login, "invoice", inv.id, "approve_note" if approve else "reject_note", field="note",
               old="proposed", new=f"{n.id}: {status}", at=now)
        if approve:
            n = Note.get_by_id(n.id)
            _apply_credit(actor, inv, n, now, before)
            _settle(actor, inv, now, before, cause=f"credit note {n.id} on {inv.number} approved")
    return Note.get_by_id(note_id)


def note_dict(n: Note) -> dict:
    inv = Invoice.get_by_id(n.invoice_id)
    return dict(id=n.id, invoice_id=n.invoice_id, number=inv.number, kind=n.kind,
                amount=plain_amount(n.amount_minor, inv.currency), amount_minor=n.amount_minor,
                currency=inv.currency, reason=n.reason, status=n.status, created_at=iso(n.created_at),
                created_by=n.created_by, decided_by=n.decided_by, decided_at=iso(n.decided_at))


# ---------------------------------------------------------------- refunds


def list_refunds(actor: Rep, status: str | None = "due", limit: int = 500) -> list[Refund]:
    """Refunds in view (STATUS due or paid; None: both), oldest first; invoice joined."""
    if status not in (None, "due", "paid"):
        raise ValidationError("A refund is due or paid.", field="status")
    q = scope(Refund.select(Refund, Invoice).join(Invoice).join(Deal), actor, Deal.owner, Deal.team)
    if status:
        q = q.where(Refund.status == status)
    return list(q.order_by(Refund.created_at, Refund.id).limit(limit))


def mark_refund_paid(actor: Rep, refund_id: int, now: datetime) -> Refund:
    """The money owed back was paid out to the client (the balance already counts the refund)."""
    with write_txn():
        r = Refund.get_or_none(Refund.id == refund_id)
        if r is None:
            raise NotYours("refund", refund_id)
        _invoice(actor, r.invoice_id, lock=True)
        r = Refund.get_by_id(refund_id)
        if r.status == "paid":
            raise NothingToDo(f"Refund {refund_id} was already paid ({iso(r.paid_at)}).")
        Refund.update(status="paid", paid_at=now).where(Refund.id == refund_id).execute()
        record(actor.login, "refund", refund_id, "paid", field="status", old="due", new="paid", at=now)
        record(actor.login, "invoice", r.invoice_id, "refund_paid", field="refund",
               new=f"{refund_id}: {_amt(r.amount_minor, r.currency)} paid", at=now)
    return Refund.get_by_id(refund_id)


def refund_dict(r: Refund) -> dict:
    inv = Invoice.get_by_id(r.invoice_id)
    return dict(id=r.id, invoice_id=r.invoice_id, number=inv.number, note_id=r.note_id,
                amount=plain_amount(r.amount_minor, r.currency), amount_minor=r.amount_minor, currency=r.currency,
                status=r.status, created_at=iso(r.created_at), created_by=r.created_by, paid_at=iso(r.paid_at))


def mark_followed_up(actor: Rep, payment_id: int, now: datetime) -> Payment:
    """A failed payment was followed up: it leaves the top of the Payments screen (its task is closed too)."""
    with write_txn():
        p = Payment.get_or_none(Payment.id == payment_id)
        if p is None:
            raise NotYours("payment", payment_id)
        _invoice(actor, p.invoice_id)
        if p.status != "failed":
            raise ValidationError(f"Payment {payment_id} did not fail; there is nothing to follow up.")
        if p.followed_up_at is not None:
            raise NothingToDo(f"Payment {payment_id} was already followed up ({iso(p.followed_up_at)}).")
        Payment.update(followed_up_at=now).where(Payment.id == payment_id).execute()
        record(actor.login, "payment", payment_id, "followed_up", field="followed_up_at", new=now, at=now)
        from .tables import Activity

        task = Activity.get_or_none(Activity.origin == f"failed-payment:{payment_id}")
        if task is not None and task.done_at is None:
            Activity.update(done_at=now, version=Activity.version + 1).where(Activity.id == task.id).execute()
            record(actor.login, "activity", task.id, "update", field="done_at", new=now, at=now)
    return Payment.get_by_id(payment_id)


# ---------------------------------------------------------------- reading


def invoice_history(actor: Rep, invoice_id: int) -> tuple[list[Payment], list[Note]]:
    """The invoice's payments and credit/debit notes, oldest first (for the invoice's detail)."""
    _invoice(actor, invoice_id)
    payments = list(Payment.select().where(Payment.invoice == invoice_id).order_by(Payment.received_at, Payment.id))
    notes = list(Note.select().where(Note.invoice == invoice_id).order_by(Note.created_at, Note.id))
    return payments, notes


def get_invoice(actor: Rep, invoice_id: int) -> Invoice:
    return _invoice(actor, invoice_id)


def invoice_status(inv: Invoice, now: datetime) -> str:
    return ledger.invoice_status(inv, now)


def installment_status(part: Installment, covered: set[int], now: datetime) -> str:
    if part.id in covered or part.paid_at is not None:
        return "paid"
    return "overdue" if part.due_at < now else "due"


def invoice_dict(inv: Invoice, now: datetime, totals: dict | None = None) -> dict:
    t = totals if totals is not None else ledger.invoice_totals(inv)
    plan = ledger.plan_of(inv.id)
    parts = ledger.installments_of(inv.id) if plan else []
    covered = ledger.covered_installments(parts, t)
    cur = inv.currency
    return dict(id=inv.id, number=inv.number, deal_id=inv.deal_id, currency=cur,
                amount=plain_amount(inv.amount_minor, cur), paid=plain_amount(t["paid"], cur),
                credits=plain_amount(t["credits"], cur), debits=plain_amount(t["debits"], cur),
                refunds=plain_amount(t["refunds"], cur),
                balance=plain_amount(t["balance"], cur), balance_minor=t["balance"],
                status=ledger.invoice_status(inv, now, t, plan, parts),
                issued_at=iso(inv.issued_at), due_at=iso(inv.due_at),
                plan=plan.status if plan else None, plan_approved_by=plan.approved_by if plan else None,
                installments=[dict(seq=p.seq, amount=plain_amount(p.amount_minor, cur), due_at=iso(p.due_at),
                                   status=installment_status(p, covered, now), paid_at=iso(p.paid_at))
                              for p in parts])


def payment_dict(p: Payment) -> dict:
    return dict(id=p.id, invoice_id=p.invoice_id, amount=plain_amount(p.amount_minor, p.currency),
                currency=p.currency, method=p.method, status=p.status, reason=p.reason,
                received_at=iso(p.received_at), followed_up_at=iso(p.followed_up_at), recorded_by=p.recorded_by)


def _scoped_invoices(actor: Rep):
    return scope(Invoice.select(Invoice).join(Deal), actor, Deal.owner, Deal.team)


def list_invoices(actor: Rep, now: datetime, overdue: bool = False, limit: int = 200) -> list[Invoice]:
    if overdue:
        return overdue_invoice_rows(actor, now, limit)
    return list(_scoped_invoices(actor).order_by(Invoice.due_at, Invoice.id).limit(limit))


def overdue_invoice_rows(actor: Rep, now: datetime, limit: int = 500) -> list[Invoice]:
    late_parts = (InstallmentPlan.select(InstallmentPlan.invoice).join(Installment)
                  .where((InstallmentPlan.status == "approved") & Installment.paid_at.is_null()
                         & (Installment.due_at < now)))
    rows = list(_scoped_invoices(actor)
                .where((Invoice.status != "cancelled") & (Invoice.status != "paid")
                       & ((Invoice.due_at < now) | Invoice.id.in_(late_parts)))
                .order_by(Invoice.due_at, Invoice.id).limit(limit * 2))
    totals = ledger.totals_for(rows)
    return [i for i in rows if ledger.invoice_status(i, now, totals[i.id]) == "overdue"][:limit]


def overdue_invoices(actor: Rep, now: datetime, limit: int = 500) -> list[dict]:
    """Invoices past due with money still owed, oldest due first (as invoice dicts)."""
    rows = overdue_invoice_rows(actor, now, limit)
    totals = ledger.totals_for(rows)
    return [invoice_dict(i, now, totals[i.id]) for i in rows]


def failed_unfollowed(actor: Rep, limit: int = 100) -> list[Payment]:
    """Failed payments nobody has followed up yet, newest first (invoice joined)."""
    return list(scope(Payment.select(Payment, Invoice).join(Invoice).join(Deal)
                      .where((Payment.status == "failed") & Payment.followed_up_at.is_null()),
                      actor, Deal.owner, Deal.team).order_by(Payment.received_at.desc(), Payment.id.desc())
                .limit(limit))


def installments_due(actor: Rep, now: datetime, days: int = 7, limit: int = 100) -> list[Installment]:
    """Unpaid parts of approved plans due within DAYS (overdue ones included), soonest first."""
    return list(scope(Installment.select(Installment, InstallmentPlan, Invoice).join(InstallmentPlan)
                      .join(Invoice).join(Deal)
                      .where(Installment.paid_at.is_null() & (InstallmentPlan.status == "approved")
                             & (Invoice.status != "cancelled") & (Installment.due_at <= now + timedelta(days=days))),
                      actor, Deal.owner, Deal.team).order_by(Installment.due_at, Installment.id).limit(limit))


def payments_today(actor: Rep, now: datetime, tz: str | None = None, limit: int = 200) -> list[Payment]:
    """Money received today in TZ (default the actor's zone), newest first."""
    start, end = day_bounds(now, tz or getattr(actor, "timezone", None))
    return list(scope(Payment.select(Payment, Invoice).join(Invoice).join(Deal)
                      .where((Payment.status == "ok") & (Payment.received_at >= start) & (Payment.received_at < end)),
                      actor, Deal.owner, Deal.team).order_by(Payment.received_at.desc(), Payment.id.desc())
                .limit(limit))


def shipments_waiting(actor: Rep, limit: int = 200) -> list[dict]:
    """Deals with an agreement or a live invoice and no order yet, with WHY they cannot ship
    ("no signed agreement", "not paid", "plan not approved"); ready ones have an empty `why`."""
    lost = Stage.select(Stage.id).where(Stage.key == "lost")
    candidates = (Deal.id.in_(Invoice.select(Invoice.deal).where(Invoice.status != "cancelled"))
                  | Deal.id.in_(Agreement.select(Agreement.deal)))
    q = scope(Deal.select(Deal, Client).join(Client).switch(Deal)
              .join(Order, JOIN.LEFT_OUTER, on=(Order.deal == Deal.id))
              .where(candidates & (Order.id.is_null() | (Order.status == "cancelled")) & Deal.stage.not_in(lost)),
              actor, Deal.owner, Deal.team).order_by(Deal.id).limit(limit)
    out = []
    for d in q:
        ag = Agreement.get_or_none(Agreement.deal == d.id)
        why = ledger.shipment_blockers(d.id)
        out.append(dict(deal_id=d.id, title=d.title, client=d.client.name, owner_id=d.owner_id,
                        agreement=ag.status if ag else None, paid=ledger.deal_paid_in_full(d.id),
                        plan_approved=ledger.deal_plan_approved(d.id), why=why, ready=not why))
    out.sort(key=lambda w: (w["ready"], w["deal_id"]))  # blocked first
    return out


def totals_by_currency(actor: Rep, now: datetime, tz: str | None = None) -> dict[str, dict[str, int]]:
    """Per currency, in minor units: open balance, of which overdue, and received today."""
    rows = list(_scoped_invoices(actor).where(Invoice.status.not_in(("cancelled", "paid"))))
    totals = ledger.totals_for(rows)
    out: dict[str, dict[str, int]] = {}
    for i in rows:
        t = totals[i.id]
        if t["balance"] <= 0:
            continue
        cur = out.setdefault(i.currency, {"open": 0, "overdue": 0, "today": 0})
        cur["open"] += t["balance"]
        if ledger.invoice_status(i, now, t) == "overdue":
            cur["overdue"] += t["balance"]
    for p in payments_today(actor, now, tz, limit=100000):
        out.setdefault(p.currency, {"open": 0, "overdue": 0, "today": 0})["today"] += p.amount_minor
    return out


def overview(actor: Rep, now: datetime, tz: str | None = None) -> dict:
    """What the Payments screen shows, role-scoped: failed payments not followed up, overdue invoices,
    installments due this week, payments received today, shipments waiting and why, totals per currency."""
    waiting = shipments_waiting(actor)
    for w in waiting:
        if not w["why"]:
            w["why"] = ["ready to send to the warehouse"]
    return dict(failed=failed_unfollowed(actor), overdue=overdue_invoices(actor, now),
                installments=installments_due(actor, now), today=payments_today(actor, now, tz),
                waiting=waiting[:50], totals=totals_by_currency(actor, now, tz))
