"""What every main screen shares: the status line with the signed-in rep and live refresh."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static


class StatusLine(Static):
    """One line: who is signed in, where, when (updated at most once a minute), database state."""


class MainScreen(Screen):
    TITLE_TEXT = "repdesk"

    def compose_status(self) -> ComposeResult:
        yield StatusLine(id="status")

    def compose_footer(self) -> ComposeResult:
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.update_status()
        self.set_interval(60, self.update_status, name="status-minute")
        self.load()

    def load(self) -> None:
        """Read what the screen shows from models/ (called on mount and when data changed)."""

    def on_data_changed(self, message) -> None:
        self.load()

    def status_extra(self) -> str:
        return ""

    def update_status(self) -> None:
        from models.clock import local

        app = self.app
        rep = app.rep
        try:
            line = self.query_one("#status", StatusLine)
        except Exception:
            return
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(f"{self.TITLE_TEXT}", style="bold")
        if rep is not None:
            team = rep.team.name if rep.team_id else "no team"
            t.append(f"  {rep.name} ({rep.role}, {team})")
            t.append("  " + local(app.now(), rep.timezone).strftime("%a %d %b %H:%M"))
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
