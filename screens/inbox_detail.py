"""The inbox's detail pane: the highlighted application (its row already holds everything shown)."""
from __future__ import annotations

from datetime import datetime

from rich.text import Text

from models.usecases.inbox import InboxRow


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
    t.append(one_line("; ".join(row.reasons) or "nothing specific"))
    if row.duplicate_of:
        t.append(f"  (likely duplicate of #{row.duplicate_of})", style="bold")
    t.append("\n")
    t.append(safe(row.text)[:600])
    return t
