"""Text that came from outside is shown literally, never interpreted.

`safe()` neutralises what could drive a terminal: ANSI/OSC/DCS escape
sequences, other C0/C1 control characters and bidirectional overrides become
visible placeholders; very long lines are cut. Screens also render such text
as rich.text.Text (never as markup), so "[bold]" stays "[bold]".
"""
from __future__ import annotations

import re

from .outfilter import unsafe_char, visible

_ESC_SEQ = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"          # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC (title, hyperlink, clipboard)
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"    # DCS, SOS, PM, APC
    r"|\x1b[@-Z\\-_]"                    # other two-byte escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"            # 8-bit CSI
)
def safe(text: object, *, max_line: int = 2000, single_line: bool = False) -> str:
    """A version of TEXT that is safe to write to a terminal and shows what was there."""
    if text is None:
        return ""
    s = str(text)
    s = _ESC_SEQ.sub(lambda m: "\u241b" + m.group(0)[1:].translate(_CTRL_MAP), s)
    out = []
    for ch in s:
        if ch == "\n":
            out.append(" " if single_line else "\n")
        elif ch == "\t":
            out.append(" " if single_line else "    ")
        elif ch == "\r":
            continue
        elif unsafe_char(ch):  # controls, C1, bidi and other format characters, U+2028/2029, lone surrogates
            out.append(visible(ch))
        else:
            out.append(ch)
    s = "".join(out)
    if max_line:
        lines = s.split("\n")
        s = "\n".join(line if len(line) <= max_line else line[:max_line] + "…" for line in lines)
    return s


_CTRL_MAP = {i: 0x2400 + i for i in range(0x20)}
_CTRL_MAP[0x7F] = 0x2421


def one_line(text: object, width: int | None = None) -> str:
    s = " ".join(safe(text, single_line=True).split())
    if width is not None and len(s) > width:
        s = s[: max(width - 1, 0)] + "…"
    return s


def strip_controls(text: str, *, keep_newlines: bool = True) -> str:
    """TEXT without escape sequences, control characters (newlines and tabs kept when KEEP_NEWLINES) and
    bidirectional overrides: what a card field stores when a rep types or imports it."""
    s = _ESC_SEQ.sub("", text)
    out = []
    for ch in s:
        if ch in "\n\t" and keep_newlines:
            out.append(ch)
        elif ch in "\n\t\r":
            out.append(" ")
        elif ch in "\u2028\u2029":  # line and paragraph separators: a line end, as the reader sees them
            out.append("\n" if keep_newlines else " ")
        elif "\ud800" <= ch <= "\udfff":  # a lone surrogate: no text may hold one
            out.append("\ufffd")
        elif unsafe_char(ch):
            continue
        else:
            out.append(ch)
    return "".join(out)


# ---------------------------------------------------------------- incoming text (issue 12)

_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_incoming(value: object) -> str:
    """Text that came from outside as it may be stored on either engine: code points UTF-8 cannot carry
    (lone surrogates such as "\\ud800") become U+FFFD, NUL characters are removed (PostgreSQL refuses
    them). Nothing else changes; controls are kept (output goes through `safe()`)."""
    s = "" if value is None else str(value)
    if "\x00" in s:
        s = s.replace("\x00", "")
    return s if s.isascii() else _SURROGATE.sub("\ufffd", s)  # no surrogate is ASCII


def had_nul(value: object) -> bool:
    return value is not None and "\x00" in str(value)
