"""The pipeline: deals by stage with count and amount per stage; stale deals marked;
`>`/`<` move the selected deal (models.flow.move_deal: a forward move checks every stage passed over) and,
when the gate refuses, open its card with what is missing and the cursor on the first missing field; `L`
closes it as lost with a reason (models.flow.lose_deal: what has not shipped is cancelled); `enter` opens
the card; `R` edits the stage rules (managers)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from screens.base import MainScreen
from tui.widgets.linepane import LinePane
from screens.nav_widgets import NavTable

if TYPE_CHECKING:
    from models.usecases.pipeline import PipelineBoard


SHORT = {"new": "New", "qualified": "Qual", "proposal": "Prop", "negotiation": "Nego",
         "agreement_signed": "Sign", "invoiced": "Inv", "paid": "Paid", "shipped": "Ship", "won": "Won",
         "lost": "Lost"}


class PipelineScreen(MainScreen):
    TITLE_TEXT = "Pipeline"
    BINDINGS = [
        Binding("h,left", "stage(-1)", "Prev", id="pipeline.prev_stage", tooltip="Previous stage"),
        Binding("l,right", "stage(1)", "Next", id="pipeline.next_stage", tooltip="Next stage"),
        Binding("greater_than_sign", "move(1)", "Move on", id="pipeline.forward"),
        Binding("less_than_sign", "move(-1)", "Move back", id="pipeline.back"),
        Binding("enter", "open", "Open card", id="pipeline.open"),
        Binding("R", "rules", "Rules", id="pipeline.rules", tooltip="Stage rules (managers)"),
        Binding("L", "lost", "Lost", id="pipeline.lost"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.stage_index = 0
        self.data: PipelineBoard | None = None

    @property
    def stage_keys(self) -> list[str]:
        return [s.key for s in self.data.stages] if self.data else []

    def compose(self) -> ComposeResult:
        yield from self.compose_status()
        yield Static("", id="board", classes="bar")
        table = NavTable(id="deals", cursor_type="row")
        table.add_columns("deal", "client", "amount", "since")
        yield table
        yield LinePane("", id="gate", classes="detail")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(DataTable).focus()

    def fetch(self) -> PipelineBoard:
        from models.usecases.pipeline import pipeline_board

        return pipeline_board(self.app.rep, self.app.now(), self.stage_index)

    def paint(self, data: PipelineBoard) -> None:
        from models.money import format_amount
        from models.text import one_line

        self.data = data
        self.stage_index = data.index
        t = Text(no_wrap=True, overflow="ellipsis")
        for i, s in enumerate(data.stages):
            style = "bold reverse" if i == data.index else ""
            short = SHORT.get(s.key, s.name[:5])
            t.append(f" {short} {s.count}", style=style)
            if s.stale:
                t.append(f"!{s.stale}", style="bold red")
        self.query_one("#board", Static).update(t)
        current = data.current
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        for d in data.deals:
            since = Text(f"{d.days}d", style="bold red" if d.stale else "")
            amount = format_amount(d.amount_minor, d.currency) if d.amount_minor is not None else "-"
            # cells are Text: a str cell would be read as markup
            table.add_row(Text(one_line(d.title, 30)), Text(one_line(d.client_name, 24)), Text(amount), since,
                          key=str(d.id))
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
        totals = ", ".join(format_amount(v, c) for c, v in current.totals) or "no amounts"
        self.query_one("#gate", LinePane).update(Text(f"{current.name}: {current.count} deal(s), {totals}"
                                                    + (f", {current.stale} stale" if current.stale else "")))

    def action_stage(self, step: int) -> None:
        if self.stage_keys:
            self.stage_index = (self.stage_index + step) % len(self.stage_keys)
            self.query_one(DataTable).move_cursor(row=0)
            self.load()

    def action_move(self, step: int) -> None:
        from models.errors import DomainError, StageGateError
        from models.flow import move_deal
        from models.pipeline import stage_step

        deal_id = self.selected_deal()
        if deal_id is None or self.data is None:
            return
        try:
            target = stage_step(self.data.current.key, step)
        except DomainError as exc:
            self.notify(str(exc), markup=False)
            return
        if target is None:
            return
        try:
            move_deal(self.app.rep, deal_id, target, self.app.now())
        except StageGateError as exc:
            t = Text()
            t.append(f"Cannot move to {target}: missing ", style="bold red")
            t.append(", ".join(m["label"] for m in exc.missing))
            self.query_one("#gate", LinePane).update(t)
            self.open_card(deal_id, missing=exc.missing, target=target)
            return
        except DomainError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        name = next((s.name for s in self.data.stages if s.key == target), target)
        self.notify(f"Deal {deal_id} moved to {name}.", markup=False)
        self.load()

    def selected_deal(self) -> int | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def open_card(self, deal_id: int, missing: list[dict] | None = None, target: str | None = None) -> None:
        from screens.client import ClientCardScreen

        deal = next((d for d in self.data.deals if d.id == deal_id), None) if self.data else None
        if deal is None:
            return
        self.app.push_screen(ClientCardScreen(deal.client_id, deal_id=deal.id, missing=missing, target=target),
                             lambda _: self.load())

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        deal_id = self.selected_deal()
        if deal_id is not None:
            self.open_card(deal_id)

    def action_rules(self) -> None:
        from models.access import is_manager
        from screens.rules import StageRulesScreen

        if not is_manager(self.app.rep):
            self.notify("Stage rules are edited by managers; repdesk stage list shows them.", markup=False)
            return
        stage = self.stage_keys[self.stage_index] if self.stage_keys else "new"
        self.app.push_screen(StageRulesScreen(stage), lambda _: self.load())

    def action_lost(self) -> None:
        from screens.rules import ask_lost_reason

        deal_id = self.selected_deal()
        if deal_id is None:
            return
        ask_lost_reason(self.app, deal_id, lambda result: result and self.load())
