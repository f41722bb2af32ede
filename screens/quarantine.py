"""The quarantine: intake lines and messages that could not be read, shown literally with the reason."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from models.usecases.inbox import QuarantineRow
from screens.application import ScrollNav
from screens.base import LoadingScreen
from tui.actions import NAV, bindings


def quarantine_text(rows: tuple[QuarantineRow, ...]) -> Text:
    from models.text import one_line

    if not rows:
        return Text("Nothing in the quarantine.")
    t = Text()
    for r in rows:
        where = f"{r.source}" + (f" line {r.line}" if r.line else "")
        t.append(f"{one_line(where, 40)}: ", style="bold")
        t.append(one_line(r.reason, 70) + "\n")
        t.append("   " + one_line(r.raw, 72) + "\n", style="dim")
    return t


class QuarantineScreen(ScrollNav, LoadingScreen, ModalScreen):
    SCROLL_ID = "q-scroll"
    BINDINGS = [
        Binding("escape,q", "dismiss", "Back", id="quarantine.back"),
        *bindings(NAV, without=("list.open",)),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="q-scroll"):
            yield Label("Quarantine: …", classes="title", id="q-title")
            yield Static("", id="q-lines")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.load()

    def fetch(self) -> tuple[QuarantineRow, ...]:
        from models.usecases.inbox import quarantine_rows

        return quarantine_rows(self.app.rep, 100)

    def paint(self, rows: tuple[QuarantineRow, ...]) -> None:
        self.query_one("#q-title", Label).update(f"Quarantine: {len(rows)} line(s) that could not be imported")
        self.query_one("#q-lines", Static).update(quarantine_text(rows))
