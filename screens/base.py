"""What every main screen shares: the status line (the signed-in rep, the time in their zone with the zone
named, the notice counter, what waits for a manager's approval) and live refresh; the notices list (`!`)
is screens/notices.py."""
from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from tui.widgets.footer import QuietFooter
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
    _painted_seq = 0
    _stale = False

    @property
    def settled(self) -> bool:
        """Whether the newest read has been painted (or refused): what a test waits for, not a fixed time.
        A mounted screen that has not asked for its first read yet is not settled (it reads on mount)."""
        return self._load_seq > 0 and self._painted_seq >= self._load_seq

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
            self._painted_seq = self._load_seq

    def on_load_failed(self, message: LoadFailed) -> None:
        message.stop()
        if message.kind == str(self._load_seq):
            self.load_failed(message.error)
            self._painted_seq = self._load_seq

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
        yield QuietFooter(compact=True, show_command_palette=False)

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
