"""Payments: one keyboard-driven list in sections - failed payments to follow up (first), overdue
invoices, installments due this week, reminders to send, payments received today, shipments waiting
and why - with the open, overdue and received-today totals per currency above it and the selected row
explained below it.

`enter` shows the invoice (balance, payments, notes, installments), `p` records a payment, `F` a failed
one (which opens a follow-up task for the deal's owner), `u` marks a failed payment followed up, `s`
sends the selected reminder (in a worker thread: the SMTP relay may be slow), `o` shows the deal, `r`
reloads. Issue 11 (screens.payments_actions): `i` issues an invoice for a deal (one due date or
installments), `c`/`d` a credit or debit note on the selected invoice, `w` an order for a ready deal (its
address prefilled from the client), `S`/`D` the order shipped and delivered, `a` (managers) the plans and
credit notes waiting for their decision (screens.approvals); open invoices, orders at the warehouse and
refunds due have their own sections. Every change goes through models/ (payments, reminders); refusals are shown as notifications.
Text that came from outside (client names, reasons, reminder text) is shown literally (rich Text built
from models.text.one_line / safe, never markup).

The screen reads models.usecases.payments.payments_overview in a worker (fetch/paint, screens.base) and
only ever holds its frozen rows. The sectioned list and its lines are screens.payments_list, the pane
below it and the invoice/deal view (read in its own worker) screens.payments_detail, the payment
forms screens.payments_forms. Writes call models/ operations on the UI thread, as everywhere.
"""
from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static

from screens.base import MainScreen
from screens.payments_actions import PaymentActions
from screens.payments_detail import PaymentDetailScreen, pane_text
from screens.payments_list import INVOICE_KINDS, PaymentList, PaymentsView, Row, totals_text

__all__ = ["PaymentsScreen", "PaymentDetailScreen", "PaymentList", "Row"]


class PaymentsScreen(PaymentActions, MainScreen):
    TITLE_TEXT = "Payments"
    BINDINGS = [
        Binding("enter", "open", "Open", id="payments.open", key_display="⏎"),
        Binding("p", "record", "Pay", id="payments.record"),
        Binding("F", "failed", "Failed", id="payments.failed"),
        Binding("u", "followed_up", "Done", id="payments.followed_up", tooltip="Followed up"),
        Binding("s", "send", "Send reminder", show=False, id="payments.send"),
        Binding("o", "open_deal", "Deal", id="payments.deal"),
        Binding("w", "warehouse", "Order", id="payments.warehouse", tooltip="Order to the warehouse"),
        Binding("i", "invoice", "Invoice", id="payments.invoice", tooltip="Issue an invoice for a deal"),
        Binding("a", "approvals", "Waiting", id="payments.approvals", tooltip="Waiting for my approval"),
        Binding("c", "credit", "Credit note", show=False, id="payments.credit"),
        Binding("d", "debit", "Debit note", show=False, id="payments.debit"),
        Binding("S", "ship", "Order shipped", show=False, id="payments.ship"),
        Binding("D", "deliver", "Order delivered", show=False, id="payments.deliver"),
        Binding("r", "refresh", "Reload", show=False, id="payments.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sending: set[int] = set()
        self._actor = None  # what the load worker reads (set on the UI thread)
        self._now = None
        self.waiting = 0  # plans and credit notes waiting for this manager
        self.go_after_load: str | None = None  # the row to select once the next read is painted

    def compose(self) -> ComposeResult:
        yield from self.compose_status()
        yield Static("", id="pay-totals")
        yield PaymentList(id="pay-list", compact=True, markup=False)
        with Vertical(id="pay-detail"):
            yield Static("", id="pay-detail-head")
            yield Static("", id="pay-detail-text")
            yield Static("", id="pay-detail-keys")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(PaymentList).focus()

    @property
    def pay_list(self) -> PaymentList:
        return self.query_one(PaymentList)

    @property
    def rows(self) -> dict[str, Row]:
        return self.pay_list.rows

    @property
    def current(self) -> Row | None:
        return self.pay_list.current

    def status_extra(self) -> str:
        counts = self.pay_list.counts if self.is_mounted else {}
        if not counts:
            return ""
        text = f"{counts.get('failed', 0)} failed · {counts.get('overdue', 0)} overdue"
        return text + (f" · {self.waiting} waiting for you (a)" if self.waiting else "")

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "approvals":  # managers decide plans and credit notes: the key is theirs
            from models.access import is_manager

            return is_manager(self.app.rep)
        return True

    # ------------------------------------------------------------ loading
    def load(self) -> None:
        self._actor, self._now = self.app.rep, self.app.now()
        super().load()

    def fetch(self) -> PaymentsView:
        from models.usecases.approvals import waiting_for_me
        from models.usecases.orders import orders_in_view
        from models.usecases.payments import invoice_list, payments_overview

        actor, now = self._actor, self._now
        invoices = tuple(i for i in invoice_list(actor, now, limit=200)
                         if i.status in ("open", "partly_paid") and i.balance_minor > 0)
        return PaymentsView(payments_overview(actor, now), invoices=invoices, orders=orders_in_view(actor),
                            waiting=len(waiting_for_me(actor, now)))

    def paint(self, data: PaymentsView) -> None:
        self.waiting = data.waiting
        self.query_one("#pay-totals", Static).update(totals_text(data.totals))
        self.pay_list.show(data, self._now, self._actor.timezone)
        if self.go_after_load:
            self.pay_list.go_to(self.go_after_load)
            self.go_after_load = None
        self.show_detail()
        self.update_status()

    def load_failed(self, error: str) -> None:
        self.app.set_db_state(False, error)

    # ------------------------------------------------------------ the selected row
    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.pay_list.mark_cursor()
        self.show_detail()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_open()

    def show_detail(self) -> None:
        """Below the list: the selected row in full (reasons and texts the line cuts), and its keys."""
        head, body, keys = pane_text(self.current, bool(self.rows), self.app.rep.timezone)
        self.query_one("#pay-detail-head", Static).update(head)
        self.query_one("#pay-detail-text", Static).update(body)
        self.query_one("#pay-detail-keys", Static).update(keys)

    def action_refresh(self) -> None:
        self.load()
        self.notify("Reloaded.", timeout=2, markup=False)

    # ------------------------------------------------------------ helpers
    def _refuse(self, message: str) -> None:
        self.notify(message, severity="warning", timeout=5, markup=False)

    def _target(self, kinds: tuple[str, ...], why: str) -> Row | None:
        """The selected row when it is one of KINDS; otherwise say why the key does nothing here."""
        row = self.current
        if row is None:
            self._refuse("Nothing is selected: the lists are empty." if not self.rows else "Select a row first.")
            return None
        if row.kind not in kinds:
            self._refuse(why)
            return None
        return row

    def _call(self, fn, *args, **kwargs):
        """Run a model operation; a refusal becomes a notification. Returns (ok, result)."""
        from models.errors import DomainError, database_error_text, database_errors
        from models.text import one_line

        try:
            return True, fn(*args, **kwargs)
        except DomainError as exc:
            self.notify(one_line(str(exc), 400), severity="error", timeout=6, markup=False)
            self.load()  # what the row showed is out of date (followed up, paid, moved elsewhere ...)
        except database_errors() as exc:
            self.app.set_db_state(False, database_error_text(exc))
        return False, None

    def _invoice(self, invoice_id: int):
        """The invoice as plain data (models.usecases.payments.invoice_detail), or None when refused."""
        from models.usecases.payments import invoice_detail

        ok, inv = self._call(invoice_detail, self.app.rep, invoice_id, self.app.now())
        return inv if ok else None

    # ------------------------------------------------------------ actions
    def action_record(self) -> None:
        from models.money import plain_amount

        row = self._target(INVOICE_KINDS, "A shipment row is a deal, not an invoice: select its invoice "
                                          "(overdue, installments ...) to record a payment.")
        if row is None:
            return
        suggested = plain_amount(row.item.amount_minor, row.currency) if row.kind == "inst" else None
        self.open_payment_form(row.invoice_id, failed=False, suggested=suggested)

    def action_failed(self) -> None:
        row = self._target(INVOICE_KINDS, "A shipment row is a deal, not an invoice: select its invoice to "
                                          "record a failed payment.")
        if row is None:
            return
        self.open_payment_form(row.invoice_id, failed=True)

    def open_payment_form(self, invoice_id: int, failed: bool, restore: dict | None = None,
                          suggested: str | None = None) -> None:
        """The form recording a payment (or a failed one) on INVOICE_ID; RESTORE refills it after a
        dropped line."""
        from models.payments import record_payment

        from screens.payments_forms import (open_form, owner_words, parse_amount_field, payment_fields,
                                            recorded_text)

        inv = self._invoice(invoice_id)
        if inv is None:
            return
        app = self.app
        cur = inv.currency

        def submit(v):
            return record_payment(app.rep, invoice_id, parse_amount_field(v["amount"], cur), app.now(),
                                  method=v["method"] or "transfer", failed=failed,
                                  reason=v.get("reason") if failed else None)

        def after(p):
            if p is None:
                return
            if failed:
                self.notify(f"Failed payment {p.id} recorded on {inv.number}; a follow-up task is open for "
                            f"{owner_words(inv, app.rep)}.", title="Follow-up task", timeout=8, markup=False)
            else:
                self.notify(recorded_text(p, inv, self._invoice(invoice_id)), timeout=5, markup=False)
            self.load()

        title = f"Record a {'failed ' if failed else ''}payment on {inv.number}"
        open_form(self, title, payment_fields(inv, failed, suggested), submit,
                  f"{'payment-failed' if failed else 'payment'}:{invoice_id}", after, restore)

    def action_followed_up(self) -> None:
        from models.payments import mark_followed_up

        row = self._target(("failed",), "u marks a failed payment followed up: select a row under "
                                        "\"Failed payments to follow up\".")
        if row is None:
            return
        ok, p = self._call(mark_followed_up, self.app.rep, row.payment_id, self.app.now())
        if ok:
            self.notify(f"Failed payment {p.id} on {row.number} followed up; its task is closed.", timeout=4,
                        markup=False)
            self.load()

    def action_send(self) -> None:
        row = self._target(("rem",), "s sends a reminder: select a row under \"Reminders to send\".")
        if row is None:
            return
        if row.reminder_id in self.sending:
            self._refuse(f"Reminder {row.reminder_id} is being sent.")
            return
        self.sending.add(row.reminder_id)
        self.notify(f"Sending reminder {row.reminder_id} ...", timeout=2, markup=False)
        self._send(row.reminder_id, self.app.rep, self.app.now())

    @work(thread=True, group="payments-send")
    def _send(self, reminder_id: int, rep, now) -> None:
        """The transport (an SMTP relay, an SMS command) may take seconds: never in the UI thread."""
        from models.engine import in_own_connection
        from models.errors import DomainError, database_error_text, database_errors
        from models.reminders import send_reminder
        from models.text import one_line

        result, error = None, None
        try:
            result = in_own_connection(lambda: send_reminder(rep, reminder_id, now))
        except DomainError as exc:
            error = one_line(str(exc), 400)
        except database_errors() as exc:
            error = "Not sent: the database is unreachable (" + one_line(database_error_text(exc), 100) + ")."
        self.app.call_from_thread(self._sent, reminder_id, result, error)

    def _sent(self, reminder_id: int, result: dict | None, error: str | None) -> None:
        from models.text import one_line

        self.sending.discard(reminder_id)
        if error is not None:
            self.notify(error, severity="error", timeout=8, markup=False)
        else:
            self.notify(f"Reminder {reminder_id} sent by {result['channel']} to "
                        f"{one_line(result['recipient'], 60)}.", timeout=5, markup=False)
        if self.is_mounted:
            self.load()

    def action_open(self) -> None:
        """The selected row's invoice (a shipment row: its deal), read-only, with keys for the same row."""
        row = self.current
        if row is None:
            self._refuse("Nothing is selected: the lists are empty." if not self.rows else "Select a row first.")
            return
        if row.kind == "ship":
            actions = {"open_deal"}
        elif row.kind == "order":
            actions = {"ship", "deliver", "open_deal"}
        else:
            actions = {"record", "failed", "open_deal", "credit", "debit"}
            if row.kind == "failed":
                actions.add("followed_up")
            if row.kind == "rem":
                actions.add("send")

        def after(action: str | None) -> None:
            if action == "reload":  # the detail could not be read: what the list shows is out of date
                self.load()
            elif action:
                if self.pay_list.go_to(row.key):  # the data may have changed meanwhile: act on the row shown
                    getattr(self, f"action_{action}")()
                else:
                    self._refuse("That row is no longer on the list (it changed meanwhile).")

        self.app.push_screen(PaymentDetailScreen(row, self.app.rep, self.app.now(), actions), after)

    def action_open_deal(self) -> None:
        """The deal's client card (Deals tab): the deal, its agreement terms, invoices and history, editable."""
        from screens.client import ClientCardScreen

        row = self.current
        if row is None:
            self._refuse("Nothing is selected: the lists are empty." if not self.rows else "Select a row first.")
            return
        client_id = row.client_id
        if client_id is None:  # an order row: its deal says whose it is
            from models.usecases.payments import deal_detail

            ok, deal = self._call(deal_detail, self.app.rep, row.deal_id)
            if not ok:
                return
            client_id = deal.client_id
        self.app.push_screen(ClientCardScreen(client_id, deal_id=row.deal_id, tab="tab-deals"),
                             lambda _: self.load())
