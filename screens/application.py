"""One application: full text (shown literally), why it ranks where it does, its history."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static


def detail_text(d: dict, tz: str | None) -> Text:
    from models.clock import local, parse_iso
    from models.text import one_line, safe

    def when(v):
        return local(parse_iso(v), tz).strftime("%d %b %H:%M") if v else "-"

    t = Text()
    t.append(f"Application {d['id']}", style="bold")
    t.append(f"  {d['channel']} · {d['status']} · score {d['score']}\n")
    t.append("From      ", style="bold")
    t.append(one_line(" ".join(x for x in (d["name"], f"<{d['email']}>" if d["email"] else "", d["phone"]) if x)))
    t.append("\nReceived  ", style="bold")
    t.append(f"{when(d['received_at'])}   due {when(d['due_at'])}   owner {d['owner'] or '-'}")
    t.append("\nWhy       ", style="bold")
    t.append(one_line("; ".join(d["reasons"]) or "-"))
    if d.get("duplicate_of"):
        t.append(f"\nLikely duplicate of application {d['duplicate_of']}", style="bold")
    if d.get("subject"):
        t.append("\nSubject   ", style="bold")
        t.append(one_line(d["subject"]))
    t.append("\n\n")
    t.append(safe(d["text"]))
    if d.get("history"):
        t.append("\n\nMoves\n", style="bold")
        for h in d["history"]:
            t.append(f"  {when(h['at'])}  {h['from_rep'] or 'unclaimed'} -> {h['to_rep']}  ")
            t.append(one_line(h["reason"]) + f" (by {h['actor']})\n")
    if d.get("activities"):
        t.append("\nActivity\n", style="bold")
        for a in d["activities"]:
            t.append(f"  {when(a['at'])}  {a['kind']}  ")
            t.append(one_line(a["subject"] + (f": {a['note']}" if a.get("note") else "")) + "\n")
    return t


class ApplicationScreen(ModalScreen):
    """Dismisses with the name of an inbox action to run (claim, contact, ...) or None."""

    BINDINGS = [
        Binding("escape", "dismiss_none", "Back", id="app_detail.back"),
        Binding("a", "pick('claim')", "Claim", id="app_detail.claim"),
        Binding("c", "pick('contact')", "Contact", id="app_detail.contact"),
        Binding("t", "pick('transfer')", "Transfer", id="app_detail.transfer"),
        Binding("x", "pick('close')", "Close/spam", id="app_detail.close"),
        Binding("j,down", "scroll('down')", "Down", show=False),
        Binding("k,up", "scroll('up')", "Up", show=False),
    ]

    def __init__(self, detail: dict, tz: str | None) -> None:
        super().__init__()
        self.detail = detail
        self.tz = tz

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="detail-scroll"):
            yield Static(detail_text(self.detail, self.tz))
        yield Footer(compact=True)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    def action_pick(self, what: str) -> None:
        self.dismiss(what)

    def action_scroll(self, direction: str) -> None:
        s = self.query_one("#detail-scroll")
        s.scroll_down() if direction == "down" else s.scroll_up()
