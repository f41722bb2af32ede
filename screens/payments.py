"""The Payments screen."""
from __future__ import annotations

from screens.base import PlaceholderScreen


class PaymentsScreen(PlaceholderScreen):
    TITLE_TEXT = "Payments"
