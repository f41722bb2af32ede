"""The client card's tabs as widgets: the card form, the deals tab (the deal list, the stage gate, the deal
and its agreement terms) and the activity, invoice and history lists. They paint a
models.usecases.card.ClientCard and read back what the rep typed; the screen (screens/client.py) loads,
saves and moves."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Input, Label, Select, Static, TabbedContent, TabPane, TextArea

from screens.nav_widgets import NavTable

DEAL_INPUTS = (("title", "Title"), ("need", "Need"), ("budget", "Budget"), ("timeline", "Timeline"),
               ("decision_maker", "Decision maker"), ("expected_close", "Expected close"), ("products", "Products"),
               ("amount", "Amount"), ("currency", "Currency"), ("provides", "We provide"), ("receives", "We get back"))
AGREEMENT_INPUTS = ("provides", "receives")
DEAL_MULTILINE = ("need", "products", "provides", "receives")  # text areas: what was written keeps its lines
FACT_HINTS = {
    "agreement.provides": "T: the agreement's terms",
    "agreement.receives": "T: the agreement's terms",
    "agreement.signed": "s sends the agreement, S records it signed",
    "invoice.issued": "issue the invoice on the Payments screen (4)",
    "payment.full": "record the payment on the Payments screen (4)",
    "payment.full_or_plan": "record the payment, or have a manager approve the installment plan",
    "deal.products": "l adds a line from the catalog",
    "order.shipped": "the order is shipped from the Payments screen (4)",
    "order.delivered": "the order is delivered: Payments screen (4)",
}


def set_error(widget: Static, text: str) -> None:
    widget.update(text)
    widget.display = bool(text)


def _read(w) -> str:
    if isinstance(w, Select):
        return "" if w.value is Select.NULL or w.value is None else str(w.value)
    if isinstance(w, TextArea):
        return w.text
    return w.value


def _write(w, value: str) -> None:
    if isinstance(w, Select):
        w.value = value if value else Select.NULL
    elif isinstance(w, TextArea):
        w.load_text(value)
    else:
        w.value = value


def _edits(read, loaded: dict[str, str], names) -> dict:
    if not loaded:
        return {}
    out = {}
    for f in names:
        value = read(f)
        if value.strip() != loaded.get(f, "").strip():
            out[f] = value
    return out


class CardForm(VerticalScroll):
    """Every client field, editable; required ones marked; e-mail, phone, dates and country checked as typed."""

    def __init__(self) -> None:
        super().__init__(id="card-form", classes="form")
        self.loaded: dict[str, str] = {}   # field -> text as loaded
        self.phone_region: str | None = None
        self.filling = False

    def compose(self) -> ComposeResult:
        from models.clients import EDITABLE, LABELS, MULTILINE

        for f in EDITABLE:
            with Horizontal(classes="field tall" if f in MULTILINE else "field"):
                yield Label(LABELS[f], id=f"l-{f}", classes="flabel", markup=False)
                if f == "lost_reason":
                    yield Select([], id="c-lost_reason", prompt="not lost", compact=True)
                elif f in MULTILINE:
                    yield TextArea(id=f"c-{f}", compact=True, soft_wrap=True, classes="multi")
                else:
                    yield Input(id=f"c-{f}", compact=True)
            yield Static("", id=f"e-{f}", classes="ferror", markup=False)

    def value(self, f: str) -> str:
        return _read(self.query_one(f"#c-{f}"))

    def set(self, f: str, value: str) -> None:
        _write(self.query_one(f"#c-{f}"), value)

    def edits(self) -> dict:
        from models.clients import EDITABLE

        return _edits(self.value, self.loaded, EDITABLE)

    def error(self, f: str, text: str) -> None:
        set_error(self.query_one(f"#e-{f}", Static), text)

    def fill(self, card, mine: dict) -> None:
        """Show CARD's fields; the fields in MINE keep what the rep typed."""
        from models.clients import EDITABLE, LABELS, MULTILINE
        from models.text import safe

        # what the inputs show: stored text made safe for a terminal (escape sequences never reach it)
        self.loaded = {f: safe(card.text(f), single_line=f not in MULTILINE, max_line=0) for f in EDITABLE}
        self.phone_region = card.phone_region
        self.filling = True
        try:
            required = set(card.required)
            for f in EDITABLE:
                self.query_one(f"#l-{f}", Label).update(LABELS[f] + (" *" if f in required else ""))
                if f == "lost_reason":
                    self.query_one("#c-lost_reason", Select).set_options(
                        [(label, key) for key, label in card.lost_reasons])
                self.set(f, mine.get(f, self.loaded.get(f, "")))
        finally:
            self.filling = False

    def on_input_changed(self, event: Input.Changed) -> None:
        wid = event.input.id or ""
        if self.filling or not wid.startswith("c-"):
            return
        name = wid[2:]
        self.error(name, check_field(name, event.value, self.phone_region))


def check_field(name: str, value: str, region: str | None = None) -> str:
    """The reason a value is refused, as the rep types (e-mail, phone, dates, country); REGION is read
    once with the card, so a keystroke never waits for the database."""
    from models.clients import field_problem

    if name not in ("email", "phone", "birth_date", "country"):
        return ""
    return field_problem(name, value, region) or ""


class DealTable(NavTable):
    """The client's deals: stage, amount and what the next stage still needs."""

    def __init__(self) -> None:
        super().__init__(id="deals", cursor_type="row")
        self.add_columns("deal", "stage", "amount", "next needs")


class DealsPane(TabPane):
    """The deals tab: the deal list, the stage gate line and the selected deal's fields and agreement terms."""

    def __init__(self) -> None:
        super().__init__("Deals", id="tab-deals")
        self.loaded: dict[str, str] = {}   # deal field -> text as loaded
        self.filling = False

    DEFAULT_CSS = """
    DealsPane #deal-lines { height: auto; max-height: 4; padding: 0 1; display: none; }
    """

    def compose(self) -> ComposeResult:
        yield DealTable()
        yield Static("", id="gate", markup=False)
        yield Static("", id="deal-lines", markup=False)
        with VerticalScroll(id="deal-form", classes="form"):
            for f, label in DEAL_INPUTS:
                with Horizontal(classes="field tall" if f in DEAL_MULTILINE else "field"):
                    yield Label(label, classes="flabel", markup=False)
                    if f in DEAL_MULTILINE:
                        yield TextArea(id=f"d-{f}", compact=True, soft_wrap=True, classes="multi")
                    else:
                        yield Input(id=f"d-{f}", compact=True)
                yield Static("", id=f"de-{f}", classes="ferror", markup=False)

    def value(self, f: str) -> str:
        return _read(self.query_one(f"#d-{f}"))

    def set(self, f: str, value: str) -> None:
        _write(self.query_one(f"#d-{f}"), value)

    def edits(self) -> dict:
        return _edits(self.value, self.loaded, [f for f, _ in DEAL_INPUTS])

    def error(self, f: str, text: str) -> None:
        set_error(self.query_one(f"#de-{f}", Static), text)

    def fill(self, deals, deal_id: int | None, mine: dict) -> int | None:
        """List DEALS, select DEAL_ID (the first deal when it is not among them) and show its form; the
        fields in MINE keep what the rep typed. Returns the selected deal's id."""
        from models.text import one_line

        table = self.query_one("#deals", DealTable)
        table.clear()
        for d in deals:
            needs = ", ".join(d.next_missing) if d.next_stage else "closed"
            # cells are Text: a str cell would be read as markup
            table.add_row(Text(one_line(d.title, 24)), Text(d.stage_name), Text(d.amount_text),
                          Text(one_line(needs or f"ready for {d.next_stage}", 30)), key=str(d.id))
        ids = [d.id for d in deals]
        if deal_id not in ids:
            deal_id = ids[0] if ids else None
        if deal_id is not None:
            table.move_cursor(row=ids.index(deal_id))
        self.fill_form(next((d for d in deals if d.id == deal_id), None), mine)
        return deal_id

    def fill_form(self, d, mine: dict) -> None:
        from models.text import safe

        form = self.query_one("#deal-form")
        form.display = d is not None
        self.show_lines(d)
        if d is None:
            self.loaded = {}
            self.query_one("#gate", Static).update("No deals yet: D adds one.")
            return
        values = dict(d.form, provides=d.agreement.provides, receives=d.agreement.receives)
        self.loaded = {k: safe(v, single_line=k not in DEAL_MULTILINE, max_line=0)  # never raw escapes
                       for k, v in values.items()}
        self.filling = True
        try:
            for f, _ in DEAL_INPUTS:
                self.set(f, mine.get(f, self.loaded.get(f, "")))
                self.error(f, "")
        finally:
            self.filling = False
        gate = Text()
        gate.append(f"{d.stage_name}", style="bold")
        if d.next_stage:
            gate.append(f" -> {d.next_stage}: ")
            gate.append(", ".join(d.next_missing) + " missing" if d.next_missing else "ready (press >)")
        if d.agreement.status:
            gate.append(f"  agreement {d.agreement.status}")
        order = getattr(d, "order", None)
        if order is not None:
            gate.append(f"  order {order.id} {order.status}")
        self.query_one("#gate", Static).update(gate)

    def show_lines(self, d) -> None:
        """The selected deal's lines (l adds, L removes); hidden while it has none."""
        from screens.client_deal import line_label

        lines = tuple(getattr(d, "lines", ()) or ()) if d is not None else ()
        box = self.query_one("#deal-lines", Static)
        box.display = bool(lines)
        if lines:
            t = Text()
            for i, line in enumerate(lines):
                t.append(("\n" if i else "") + line_label(line))
            box.update(t)

    def show_missing(self, missing: list[dict], target: str | None, deal_id: int | None) -> None:
        """The gate line lists what a refused move needs, with where to get the facts the card cannot fill."""
        t = Text()
        t.append(f"Cannot move to {target or 'the next stage'}: missing\n", style="bold red")
        for m in missing:
            t.append(f"  • {m['label']}")
            hint = FACT_HINTS.get(m["field"])
            if hint:
                t.append(f" ({hint.format(id=deal_id)})")
            t.append("\n")
        t.append("Fill them in, then escape and > again.")
        self.query_one("#gate", Static).update(t)


class CardTabs(TabbedContent):
    """The card's tabs: which one is shown and where the cursor goes (a field named by an error or by a
    stage requirement)."""

    def turn_to(self, tab: str) -> None:
        self.active = tab
        if tab == "tab-deals":
            self.query_one("#deals", DataTable).focus()
        elif tab == "tab-card":
            self.query_one("#c-name", Input).focus()
        else:
            self.query_one("Tabs").focus()

    def leave_field(self) -> None:
        """Out of a field: to the deal list on the Deals tab, else to the tab bar."""
        if self.active == "tab-deals":
            self.query_one("#deals", DataTable).focus()
        else:
            self.query_one("Tabs").focus()

    def field_error(self, field: str | None, text: str, deal: bool = False) -> None:
        """Show TEXT under FIELD (a client field, or with DEAL a deal field) and put the cursor there."""
        from models.clients import EDITABLE

        if not deal and field in EDITABLE:
            self.active = "tab-card"
            self.query_one(CardForm).error(field, text)
            self.query_one(f"#c-{field}").focus()
        elif field and any(f == field for f, _ in DEAL_INPUTS):
            self.active = "tab-deals"
            self.query_one(DealsPane).error(field, text)
            self.query_one(f"#d-{field}").focus()

    def point_at_missing(self, missing: list[dict]) -> None:
        """Put the cursor on the first missing field the card can fill (else on the deal list)."""
        from models.clients import EDITABLE

        for m in missing:
            for part in m["field"].split("|"):
                kind, _, name = part.strip().partition(".")
                if kind == "deal" and name in dict(DEAL_INPUTS):
                    self.active = "tab-deals"
                    self.query_one(DealsPane).error(name, f"{m['label']} is required to move on.")
                    self.call_after_refresh(self.query_one(f"#d-{name}").focus)
                    return
                if kind == "deal" and name == "lost_reason":
                    return
                if kind == "agreement" and name in AGREEMENT_INPUTS:
                    self.active = "tab-deals"
                    self.call_after_refresh(self.query_one(f"#d-{name}").focus)
                    return
                if kind == "client" and name in EDITABLE:
                    self.active = "tab-card"
                    self.query_one(CardForm).error(name, f"{m['label']} is required to move the deal on.")
                    self.call_after_refresh(self.query_one(f"#c-{name}").focus)
                    return
        self.active = "tab-deals"
        self.query_one("#deals", DataTable).focus()
