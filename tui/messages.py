"""Messages the app and its screens pass (Harlequin's messages.py is the model).

Screens load their data in a worker and receive it as one of these; the App tells every open
screen, in every mode, that the database changed.
"""
from __future__ import annotations

from textual.message import Message


class DataChanged(Message):
    """Another session (or a background sweep) changed the database: reload what is shown."""


class Loaded(Message):
    """A screen's worker read what the screen paints (a frozen dataclass from models.usecases)."""

    def __init__(self, data: object, kind: str = "") -> None:
        super().__init__()
        self.data = data
        self.kind = kind


class LoadFailed(Message):
    """A screen's worker could not read its data (the database is unreachable, the record is gone)."""

    def __init__(self, error: str, kind: str = "") -> None:
        super().__init__()
        self.error = error
        self.kind = kind
