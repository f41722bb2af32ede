"""Attainment (issue 15): every metric counted from what was recorded, in the rep's zone; pace in working
days with weekends and away days left out; teams; roles; the CLI with --json. Hand-worked numbers beside
each assertion."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from models.errors import NotYours
from models.quotas import set_quota
from models.reps import set_away
from models.tables import Activity, Client, Deal, Invoice, Payment, Refund, Rep, Stage
from models.usecases.attainment import attainment, attainment_json
from conftest import run_cli

NOV20 = datetime(2026, 11, 20, 9, 0)  # Friday, 10:00 in Madrid (CET, +1)


@pytest.fixture
def madrid(team):
    Rep.update(timezone="Europe/Madrid").where(Rep.login.in_(["ana", "ben", "mia"])).execute()
    return team


def _call(rep, done_at, kind="call", cancelled=False, due=None):
    return Activity.create(kind=kind, rep=rep.id, subject=f"{kind} {done_at}", done_at=done_at, due_at=due,
                           cancelled_at=done_at if cancelled else None, created_at=done_at or NOV20)


def _client(rep, created_at, name="C", merged_into=None, email=None, phone=None):
    return Client.create(name=name, owner=rep.id, team=rep.team_id, created_at=created_at, updated_at=created_at,
                         merged_into=merged_into, email=email, phone=phone)


def _deal(rep, stage="new", closed_at=None):
    c = _client(rep, datetime(2026, 1, 5), name="Old client")
    return Deal.create(client=c, owner=rep.id, team=rep.team_id, title="t", stage=Stage.get(Stage.key == stage),
                       stage_changed_at=closed_at or NOV20, closed_at=closed_at, created_at=datetime(2026, 1, 5),
                       updated_at=NOV20)


_numbers = iter(range(1, 10_000))


def _invoice(rep, issued_at=datetime(2026, 10, 1), amount=1_000_000, currency="EUR", status="open"):
    return Invoice.create(deal=_deal(rep, "invoiced"), number=f"INV-T-{next(_numbers)}", amount_minor=amount,
                          currency=currency, issued_at=issued_at, due_at=issued_at + timedelta(days=3), status=status)


def _pay(inv, amount, at, status="ok", currency="EUR"):
    Payment.create(invoice=inv, amount_minor=amount, currency=currency, status=status, received_at=at,
                   recorded_by="t")


def _rows(view):
    return {a.metric: a for a in view.rows}


def test_every_metric_counts_what_was_recorded_in_the_reps_month(madrid):
    mia, ana, ben = madrid["mia"], madrid["ana"], madrid["ben"]
    for metric, target in (("calls", 100), ("meetings", 10), ("new_clients", 5), ("deals_won", 4),
                           ("revenue", "10000")):
        set_quota(mia, "ana", metric, target, "month", NOV20)
    set_quota(mia, "ben", "revenue", "3000", "month", NOV20, basis="invoiced")
    # calls: 2 count (2 Nov; 00:30 on 1 Nov in Madrid is 23:30 UTC on 31 October)
    _call(ana, datetime(2026, 11, 2, 8))
    _call(ana, datetime(2026, 10, 31, 23, 30))
    _call(ana, datetime(2026, 10, 31, 22, 30))              # 23:30 on 31 October in Madrid: October
    _call(ana, datetime(2026, 11, 10, 8), cancelled=True)   # cancelled: not done
    _call(ana, None, due=datetime(2026, 11, 25, 8))         # scheduled, not done
    _call(ana, datetime(2026, 11, 3, 8), kind="email")      # an e-mail is not a call
    _call(ben, datetime(2026, 11, 3, 8))                    # ben's
    # meetings: 1 in November; 00:30 on 1 December in Madrid is December's
    _call(ana, datetime(2026, 11, 5, 8), kind="meeting")
    _call(ana, datetime(2026, 11, 30, 23, 30), kind="meeting")
    # new clients: 2 (a merged card, ben's and October's do not count)
    keep = _client(ana, datetime(2026, 11, 3, 10), "New one")
    _client(ana, datetime(2026, 11, 3, 11), "New two")
    _client(ana, datetime(2026, 11, 4, 11), "Merged", merged_into=keep.id)
    _client(ben, datetime(2026, 11, 4, 11), "Ben's")
    _client(ana, datetime(2026, 10, 15, 11), "October's")
    # deals won: 1 (a lost one and October's do not count)
    _deal(ana, "won", datetime(2026, 11, 12, 15))
    _deal(ana, "lost", datetime(2026, 11, 12, 15))
    _deal(ana, "won", datetime(2026, 10, 20, 15))
    # revenue collected: 3,000 + 1,500 - 500 refunded = 4,000.00 EUR
    inv = _invoice(ana)
    _pay(inv, 300_000, datetime(2026, 11, 4, 10))
    _pay(inv, 150_000, datetime(2026, 11, 6, 10))
    _pay(inv, 99_900, datetime(2026, 11, 6, 11), status="failed")
    _pay(inv, 70_000, datetime(2026, 10, 30, 10))            # October's
    Refund.create(invoice=inv, amount_minor=50_000, currency="EUR", status="paid", created_at=NOV20, created_by="t",
                  paid_at=datetime(2026, 11, 8, 10))
    Refund.create(invoice=inv, amount_minor=10_000, currency="EUR", status="due", created_at=NOV20, created_by="t")
    _pay(_invoice(ana, currency="USD"), 80_000, datetime(2026, 11, 4, 10), currency="USD")  # another currency
    # revenue invoiced (ben's quota): 2,000.00 issued in November; a cancelled one and October's do not count
    _invoice(ben, datetime(2026, 11, 9, 10), amount=200_000)
    _invoice(ben, datetime(2026, 11, 9, 10), amount=400_000, status="cancelled")
    _invoice(ben, datetime(2026, 10, 9, 10), amount=400_000)

    rows = _rows(attainment(ana, NOV20))
    assert {m: rows[m].done for m in rows} == dict(calls=2, meetings=1, new_clients=2, deals_won=1, revenue=400_000)
    # November 2026 has 21 working days; by 10:00 on Friday 20th, 14 are over (2-6, 9-13, 16-19) and 1/8 of
    # today's 09:00-17:00: 14.125 -> calls pace 100 x 14.125 / 21 = 67.26 -> 67
    calls = rows["calls"]
    assert (calls.target, calls.percent, calls.pace, calls.behind) == (100, 2, 67, True)
    assert (calls.working_days, calls.elapsed_days, calls.label) == (21, 14.12, "2026-11")
    rev = rows["revenue"]  # 1,000,000 x 14.125 / 21 = 672,619.04
    assert (rev.target, rev.percent, rev.pace, rev.currency, rev.basis) == (1_000_000, 40, 672_619, "EUR", "collected")
    ben_rev = _rows(attainment(mia, NOV20, rep="ben"))["revenue"]
    assert (ben_rev.done, ben_rev.basis, ben_rev.percent) == (200_000, "invoiced", 66)
    december = _rows(attainment(ana, NOV20, period="2026-12"))
    assert december["meetings"].done == 1 and december["calls"].done == 0
    assert december["meetings"].pace == 0  # December has not begun: nothing is due yet


def test_pace_leaves_out_weekends_and_away_days(madrid):
    ana = madrid["ana"]
    set_quota(madrid["mia"], "ana", "calls", 8, "week", NOV20, starts_on="2026-11-23")
    set_quota(madrid["mia"], "ana", "meetings", 2, "day", NOV20)
    # away on Monday 23 (08:00 to Tuesday 08:00 Madrid): Monday does not count, Tuesday does
    set_away("ana", "ana", True, now=datetime(2026, 11, 23, 7, 0))
    set_away("ana", "ana", False, now=datetime(2026, 11, 24, 7, 0))
    _call(ana, datetime(2026, 11, 24, 9))
    _call(ana, datetime(2026, 11, 25, 9))
    wed = datetime(2026, 11, 25, 12, 0)  # 13:00 Madrid: half of today's 09:00-17:00 is gone
    calls = _rows(attainment(ana, wed, period="2026-W48"))["calls"]
    # working days Tue-Fri = 4 (Monday away); elapsed Tuesday + half of Wednesday = 1.5; pace 8 x 1.5 / 4 = 3
    assert (calls.working_days, calls.away_days, calls.elapsed_days) == (4, 1, 1.5)
    assert (calls.done, calls.pace, calls.behind) == (2, 3, True)
    # without the away day: 5 days, 2.5 gone, pace 8 x 2.5 / 5 = 4
    from models.tables import Audit

    Audit.delete().where(Audit.field == "away").execute()
    assert _rows(attainment(ana, wed, period="2026-W48"))["calls"].pace == 4
    # a day quota on a Saturday: no working day, nothing due, not behind
    sat = _rows(attainment(ana, datetime(2026, 11, 28, 15), period="2026-11-28"))["meetings"]
    assert (sat.working_days, sat.pace, sat.behind) == (0, 0, False)
    # the rep's shift sets the day: 08:00-12:00, at 13:00 the whole of Wednesday is gone
    Rep.update(shift_start="08:00", shift_end="12:00").where(Rep.id == ana.id).execute()
    assert _rows(attainment(ana, wed, period="2026-W48"))["calls"].elapsed_days == 3


def test_an_iso_week_across_the_year_end_in_tokyo(team):
    cai = team["cai"]
    Rep.update(timezone="Asia/Tokyo").where(Rep.id == cai.id).execute()
    set_quota(team["mia"], "cai", "calls", 5, "week", NOV20)
    _call(cai, datetime(2026, 12, 27, 15, 30))   # Monday 28 December 00:30 in Tokyo: week 53
    _call(cai, datetime(2027, 1, 3, 14, 59))     # Sunday 3 January 23:59 in Tokyo: still week 53
    _call(cai, datetime(2027, 1, 3, 15, 0))      # Monday 4 January 00:00: 2027-W01
    _call(cai, datetime(2026, 12, 27, 14, 59))   # Sunday 27 December 23:59: week 52
    w53 = _rows(attainment(cai, datetime(2027, 1, 3, 15, 30), period="2026-W53"))["calls"]
    assert (w53.done, w53.label, str(w53.first), str(w53.last)) == (2, "2026-W53", "2026-12-28", "2027-01-03")
    assert w53.pace == 5 and w53.working_days == 5  # the week is over: the whole target was due
    assert _rows(attainment(cai, datetime(2027, 1, 3, 15, 30)))["calls"].label == "2027-W01"  # now, in Tokyo


def test_a_new_quota_never_rewrites_a_past_period(madrid):
    ana, mia = madrid["ana"], madrid["mia"]
    set_quota(mia, "ana", "calls", 100, "month", NOV20)
    dec5 = datetime(2026, 12, 5, 9)
    set_quota(mia, "ana", "calls", 120, "month", dec5)
    assert _rows(attainment(ana, dec5, period="2026-11"))["calls"].target == 100
    assert _rows(attainment(ana, dec5, period="2026-12"))["calls"].target == 120
    assert _rows(attainment(ana, dec5, period="2027-01"))["calls"].target == 120
    assert attainment(ana, dec5, period="2026-10").rows == ()  # before any quota
    view = attainment(ana, dec5, period="2026-W49")  # a month quota is not a week's
    assert view.rows == () and view.other_kinds == ("calls per month",)


def test_a_teams_target_is_its_own_row_else_the_sum_of_its_reps(team):
    mia, ana, ben = team["mia"], team["ana"], team["ben"]
    fri = datetime(2026, 11, 20, 13, 0)  # UTC reps: half of Friday's 09:00-17:00 gone
    set_quota(mia, "ana", "calls", 10, "day", NOV20)
    set_quota(mia, "ben", "calls", 6, "day", NOV20)
    for who, n in ((ana, 3), (ben, 1), (team["cai"], 2), (team["sol"], 9)):
        for i in range(n):
            _call(who, datetime(2026, 11, 20, 9, i))
    calls = _rows(attainment(mia, fri, team="North"))["calls"]
    # 10 + 6 = 16; done by the whole team 3 + 1 + 2 = 6 (sol is South's); pace 5 + 3 = 8
    assert (calls.target, calls.done, calls.percent, calls.pace, calls.behind) == (16, 6, 37, 8, True)
    set_quota(mia, "team:North", "calls", 40, "day", NOV20)
    calls = _rows(attainment(mia, fri, team="North"))["calls"]
    assert (calls.target, calls.done, calls.pace) == (40, 6, 20)  # the team's own row: 40 x half a day


def test_roles_a_rep_reads_only_their_own_a_manager_their_team(team, plain):
    set_quota(team["mia"], "ana", "calls", 10, "day", NOV20)
    set_quota(team["dan"], "sol", "calls", 10, "day", NOV20)
    with pytest.raises(NotYours, match="There is no rep ben, or it is not yours."):
        attainment(team["ana"], NOV20, rep="ben")
    with pytest.raises(NotYours, match="There is no team North, or it is not yours."):
        attainment(team["ana"], NOV20, team="North")
    with pytest.raises(NotYours, match="There is no rep sol, or it is not yours."):
        attainment(team["mia"], NOV20, rep="sol")
    with pytest.raises(NotYours, match="There is no team South, or it is not yours."):
        attainment(team["mia"], NOV20, team="South")
    assert attainment(team["mia"], NOV20, rep="ana").rows[0].target == 10
    assert attainment(team["dan"], NOV20, rep="sol").rows[0].target == 10
    assert attainment(team["dan"], NOV20, team="South").rows[0].target == 10
    view = attainment(team["ana"], NOV20)
    plain(view)
    assert view.owner == "ana" and [a.metric for a in view.rows] == ["calls"]


def test_attainment_command_with_json(db_url):
    now = ["--now", "2026-11-20T13:00:00+00:00"]  # 14:00 in Madrid, Friday
    assert run_cli("rep", "add", "boss", "--name", "Boss", "--role", "admin", db_url=db_url).returncode == 0
    for login, role, team_name in (("mia", "manager", "North"), ("ana", "rep", "North"), ("ben", "rep", "North")):
        assert run_cli("rep", "add", login, "--name", login.title(), "--role", role, "--team", team_name,
                       "--timezone", "Europe/Madrid", "--as", "boss", db_url=db_url).returncode == 0
    for args in (("ana", "calls", "10", "--period", "day"), ("ana", "revenue", "5000", "--period", "month"),
                 ("ben", "calls", "4", "--period", "day")):
        done = run_cli("quota", "set", *args, "--as", "mia", *now, db_url=db_url)
        assert done.returncode == 0, done.stderr
    client = run_cli("client", "add", "--name", "Club Norte", "--email", "info@norte.es", "--as", "ana", *now,
                     db_url=db_url)
    assert client.returncode == 0, client.stderr
    cid = client.stdout.split()[-1].strip(".")
    for i in range(3):
        logged = run_cli("activity", "add", "--client", cid, "--kind", "call", "--subject", f"call {i}", "--as", "ana",
                         *now, db_url=db_url)
        assert logged.returncode == 0, logged.stderr
    done = run_cli("attainment", "--as", "ana", "--json", *now, db_url=db_url)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    rows = {r["metric"]: r for r in data["metrics"]}
    # calls today: 3 of 10; 14:00 is 5/8 of 09:00-17:00: pace 10 x 5/8 = 6.25 -> 6
    assert {k: rows["calls"][k] for k in ("metric", "target", "done", "percent", "pace")} == \
        dict(metric="calls", target=10, done=3, percent=30, pace=6)
    # revenue in minor units with its currency; November: 14 + 5/8 of 21 working days gone
    assert (rows["revenue"]["target"], rows["revenue"]["done"], rows["revenue"]["currency"]) == (500_000, 0, "EUR")
    assert rows["revenue"]["pace"] == 500_000 * (14 + 5 / 8) // 21
    plain = run_cli("attainment", "--as", "ana", *now, db_url=db_url)
    assert "▼ behind" in plain.stdout and "3 / 10" in plain.stdout
    assert all(len(line) <= 80 for line in plain.stdout.splitlines())
    team = json.loads(run_cli("attainment", "--team", "North", "--period", "2026-11-20", "--as", "mia", "--json",
                              *now, db_url=db_url).stdout)
    assert [(r["metric"], r["target"], r["done"]) for r in team["metrics"]] == [("calls", 14, 3)]
    refused = run_cli("attainment", "--rep", "ben", "--as", "ana", *now, db_url=db_url)
    assert refused.returncode == 4 and "There is no rep ben, or it is not yours." in refused.stderr
    refused = run_cli("attainment", "--period", "2026-13", "--as", "ana", *now, db_url=db_url)
    assert refused.returncode == 2 and "2026-W48" in refused.stderr


def test_json_shape(madrid):
    set_quota(madrid["mia"], "ana", "revenue", "100", "month", NOV20)
    data = attainment_json(attainment(madrid["ana"], NOV20))
    row = data["metrics"][0]
    assert {"metric", "target", "done", "percent", "pace", "currency"} <= set(row)
    assert json.dumps(data)  # plain values only
