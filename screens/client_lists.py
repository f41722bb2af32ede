"""The client card's read-only parts: its status line and the lists of activities, invoices and the history
of the client and its deals, painted from a models.usecases.card.ClientCard in the rep's time zone (the zone
named: models.clock.shown); and the layout of the card's tabs."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


def _when(value: str | None, tz: str, now=None) -> str:
    """A stored moment in the rep's zone, the zone named ("Thu 03 Dec 15:30 CET")."""
    from models.clock import shown

    return shown(value, tz, now)


def _zone(tz: str, now) -> Text:
    from models.clock import zone_name

    return Text(f"Times in {tz or 'UTC'} ({zone_name(now, tz)}).\n", style="dim")


class ActivityList(Static):
    """What happened and what is planned with the client: a scheduled call or meeting shows when it is due."""

    def show(self, card, tz: str, now=None) -> None:
        from models.text import one_line

        t = Text()
        for a in card.activities:
            cancelled = getattr(a, "cancelled_at", None)
            state = ("cancelled" if cancelled else "done" if a.done_at else
                     f"due {_when(a.due_at, tz, now)}" if a.due_at else "")
            t.append(f"{_when(a.created_at, tz, now):<20} {a.kind:<7} ")
            t.append(f"{state:<24} ", style="bold" if state.startswith("due") else "")
            t.append(one_line(a.subject + (f": {a.note}" if a.note else ""), 80) + "\n")
        self.update(_zone(tz, now) + t if t else Text("No activities yet."))


class InvoiceList(Static):
    def show(self, card, tz: str, now=None) -> None:
        t = Text()
        for inv in card.invoices:
            t.append(f"{inv.number:<18} {inv.status:<12} {inv.amount:>12} {inv.currency}  "
                     f"balance {inv.balance}  due {_when(inv.due_at, tz, now)}\n")
        self.update(t or Text("No invoices yet."))


class HistoryList(Static):
    def show(self, card, tz: str, now=None) -> None:
        from models.text import one_line

        t = Text()
        for h in card.history:
            t.append(f"{_when(h.at, tz, now)}  {h.actor:<8} {h.kind} {h.record_id} {h.action} ")
            if h.field:
                t.append(one_line(f"{h.field}: {h.old or '(empty)'} -> {h.new or '(empty)'}", 90))
            elif h.new:
                t.append(one_line(h.new, 90))
            t.append("\n")
        self.update(t or Text("No history."))


class CardStatus(Static):
    """The card's top line: who the client is, whose, which version, and whether there are unsaved edits."""

    def show(self, c, unsaved: bool) -> None:
        from models.text import one_line

        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(f"Client #{c.id} ", style="bold")
        t.append(one_line(c.name, 30), style="bold")
        t.append(f"  {c.segment}  owner {c.owner or '-'}  v{c.version}")
        if c.lost_reason:
            t.append(f"  lost: {c.lost_reason}", style="bold red")
        if unsaved:
            t.append("  (unsaved)", style="bold")
        t.append("  esc, then c d a i h: tabs, D deal, n log, t task, m schedule", style="dim")
        self.update(t)


def compose_card(start_tab: str):
    """The card's widgets under the status and message lines (the screen's compose yields from this)."""
    from textual.containers import VerticalScroll
    from textual.widgets import TabPane

    from screens.client_tabs import CardForm, CardTabs, DealsPane

    with CardTabs(initial=start_tab, id="tabs"):
        with TabPane("Card", id="tab-card"):
            yield CardForm()
        yield DealsPane()
        with TabPane("Activity", id="tab-activity"):
            with VerticalScroll():
                yield ActivityList("", id="activity")
        with TabPane("Invoices", id="tab-invoices"):
            with VerticalScroll():
                yield InvoiceList("", id="invoices")
        with TabPane("History", id="tab-history"):
            with VerticalScroll():
                yield HistoryList("", id="history")
