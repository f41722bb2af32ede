"""What Payments shows of one row: the pane below the list (the row in full and its keys) and the
read-only invoice or deal view that enter opens (read in a worker through models.usecases.payments).
Text from outside (client names, reasons, reminder and agreement text) is shown literally."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from screens.base import LoadingScreen
from screens.payments_list import Row, money, when

KEYS_HINT = {"failed": "u followed up · p pay · F failed again · c/d note · o deal · ⏎ invoice",
             "overdue": "p pay · F failed · c credit · d debit · o deal · ⏎ invoice",
             "inst": "p pay · F failed · c/d note · o deal · ⏎ invoice",
             "rem": "s send · p pay · o deal · ⏎ invoice and text",
             "today": "p pay more · c credit · d debit · o deal · ⏎ invoice",
             "inv": "p pay · c credit · d debit · o deal · ⏎ invoice",
             "ship": "w warehouse · i invoice · o deal · ⏎ deal",
             "order": "S shipped · D delivered · o deal · ⏎ deal",
             "refund": "o deal · ⏎ invoice"}


def zone_words(tz: str | None, now) -> str:
    """The rep's zone as times are shown: "Europe/Madrid (CET)"."""
    from models.clock import local

    name = tz or "UTC"
    abbr = local(now, tz).tzname() if now is not None else None
    return f"{name} ({abbr})" if abbr and abbr != name else name


def pane_text(row: Row | None, any_rows: bool, tz: str | None) -> tuple[Text, Text, Text]:
    """(head, body, keys) of the pane below the list for the selected ROW."""
    from models.text import one_line

    head, body = Text(no_wrap=True, overflow="ellipsis"), Text()
    keys = Text(no_wrap=True, overflow="ellipsis", style="italic")
    if row is None:
        head.append("Nothing to work on: no failed payment, overdue invoice, reminder or shipment in view."
                    if not any_rows else "")
        return head, body, keys
    d = row.item
    keys.append(KEYS_HINT[row.kind])
    if row.kind == "failed":
        head.append(f"Failed payment {d.payment_id}", style="bold")
        head.append(f" · {money(d.amount_minor, d.currency)} by ")
        head.append(one_line(d.method, 14))
        head.append(f" · {when(d.received_at, tz)} · {one_line(d.recorded_by, 16)} · deal {d.deal_id}")
        body.append("Reason: ", style="bold")
        body.append(one_line(d.reason or "-", 150))
    elif row.kind == "overdue":
        head.append(f"Invoice {d.number}", style="bold")
        head.append(f" · deal {d.deal_id} · due {when(d.due_at, tz)}" + (f" · plan {d.plan}" if d.plan else ""))
        body.append(f"Amount {money(d.amount_minor, d.currency)}, paid {money(d.paid_minor, d.currency)}, balance ")
        body.append(money(d.balance_minor, d.currency), style="bold")
    elif row.kind == "inst":
        head.append(f"Invoice {d.number}", style="bold")
        head.append(f" · deal {d.deal_id} · part {d.seq} of {d.parts}")
        body.append(f"{money(d.amount_minor, d.currency)} due {when(d.due_at, tz)}")
    elif row.kind == "rem":
        head.append(f"Reminder {d.reminder_id}", style="bold")
        head.append(f" · {d.kind} · {d.status} · {d.channel} to ")
        head.append(one_line(d.recipient or "nobody (no address)", 40))
        if d.error:
            body.append("Last error: ", style="bold")
            body.append(one_line(d.error, 60) + " ")
        body.append(one_line(d.text, 150))
    elif row.kind == "today":
        head.append(f"Payment {d.payment_id}", style="bold")
        head.append(f" · {money(d.amount_minor, d.currency)} by ")
        head.append(one_line(d.method, 14))
        head.append(f" · {when(d.received_at, tz, '%H:%M')} · {one_line(d.recorded_by, 16)} · {d.number}")
    elif row.kind == "inv":
        head.append(f"Invoice {d.number}", style="bold")
        head.append(f" · deal {d.deal_id} · {d.status.replace('_', ' ')} · due {when(d.due_at, tz)}"
                    + (f" · plan {d.plan}" if d.plan else ""))
        body.append(f"Amount {money(d.amount_minor, d.currency)}, paid {money(d.paid_minor, d.currency)}, balance ")
        body.append(money(d.balance_minor, d.currency), style="bold")
    elif row.kind == "order":
        head.append(f"Order {d.order_id}", style="bold")
        head.append(f" · {d.status} · deal {d.deal_id} ")
        head.append(one_line(d.title, 40))
        body.append("To: ", style="bold")
        body.append(one_line(d.address or "no address", 70) + "\n")
        body.append(one_line("; ".join(d.lines) or "-", 150))
    elif row.kind == "refund":
        head.append(f"Refund {d.refund_id} due", style="bold")
        head.append(f" · {money(d.amount_minor, d.currency)} · {d.number} · deal {d.deal_id}")
        body.append("To ")
        body.append(one_line(d.client, 60))
        body.append(f", since {when(d.created_at, tz)}" + (f" (credit note {d.note_id})" if d.note_id else ""))
    elif row.kind == "ship":
        head.append(f"Deal {d.deal_id}", style="bold")
        head.append(" ")
        head.append(one_line(d.title, 40))
        head.append(" · ")
        head.append(one_line(d.client, 60))
        body.append("Ready: " if d.ready else "Held: ", style="bold")
        body.append(one_line("; ".join(d.why), 150))
    return head, body, keys


def invoice_text(d, tz: str | None, reminder=None) -> Text:
    """The invoice (an InvoiceDetail) as the rep needs it on the phone: balance, payments, notes, parts."""
    from models.text import one_line, safe

    cur = d.currency
    t = Text()
    t.append(f"Invoice {d.number}", style="bold")
    t.append(f"  {d.status.replace('_', ' ')}\n", style="bold" if d.status == "overdue" else "")
    t.append("Deal      ", style="bold")
    t.append(f"{d.deal_id} ")
    t.append(one_line(d.deal_title, 40))
    if d.client:
        t.append(" · ")
        t.append(one_line(d.client, 30))
    if d.owner:
        t.append(f" · owner {one_line(d.owner, 20)}")
    t.append("\nAmount    ", style="bold")
    t.append(f"{money(d.amount_minor, cur)}   paid {money(d.paid_minor, cur)}")
    for minor, label in ((d.credits_minor, "credit notes"), (d.debits_minor, "debit notes"),
                         (d.refunds_minor, "refunds")):
        if minor:
            t.append(f"   {label} {money(minor, cur)}")
    t.append("\nBalance   ", style="bold")
    t.append(money(d.balance_minor, cur), style="bold")
    t.append(f"   issued {when(d.issued_at, tz)}   due {when(d.due_at, tz)}\n")
    if d.plan:
        t.append("Plan      ", style="bold")
        t.append(f"{len(d.parts)} installments, {d.plan}"
                 + (f" by {d.plan_approved_by}" if d.plan_approved_by else "") + "\n")
    if d.parts:
        t.append("\nInstallments\n", style="bold")
        for i in d.parts:
            t.append(f"  {i.seq:>2}  {money(i.amount_minor, cur):>16}  due {when(i.due_at, tz, '%d %b %Y')}  ")
            t.append(i.status.upper() if i.status == "overdue" else i.status,
                     style="bold" if i.status == "overdue" else "")
            if i.paid_at:
                t.append(f" {when(i.paid_at, tz, '%d %b')}")
            t.append("\n")
    t.append("\nPayments\n", style="bold")
    if not d.payments:
        t.append("  none yet\n")
    for p in d.payments:
        t.append(f"  {when(p.received_at, tz)}  {money(p.amount_minor, p.currency):>16}  ")
        t.append(one_line(p.method, 12))
        if p.status == "failed":
            t.append("  FAILED", style="bold")
            t.append(": " + one_line(p.reason or "", 60))
            t.append(f" (followed up {when(p.followed_up_at, tz)})" if p.followed_up_at else " (to follow up)")
        t.append(f"  by {one_line(p.recorded_by, 16)}\n")
    if d.notes:
        t.append("\nCredit and debit notes\n", style="bold")
        for n in d.notes:
            t.append(f"  {when(n.created_at, tz)}  {n.kind:<6} {money(n.amount_minor, cur):>16}  ")
            status = n.status
            if status != "approved":
                t.append(("WAITING for a manager" if status == "proposed" else status.upper()) + "  ",
                         style="bold")
            t.append(one_line(n.reason, 60))
            t.append(f"  by {one_line(n.created_by, 16)}\n")
    if d.refunds:
        t.append("\nRefunds\n", style="bold")
        for r in d.refunds:
            t.append(f"  {when(r.created_at, tz)}  {money(r.amount_minor, r.currency):>16}  {r.status}"
                     + (f" {when(r.paid_at, tz, '%d %b')}" if r.paid_at else "")
                     + (f"  credit note {r.note_id}" if r.note_id else "") + "\n")
    if reminder is not None:
        t.append(f"\nReminder {reminder.reminder_id}", style="bold")
        t.append(f" ({reminder.kind}, {reminder.channel} to ")
        t.append(one_line(reminder.recipient or "nobody", 40))
        t.append(f", {reminder.status})\n")
        if reminder.error:
            t.append("  last error: ")
            t.append(one_line(reminder.error, 200) + "\n")
        t.append(safe(reminder.text))
        t.append("\n")
    t.append(f"\nTimes in {zone_words(tz, d.issued_at)}", style="italic")
    return t


def deal_text(d, tz: str | None) -> Text:
    """A deal (a DealDetail), read-only: what it is, where it stands, what holds its shipment."""
    from models.money import plain_amount
    from models.text import one_line, safe

    t = Text()
    t.append(f"Deal {d.deal_id}  ", style="bold")
    t.append(one_line(d.title, 60) + "\n")
    amount = f"{plain_amount(d.amount_minor, d.currency)} {d.currency}" if d.amount_minor is not None else "-"
    for label, value in (("Client", d.client), ("Owner", d.owner or "-"), ("Stage", d.stage or d.stage_key),
                         ("Amount", amount), ("Since", when(d.stage_changed_at, tz)), ("Need", d.need),
                         ("Budget", d.budget), ("Timeline", d.timeline), ("Decides", d.decision_maker),
                         ("Products", d.products)):
        t.append(f"{label:<10}", style="bold")
        t.append(one_line(value or "-", 64) + "\n")
    t.append(f"{'Agreement':<10}", style="bold")
    ag = d.agreement
    if ag is None:
        t.append("none yet\n")
    else:
        t.append(ag.status)
        if ag.signed_at:
            t.append(f" {when(ag.signed_at, tz)} by ")
            t.append(one_line(ag.signed_by or "-", 40))
        t.append("\n  we provide: ")
        t.append(safe(ag.provides or "-", max_line=300))
        t.append("\n  we receive: ")
        t.append(safe(ag.receives or "-", max_line=300))
        t.append("\n")
    if d.shipment is not None:
        t.append(f"{'Shipment':<10}", style="bold")
        t.append(one_line("; ".join(d.shipment), 64) + "\n")
    t.append(f"\nTimes in {zone_words(tz, d.stage_changed_at)}. o opens the client card, where the deal is "
             "edited.", style="italic")
    return t


class PaymentDetailScreen(LoadingScreen, ModalScreen):
    """A read-only detail of ROW: its invoice (or, for a shipment row, its deal), read in a worker.
    Dismisses with the name of a Payments action to run on the same row (record, failed, ...) or None."""

    BINDINGS = [
        Binding("escape,enter", "dismiss_none", "Back", id="payments_detail.back"),
        Binding("p", "pick('record')", "Pay", id="payments_detail.record"),
        Binding("F", "pick('failed')", "Failed", id="payments_detail.failed"),
        Binding("u", "pick('followed_up')", "Followed up", id="payments_detail.followed_up"),
        Binding("s", "pick('send')", "Send", id="payments_detail.send"),
        Binding("o", "pick('open_deal')", "Deal", id="payments_detail.deal"),
        Binding("c", "pick('credit')", "Credit", id="payments_detail.credit"),
        Binding("S", "pick('ship')", "Shipped", id="payments_detail.ship"),
        Binding("D", "pick('deliver')", "Delivered", id="payments_detail.deliver"),
        Binding("d", "pick('debit')", "Debit", id="payments_detail.debit"),
        Binding("j,down", "scroll('down')", "Down", show=False, id="payments_detail.down"),
        Binding("k,up", "scroll('up')", "Up", show=False, id="payments_detail.up"),
    ]

    def __init__(self, row: Row, actor, now, actions: set[str]) -> None:
        super().__init__()
        self.row = row
        self.actor = actor
        self.now = now
        self.tz = actor.timezone
        self.actions = actions

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="pay-detail-scroll"):
            yield Static(Text("Loading ..."), id="pay-detail-body")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.load()

    def fetch(self) -> object:
        from models.usecases.payments import deal_detail, invoice_detail

        if self.row.kind in ("ship", "order"):
            return deal_detail(self.actor, self.row.deal_id)
        return invoice_detail(self.actor, self.row.invoice_id, self.now)

    def paint(self, data: object) -> None:
        if self.row.kind in ("ship", "order"):
            body = deal_text(data, self.tz)
        else:
            body = invoice_text(data, self.tz, reminder=self.row.item if self.row.kind == "rem" else None)
        self.query_one("#pay-detail-body", Static).update(body)

    def load_failed(self, error: str) -> None:
        from models.text import one_line

        self.notify(one_line(error, 400), severity="error", timeout=6, markup=False)
        self.dismiss("reload")

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "pick":
            return parameters[0] in self.actions
        return True

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    def action_pick(self, what: str) -> None:
        self.dismiss(what)

    def action_scroll(self, direction: str) -> None:
        s = self.query_one("#pay-detail-scroll")
        s.scroll_down() if direction == "down" else s.scroll_up()
