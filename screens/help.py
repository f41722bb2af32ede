"""`?`: the keys of the current screen, grouped, with what they do."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static


class HelpScreen(ModalScreen):
    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close"),
        Binding("j,down", "scroll('down')", "Down", show=False),
        Binding("k,up", "scroll('up')", "Up", show=False),
    ]

    def __init__(self, target: Screen) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        app = self.app
        rows = Text()
        seen = set()
        for key, active in self.target.active_bindings.items():
            b = active.binding
            if not b.description or (b.action, b.description) in seen:
                continue
            seen.add((b.action, b.description))
            keys = app.get_key_display(b)
            rows.append(f"{keys:>12}  ", style="bold")
            rows.append(f"{b.description}\n")
        rows.append(f"{'ctrl+p':>12}  ", style="bold")
        rows.append("Command palette: every action by name\n")
        rows.append(f"{'1-6':>12}  ", style="bold")
        rows.append("Inbox, Clients, Pipeline, Payments, Today, Reports\n")
        with VerticalScroll(classes="dialog"):
            yield Label(f"Keys: {getattr(self.target, 'TITLE_TEXT', 'repdesk')}", classes="title")
            yield Static(rows)
            yield Label("Remap any key in ~/.config/repdesk/config.toml [keymap] by its id.", classes="hint")

    def action_scroll(self, direction: str) -> None:
        scroller = self.query_one(VerticalScroll)
        scroller.scroll_down() if direction == "down" else scroller.scroll_up()
