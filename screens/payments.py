"""The Payments screen."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from screens.base import MainScreen


class PaymentsScreen(MainScreen):
    TITLE_TEXT = "Payments"

    def compose(self) -> ComposeResult:
        yield from self.compose_status()
        yield Static("The Payments screen is not built yet; its data is available from the CLI.",
                     classes="empty-state", markup=False)
        yield from self.compose_footer()
