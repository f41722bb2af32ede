"""What every main screen shares: the status line (the signed-in rep, the time in their zone with the zone
named, the notice counter, what waits for a manager's approval), live refresh, and the notices list (`!`)."""
from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Label, Static

from tui.messages import DataChanged, LoadFailed, Loaded


class StatusLine(Static):
    """One line: who is signed in, where, when (updated at most once a minute), database state."""


class LoadingScreen(Screen):
    """A screen that paints data from models.usecases, read in a worker and delivered as a message.

    Override `fetch()` (runs in a worker thread with its own connection; returns a frozen dataclass)
    and `paint(data)` (runs on the UI thread). `load()` starts a read; only the newest read is
    painted. A change notice while the screen is hidden marks it stale: it reloads when shown.
    """

    _load_seq = 0
    _stale = False

    def load(self) -> None:
        """Read what the screen shows from models/ (called on mount and when data changed)."""
        self._load_seq += 1
        self._stale = False
        self._fetch_in_worker(self._load_seq)

    def fetch(self) -> object:
        """What the screen paints; runs in a worker thread. Read screen state set on the UI thread only."""
        return None

    def paint(self, data: object) -> None:
        """Show DATA (what fetch returned)."""

    def load_failed(self, error: str) -> None:
        self.notify(error, severity="error", timeout=6, markup=False)

    @work(thread=True, exclusive=True, group="screen-load")
    def _fetch_in_worker(self, seq: int) -> None:
        from models.engine import in_own_connection
        from models.errors import DomainError, database_error_text, database_errors

        try:
            data = in_own_connection(self.fetch)
        except DomainError as exc:
            self.post_message(LoadFailed(str(exc), kind=str(seq)))
            return
        except database_errors() as exc:
            self.post_message(LoadFailed(database_error_text(exc), kind=str(seq)))
            return
        self.post_message(Loaded(data, kind=str(seq)))

    def on_loaded(self, message: Loaded) -> None:
        message.stop()
        if message.kind == str(self._load_seq):
            self.paint(message.data)

    def on_load_failed(self, message: LoadFailed) -> None:
        message.stop()
        if message.kind == str(self._load_seq):
            self.load_failed(message.error)

    def on_data_changed(self, message: DataChanged) -> None:
        if self.is_current:
            self.load()
        else:
            self._stale = True

    def on_screen_resume(self) -> None:
        if self._stale:
            self.load()


class MainScreen(LoadingScreen):
    TITLE_TEXT = "repdesk"

    def compose_status(self) -> ComposeResult:
        yield StatusLine(id="status")

    def compose_footer(self) -> ComposeResult:
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.update_status()
        self.set_interval(60, self.update_status, name="status-minute")
        self.load()

    def status_extra(self) -> str:
        return ""

    def update_status(self) -> None:
        from models.clock import shown

        app = self.app
        rep = app.rep
        try:
            line = self.query_one("#status", StatusLine)
        except Exception:
            return
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(f"{self.TITLE_TEXT}", style="bold")
        notices = getattr(app, "notices", None)
        if notices is not None and notices.counter:  # first, so a narrow terminal cuts the name, not the news
            t.append(f"  ! {notices.counter}", style="bold reverse")
        if notices is not None and notices.approvals:
            t.append(f"  {notices.approvals} to approve", style="bold")
        if rep is not None:
            team = rep.team_name or "no team"
            t.append(f"  {rep.name} ({rep.role}, {team})")
            t.append("  " + shown(app.now(), rep.timezone))  # "Fri 20 Nov 10:00 CET": the rep's zone, named
        extra = self.status_extra()
        if extra:
            t.append(f"  {extra}")
        if not app.db_ok:
            t.append("  DATABASE UNREACHABLE - retrying", style="bold reverse")
        line.update(t)


class PlaceholderScreen(MainScreen):
    """A main screen whose capability is not built yet: says so instead of crashing or showing nothing."""

    def compose(self) -> ComposeResult:
        yield from self.compose_status()
        yield Static(f"The {self.TITLE_TEXT} screen is not built yet; its data is available from the CLI "
                     "(repdesk --help).", classes="empty-state", markup=False)
        yield from self.compose_footer()


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
