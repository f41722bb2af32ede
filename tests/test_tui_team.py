"""Today's attainment line and the Team screen under Pilot (issue 15): the rep's own numbers at the top of
Today, behind pace marked by a word and a mark (not only a colour); a manager's rep x metric board with card
completeness, `enter` opening the records behind a rep's numbers and `enter` there the client's card; a rep
sees their teammates in or away but not their numbers. Snapshots at 80x24, in colour and with NO_COLOR."""
from __future__ import annotations

from datetime import datetime

import pytest

from models.activities import log_activity
from models.clients import add_client
from models.quotas import set_quota
from conftest import settle, until

NOW = datetime(2026, 11, 20, 13, 0)  # Friday; the fixture's reps are in UTC: half of 09:00-17:00 is gone


@pytest.fixture
def desk(team):
    mia = team["mia"]
    for login in ("ana", "ben"):
        set_quota(mia, login, "calls", 10, "day", NOW)
        set_quota(mia, login, "revenue", "5000", "month", NOW)
    set_quota(mia, "ben", "new_clients", 2, "month", NOW)
    card = add_client(team["ana"], NOW, name="Club Norte", email="info@norte.es")   # no phone: a gap
    add_client(team["ana"], NOW, name="Club Sur", email="sur@club.es", phone="+34 612 345 678")
    for i in range(3):
        log_activity(team["ana"], "call", f"Called about the balls {i}", now=NOW, client_id=card.id)
    for name in ("Uno", "Dos"):
        add_client(team["ben"], NOW, name=f"Club {name}", email=f"{name.lower()}@club.es", phone="+34 612 345 679")
    for i in range(6):
        log_activity(team["ben"], "call", f"Ben's call {i}", now=NOW)
    return card


def _app(login):
    from models.reps import get_rep
    from tui.app import RepdeskApp

    return RepdeskApp(rep=get_rep(login), frozen_now=NOW, live=False)


def _cells(table, row):
    return [str(c) for c in table.get_row_at(row)]


async def test_today_shows_the_reps_own_attainment_and_marks_behind_in_words(desk):
    app = _app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5")
        line = lambda: str(app.screen.query_one("#attainment").render())  # noqa: E731
        await until(pilot, lambda: "calls" in line(), what="the attainment line")
        # calls 3 of 10 by 13:00 (pace 10 x 4/8 = 5): behind; revenue 0 of 5,000 EUR: behind
        assert "calls 3/10 30%▼" in line() and "revenue 0/5,000 EUR 0%▼" in line()
        assert "▼ behind pace" in line()
        assert "ben" not in line().lower()


async def test_today_without_a_quota_says_so(team):
    app = _app("cai")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5")
        await until(pilot, lambda: "No quota" in str(app.screen.query_one("#attainment").render()))


async def _open_board(pilot):
    """`5` then `T`: the team board once its four reps are painted, and their logins in row order."""
    app = pilot.app
    await pilot.press("5", "T")
    await until(pilot, lambda: type(app.screen).__name__ == "TeamScreen"
                and app.screen.query_one("DataTable").row_count == 4, what="the board")
    table = app.screen.query_one("DataTable")
    return table, [_cells(table, i)[0] for i in range(table.row_count)]


async def test_the_team_board_and_the_records_behind_a_number(desk):
    app = _app("mia")
    async with app.run_test(size=(80, 24)) as pilot:
        table, logins = await _open_board(pilot)
        assert logins == ["ana", "ben", "cai", "mia"]
        ana, ben, cai = (_cells(table, logins.index(x)) for x in ("ana", "ben", "cai"))
        # columns: login status calls meet new won revenue gaps
        assert ana[2] == "30%▼" and ana[6] == "0%▼" and ana[7] == "50%"   # one card of two lacks a phone
        assert ben[2] == "60%" and ben[4] == "100%" and ben[7] == "0%"   # 6 of 10 calls, ahead of pace 5
        assert cai[2] == "-" and cai[7] == "-"                           # no quota, no cards
        assert "2 behind pace" in str(app.screen.query_one("#team-title").render())
        table.move_cursor(row=logins.index("ana"))
        await pilot.pause()
        assert "▼ behind" in str(app.screen.query_one("#team-detail").render())
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "RepRecordsScreen"
                    and app.screen.query_one("DataTable").row_count > 0, what="the records")
        records = app.screen.query_one("DataTable")
        rows = [_cells(records, i) for i in range(records.row_count)]
        assert [r[0] for r in rows].count("calls") == 3
        assert ["cards", "-", "Club Norte: no phone"] in rows
        await pilot.press("enter")  # the newest call: Club Norte's card
        await until(pilot, lambda: type(app.screen).__name__ == "ClientCardScreen", what="the card")
        assert app.screen.client_id == desk.id
        await pilot.press("escape", "escape")
        await until(pilot, lambda: type(app.screen).__name__ == "RepRecordsScreen")
        await pilot.press("escape")
        await until(pilot, lambda: type(app.screen).__name__ == "TeamScreen")


async def test_a_rep_sees_teammates_in_or_away_but_only_their_own_numbers(desk):
    app = _app("ana")
    async with app.run_test(size=(80, 24)) as pilot:
        table, logins = await _open_board(pilot)
        assert _cells(table, logins.index("ana"))[2] == "30%▼"
        assert _cells(table, logins.index("ben"))[2:] == ["", "", "", "", "", ""]
        table.move_cursor(row=logins.index("ben"))
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "TeamScreen"
        assert any("numbers are for ben" in str(n.message) for n in app._notifications)


@pytest.fixture
def no_forecast(monkeypatch):
    """The pictures are of this screen: the forecast's headline (models/forecast.py, its own tests) is left out."""
    import models.usecases.team as team_usecase

    monkeypatch.setattr(team_usecase, "_forecast_headline", lambda actor, now: None)


async def test_the_board_shows_the_forecast_headline_to_a_manager(desk):
    app = _app("mia")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5", "T")
        await until(pilot, lambda: "Forecast 2026-Q4" in str(app.screen.query_one("#team-title").render()),
                    what="the forecast headline")


async def _board_at_top(pilot):
    table, _ = await _open_board(pilot)
    table.move_cursor(row=0)
    await pilot.pause()


def test_team_snapshot_80x24(db, desk, no_forecast, snap_compare):
    if not db.startswith("sqlite"):
        pytest.skip("one picture is enough: the snapshot is taken on SQLite")
    assert snap_compare(_app("mia"), terminal_size=(80, 24), run_before=_board_at_top)


def test_team_snapshot_no_color_80x24(db, desk, no_forecast, snap_compare, monkeypatch):
    if not db.startswith("sqlite"):
        pytest.skip("one picture is enough: the snapshot is taken on SQLite")
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(_app("mia"), terminal_size=(80, 24), run_before=_board_at_top)


async def _today(pilot):
    await pilot.press("5")
    await until(pilot, lambda: "calls" in str(pilot.app.screen.query_one("#attainment").render()))
    await settle(pilot)


def test_today_snapshot_80x24(db, desk, snap_compare):
    if not db.startswith("sqlite"):
        pytest.skip("one picture is enough: the snapshot is taken on SQLite")
    assert snap_compare(_app("ana"), terminal_size=(80, 24), run_before=_today)


def test_today_snapshot_no_color_80x24(db, desk, snap_compare, monkeypatch):
    if not db.startswith("sqlite"):
        pytest.skip("one picture is enough: the snapshot is taken on SQLite")
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(_app("ana"), terminal_size=(80, 24), run_before=_today)
