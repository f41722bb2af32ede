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


def pane_text(row: InboxRow, now: datetime, tz: str | None) -> Text:
    """Who, when, time left, why it ranks there, and the start of the text (shown literally)."""
    from models.clock import human_delta, shown
    from models.text import one_line, safe

    t = Text(overflow="ellipsis")
    left = (row.due_at - now).total_seconds()
    t.append(f"#{row.id} ", style="bold")
    t.append(one_line(" ".join(x for x in (row.name, f"<{row.email}>" if row.email else "", row.phone) if x), 50))
    t.append(f"  {row.channel}, received {shown(row.received_at, tz, now)}, ")
    t.append("OVERDUE by " + human_delta(-left) if left < 0 else f"due in {human_delta(left)}",
             style="bold red" if left < 0 else "")
    t.append("\nWhy: ", style="bold")
    # every reason in full, with its points and the words it came from (issue 14): they add up to the score
    t.append(f"{row.score} = ", style="bold")
    t.append(one_line("; ".join(row.reasons) or "nothing specific"))
    if row.duplicate_of:
        t.append(f"  (likely duplicate of #{row.duplicate_of})", style="bold")
    t.append("\n")
    t.append(safe(row.text)[:600])
    return t
