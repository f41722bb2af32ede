"""The client card: every field editable (validated as typed, required ones marked), the client's deals
with the stage gate (`>`/`<`; a refused move lists what is missing and puts the cursor on the first
missing field), the deal's lines and agreement (keys in screens/client_deal.py), activities, invoices and
history. Saves are versioned: a card someone else saved since
it was opened is refused with what they changed; `ctrl+r` takes their changes in and keeps your edits.

The card is read in a worker (models.usecases.card.client_card) and painted from frozen data; the tabs
are widgets of screens/client_tabs.py."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Select, Static, TextArea

from tui.widgets.footer import QuietFooter

from screens.client_deal import DealKeys
from screens.client_load import CardLoading
from screens.client_lists import ActivityList, CardStatus, HistoryList, InvoiceList, compose_card
from screens.client_tabs import AGREEMENT_INPUTS, DEAL_INPUTS, CardForm, CardTabs, DealsPane, check_field


class ClientCardScreen(DealKeys, CardLoading):
    TITLE_TEXT = "Client card"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="card.save", priority=True),
        Binding("escape", "back", "Back", id="card.back"),
        Binding("greater_than_sign", "move(1)", "Move on", id="card.forward"),
        Binding("less_than_sign", "move(-1)", "Move back", show=False, id="card.backward"),
        Binding("ctrl+r", "reload", "Reload", id="card.reload"),
        Binding("ctrl+l", "lost", "Lost deal", id="card.lost"),
        Binding("l", "add_line", "Add line", id="card.line_add"),
        # the deal's lines and papers, the client (screens/client_deal.py); in `?` and the palette
        Binding("L", "remove_line", "Remove a line", show=False, id="card.line_remove"),
        Binding("T", "terms", "Agreement terms", show=False, id="card.agreement_terms"),
        Binding("s", "send_agreement", "Send agreement", show=False, id="card.agreement_send"),
        Binding("S", "sign_agreement", "Agreement signed", show=False, id="card.agreement_sign"),
        Binding("X", "client_lost", "Client lost", show=False, id="card.client_lost"),
        Binding("m", "schedule", "Schedule call/meeting", show=False, id="card.schedule"),
        Binding("n", "log", "Log activity", show=False, id="card.log"),
        Binding("t", "task", "New task", show=False, id="card.task"),
        Binding("D", "new_deal", "New deal", show=False, id="card.new_deal"),
        # between the card's fields and tabs (the deal list itself navigates with tui.actions.NAV)
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
        self._confirm_leave = False

    # ------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield CardStatus("", id="status")
        yield Static("", id="card-msg", classes="message")
        yield from compose_card(self.start_tab)
        yield QuietFooter(compact=True, show_command_palette=False)

    @property
    def form(self) -> CardForm:
        return self.query_one(CardForm)

    @property
    def deals(self) -> DealsPane:
        return self.query_one(DealsPane)

    @property
    def tabs(self) -> CardTabs:
        return self.query_one(CardTabs)

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

        reasons = dict(self.card.lost_reasons)
        for f, v in (data.get("client") or {}).items():
            if f not in EDITABLE or (f == "lost_reason" and v and v not in reasons):
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
        self.reload(keep_edits=False, then=self._opened)

    def _opened(self) -> None:
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
        return self.form.value(f)

    def set_field(self, f: str, value: str) -> None:
        self.form.set(f, value)

    def deal_field(self, f: str) -> str:
        return self.deals.value(f)

    def set_deal_field(self, f: str, value: str) -> None:
        self.deals.set(f, value)

    def client_edits(self) -> dict:
        return self.form.edits()

    def deal_edits(self) -> dict:
        return self.deals.edits() if self.current_deal() is not None else {}

    def current_deal(self):
        return self.card.deal(self.deal_id) if self.card is not None else None

    check_field = staticmethod(check_field)

    def show(self, card, keep_edits: bool) -> None:
        mine = self.client_edits() if keep_edits and self.card is not None else {}
        deal_mine = self.deal_edits() if keep_edits and self.card is not None else {}
        self.card = card
        self.form.fill(card, mine)
        self.deal_id = self.deals.fill(card.deals, self.deal_id, deal_mine)
        tz = self.app.rep.timezone
        for lst in (self.query_one(ActivityList), self.query_one(InvoiceList), self.query_one(HistoryList)):
            lst.show(card, tz, self.app.now())
        self.update_status()

    def update_status(self) -> None:
        if self.card is not None:
            self.query_one(CardStatus).show(self.card, bool(self.client_edits() or self.deal_edits()))

    # ------------------------------------------------------------ edits
    def on_input_changed(self, event: Input.Changed) -> None:
        self.update_status()

    def on_select_changed(self, event: Select.Changed) -> None:
        if not self.form.filling:
            self.update_status()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if not (self.form.filling or self.deals.filling):
            self.update_status()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        table = event.data_table
        if table.id != "deals" or not table.row_count or self.card is None:
            return
        # act on where the cursor is now (events from filling the table arrive late)
        new_id = int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        if new_id != self.deal_id:
            if self.deal_edits():
                self.notify("Save (ctrl+s) or reload (ctrl+r) the deal's edits before switching deals.",
                            severity="warning", markup=False)
                ids = [d.id for d in self.card.deals]
                self.call_after_refresh(table.move_cursor, row=ids.index(self.deal_id))
                return
            self.deal_id = new_id
            self.deals.fill_form(self.card.deal(new_id), {})

    # ------------------------------------------------------------ saving
    def message(self, text: str, error: bool = True) -> None:
        msg = self.query_one("#card-msg", Static)
        msg.update(Text(text, style="bold red" if error else "bold"))
        msg.display = bool(text)

    def save(self) -> bool:
        """Save the client's and the deal's edits, all or nothing; on a refusal keep every typed value and
        say why."""
        from models.errors import DomainError, StaleRecord, ValidationError, database_error_text, database_errors
        from models.usecases.card import save_card

        app = self.app
        edits, deal_edits = self.client_edits(), self.deal_edits()
        if not edits and not deal_edits:
            return True
        typed = dict(deal_edits)
        ag = {k: deal_edits.pop(k) for k in AGREEMENT_INPUTS if k in deal_edits}
        if ag:
            ag = {k: ag.get(k, self.deal_field(k)) for k in AGREEMENT_INPUTS}
        version, deal_version, agreement_version = self.versions()
        try:
            save_card(app.rep, self.client_id, app.now(), client_changes=edits, client_version=version,
                      deal_id=self.deal_id, deal_changes=deal_edits, deal_version=deal_version,
                      agreement=ag or None, agreement_version=agreement_version)
        except StaleRecord as exc:
            self.message(f"{exc} Press ctrl+r to take their changes in (your edits stay), then ctrl+s.")
            return False
        except ValidationError as exc:
            in_deal = exc.field in dict(DEAL_INPUTS) and exc.field not in edits
            self.tabs.field_error(exc.field, str(exc), deal=in_deal)
            self.message(str(exc))
            return False
        except DomainError as exc:
            self.message(str(exc))
            return False
        except database_errors() as exc:  # nothing was saved; everything typed stays
            self.message(f"Not saved: the database refused it ({database_error_text(exc)}). Your edits are kept.")
            return False
        self._confirm_leave = False
        # what was typed is saved: no longer an edit, while the saved card is read again
        self.form.loaded.update(edits)
        self.deals.loaded.update(typed)
        self.reload(keep_edits=False)
        self.message("Saved.", error=False)
        return True

    def action_save(self) -> None:
        self.save()

    def action_reload(self) -> None:
        kept = sorted(self.client_edits()) + sorted(self.deal_edits())
        self.reload(keep_edits=True)
        self.message("Reloaded: the saved card is shown" + (f"; your edits to {', '.join(kept)} are kept: ctrl+s "
                                                            "saves them." if kept else "."), error=False)

    def action_back(self) -> None:
        if isinstance(self.focused, (Input, Select, TextArea)):
            self.tabs.leave_field()
            return
        if (self.client_edits() or self.deal_edits()) and not self._confirm_leave:
            self._confirm_leave = True
            self.message("Unsaved edits: ctrl+s saves them, escape again leaves without saving.")
            return
        self.dismiss(None)

    def action_tab(self, tab: str) -> None:
        self.tabs.turn_to(tab)

    def action_cursor(self, step: int) -> None:
        table = self.query_one("#deals", DataTable)
        if self.focused is table:
            table.action_cursor_down() if step > 0 else table.action_cursor_up()
        else:
            self.focus_next() if step > 0 else self.focus_previous()

    def action_new_deal(self) -> None:
        from screens.client_dialogs import ask_new_deal

        def done(deal) -> None:
            if deal:
                self.deal_id = deal.id
                self.reload(keep_edits=True)
                self.action_tab("tab-deals")

        ask_new_deal(self.app, self.client_id, done)

    def action_log(self) -> None:
        from screens.client_dialogs import ask_activity

        ask_activity(self.app, self.client_id, self.deal_id, self._activity_added)

    def action_task(self) -> None:
        from screens.client_dialogs import ask_task

        ask_task(self.app, self.client_id, self.deal_id, self._activity_added)

    def _activity_added(self, result) -> None:
        if result:
            self.reload(keep_edits=True)
            self.action_tab("tab-activity")

    # ------------------------------------------------------------ the stage gate (`>`/`<`: DealKeys)
    def show_missing(self, missing: list[dict], target: str | None) -> None:
        """List what the move needs and put the cursor on the first missing field the card can fill."""
        self.deals.show_missing(missing, target, self.deal_id)
        self.message(f"Not moved: {len(missing)} requirement(s) missing.")
        self.tabs.point_at_missing(missing)
