"""`!`: the notices list (what happened that concerns the rep since they last looked)."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from screens.base import LoadingScreen


class NoticesScreen(LoadingScreen, ModalScreen):
    """`!`: what happened that concerns the rep since they last looked (models.usecases.notices), newest
    first, times in their zone; opening it marks them seen. `enter` opens the client card (or the inbox)."""

    BINDINGS = [
        Binding("escape,exclamation_mark,q", "dismiss", "Close", id="notices.close"),
        Binding("enter", "open", "Open", id="notices.open", show=True, key_display="⏎"),
    ]
    DEFAULT_CSS = """
    NoticesScreen { align: center middle; }
    NoticesScreen > Vertical { height: auto; max-height: 90%; }
    NoticesScreen DataTable { height: auto; max-height: 16; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.view = None

    def compose(self) -> ComposeResult:
        from screens.nav_widgets import NavTable

        with Vertical(classes="dialog"):
            yield Label("Notices", classes="title", id="notices-title")
            yield NavTable(id="notices", cursor_type="row", zebra_stripes=False, show_header=False)
            yield Label("", classes="hint", id="notices-hint")

    def on_mount(self) -> None:
        self.query_one("#notices").focus()
        self.load()

    def fetch(self):
        from models.usecases.notices import open_notices

        return open_notices(self.app.rep, self.app.now())

    def on_data_changed(self, message) -> None:
        """What was new when the list opened stays on it (a reload would mark seen again); the counter
        in the status line shows what came after."""
        message.stop()

    def paint(self, view) -> None:
        from models.clock import shown

        self.view = view
        tz = self.app.rep.timezone
        table = self.query_one("#notices")
        table.clear(columns=True)
        table.add_columns("when", "notice")
        for i, n in enumerate(view.items):  # the zone is named once, in the title
            table.add_row(Text(shown(n.at, tz, view.now, with_zone=False), style="bold"), Text(n.text), key=str(i))
        title = f"Notices since {shown(view.since, tz, view.now)}"
        if view.count > len(view.items):
            title += f" ({len(view.items)} newest of {view.count}{'+' if view.more else ''})"
        self.query_one("#notices-title", Label).update(Text(title))
        hint = "Nothing new." if not view.items else "enter opens it; escape closes"
        if view.approvals:
            hint += f" · {view.approvals} plan(s) or credit note(s) wait for your decision (Payments)"
        self.query_one("#notices-hint", Label).update(Text(hint))
        notices_seen = getattr(self.app, "notices_seen", None)
        if notices_seen:
            notices_seen(view)

    def on_data_table_row_selected(self, event) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        if self.view is None or not self.view.items:
            return
        row = self.query_one("#notices").cursor_row
        if 0 <= row < len(self.view.items):
            notice = self.view.items[row]
            self.dismiss()
            opener = getattr(self.app, "open_notice", None)
            if opener:
                opener(notice)
