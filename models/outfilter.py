"""The one output filter: what every channel out of the program passes (issue 12).

A character that could drive a terminal or reorder what is shown - C0/C1 controls (ESC, U+009B CSI,
U+009D OSC, U+0085 NEL ...), bidirectional overrides and isolates (U+202A-202E, U+2066-2069), other format
characters (category Cf: U+200B, U+FEFF, tags ...), line and paragraph separators (U+2028, U+2029) and lone
surrogates - is escaped visibly: control pictures for C0 (ESC is "␛", so "\\x1b[2J" shows as "␛[2J"), "␡"
for DEL, "<U+XXXX>" for the rest, U+FFFD for a lone surrogate (no text may hold one). In JSON the same
characters are \\u escapes, so json.loads gives the data back. Ordinary text ("José", "東京", emoji, and
U+200D, the joiner inside emoji) is left as it is; Rich markup such as "[red]x[/]" is only text here (it is
never interpreted: the CLI prints with print, screens render rich.text.Text).

The CLI uses it through tui/commands/base.py (emit, say, json_text, terminal_text); the client export
(CSV, vCard) uses `terminal_text` for every cell.
"""
from __future__ import annotations

import json
import unicodedata

_KEEP = frozenset("\u200d")
_UNSAFE_CATEGORIES = frozenset(("Cc", "Cf", "Zl", "Zp", "Cs"))


def unsafe_char(ch: str) -> bool:
    """Whether CH may not reach a terminal (or a file a terminal may show) raw."""
    return ch not in _KEEP and unicodedata.category(ch) in _UNSAFE_CATEGORIES


def has_unsafe(text: str, keep: str = "") -> bool:
    return any(unsafe_char(ch) and ch not in keep for ch in text)


def visible(ch: str) -> str:
    """The placeholder a terminal shows for the unsafe character CH."""
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # control pictures, as models.text shows them: ␛ ␇ ...
    if code == 0x7F:
        return "\u2421"
    if 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    return f"<U+{code:04X}>"


def terminal_text(text: object, keep: str = "\n\t") -> str:
    """TEXT with every unsafe character but those in KEEP (newline and tab) as a visible placeholder.
    Text already made safe passes as it is."""
    s = "" if text is None else str(text)
    if not has_unsafe(s, keep):
        return s
    return "".join(ch if ch in keep or not unsafe_char(ch) else visible(ch) for ch in s)


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if 0xD800 <= code <= 0xDFFF:  # a lone surrogate is no character: U+FFFD, as every JSON reader accepts
        return "\\ufffd"
    if code > 0xFFFF:  # a format character outside the BMP (tags U+E0001...): as a surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def json_text(data, *, indent: int | None = None) -> str:
    """DATA as JSON in which every unsafe character is a \\u escape (json's ensure_ascii, for those
    characters only): json.loads gives back DATA (a lone surrogate, which no text may hold, as U+FFFD);
    a terminal sees nothing it would act on."""
    raw = json.dumps(data, ensure_ascii=False, indent=indent, default=str)
    # json.dumps escapes C0 controls itself; what is left raw can only stand inside a string value.
    if not has_unsafe(raw, "\n" if indent is not None else ""):
        return raw
    return "".join(_json_escape(ch) if unsafe_char(ch) and ch != "\n" else ch for ch in raw)
