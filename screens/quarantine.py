"""The quarantine: intake lines and messages that could not be read, shown literally with the reason."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static


class QuarantineScreen(ModalScreen):
    BINDINGS = [
        Binding("escape,q", "dismiss", "Back", id="quarantine.back"),
        Binding("j,down", "scroll('down')", "Down", show=False),
        Binding("k,up", "scroll('up')", "Up", show=False),
    ]

    def compose(self) -> ComposeResult:
        from models.inbox import quarantine_list
        from models.text import one_line

        rows = quarantine_list(100)
        t = Text()
        for r in rows:
            where = f"{r['source']}" + (f" line {r['line']}" if r["line"] else "")
            t.append(f"{one_line(where, 40)}: ", style="bold")
            t.append(one_line(r["reason"], 70) + "\n")
            t.append("   " + one_line(r["raw"], 72) + "\n", style="dim")
        with VerticalScroll(classes="dialog", id="q-scroll"):
            yield Label(f"Quarantine: {len(rows)} line(s) that could not be imported", classes="title")
            yield Static(t if rows else Text("Nothing in the quarantine."))
        yield Footer(compact=True)

    def action_scroll(self, direction: str) -> None:
        s = self.query_one("#q-scroll")
        s.scroll_down() if direction == "down" else s.scroll_up()
