"""A virtual list: knows the row count, holds only a small window of rows around
the cursor, and asks its source for more by keyset (never OFFSET, never the
whole table). Lines are rendered with the Line API, so a million rows cost
what a screenful costs.
"""
from __future__ import annotations

from typing import Any, Protocol

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import work
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from tui.actions import NAV, bindings


_REVERSE = Style(reverse=True)


class RecordSource(Protocol):
    """What a RecordList asks of the screen that owns it (which asks models/)."""

    def fetch(self, *, after: Any = None, before: Any = None, last: bool = False, limit: int = 50) -> list: ...
    def key(self, row) -> Any: ...
    def count(self) -> int: ...
    def render_row(self, row, width: int) -> Text: ...
    def row_id(self, row) -> Any: ...


BUFFER_MAX = 400


class RecordList(Widget, can_focus=True):
    """A keyboard-driven virtual list. j/k, g/G, pgup/pgdn, enter."""

    DEFAULT_CSS = """
    RecordList { height: 1fr; }
    RecordList > .recordlist--cursor { background: $accent 40%; text-style: bold; }
    RecordList:focus > .recordlist--cursor { background: $accent; color: $text; text-style: bold; }
    RecordList > .recordlist--empty { color: $text-muted; }
    RecordList > .recordlist--scrollbar { color: $text-muted; }
    """
    COMPONENT_CLASSES = {"recordlist--cursor", "recordlist--empty", "recordlist--scrollbar"}
    BINDINGS = bindings(NAV)

    total: reactive[int | None] = reactive(None, repaint=False)

    class Highlighted(Message):
        def __init__(self, record_list: "RecordList", row) -> None:
            super().__init__()
            self.record_list = record_list
            self.row = row

    class Selected(Message):
        def __init__(self, record_list: "RecordList", row) -> None:
            super().__init__()
            self.record_list = record_list
            self.row = row

    def __init__(self, source: RecordSource, *, empty_text: str = "Nothing here.", **kwargs) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.empty_text = empty_text
        self.rows: list = []          # the buffer
        self.buf_start = 0            # absolute index of rows[0]
        self.top = 0                  # absolute index of the first visible row
        self.cursor = 0               # absolute index of the cursor
        self.at_end = False           # the buffer reaches the last row
        self.at_start = True
        self._last_highlight = None
        self.loaded = False           # a first page has arrived: until then an empty list says nothing

    # ------------------------------------------------------------ data
    @property
    def page_size(self) -> int:
        return max(self.size.height, 1)

    @property
    def current(self):
        i = self.cursor - self.buf_start
        return self.rows[i] if 0 <= i < len(self.rows) else None

    def load_first(self) -> None:
        rows = self.source.fetch(limit=self._fetch_n())
        self.loaded = True
        self.rows, self.buf_start, self.top, self.cursor = rows, 0, 0, 0
        self.at_start, self.at_end = True, len(rows) < self._fetch_n()
        self._changed()

    _load_seq = 0

    def load_first_in_thread(self) -> None:
        """The first page of a new filter, fetched off the main thread (a broad full-text
        filter over a million rows can take longer than a frame); only the newest read is shown."""
        self._load_seq += 1
        self._load_first_worker(self._load_seq, self._fetch_n())

    @work(thread=True, exclusive=True, group="recordlist-load")
    def _load_first_worker(self, seq: int, n: int) -> None:
        from models.engine import in_own_connection

        rows, total = in_own_connection(lambda: (self.source.fetch(limit=n), self.source.count()))
        self.app.call_from_thread(self._loaded, rows, total, seq)

    def _loaded(self, rows: list, total: int, seq: int | None = None, limit: int | None = None) -> None:
        if seq is not None and seq != self._load_seq:
            return  # a slower read of an older filter: the newer one is (or will be) on screen
        self.loaded = True
        self.rows, self.buf_start, self.top, self.cursor = rows, 0, 0, 0
        self.at_start, self.at_end = True, len(rows) < (limit or self._fetch_n())
        self.total = total
        self._changed()

    def preload(self, rows: list, total: int, limit: int) -> None:
        """A first page read before the list was shown (LIMIT rows asked for: fewer means the end)."""
        self._loaded(rows, total, limit=limit)

    def _fetch_n(self) -> int:
        return max(self.page_size * 2, 40)

    def _extend_down(self) -> bool:
        if self.at_end or not self.rows:
            return False
        more = self.source.fetch(after=self.source.key(self.rows[-1]), limit=self._fetch_n())
        if len(more) < self._fetch_n():
            self.at_end = True
        if not more:
            return False
        self.rows.extend(more)
        if len(self.rows) > BUFFER_MAX:
            drop = len(self.rows) - BUFFER_MAX
            drop = min(drop, max(self.top - self.buf_start, 0))
            if drop > 0:
                del self.rows[:drop]
                self.buf_start += drop
                self.at_start = False
        return True

    def _extend_up(self) -> bool:
        if self.at_start or not self.rows:
            return False
        more = self.source.fetch(before=self.source.key(self.rows[0]), limit=self._fetch_n())
        if len(more) < self._fetch_n():
            self.at_start = True
        if not more:
            self.at_start = True
            self.buf_start = 0
            return False
        self.rows[:0] = more
        self.buf_start -= len(more)
        if self.at_start:
            self.buf_start = 0
        if len(self.rows) > BUFFER_MAX:
            keep_to = max(self.top + self.page_size - self.buf_start, BUFFER_MAX)
            if keep_to < len(self.rows):
                del self.rows[keep_to:]
                self.at_end = False
        return True

    def reload(self, keep_id: Any = None) -> None:
        """Re-read the visible rows in place (after a change), keeping the cursor on its record."""
        keep_id = keep_id if keep_id is not None else (self.source.row_id(self.current) if self.current else None)
        if self.top <= 0 or not self.rows:
            rows = self.source.fetch(limit=self._fetch_n())
            start = 0
            self.at_start = True
        else:
            anchor_i = self.top - self.buf_start - 1
            anchor = self.rows[anchor_i] if 0 <= anchor_i < len(self.rows) else self.rows[0]
            rows = self.source.fetch(after=self.source.key(anchor), limit=self._fetch_n())
            start = self.top
            self.at_start = False
        old_visible = self._visible_ids()
        self.rows, self.buf_start = rows, start
        self.at_end = len(rows) < self._fetch_n()
        if keep_id is not None:
            for i, r in enumerate(rows):
                if self.source.row_id(r) == keep_id:
                    self.cursor = start + i
                    break
        self._clamp()
        self._changed(partial=old_visible)

    def _visible_ids(self) -> list:
        out = []
        for y in range(self.page_size):
            i = self.top + y - self.buf_start
            out.append((self.source.row_id(self.rows[i]), self._row_sig(self.rows[i]))
                       if 0 <= i < len(self.rows) else None)
        return out

    def _row_sig(self, row) -> Any:
        return getattr(row, "_signature", None) or repr(getattr(row, "__data__", row))

    @work(thread=True, exclusive=True, group="recordlist-count")
    def refresh_count(self) -> None:
        n = self.source.count()
        self.app.call_from_thread(self._set_total, n)

    def _set_total(self, n: int) -> None:
        self.total = n
        if self.at_end and self.rows:
            self.buf_start = max(n - len(self.rows), 0) if self.buf_start > n else self.buf_start
        self.refresh()
        self.post_message(self.Highlighted(self, self.current))

    # ------------------------------------------------------------ movement
    def _clamp(self) -> None:
        last = self.buf_start + len(self.rows) - 1
        if not self.rows:
            self.cursor = self.top = 0
            return
        self.cursor = max(min(self.cursor, last), self.buf_start if self.at_start else self.buf_start)
        if self.cursor < self.top:
            self.top = self.cursor
        if self.cursor >= self.top + self.page_size:
            self.top = self.cursor - self.page_size + 1
        self.top = max(self.top, self.buf_start if self.at_start else self.top)
        self.top = max(self.top, 0)

    def move_to(self, index: int) -> None:
        if not self.rows:
            return
        old_visible, old_cursor, old_top = self._visible_ids(), self.cursor, self.top
        index = max(index, 0)
        while index >= self.buf_start + len(self.rows) and self._extend_down():
            pass
        while index < self.buf_start and self._extend_up():
            pass
        index = min(index, self.buf_start + len(self.rows) - 1)
        index = max(index, self.buf_start)
        self.cursor = index
        # keep a screenful loaded below the view
        if self.cursor + self.page_size >= self.buf_start + len(self.rows):
            self._extend_down()
        self._clamp()
        # A slow line pays for what changed only (issue 16): the row that lost the cursor and the one that got
        # it; after a scroll, the lines that show another row (and the scrollbar, which moved with the view).
        self._changed(partial=old_visible, old_cursor=old_cursor, scrolled=self.top != old_top)

    def action_cursor_down(self) -> None:
        self.move_to(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_to(self.cursor - 1)

    def action_page_down(self) -> None:
        self.top += self.page_size
        self.move_to(self.cursor + self.page_size)

    def action_page_up(self) -> None:
        self.top = max(self.top - self.page_size, 0)
        self.move_to(self.cursor - self.page_size)

    def action_first(self) -> None:
        self.load_first()

    def action_last(self) -> None:
        rows = self.source.fetch(last=True, limit=self._fetch_n())
        total = self.total if self.total is not None else self.source.count()
        self.total = total
        self.rows = rows
        self.buf_start = max(total - len(rows), 0)
        self.at_end, self.at_start = True, self.buf_start == 0
        self.cursor = self.buf_start + len(rows) - 1 if rows else 0
        self.top = max(self.cursor - self.page_size + 1, 0)
        self._clamp()
        self._changed()

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self, self.current))

    def _changed(self, partial: list | None = None, old_cursor: int | None = None, scrolled: bool = False) -> None:
        """Repaint after a change: everything, or (PARTIAL: the visible rows before) only the lines that show
        another row, the cursor's line and, given OLD_CURSOR, the line it left. A scroll repaints the whole
        list when the scrollbar shows (its thumb moved)."""
        if partial is not None and len(partial) == self.page_size and not (scrolled and self._scrollbar_char(0)):
            new = self._visible_ids()
            for y, (a, b) in enumerate(zip(partial, new)):
                if a != b:
                    self._refresh_line(y)
            if old_cursor is not None and old_cursor != self.cursor:
                self._refresh_line(old_cursor - self.top)
            self._refresh_cursor_lines()
        else:
            self.refresh()
        cur = self.current
        cur_id = self.source.row_id(cur) if cur is not None else None
        if cur_id != self._last_highlight or partial is None:
            self._last_highlight = cur_id
            self.post_message(self.Highlighted(self, cur))

    def _refresh_cursor_lines(self) -> None:
        self._refresh_line(self.cursor - self.top)

    def _refresh_line(self, y: int) -> None:
        if 0 <= y < self.page_size:
            self.refresh(Region(0, y, self.size.width, 1))

    def on_resize(self) -> None:
        self._clamp()
        if self.rows and self.buf_start + len(self.rows) < self.top + self.page_size and not self.at_end:
            self._extend_down()
        self.refresh()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return container.height

    # ------------------------------------------------------------ drawing
    def render_line(self, y: int) -> Strip:
        # Every segment gets a style (the widget's as the base): Textual's NO_COLOR filter needs one.
        return self._render_line(y).apply_style(self.rich_style).simplify()  # one run per style: fewer bytes

    def _render_line(self, y: int) -> Strip:
        width = self.size.width
        if not self.rows:
            if y == 0 and self.loaded:  # not "No ... match" while the first page is still on its way
                style = self.get_component_rich_style("recordlist--empty")
                return Strip([Segment(self.empty_text[:width], style)]).adjust_cell_length(width)
            return Strip.blank(width)
        index = self.top + y
        i = index - self.buf_start
        bar = self._scrollbar_char(y)
        body_width = width - (1 if bar else 0)
        if 0 <= i < len(self.rows):
            text = self.source.render_row(self.rows[i], body_width)
            text.no_wrap = True
            text.truncate(body_width, overflow="ellipsis", pad=True)
            if index == self.cursor:
                text.stylize(self.get_component_rich_style("recordlist--cursor"))
                if self.app.no_color:  # no background to show it: reverse video, as mutt does
                    text.stylize(_REVERSE)
            segments = list(text.render(self.app.console))
            strip = Strip(segments).adjust_cell_length(body_width)
        else:
            strip = Strip.blank(body_width)
        if bar:
            strip = Strip.join([strip, Strip([Segment(bar, self.get_component_rich_style("recordlist--scrollbar"))])])
        return strip

    def _scrollbar_char(self, y: int) -> str:
        total = self.total
        h = self.page_size
        if not total or total <= h:
            return ""
        thumb = max(h * h // total, 1)
        pos = min(self.top * (h - thumb) // max(total - h, 1), h - thumb)
        return "┃" if pos <= y < pos + thumb else "│"
