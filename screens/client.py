"""The client card: every field editable (validated as typed, required ones marked), the client's deals
with the stage gate (`>`/`<`; a refused move lists what is missing and puts the cursor on the first
missing field), activities, invoices and history. Saves are versioned: a card someone else saved since
it was opened is refused with what they changed; `ctrl+r` takes their changes in and keeps your edits."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Label, Select, Static, TabbedContent, TabPane, TextArea

DEAL_INPUTS = (("title", "Title"), ("need", "Need"), ("budget", "Budget"), ("timeline", "Timeline"),
               ("decision_maker", "Decision maker"), ("products", "Products"), ("amount", "Amount"),
               ("currency", "Currency"), ("provides", "We provide"), ("receives", "We get back"))
AGREEMENT_INPUTS = ("provides", "receives")
DEAL_MULTILINE = ("need", "products", "provides", "receives")  # text areas: what was written keeps its lines
FACT_HINTS = {
    "agreement.signed": "sign the agreement: Payments screen, or repdesk agreement sign --deal {id}",
    "invoice.issued": "issue the invoice: repdesk invoice add --deal {id}",
    "payment.full": "record the payment on the Payments screen (p)",
    "payment.full_or_plan": "record the payment, or have a manager approve the installment plan",
}


class ClientCardScreen(Screen):
    TITLE_TEXT = "Client card"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="card.save", priority=True),
        Binding("escape", "back", "Back", id="card.back"),
        Binding("greater_than_sign", "move(1)", "Move on", id="card.forward"),
        Binding("less_than_sign", "move(-1)", "Move back", id="card.backward"),
        Binding("ctrl+r", "reload", "Reload", id="card.reload"),
        Binding("ctrl+l", "lost", "Lost deal", id="card.lost"),
        Binding("n", "log", "Log activity", show=False, id="card.log"),
        Binding("t", "task", "New task", show=False, id="card.task"),
        Binding("D", "new_deal", "New deal", show=False, id="card.new_deal"),
        Binding("j", "cursor(1)", "Down", show=False, id="card.down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="card.up"),
        Binding("c", "tab('tab-card')", "Card", show=False, id="card.tab_card"),
        Binding("d", "tab('tab-deals')", "Deals", show=False, id="card.tab_deals"),
        Binding("a", "tab('tab-activity')", "Activity", show=False, id="card.tab_activity"),
        Binding("i", "tab('tab-invoices')", "Invoices", show=False, id="card.tab_invoices"),
        Binding("h", "tab('tab-history')", "History", show=False, id="card.tab_history"),
    ]

    def __init__(self, client_id: int, deal_id: int | None = None, missing: list[dict] | None = None,
                 tab: str | None = None, target: str | None = None, restore: dict | None = None) -> None:
        super().__init__()
        self.client_id = client_id
        self.deal_id = deal_id
        self.pending_missing = missing
        self.pending_target = target
        self.pending_restore = restore
        self.start_tab = tab or ("tab-deals" if deal_id else "tab-card")
        self.data: dict = {}
        self.loaded: dict[str, str] = {}        # client field -> text as loaded
        self.version: int | None = None
        self.deal_loaded: dict[str, str] = {}
        self.deal_version: int | None = None
        self.agreement_version: int | None = None
        self._filling = False
        self._confirm_leave = False

    # ------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        from models.clients import EDITABLE, LABELS, MULTILINE

        yield Static("", id="status")
        yield Static("", id="card-msg", classes="message")
        with TabbedContent(initial=self.start_tab, id="tabs"):
            with TabPane("Card", id="tab-card"):
                with VerticalScroll(id="card-form", classes="form"):
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
            with TabPane("Deals", id="tab-deals"):
                table = DataTable(id="deals", cursor_type="row")
                table.add_columns("deal", "stage", "amount", "next needs")
                yield table
                yield Static("", id="gate", markup=False)
                with VerticalScroll(id="deal-form", classes="form"):
                    for f, label in DEAL_INPUTS:
                        with Horizontal(classes="field tall" if f in DEAL_MULTILINE else "field"):
                            yield Label(label, classes="flabel", markup=False)
                            if f in DEAL_MULTILINE:
                                yield TextArea(id=f"d-{f}", compact=True, soft_wrap=True, classes="multi")
                            else:
                                yield Input(id=f"d-{f}", compact=True)
                        yield Static("", id=f"de-{f}", classes="ferror", markup=False)
            with TabPane("Activity", id="tab-activity"):
                with VerticalScroll():
                    yield Static("", id="activity")
            with TabPane("Invoices", id="tab-invoices"):
                with VerticalScroll():
                    yield Static("", id="invoices")
            with TabPane("History", id="tab-history"):
                with VerticalScroll():
                    yield Static("", id="history")
        yield Footer(compact=True, show_command_palette=False)

    def _leave(self) -> None:
        self.dismiss(None)  # not awaited: called from this screen's own message loop

    @property
    def form_id(self) -> str:
        return f"card:{self.client_id}"

    def values(self) -> dict:
        """What the rep typed and has not saved (kept as a draft when the line drops)."""
        edits, deal = self.client_edits(), self.deal_edits()
        if not edits and not deal:
            return {}
        return {"client": edits, "deal": deal, "deal_id": self.deal_id}

    def apply_restore(self, data: dict) -> None:
        from models.clients import EDITABLE

        for f, v in (data.get("client") or {}).items():
            if f not in EDITABLE or (f == "lost_reason" and v and v not in self.data["lost_reasons"]):
                continue
            self.set_field(f, v)
        if data.get("deal_id") == self.deal_id:
            for f, v in (data.get("deal") or {}).items():
                if f in dict(DEAL_INPUTS):
                    self.set_deal_field(f, v)
        self.update_status()
        self.message("Restored what you were typing when the connection dropped: ctrl+s saves it, ctrl+r "
                     "shows the saved card with your edits kept.", error=False)

    def on_mount(self) -> None:
        from models.errors import DomainError

        try:
            self.reload(keep_edits=False)
        except DomainError as exc:  # not ours to see (any more), merged away, gone
            self.app.notify(str(exc), severity="error", markup=False)
            self.call_after_refresh(self._leave)
            return
        if self.pending_restore:
            self.apply_restore(self.pending_restore)
            self.pending_restore = None
        if self.pending_missing:
            self.show_missing(self.pending_missing, self.pending_target)
            self.pending_missing = None
        elif self.start_tab == "tab-deals":
            self.query_one("#deals", DataTable).focus()
        else:
            self.query_one("#c-name", Input).focus()

    # ------------------------------------------------------------ fields
    def field_value(self, f: str) -> str:
        w = self.query_one(f"#c-{f}")
        if isinstance(w, Select):
            return "" if w.value is Select.NULL or w.value is None else str(w.value)
        if isinstance(w, TextArea):
            return w.text
        return w.value

    def set_field(self, f: str, value: str) -> None:
        w = self.query_one(f"#c-{f}")
        if isinstance(w, Select):
            w.value = value if value else Select.NULL
        elif isinstance(w, TextArea):
            w.load_text(value)
        else:
            w.value = value

    def deal_field(self, f: str) -> str:
        w = self.query_one(f"#d-{f}")
        return w.text if isinstance(w, TextArea) else w.value

    def set_deal_field(self, f: str, value: str) -> None:
        w = self.query_one(f"#d-{f}")
        if isinstance(w, TextArea):
            w.load_text(value)
        else:
            w.value = value

    # ------------------------------------------------------------ loading
    def reload(self, keep_edits: bool = True) -> None:
        """Read the card again. With KEEP_EDITS the fields the rep changed keep what was typed."""
        from models.clients import EDITABLE, MULTILINE, card
        from models.text import safe

        app = self.app
        mine = self.client_edits() if keep_edits else {}
        deal_mine = self.deal_edits() if keep_edits else {}
        self.data = card(app.rep, self.client_id, app.now())
        # what the inputs show: stored text made safe for a terminal (escape sequences never reach it)
        self.loaded = {f: safe(self.data["fields"][f], single_line=f not in MULTILINE, max_line=0) for f in EDITABLE}
        self.version = self.data["version"]
        self._filling = True
        try:
            required = set(self.data["required"])
            for f in EDITABLE:
                from models.clients import LABELS

                self.query_one(f"#l-{f}", Label).update(LABELS[f] + (" *" if f in required else ""))
                if f == "lost_reason":
                    self.query_one("#c-lost_reason", Select).set_options(
                        [(label, key) for key, label in self.data["lost_reasons"].items()])
                self.set_field(f, mine.get(f, self.loaded[f]))
        finally:
            self._filling = False
        self.fill_deals(deal_mine)
        self.fill_lists()
        self.update_status()

    def update_status(self) -> None:
        from models.text import one_line

        c = self.data["client"]
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(f"Client #{c['id']} ", style="bold")
        t.append(one_line(c["name"], 30), style="bold")
        t.append(f"  {c['segment']}  owner {c['owner'] or '-'}  v{c['version']}")
        if c.get("lost_reason"):
            t.append(f"  lost: {c['lost_reason']}", style="bold red")
        if self.client_edits() or self.deal_edits():
            t.append("  (unsaved)", style="bold")
        t.append("  esc, then c d a i h: tabs, D deal, n log, t task", style="dim")
        self.query_one("#status", Static).update(t)

    def fill_deals(self, deal_mine: dict | None = None) -> None:
        from models.text import one_line

        table = self.query_one("#deals", DataTable)
        table.clear()
        for d in self.data["deals"]:
            amount = d["amount_text"]
            needs = ", ".join(d["next_missing"]) if d["next_stage"] else "closed"
            # cells are Text: a str cell would be read as markup
            table.add_row(Text(one_line(d["title"], 24)), Text(d["stage_name"]), Text(amount),
                          Text(one_line(needs or f"ready for {d['next_stage']}", 30)), key=str(d["id"]))
        ids = [d["id"] for d in self.data["deals"]]
        if self.deal_id not in ids:
            self.deal_id = ids[0] if ids else None
        if self.deal_id is not None:
            table.move_cursor(row=ids.index(self.deal_id))
        self.fill_deal_form(deal_mine or {})

    def current_deal(self) -> dict | None:
        return next((d for d in self.data.get("deals", []) if d["id"] == self.deal_id), None)

    def fill_deal_form(self, mine: dict) -> None:
        from models.payments import agreement_dict, get_agreement
        from models.text import safe

        d = self.current_deal()
        form = self.query_one("#deal-form")
        form.display = d is not None
        if d is None:
            self.deal_loaded, self.deal_version = {}, None
            self.query_one("#gate", Static).update("No deals yet: D adds one.")
            return
        ag = agreement_dict(get_agreement(self.app.rep, d["id"])) or {}
        values = {f: "" if d.get(f) is None else str(d.get(f)) for f, _ in DEAL_INPUTS if f not in AGREEMENT_INPUTS}
        values.update(provides=ag.get("provides") or "", receives=ag.get("receives") or "")
        values = {k: safe(v, single_line=k not in DEAL_MULTILINE, max_line=0)  # never raw escapes
                  for k, v in values.items()}
        self.deal_loaded, self.deal_version = values, d["version"]
        self.agreement_version = ag.get("version", 0)
        self._filling = True
        try:
            for f, _ in DEAL_INPUTS:
                self.set_deal_field(f, mine.get(f, values[f]))
                self.set_error(f"#de-{f}", "")
        finally:
            self._filling = False
        gate = Text()
        gate.append(f"{d['stage_name']}", style="bold")
        if d["next_stage"]:
            gate.append(f" -> {d['next_stage']}: ")
            gate.append(", ".join(d["next_missing"]) + " missing" if d["next_missing"] else "ready (press >)")
        if ag.get("status"):
            gate.append(f"  agreement {ag['status']}")
        self.query_one("#gate", Static).update(gate)

    def fill_lists(self) -> None:
        from models.clock import local, parse_iso
        from models.text import one_line

        tz = self.app.rep.timezone

        def when(v):
            return local(parse_iso(v), tz).strftime("%d %b %y %H:%M") if v else "-"

        t = Text()
        for a in self.data["activities"]:
            state = "done" if a["done_at"] else (f"due {when(a['due_at'])}" if a["due_at"] else "")
            t.append(f"{when(a['created_at'])}  {a['kind']:<8} {state:<20} ")
            t.append(one_line(a["subject"] + (f": {a['note']}" if a.get("note") else ""), 80) + "\n")
        self.query_one("#activity", Static).update(t or Text("No activities yet."))
        t = Text()
        for inv in self.data["invoices"]:
            t.append(f"{inv['number']:<18} {inv['status']:<12} {inv['amount']:>12} {inv['currency']}  "
                     f"balance {inv['balance']}  due {when(inv['due_at'])}\n")
        self.query_one("#invoices", Static).update(t or Text("No invoices yet."))
        t = Text()
        for h in self.data["history"]:
            t.append(f"{when(h['at'])}  {h['actor']:<8} {h['kind']} {h['record_id']} {h['action']} ")
            if h["field"]:
                t.append(one_line(f"{h['field']}: {h['old'] or '(empty)'} -> {h['new'] or '(empty)'}", 90))
            elif h["new"]:
                t.append(one_line(h["new"], 90))
            t.append("\n")
        self.query_one("#history", Static).update(t or Text("No history."))

    def on_data_changed(self, message) -> None:
        """Another session wrote something: an untouched card shows it at once; a card with edits says
        what changed and keeps the edits (ctrl+r takes the change in)."""
        from models.clients import changed_meanwhile
        from models.errors import DomainError

        try:
            what = changed_meanwhile(self.app.rep, self.client_id, self.version, self.deal_id, self.deal_version,
                                     self.agreement_version)
        except DomainError:  # merged away, reassigned, gone: say so, keep what is on the screen
            self.message("This card is no longer yours to see or was merged away; your edits cannot be saved here.")
            return
        if what is None:
            return
        if self.client_edits() or self.deal_edits():
            self.message(f"Meanwhile {what}. ctrl+r takes it in and keeps your edits.")
        else:
            self.reload(keep_edits=False)
            self.message(f"Updated: {what}.", error=False)

    # ------------------------------------------------------------ edits
    def client_edits(self) -> dict:
        from models.clients import EDITABLE

        if not self.loaded:
            return {}
        out = {}
        for f in EDITABLE:
            value = self.field_value(f)
            if value.strip() != self.loaded[f].strip():
                out[f] = value
        return out

    def deal_edits(self) -> dict:
        if not self.deal_loaded:
            return {}
        out = {}
        for f, _ in DEAL_INPUTS:
            value = self.deal_field(f)
            if value.strip() != self.deal_loaded.get(f, "").strip():
                out[f] = value
        return out

    def on_input_changed(self, event: Input.Changed) -> None:
        if self._filling:
            return
        wid = event.input.id or ""
        if wid.startswith("c-"):
            name = wid[2:]
            self.set_error(f"#e-{name}", self.check_field(name, event.value, self.data.get("phone_region")))
        self.update_status()

    def on_select_changed(self, event: Select.Changed) -> None:
        if not self._filling:
            self.update_status()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if not self._filling:
            self.update_status()

    @staticmethod
    def check_field(name: str, value: str, region: str | None = None) -> str:
        """The reason a value is refused, as the rep types (e-mail, phone, dates, country); REGION is read
        once with the card, so a keystroke never waits for the database."""
        from models.clients import field_problem

        if name not in ("email", "phone", "birth_date", "country"):
            return ""
        return field_problem(name, value, region) or ""

    def set_error(self, selector: str, text: str) -> None:
        w = self.query_one(selector, Static)
        w.update(text)
        w.display = bool(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        table = event.data_table
        if table.id != "deals" or not table.row_count:
            return
        # act on where the cursor is now (events from filling the table arrive late)
        new_id = int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        if new_id != self.deal_id:
            if self.deal_edits():
                self.notify("Save (ctrl+s) or reload (ctrl+r) the deal's edits before switching deals.",
                            severity="warning", markup=False)
                table = event.data_table
                ids = [d["id"] for d in self.data["deals"]]
                self.call_after_refresh(table.move_cursor, row=ids.index(self.deal_id))
                return
            self.deal_id = new_id
            self.fill_deal_form({})

    # ------------------------------------------------------------ saving
    def message(self, text: str, error: bool = True) -> None:
        msg = self.query_one("#card-msg", Static)
        msg.update(Text(text, style="bold red" if error else "bold"))
        msg.display = bool(text)

    def save(self) -> bool:
        """Save the client's and the deal's edits, all or nothing; on a refusal keep every typed value and
        say why."""
        from models.clients import save_card
        from models.errors import DomainError, StaleRecord, ValidationError, database_error_text, database_errors

        app = self.app
        edits, deal_edits = self.client_edits(), self.deal_edits()
        if not edits and not deal_edits:
            return True
        ag = {k: deal_edits.pop(k) for k in AGREEMENT_INPUTS if k in deal_edits}
        if ag:
            ag = {k: ag.get(k, self.deal_field(k)) for k in AGREEMENT_INPUTS}
        try:
            save_card(app.rep, self.client_id, app.now(), client_changes=edits, client_version=self.version,
                      deal_id=self.deal_id, deal_changes=deal_edits, deal_version=self.deal_version,
                      agreement=ag or None, agreement_version=self.agreement_version)
        except StaleRecord as exc:
            self.message(f"{exc} Press ctrl+r to take their changes in (your edits stay), then ctrl+s.")
            return False
        except ValidationError as exc:
            in_deal = exc.field in dict(DEAL_INPUTS) and exc.field not in edits
            self.field_error(exc.field, str(exc), deal=in_deal)
            return False
        except DomainError as exc:
            self.message(str(exc))
            return False
        except database_errors() as exc:  # nothing was saved; everything typed stays
            self.message(f"Not saved: the database refused it ({database_error_text(exc)}). Your edits are kept.")
            return False
        self._confirm_leave = False
        self.reload(keep_edits=False)
        self.message("Saved.", error=False)
        return True

    def field_error(self, field: str | None, text: str, deal: bool = False) -> None:
        from models.clients import EDITABLE

        if not deal and field in EDITABLE:
            self.query_one(TabbedContent).active = "tab-card"
            self.set_error(f"#e-{field}", text)
            self.query_one(f"#c-{field}").focus()
        elif field and any(f == field for f, _ in DEAL_INPUTS):
            self.query_one(TabbedContent).active = "tab-deals"
            self.set_error(f"#de-{field}", text)
            self.query_one(f"#d-{field}").focus()
        self.message(text)

    def action_save(self) -> None:
        self.save()

    def action_reload(self) -> None:
        kept = sorted(self.client_edits()) + sorted(self.deal_edits())
        self.reload(keep_edits=True)
        self.message("Reloaded: the saved card is shown" + (f"; your edits to {', '.join(kept)} are kept: ctrl+s "
                                                            "saves them." if kept else "."), error=False)

    def action_back(self) -> None:
        focused = self.focused
        if isinstance(focused, (Input, Select, TextArea)):
            if self.query_one(TabbedContent).active == "tab-deals":
                self.query_one("#deals", DataTable).focus()
            else:
                self.query_one(TabbedContent).query_one("Tabs").focus()
            return
        if (self.client_edits() or self.deal_edits()) and not getattr(self, "_confirm_leave", False):
            self._confirm_leave = True
            self.message("Unsaved edits: ctrl+s saves them, escape again leaves without saving.")
            return
        self.dismiss(None)

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "tab-deals":
            self.query_one("#deals", DataTable).focus()
        elif tab == "tab-card":
            self.query_one("#c-name", Input).focus()
        else:
            self.query_one(TabbedContent).query_one("Tabs").focus()

    def action_cursor(self, step: int) -> None:
        table = self.query_one("#deals", DataTable)
        if self.focused is table:
            table.action_cursor_down() if step > 0 else table.action_cursor_up()
        else:
            self.focus_next() if step > 0 else self.focus_previous()

    # ------------------------------------------------------------ the stage gate
    def action_move(self, step: int) -> None:
        from models.errors import DomainError, StageGateError
        from models.pipeline import move_deal, stages

        d = self.current_deal()
        if d is None:
            self.notify("This client has no deal to move.", markup=False)
            return
        if not self.save():
            return
        ordinary = [s.key for s in stages() if not s.terminal]
        if d["stage"] not in ordinary:
            self.notify("Won and lost deals are closed; reopen one with repdesk deal move.", markup=False)
            return
        i = ordinary.index(d["stage"]) + step
        if not 0 <= i < len(ordinary):
            return
        try:
            moved = move_deal(self.app.rep, d["id"], ordinary[i], self.app.now())
        except StageGateError as exc:
            self.show_missing(exc.missing, ordinary[i])
            return
        except DomainError as exc:
            self.message(str(exc))
            return
        self.reload(keep_edits=False)
        self.message(f"Deal {moved.id} moved to {moved.stage.name}.", error=False)
        self.query_one("#deals", DataTable).focus()

    def action_lost(self) -> None:
        from screens.rules import ask_lost_reason

        d = self.current_deal()
        if d is None:
            return
        ask_lost_reason(self.app, d["id"], lambda result: result and self.reload(keep_edits=True))

    def action_new_deal(self) -> None:
        """A new deal for this client (it starts in New; its fields are filled on the Deals tab)."""
        from models.money import check_currency
        from models.pipeline import add_deal
        from screens.form import FieldSpec, FormDialog

        app = self.app

        def currency_check(value: str) -> str | None:
            try:
                check_currency(value)
            except ValueError as exc:
                return str(exc)
            return None

        def submit(v):
            return add_deal(app.rep, self.client_id, v["title"], app.now(), v["amount"] or None,
                            v["currency"] or "EUR")

        def done(deal) -> None:
            if deal:
                self.deal_id = deal.id
                self.reload(keep_edits=True)
                self.action_tab("tab-deals")

        app.push_screen(FormDialog("New deal", [
            FieldSpec("title", "Title", required=True), FieldSpec("amount", "Amount (e.g. 1800.00)"),
            FieldSpec("currency", "Currency", value="EUR", validate=currency_check)],
            submit, form_id=f"card-deal:{self.client_id}"), done)

    def action_log(self) -> None:
        """Log a call, e-mail, message or meeting with this client (about the selected deal)."""
        from models.activities import log_activity
        from screens.form import FieldSpec, FormDialog

        app = self.app
        kinds = [("Call", "call"), ("E-mail", "email"), ("Message", "message"), ("Meeting", "meeting")]

        def submit(v):
            return log_activity(app.rep, v["kind"], v["subject"], now=app.now(), client_id=self.client_id,
                                deal_id=self.deal_id, note=v["note"] or None)

        def done(result) -> None:
            if result:
                self.reload(keep_edits=True)
                self.action_tab("tab-activity")

        app.push_screen(FormDialog("Log an activity", [
            FieldSpec("kind", "Kind", choices=kinds), FieldSpec("subject", "What happened", required=True),
            FieldSpec("note", "Note", multiline=True)], submit, form_id=f"card-log:{self.client_id}"), done)

    def action_task(self) -> None:
        """A task about this client (and the selected deal), for the client's owner."""
        from models.activities import add_task
        from models.clock import parse_local
        from models.errors import ValidationError
        from screens.form import FieldSpec, FormDialog

        app = self.app
        tz = app.rep.timezone

        def check(value: str) -> str | None:
            try:
                parse_local(value, tz, app.now())
            except ValueError as exc:
                return f"{exc}."
            return None

        def submit(v):
            try:
                due = parse_local(v["due"], tz, app.now())
            except ValueError as exc:
                raise ValidationError(f"{exc}.", field="due") from None
            return add_task(app.rep, self.client_id, v["subject"], due, app.now(), deal_id=self.deal_id)

        def done(result) -> None:
            if result:
                self.reload(keep_edits=True)
                self.action_tab("tab-activity")

        app.push_screen(FormDialog("New task", [
            FieldSpec("subject", "Task", required=True),
            FieldSpec("due", "Due (2026-11-24 15:30, 2026-11-24, +2d, +3h)", value="+1d", required=True,
                      validate=check)], submit, form_id=f"card-task:{self.client_id}"), done)

    def show_missing(self, missing: list[dict], target: str | None) -> None:
        """List what the move needs and put the cursor on the first missing field the card can fill."""
        from models.clients import EDITABLE

        t = Text()
        t.append(f"Cannot move to {target or 'the next stage'}: missing\n", style="bold red")
        for m in missing:
            t.append(f"  • {m['label']}")
            hint = FACT_HINTS.get(m["field"])
            if hint:
                t.append(f" ({hint.format(id=self.deal_id)})")
            t.append("\n")
        t.append("Fill them in, then escape and > again.")
        self.query_one("#gate", Static).update(t)
        self.message(f"Not moved: {len(missing)} requirement(s) missing.")
        for m in missing:
            for part in m["field"].split("|"):
                kind, _, name = part.strip().partition(".")
                if kind == "deal" and name in dict(DEAL_INPUTS):
                    self.query_one(TabbedContent).active = "tab-deals"
                    self.set_error(f"#de-{name}", f"{m['label']} is required to move on.")
                    self.call_after_refresh(self.query_one(f"#d-{name}").focus)
                    return
                if kind == "deal" and name == "lost_reason":
                    return
                if kind == "agreement" and name in AGREEMENT_INPUTS:
                    self.query_one(TabbedContent).active = "tab-deals"
                    self.call_after_refresh(self.query_one(f"#d-{name}").focus)
                    return
                if kind == "client" and name in EDITABLE:
                    self.query_one(TabbedContent).active = "tab-card"
                    self.set_error(f"#e-{name}", f"{m['label']} is required to move the deal on.")
                    self.call_after_refresh(self.query_one(f"#c-{name}").focus)
                    return
        self.query_one(TabbedContent).active = "tab-deals"
        self.query_one("#deals", DataTable).focus()
