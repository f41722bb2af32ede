"""The team: who is in, who is away (away reps get no transfers). A rep marks themself away or back, a
manager the reps of their team, a director or admin anyone (models.reps.set_away decides; a refusal is
shown). `a` toggles the selected rep; the list is read in a worker and again after each change."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from models.usecases.team import TeamMember, team_members
from screens.base import LoadingScreen
from screens.nav_widgets import NavTable


def rep_choices(actor, exclude: str | None = None) -> list[tuple[str, str]]:
    """(label, login) of the reps a client may be assigned to by ACTOR (a manager: their team's)."""
    return [(f"{m.name} ({m.login}{', away' if m.away else ''})", m.login) for m in team_members(actor)
            if m.role in ("rep", "manager") and m.login != exclude]


class TeamScreen(LoadingScreen, ModalScreen):
    TITLE_TEXT = "Team"
    BINDINGS = [
        Binding("escape", "close", "Back", id="team.close"),
        Binding("a", "toggle", "Away/back", id="team.away"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.members: dict[str, TeamMember] = {}
        self._actor = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="team"):
            yield Static("", id="team-title")
            table = NavTable(id="members", cursor_type="row")
            table.add_columns("login", "name", "role", "status", "zone")
            yield table
            yield Static(Text("a marks the selected rep away or back · escape back", style="italic"))
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.load()
        table = self.query_one(DataTable)
        table.focus()

    def load(self) -> None:
        self._actor = self.app.rep
        super().load()

    def fetch(self) -> tuple[TeamMember, ...]:
        return team_members(self._actor)

    def paint(self, data: tuple[TeamMember, ...]) -> None:
        from models.text import one_line

        table = self.query_one(DataTable)
        first = not self.members
        keep = table.cursor_row
        table.clear()
        self.members = {m.login: m for m in data}
        for m in data:
            table.add_row(Text(m.login), Text(one_line(m.name, 24)), Text(m.role),
                          Text("AWAY" if m.away else "in", style="bold" if m.away else ""), Text(m.timezone),
                          key=m.login)
        if table.row_count:
            mine = [i for i, m in enumerate(data) if m.login == self._actor.login]
            table.move_cursor(row=mine[0] if first and mine else min(keep, table.row_count - 1))
        away = sum(m.away for m in data)
        team = self._actor.team_name or "everyone"
        self.query_one("#team-title", Static).update(
            Text(f"Team: {team} · {len(data)} rep(s), {away} away", style="bold"))

    def selected(self) -> TeamMember | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return self.members.get(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_close(self) -> None:
        self.dismiss(None)

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
