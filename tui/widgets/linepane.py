"""A read-only pane of text that repaints only the lines that changed (issue 16, slow lines).

`Static.update` repaints the whole widget (its border too) on every call, even with the same text; over a
slow SSH link that is most of what a cursor move costs. `LinePane.update` wraps the new text to the pane's
width, compares it line by line with what is shown and refreshes only the lines that differ; the same
text again costs nothing. It paints through the line API (`render_line`), so Textual's own border,
padding and NO_COLOR handling apply as for any widget.

The content is one Text, or sections: (Text, most lines) pairs, each starting on a line of its own and
cut with "…" after its most lines (None: no limit), so a short pane keeps a line for each part.
"""
from __future__ import annotations

from rich.segment import Segment
from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget


def _cells(key: tuple | None, width: int) -> list:
    """A line's cells as (character, style) pairs, WIDTH of them (a wide character fills two)."""
    from rich.cells import cell_len

    cells: list = []
    for text, style in key or ():
        for ch in text:
            cells.append((ch, style))
            if cell_len(ch) == 2:
                cells.append(("", style))
    return (cells + [(" ", None)] * width)[:width]


def _changed_span(old: tuple | None, new: tuple | None, width: int) -> tuple[int, int]:
    """The columns [x0, x1) where two painted lines differ (empty when they show the same cells): only they
    are marked for repainting, and Textual sends the segments that cross them (a line that shares its
    start, "Why: ", or its tail of padding with the old one does not resend it)."""
    a, b = _cells(old, width), _cells(new, width)
    x0 = 0
    while x0 < width and a[x0] == b[x0]:
        x0 += 1
    if x0 == width:
        return x0, x0
    x1 = width
    while x1 > x0 and a[x1 - 1] == b[x1 - 1]:
        x1 -= 1
    while x0 > 0 and b[x0][0] == "":  # never start or end half-way into a wide character
        x0 -= 1
    while x1 < width and b[x1][0] == "":
        x1 += 1
    return x0, x1


def _sections(content) -> tuple:
    if isinstance(content, str):
        return ((Text(content), None),)
    if isinstance(content, Text):
        return ((content, None),)
    return tuple((Text(t) if isinstance(t, str) else t, most) for t, most in content)


def _joined(sections: tuple) -> Text:
    return Text("\n").join(t for t, _ in sections) if len(sections) != 1 else sections[0][0]


class LinePane(Widget):
    DEFAULT_CSS = """
    LinePane { height: auto; }
    """

    def __init__(self, content: Text | str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self._sections: tuple = _sections(content)
        self._content: Text = _joined(self._sections)
        self._strips: list[Strip] = []
        self._keys: list[tuple] = []
        self._width = -1

    @property
    def content(self) -> Text:
        return self._content

    def render(self) -> Text:
        """What the pane shows, as one Text (the painting itself goes line by line through render_line)."""
        return self._content

    def update(self, content) -> None:
        """Show CONTENT (a Text, a str or sections), repainting only the lines that are not already on
        screen."""
        self._sections = _sections(content)
        self._content = _joined(self._sections)
        width = self.content_region.width if self.size.width else 0
        if width <= 0 or width != self._width:
            self._width = -1  # not laid out yet (or resized): the next paint wraps it
            self.refresh()
            return
        old = self._keys
        self._layout_lines(width)
        top = 0  # regions given to refresh() are relative to the content area
        if len(old) != len(self._keys) and self.styles.height is not None and self.styles.height.is_auto:
            self.refresh(layout=True)
            return
        shown = self.content_region.height  # lines below the pane's height are not on screen: never refresh them
        for y in range(min(max(len(old), len(self._keys)), shown)):
            a = old[y] if y < len(old) else None
            b = self._keys[y] if y < len(self._keys) else None
            if a != b:
                x0, x1 = _changed_span(a, b, width)
                if x1 > x0:
                    self.refresh(Region(x0, top + y, x1 - x0, 1))

    def _layout_lines(self, width: int) -> None:
        console = self.app.console
        lines: list[Text] = []
        for text, most in self._sections:
            wrapped = list(text.wrap(console, width, overflow="ellipsis")) if text.plain else []
            if most is not None and len(wrapped) > most:
                parts = [line.copy() for line in wrapped[most - 1:]]
                for part in parts:
                    part.rstrip()
                tail = Text(" ").join(parts)
                tail.truncate(width, overflow="ellipsis")
                wrapped = wrapped[:most - 1] + [tail]
            lines.extend(wrapped)
        strips, keys = [], []
        for line in lines:
            segments = [s for s in line.render(console) if s.text != "\n"]
            strip = Strip(segments).adjust_cell_length(width).simplify()
            strips.append(strip)
            keys.append(tuple((s.text, s.style) for s in strip))
        self._strips, self._keys, self._width = strips, keys, width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if width != self._width:
            self._layout_lines(width)
        return max(len(self._strips), 1)

    def render_line(self, y: int) -> Strip:
        width = self.content_region.width
        if width != self._width:
            self._layout_lines(width)
        strip = self._strips[y] if 0 <= y < len(self._strips) else Strip([Segment(" " * width)])

        # Every segment gets a style (the widget's as the base): Textual's NO_COLOR filter needs one.
        return strip.apply_style(self.rich_style)
