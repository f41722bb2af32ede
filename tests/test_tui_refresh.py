"""A change notice reaches every open screen in every mode: a screen that was hidden while another
session changed the data shows the change when the rep comes back to it (issue 10)."""
from __future__ import annotations

from datetime import timedelta

from conftest import until


def _today_subjects(app) -> list[str]:
    table = app.screen.query_one("DataTable")
    return [str(table.get_row_at(i)[2]) for i in range(table.row_count)]


async def test_a_hidden_screen_shows_another_sessions_change_when_it_comes_back(team, now):
    from models.activities import create_task
    from models.reps import get_rep
    from tui.app import RepdeskApp

    create_task("t", team["ana"].id, "Call Marta about the balls", now + timedelta(hours=1), now=now)
    app = RepdeskApp(rep=get_rep("ana"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5")
        await until(pilot, lambda: _today_subjects(app) == ["Call Marta about the balls"])
        today = app.screen
        await pilot.press("1")  # the rep looks at the inbox; Today is hidden in its own mode
        await until(pilot, lambda: app.current_mode == "inbox")
        # another session (mia, the manager) gives ana a task meanwhile; the live poll says "changed"
        create_task("mia", team["ana"].id, "Send the kit catalogue", now + timedelta(hours=2), now=now)
        app.notify_changed()
        await pilot.pause()
        assert today in app.all_screens() and app.screen is not today
        await pilot.press("5")
        await until(pilot, lambda: _today_subjects(app) == ["Call Marta about the balls", "Send the kit catalogue"],
                    what="Today to show the task added while it was hidden")


async def test_a_move_made_elsewhere_is_announced_to_the_rep_it_concerns(team, now):
    from models.inbox import add_application, claim, transfer
    from models.reps import get_rep
    from tui.app import RepdeskApp

    app_id = add_application("t", {"channel": "phone", "name": "Olga", "phone": "+447700900123",
                                   "text": "need 10 cones"}, now)
    claim(team["ben"], app_id, now)
    app = RepdeskApp(rep=get_rep("ana"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.current_mode == "inbox")
        app.refresh_notices()  # the first look (the app does it on start): what is known is not announced
        await until(pilot, lambda: app.notices is not None)
        transfer(team["ben"], app_id, "ana", "I am off sick", now)  # ben, in another session
        app.frozen_now = now + timedelta(seconds=5)
        app.notify_changed()
        await until(pilot, lambda: any("moved from ben to you" in n.message and "off sick" in n.message
                                       for n in app._notifications),
                    what="the move to be announced")
        # announced once: the next change elsewhere does not repeat it
        app.notify_changed()
        await until(pilot, lambda: True)
        assert sum("moved from ben to you" in n.message for n in app._notifications) == 1


def test_today_counts_moves_from_the_reps_own_midnight(team, now):
    """A rep in Madrid at 00:30 local (23:30 UTC the day before) sees what moved since her midnight, not
    since UTC's: a move at 23:10 UTC the day before is yesterday for her."""
    from datetime import datetime

    from models.inbox import add_application, claim, transfer
    from models.reps import actor_of
    from models.tables import Rep
    from models.usecases.today import today_view

    Rep.update(timezone="Europe/Madrid").where(Rep.login == "ana").execute()
    late = datetime(2026, 11, 19, 22, 50)   # 23:50 in Madrid on the 19th
    after = datetime(2026, 11, 19, 23, 10)  # 00:10 in Madrid on the 20th
    early = add_application("t", {"channel": "phone", "name": "Olga", "phone": "+447700900123",
                                  "text": "need 10 cones"}, late)
    claim(team["ben"], early, late)
    transfer(team["ben"], early, "ana", "yesterday's", late)
    second = add_application("t", {"channel": "phone", "name": "Pia", "phone": "+447700900124",
                                   "text": "need 5 goals"}, after)
    claim(team["ben"], second, after)
    transfer(team["ben"], second, "ana", "today's", after)
    view = today_view(actor_of(Rep.get(Rep.login == "ana")), datetime(2026, 11, 19, 23, 30))
    assert [m.reason for m in view.moves] == ["today's"]


async def test_a_manager_finds_what_waits_for_them_from_any_screen(team, now):
    """The palette offers "Waiting for me" to a manager on every screen, not to a rep."""
    from models.reps import get_rep
    from tui.app import RepdeskApp

    for login, offered in (("mia", True), ("ana", False)):
        app = RepdeskApp(rep=get_rep(login), frozen_now=now, live=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("5")
            await until(pilot, lambda: app.current_mode == "today")
            titles = {c.title for c in app.get_system_commands(app.screen)}
            assert ("Waiting for me" in titles) is offered
            if offered:
                app.action_approvals()
                await until(pilot, lambda: type(app.screen).__name__ == "ApprovalsScreen")
