"""The Payments list: one OptionList in sections (a disabled header line per section), one line per row,
built from models.usecases.payments' frozen rows. Navigation keys come from tui.actions.NAV; moving
skips the headers, stops at the ends and keeps the header above the selected row on screen. The
selected row carries a "▸" (the highlight colour alone is lost with NO_COLOR)."""
from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.geometry import Region
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from models.usecases.orders import OrderRow
from tui.actions import NAV, bindings

SECTIONS = [
    ("failed", "Failed payments to follow up"),
    ("overdue", "Overdue invoices"),
    ("inst", "Installments due this week"),
    ("rem", "Reminders to send"),
    ("today", "Received today"),
    ("inv", "Open invoices"),
    ("ship", "Shipments waiting"),
    ("order", "Orders at the warehouse"),
    ("refund", "Refunds due"),
]
INVOICE_KINDS = ("failed", "overdue", "inst", "rem", "today", "inv", "refund")


@dataclass(frozen=True)
class PaymentsView:
    """What the Payments screen paints: the use case's overview (models.usecases.payments) plus the open
    invoices, the orders at the warehouse, the refunds due and how many decisions wait for the actor."""

    overview: object
    invoices: tuple = ()
    orders: tuple[OrderRow, ...] = ()
    refunds: tuple = ()
    waiting: int = 0

    def __getattr__(self, name: str):  # the overview's sections read as the view's own
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.overview, name)


@dataclass(frozen=True)
class Row:
    """One selectable line of the list: its kind, its option id ("failed:12", stable across reloads) and
    the use case's row it shows."""

    kind: str  # failed | overdue | inst | rem | today | ship
    key: str
    item: object

    @property
    def deal_id(self) -> int:
        return self.item.deal_id

    @property
    def client_id(self) -> int | None:
        return getattr(self.item, "client_id", None)

    @property
    def order_id(self) -> int | None:
        return getattr(self.item, "order_id", None)

    @property
    def invoice_id(self) -> int | None:
        return getattr(self.item, "invoice_id", None)

    @property
    def number(self) -> str:
        return getattr(self.item, "number", "")

    @property
    def currency(self) -> str:
        return getattr(self.item, "currency", "")

    @property
    def payment_id(self) -> int | None:
        return getattr(self.item, "payment_id", None)

    @property
    def reminder_id(self) -> int | None:
        return getattr(self.item, "reminder_id", None)


def money(minor: int, currency: str) -> str:
    from models.money import format_amount

    return format_amount(minor, currency)


def when(value, tz: str | None, fmt: str = "%d %b %H:%M") -> str:
    from models.clock import local

    if value is None:
        return "-"
    return local(value, tz).strftime(fmt)


# ---------------------------------------------------------------- the lines


def totals_text(totals) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    if not totals:
        t.append("Nothing open: every invoice in view is paid.")
    for n, c in enumerate(totals):
        if n:
            t.append("\n")
        t.append("Open ")
        t.append(money(c.open_minor, c.currency), style="bold")
        t.append(" · overdue ")
        t.append(money(c.overdue_minor, c.currency), style="bold" if c.overdue_minor else "")
        t.append(f" · received today {money(c.today_minor, c.currency)}")
    return t


def _line(number: str | None = None) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append("  ")
    if number is not None:
        t.append(f"{number:<17}")
    return t


def failed_line(p, now, tz) -> Text:
    from models.text import one_line

    t = _line(p.number)
    t.append(f"{money(p.amount_minor, p.currency):>15}  ")
    t.append(f"{when(p.received_at, tz, '%d %b')}  ")
    t.append(one_line(p.reason or "no reason given"))
    return t


def overdue_line(d, now, tz) -> Text:
    late = max((now - d.due_at).days, 0)
    t = _line(d.number)
    t.append(f"{money(d.balance_minor, d.currency):>15}", style="bold")
    t.append(f"  due {when(d.due_at, tz, '%d %b')}  ")
    t.append(f"{late} day{'s' if late != 1 else ''} late" if late else "late today", style="bold")
    if d.plan:
        t.append(f"  plan {d.plan}")
    return t


def inst_line(d, now, tz) -> Text:
    t = _line(d.number)
    t.append(f"{money(d.amount_minor, d.currency):>15}  ")
    t.append(f"part {d.seq}/{d.parts}  due {when(d.due_at, tz, '%a %d %b')}")
    if d.due_at < now:
        t.append("  LATE", style="bold")
    return t


def reminder_line(r, now, tz) -> Text:
    from models.text import one_line

    t = _line(r.number)
    t.append(f"{r.kind:<5} by {r.channel:<5} ")
    if r.status != "pending":
        t.append(f"{r.status.upper()} ", style="bold")
    t.append(one_line(r.client, 20) + ": ")
    t.append(one_line(r.text))
    return t


def today_line(p, now, tz) -> Text:
    from models.text import one_line

    t = _line(p.number)
    t.append(f"{money(p.amount_minor, p.currency):>15}  ")
    t.append(f"{when(p.received_at, tz, '%H:%M')}  ")
    t.append(one_line(p.method, 14))
    return t


def ship_line(w, now, tz) -> Text:
    from models.text import one_line

    t = _line()
    t.append(f"deal {w.deal_id:<4} ")
    t.append(one_line(w.title, 24))
    t.append(" · ")
    t.append(one_line(w.client, 20))
    t.append(": ")
    t.append(one_line("; ".join(w.why)), style="" if w.ready else "bold")
    return t


def invoice_line(d, now, tz) -> Text:
    t = _line(d.number)
    t.append(f"{money(d.balance_minor, d.currency):>15}", style="bold")
    t.append(f"  of {money(d.amount_minor, d.currency)}  due {when(d.due_at, tz, '%d %b')}")
    if d.plan:
        t.append(f"  plan {d.plan}", style="bold" if d.plan == "proposed" else "")
    waiting = getattr(d, "notes_waiting", 0)
    if waiting:
        t.append(f"  {waiting} note{'s' if waiting != 1 else ''} waiting", style="bold")
    return t


def order_line(o, now, tz) -> Text:
    from models.text import one_line

    t = _line()
    t.append(f"order {o.order_id:<4} ")
    t.append(f"{o.status.upper():<9} ", style="bold" if o.status == "forwarded" else "")
    t.append(f"deal {o.deal_id} ")
    t.append(one_line(o.title, 22))
    t.append(" · ")
    t.append(one_line(o.client, 20))
    return t


def refund_line(r, now, tz) -> Text:
    from models.text import one_line

    t = _line(r.number)
    t.append(f"{money(r.amount_minor, r.currency):>15}  to ")
    t.append(one_line(r.client, 24))
    if r.note_id:
        t.append(f"  credit note {r.note_id}")
    return t


# kind -> (the overview's field, the row's id field, the line renderer)
KINDS = {
    "failed": ("failed", "payment_id", failed_line),
    "overdue": ("overdue", "invoice_id", overdue_line),
    "inst": ("installments", "installment_id", inst_line),
    "rem": ("reminders", "reminder_id", reminder_line),
    "today": ("today", "payment_id", today_line),
    "inv": ("invoices", "invoice_id", invoice_line),
    "ship": ("shipments", "deal_id", ship_line),
    "order": ("orders", "order_id", order_line),
    "refund": ("refunds_due", "refund_id", refund_line),
}


# ---------------------------------------------------------------- the widget


class PaymentList(OptionList, inherit_bindings=False):
    """The sectioned list. Enter is the screen's (it opens the invoice or the deal)."""

    BINDINGS = bindings(NAV, without=("list.open",))

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: dict[str, Row] = {}
        self.lines: dict[str, Text] = {}  # each row's line, unmarked
        self.marked: str | None = None  # the row that carries the cursor mark
        self.counts: dict[str, int] = {}

    def show(self, data, now, tz) -> None:
        """Replace the options by DATA's rows (a PaymentsView); the cursor stays on its row."""
        old_key = self.highlighted_option.id if self.highlighted_option is not None else None
        old_index = self.highlighted
        rows: dict[str, Row] = {}
        lines: dict[str, Text] = {}
        options: list[Option] = []
        counts: dict[str, int] = {}
        for kind, title in SECTIONS:
            field, ident, render = KINDS[kind]
            items = getattr(data, field, ())
            counts[kind] = len(items)
            head = Text(no_wrap=True, overflow="ellipsis")
            head.append(f"{title} ({len(items)})", style="bold" if items else "")
            options.append(Option(head, id=f"h:{kind}", disabled=True))
            for item in items:
                row = Row(kind, f"{kind}:{getattr(item, ident)}", item)
                rows[row.key] = row
                lines[row.key] = render(item, now, tz)
                options.append(Option(lines[row.key], id=row.key))
        self.rows, self.lines, self.counts, self.marked = rows, lines, counts, None
        self.clear_options()
        self.add_options(options)
        self._restore_cursor(old_key, old_index)
        self.mark_cursor()

    @property
    def current(self) -> Row | None:
        option = self.highlighted_option
        if option is None or option.disabled:
            return None
        return self.rows.get(option.id)

    def go_to(self, key: str) -> bool:
        if key not in self.rows:
            return False
        self.highlighted = self.get_option_index(key)
        return True

    def mark_cursor(self) -> None:
        """A "▸" in front of the selected row; only the two lines that changed are repainted."""
        row = self.current
        key = row.key if row is not None else None
        if key == self.marked:
            return
        if self.marked in self.lines:
            self.replace_option_prompt(self.marked, self.lines[self.marked])
        if key is not None:
            marked = Text("▸ ", no_wrap=True, overflow="ellipsis", style="bold")
            marked.append_text(self.lines[key][2:])
            self.replace_option_prompt(key, marked)
        self.marked = key

    def _restore_cursor(self, key: str | None, index: int | None) -> None:
        """The same row when it still exists; else the row now at its place (the next one), else the
        nearest one above; the first row on the first load."""
        if not self.rows:
            self.highlighted = None
            return
        if key is not None and key in self.rows:
            self.highlighted = self.get_option_index(key)
        elif index is not None:
            options = self.options
            index = min(index, len(options) - 1)
            below = [i for i in range(index, len(options)) if not options[i].disabled]
            above = [i for i in range(index, -1, -1) if not options[i].disabled]
            self.highlighted = below[0] if below else above[0]
        else:
            super().action_first()
        self.reveal_header()

    def reveal_header(self) -> None:
        """Keep the section header above the selected row on screen (every option is one line high)."""
        i = self.highlighted
        if i is None or not self.is_mounted:
            return
        if all(o.disabled for o in self.options[:i]):
            self.scroll_home(animate=False, immediate=True)
        elif i > 0 and self.options[i - 1].disabled:
            self.scroll_to_region(Region(0, i - 1, max(self.scrollable_content_region.width, 1), 2),
                                  animate=False, immediate=True)

    # ------------------------------------------------------------ NAV actions
    def _step(self, step: int) -> None:
        """Down or up one row, skipping section headers, stopping at the ends (no wrap-around)."""
        if not self.rows:
            return
        options = self.options
        if self.highlighted is None:
            super().action_first()
        else:
            i = self.highlighted + step
            while 0 <= i < len(options) and options[i].disabled:
                i += step
            if 0 <= i < len(options):
                self.highlighted = i
        self.reveal_header()

    def action_cursor_down(self) -> None:
        self._step(1)

    def action_cursor_up(self) -> None:
        self._step(-1)

    def action_first(self) -> None:
        if self.rows:
            super().action_first()
            self.reveal_header()

    def action_last(self) -> None:
        if self.rows:
            super().action_last()
            self.reveal_header()

    def action_page_down(self) -> None:
        if self.rows:
            super().action_page_down()
            self.reveal_header()

    def action_page_up(self) -> None:
        if self.rows:
            super().action_page_up()
            self.reveal_header()
