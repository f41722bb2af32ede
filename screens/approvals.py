"""Waiting for me: the installment plans and credit notes a manager decides (models.usecases.approvals
.waiting_for_me), oldest first. `a` approves the selected one, `x` rejects it (models.payments
.approve_plan / reject_plan / decide_note); the list is read again after each decision and when another
session changes something. Reached with `a` from Payments and from the palette there. Text from outside
(client names, reasons) is shown literally."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from screens.base import LoadingScreen
from screens.nav_widgets import NavTable


class ApprovalsScreen(LoadingScreen, ModalScreen):
    """Dismisses with the number of decisions taken."""

    TITLE_TEXT = "Waiting for me"
    BINDINGS = [
        Binding("escape", "close", "Back", id="approvals.close"),
        Binding("a", "decide(True)", "Approve", id="approvals.approve"),
        Binding("x", "decide(False)", "Reject", id="approvals.reject"),
        Binding("r", "reload", "Reload", show=False, id="approvals.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, object] = {}
        self.decided = 0
        self._actor = None
        self._now = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="approvals"):
            yield Static("", id="approvals-title")
            table = NavTable(id="waiting", cursor_type="row")
            table.add_columns("what", "invoice", "client", "amount", "asked")
            yield table
            yield Static("", id="approvals-detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.load()
        self.query_one(DataTable).focus()

    def load(self) -> None:
        self._actor, self._now = self.app.rep, self.app.now()
        super().load()

    def fetch(self) -> tuple:
        from models.usecases.approvals import waiting_for_me

        return waiting_for_me(self._actor, self._now)

    @staticmethod
    def key_of(w) -> str:
        return f"{w.kind}:{w.id}"

    def paint(self, data) -> None:
        from models.clock import local
        from models.money import format_amount
        from models.text import one_line

        from screens.payments_detail import zone_words

        tz = self._actor.timezone
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        self.items = {}
        for w in data:
            key = self.key_of(w)
            self.items[key] = w
            what = "plan" if w.kind == "plan" else "credit note"
            asked = local(w.asked_at, tz).strftime("%d %b %H:%M")
            table.add_row(Text(what), Text(w.number), Text(one_line(w.client, 18)),
                          Text(format_amount(w.amount_minor, w.currency)),
                          Text(f"{one_line(w.asked_by or '-', 8)} {asked}"), key=key)
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append("Waiting for me", style="bold")
        t.append(f"  {len(data)} to decide" if data else "  nothing waits for your decision")
        t.append(f" · times in {zone_words(tz, self._now)}")
        self.query_one("#approvals-title", Static).update(t)
        self.show_detail()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def selected(self):
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.items.get(key)

    def show_detail(self) -> None:
        from models.text import one_line

        w = self.selected()
        t = Text()
        if w is not None:
            reason = w.what
            t.append(f"{'Installment plan' if w.kind == 'plan' else 'Credit note'} on invoice ", style="bold")
            t.append(w.number)
            if reason:
                t.append(": " + one_line(reason, 120))
            t.append("\na approves · x rejects · escape back", style="italic")
        self.query_one("#approvals-detail", Static).update(t)

    def action_close(self) -> None:
        self.dismiss(self.decided)

    def action_reload(self) -> None:
        self.load()

    def action_decide(self, approve: bool) -> None:
        from models.errors import DomainError, database_error_text, database_errors
        from models.payments import approve_plan, decide_note, reject_plan
        from models.text import one_line

        w = self.selected()
        if w is None:
            self.notify("Nothing waits for your decision.", markup=False)
            return
        app = self.app
        invoice_id, number = w.invoice_id, w.number
        try:
            if w.kind == "plan":
                (approve_plan if approve else reject_plan)(app.rep, invoice_id, app.now())
                done = f"The plan of invoice {number} is {'approved' if approve else 'rejected'}."
            else:
                note = decide_note(app.rep, w.id, approve, app.now())
                done = f"Credit note {note.id} on {number} is {note.status}."
        except DomainError as exc:
            self.notify(one_line(str(exc), 400), severity="error", timeout=6, markup=False)
            self.load()
            return
        except database_errors() as exc:
            self.notify(database_error_text(exc), severity="error", timeout=6, markup=False)
            return
        if approve:
            from models.usecases.payments import invoice_detail

            try:
                inv = invoice_detail(app.rep, invoice_id, app.now())
                from models.money import format_amount

                done += f" Balance now {format_amount(inv.balance_minor, inv.currency)}."
            except DomainError:
                pass
        self.decided += 1
        self.notify(done, timeout=6, markup=False)
        self.load()
