"""Stage rules, edited by managers: what each stage requires before a deal may enter it, and after how
many days a deal waiting in it is marked stale. `h`/`l` change stage, `a` adds a requirement, `x`
removes the selected one, `s` sets the stale days, `K` whether forward moves may pass over the stage without
its requirements (skippable), `P` its win probability (the weighted forecast); the same operations as `repdesk stage ...`. `C` sets the fields every client
card must have (the `client.required` setting)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from screens.base import LoadingScreen
from screens.nav_widgets import NavTable

if TYPE_CHECKING:
    from models.usecases.pipeline import StageRules

FIELD_HELP = ("deal.need deal.budget deal.timeline deal.decision_maker deal.products deal.amount deal.lost_reason "
              "client.email client.phone client.company ... (alternatives with |: client.email|client.phone), "
              "agreement.signed agreement.provides agreement.receives invoice.issued payment.full "
              "payment.full_or_plan")


class StageRulesScreen(LoadingScreen, ModalScreen):
    TITLE_TEXT = "Stage rules"
    BINDINGS = [
        Binding("escape", "dismiss_screen", "Close", id="rules.close"),
        Binding("h,left", "stage(-1)", "Prev", id="rules.prev", tooltip="Previous stage"),
        Binding("l,right", "stage(1)", "Next", id="rules.next", tooltip="Next stage"),
        Binding("a", "add", "Add", id="rules.add"),
        Binding("x,delete", "remove", "Remove", id="rules.remove"),
        Binding("s", "stale", "Stale", id="rules.stale", tooltip="Stale after how many days"),
        Binding("K", "skippable", "Skippable", id="rules.skippable", tooltip="May a forward move pass over it?"),
        Binding("P", "probability", "Win%", id="rules.probability",
                tooltip="The stage's win probability, for the weighted forecast"),
        Binding("C", "client_required", "Card fields", id="rules.client_required", tooltip="Fields every client card needs"),
    ]

    def __init__(self, stage_key: str) -> None:
        super().__init__()
        self.stage_key = stage_key
        self.data: StageRules | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="rules"):
            yield Static("", id="rules-title")
            table = NavTable(id="reqs", cursor_type="row")
            table.add_columns("requires", "shown as")
            yield table
            yield Static(Text(FIELD_HELP, style="dim"), id="rules-help")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.load()
        self.query_one(DataTable).focus()

    def fetch(self) -> StageRules:
        from models.usecases.pipeline import stage_rules

        return stage_rules(self.stage_key)

    def paint(self, data: StageRules) -> None:
        from models.text import one_line

        self.data = data
        stage = data.stage
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(f"Stage rules: {stage.name}", style="bold")
        t.append(f"  ({data.index + 1}/{len(data.stages)}, stale after "
                 f"{str(stage.stale_days) + ' days' if stage.stale_days else 'never'}"
                 + (", skippable" if getattr(stage, "skippable", False) else "")
                 + (f", wins {stage.probability}%" if stage.probability is not None else "") + ")")
        self.query_one("#rules-title", Static).update(t)
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        for r in data.requirements:
            table.add_row(Text(r.field), Text(one_line(r.label, 50)), key=r.field)
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))

    def action_dismiss_screen(self) -> None:
        self.dismiss(None)

    def action_stage(self, step: int) -> None:
        if self.data is None:
            return
        keys = [s.key for s in self.data.stages]
        self.stage_key = keys[(keys.index(self.stage_key) + step) % len(keys)]
        self.load()

    def action_add(self) -> None:
        from models.pipeline import add_requirement, check_field_spec
        from models.errors import ValidationError
        from screens.form import FieldSpec, FormDialog

        app = self.app

        def check(value: str) -> str | None:
            try:
                check_field_spec(value.strip())
            except ValidationError as exc:
                return str(exc)
            return None

        def submit(values):
            return add_requirement(app.rep, self.stage_key, values["field"].strip(),
                                   values["label"].strip() or values["field"].strip(), app.now())

        app.push_screen(FormDialog(f"{self.stage_key} requires", [
            FieldSpec("field", "Field (deal.need, client.email|client.phone, agreement.signed ...)", required=True,
                      validate=check),
            FieldSpec("label", "Shown to the rep as"),
        ], submit, form_id="rule-add"), lambda _: self.load())

    def action_remove(self) -> None:
        from models.errors import DomainError
        from models.pipeline import remove_requirement

        table = self.query_one(DataTable)
        if not table.row_count:
            return
        field = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        try:
            remove_requirement(self.app.rep, self.stage_key, field, self.app.now())
        except DomainError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(f"{self.stage_key} no longer requires {field}.", markup=False)
        self.load()

    def action_stale(self) -> None:
        from models.errors import ValidationError
        from models.pipeline import set_stale_days
        from screens.form import FieldSpec, FormDialog

        app = self.app

        def submit(values):
            raw = values["days"].strip()
            if raw and not (raw.isascii() and raw.isdigit()):
                raise ValidationError("Days is a whole number (empty or 0: never stale).", field="days")
            return set_stale_days(app.rep, self.stage_key, int(raw) or None if raw else None, app.now())

        current = self.data.stage.stale_days if self.data and self.data.stage.key == self.stage_key else None
        app.push_screen(FormDialog(f"{self.stage_key}: stale after how many days?", [
            FieldSpec("days", "Days without a move (empty: never)", value=str(current or "")),
        ], submit, form_id="rule-stale"), lambda _: self.load())

    def action_probability(self) -> None:
        from models.errors import ValidationError
        from models.pipeline import set_probability
        from screens.form import FieldSpec, FormDialog

        app = self.app

        def submit(values):
            raw = values["percent"].strip()
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 3):
                raise ValidationError("The win probability is a whole percent from 0 to 100.", field="percent")
            return set_probability(app.rep, self.stage_key, int(raw), app.now())

        def done(result) -> None:
            if result is not None:
                self.notify(f"{result.name} wins {result.probability}% of the time.", markup=False)
            self.load()

        stage = self.data.stage if self.data and self.data.stage.key == self.stage_key else None
        current = stage.probability
        app.push_screen(FormDialog(f"{self.stage_key}: win probability?", [
            FieldSpec("percent", "Percent of deals in this stage that are won (0 to 100)",
                      value="" if current is None else str(current)),
        ], submit, form_id="rule-probability"), done)

    def action_skippable(self) -> None:
        """Whether a forward move may pass over this stage without its requirements (models.pipeline)."""
        from models.pipeline import set_skippable
        from screens.form import FieldSpec, FormDialog

        app = self.app
        stage = self.data.stage if self.data and self.data.stage.key == self.stage_key else None
        current = "yes" if getattr(stage, "skippable", False) else "no"

        def submit(values):
            return set_skippable(app.rep, self.stage_key, values["skippable"] == "yes", app.now())

        def done(result) -> None:
            if result is not None:
                how = "may pass over it without" if result.skippable else "must meet"
                self.notify(f"{self.stage_key}: forward moves {how} its requirements.", markup=False)
                self.load()

        app.push_screen(FormDialog(f"{self.stage_key}: skippable?", [
            FieldSpec("skippable", "A forward move may pass over this stage without its requirements",
                      value=current, choices=[("no: its requirements are checked", "no"),
                                              ("yes: moves may pass over it", "yes")]),
        ], submit, form_id="rule-skippable"), done)

    def action_client_required(self) -> None:
        from models.settings import put
        from screens.form import FieldSpec, FormDialog

        app = self.app

        def submit(values):
            from models.errors import ValidationError

            specs = [p.strip().replace(" ", "") for p in values["fields"].split(",") if p.strip()]
            try:
                put(app.rep.login, "client.required", specs, app.now())
            except ValidationError as exc:
                raise ValidationError(str(exc), field="fields") from None
            return specs

        def done(specs) -> None:
            if specs is not None:
                self.notify("Every client card now needs: " + ", ".join(specs) + ".", markup=False)
                self.load()

        app.push_screen(FormDialog("Fields every client must have", [
            FieldSpec("fields", "Comma-separated; a|b means one of them (name, email|phone)",
                      value=", ".join(self.data.client_required if self.data else ()), required=True),
        ], submit, form_id="rule-client"), done)


def ask_lost_reason(app, deal_id: int, after) -> None:
    """The form closing a deal as lost: a reason from the list (the Pipeline screen and the card use it)."""
    from models.clients import lost_reasons
    from models.flow import lose_deal
    from screens.form import FieldSpec, FormDialog

    choices = [(label, key) for key, label in lost_reasons().items()]
    app.push_screen(FormDialog(f"Deal {deal_id} lost: why?", [FieldSpec("reason", "Reason", choices=choices)],
                               lambda v: lose_deal(app.rep, deal_id, v["reason"], app.now()), form_id="lost"),
                    after)
