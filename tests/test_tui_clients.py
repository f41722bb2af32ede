"""Clients under Pilot: only the rep's own clients, `/` filters by full text, the card shows below."""
from __future__ import annotations

from datetime import timedelta

from models.clients import add_client
from models.tables import Client


async def test_clients_list_and_filter(team, now):
    from models.reps import get_rep
    from models.tables import Client
    from tui.app import RepdeskApp

    add_client(team["ana"], now, name="Zoe Club", email="zoe@example.com", company="Lagos FC Ltd")
    add_client(team["ana"], now, name="Adam Academy", phone="+447700900123", notes="prefers [bold]calls[/bold]")
    add_client(team["sol"], now, name="Sol's Client", email="s@example.com")
    Client.update(last_purchase_at=now - timedelta(days=3), segment="hot").where(Client.name == "Zoe Club").execute()
    app = RepdeskApp(rep=get_rep("ana"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        lst = app.screen.query_one("RecordList")
        assert [r.name for r in lst.rows] == ["Adam Academy", "Zoe Club"]
        assert "[bold]calls[/bold]" in str(app.screen.query_one("#card").render())
        await pilot.press("slash", *"lagos", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [r.name for r in lst.rows] == ["Zoe Club"]
        assert "hot" in "".join(s.text for s in lst.render_line(0))


async def test_segment_filter_cycles(team, now):
    from models.reps import get_rep
    from tui.app import RepdeskApp

    add_client(team["ana"], now, name="Hot One", email="h@example.com")
    add_client(team["ana"], now, name="Never One", email="n@example.com")
    Client.update(last_purchase_at=now - timedelta(days=3), segment="hot").where(Client.name == "Hot One").execute()
    app = RepdeskApp(rep=get_rep("ana"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        lst = app.screen.query_one("RecordList")
        await pilot.press("s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [r.name for r in lst.rows] == ["Hot One"]
        assert "segment: hot" in str(app.screen.query_one("#status").render())
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(lst.rows) == 2


async def test_next_task_column_follows_the_tasks(team, now):
    from models.activities import complete_task, create_task
    from models.reps import get_rep
    from tui.app import DataChanged, RepdeskApp

    c = add_client(team["ana"], now, name="Club", email="c@example.com")
    task = create_task("ana", team["ana"].id, "call", now + timedelta(days=2), now=now, client_id=c.id)
    app = RepdeskApp(rep=get_rep("ana"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        lst = app.screen.query_one("RecordList")
        assert "22 Nov" in "".join(s.text for s in lst.render_line(0))
        complete_task(team["ana"], task.id, now)
        app.screen.post_message(DataChanged())
        await pilot.pause()
        await pilot.pause()
        assert "22 Nov" not in "".join(s.text for s in lst.render_line(0))


async def test_a_manager_assigns_a_client_to_a_rep_picked_from_the_team(team, now):
    """Issue 11: assign picks the rep from a list of the team's reps (another team's rep is not offered)."""
    from textual.widgets import Select

    from models.reps import get_rep
    from tui.app import RepdeskApp

    c = add_client(team["ana"], now, name="Club", email="c@example.com")
    app = RepdeskApp(rep=get_rep("mia"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("A")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert type(app.screen).__name__ == "FormDialog"
        picker = app.screen.query_one("#f-login", Select)
        logins = [value for _label, value in picker._options if value is not Select.NULL]
        assert logins == ["ben", "cai", "mia"]  # the team's reps, not the owner (ana), not sol (South)
        picker.value = "cai"
        await pilot.press("ctrl+s")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert type(app.screen).__name__ == "ClientsScreen"
        assert Client.get_by_id(c.id).owner_id == team["cai"].id


async def test_L_marks_a_client_lost_with_a_reason_from_the_list(team, now):
    from models.reps import get_rep
    from tui.app import RepdeskApp

    c = add_client(team["ana"], now, name="Club", email="c@example.com")
    app = RepdeskApp(rep=get_rep("ana"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("L")
        await pilot.pause()
        assert type(app.screen).__name__ == "FormDialog"
        await pilot.press("ctrl+s")  # the first reason of the list
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert type(app.screen).__name__ == "ClientsScreen"
        assert Client.get_by_id(c.id).lost_reason
        assert any("is lost" in str(n.message) for n in app._notifications)


async def test_team_a_rep_marks_themself_away_and_a_manager_their_team(team, now):
    from models.reps import get_rep
    from models.tables import Rep
    from tui.app import RepdeskApp

    app = RepdeskApp(rep=get_rep("ana"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2", "T")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert type(app.screen).__name__ == "TeamScreen"
        table = app.screen.query_one("DataTable")
        logins = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert "ana" in logins and "sol" not in logins
        assert str(table.get_row_at(table.cursor_row)[0]) == "ana"  # the cursor starts on me
        await pilot.press("a")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert Rep.get(Rep.login == "ana").away
        assert "AWAY" in [str(c) for c in table.get_row_at(table.cursor_row)]
        await pilot.press("a")  # back
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert not Rep.get(Rep.login == "ana").away
        await pilot.press("g", "j")  # another rep: a rep may not mark them
        await pilot.press("a")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        other = str(table.get_row_at(table.cursor_row)[0])
        assert other != "ana" and not Rep.get(Rep.login == other).away
        assert any("only" in str(n.message) or "may" in str(n.message) for n in app._notifications)
    app = RepdeskApp(rep=get_rep("mia"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5", "T")  # from Today too
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("DataTable")
        logins = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        table.move_cursor(row=logins.index("ben"))
        await pilot.press("a")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert Rep.get(Rep.login == "ben").away
