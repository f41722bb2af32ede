"""Payment commands: invoice, invoices, payment, note (add, approve, reject), approvals, refunds,
refund paid, agreement, reminders, reminder send, tasks. Amounts are decimal strings in the currency's
units ("199.99")."""
from __future__ import annotations

import argparse

from tui.commands.base import id_arg, whole_number


def _amount(text, currency):
    from models.errors import ValidationError
    from models.money import parse_amount

    try:
        return parse_amount(text, currency)
    except ValueError as exc:
        raise ValidationError(f"--amount: {exc}.", field="amount") from None


def ensure_group(sub, name: str, help_text: str, common):
    """The subcommands action of the group NAME, created if no other module registered it first
    (`export` is shared: export clients, export orders)."""
    existing = sub.choices.get(name)
    if existing is None:
        from tui.commands.admin import group

        return group(sub, name, help_text, common)
    for action in existing._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return existing.add_subparsers(dest=f"{name}_command", metavar="SUBCOMMAND")


def register(sub, common) -> None:
    inv = ensure_group(sub, "invoice", "invoices and installment plans", common)
    p = inv.add_parser("add", help="issue an invoice for a deal; prints the id", parents=[common])
    p.add_argument("--deal", type=id_arg, required=True)
    p.add_argument("--amount", help="default: the deal's lines, or its amount")
    p.add_argument("--due", metavar="ISO", help="default: 72 hours from now (setting invoice.due_hours)")
    p.add_argument("--installments", type=whole_number(1, 1_000_000, "N"), metavar="N", help="an installment plan of N parts")
    p.add_argument("--every", type=whole_number(1, 1_000_000, "DAYS"), metavar="DAYS", help="days between parts (default 30)")
    p.set_defaults(handler=cmd_invoice_add)
    p = inv.add_parser("show", help="one invoice with balance and installments", parents=[common])
    p.add_argument("id", type=id_arg)
    p.set_defaults(handler=cmd_invoice_show)
    p = inv.add_parser("approve-plan", help="approve an invoice's installment plan (managers)", parents=[common])
    p.add_argument("id", type=id_arg)
    p.set_defaults(handler=cmd_plan_decide, decision="approve")
    p = inv.add_parser("reject-plan", help="reject an invoice's proposed installment plan (managers)",
                       parents=[common])
    p.add_argument("id", type=id_arg)
    p.set_defaults(handler=cmd_plan_decide, decision="reject")
    p = inv.add_parser("cancel", help="cancel an invoice nothing was paid on", parents=[common])
    p.add_argument("id", type=id_arg)
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=cmd_invoice_cancel)

    p = sub.add_parser("invoices", help="my invoices (my team's for a manager)", parents=[common])
    p.add_argument("--overdue", action="store_true", help="only those past due with money owed")
    p.set_defaults(handler=cmd_invoices)

    pay = ensure_group(sub, "payment", "payments", common)
    p = pay.add_parser("add", help="record a payment (or a failed one, which opens a follow-up task)",
                       parents=[common])
    p.add_argument("--invoice", type=id_arg, required=True)
    p.add_argument("--amount", required=True)
    p.add_argument("--method", default="transfer")
    p.add_argument("--failed", action="store_true", help="the payment failed (needs --reason)")
    p.add_argument("--reason")
    p.set_defaults(handler=cmd_payment_add)
    p = pay.add_parser("followed-up", help="mark a failed payment followed up (closes its task)",
                       parents=[common])
    p.add_argument("id", type=id_arg)
    p.set_defaults(handler=cmd_followed_up)

    note = ensure_group(sub, "note", "credit and debit notes", common)
    p = note.add_parser("add", help="a credit or debit note changing an invoice's balance", parents=[common])
    p.add_argument("--invoice", type=id_arg, required=True)
    kind = p.add_mutually_exclusive_group(required=True)
    kind.add_argument("--credit", action="store_true")
    kind.add_argument("--debit", action="store_true")
    p.add_argument("--amount", required=True)
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=cmd_note_add)
    for name, help_text in (("approve", "approve a rep's credit note that waits (managers)"),
                            ("reject", "reject a rep's credit note that waits (managers)")):
        p = note.add_parser(name, help=help_text, parents=[common])
        p.add_argument("id", type=id_arg)
        p.set_defaults(handler=cmd_note_decide, decision=name)

    p = sub.add_parser("approvals", help="what waits for my decision: installment plans and credit notes",
                       parents=[common])
    p.set_defaults(handler=cmd_approvals)
    p = sub.add_parser("refunds", help="money owed back to clients (credit notes beyond what was owed)",
                       parents=[common])
    p.add_argument("--all", action="store_true", help="paid ones too")
    p.set_defaults(handler=cmd_refunds)
    ref = ensure_group(sub, "refund", "refunds owed to clients", common)
    p = ref.add_parser("paid", help="the refund was paid out to the client", parents=[common])
    p.add_argument("id", type=id_arg)
    p.set_defaults(handler=cmd_refund_paid)

    ag = ensure_group(sub, "agreement", "agreements: what we provide, what we get in return", common)
    p = ag.add_parser("set", help="what we provide and what we get in return", parents=[common])
    p.add_argument("--deal", type=id_arg, required=True)
    p.add_argument("--provides", required=True)
    p.add_argument("--receives", required=True)
    p.set_defaults(handler=cmd_agreement_set)
    p = ag.add_parser("send", help="mark the deal's agreement sent for signature", parents=[common])
    p.add_argument("--deal", type=id_arg, required=True)
    p.set_defaults(handler=cmd_agreement_status, status="sent")
    p = ag.add_parser("sign", help="mark the deal's agreement signed", parents=[common])
    p.add_argument("--deal", type=id_arg, required=True)
    p.add_argument("--by", metavar="NAME", help="who signed (default: you)")
    p.set_defaults(handler=cmd_agreement_status, status="signed")
    p = ag.add_parser("show", help="the deal's agreement", parents=[common])
    p.add_argument("--deal", type=id_arg, required=True)
    p.set_defaults(handler=cmd_agreement_show)

    p = sub.add_parser("reminders", help="the outbox: installment reminders ready to send", parents=[common])
    p.set_defaults(handler=cmd_reminders)
    rem = ensure_group(sub, "reminder", "installment reminders", common)
    p = rem.add_parser("send", help="send one reminder (e-mail through the SMTP relay, or the SMS command)",
                       parents=[common])
    p.add_argument("id", type=id_arg)
    p.set_defaults(handler=cmd_reminder_send)

    p = sub.add_parser("tasks", help="my open tasks", parents=[common])
    p.set_defaults(handler=cmd_tasks)


def _invoice_text(d: dict, ctx) -> str:
    from models.text import one_line

    keys = ("id", "number", "deal_id", "status", "amount", "paid", "credits", "debits", "refunds", "balance",
            "currency", "issued_at", "due_at", "plan")
    shown = {k: ctx.when(d[k]) if k in ("issued_at", "due_at") else d[k] for k in keys}
    text = "\n".join(f"{k:>10}: {one_line(shown[k]) if shown[k] is not None else '-'}" for k in keys)
    for i in d["installments"]:
        text += f"\n  part {i['seq']}: {i['amount']} {d['currency']} due {ctx.when(i['due_at'])} ({i['status']})"
    return text


def cmd_invoice_add(ctx):
    from models.clock import parse_iso
    from models.errors import ValidationError
    from models.payments import issue_invoice
    from models.tables import Deal

    deal = Deal.get_or_none(Deal.id == ctx.args.deal)
    amount = _amount(ctx.args.amount, deal.currency if deal else "EUR") if ctx.args.amount else None
    try:
        due = parse_iso(ctx.args.due) if ctx.args.due else None
    except ValueError as exc:
        raise ValidationError(f"--due: {exc}.", field="due") from None
    inv = issue_invoice(ctx.actor, ctx.args.deal, ctx.now, amount_minor=amount, due_at=due,
                        installments=ctx.args.installments, every_days=ctx.args.every)
    ctx.emit({"id": inv.id, "number": inv.number}, str(inv.id))


def invoice_json(d) -> dict:
    """An InvoiceSummary (or InvoiceDetail) with the keys `invoice show` and `invoices` have always printed."""
    from models.clock import iso
    from models.money import plain_amount

    cur = d.currency
    return dict(id=d.invoice_id, number=d.number, deal_id=d.deal_id, currency=cur,
                amount=plain_amount(d.amount_minor, cur), paid=plain_amount(d.paid_minor, cur),
                credits=plain_amount(d.credits_minor, cur), debits=plain_amount(d.debits_minor, cur),
                refunds=plain_amount(d.refunds_minor, cur),
                balance=plain_amount(d.balance_minor, cur), balance_minor=d.balance_minor, status=d.status,
                issued_at=iso(d.issued_at), due_at=iso(d.due_at), plan=d.plan, plan_approved_by=d.plan_approved_by,
                installments=[dict(seq=p.seq, amount=plain_amount(p.amount_minor, cur), due_at=iso(p.due_at),
                                   status=p.status, paid_at=iso(p.paid_at)) for p in d.parts])


def cmd_invoice_show(ctx):
    from models.usecases.payments import invoice_detail

    d = invoice_json(invoice_detail(ctx.actor, ctx.args.id, ctx.now))
    ctx.emit(d, _invoice_text(d, ctx))


def cmd_plan_decide(ctx):
    from models.payments import approve_plan, reject_plan

    plan = (approve_plan if ctx.args.decision == "approve" else reject_plan)(ctx.actor, ctx.args.id, ctx.now)
    ctx.emit({"id": ctx.args.id, "plan": plan.status}, f"Plan of invoice {ctx.args.id} {plan.status}.")


def cmd_invoice_cancel(ctx):
    from models.payments import cancel_invoice

    inv = cancel_invoice(ctx.actor, ctx.args.id, ctx.args.reason, ctx.now)
    ctx.emit({"id": inv.id, "status": inv.status}, f"Invoice {inv.number} cancelled.")


def cmd_invoices(ctx):
    from models.usecases.payments import invoice_list
    from tui.commands.base import table

    rows = [invoice_json(i) for i in invoice_list(ctx.actor, ctx.now, overdue=ctx.args.overdue, limit=1000)]
    empty = "No overdue invoices." if ctx.args.overdue else "No invoices."
    ctx.emit(rows, table([[str(r["id"]), r["number"], r["amount"], r["balance"], r["currency"], r["status"],
                           ctx.when(r["due_at"]), r["plan"] or ""] for r in rows],
                         ["ID", "NUMBER", "AMOUNT", "BALANCE", "CUR", "STATUS", "DUE", "PLAN"]) if rows else empty)


def cmd_payment_add(ctx):
    from models.errors import ValidationError
    from models.payments import get_invoice, payment_dict, record_payment

    if ctx.args.reason and not ctx.args.failed:
        raise ValidationError("--reason goes with --failed.", field="reason")
    inv = get_invoice(ctx.actor, ctx.args.invoice)
    p = record_payment(ctx.actor, inv.id, _amount(ctx.args.amount, inv.currency), ctx.now, method=ctx.args.method,
                       failed=ctx.args.failed, reason=ctx.args.reason)
    text = (f"Failed payment {p.id} recorded; a follow-up task is open for the deal's owner." if p.status == "failed"
            else f"Payment {p.id} recorded.")
    ctx.emit(payment_dict(p), text)


def cmd_followed_up(ctx):
    from models.payments import mark_followed_up, payment_dict

    p = mark_followed_up(ctx.actor, ctx.args.id, ctx.now)
    ctx.emit(payment_dict(p), f"Payment {p.id} followed up.")


def _note_outcome(n, inv, decided: bool = False) -> tuple[dict, str]:
    """The note as JSON (with its refund due, if any) and what happened, in a sentence or two."""
    from models.money import plain_amount
    from models.payments import note_dict
    from models.tables import Refund

    d = note_dict(n)
    refund = Refund.get_or_none(Refund.note == n.id)
    d["refund"] = plain_amount(refund.amount_minor, refund.currency) if refund is not None else None
    d["refund_id"] = refund.id if refund is not None else None
    kind = n.kind.capitalize()
    if n.status == "proposed":
        return d, (f"{kind} note {n.id} on {inv.number} waits for a manager's approval; the balance is unchanged "
                   "until then.")
    text = (f"{kind} note {n.id} on {inv.number} {n.status}." if decided
            else f"{kind} note {n.id} added to {inv.number}.")
    if refund is not None:
        text += f" Refund {refund.id} due to the client: {d['refund']} {refund.currency} (repdesk refunds)."
    return d, text


def cmd_note_add(ctx):
    from models.payments import add_note, get_invoice

    inv = get_invoice(ctx.actor, ctx.args.invoice)
    kind = "credit" if ctx.args.credit else "debit"
    n = add_note(ctx.actor, inv.id, kind, _amount(ctx.args.amount, inv.currency), ctx.args.reason, ctx.now)
    ctx.emit(*_note_outcome(n, inv))


def cmd_note_decide(ctx):
    from models.payments import decide_note
    from models.tables import Invoice

    n = decide_note(ctx.actor, ctx.args.id, ctx.args.decision == "approve", ctx.now)
    ctx.emit(*_note_outcome(n, Invoice.get_by_id(n.invoice_id), decided=True))


def cmd_approvals(ctx):
    from models.clock import iso
    from models.money import plain_amount
    from models.usecases.approvals import waiting_for_me
    from tui.commands.base import table

    rows = [dict(kind=w.kind, id=w.id, invoice_id=w.invoice_id, number=w.number, deal_id=w.deal_id,
                 client_id=w.client_id, client=w.client, owner=w.owner, amount=plain_amount(w.amount_minor, w.currency),
                 currency=w.currency, what=w.what, asked_by=w.asked_by, asked_at=iso(w.asked_at))
            for w in waiting_for_me(ctx.actor, ctx.now)]
    how = {"plan": "invoice approve-plan|reject-plan {invoice_id}", "note": "note approve|reject {id}"}
    ctx.emit(rows, table([[r["kind"], str(r["id"]), r["number"], r["client"], f"{r['amount']} {r['currency']}",
                           r["what"], r["asked_by"] or "", ctx.when(r["asked_at"]), how[r["kind"]].format(**r)]
                          for r in rows],
                         ["KIND", "ID", "INVOICE", "CLIENT", "AMOUNT", "WHAT", "ASKED BY", "WHEN", "DECIDE WITH"])
             if rows else "Nothing waits for your decision.")


def cmd_refunds(ctx):
    from models.payments import list_refunds, refund_dict
    from tui.commands.base import table

    rows = [refund_dict(r) for r in list_refunds(ctx.actor, None if ctx.args.all else "due")]
    ctx.emit(rows, table([[str(r["id"]), r["number"], f"{r['amount']} {r['currency']}", r["status"],
                           ctx.when(r["created_at"]), str(r["note_id"] or "")] for r in rows],
                         ["ID", "INVOICE", "AMOUNT", "STATUS", "SINCE", "NOTE"])
             if rows else ("No refunds." if ctx.args.all else "No refunds due."))


def cmd_refund_paid(ctx):
    from models.payments import mark_refund_paid, refund_dict

    r = refund_dict(mark_refund_paid(ctx.actor, ctx.args.id, ctx.now))
    ctx.emit(r, f"Refund {r['id']} of {r['amount']} {r['currency']} on {r['number']} paid.")


def cmd_agreement_set(ctx):
    from models.payments import agreement_dict, upsert_agreement

    ag = upsert_agreement(ctx.actor, ctx.args.deal, ctx.args.provides, ctx.args.receives, ctx.now)
    ctx.emit(agreement_dict(ag), f"Agreement for deal {ctx.args.deal} saved ({ag.status}).")


def cmd_agreement_status(ctx):
    from models.payments import agreement_dict, send_agreement, sign_agreement
    from models.text import one_line

    if ctx.args.status == "sent":
        ag = send_agreement(ctx.actor, ctx.args.deal, ctx.now)
        text = f"Agreement for deal {ctx.args.deal} sent for signature."
    else:
        ag = sign_agreement(ctx.actor, ctx.args.deal, ctx.now, signed_by=ctx.args.by)
        text = f"Agreement for deal {ctx.args.deal} signed by {one_line(ag.signed_by)}."
    ctx.emit(agreement_dict(ag), text)


def cmd_agreement_show(ctx):
    from models.errors import NotFound
    from models.payments import agreement_dict, get_agreement
    from models.text import safe

    ag = get_agreement(ctx.actor, ctx.args.deal)
    if ag is None:
        raise NotFound(f"Deal {ctx.args.deal} has no agreement yet (repdesk agreement set).")
    d = agreement_dict(ag)
    ctx.emit(d, "\n".join(f"{k:>9}: {safe(v) if v is not None else '-'}" for k, v in d.items()))


def cmd_reminders(ctx):
    from models.reminders import outbox
    from tui.commands.base import table

    rows = outbox(ctx.actor)
    ctx.emit(rows, table([[str(r["id"]), ctx.when(r["due_at"]), r["kind"], r["status"], r["channel"],
                           r["recipient"], r["text"]] for r in rows],
                         ["ID", "DUE", "KIND", "STATUS", "CH", "TO", "TEXT"]) if rows else "The outbox is empty.")


def cmd_reminder_send(ctx):
    from models.reminders import send_reminder
    from models.text import one_line

    r = send_reminder(ctx.actor, ctx.args.id, ctx.now)
    ctx.emit(r, f"Reminder {r['id']} sent by {r['channel']} to {one_line(r['recipient'])}.")


def cmd_tasks(ctx):
    from models.activities import activity_dict, open_tasks
    from tui.commands.base import table

    rows = [activity_dict(a) for a in open_tasks(ctx.actor)]
    ctx.emit(rows, table([[str(r["id"]), ctx.when(r["due_at"]), r["kind"], r["subject"]] for r in rows],
                         ["ID", "DUE", "KIND", "SUBJECT"]) if rows else "No open tasks.")
