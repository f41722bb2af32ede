"""Today: the rep's own attainment at the top (each quota in its current period: done/target, percent, and
"▼ behind" when below pace: a word, not only a colour), the agenda (tasks and meetings due today, overdue
first, times in the rep's zone, named) and what moved to or from them; `d` marks a task done, `T` shows the
team (attainment per rep, away and back)."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from models.usecases.today import TodayView
from screens.base import MainScreen
from tui.actions import NAV, bindings


def attainment_text(rows, width: int = 78) -> Text:
    """The rep's attainment in at most two lines: "Quota calls 4/10 40%▼ · revenue 1,200/5,500 EUR 21% ·
    ▼ behind pace" (the mark and its word, not only a colour)."""
    from models.usecases.attainment import short_text

    t = Text(no_wrap=False, overflow="ellipsis")
    if not rows:
        t.append("No quota set for you yet (a manager sets them: repdesk quota set).", style="italic")
        return t
    parts = [(short_text(a, compact=True), a.behind) for a in rows]
    if any(a.behind for a in rows):
        parts.append(("▼ behind pace", None))
    t.append("Quota ", style="bold")
    used = 6
    for i, (part, behind) in enumerate(parts):
        sep = " · " if i else ""
        if used + len(sep) + len(part) + 1 > width and used:
            t.append("\n")
            used, sep = 0, ""
        t.append(sep)
        if behind is None:
            t.append(part, style="bold")
        else:
            t.append(part.rstrip("▼"), style="bold red" if behind else "")
            if behind:
                t.append("▼", style="bold")
        used += len(sep) + len(part)
    return t


class TodayScreen(MainScreen):
    TITLE_TEXT = "Today"
    DEFAULT_CSS = """
    TodayScreen #attainment { height: auto; max-height: 2; padding: 0 1; }
    """
    BINDINGS = [
        Binding("d", "done", "Done", id="today.done"),
        Binding("T", "team", "Team", id="today.team", tooltip="Away or back"),
        *bindings(NAV, without=("list.open",)),
    ]

    def compose(self) -> ComposeResult:
        yield from self.compose_status()
        yield Static("", id="attainment")
        yield Static("", id="today-bar", classes="bar")
        table = DataTable(id="agenda", cursor_type="row", zebra_stripes=False)
        table.add_columns("due", "what", "subject")
        yield table
        yield Static("", id="moves", classes="detail")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(DataTable).focus()

    def fetch(self) -> TodayView:
        from models.usecases.today import today_view

        return today_view(self.app.rep, self.app.now())

    def paint(self, view: TodayView) -> None:
        from models.clock import local
        from models.text import one_line

        now = view.now
        tz = self.app.rep.timezone
        self.query_one("#attainment", Static).update(attainment_text(view.attainment, max(self.size.width - 2, 40)))
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        for a in view.tasks:
            due = local(a.due_at, tz)
            when = Text(due.strftime("%d %b %H:%M") if a.overdue and due.date() != local(now, tz).date()
                        else due.strftime("%H:%M"), style="bold red" if a.overdue else "")
            table.add_row(when, Text(a.kind), Text(one_line(a.subject, 60)), key=str(a.id))
        if view.tasks:
            table.move_cursor(row=min(keep, len(view.tasks) - 1))
        from screens.payments_detail import zone_words

        n, overdue = len(view.tasks), view.overdue
        self.query_one("#today-bar", Static).update(
            Text(f"{n} to do today" + (f" · {overdue} overdue" if overdue else "") +
                 ("" if n else " · nothing due: a good time to call a sleeping client")
                 + f" · times in {zone_words(tz, now)}", no_wrap=True, overflow="ellipsis"))
        t = Text()
        t.append("Moved today\n", style="bold")
        for m in view.moves:
            t.append(f"#{m.application_id} {m.from_rep or 'unclaimed'} -> {m.to_rep}: ")
            t.append(one_line(m.reason, 50) + "\n")
        if not view.moves:
            t.append("nothing moved to or from you today")
        self.query_one("#moves", Static).update(t)

    # navigation (tui/actions NAV) on the agenda table
    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def action_page_down(self) -> None:
        self.query_one(DataTable).action_page_down()

    def action_page_up(self) -> None:
        self.query_one(DataTable).action_page_up()

    def action_first(self) -> None:
        self.query_one(DataTable).move_cursor(row=0)

    def action_last(self) -> None:
        table = self.query_one(DataTable)
        table.move_cursor(row=max(table.row_count - 1, 0))

    def action_team(self) -> None:
        from screens.team import TeamScreen

        self.app.push_screen(TeamScreen(), lambda _: self.load())

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
