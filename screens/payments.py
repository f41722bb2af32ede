"""Payments: overdue invoices, failed payments to follow up (first), installments due this week,
payments received today, shipments waiting and why; totals per currency. `p` records a payment."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from screens.base import MainScreen


class PaymentsScreen(MainScreen):
    TITLE_TEXT = "Payments"
    BINDINGS = [
        Binding("p", "record", "Record payment", id="payments.record"),
        Binding("u", "followed_up", "Followed up", id="payments.followed_up"),
        Binding("j", "scroll('down')", "Down", show=False, id="payments.down"),
        Binding("k", "scroll('up')", "Up", show=False, id="payments.up"),
    ]

    def compose(self) -> ComposeResult:
        yield from self.compose_status()
        with VerticalScroll(id="pay-scroll"):
            yield Static("", id="pay")
        yield from self.compose_footer()

    def action_scroll(self, direction: str) -> None:
        s = self.query_one("#pay-scroll")
        s.scroll_down() if direction == "down" else s.scroll_up()

    def load(self) -> None:
        from models.clock import local
        from models.money import format_amount
        from models.payments import overview
        from models.text import one_line

        app = self.app
        data = overview(app.rep, app.now())
        self._failed = data["failed"]
        tz = app.rep.timezone
        t = Text()
        for cur, v in sorted(data["totals"].items()):
            t.append(f"{cur}: open {format_amount(v['open'], cur)} · overdue {format_amount(v['overdue'], cur)}"
                     f" · in today {format_amount(v['today'], cur)}\n", style="bold")
        t.append(f"\nFailed payments to follow up ({len(data['failed'])})\n", style="bold red" if data["failed"] else "bold")
        for p in data["failed"]:
            t.append(f"  #{p.id} {p.invoice.number} {format_amount(p.amount_minor, p.currency)}: ")
            t.append(one_line(p.reason or "", 40) + "\n")
        t.append(f"\nOverdue invoices ({len(data['overdue'])})\n", style="bold")
        for i in data["overdue"][:20]:
            t.append(f"  {i['number']}  balance {i['balance']} {i['currency']}  due {i['due_at'][:10]}\n")
        t.append(f"\nInstallments due this week ({len(data['installments'])})\n", style="bold")
        for inst in data["installments"][:20]:
            t.append(f"  {inst.plan.invoice.number} part {inst.seq}: "
                     f"{format_amount(inst.amount_minor, inst.plan.invoice.currency)} "
                     f"due {local(inst.due_at, tz):%d %b}\n")
        t.append(f"\nReceived today ({len(data['today'])})\n", style="bold")
        for p in data["today"][:20]:
            t.append(f"  {p.invoice.number} {format_amount(p.amount_minor, p.currency)} {p.method}\n")
        t.append(f"\nShipments waiting ({len(data['waiting'])})\n", style="bold")
        for w in data["waiting"][:20]:
            t.append(f"  deal {w['deal_id']} {one_line(w['title'], 30)}: {'; '.join(w['why'])}\n")
        self.query_one("#pay", Static).update(t)

    def action_followed_up(self) -> None:
        from models.payments import mark_followed_up

        if getattr(self, "_failed", None):
            p = self._failed[0]
            mark_followed_up(self.app.rep, p.id, self.app.now())
            self.notify(f"Payment #{p.id} marked followed up.", markup=False)
            self.load()

    def action_record(self) -> None:
        from models.errors import ValidationError
        from models.money import parse_amount
        from models.payments import get_invoice, record_payment

        from screens.form import FieldSpec, FormDialog

        app = self.app

        def submit(v):
            if not v["invoice"].strip().isdigit():
                raise ValidationError("Give the invoice's id (a number).", field="invoice")
            inv = get_invoice(app.rep, int(v["invoice"]))
            try:
                amount = parse_amount(v["amount"], inv.currency)
            except ValueError as exc:
                raise ValidationError(str(exc), field="amount") from None
            return record_payment(app.rep, inv.id, amount, app.now(), method=v["method"] or "transfer",
                                  failed=v["result"] == "failed", reason=v["reason"] or None)

        fields = [FieldSpec("invoice", "Invoice id", required=True), FieldSpec("amount", "Amount", required=True,
                                                                               placeholder="199.99"),
                  FieldSpec("result", "Result", choices=[("Received", "ok"), ("Failed", "failed")]),
                  FieldSpec("method", "Method", value="transfer"), FieldSpec("reason", "Reason (if failed)")]

        def after(result):
            if result is not None:
                self.notify(f"Payment recorded ({result.status}).", markup=False)
                self.load()

        app.push_screen(FormDialog("Record a payment", fields, submit, form_id="payment"), after)
