"""Payments: one keyboard-driven list in sections - failed payments to follow up (first), overdue
invoices, installments due this week, reminders to send, payments received today, shipments waiting
and why - with the open, overdue and received-today totals per currency above it and the selected row
explained below it.

`enter` shows the invoice (balance, payments, notes, installments), `p` records a payment, `F` a failed
one (which opens a follow-up task for the deal's owner), `u` marks a failed payment followed up, `s`
sends the selected reminder (in a worker thread: the SMTP relay may be slow), `o` shows the deal, `r`
reloads. Every change goes through models/ (payments, reminders); refusals are shown as notifications.
Text that came from outside (client names, reasons, reminder text) is shown literally (rich Text built
from models.text.one_line / safe, never markup).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Region
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from screens.base import MainScreen

SECTIONS = [
    ("failed", "Failed payments to follow up"),
    ("overdue", "Overdue invoices"),
    ("inst", "Installments due this week"),
    ("rem", "Reminders to send"),
    ("today", "Received today"),
    ("ship", "Shipments waiting"),
]
INVOICE_KINDS = ("failed", "overdue", "inst", "rem", "today")


@dataclass
class Row:
    """One selectable line of the list: what it is and the records it points at."""

    kind: str  # failed | overdue | inst | rem | today | ship
    key: str  # the option id, stable across reloads: "failed:12"
    deal_id: int | None = None
    invoice_id: int | None = None
    number: str = ""  # the invoice's number
    currency: str = ""
    payment_id: int | None = None
    reminder_id: int | None = None
    data: dict = field(default_factory=dict)


class PaymentList(OptionList, inherit_bindings=False):
    """The payments list: its keys are the screen's (with ids, remappable), so it binds none itself."""


def _money(minor: int, currency: str) -> str:
    from models.money import format_amount

    return format_amount(minor, currency)


def _plain_money(plain: str, currency: str) -> str:
    """invoice_dict's '1234.50' -> '1,234.50 EUR' (same formatting as everywhere else)."""
    from models.money import format_amount, parse_amount

    return format_amount(parse_amount(plain, currency), currency)


def _when(value, tz: str | None, fmt: str = "%d %b %H:%M") -> str:
    from models.clock import local, parse_iso

    if value is None:
        return "-"
    if isinstance(value, str):
        value = parse_iso(value)
    return local(value, tz).strftime(fmt)


# ---------------------------------------------------------------- detail modals


def invoice_text(d: dict, payments: list, notes: list, tz: str | None, *, client: str = "", owner: str = "",
                 deal_title: str = "", reminder: dict | None = None) -> Text:
    """The invoice as the rep needs it on the phone: balance, payments, notes, installments."""
    from models.money import parse_amount
    from models.text import one_line, safe

    cur = d["currency"]
    t = Text()
    t.append(f"Invoice {d['number']}", style="bold")
    t.append(f"  {d['status'].replace('_', ' ')}\n", style="bold" if d["status"] == "overdue" else "")
    t.append("Deal      ", style="bold")
    t.append(f"{d['deal_id']} ")
    t.append(one_line(deal_title, 40))
    if client:
        t.append(" · ")
        t.append(one_line(client, 30))
    if owner:
        t.append(f" · owner {one_line(owner, 20)}")
    t.append("\nAmount    ", style="bold")
    t.append(f"{_plain_money(d['amount'], cur)}   paid {_plain_money(d['paid'], cur)}")
    for key, label in (("credits", "credit notes"), ("debits", "debit notes")):
        if parse_amount(d[key], cur):
            t.append(f"   {label} {_plain_money(d[key], cur)}")
    t.append("\nBalance   ", style="bold")
    t.append(_plain_money(d["balance"], cur), style="bold")
    t.append(f"   issued {_when(d['issued_at'], tz)}   due {_when(d['due_at'], tz)}\n")
    if d["plan"]:
        t.append("Plan      ", style="bold")
        t.append(f"{len(d['installments'])} installments, {d['plan']}"
                 + (f" by {d['plan_approved_by']}" if d["plan_approved_by"] else "") + "\n")
    if d["installments"]:
        t.append("\nInstallments\n", style="bold")
        for i in d["installments"]:
            t.append(f"  {i['seq']:>2}  {_plain_money(i['amount'], cur):>16}  due {_when(i['due_at'], tz, '%d %b %Y')}  ")
            t.append(i["status"].upper() if i["status"] == "overdue" else i["status"],
                     style="bold" if i["status"] == "overdue" else "")
            if i["paid_at"]:
                t.append(f" {_when(i['paid_at'], tz, '%d %b')}")
            t.append("\n")
    t.append("\nPayments\n", style="bold")
    if not payments:
        t.append("  none yet\n")
    for p in payments:
        t.append(f"  {_when(p.received_at, tz)}  {_money(p.amount_minor, p.currency):>16}  ")
        t.append(one_line(p.method, 12))
        if p.status == "failed":
            t.append("  FAILED", style="bold")
            t.append(": " + one_line(p.reason or "", 60))
            t.append(f" (followed up {_when(p.followed_up_at, tz)})" if p.followed_up_at else " (to follow up)")
        t.append(f"  by {one_line(p.recorded_by, 16)}\n")
    if notes:
        t.append("\nCredit and debit notes\n", style="bold")
        for n in notes:
            t.append(f"  {_when(n.created_at, tz)}  {n.kind:<6} {_money(n.amount_minor, d['currency']):>16}  ")
            t.append(one_line(n.reason, 60))
            t.append(f"  by {one_line(n.created_by, 16)}\n")
    if reminder is not None:
        t.append(f"\nReminder {reminder['id']}", style="bold")
        t.append(f" ({reminder['kind']}, {reminder['channel']} to ")
        t.append(one_line(reminder["recipient"] or "nobody", 40))
        t.append(f", {reminder['status']})\n")
        if reminder.get("error"):
            t.append("  last error: ")
            t.append(one_line(reminder["error"], 200) + "\n")
        t.append(safe(reminder["text"]))
        t.append("\n")
    return t


def deal_text(d: dict, tz: str | None, *, client: str = "", stage: str = "", agreement: dict | None = None,
              shipment: dict | None = None) -> Text:
    """A deal, read-only: what it is, where it stands, what holds its shipment."""
    from models.text import one_line, safe

    t = Text()
    t.append(f"Deal {d['id']}  ", style="bold")
    t.append(one_line(d["title"], 60) + "\n")
    for label, value in (("Client", client), ("Owner", d["owner"] or "-"), ("Stage", stage or d["stage"]),
                         ("Amount", f"{d['amount']} {d['currency']}" if d["amount"] is not None else "-"),
                         ("Since", _when(d["stage_changed_at"], tz)), ("Need", d["need"]), ("Budget", d["budget"]),
                         ("Timeline", d["timeline"]), ("Decides", d["decision_maker"]),
                         ("Products", d["products"])):
        t.append(f"{label:<10}", style="bold")
        t.append(one_line(value or "-", 64) + "\n")
    t.append(f"{'Agreement':<10}", style="bold")
    if agreement is None:
        t.append("none yet\n")
    else:
        t.append(agreement["status"])
        if agreement["signed_at"]:
            t.append(f" {_when(agreement['signed_at'], tz)} by ")
            t.append(one_line(agreement["signed_by"] or "-", 40))
        t.append("\n  we provide: ")
        t.append(safe(agreement["provides"] or "-", max_line=300))
        t.append("\n  we receive: ")
        t.append(safe(agreement["receives"] or "-", max_line=300))
        t.append("\n")
    if shipment is not None:
        t.append(f"{'Shipment':<10}", style="bold")
        t.append(one_line("; ".join(shipment["why"]), 64) + "\n")
    t.append("\no opens the client card, where the deal is edited.", style="italic")
    return t


class PaymentDetailScreen(ModalScreen):
    """A read-only detail (an invoice or a deal). Dismisses with the name of a Payments action to run on
    the same row (record, failed, ...) or None."""

    BINDINGS = [
        Binding("escape,enter", "dismiss_none", "Back", id="payments_detail.back"),
        Binding("p", "pick('record')", "Pay", id="payments_detail.record"),
        Binding("F", "pick('failed')", "Failed", id="payments_detail.failed"),
        Binding("u", "pick('followed_up')", "Followed up", id="payments_detail.followed_up"),
        Binding("s", "pick('send')", "Send", id="payments_detail.send"),
        Binding("o", "pick('open_deal')", "Deal", id="payments_detail.deal"),
        Binding("j,down", "scroll('down')", "Down", show=False, id="payments_detail.down"),
        Binding("k,up", "scroll('up')", "Up", show=False, id="payments_detail.up"),
    ]

    def __init__(self, body: Text, actions: set[str]) -> None:
        super().__init__()
        self.body = body
        self.actions = actions

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="pay-detail-scroll"):
            yield Static(self.body, id="pay-detail-body")
        yield Footer(compact=True, show_command_palette=False)

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


# ---------------------------------------------------------------- the screen


class PaymentsScreen(MainScreen):
    TITLE_TEXT = "Payments"
    BINDINGS = [
        Binding("enter", "open", "Open", id="payments.open", key_display="⏎"),
        Binding("p", "record", "Pay", id="payments.record"),
        Binding("F", "failed", "Failed", id="payments.failed"),
        Binding("u", "followed_up", "Done", id="payments.followed_up", tooltip="Followed up"),
        Binding("s", "send", "Send", id="payments.send"),
        Binding("o", "open_deal", "Deal", id="payments.deal"),
        Binding("w", "warehouse", "Warehouse", id="payments.warehouse"),
        Binding("r", "refresh", "Reload", show=False, id="payments.refresh"),
        Binding("j,down", "cursor(1)", "Down", show=False, id="payments.down"),
        Binding("k,up", "cursor(-1)", "Up", show=False, id="payments.up"),
        Binding("g,home", "edge('top')", "Top", show=False, id="payments.top"),
        Binding("G,end", "edge('bottom')", "Bottom", show=False, id="payments.bottom"),
        Binding("pagedown,ctrl+f", "page(1)", "Page down", show=False, id="payments.page_down"),
        Binding("pageup,ctrl+b", "page(-1)", "Page up", show=False, id="payments.page_up"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, Row] = {}
        self.lines: dict[str, Text] = {}  # each row's line, unmarked
        self.marked: str | None = None  # the row that carries the cursor mark
        self.counts: dict[str, int] = {}
        self.sending: set[int] = set()

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

    def status_extra(self) -> str:
        if not self.counts:
            return ""
        bits = [f"{self.counts.get('failed', 0)} failed", f"{self.counts.get('overdue', 0)} overdue"]
        return " · ".join(bits)

    # ------------------------------------------------------------ loading
    def load(self) -> None:
        from models.errors import database_error_text, database_errors

        try:
            self._load()
        except database_errors() as exc:
            self.app.set_db_state(False, database_error_text(exc))

    def _load(self) -> None:
        from models.payments import overview
        from models.reminders import outbox

        app = self.app
        now = app.now()
        tz = app.rep.timezone
        data = overview(app.rep, now)
        reminders = outbox(app.rep)
        self._show_totals(data["totals"])

        sections: dict[str, list[tuple[Row, Text]]] = {k: [] for k, _ in SECTIONS}
        for p in data["failed"]:
            inv = p.invoice
            row = Row("failed", f"failed:{p.id}", deal_id=inv.deal_id, invoice_id=inv.id, number=inv.number,
                      currency=inv.currency, payment_id=p.id,
                      data=dict(amount=p.amount_minor, method=p.method, reason=p.reason, at=p.received_at,
                                by=p.recorded_by))
            sections["failed"].append((row, self._failed_line(row, tz)))
        for d in data["overdue"]:
            row = Row("overdue", f"overdue:{d['id']}", deal_id=d["deal_id"], invoice_id=d["id"], number=d["number"],
                      currency=d["currency"], data=d)
            sections["overdue"].append((row, self._overdue_line(row, now, tz)))
        for inst in data["installments"]:
            inv = inst.plan.invoice
            row = Row("inst", f"inst:{inst.id}", deal_id=inv.deal_id, invoice_id=inv.id, number=inv.number,
                      currency=inv.currency,
                      data=dict(seq=inst.seq, parts=inst.plan.parts, amount=inst.amount_minor, due_at=inst.due_at))
            sections["inst"].append((row, self._inst_line(row, now, tz)))
        for r in reminders:
            row = Row("rem", f"rem:{r['id']}", deal_id=r["deal_id"], invoice_id=r["invoice_id"], number=r["invoice"],
                      reminder_id=r["id"], data=r)
            sections["rem"].append((row, self._reminder_line(row, tz)))
        for p in data["today"]:
            inv = p.invoice
            row = Row("today", f"today:{p.id}", deal_id=inv.deal_id, invoice_id=inv.id, number=inv.number,
                      currency=inv.currency, payment_id=p.id,
                      data=dict(amount=p.amount_minor, method=p.method, at=p.received_at, by=p.recorded_by))
            sections["today"].append((row, self._today_line(row, tz)))
        for w in data["waiting"]:
            row = Row("ship", f"ship:{w['deal_id']}", deal_id=w["deal_id"], data=w)
            sections["ship"].append((row, self._ship_line(row)))

        lst = self.query_one(PaymentList)
        old_key = lst.highlighted_option.id if lst.highlighted_option is not None else None
        old_index = lst.highlighted
        rows: dict[str, Row] = {}
        options: list[Option] = []
        for kind, title in SECTIONS:
            items = sections[kind]
            head = Text(no_wrap=True, overflow="ellipsis")
            head.append(f"{title} ({len(items)})", style="bold" if items else "")
            options.append(Option(head, id=f"h:{kind}", disabled=True))
            for row, line in items:
                rows[row.key] = row
                options.append(Option(line, id=row.key))
        self.rows = rows
        self.lines = {row.key: line for items in sections.values() for row, line in items}
        self.marked = None
        self.counts = {k: len(v) for k, v in sections.items()}
        lst.clear_options()
        lst.add_options(options)
        self._restore_cursor(lst, old_key, old_index)
        self._mark_cursor()
        self.show_detail()
        self.update_status()

    def _restore_cursor(self, lst: PaymentList, key: str | None, index: int | None) -> None:
        """The same row when it still exists; else the row now at its place (the next one), else the
        nearest one above; the first row on the first load."""
        if not self.rows:
            lst.highlighted = None
            return
        if key is not None and key in self.rows:
            lst.highlighted = lst.get_option_index(key)
        elif index is not None:
            options = lst.options
            index = min(index, len(options) - 1)
            below = [i for i in range(index, len(options)) if not options[i].disabled]
            above = [i for i in range(index, -1, -1) if not options[i].disabled]
            lst.highlighted = below[0] if below else above[0]
        else:
            lst.action_first()
        self._reveal_header(lst)

    def _reveal_header(self, lst: PaymentList) -> None:
        """Keep the section header above the selected row on screen (every option is one line high)."""
        i = lst.highlighted
        if i is None or not lst.is_mounted:
            return
        if all(o.disabled for o in lst.options[:i]):
            lst.scroll_home(animate=False, immediate=True)
        elif i > 0 and lst.options[i - 1].disabled:
            lst.scroll_to_region(Region(0, i - 1, max(lst.scrollable_content_region.width, 1), 2),
                                 animate=False, immediate=True)

    # ------------------------------------------------------------ the lines
    def _show_totals(self, totals: dict) -> None:
        t = Text(no_wrap=True, overflow="ellipsis")
        if not totals:
            t.append("Nothing open: every invoice in view is paid.")
        for n, (cur, v) in enumerate(sorted(totals.items())):
            if n:
                t.append("\n")
            t.append("Open ")
            t.append(_money(v["open"], cur), style="bold")
            t.append(" · overdue ")
            t.append(_money(v["overdue"], cur), style="bold" if v["overdue"] else "")
            t.append(f" · received today {_money(v['today'], cur)}")
        self.query_one("#pay-totals", Static).update(t)

    @staticmethod
    def _line() -> Text:
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append("  ")
        return t

    def _failed_line(self, row: Row, tz) -> Text:
        from models.text import one_line

        t = self._line()
        t.append(f"{row.number:<17}")
        t.append(f"{_money(row.data['amount'], row.currency):>15}  ")
        t.append(f"{_when(row.data['at'], tz, '%d %b')}  ")
        t.append(one_line(row.data["reason"] or "no reason given"))
        return t

    def _overdue_line(self, row: Row, now, tz) -> Text:
        from models.clock import parse_iso

        d = row.data
        due = parse_iso(d["due_at"])
        late = max((now - due).days, 0)
        t = self._line()
        t.append(f"{row.number:<17}")
        t.append(f"{_plain_money(d['balance'], row.currency):>15}", style="bold")
        t.append(f"  due {_when(due, tz, '%d %b')}  ")
        t.append(f"{late} day{'s' if late != 1 else ''} late" if late else "late today", style="bold")
        if d["plan"]:
            t.append(f"  plan {d['plan']}")
        return t

    def _inst_line(self, row: Row, now, tz) -> Text:
        d = row.data
        t = self._line()
        t.append(f"{row.number:<17}")
        t.append(f"{_money(d['amount'], row.currency):>15}  ")
        t.append(f"part {d['seq']}/{d['parts']}  due {_when(d['due_at'], tz, '%a %d %b')}")
        if d["due_at"] < now:
            t.append("  LATE", style="bold")
        return t

    def _reminder_line(self, row: Row, tz) -> Text:
        from models.text import one_line

        r = row.data
        t = self._line()
        t.append(f"{row.number:<17}")
        t.append(f"{r['kind']:<5} by {r['channel']:<5} ")
        if r["status"] != "pending":
            t.append(f"{r['status'].upper()} ", style="bold")
        t.append(one_line(r["client"], 20) + ": ")
        t.append(one_line(r["text"]))
        return t

    def _today_line(self, row: Row, tz) -> Text:
        from models.text import one_line

        t = self._line()
        t.append(f"{row.number:<17}")
        t.append(f"{_money(row.data['amount'], row.currency):>15}  ")
        t.append(f"{_when(row.data['at'], tz, '%H:%M')}  ")
        t.append(one_line(row.data["method"], 14))
        return t

    def _ship_line(self, row: Row) -> Text:
        from models.text import one_line

        w = row.data
        t = self._line()
        t.append(f"deal {w['deal_id']:<4} ")
        t.append(one_line(w["title"], 24))
        t.append(" · ")
        t.append(one_line(w["client"], 20))
        t.append(": ")
        t.append(one_line("; ".join(w["why"])), style="" if w["ready"] else "bold")
        return t

    # ------------------------------------------------------------ the selected row
    @property
    def current(self) -> Row | None:
        lst = self.query_one(PaymentList)
        option = lst.highlighted_option
        if option is None or option.disabled:
            return None
        return self.rows.get(option.id)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._mark_cursor()
        self.show_detail()

    def _mark_cursor(self) -> None:
        """A "▸" in front of the selected row: the highlight colour alone is lost with NO_COLOR."""
        lst = self.query_one(PaymentList)
        row = self.current
        key = row.key if row is not None else None
        if key == self.marked:
            return
        if self.marked in self.lines:
            lst.replace_option_prompt(self.marked, self.lines[self.marked])
        if key is not None:
            marked = Text("▸ ", no_wrap=True, overflow="ellipsis", style="bold")
            marked.append_text(self.lines[key][2:])
            lst.replace_option_prompt(key, marked)
        self.marked = key

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_open()

    def show_detail(self) -> None:
        """Below the list: the selected row in full (reasons and texts the line cuts), and its keys."""
        from models.text import one_line

        head, body = Text(no_wrap=True, overflow="ellipsis"), Text()
        keys = Text(no_wrap=True, overflow="ellipsis", style="italic")
        row = self.current
        if row is None:
            head.append("Nothing to work on: no failed payment, overdue invoice, reminder or shipment in view."
                        if not self.rows else "")
        else:
            tz = self.app.rep.timezone
            d = row.data
            keys.append(self._keys_hint(row))
            if row.kind == "failed":
                head.append(f"Failed payment {row.payment_id}", style="bold")
                head.append(f" · {_money(d['amount'], row.currency)} by ")
                head.append(one_line(d["method"], 14))
                head.append(f" · {_when(d['at'], tz)} · {one_line(d['by'], 16)} · deal {row.deal_id}")
                body.append("Reason: ", style="bold")
                body.append(one_line(d["reason"] or "-", 150))
            elif row.kind == "overdue":
                head.append(f"Invoice {row.number}", style="bold")
                head.append(f" · deal {row.deal_id} · due {_when(d['due_at'], tz)}"
                            + (f" · plan {d['plan']}" if d["plan"] else ""))
                body.append(f"Amount {_plain_money(d['amount'], row.currency)}, paid "
                            f"{_plain_money(d['paid'], row.currency)}, balance ")
                body.append(_plain_money(d["balance"], row.currency), style="bold")
            elif row.kind == "inst":
                head.append(f"Invoice {row.number}", style="bold")
                head.append(f" · deal {row.deal_id} · part {d['seq']} of {d['parts']}")
                body.append(f"{_money(d['amount'], row.currency)} due {_when(d['due_at'], tz)}")
            elif row.kind == "rem":
                head.append(f"Reminder {row.reminder_id}", style="bold")
                head.append(f" · {d['kind']} · {d['status']} · {d['channel']} to ")
                head.append(one_line(d["recipient"] or "nobody (no address)", 40))
                if d.get("error"):
                    body.append("Last error: ", style="bold")
                    body.append(one_line(d["error"], 60) + " ")
                body.append(one_line(d["text"], 150))
            elif row.kind == "today":
                head.append(f"Payment {row.payment_id}", style="bold")
                head.append(f" · {_money(d['amount'], row.currency)} by ")
                head.append(one_line(d["method"], 14))
                head.append(f" · {_when(d['at'], tz, '%H:%M')} · {one_line(d['by'], 16)} · {row.number}")
            elif row.kind == "ship":
                head.append(f"Deal {row.deal_id}", style="bold")
                head.append(" ")
                head.append(one_line(d["title"], 40))
                head.append(" · ")
                head.append(one_line(d["client"], 60))
                body.append("Ready: " if d["ready"] else "Held: ", style="bold")
                body.append(one_line("; ".join(d["why"]), 150))
        self.query_one("#pay-detail-head", Static).update(head)
        self.query_one("#pay-detail-text", Static).update(body)
        self.query_one("#pay-detail-keys", Static).update(keys)

    @staticmethod
    def _keys_hint(row: Row) -> str:
        keys = {"failed": "u followed up · p pay · F failed again · o deal · ⏎ invoice",
                "overdue": "p pay · F failed · o deal · ⏎ invoice",
                "inst": "p pay · F failed · o deal · ⏎ invoice",
                "rem": "s send · p pay · o deal · ⏎ invoice and text",
                "today": "p pay more · o deal · ⏎ invoice",
                "ship": "o deal · ⏎ deal"}
        return keys[row.kind]

    # ------------------------------------------------------------ moving
    def action_cursor(self, step: int) -> None:
        """Down or up one row, skipping section headers, stopping at the ends (no wrap-around)."""
        lst = self.query_one(PaymentList)
        options = lst.options
        if not self.rows:
            return
        if lst.highlighted is None:
            lst.action_first()
        else:
            i = lst.highlighted + step
            while 0 <= i < len(options) and options[i].disabled:
                i += step
            if 0 <= i < len(options):
                lst.highlighted = i
        self._reveal_header(lst)

    def action_edge(self, where: str) -> None:
        lst = self.query_one(PaymentList)
        if not self.rows:
            return
        if where == "top":
            lst.action_first()
        else:
            lst.action_last()
        self._reveal_header(lst)

    def action_page(self, step: int) -> None:
        lst = self.query_one(PaymentList)
        if self.rows:
            lst.action_page_down() if step > 0 else lst.action_page_up()
            self._reveal_header(lst)

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

    def _amount_check(self, currency: str):
        from models.money import parse_amount

        def check(value: str) -> str | None:
            try:
                minor = parse_amount(value, currency)
            except ValueError as exc:
                return f"{exc}."
            return None if minor > 0 else "A payment is a positive amount."

        return check

    def _form(self, title: str, fields, submit, form_id: str, after, restore: dict | None = None) -> None:
        from models.errors import DomainError
        from models.text import one_line

        from screens.form import FormDialog

        def guarded(values):
            try:
                return submit(values)
            except DomainError as exc:  # shown as a notification too; the form keeps what was typed
                self.notify(one_line(str(exc), 400), severity="error", timeout=6, markup=False)
                raise

        dialog = FormDialog(title, fields, guarded, form_id=form_id)
        self.app.push_screen(dialog, after)
        if restore:
            dialog.call_after_refresh(dialog.set_values, restore)

    def _parse(self, text: str, currency: str) -> int:
        """The amount typed, in minor units, by the same model function as the CLI's --amount."""
        from models.errors import ValidationError
        from models.money import parse_amount

        try:
            return parse_amount(text, currency)
        except ValueError as exc:
            raise ValidationError(f"{exc}.", field="amount") from None

    def _balance(self, invoice_id: int) -> dict | None:
        from models.payments import get_invoice, invoice_dict

        ok, inv = self._call(get_invoice, self.app.rep, invoice_id)
        return invoice_dict(inv, self.app.now()) if ok else None

    # ------------------------------------------------------------ actions
    def action_record(self) -> None:
        from models.money import plain_amount

        row = self._target(INVOICE_KINDS, "A shipment row is a deal, not an invoice: select its invoice "
                                          "(overdue, installments ...) to record a payment.")
        if row is None:
            return
        suggested = plain_amount(row.data["amount"], row.currency) if row.kind == "inst" else None
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

        from screens.form import FieldSpec

        inv = self._balance(invoice_id)
        if inv is None:
            return
        app = self.app
        cur = inv["currency"]
        if failed:
            fields = [FieldSpec("amount", f"Amount in {cur} that failed", required=True, placeholder=inv["balance"],
                                validate=self._amount_check(cur)),
                      FieldSpec("method", "Method", value="card", placeholder="card, transfer, direct debit ..."),
                      FieldSpec("reason", "Why it failed", required=True, placeholder="card declined, bounced ...")]
        else:
            fields = [FieldSpec("amount", f"Amount in {cur} (balance {_plain_money(inv['balance'], cur)})",
                                required=True, placeholder=suggested or inv["balance"],
                                validate=self._amount_check(cur)),
                      FieldSpec("method", "Method", value="transfer", placeholder="transfer, card, cash ...")]

        def submit(v):
            return record_payment(app.rep, invoice_id, self._parse(v["amount"], cur), app.now(),
                                  method=v["method"] or "transfer", failed=failed,
                                  reason=v.get("reason") if failed else None)

        def after(p):
            if p is None:
                return
            if failed:
                owner = self._owner_name(inv["deal_id"])
                self.notify(f"Failed payment {p.id} recorded on {inv['number']}; a follow-up task is open for "
                            f"{owner}.", title="Follow-up task", timeout=8, markup=False)
            else:
                left = self._balance(invoice_id)
                tail = f"; balance now {_plain_money(left['balance'], cur)}" if left else ""
                paid = " (paid in full)" if left and left["balance_minor"] <= 0 else ""
                self.notify(f"Payment {p.id} of {_money(p.amount_minor, p.currency)} recorded on {inv['number']}"
                            f"{tail}{paid}.", timeout=5, markup=False)
            self.load()

        title = f"Record a {'failed ' if failed else ''}payment on {inv['number']}"
        self._form(title, fields, submit, f"{'payment-failed' if failed else 'payment'}:{invoice_id}", after, restore)

    def _owner_name(self, deal_id: int | None) -> str:
        from models.errors import DomainError
        from models.pipeline import get_deal
        from models.text import one_line

        try:
            d = get_deal(self.app.rep, deal_id)
        except DomainError:
            return "the deal's owner"
        if d.owner_id is None:
            return "the deal's owner"
        if d.owner_id == self.app.rep.id:
            return "you"
        return one_line(d.owner.name, 40)

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

    def action_warehouse(self) -> None:
        """A shipment row that is ready: send the deal to the warehouse (an order with its lines)."""
        from models.orders import create_order

        row = self._target(("ship",), "w sends a deal to the warehouse: select a row under \"Shipments waiting\".")
        if row is None:
            return
        ok, order = self._call(create_order, self.app.rep, row.deal_id, self.app.now())
        if ok:
            self.notify(f"Order {order.id} forwarded to the warehouse for deal {row.deal_id}.", timeout=5,
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
        from models.engine import database
        from models.errors import DomainError, database_error_text, database_errors
        from models.reminders import send_reminder
        from models.text import one_line

        result, error = None, None
        try:
            with database.connection_context():
                result = send_reminder(rep, reminder_id, now)
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
        row = self.current
        if row is None:
            self._refuse("Nothing is selected: the lists are empty." if not self.rows else "Select a row first.")
            return
        if row.kind == "ship":
            self._show_deal(row)
            return
        self._open_invoice(row)

    def _open_invoice(self, row: Row) -> None:
        from models.payments import get_invoice, invoice_dict, invoice_history
        from models.pipeline import get_deal

        app = self.app
        ok, inv = self._call(get_invoice, app.rep, row.invoice_id)
        if not ok:
            return
        d = invoice_dict(inv, app.now())
        ok, deal = self._call(get_deal, app.rep, row.deal_id)
        if not ok:
            return
        payments, notes = invoice_history(app.rep, inv.id)
        body = invoice_text(d, payments, notes, app.rep.timezone, client=deal.client.name,
                            owner=deal.owner.login if deal.owner_id else "", deal_title=deal.title,
                            reminder=row.data if row.kind == "rem" else None)
        actions = {"record", "failed", "open_deal"}
        if row.kind == "failed":
            actions.add("followed_up")
        if row.kind == "rem":
            actions.add("send")
        self._push_detail(body, actions, row.key)

    def _push_detail(self, body: Text, actions: set[str], key: str) -> None:
        def after(action: str | None) -> None:
            if not action:
                return
            lst = self.query_one(PaymentList)
            if key in self.rows:  # the data may have changed meanwhile: act on the row that was shown
                lst.highlighted = lst.get_option_index(key)
                getattr(self, f"action_{action}")()
            else:
                self._refuse("That row is no longer on the list (it changed meanwhile).")

        self.app.push_screen(PaymentDetailScreen(body, actions), after)

    def action_open_deal(self) -> None:
        """The deal's client card (Deals tab): the deal, its agreement terms, invoices and history, editable."""
        from models.pipeline import get_deal
        from screens.client import ClientCardScreen

        row = self.current
        if row is None:
            self._refuse("Nothing is selected: the lists are empty." if not self.rows else "Select a row first.")
            return
        ok, deal = self._call(get_deal, self.app.rep, row.deal_id)
        if ok:
            self.app.push_screen(ClientCardScreen(deal.client_id, deal_id=deal.id, tab="tab-deals"),
                                 lambda _: self.load())

    def _show_deal(self, row: Row) -> None:
        """A shipment row: the deal, read-only, with why its shipment is held."""
        from models.payments import agreement_dict, get_agreement
        from models.pipeline import deal_dict, get_deal

        app = self.app
        ok, deal = self._call(get_deal, app.rep, row.deal_id)
        if not ok:
            return
        ok, ag = self._call(get_agreement, app.rep, row.deal_id)
        if not ok:
            return
        shipment = next((r.data for r in self.rows.values() if r.kind == "ship" and r.deal_id == row.deal_id), None)
        body = deal_text(deal_dict(deal), app.rep.timezone, client=deal.client.name, stage=deal.stage.name,
                         agreement=agreement_dict(ag), shipment=shipment)
        actions = {"record", "failed"} if row.kind in INVOICE_KINDS else set()
        self._push_detail(body, actions, row.key)
