"""Today: the rep's agenda (tasks and meetings due today, overdue first) and what moved to or from them."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from screens.base import MainScreen


class TodayScreen(MainScreen):
    TITLE_TEXT = "Today"
    BINDINGS = [
        Binding("d", "done", "Done", id="today.done"),
        Binding("j", "cursor('down')", "Down", show=False, id="today.down"),
        Binding("k", "cursor('up')", "Up", show=False, id="today.up"),
        Binding("g", "cursor('top')", "Top", show=False, id="today.top"),
        Binding("G", "cursor('bottom')", "Bottom", show=False, id="today.bottom"),
    ]

    def compose(self) -> ComposeResult:
        yield from self.compose_status()
        yield Static("", id="today-bar", classes="bar")
        table = DataTable(id="agenda", cursor_type="row", zebra_stripes=False)
        table.add_columns("due", "what", "subject")
        yield table
        yield Static("", id="moves", classes="detail")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(DataTable).focus()

    def load(self) -> None:
        from models.activities import agenda
        from models.clock import local
        from models.inbox import transfers_visible_to
        from models.text import one_line

        app = self.app
        now = app.now()
        tz = app.rep.timezone
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        tasks = agenda(app.rep, now)
        for a in tasks:
            due = local(a.due_at, tz)
            late = a.due_at < now
            when = Text(due.strftime("%d %b %H:%M") if late and due.date() != local(now, tz).date()
                        else due.strftime("%H:%M"), style="bold red" if late else "")
            table.add_row(when, Text(a.kind), Text(one_line(a.subject, 60)), key=str(a.id))
        if tasks:
            table.move_cursor(row=min(keep, len(tasks) - 1))
        overdue = sum(1 for a in tasks if a.due_at < now)
        self.query_one("#today-bar", Static).update(
            Text(f"{len(tasks)} to do today" + (f" · {overdue} overdue" if overdue else "") +
                 ("" if tasks else " · nothing due: a good time to call a sleeping client")))
        moves = transfers_visible_to(app.rep, since=now.replace(hour=0, minute=0, second=0), limit=6)
        t = Text()
        t.append("Moved today\n", style="bold")
        for m in moves:
            t.append(f"#{m['application_id']} {m['from_rep'] or 'unclaimed'} -> {m['to_rep']}: ")
            t.append(one_line(m["reason"], 50) + "\n")
        if not moves:
            t.append("nothing moved to or from you today")
        self.query_one("#moves", Static).update(t)

    def action_cursor(self, where: str) -> None:
        table = self.query_one(DataTable)
        if where == "down":
            table.action_cursor_down()
        elif where == "up":
            table.action_cursor_up()
        elif where == "top":
            table.move_cursor(row=0)
        else:
            table.move_cursor(row=max(table.row_count - 1, 0))

    def action_done(self) -> None:
        from models.activities import complete_task
        from models.errors import DomainError

        table = self.query_one(DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        try:
            complete_task(self.app.rep, int(key), self.app.now())
        except DomainError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify("Done.", timeout=2)
        self.load()
