"""The footer every screen shows: Textual's Footer, repainted only when the keys it shows change.

Textual's Footer recomposes (and so repaints its whole line) on every bindings update: each focus change,
each screen switch, each mount of a widget with bindings, often three times for one keystroke. Over a
slow SSH link that is the biggest part of a screen switch (issue 16). This one compares what it would
show (key, label, enabled) with what it shows and recomposes only when they differ.
"""
from __future__ import annotations

from textual.widgets import Footer


class QuietFooter(Footer):
    _shown: tuple | None = None

    def _signature(self, screen) -> tuple:
        return tuple((key, b.description, b.action, enabled, tooltip)
                     for key, (_, b, enabled, tooltip) in screen.active_bindings.items() if b.show)

    def bindings_changed(self, screen) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        try:
            signature = self._signature(screen)
        except Exception:  # while the screen is being torn down
            return
        if signature == self._shown and self._bindings_ready:
            return
        if screen.app.app_focus:  # Footer recomposes only then; without focus it waits for the next change
            self._shown = signature
        super().bindings_changed(screen)
