"""One application: full text (shown literally), why it ranks where it does, its history."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from models.usecases.inbox import ApplicationView
from screens.base import LoadingScreen
from screens.nav_widgets import ScrollNav
from tui.actions import NAV, bindings


def detail_text(view: ApplicationView, tz: str | None, now=None) -> Text:
    """The application in full; times in the rep's zone TZ, the zone named (models.clock.shown)."""
    from models.clock import shown
    from models.text import one_line, safe

    def when(v):
        return shown(v, tz, now)

    d = view.application
    t = Text()
    t.append(f"Application {d.id}", style="bold")
    t.append(f"  {d.channel} · {d.status} · score {d.score}\n")
    t.append("From      ", style="bold")
    t.append(one_line(" ".join(x for x in (d.name, f"<{d.email}>" if d.email else "", d.phone) if x)))
    t.append("\nReceived  ", style="bold")
    t.append(f"{when(d.received_at)}   due {when(d.due_at)}   owner {d.owner or '-'}")
    t.append("\nWhy       ", style="bold")
    t.append(one_line("; ".join(d.reasons) or "-"))
    if d.duplicate_of:
        t.append(f"\nLikely duplicate of application {d.duplicate_of}", style="bold")
    if d.subject:
        t.append("\nSubject   ", style="bold")
        t.append(one_line(d.subject))
    t.append("\n\n")
    t.append(safe(d.text))
    if view.history:
        t.append("\n\nMoves\n", style="bold")
        for h in view.history:
            t.append(f"  {when(h.at)}  {h.from_rep or 'unclaimed'} -> {h.to_rep}  ")
            t.append(one_line(h.reason) + f" (by {h.actor})\n")
    if view.activities:
        t.append("\nActivity\n", style="bold")
        for a in view.activities:
            t.append(f"  {when(a.at)}  {a.kind}  ")
            t.append(one_line(a.subject + (f": {a.note}" if a.note else "")) + "\n")
    return t


class ApplicationScreen(ScrollNav, LoadingScreen, ModalScreen):
    """Dismisses with the name of an inbox action to run (claim, contact, ...) or None.

    The application is read in a worker (models.usecases.inbox.application_view)."""

    BINDINGS = [
        Binding("escape", "dismiss_none", "Back", id="app_detail.back"),
        Binding("a", "pick('claim')", "Claim", id="app_detail.claim"),
        Binding("c", "pick('contact')", "Contact", id="app_detail.contact"),
        Binding("t", "pick('transfer')", "Transfer", id="app_detail.transfer"),
        Binding("x", "pick('close')", "Close/spam", id="app_detail.close"),
        Binding("v", "pick('convert')", "Convert", id="app_detail.convert"),
        *bindings(NAV, without=("list.open",)),
    ]

    def __init__(self, app_id: int, tz: str | None) -> None:
        super().__init__()
        self.app_id = app_id
        self.tz = tz
        self.view: ApplicationView | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="detail-scroll"):
            yield Static(Text(f"Application {self.app_id} …"), id="app-detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.load()

    def fetch(self) -> ApplicationView:
        from models.usecases.inbox import application_view

        return application_view(self.app.rep, self.app_id)

    def paint(self, data: ApplicationView) -> None:
        self.view = data
        self.query_one("#app-detail", Static).update(detail_text(data, self.tz, self.app.now()))

    def load_failed(self, error: str) -> None:
        super().load_failed(error)
        if self.view is None:
            self.dismiss(None)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    def action_pick(self, what: str) -> None:
        self.dismiss(what)
