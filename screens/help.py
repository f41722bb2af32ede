"""`?`: the keys of the current screen, grouped, with what they do: the navigation keys every list
shares (tui.actions.NAV) once under "Navigation", then the screen's own keys."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from screens.nav_widgets import ScrollNav
from tui.actions import NAV, NAV_IDS, bindings


class HelpScreen(ScrollNav, ModalScreen):
    SCROLL_ID = None  # navigation (tui.actions.NAV) scrolls the list of keys
    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close"),
        *bindings(without=("list.open",)),
    ]

    def __init__(self, target: Screen) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        app = self.app
        nav: dict[str, list[str]] = {}   # NAV id -> the keys bound to it here
        by_description = {a.description.lower(): a.id for a in NAV}  # a widget's own "Top", "Page down" ...
        own = Text()
        seen = set()
        for key, active in self.target.active_bindings.items():
            b = active.binding
            nav_id = b.id if b.id in NAV_IDS else by_description.get((b.description or "").lower())
            if nav_id:
                keys = nav.setdefault(nav_id, [])
                shown = app.get_key_display(b)
                if shown not in keys:
                    keys.append(shown)
                continue
            if not b.description or (b.action, b.description) in seen:
                continue
            seen.add((b.action, b.description))
            own.append(f"{app.get_key_display(b):>14}  ", style="bold")
            own.append(f"{b.description}\n")
        rows = Text()
        if nav:
            rows.append("Navigation\n", style="bold underline")
            for a in NAV:
                if a.id in nav:
                    rows.append(f"{'/'.join(nav[a.id][:3]):>14}  ", style="bold")
                    rows.append(f"{a.description}\n")
            rows.append("\n")
        rows.append(f"{getattr(self.target, 'TITLE_TEXT', 'repdesk')}\n", style="bold underline")
        rows.append_text(own)
        rows.append(f"{'ctrl+p':>14}  ", style="bold")
        rows.append("Command palette: every action by name\n")
        rows.append(f"{'1-6':>14}  ", style="bold")
        rows.append("Inbox, Clients, Pipeline, Payments, Today, Reports\n")
        with VerticalScroll(classes="dialog"):
            yield Label(f"Keys: {getattr(self.target, 'TITLE_TEXT', 'repdesk')}", classes="title")
            yield Static(rows)
            yield Label("Remap any key in ~/.config/repdesk/config.toml [keymap] by its id.", classes="hint")

