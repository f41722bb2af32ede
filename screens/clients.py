"""Clients: a virtual list of the rep's clients (the team's for a manager) with segment, last purchase
and next task; `/` filters; `enter` opens the card; `n` adds a client (likely duplicates are shown
before it is saved); `m` merges another card into the selected one; `A` (managers) hands it to a rep
picked from the team's list; `L` marks it lost with a reason from the list; `T` shows the team (away or
back)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from screens.base import MainScreen
from tui.widgets.linepane import LinePane
from tui.messages import DataChanged
from tui.widgets.recordlist import RecordList

if TYPE_CHECKING:
    from models.usecases.clients_list import ClientRow, ClientsPage


class ClientSource:
    """What the RecordList pages through: ClientRow pages from models.usecases.clients_list."""

    def __init__(self, screen: "ClientsScreen") -> None:
        self.screen = screen

    def fetch(self, *, after=None, before=None, last=False, limit=50):
        from models.usecases.clients_list import client_rows

        return list(client_rows(self.screen.app.rep, after=after, before=before, last=last, limit=limit,
                                search=self.screen.search or None, segment=self.screen.segment))

    def count(self) -> int:
        from models.usecases.clients_list import clients_total

        return clients_total(self.screen.app.rep, search=self.screen.search or None, segment=self.screen.segment)

    def key(self, row: ClientRow):
        return (row.name, row.id)

    def row_id(self, row: ClientRow):
        return row.id

    def render_row(self, row: ClientRow, width: int) -> Text:
        from models.clock import local
        from models.text import one_line

        tz = self.screen.app.rep.timezone
        t = Text(no_wrap=True)
        t.append(f"{one_line(row.name, 22):<22} ", style="bold")
        t.append(f"{row.segment:<9}")
        last = local(row.last_purchase_at, tz).strftime("%d %b %y") if row.last_purchase_at else "-"
        t.append(f"{last:>10}  ")
        nxt = row.next_task_due
        t.append(f"{local(nxt, tz).strftime('%d %b') if nxt else '-':>6}  ")
        t.append(one_line(row.company or row.email or row.phone or ""))
        return t


class ClientsScreen(MainScreen):
    TITLE_TEXT = "Clients"
    BINDINGS = [
        Binding("n", "new", "New client", id="clients.new"),
        Binding("m", "merge", "Merge into", id="clients.merge"),
        Binding("A", "assign", "Assign", id="clients.assign"),
        Binding("slash", "search", "Find", id="clients.search"),
        Binding("s", "segment", "Segment", id="clients.segment"),
        Binding("L", "lost", "Lost", id="clients.lost", tooltip="Mark the client lost"),
        Binding("T", "team", "Team", show=False, id="clients.team", tooltip="Who is away or back"),
        Binding("escape", "clear", "Clear filter", show=False, id="clients.clear"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.search = ""
        self.segment: str | None = None
        self.source = ClientSource(self)
        self._limit = 40

    def compose(self) -> ComposeResult:
        yield from self.compose_status()
        yield Input(placeholder="filter: name, company, e-mail, phone, notes", id="search", compact=True)
        yield Static(Text("name                   segment  last buy   next  company / contact"), classes="bar")
        yield RecordList(self.source, empty_text="No clients match.", id="list")
        yield LinePane("", id="card", classes="detail")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        super().on_mount()  # load(): the first page and the count, in a worker
        self.query_one(RecordList).focus()

    def load(self) -> None:
        # a page that fills the list however tall it gets (read here, on the UI thread)
        self._limit = max(self.query_one(RecordList)._fetch_n(), self.app.size.height * 2)
        super().load()

    def fetch(self) -> ClientsPage:
        from models.usecases.clients_list import first_page

        return first_page(self.app.rep, limit=self._limit, search=self.search or None, segment=self.segment)

    def paint(self, data: ClientsPage) -> None:
        self.query_one(RecordList)._loaded(list(data.rows), data.total)

    def on_data_changed(self, message: DataChanged) -> None:
        """Re-read the visible rows in place, keeping the cursor on its client (later, if hidden)."""
        if self.is_current:
            self.query_one(RecordList).reload()
        else:
            self._stale = True

    def on_screen_resume(self) -> None:
        if self._stale:
            self._stale = False
            self.query_one(RecordList).reload()

    def on_record_list_highlighted(self, message: RecordList.Highlighted) -> None:
        from models.text import one_line

        card = self.query_one("#card", LinePane)
        row: ClientRow | None = message.row
        if row is None:
            card.update("")
            return
        t = Text()
        t.append(f"#{row.id} {one_line(row.name, 40)}", style="bold")
        t.append(f"  {row.segment}  owner {row.owner or '-'}\n")
        for k, value in row.details:
            t.append(f"{k}: ", style="bold")
            t.append(one_line(value, 60) + "  ")
        card.update(t)

    def on_record_list_selected(self, message: RecordList.Selected) -> None:
        if message.row is not None:
            self.open_card(message.row.id)

    def selected(self):
        return self.query_one(RecordList).current

    def open_card(self, client_id: int, **kw) -> None:
        from screens.client import ClientCardScreen

        self.app.push_screen(ClientCardScreen(client_id, **kw), lambda _: self.query_one(RecordList).reload())

    def action_new(self) -> None:
        from models.clients import LABELS, add_client, clean_fields, likely_duplicates, required_fields
        from models.errors import DomainError
        from models.text import one_line
        from screens.client import ClientCardScreen
        from screens.form import FieldSpec, FormDialog

        from models.settings import get

        app = self.app
        required = required_fields()
        region = get("phone.region")  # once per form, not once per keystroke
        names = ("name", "email", "phone", "company", "city", "notes")
        fields = [FieldSpec(f, LABELS[f], required=f == "name", validate=(
            (lambda v, f=f: ClientCardScreen.check_field(f, v, region) or None) if f in ("email", "phone") else None))
            for f in names]
        for spec in fields:
            if spec.name in required and spec.name != "name":
                spec.label += " (*)"
        warned: dict = {}

        def submit(values):
            values = {k: v for k, v in values.items() if v.strip()}
            clean_fields(values)
            dups = likely_duplicates(app.rep, values.get("name"), values.get("email"), values.get("phone"))
            key = tuple(sorted(values.items()))
            if dups and warned.get("key") != key:
                warned["key"] = key
                listed = "; ".join(f"#{d['id']} {one_line(d['name'], 30) if d['visible'] else 'owned by ' + str(d['owner'])}"
                                   f" ({d['reason']})" for d in dups)
                raise DomainError(f"Likely duplicate of {listed}. ctrl+s again adds it anyway; escape cancels.")
            return add_client(app.rep, app.now(), **values)

        def done(client) -> None:
            if client:
                self.notify(f"Client {client.id} added.", markup=False)
                self.query_one(RecordList).reload()
                self.open_card(client.id)

        app.push_screen(FormDialog("New client", fields, submit, form_id="client-new"), done)

    def action_assign(self) -> None:
        """Managers: hand the selected client (with its open deals and tasks) to a rep picked from the team."""
        from models.access import is_manager
        from models.clients import reassign_client
        from models.text import one_line
        from screens.form import FieldSpec, FormDialog
        from screens.team import rep_choices

        row = self.selected()
        if row is None:
            return
        app = self.app
        if not is_manager(app.rep):
            self.notify("Clients are reassigned by a manager.", markup=False)
            return
        choices = rep_choices(app.rep, exclude=row.owner)
        if not choices:
            self.notify("Nobody else in your team to hand the client to.", markup=False)
            return

        def done(result) -> None:
            if result:
                self.notify(f"Client {result['client']} is now {result['owner']}'s ({result['deals']} open deal(s), "
                            f"{result['tasks']} task(s)).", markup=False)
                self.query_one(RecordList).reload()

        app.push_screen(FormDialog(f"Assign #{row.id} {one_line(row.name, 30)} (owner {row.owner or '-'})", [
            FieldSpec("login", "To rep", choices=choices)],
            lambda v: reassign_client(app.rep, row.id, v["login"], app.now()), form_id="client-assign"), done)

    def action_lost(self) -> None:
        """Mark the selected client lost with a reason from the list (lost clients get no follow-up cadence)."""
        from models.clients import lost_reasons, update_client
        from models.text import one_line
        from screens.form import FieldSpec, FormDialog

        row = self.selected()
        if row is None:
            return
        app = self.app
        reasons = lost_reasons()
        choices = [(label, key) for key, label in reasons.items()]

        def done(client) -> None:
            if client:
                self.notify(f"Client {client.id} is lost: {reasons.get(client.lost_reason, client.lost_reason)}.",
                            markup=False)
                self.query_one(RecordList).reload()

        app.push_screen(FormDialog(f"#{row.id} {one_line(row.name, 30)} lost: why?", [
            FieldSpec("reason", "Reason", choices=choices)],
            lambda v: update_client(app.rep, row.id, {"lost_reason": v["reason"]}, app.now()),
            form_id="client-lost"), done)

    def action_team(self) -> None:
        from screens.team import TeamScreen

        self.app.push_screen(TeamScreen())

    def action_merge(self) -> None:
        from models.clients import likely_duplicates, merge_clients
        from models.errors import ValidationError
        from models.text import one_line
        from screens.form import FieldSpec, FormDialog

        row = self.selected()
        if row is None:
            return
        app = self.app
        dups = [d for d in likely_duplicates(app.rep, row.name, row.email, row.phone, exclude=row.id) if d["visible"]]
        hint = ("likely duplicates: " + "; ".join(f"#{d['id']} {one_line(d['name'], 24)} ({d['reason']})"
                                                  for d in dups)) if dups else "no likely duplicates found"

        def submit(values):
            raw = values["other"].strip().lstrip("#")
            if not raw.isdigit():
                raise ValidationError("Give the number of the card to merge in.", field="other")
            return merge_clients(app.rep, row.id, int(raw), app.now())

        def done(result) -> None:
            if result:
                self.notify(f"Client {result['merged']} merged into {result['kept']}: {result['deals']} deal(s), "
                            f"{result['activities']} activities moved.", markup=False)
                self.query_one(RecordList).reload()

        app.push_screen(FormDialog(f"Merge into #{row.id} {one_line(row.name, 30)}",
                                   [FieldSpec("other", "Card to merge in (its deals, tasks, invoices move here)",
                                              value=str(dups[0]["id"]) if dups else "", required=True)],
                                   submit, form_id="client-merge", hint=hint + " · ctrl+s merge · escape cancel"),
                        done)

    def action_search(self) -> None:
        box = self.query_one("#search", Input)
        box.display = True
        box.value = self.search
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.search = event.value.strip()
        event.input.display = False
        self.load()
        self.query_one(RecordList).focus()

    def action_clear(self) -> None:
        if self.search or self.segment:
            self.search, self.segment = "", None
            self.update_status()
            self.load()

    def action_segment(self) -> None:
        """Cycle the segment filter: all, hot, cooling, warm, lapsing, sleeping, never, all ..."""
        from models.segments import SEGMENTS

        order = [None, *SEGMENTS]
        self.segment = order[(order.index(self.segment) + 1) % len(order)]
        self.update_status()
        self.load()

    def status_extra(self) -> str:
        parts = []
        if self.segment:
            parts.append(f"segment: {self.segment}")
        if self.search:
            parts.append(f"filter: {self.search[:20]}")
        return " · ".join(parts)
