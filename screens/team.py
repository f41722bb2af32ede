"""The team (issue 15): rep x metric, each cell the percent of the rep's quota in its current period, "▼"
when behind pace (a mark, not only a colour), and card completeness (the share of the rep's client cards
missing an e-mail or a phone); who is in, who is away (away reps get no transfers). A manager sees their
team, a director everyone, a rep themself. `enter` opens the records behind the selected rep's numbers
(and `enter` there the client's card); `a` marks the selected rep away or back (models.reps.set_away
decides; a refusal is shown). Read in a worker, again after each change."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from models.usecases.team import BoardRow, RepRecords, TeamBoard, team_members
from screens.base import LoadingScreen
from screens.nav_widgets import NavTable

GRID = (("calls", "calls"), ("meetings", "meet"), ("new_clients", "new"), ("deals_won", "won"),
        ("revenue", "revenue"))


def rep_choices(actor, exclude: str | None = None) -> list[tuple[str, str]]:
    """(label, login) of the reps a client may be assigned to by ACTOR (a manager: their team's)."""
    return [(f"{m.name} ({m.login}{', away' if m.away else ''})", m.login) for m in team_members(actor)
            if m.role in ("rep", "manager") and m.login != exclude]


def cell_text(row: BoardRow, metric: str) -> Text:
    if not row.numbers:
        return Text("")
    a = row.cell(metric)
    if a is None:
        return Text("-", style="dim")
    t = Text(f"{a.percent}%", style="bold red" if a.behind else "")
    if a.behind:
        t.append("▼", style="bold")
    return t


def rep_detail(row: BoardRow) -> Text:
    """The selected rep's numbers in words: "Ana Alvarez (rep, Europe/Madrid): calls 4/10 40% today ▼ behind"."""
    from models.text import one_line
    from models.usecases.attainment import short_text

    t = Text()
    t.append(one_line(row.name, 30), style="bold")
    t.append(f" ({row.role}, {row.timezone}{', AWAY' if row.away else ''})")
    if not row.numbers:
        return t
    if not row.attainment:
        t.append(": no quota in force")
    for i, a in enumerate(row.attainment):
        t.append(": " if i == 0 else " · ")
        t.append(f"{short_text(a)} {a.label}")
        if a.behind:
            t.append(" ▼ behind", style="bold")
    if row.cards:
        t.append(f" · {row.cards_missing} of {row.cards} card(s) miss an e-mail or a phone")
    return t


class BoardTable(NavTable):
    """The board: `enter` (RowSelected) opens the records behind the selected rep's numbers."""
    BINDINGS = [Binding("enter", "select_cursor", "Records", id="team.open", key_display="⏎")]


class RecordsTable(NavTable):
    """The records: `enter` (RowSelected) opens the client's card."""
    BINDINGS = [Binding("enter", "select_cursor", "Open card", id="team.records.open", key_display="⏎")]


class TeamScreen(LoadingScreen, ModalScreen):
    TITLE_TEXT = "Team"
    BINDINGS = [
        Binding("escape", "close", "Back", id="team.close"),
        Binding("a", "toggle", "Away/back", id="team.away"),
    ]
    DEFAULT_CSS = """
    TeamScreen #members { height: auto; max-height: 12; }
    TeamScreen #team-detail { height: auto; max-height: 4; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.members: dict[str, BoardRow] = {}
        self._actor = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="team"):
            yield Static("", id="team-title")
            table = BoardTable(id="members", cursor_type="row")
            # fixed widths: "100%▼" fits; a repaint never shifts the columns
            for label, width in (("login", 10), ("status", 6), *[(label, 7) for _m, label in GRID], ("gaps", 5)):
                table.add_column(label, width=width)
            yield table
            yield Static("", id="team-detail")
            yield Static(Text("% of quota · ▼ behind pace · gaps: cards missing e-mail or phone\n"
                              "enter: the records behind the numbers · a: away/back · escape: back",
                              style="italic"))
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.load()
        self.query_one(DataTable).focus()

    def load(self) -> None:
        self._actor = self.app.rep
        self._now = self.app.now()
        super().load()

    def fetch(self) -> TeamBoard:
        from models.usecases.team import team_board

        return team_board(self._actor, self._now)

    def paint(self, data: TeamBoard) -> None:
        table = self.query_one(DataTable)
        first = not self.members
        keep = table.cursor_row
        table.clear()
        self.members = {m.login: m for m in data.rows}
        for m in data.rows:
            gaps = m.missing_percent if m.numbers else None
            table.add_row(Text(m.login), Text("AWAY" if m.away else "in", style="bold" if m.away else ""),
                          *[cell_text(m, metric) for metric, _label in GRID],
                          Text(("-" if m.numbers else "") if gaps is None else f"{gaps}%", style="bold" if gaps else ""),
                          key=m.login)
        if table.row_count:
            mine = [i for i, m in enumerate(data.rows) if m.login == self._actor.login]
            table.move_cursor(row=mine[0] if first and mine else min(keep, table.row_count - 1))
        away = sum(m.away for m in data.rows)
        behind = sum(any(a.behind for a in m.attainment) for m in data.rows)
        team = data.team or ("everyone" if self._actor.role in ("director", "admin") else self._actor.login)
        title = Text(f"Team: {team} · {len(data.rows)} rep(s), {away} away, {behind} behind pace", style="bold")
        if data.forecast:
            title.append(f"\n{data.forecast}", style="")
        self.query_one("#team-title", Static).update(title)
        self._show_detail()

    def _show_detail(self) -> None:
        m = self.selected()
        self.query_one("#team-detail", Static).update(rep_detail(m) if m is not None else Text(""))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def selected(self) -> BoardRow | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return self.members.get(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_open(self) -> None:
        m = self.selected()
        if m is None:
            return
        if not m.numbers:
            self.notify(f"{m.login}'s numbers are for {m.login} and their manager.", markup=False)
            return
        self.app.push_screen(RepRecordsScreen(m.login))

    def action_toggle(self) -> None:
        from models.errors import DomainError
        from models.reps import set_away
        from models.text import one_line

        m = self.selected()
        if m is None:
            return
        if self.app.rep.role == "rep" and m.login != self.app.rep.login:
            # models.reps.set_away lets anyone while no admin exists (the bootstrap); a rep's key is theirs
            self.notify(f"A rep marks only themself away or back; {m.login}'s manager marks {m.login}.",
                        severity="warning", markup=False)
            return
        try:
            rep = set_away(self.app.rep.login, m.login, not m.away, self.app.now())
        except DomainError as exc:
            self.notify(one_line(str(exc), 300), severity="error", timeout=6, markup=False)
            return
        who = "You are" if rep.login == self.app.rep.login else f"{rep.login} is"
        self.notify(f"{who} {'away: no transfers until back' if rep.away else 'back'}.", markup=False)
        self.load()


class RepRecordsScreen(LoadingScreen, ModalScreen):
    """What stands behind one rep's numbers (models.usecases.team.rep_records): the calls and meetings done,
    cards created, deals won, money counted in each quota's period, and the cards missing an e-mail or a
    phone; `enter` opens the client's card."""

    TITLE_TEXT = "Records"
    BINDINGS = [Binding("escape", "close", "Back", id="team.records.close")]
    DEFAULT_CSS = """
    RepRecordsScreen #records { height: auto; max-height: 16; }
    """

    def __init__(self, login: str) -> None:
        super().__init__()
        self.login = login
        self.view: RepRecords | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("", id="records-title")
            table = RecordsTable(id="records", cursor_type="row")
            table.add_columns("metric", "when", "what")
            yield table
            yield Static(Text("enter: the client's card · escape: back", style="italic"))
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self._actor, self._now = self.app.rep, self.app.now()
        self.load()
        self.query_one(DataTable).focus()

    def fetch(self) -> RepRecords:
        from models.usecases.team import rep_records

        return rep_records(self._actor, self.login, self._now)

    def load_failed(self, error: str) -> None:
        self.notify(error, severity="error", timeout=6, markup=False)
        self.dismiss(None)

    def paint(self, view: RepRecords) -> None:
        from models.clock import shown
        from models.text import one_line

        self.view = view
        table = self.query_one(DataTable)
        table.clear()
        tz = self.app.rep.timezone
        for i, r in enumerate(view.rows):
            table.add_row(Text(r.metric), Text(shown(r.at, tz, self._now, with_zone=False) if r.at else "-"),
                          Text(one_line(r.text, 44)), key=str(i))
        from screens.payments_detail import zone_words

        title = Text(f"Behind {view.login}'s numbers ({one_line(view.name, 24)}) · times in "
                     f"{zone_words(tz, self._now)}", style="bold")
        if not view.rows:
            title.append("\nnothing recorded in the quotas' periods, and every card has an e-mail and a phone",
                         style="")
        self.query_one("#records-title", Static).update(title)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_open(self) -> None:
        if self.view is None or not self.view.rows:
            return
        row = self.query_one(DataTable).cursor_row
        if 0 <= row < len(self.view.rows) and self.view.rows[row].client_id is not None:
            from screens.client import ClientCardScreen

            self.app.push_screen(ClientCardScreen(self.view.rows[row].client_id))
