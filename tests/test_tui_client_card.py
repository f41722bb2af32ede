"""The client card under Pilot: the stage gate (try a move, see the missing list, cursor on the first
missing field, fill, move), fields validated as typed, required fields marked, a stale save refused
with what another process changed, new clients with duplicate warnings, merge, stage rules; snapshots."""
from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import run_cli, settle, until
from models.audit import history
from models.clients import add_client
from models.pipeline import add_deal
from models.tables import Client, Deal, StageRequirement


def make_app(login, now):
    from models.reps import get_rep
    from tui.app import RepdeskApp

    return RepdeskApp(rep=get_rep(login), frozen_now=now, live=False)


async def open_first_card(pilot) -> None:
    """Clients (2), then enter on the first client: its card."""
    await pilot.press("2")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


def typed(app, selector):
    """What a field shows (an input's value, a text area's text)."""
    w = app.screen.query_one(selector)
    return w.text if hasattr(w, "load_text") else w.value


def shown(app, selector) -> str:
    return str(app.screen.query_one(selector).render())


async def test_gate_from_the_pipeline_fill_and_move(team, now):
    c = add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    d = add_deal(team["ana"], c.id, "40 balls", now, amount="1800.00")
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("greater_than_sign")
        await settle(pilot)
        assert type(app.screen).__name__ == "ClientCardScreen"
        gate = shown(app, "#gate")
        assert "Cannot move to qualified" in gate
        assert gate.index("Need") < gate.index("Budget") < gate.index("Decision maker")
        assert app.focused.id == "d-need"  # the cursor is on the first missing field
        assert Deal.get_by_id(d.id).stage.key == "new"
        await pilot.press(*"league balls", "tab", *"1800", "tab", *"December", "tab", *"Marta")
        await pilot.press("escape")  # leave the field: the deal list has the focus
        assert app.focused.id == "deals"
        await pilot.press("greater_than_sign")
        await settle(pilot)
        deal = Deal.get_by_id(d.id)
        assert deal.stage.key == "qualified" and deal.need == "league balls" and deal.decision_maker == "Marta"
        assert "moved to Qualified" in shown(app, "#card-msg")
        moves = [h for h in history("deal", d.id) if h["action"] == "move"]
        assert moves[0]["old"] == "new" and moves[0]["new"] == "qualified" and moves[0]["actor"] == "ana"
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "PipelineScreen"
        assert "Qual 1" in shown(app, "#board")


async def test_a_missing_client_field_puts_the_cursor_on_the_card(team, now):
    from models.pipeline import add_requirement, update_deal

    add_requirement(team["mia"], "qualified", "client.company", "Client's company", now)
    c = add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    d = add_deal(team["ana"], c.id, "40 balls", now)
    update_deal(team["ana"], d.id, dict(need="balls", budget="1", timeline="now", decision_maker="Marta"), now)
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("greater_than_sign")
        await settle(pilot)
        assert app.screen.query_one("TabbedContent").active == "tab-card"
        assert app.focused.id == "c-company"
        assert "required to move the deal on" in shown(app, "#e-company")
        await pilot.press(*"Norte SL", "ctrl+s")
        await settle(pilot)
        assert Client.get_by_id(c.id).company == "Norte SL"
        await pilot.press("escape", "d", "greater_than_sign")
        await settle(pilot)
        assert Deal.get_by_id(d.id).stage.key == "qualified"


async def test_card_validates_as_typed_and_keeps_the_form(team, now):
    c = add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_first_card(pilot)
        assert type(app.screen).__name__ == "ClientCardScreen"
        for f in ("name", "email", "phone"):
            assert shown(app, f"#l-{f}").endswith("*")  # required fields are marked
        assert not shown(app, "#l-company").endswith("*")
        app.screen.set_field("city", "Bilbao")
        email = app.screen.query_one("#c-email")
        email.focus()
        email.value = ""
        await pilot.press(*"info@clubnorte")
        await settle(pilot)
        assert "not valid" in shown(app, "#e-email")  # as typed, before saving
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert Client.get_by_id(c.id).city is None  # refused: nothing stored
        assert typed(app, "#c-city") == "Bilbao" and typed(app, "#c-email") == "info@clubnorte"
        assert app.focused.id == "c-email"
        await pilot.press(*".es", "ctrl+s")
        await settle(pilot)
        saved = Client.get_by_id(c.id)
        assert (saved.city, saved.email, saved.version) == ("Bilbao", "info@clubnorte.es", 2)
        assert "Saved" in shown(app, "#card-msg")


async def test_stale_save_from_another_process_is_refused_and_reload_keeps_edits(team, now, db):
    c = add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_first_card(pilot)
        app.screen.set_field("notes", "call after five")
        other = run_cli("client", "set", str(c.id), "city=Leeds", "phone=+447700900123", "--as", "mia", db_url=db)
        assert other.returncode == 0, other.stderr
        await pilot.press("ctrl+s")
        await settle(pilot)
        msg = shown(app, "#card-msg")
        assert "mia" in msg and "Leeds" in msg and "not applied" in msg
        assert Client.get_by_id(c.id).notes is None
        assert typed(app, "#c-notes") == "call after five"  # nothing typed is lost
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert typed(app, "#c-city") == "Leeds" and typed(app, "#c-notes") == "call after five"
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = Client.get_by_id(c.id)
        assert (saved.city, saved.notes, saved.phone) == ("Leeds", "call after five", "+447700900123")


async def test_new_client_warns_about_duplicates_then_merge(team, now):
    first = add_client(team["ana"], now, name="John Smith", email="john@example.com")
    add_deal(team["ana"], first.id, "old deal", now)
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Smith John", "tab", *"js@work.example", "ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "FormDialog"
        assert f"#{first.id} John Smith (similar name)" in shown(app, "#e-form")
        assert Client.select().count() == 1
        await pilot.press("ctrl+s")  # the rep has seen the warning: add it anyway
        await settle(pilot)
        assert Client.select().count() == 2
        assert type(app.screen).__name__ == "ClientCardScreen"  # the new card opens
        await pilot.press("escape", "escape")  # leave the field, then the card
        await settle(pilot)
        lst = app.screen.query_one("RecordList")
        assert [r.name for r in lst.rows] == ["John Smith", "Smith John"]
        await pilot.press("m")
        await settle(pilot)
        assert typed(app, "#f-other") == str(Client.get(Client.name == "Smith John").id)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [r.name for r in lst.rows] == ["John Smith"]
        kept = Client.get(Client.name == "John Smith")
        assert "js@work.example" in kept.notes and Deal.select().where(Deal.client == kept.id).count() == 1


async def test_stage_rules_edited_by_a_manager(team, now):
    app = make_app("mia", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert type(app.screen).__name__ == "StageRulesScreen"
        await pilot.press("l")  # qualified
        await settle(pilot)
        assert "Qualified" in shown(app, "#rules-title")
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"deal.wishes")
        await settle(pilot)
        assert "not a field the stage gate knows" in shown(app, "#e-field")
        app.screen.query_one("#f-field").value = ""
        await pilot.press(*"client.company", "tab", *"Company", "ctrl+s")
        await settle(pilot)
        from models.tables import Stage

        q = Stage.get(Stage.key == "qualified")
        assert StageRequirement.select().where((StageRequirement.stage == q.id)
                                               & (StageRequirement.field == "client.company")).exists()
        await pilot.press("G", "x")
        await settle(pilot)
        assert not StageRequirement.select().where(StageRequirement.field == "client.company").exists()
        await pilot.press("s")
        await settle(pilot)
        app.screen.query_one("#f-days").value = ""
        await pilot.press(*"21", "ctrl+s")
        await settle(pilot)
        assert Stage.get(Stage.key == "qualified").stale_days == 21
        await pilot.press("C")
        await settle(pilot)
        assert typed(app, "#f-fields") == "name, email|phone"
        app.screen.query_one("#f-fields").value = "name, phone, fax"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "fax" in shown(app, "#e-fields")  # refused with the reason, the form stays
        app.screen.query_one("#f-fields").value = "name, phone"
        await pilot.press("ctrl+s")
        await settle(pilot)
        from models.settings import get

        assert get("client.required") == ["name", "phone"]


async def test_a_rep_cannot_edit_stage_rules(team, now):
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert type(app.screen).__name__ == "PipelineScreen"


@pytest.fixture
def card_data(team, now):
    from models.activities import create_task
    from models.pipeline import update_deal

    c = add_client(team["ana"], now, name="Club Norte [b]SL[/b]", email="info@clubnorte.es", company="Norte SL",
                   phone="+34612345678", city="Bilbao")
    d = add_deal(team["ana"], c.id, "40 balls", now, amount="1800.00")
    update_deal(team["ana"], d.id, dict(need="balls"), now)
    add_deal(team["ana"], c.id, "2 goals", now)
    create_task("ana", team["ana"].id, "call about the goals", now, now=now, client_id=c.id)
    return c


def pressing(*keys):
    """A snap_compare run_before: press KEYS one by one, letting each screen's read be painted."""
    async def run(pilot) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
    return run


def test_client_card_snapshot_80x24(db, card_data, now, snap_compare):
    if not db.startswith("sqlite"):
        pytest.skip("one picture is enough: the snapshot is taken on SQLite")
    assert snap_compare(make_app("ana", now), terminal_size=(80, 24), run_before=pressing("2", "enter"))


def test_client_card_gate_snapshot_80x24(db, card_data, now, snap_compare):
    if not db.startswith("sqlite"):
        pytest.skip("one picture is enough: the snapshot is taken on SQLite")
    async def gate(pilot) -> None:
        await pressing("3")(pilot)
        # the board shows both new deals before the cursor moves to the second one (the one the gate stops)
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "PipelineScreen"
                    and pilot.app.screen.query_one("#deals").row_count == 2, what="the pipeline's deals")
        await pressing("j", "greater_than_sign")(pilot)
        # the deal list painted with its measured columns ("2 goals", not cut to the label's "2 go")
        await until(pilot, lambda: "2 goals" in "".join(
            seg.text for seg in pilot.app.screen.query_one("#deals").render_line(1)), timeout=30, what="the deal list")

    assert snap_compare(make_app("ana", now), terminal_size=(80, 24), run_before=gate)


def test_pipeline_snapshot_80x24(db, card_data, now, snap_compare):
    if not db.startswith("sqlite"):
        pytest.skip("one picture is enough: the snapshot is taken on SQLite")
    assert snap_compare(make_app("ana", now), terminal_size=(80, 24), run_before=pressing("3"))


async def test_leaving_with_unsaved_edits_asks_first(team, now):
    c = add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_first_card(pilot)
        app.screen.query_one("#c-notes").focus()
        await pilot.press(*"call on monday")
        assert "(unsaved)" in shown(app, "#status")
        await pilot.press("escape", "escape")  # leave the field, then try to leave the card
        await settle(pilot)
        assert type(app.screen).__name__ == "ClientCardScreen"
        assert "Unsaved edits" in shown(app, "#card-msg")
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "ClientsScreen"
    assert Client.get_by_id(c.id).notes is None


async def test_log_an_activity_and_add_a_task_from_the_card(team, now):
    from models.tables import Activity

    c = add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_first_card(pilot)
        await pilot.press("escape", "n")  # leave the field, log an activity
        await settle(pilot)
        assert type(app.screen).__name__ == "FormDialog"
        await pilot.press("tab", *"talked about the kit", "ctrl+s")
        await settle(pilot)
        assert app.screen.query_one("TabbedContent").active == "tab-activity"
        assert "talked about the kit" in shown(app, "#activity")
        await pilot.press("t")
        await settle(pilot)
        await pilot.press(*"send the catalogue", "tab")
        app.screen.query_one("#f-due").value = ""
        await pilot.press(*"next week")
        await settle(pilot)
        assert "not a date" in shown(app, "#e-due")
        app.screen.query_one("#f-due").value = "+2d"
        await pilot.press("ctrl+s")
        await settle(pilot)
        task = Activity.get(Activity.subject == "send the catalogue")
        assert task.rep_id == team["ana"].id and task.client_id == c.id
        assert task.due_at == now + timedelta(days=2) and task.done_at is None
        assert "send the catalogue" in shown(app, "#activity")


async def test_an_open_card_follows_other_sessions(team, now, db):
    from tui.app import DataChanged

    c = add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_first_card(pilot)
        assert run_cli("client", "set", str(c.id), "city=Leeds", "--as", "mia", db_url=db).returncode == 0
        app.screen.post_message(DataChanged())
        await settle(pilot)
        assert typed(app, "#c-city") == "Leeds"  # untouched card: shown at once
        assert "Updated" in shown(app, "#card-msg") and "mia" in shown(app, "#card-msg")
        app.screen.set_field("notes", "mine")
        assert run_cli("client", "set", str(c.id), "company=Norte SL", "--as", "mia", db_url=db).returncode == 0
        app.screen.post_message(DataChanged())
        await settle(pilot)
        assert typed(app, "#c-company") == ""  # edits in progress: nothing replaced under the rep's hands
        assert "Meanwhile" in shown(app, "#card-msg") and "Norte SL" in shown(app, "#card-msg")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert typed(app, "#c-company") == "Norte SL" and typed(app, "#c-notes") == "mine"


async def test_a_new_deal_from_the_card(team, now):
    c = add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_first_card(pilot)
        await pilot.press("escape", "D")
        await settle(pilot)
        assert type(app.screen).__name__ == "FormDialog"
        await pilot.press(*"2 goals", "tab", *"1300", "ctrl+s")
        await settle(pilot)
        deal = Deal.get(Deal.client == c.id)
        assert (deal.title, deal.amount_minor, deal.stage.key) == ("2 goals", 130000, "new")
        assert app.screen.query_one("TabbedContent").active == "tab-deals"
        assert typed(app, "#d-title") == "2 goals"


async def test_a_refused_move_says_which_card_key_gets_the_missing_paper(team, now):
    """Issue 11: the agreement is signed on the card (S), not on a Payments screen that has no such key."""
    from models.flow import move_deal
    from models.pipeline import update_deal

    c = add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    d = add_deal(team["ana"], c.id, "40 balls", now, amount="1800.00")
    update_deal(team["ana"], d.id, dict(need="balls", budget="1,800", timeline="December", decision_maker="Marta",
                                        products="40 BALL-PRO5", expected_close="2026-12-15"), now)
    move_deal(team["ana"], d.id, "negotiation", now)
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_first_card(pilot)
        await pilot.press("escape", "d", "greater_than_sign")
        await settle(pilot)
        gate = shown(app, "#gate")
        assert "Cannot move to agreement_signed" in gate
        assert "S records it signed" in gate and "T: the agreement's terms" in gate
        assert "Payments screen" not in gate.split("Signed agreement")[1].split("\n")[0]
        assert Deal.get_by_id(d.id).stage.key == "negotiation"
