"""Pipeline under Pilot: the board counts deals per stage; `>` refused shows what is missing."""
from __future__ import annotations

from models.clients import add_client
from models.pipeline import add_deal, update_deal
from models.tables import Deal


async def test_board_and_gate(team, now):
    from models.reps import get_rep
    from tui.app import RepdeskApp

    c = add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    d1 = add_deal(team["ana"], c.id, "40 balls", now, amount="1800.00")
    d2 = add_deal(team["ana"], c.id, "2 goals", now)
    update_deal(team["ana"], d2.id, dict(need="goals", budget="1300", timeline="Jan", decision_maker="Marta"), now)
    add_deal(team["sol"], add_client(team["sol"], now, name="South FC", phone="+34612345678").id, "not ana's", now)
    app = RepdeskApp(rep=get_rep("ana"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        board = str(app.screen.query_one("#board").render())
        assert "New 2" in board  # sol's deal is not counted for ana
        assert "1,800.00 EUR" in str(app.screen.query_one("#gate").render())
        await pilot.press("greater_than_sign")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        gate = str(app.screen.query_one("#gate").render())
        assert "missing" in gate and "Need" in gate and "Decision maker" in gate
        assert Deal.get_by_id(d1.id).stage.key == "new"
        assert type(app.screen).__name__ == "ClientCardScreen"  # opened on the missing fields
        await pilot.press("escape", "escape")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert type(app.screen).__name__ == "PipelineScreen"
        await pilot.press("j", "greater_than_sign")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert Deal.get_by_id(d2.id).stage.key == "qualified"
        await pilot.press("l")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert "Qual 1" in str(app.screen.query_one("#board").render())


async def test_outside_text_is_shown_literally_in_tables(team, now):
    from models.reps import get_rep
    from tui.app import RepdeskApp

    c = add_client(team["ana"], now, name="Club [b]Norte[/b] \x1b[31mred", email="info@clubnorte.es")
    add_deal(team["ana"], c.id, "[i]40 balls[/i]", now)
    app = RepdeskApp(rep=get_rep("ana"), frozen_now=now, live=False)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.press("3")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("DataTable")
        cells = [str(c) for c in table.get_row_at(0)]
        assert cells[0] == "[i]40 balls[/i]" and cells[1].startswith("Club [b]Norte[/b]")
        assert "\x1b" not in cells[1]
        line = "".join(s.text for s in table.render_line(1))
        assert "[i]40 balls[/i]" in line


async def test_l_closes_a_deal_as_lost_with_a_reason(team, now):
    from models.reps import get_rep
    from tui.app import RepdeskApp

    c = add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    d = add_deal(team["ana"], c.id, "40 balls", now)
    app = RepdeskApp(rep=get_rep("ana"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("L")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert type(app.screen).__name__ == "FormDialog"
        await pilot.press("ctrl+s")  # the first reason in the list: went to a competitor
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        deal = Deal.get_by_id(d.id)
        assert (deal.stage.key, deal.lost_reason) == ("lost", "competitor")
        assert "Lost 1" in str(app.screen.query_one("#board").render())


async def test_a_manager_marks_a_stage_skippable_in_the_rules(team, now):
    """Issue 11: `K` in the stage rules (R on the Pipeline) lets forward moves pass over a stage."""
    from models.reps import get_rep
    from models.tables import Stage
    from tui.app import RepdeskApp

    app = RepdeskApp(rep=get_rep("mia"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("R")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert type(app.screen).__name__ == "StageRulesScreen"
        from textual.widgets._footer import FooterKey

        assert all(k.region.right <= 80 for k in app.screen.query(FooterKey))
        await pilot.press("l", "l", "l")  # negotiation
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("K")
        await pilot.pause()
        assert type(app.screen).__name__ == "FormDialog"
        app.screen.query_one("#f-skippable").value = "yes"
        await pilot.press("ctrl+s")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert Stage.get(Stage.key == "negotiation").skippable
        assert any("may pass over it" in str(n.message) for n in app._notifications)


async def test_moves_go_through_the_flow_gate_every_stage_passed_over(team, now):
    """`>` from New asks what Qualified needs; a deal in Lost by `L` is lost through models.flow."""
    from models.reps import get_rep
    from tui.app import RepdeskApp

    c = add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    d = add_deal(team["ana"], c.id, "40 balls", now, amount="100.00")
    update_deal(team["ana"], d.id, dict(need="balls", budget="100", timeline="Dec", decision_maker="Marta"), now)
    app = RepdeskApp(rep=get_rep("ana"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("greater_than_sign")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert Deal.get_by_id(d.id).stage.key == "qualified"
        assert any("moved to Qualified" in str(n.message) for n in app._notifications)
        await pilot.press("l", "less_than_sign")  # back to New from the Qualified column
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert Deal.get_by_id(d.id).stage.key == "new"
