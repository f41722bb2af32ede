"""A DataTable that takes its navigation keys from the one table in tui.actions (j/k, g/G, page keys).

`enter` stays the DataTable's own (it posts RowSelected, which the screen turns into its open action,
so the footer shows the screen's label for it)."""
from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import DataTable

from tui.actions import bindings


class NavTable(DataTable):
    BINDINGS = bindings(without=("list.open",))

    def action_first(self) -> None:
        self.action_scroll_top()

    def action_last(self) -> None:
        self.action_scroll_bottom()

    def action_select(self) -> None:
        self.action_select_cursor()


class ScrollNav:
    """The list keys of tui/actions (NAV, without enter) scrolling a text: set SCROLL_ID to its container."""

    SCROLL_ID: str | None = "detail-scroll"   # None: the screen's only VerticalScroll

    def _scroll(self) -> VerticalScroll:
        return self.query_one(f"#{self.SCROLL_ID}" if self.SCROLL_ID else VerticalScroll, VerticalScroll)

    def action_cursor_down(self) -> None:
        self._scroll().scroll_down()

    def action_cursor_up(self) -> None:
        self._scroll().scroll_up()

    def action_page_down(self) -> None:
        self._scroll().scroll_page_down()

    def action_page_up(self) -> None:
        self._scroll().scroll_page_up()

    def action_first(self) -> None:
        self._scroll().scroll_home()

    def action_last(self) -> None:
        self._scroll().scroll_end()
