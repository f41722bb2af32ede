"""The weighted forecast (issue 15): per month, weighted / best case / commit / won, slipped deals and
coverage against the revenue quota in force; per currency, role-scoped, in the actor's zone. Both engines."""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from models.clients import add_client
from models.errors import NotFound, PermissionDenied, ValidationError
from models.forecast import forecast, parse_period
from models.pipeline import stage_by_key
from models.tables import Deal, Quota, Rep
from conftest import run_cli, settle

NOW = datetime(2026, 11, 20, 9, 0)


def deal(rep, stage, amount_minor, close=None, currency="EUR", closed_at=None):
    c = add_client(rep, NOW, name=f"Club {stage} {amount_minor}", email=f"c{amount_minor}@example.com")
    return Deal.create(client=c.id, owner=rep.id, team=rep.team_id, title=f"{stage} {amount_minor}",
                       stage=stage_by_key(stage).id, amount_minor=amount_minor, currency=currency,
                       expected_close=close, stage_changed_at=NOW, closed_at=closed_at, created_at=NOW,
                       updated_at=NOW)


def quota(owner, target_minor, starts, period="quarter", team=None):
    return Quota.create(rep=owner.id if owner else None, team=team, metric="revenue", period=period,
                        target=target_minor, currency="EUR", starts_on=starts, set_by="mia", set_at=NOW)


@pytest.fixture
def book(team):
    ana, ben, sol = team["ana"], team["ben"], team["sol"]
    deal(ana, "proposal", 100_000, date(2026, 11, 25))          # A: 40 % of 1,000.00 = 400.00
    deal(ana, "agreement_signed", 200_000, date(2026, 11, 30))  # B: 80 % = 1,600.00, commit
    deal(ana, "negotiation", 50_000, date(2026, 12, 5))         # C: 60 % = 300.00
    deal(ana, "invoiced", 30_000, date(2026, 12, 10), "USD")    # D: 90 % = 270.00 USD, commit
    deal(ana, "won", 70_000, date(2026, 11, 1), closed_at=datetime(2026, 11, 2, 10))  # E: won in November
    deal(ana, "proposal", 40_000, date(2026, 11, 10))           # F: slipped (close passed, open): 160.00
    deal(ana, "lost", 999_900, date(2026, 11, 15))              # closed: counts nowhere
    deal(ben, "proposal", 1_000_000, date(2026, 11, 20))        # G: ben's, due today: not slipped
    deal(sol, "negotiation", 5_000_000, date(2026, 11, 21))     # H: South
    quota(ana, 500_000, date(2026, 1, 1))                       # superseded by the next one
    quota(ana, 1_000_000, date(2026, 10, 1))                    # in force for Q4: 10,000.00
    quota(ana, 9_000_000, date(2027, 1, 1))                     # not yet
    quota(ben, 2_000_000, date(2026, 10, 1))
    return team


def cell(f, month, currency="EUR"):
    m = next(m for m in f.months if m.month == month)
    return next((t for t in m.totals if t.currency == currency), None)


def test_the_reps_quarter_month_by_month(book):
    f = forecast(book["ana"], NOW)
    assert f.period == "2026-Q4" and [m.month for m in f.months] == ["2026-10", "2026-11", "2026-12"]
    assert f.months[0].totals == ()
    nov = cell(f, "2026-11")
    # weighted 400 + 1,600 + 160 = 2,160.00; best 1,000 + 2,000 + 400 = 3,400.00; commit B 2,000.00; won E
    assert (nov.weighted_minor, nov.best_case_minor, nov.commit_minor, nov.won_minor, nov.open_deals) == (
        216_000, 340_000, 200_000, 70_000, 3)
    dec = cell(f, "2026-12")
    assert (dec.weighted_minor, dec.best_case_minor, dec.commit_minor) == (30_000, 50_000, 0)
    usd = cell(f, "2026-12", "USD")  # never added to euros
    assert (usd.weighted_minor, usd.best_case_minor, usd.commit_minor) == (27_000, 30_000, 30_000)
    assert [(s.title, s.expected_close, s.amount_minor) for s in f.slipped] == [("proposal 40000", "2026-11-10",
                                                                                 40_000)]
    # coverage: open EUR 3,400 + 500 = 3,900.00 for 10,000 - 700 won = 9,300.00 remaining: 41.9 % -> 42
    c = f.coverage
    assert (c.quota_minor, c.won_minor, c.remaining_minor, c.pipeline_minor, c.coverage_percent) == (
        1_000_000, 70_000, 930_000, 390_000, 42)


def test_the_managers_team_and_the_director(book):
    f = forecast(book["mia"], NOW)
    assert f.scope == "team North" and cell(f, "2026-11").best_case_minor == 340_000 + 1_000_000
    # the team has no row of its own: ana's 10,000 + ben's 20,000; open 13,900 for 29,300: 47.4 % -> 47
    assert (f.coverage.quota_minor, f.coverage.coverage_percent) == (3_000_000, 47)
    quota(None, 4_000_000, date(2026, 10, 1), team=book["mia"].team_id)  # the team's own row wins
    assert forecast(book["mia"], NOW).coverage.quota_minor == 4_000_000
    d = forecast(book["dan"], NOW)
    assert d.scope == "everyone" and cell(d, "2026-11").best_case_minor == 340_000 + 1_000_000 + 5_000_000
    south = forecast(book["dan"], NOW, team="South")
    assert cell(south, "2026-11").best_case_minor == 5_000_000 and south.coverage is None
    with pytest.raises(NotFound):
        forecast(book["mia"], NOW, team="South")
    with pytest.raises(PermissionDenied):
        forecast(book["ana"], NOW, team="North")
    ben = forecast(book["ben"], NOW)
    assert cell(ben, "2026-11").best_case_minor == 1_000_000 and ben.slipped == ()


def test_periods_and_the_zone(book):
    assert parse_period("2026-q1", date(2026, 5, 1))[0] == "2026-Q1"
    assert parse_period(None, date(2026, 12, 31))[0] == "2026-Q4"
    for bad in ("2026-13", "26-Q1", "2026-Q5", "1999-01"):
        with pytest.raises(ValidationError):
            parse_period(bad, date(2026, 1, 1))
    one = forecast(book["ana"], NOW, period="2026-12")
    assert [m.month for m in one.months] == ["2026-12"] and cell(one, "2026-12").best_case_minor == 50_000
    # won at 23:30 UTC on 30 November is 1 December in Madrid: December for a rep there
    late = deal(book["ana"], "won", 11_100, date(2026, 11, 30), closed_at=datetime(2026, 11, 30, 23, 30))
    assert cell(forecast(book["ana"], NOW), "2026-11").won_minor == 70_000 + 11_100
    Rep.update(timezone="Europe/Madrid").where(Rep.id == book["ana"].id).execute()
    madrid = forecast(Rep.get_by_id(book["ana"].id), NOW)
    assert cell(madrid, "2026-11").won_minor == 70_000 and cell(madrid, "2026-12").won_minor == late.amount_minor


def test_the_probability_is_the_stage_rule(book):
    from models.errors import PermissionDenied as Denied
    from models.pipeline import set_probability

    with pytest.raises(Denied):
        set_probability(book["ana"], "proposal", 50, NOW)
    set_probability(book["mia"], "proposal", 50, NOW)  # A and F: 50 % of 1,400.00 = 700.00 (was 560.00)
    assert cell(forecast(book["ana"], NOW), "2026-11").weighted_minor == 216_000 - 56_000 + 70_000


def test_the_command_with_json(db, book):
    out = run_cli("forecast", "--period", "2026-Q4", "--as", "ana", "--now", "2026-11-20T09:00:00", "--json",
                  db_url=db)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    nov = next(m for m in body["months"] if m["month"] == "2026-11")
    assert nov["totals"][0]["weighted_minor"] == 216_000 and body["coverage"]["coverage_percent"] == 42
    assert body["slipped_count"] == 1
    text = run_cli("forecast", "--as", "mia", "--team", "North", "--now", "2026-11-20T09:00:00", db_url=db)
    assert text.returncode == 0 and "Coverage 47%" in text.stdout and "2026-11" in text.stdout
    assert run_cli("forecast", "--as", "ana", "--team", "North", db_url=db).returncode == 5
    assert run_cli("forecast", "--as", "ana", "--period", "2026-13", db_url=db).returncode == 2
    prob = run_cli("stage", "probability", "proposal", "45", "--as", "mia", "--json", db_url=db)
    assert json.loads(prob.stdout) == {"stage": "proposal", "probability": 45}


async def test_the_directors_reports_screen_shows_the_forecast(book):
    from conftest import until
    from tui.app import RepdeskApp

    app = RepdeskApp(rep=Rep.get(Rep.login == "dan"), frozen_now=NOW, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("6")
        await until(pilot, lambda: "Forecast 2026-Q4" in str(app.screen.query_one("#report").render()),
                    what="the forecast panel")
        text = str(app.screen.query_one("#report").render())
        assert "everyone" in text and "2026-11" in text and "63,400.00 EUR" in text  # best case in November
        assert "deal(s) slipped" in text
        assert all(len(line) <= 80 for line in text.splitlines())


async def test_a_manager_sets_a_win_probability_in_the_stage_rules(book):
    from tui.app import RepdeskApp

    app = RepdeskApp(rep=Rep.get(Rep.login == "mia"), frozen_now=NOW, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert type(app.screen).__name__ == "StageRulesScreen"
        await pilot.press("l", "l")  # proposal
        await settle(pilot)
        await pilot.press("P")
        await pilot.pause()
        assert type(app.screen).__name__ == "FormDialog"
        app.screen.query_one("#f-percent").value = "55"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert stage_by_key("proposal").probability == 55
        assert any("wins 55%" in str(n.message) for n in app._notifications)


def test_the_migration_seeds_once_and_keeps_a_managers_value(team):
    from models import migration_0006
    from models.engine import write_txn
    from models.pipeline import requirements, set_probability

    assert {k: stage_by_key(k).probability for k in ("new", "proposal", "agreement_signed", "won", "lost")} == {
        "new": 10, "proposal": 40, "agreement_signed": 80, "won": 100, "lost": 0}
    set_probability(team["mia"], "proposal", 35, NOW)
    with write_txn():
        migration_0006.run()  # again: nothing doubles, nothing a manager set is overwritten
    assert stage_by_key("proposal").probability == 35
    assert [r["field"] for r in requirements("proposal")].count("deal.expected_close") == 1


def test_the_expected_close_is_a_checked_date(team):
    from models.pipeline import deal_dict, update_deal

    d = deal(team["ana"], "new", 1_000)
    for bad in ("2026-13-01", "next week", "2026-1-5", "2040-01-01", "1999-12-31"):
        with pytest.raises(ValidationError) as exc:
            update_deal(team["ana"], d.id, {"expected_close": bad}, NOW)
        assert exc.value.field == "expected_close"
    assert deal_dict(update_deal(team["ana"], d.id, {"expected_close": " 2026-12-15 "}, NOW))["expected_close"] \
        == "2026-12-15"
    assert update_deal(team["ana"], d.id, {"expected_close": ""}, NOW).expected_close is None
