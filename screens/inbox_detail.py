"""The inbox's detail pane: the highlighted application (its row already holds everything shown)."""
from __future__ import annotations

from datetime import datetime

from rich.text import Text

from models.usecases.inbox import InboxRow


def short_reasons(reasons) -> str:
    """The reasons as the inbox list shows them, in a few words each: without their points and the quoted
    words ("+18 BALL-PRO5 x40: '40 Pro Match Ball'" -> "BALL-PRO5 x40"), contact details left out."""
    out = []
    for r in reasons or ():
        label = r.split(": '", 1)[0]
        if label[:1] in "+-" and " " in label:
            points, label = label.split(" ", 1)
            if points in ("+0", "-0"):
                continue
        if label.startswith(("complete contact", "contact:", "kept within")):
            continue
        out.append(label)
    # "BALL-PRO5 x40" (or "BIB-SET10 x25, PUMP-HD x1") says "names BALL-PRO5" too
    counted = {part.rsplit(" x", 1)[0] for x in out for part in x.split(", ") if " x" in part}
    return "; ".join(x for x in out if not (x.startswith("names ") and x[6:] in counted))


def compact_reason(reason: str) -> str:
    """A reason without saying its words twice: "+31 names BIB-SET10: 'BIB-SET10'" -> "+31 names
    'BIB-SET10'", "+10 date: Sunday: 'Sunday'" -> "+10 date: 'Sunday'" (the quoted words are the text's,
    kept as they are; only the label's repeat of them goes)."""
    label, sep, quoted = reason.rpartition(": '")
    if not sep or not quoted.endswith("'") or "', '" in quoted:
        return reason
    words = quoted[:-1]
    head, space, last = label.rpartition(" ")
    if space and last.casefold() == words.casefold() and head[:1] in "+-" and " " in head:
        return f"{head} '{words}'"
    head, colon, last = label.rpartition(": ")
    if colon and last.casefold() == words.casefold():
        return f"{head}: '{words}'"
    return reason


def pane_text(row: InboxRow, now: datetime, tz: str | None, why_lines: int | None = None) -> tuple:
    """The pane's sections, each from a line of its own: who (one line), when, time left and why it ranks
    there (at most WHY_LINES lines: the full list is on the application's card, enter), and the start of
    the text (shown literally) on what is left."""
    from models.clock import human_delta, shown
    from models.text import one_line, safe

    who = Text(overflow="ellipsis")
    who.append(f"#{row.id} ", style="bold")
    who.append(one_line(" ".join(x for x in (row.name, f"<{row.email}>" if row.email else "", row.phone) if x)))
    why = Text(overflow="ellipsis")
    left = (row.due_at - now).total_seconds()
    why.append("OVERDUE by " + human_delta(-left) if left < 0 else f"due in {human_delta(left)}",
               style="bold red" if left < 0 else "")
    why.append(f", received {shown(row.received_at, tz, now)} ({row.channel}). ")
    if row.duplicate_of:
        why.append(f"Likely duplicate of #{row.duplicate_of}. ", style="bold")
    why.append("Why: ", style="bold")
    # every reason, with its points and the words it came from (issue 14): they add up to the score
    why.append(f"{row.score} = ", style="bold")
    why.append(one_line("; ".join(compact_reason(r) for r in row.reasons) or "nothing specific"))
    return ((who, 1), (why, why_lines), (Text(safe(row.text)[:600]), None))
