"""Payment commands: invoice, invoices, payment, note, agreement, order, tasks."""
from __future__ import annotations


def _amount(text, currency):
    from models.errors import ValidationError
    from models.money import parse_amount

    try:
        return parse_amount(text, currency)
    except ValueError as exc:
        raise ValidationError(str(exc), field="amount") from None


def register(sub, common) -> None:
    from tui.commands.admin import group

    inv = group(sub, "invoice", "invoices and installment plans", common)
    p = inv.add_parser("add", help="issue an invoice for a deal; prints the id", parents=[common])
    p.add_argument("--deal", type=int, required=True)
    p.add_argument("--amount")
    p.add_argument("--due", metavar="ISO")
    p.add_argument("--installments", type=int)
    p.add_argument("--every", type=int, metavar="DAYS")
    p.set_defaults(handler=cmd_invoice_add)
    p = inv.add_parser("show", help="one invoice with balance and installments", parents=[common])
    p.add_argument("id", type=int)
    p.set_defaults(handler=cmd_invoice_show)
    p = inv.add_parser("approve-plan", help="approve an invoice's installment plan (managers)", parents=[common])
    p.add_argument("id", type=int)
    p.set_defaults(handler=cmd_approve)
    p = sub.add_parser("invoices", help="my invoices (my team's for a manager)", parents=[common])
    p.add_argument("--overdue", action="store_true")
    p.set_defaults(handler=cmd_invoices)
    pay = group(sub, "payment", "payments", common)
    p = pay.add_parser("add", help="record a payment (or a failed one, which opens a follow-up task)",
                       parents=[common])
    p.add_argument("--invoice", type=int, required=True)
    p.add_argument("--amount", required=True)
    p.add_argument("--method", default="transfer")
    p.add_argument("--failed", action="store_true")
    p.add_argument("--reason")
    p.set_defaults(handler=cmd_payment_add)
    note = group(sub, "note", "credit and debit notes", common)
    p = note.add_parser("add", help="a credit or debit note changing an invoice's balance", parents=[common])
    p.add_argument("--invoice", type=int, required=True)
    kind = p.add_mutually_exclusive_group(required=True)
    kind.add_argument("--credit", action="store_true")
    kind.add_argument("--debit", action="store_true")
    p.add_argument("--amount", required=True)
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=cmd_note_add)
    ag = group(sub, "agreement", "agreements", common)
    p = ag.add_parser("set", help="what we provide and what we get back", parents=[common])
    p.add_argument("--deal", type=int, required=True)
    p.add_argument("--provides", required=True)
    p.add_argument("--receives", required=True)
    p.set_defaults(handler=cmd_agreement_set)
    p = ag.add_parser("sign", help="mark the deal's agreement signed", parents=[common])
    p.add_argument("--deal", type=int, required=True)
    p.add_argument("--by")
    p.set_defaults(handler=cmd_agreement_sign)
    od = group(sub, "order", "warehouse orders", common)
    p = od.add_parser("create", help="send a deal to the warehouse (signed agreement and money needed)",
                      parents=[common])
    p.add_argument("--deal", type=int, required=True)
    p.set_defaults(handler=cmd_order_create)
    p = od.add_parser("ship", help="mark an order shipped (same conditions)", parents=[common])
    p.add_argument("id", type=int)
    p.set_defaults(handler=cmd_order_ship)
    p = sub.add_parser("reminders", help="the outbox: installment reminders ready to send", parents=[common])
    p.set_defaults(handler=cmd_reminders)
    p = sub.add_parser("tasks", help="my open tasks", parents=[common])
    p.set_defaults(handler=cmd_tasks)


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
        raise ValidationError(f"--due: {exc}") from None
    inv = issue_invoice(ctx.actor, ctx.args.deal, ctx.now, amount_minor=amount, due_at=due,
                        installments=ctx.args.installments, every_days=ctx.args.every)
    ctx.emit({"id": inv.id}, str(inv.id))


def cmd_invoice_show(ctx):
    from models.payments import get_invoice, invoice_dict

    d = invoice_dict(get_invoice(ctx.actor, ctx.args.id), ctx.now)
    ctx.emit(d, "\n".join(f"{k:>12}: {v}" for k, v in d.items() if k != "installments") + "".join(
        f"\n  part {i['seq']}: {i['amount']} due {i['due_at']} ({i['status']})" for i in d["installments"]))


def cmd_approve(ctx):
    from models.payments import approve_plan

    approve_plan(ctx.actor, ctx.args.id, ctx.now)
    ctx.emit({"id": ctx.args.id, "plan": "approved"}, f"Plan of invoice {ctx.args.id} approved.")


def cmd_invoices(ctx):
    from tui.commands.base import table

    from models.payments import invoice_dict, list_invoices

    rows = [invoice_dict(i, ctx.now) for i in list_invoices(ctx.actor, ctx.now, overdue=ctx.args.overdue)]
    ctx.emit(rows, table([[str(r["id"]), r["number"], r["amount"], r["balance"], r["currency"], r["status"],
                           r["due_at"]] for r in rows], ["ID", "NUMBER", "AMOUNT", "BALANCE", "CUR", "STATUS", "DUE"])
             if rows else "No invoices.")


def cmd_payment_add(ctx):
    from models.payments import get_invoice, record_payment

    inv = get_invoice(ctx.actor, ctx.args.invoice)
    p = record_payment(ctx.actor, inv.id, _amount(ctx.args.amount, inv.currency), ctx.now, method=ctx.args.method,
                       failed=ctx.args.failed, reason=ctx.args.reason)
    ctx.emit({"id": p.id, "status": p.status}, f"Payment {p.id} recorded ({p.status}).")


def cmd_note_add(ctx):
    from models.payments import add_note, get_invoice

    inv = get_invoice(ctx.actor, ctx.args.invoice)
    n = add_note(ctx.actor, inv.id, "credit" if ctx.args.credit else "debit", _amount(ctx.args.amount, inv.currency),
                 ctx.args.reason, ctx.now)
    ctx.emit({"id": n.id}, f"Note {n.id} added.")


def cmd_agreement_set(ctx):
    from models.payments import set_agreement

    ag = set_agreement(ctx.actor, ctx.args.deal, ctx.args.provides, ctx.args.receives, ctx.now)
    ctx.emit({"id": ag.id, "status": ag.status}, f"Agreement for deal {ctx.args.deal} saved ({ag.status}).")


def cmd_agreement_sign(ctx):
    from models.payments import sign_agreement

    ag = sign_agreement(ctx.actor, ctx.args.deal, ctx.now, signed_by=ctx.args.by)
    ctx.emit({"id": ag.id, "status": ag.status}, f"Agreement for deal {ctx.args.deal} signed.")


def cmd_order_create(ctx):
    from models.payments import create_order

    o = create_order(ctx.actor, ctx.args.deal, ctx.now)
    ctx.emit({"id": o.id, "status": o.status}, f"Order {o.id} forwarded to the warehouse.")


def cmd_order_ship(ctx):
    from models.payments import ship_order

    o = ship_order(ctx.actor, ctx.args.id, ctx.now)
    ctx.emit({"id": o.id, "status": o.status}, f"Order {o.id} shipped.")


def cmd_tasks(ctx):
    from tui.commands.base import table

    from models.activities import activity_dict, open_tasks

    rows = [activity_dict(a) for a in open_tasks(ctx.actor)]
    ctx.emit(rows, table([[str(r["id"]), r["due_at"] or "", r["kind"], r["subject"]] for r in rows],
                         ["ID", "DUE", "KIND", "SUBJECT"]) if rows else "No open tasks.")


def cmd_reminders(ctx):
    from tui.commands.base import table

    from models.reminders import outbox

    rows = outbox(ctx.actor)
    ctx.emit(rows, table([[str(r["id"]), r["due_at"], r["kind"], r["channel"], r["recipient"], r["text"]]
                          for r in rows], ["ID", "DUE", "KIND", "CH", "TO", "TEXT"]) if rows else "The outbox is empty.")
