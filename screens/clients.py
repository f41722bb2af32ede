"""The Clients screen."""
from __future__ import annotations

from screens.base import PlaceholderScreen


class ClientsScreen(PlaceholderScreen):
    TITLE_TEXT = "Clients"
