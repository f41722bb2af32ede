"""Quotas (issue 15): periods as people write them, who may set and read a quota, every input checked, the
same owner/metric/period/start replaced with its version bumped, and a new quota never rewriting a period
that is over."""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from models.errors import NotYours, PermissionDenied, ValidationError
from models.quotas import current_period, list_quotas, parse_period, period_containing, set_quota, utc_bounds
from models.tables import Audit, Quota
from conftest import run_cli


# ---------------------------------------------------------------- periods

def test_periods_are_parsed_as_written():
    m = parse_period("2026-11")
    assert (m.kind, m.first, m.last, m.label) == ("month", date(2026, 11, 1), date(2026, 11, 30), "2026-11")
    w = parse_period("2026-W48")  # ISO week 48 of 2026: Monday 23 to Sunday 29 November
    assert (w.kind, w.first, w.last) == ("week", date(2026, 11, 23), date(2026, 11, 29))
    q = parse_period("2026-Q4")
    assert (q.kind, q.first, q.last) == ("quarter", date(2026, 10, 1), date(2026, 12, 31))
    d = parse_period("2026-12-02")
    assert (d.kind, d.first, d.after) == ("day", date(2026, 12, 2), date(2026, 12, 3))
    assert parse_period("2026-q1").first == date(2026, 1, 1) and parse_period("2026-w01").first == date(2025, 12, 29)
    for bad in ("2026-13", "2026-W54", "2026-Q5", "november", "", "2026-02-30", "1999-11"):
        with pytest.raises(ValidationError):
            parse_period(bad)


def test_an_iso_week_across_a_year_end():
    # 2026 has 53 ISO weeks: W53 runs Monday 28 December 2026 to Sunday 3 January 2027.
    w = period_containing("week", date(2027, 1, 2))
    assert (w.label, w.first, w.last) == ("2026-W53", date(2026, 12, 28), date(2027, 1, 3))
    assert parse_period("2026-W53") == w
    assert period_containing("week", date(2027, 1, 4)).label == "2027-W01"
    assert period_containing("quarter", date(2026, 12, 31)).after == date(2027, 1, 1)


def test_period_bounds_are_the_reps_midnights_across_dst():
    # Madrid in October 2026: CEST (+2) until Sunday 25 October, then CET (+1).
    start, end = utc_bounds(parse_period("2026-10"), "Europe/Madrid")
    assert start == datetime(2026, 9, 30, 22, 0) and end == datetime(2026, 10, 31, 23, 0)
    day = parse_period("2026-10-25")  # the day has 25 hours
    s, e = utc_bounds(day, "Europe/Madrid")
    assert (e - s).total_seconds() == 25 * 3600
    # 23:30 UTC on 30 November is already 1 December in Madrid: the current month there is December
    assert current_period("month", datetime(2026, 11, 30, 23, 30), "Europe/Madrid").label == "2026-12"
    assert current_period("month", datetime(2026, 11, 30, 23, 30), "UTC").label == "2026-11"


# ---------------------------------------------------------------- who sets quotas

def test_a_manager_sets_their_teams_quotas_a_director_anyones_a_rep_none(team, now):
    q = set_quota(team["mia"], "ana", "calls", 10, "day", now)
    assert (q["owner"], q["metric"], q["period"], q["target"], q["starts_on"]) == ("ana", "calls", "day", 10,
                                                                                  "2026-11-20")
    assert set_quota(team["mia"], "team:North", "new_clients", "20", "month", now)["starts_on"] == "2026-11-01"
    with pytest.raises(NotYours, match="There is no rep sol, or it is not yours."):
        set_quota(team["mia"], "sol", "calls", 10, "day", now)  # another team's rep
    with pytest.raises(NotYours, match="There is no team South, or it is not yours."):
        set_quota(team["mia"], "team:South", "calls", 10, "day", now)
    with pytest.raises(NotYours, match="There is no rep nobody, or it is not yours."):
        set_quota(team["mia"], "nobody", "calls", 10, "day", now)  # the same sentence as another team's
    with pytest.raises(PermissionDenied):
        set_quota(team["ana"], "ana", "calls", 100, "day", now)  # a rep only reads their own
    assert set_quota(team["dan"], "sol", "deals_won", 3, "quarter", now)["starts_on"] == "2026-10-01"
    assert set_quota(team["dan"], "team:South", "calls", 50, "week", now)["starts_on"] == "2026-11-16"
    rows = Audit.select().where(Audit.kind == "quota")
    assert rows.count() == 4 and {a.actor for a in rows} == {"mia", "dan"}


def test_every_input_is_checked(team, now):
    mia = team["mia"]
    bad = [
        dict(metric="call"), dict(metric="revenue_invoiced"), dict(target=0), dict(target="-3"),
        dict(target="1e3"), dict(target="2.5"), dict(target=10 ** 7), dict(period="year"),
        dict(stretch=5, target=10), dict(basis="invoiced"), dict(currency="EUR"), dict(basis="booked"),
        dict(metric="revenue", target="12.345"), dict(metric="revenue", target="0"),
        dict(metric="revenue", target="100", currency="EURO"), dict(metric="revenue", target="1e5"),
        dict(starts_on="yesterday"), dict(starts_on="2026-02-30"),
    ]
    for changes in bad:
        args = dict(metric="calls", target=10, period="day", stretch=None, basis="collected", currency=None,
                    starts_on=None)
        args.update(changes)
        with pytest.raises(ValidationError):
            set_quota(mia, "ana", args.pop("metric"), args.pop("target"), args.pop("period"), now, **args)
    assert Quota.select().count() == 0
    # revenue is an amount in the quota's currency, kept in minor units
    r = set_quota(mia, "ana", "revenue", "5000.50", "month", now, stretch="6000", basis="invoiced")
    assert (r["target"], r["stretch"], r["currency"], r["basis"]) == (500050, 600000, "EUR", "invoiced")
    assert set_quota(mia, "ben", "revenue", "120000", "month", now, currency="jpy")["target"] == 120000


def test_the_same_start_replaces_with_a_new_version_and_past_periods_stay(team, now):
    mia = team["mia"]
    first = set_quota(mia, "ana", "calls", 10, "week", now)  # week of Monday 16 November
    again = set_quota(mia, "ana", "calls", 12, "week", now, starts_on="2026-11-18", stretch=15)
    assert again["id"] == first["id"] and again["version"] == 2 and again["target"] == 12
    assert Quota.select().count() == 1
    changes = {a.field: (a.old, a.new) for a in Audit.select().where((Audit.kind == "quota") & (Audit.action == "update"))}
    assert changes == {"target": ("10", "12"), "stretch": (None, "15")}
    later = set_quota(mia, "ana", "calls", 20, "week", now, starts_on="2026-12")  # the week 1 December falls in
    assert later["starts_on"] == "2026-11-30" and later["id"] != first["id"]
    with pytest.raises(ValidationError, match="over"):
        set_quota(mia, "ana", "calls", 8, "week", now, starts_on="2026-11-13")  # last week is over
    with pytest.raises(ValidationError, match="over"):
        set_quota(mia, "ana", "revenue", "100", "month", now, starts_on="2026-10")


def test_quotas_are_read_as_far_as_the_role_goes(team, now):
    set_quota(team["mia"], "ana", "calls", 10, "day", now)
    set_quota(team["mia"], "ben", "calls", 12, "day", now)
    set_quota(team["mia"], "team:North", "deals_won", 5, "month", now)
    set_quota(team["dan"], "sol", "calls", 7, "day", now)
    owners = lambda who: sorted(q["owner"] for q in list_quotas(team[who]))  # noqa: E731
    assert owners("ana") == ["ana"]
    assert owners("sol") == ["sol"]
    assert owners("mia") == ["ana", "ben", "team:North"]
    assert owners("dan") == ["ana", "ben", "sol", "team:North"]


def test_quota_commands(db_url):
    env = dict(TZ="UTC")
    now = ["--now", "2026-11-20T09:00:00+00:00"]
    assert run_cli("rep", "add", "boss", "--name", "Boss", "--role", "admin", db_url=db_url, env=env).returncode == 0
    for login, role, team_name in (("mia", "manager", "North"), ("ana", "rep", "North"), ("sol", "rep", "South")):
        done = run_cli("rep", "add", login, "--name", login.title(), "--role", role, "--team", team_name,
                       "--timezone", "Europe/Madrid", "--as", "boss", db_url=db_url, env=env)
        assert done.returncode == 0, done.stderr
    done = run_cli("quota", "set", "ana", "revenue", "5000", "--period", "month", "--stretch", "6000",
                   "--basis", "invoiced", "--as", "mia", "--json", *now, db_url=db_url)
    assert done.returncode == 0, done.stderr
    q = json.loads(done.stdout)
    assert (q["owner"], q["target"], q["stretch"], q["currency"], q["basis"], q["starts_on"]) == \
        ("ana", 500000, 600000, "EUR", "invoiced", "2026-11-01")
    assert q["set_at"] == "2026-11-20T10:00:00+01:00"  # in the actor's zone, named by its offset
    done = run_cli("quota", "set", "team:North", "calls", "40", "--period", "week", "--from", "2026-12-01",
                   "--as", "mia", *now, db_url=db_url)
    assert done.returncode == 0 and "from 2026-11-30" in done.stdout, done.stdout + done.stderr
    refused = run_cli("quota", "set", "sol", "calls", "5", "--period", "day", "--as", "mia", *now, db_url=db_url)
    assert refused.returncode == 4 and "There is no rep sol, or it is not yours." in refused.stderr
    refused = run_cli("quota", "set", "ana", "calls", "500", "--period", "day", "--as", "ana", *now, db_url=db_url)
    assert refused.returncode == 5
    refused = run_cli("quota", "set", "ana", "calls", "ten", "--period", "day", "--as", "mia", *now, db_url=db_url)
    assert refused.returncode == 2 and "whole number" in refused.stderr
    listed = run_cli("quota", "list", "--as", "ana", "--json", *now, db_url=db_url)
    assert [r["owner"] for r in json.loads(listed.stdout)] == ["ana"]
    listed = run_cli("quota", "list", "--as", "mia", *now, db_url=db_url)
    assert "team:North" in listed.stdout and "5,000.00 EUR" in listed.stdout
    assert all(len(line) <= 80 for line in listed.stdout.splitlines())
