"""Today under Pilot: the agenda shows today's tasks (overdue marked) and `d` marks one done."""
from __future__ import annotations

from datetime import timedelta

from models.activities import create_task
from models.tables import Activity


async def test_agenda_and_done(team, now):
    from models.reps import get_rep
    from tui.app import RepdeskApp

    late = create_task("t", team["ana"].id, "Call Marta about the balls", now - timedelta(hours=2), now=now)
    create_task("t", team["ana"].id, "Send the kit catalogue", now + timedelta(hours=3), now=now)
    create_task("t", team["ana"].id, "Next week's thing", now + timedelta(days=7), now=now)
    create_task("t", team["ben"].id, "Ben's call", now, now=now)
    app = RepdeskApp(rep=get_rep("ana"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("DataTable")
        subjects = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert subjects == ["Call Marta about the balls", "Send the kit catalogue"]
        assert "1 overdue" in str(app.screen.query_one("#today-bar").render())
        await pilot.press("d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert Activity.get_by_id(late.id).done_at == now
        assert table.row_count == 1
