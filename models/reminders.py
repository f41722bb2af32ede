"""Installment reminders: the client hears about an approved plan at its issue (one message with the
schedule), at mid-term of each part (half-way between issue and the part's due date) and on the eve of
each part (the day before); never more, never after the part is paid, never twice.

`sweep_reminders(now)` creates the ones whose moment has come, exactly once however often and however
many processes run it (Reminder.key is unique: "plan:{id}:issue", "inst:{id}:mid", "inst:{id}:eve").
Each moment has a window that ends where the next one starts (mid until the eve, the eve until the due
time): a sweep that did not run for days does not send a pile of stale reminders at once, and a part
already due gets none (it is on the overdue list). Moments that would coincide are merged (a mid-term
at or after the eve, an eve at or before the plan's start, are skipped).

Reminders go to an outbox the rep works through; `send_reminder` hands one to a transport (SMTP relay
for e-mail, a configured command for SMS) and records what happened.
"""
from __future__ import annotations

import shlex
import smtplib
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from peewee import IntegrityError

from . import settings
from .audit import SYSTEM, record
from .clock import iso
from .engine import database, is_postgres, write_txn
from .errors import DomainError, NotYours, NothingToDo, ValidationError
from .money import format_amount
from .tables import Client, Deal, Installment, InstallmentPlan, Invoice, Reminder, Rep


def _check_sms(value) -> None:
    if value is not None and not (
            isinstance(value, str) or (isinstance(value, list) and value and all(isinstance(x, str) for x in value))):
        raise ValidationError("sms.command is a command line (a string, or a list of strings), or null.",
                              field="value")


settings.declare("smtp.host", "localhost", check=settings.non_empty_text("smtp.host"),
                 doc="Payment reminders by e-mail go through this SMTP relay (no authentication).")
settings.declare("smtp.port", 25, check=settings.ranged("smtp.port", 1, 65535))
settings.declare("smtp.from", "repdesk@localhost", check=settings.non_empty_text("smtp.from"))
settings.declare("smtp.timeout", 15, check=settings.ranged("smtp.timeout", 1, 600))
settings.declare("sms.command", None, check=_check_sms,
                 doc="Reminders by SMS run this command with the number and the text as two more arguments "
                     '(no shell): a list ["/usr/local/bin/send-sms", "--sender", "ACME"] or a string.')

SEND_STALE = timedelta(minutes=10)  # a "sending" claim older than this (a crashed sender) may be retried


class ReminderNotSent(DomainError):
    """The transport refused or failed; the reminder is marked failed with the error."""


def setting(key: str):
    """A team-wide setting (models.settings: smtp.*, sms.command ...)."""
    return settings.get(key)


# ---------------------------------------------------------------- moments


def plan_start(plan: InstallmentPlan, invoice: Invoice) -> datetime:
    """When the client can first hear about the plan: its issue, or its approval if that came later."""
    return max(invoice.issued_at, plan.approved_at or invoice.issued_at)


def part_moments(start: datetime, issued_at: datetime, due_at: datetime) -> list[tuple[str, datetime, datetime]]:
    """(kind, from, until) windows of one part's reminders: mid-term and eve, merged when they coincide."""
    mid = issued_at + (due_at - issued_at) / 2
    eve = due_at - timedelta(days=1)
    has_eve = eve > start  # an eve at or before the start is said by the issue message already
    out = []
    if start < mid and (mid < eve or not has_eve):  # a mid-term on (or after) the eve merges into it
        out.append(("mid", mid, eve if has_eve else due_at))
    if has_eve:
        out.append(("eve", eve, due_at))
    return out


def moments(issued_at: datetime, due_at: datetime) -> list[tuple[str, datetime]]:
    """The reminder moments of one part of a plan issued (and approved) at ISSUED_AT."""
    return [("issue", issued_at)] + [(k, at) for k, at, _ in part_moments(issued_at, issued_at, due_at)]


def _date(d: datetime) -> str:
    return f"{d:%d %b %Y}"


def issue_text(client: Client, inv: Invoice, parts: list[Installment]) -> str:
    schedule = "; ".join(f"part {p.seq}: {format_amount(p.amount_minor, inv.currency)} due {_date(p.due_at)}"
                         for p in parts)
    return (f"Dear {client.name}, thank you for your order. Invoice {inv.number} "
            f"({format_amount(sum(p.amount_minor for p in parts), inv.currency)} outstanding) is payable in "
            f"installments: {schedule}.")


def part_text(kind: str, client: Client, inv: Invoice, part: Installment, parts_total: int) -> str:
    what = (f"part {part.seq} of {parts_total} of invoice {inv.number}, "
            f"{format_amount(part.amount_minor, inv.currency)}")
    if kind == "eve":
        return f"Dear {client.name}, a reminder that {what}, is due tomorrow, {_date(part.due_at)}."
    return f"Dear {client.name}, a friendly reminder that {what}, is due on {_date(part.due_at)}."


def _channel(client: Client) -> tuple[str, str]:
    if client.email:
        return "email", client.email
    return "sms", client.phone or ""


# ---------------------------------------------------------------- sweep


def _wanted(plan: InstallmentPlan, inv: Invoice, client: Client, parts: list[Installment],
            now: datetime) -> list[tuple[str, dict]]:
    """(key, fields) of the reminders of one plan whose moment has come at NOW."""
    unpaid = [p for p in parts if p.paid_at is None]
    start = plan_start(plan, inv)
    out = []
    if start <= now and any(p.due_at > now for p in unpaid):
        out.append((f"plan:{plan.id}:issue", dict(installment=None, kind="issue", due_at=start,
                                                  text=issue_text(client, inv, unpaid))))
    for p in unpaid:
        for kind, since, until in part_moments(start, inv.issued_at, p.due_at):
            if since <= now < until:
                out.append((f"inst:{p.id}:{kind}", dict(installment=p.id, kind=kind, due_at=since,
                                                        text=part_text(kind, client, inv, p, len(parts)))))
    return out


def _sweep_plan(plan_id: int, now: datetime) -> int:
    """Create the due reminders of one plan in one transaction, reading again under the lock: the invoice
    row FOR UPDATE on PostgreSQL (SQLite's BEGIN IMMEDIATE already serialises), so a payment recorded
    meanwhile is seen and its part gets nothing."""
    made = 0
    with write_txn():
        plan = InstallmentPlan.get_or_none(InstallmentPlan.id == plan_id)
        if plan is None or plan.status != "approved":
            return 0
        q = Invoice.select().where(Invoice.id == plan.invoice_id)
        inv = (q.for_update() if is_postgres() else q).get()
        if inv.status == "cancelled":
            return 0
        deal = Deal.get_by_id(inv.deal_id)
        client = Client.get_by_id(deal.client_id)
        parts = list(Installment.select().where(Installment.plan == plan.id).order_by(Installment.seq))
        channel, recipient = _channel(client)
        common = dict(invoice=inv.id, rep=deal.owner_id, channel=channel, recipient=recipient)
        for key, fields in _wanted(plan, inv, client, parts, now):
            if Reminder.select().where(Reminder.key == key).exists():
                continue
            try:
                with database.atomic():  # savepoint
                    r = Reminder.create(key=key, **common, **fields)
            except IntegrityError:
                continue  # another sweep made it first
            record(SYSTEM, "reminder", r.id, "create", field="key", new=key, at=now)
            made += 1
    return made


def _chunks(items: list, size: int = 500):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def sweep_reminders(now: datetime) -> int:
    """Create the reminders that are due by NOW and not created yet; returns how many this call created.
    Also cancels pending reminders of parts since paid and of cancelled invoices.

    A read-only pass finds the plans that miss a reminder (a few batched queries, no lock), so a sweep
    every minute with nothing to do never takes the write lock; only those plans get a transaction."""
    plans = list(InstallmentPlan.select(InstallmentPlan, Invoice, Deal, Client)
                 .join(Invoice).join(Deal).join(Client)
                 .where((InstallmentPlan.status == "approved") & (Invoice.status != "cancelled")
                        & (Invoice.issued_at <= now)
                        & InstallmentPlan.id.in_(Installment.select(Installment.plan)
                                                 .where(Installment.paid_at.is_null() & (Installment.due_at > now))))
                 .order_by(InstallmentPlan.id))
    parts: dict[int, list[Installment]] = {}
    for chunk in _chunks([p.id for p in plans]):
        for part in Installment.select().where(Installment.plan.in_(chunk)).order_by(Installment.seq):
            parts.setdefault(part.plan_id, []).append(part)
    wanted = {p.id: [k for k, _ in _wanted(p, p.invoice, p.invoice.deal.client, parts.get(p.id, []), now)]
              for p in plans}
    keys = [k for ks in wanted.values() for k in ks]
    existing: set[str] = set()
    for chunk in _chunks(keys):
        existing.update(k for (k,) in Reminder.select(Reminder.key).where(Reminder.key.in_(chunk)).tuples())
    created = sum(_sweep_plan(pid, now) for pid, ks in wanted.items() if any(k not in existing for k in ks))
    cancel_settled(SYSTEM, now)
    return created


def cancel_settled(actor: str, now: datetime, invoice_id: int | None = None) -> int:
    """Cancel pending reminders that no longer have a reason: their part is paid, every part of their
    plan is paid (the issue message), or their invoice is cancelled. Runs in the caller's transaction."""
    paid_parts = Installment.select(Installment.id).where(Installment.paid_at.is_null(False))
    open_plans = InstallmentPlan.select(InstallmentPlan.invoice).join(Installment).where(
        Installment.paid_at.is_null())
    dead = Invoice.select(Invoice.id).where(Invoice.status == "cancelled")
    cond = (Reminder.status.in_(("pending", "failed"))
            & (Reminder.installment.in_(paid_parts)
               | (Reminder.installment.is_null() & Reminder.invoice.not_in(open_plans))
               | Reminder.invoice.in_(dead)))
    if invoice_id is not None:
        cond &= Reminder.invoice == invoice_id
    if database.transaction_depth() == 0 and not Reminder.select().where(cond).exists():
        return 0  # nothing to do: do not take the write lock
    with write_txn():
        ids = [r.id for r in Reminder.select(Reminder.id).where(cond)]
        if not ids:
            return 0
        Reminder.update(status="cancelled").where(Reminder.id.in_(ids) & Reminder.status.in_(
            ("pending", "failed"))).execute()
        for rid in ids:
            record(actor, "reminder", rid, "cancel", field="status", old="pending", new="cancelled", at=now)
    return len(ids)


# ---------------------------------------------------------------- outbox


def reminder_dict(r: Reminder) -> dict:
    inv = r.invoice
    return dict(id=r.id, key=r.key, kind=r.kind, channel=r.channel, recipient=r.recipient, text=r.text,
                due_at=iso(r.due_at), status=r.status, error=r.error, sent_at=iso(r.sent_at),
                invoice_id=r.invoice_id, invoice=inv.number, deal_id=inv.deal_id, installment_id=r.installment_id,
                client=inv.deal.client.name, rep=r.rep.login if r.rep_id else None)


def outbox(actor: Rep, include_failed: bool = True, limit: int = 500) -> list[dict]:
    """Reminders waiting to be sent (and failed ones to retry), oldest first, role-scoped."""
    from .access import scope

    statuses = ("pending", "failed", "sending") if include_failed else ("pending",)
    q = scope(Reminder.select(Reminder, Invoice, Deal, Client).join(Invoice).join(Deal).join(Client)
              .where(Reminder.status.in_(statuses)),
              actor, Deal.owner, Deal.team).order_by(Reminder.due_at, Reminder.id).limit(limit)
    return [reminder_dict(r) for r in q]


# ---------------------------------------------------------------- sending


@dataclass
class Message:
    channel: str  # email | sms
    recipient: str
    subject: str
    text: str


class SmtpTransport:
    """E-mail through an SMTP relay (no authentication: a relay on the host or the LAN)."""

    def __init__(self, host: str = "localhost", port: int = 25, sender: str = "repdesk@localhost",
                 timeout: float = 15):
        self.host, self.port, self.sender, self.timeout = host, int(port), sender, timeout

    @classmethod
    def from_settings(cls) -> "SmtpTransport":
        return cls(setting("smtp.host") or "localhost", int(setting("smtp.port") or 25),
                   setting("smtp.from") or "repdesk@localhost", float(setting("smtp.timeout") or 15))

    def send(self, message: Message) -> None:
        if not message.recipient:
            raise ValueError("the client has no e-mail address")
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = message.recipient
        msg["Subject"] = message.subject
        msg.set_content(message.text)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(msg)


class SmsCommandTransport:
    """SMS through a command that receives the number and the text as two arguments (no shell)."""

    def __init__(self, command: list[str] | str | None, timeout: float = 30):
        if isinstance(command, str):
            command = shlex.split(command)
        self.command = list(command or [])
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> "SmsCommandTransport":
        return cls(setting("sms.command"))

    def send(self, message: Message) -> None:
        if not self.command:
            raise ValueError("no SMS command is configured (setting sms.command)")
        if not message.recipient:
            raise ValueError("the client has no phone number")
        try:
            done = subprocess.run([*self.command, message.recipient, message.text], capture_output=True,
                                  text=True, timeout=self.timeout, shell=False, stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            raise ValueError(f"the SMS command {self.command[0]!r} was not found") from None
        except subprocess.TimeoutExpired:
            raise ValueError(f"the SMS command took longer than {self.timeout:g} seconds") from None
        if done.returncode != 0:
            lines = (done.stderr or done.stdout or "").strip().splitlines()
            raise ValueError(f"the SMS command exited with {done.returncode}"
                             + (f": {lines[0][:200]}" if lines else ""))


def transport_for(channel: str):
    return SmtpTransport.from_settings() if channel == "email" else SmsCommandTransport.from_settings()


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, (ValueError,)) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def send_reminder(actor: Rep, reminder_id: int, now: datetime, transport=None) -> dict:
    """Send one reminder from the outbox through TRANSPORT (default: SMTP for e-mail, the SMS command for
    SMS) and mark it sent, or failed with the error (then ReminderNotSent is raised).

    The reminder is claimed first (a guarded UPDATE), so two reps pressing send at once send it once;
    the transport runs outside any transaction (a slow relay never holds the database's write lock).
    """
    from .access import check_deal

    with write_txn():
        r = Reminder.get_or_none(Reminder.id == reminder_id)
        if r is None:
            raise NotYours("reminder", reminder_id)
        inv = Invoice.get_by_id(r.invoice_id)
        check_deal(actor, Deal.get_by_id(inv.deal_id))
        if r.status == "sent":
            raise NothingToDo(f"Reminder {reminder_id} was already sent ({iso(r.sent_at)}).")
        if r.status == "cancelled":
            raise NothingToDo(f"Reminder {reminder_id} was cancelled (the part is paid or the invoice cancelled).")
        if r.status == "sending" and r.sent_at and r.sent_at > now - SEND_STALE:
            raise NothingToDo(f"Reminder {reminder_id} is being sent right now.")
        paid = r.installment_id and Installment.get_by_id(r.installment_id).paid_at is not None
        if paid or inv.status == "cancelled":
            Reminder.update(status="cancelled").where(Reminder.id == r.id).execute()
            record(actor.login, "reminder", r.id, "cancel", field="status", old=r.status, new="cancelled", at=now)
            raise NothingToDo(f"Reminder {reminder_id} is no longer needed (the part is paid); it was cancelled.")
        # guarded on status AND the claim time read: two retries of a stale "sending" claim cannot both win
        same_claim = Reminder.sent_at.is_null() if r.sent_at is None else (Reminder.sent_at == r.sent_at)
        claimed = (Reminder.update(status="sending", sent_at=now)
                   .where((Reminder.id == r.id) & (Reminder.status == r.status) & same_claim).execute())
        if not claimed:
            raise NothingToDo(f"Reminder {reminder_id} is being sent right now.")
        old_status = r.status
    message = Message(r.channel, r.recipient, f"Payment reminder: invoice {inv.number}", r.text)
    error = None
    try:
        (transport or transport_for(r.channel)).send(message)
    except Exception as exc:  # any transport failure is recorded, not raised as a traceback
        error = _error_text(exc)
    with write_txn():
        if error is None:
            Reminder.update(status="sent", sent_at=now, error=None).where(Reminder.id == r.id).execute()
            record(actor.login, "reminder", r.id, "send", field="status", old=old_status, new="sent", at=now)
        else:
            Reminder.update(status="failed", sent_at=None, error=error).where(Reminder.id == r.id).execute()
            record(actor.login, "reminder", r.id, "send", field="status", old=old_status, new="failed", at=now)
    if error is not None:
        raise ReminderNotSent(f"Reminder {reminder_id} was not sent ({r.channel} to "
                              f"{r.recipient or 'nobody'}): {error}.")
    return reminder_dict(Reminder.get_by_id(r.id))
