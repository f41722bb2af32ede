"""Activities and tasks about clients: who may log them, whose task it is, who may close it, how a rep
types a due time; through the models and the CLI."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from conftest import run_cli
from models.activities import add_task, complete_task, log_activity, open_tasks
from models.clients import add_client
from models.clock import parse_local
from models.errors import NotFound, PermissionDenied, ValidationError
from models.pipeline import add_deal


def test_parse_local_in_the_reps_zone():
    now = datetime(2026, 11, 20, 9, 0)
    assert parse_local("2026-11-24 15:30", "Europe/Madrid", now) == datetime(2026, 11, 24, 14, 30)
    assert parse_local("2026-11-24", "Europe/Madrid", now) == datetime(2026, 11, 24, 8, 0)  # 09:00 there
    assert parse_local("+2d", "Europe/Madrid", now) == now + timedelta(days=2)
    assert parse_local("+90m", None, now) == now + timedelta(minutes=90)
    assert parse_local("2026-11-24T15:30+00:00", "Europe/Madrid", now) == datetime(2026, 11, 24, 15, 30)
    with pytest.raises(ValueError, match="not a date"):
        parse_local("next week", "UTC", now)


def test_who_may_log_and_whose_task(team, now):
    c = add_client(team["ana"], now, name="Club", email="c@example.com")
    d = add_deal(team["ana"], c.id, "balls", now)
    other = add_client(team["ana"], now, name="Other", email="o@example.com")
    log_activity(team["ana"], "call", "talked", now=now, client_id=c.id, deal_id=d.id)
    with pytest.raises(PermissionDenied):
        log_activity(team["sol"], "call", "snooping", now=now, client_id=c.id)
    with pytest.raises(ValidationError):
        log_activity(team["ana"], "call", "wrong deal", now=now, client_id=other.id, deal_id=d.id)
    with pytest.raises(ValidationError):
        log_activity(team["ana"], "call", "  ", now=now, client_id=c.id)
    t = add_task(team["mia"], c.id, "call back", now + timedelta(days=1), now)  # the manager asks
    assert t.rep_id == team["ana"].id  # the client's owner gets it
    assert [x.id for x in open_tasks(team["ana"])] == [t.id]
    with pytest.raises(NotFound):
        complete_task(team["ben"], t.id, now)  # another rep's task
    with pytest.raises(NotFound):
        complete_task(team["sol"], t.id, now)
    assert complete_task(team["mia"], t.id, now).done_at == now  # the team's manager may
    assert open_tasks(team["ana"]) == []


def test_activity_and_task_commands(db_url):
    def cli(*args):
        return run_cli(*args, db_url=db_url)

    cli("rep", "add", "ana", "--name", "Ana", "--team", "North", "--timezone", "Europe/Madrid")
    cli("rep", "add", "sol", "--name", "Sol", "--team", "South")
    cid = cli("client", "add", "--name", "Club", "--email", "c@example.com", "--as", "ana").stdout.strip()
    now = ["--now", "2026-11-20T09:00:00"]
    assert cli("activity", "add", "--client", cid, "--kind", "call", "--subject", "talked", "--as", "ana",
               *now).returncode == 0
    tid = cli("task", "add", "--client", cid, "--due", "2026-11-24 15:30", "--subject", "send prices", "--as",
              "ana", *now).stdout.strip()
    tasks = json.loads(cli("tasks", "--json", "--as", "ana").stdout)
    assert [(t["id"], t["due_at"]) for t in tasks] == [(int(tid), "2026-11-24T14:30:00+00:00")]
    bad = cli("task", "add", "--client", cid, "--due", "soonish", "--subject", "x", "--as", "ana")
    assert bad.returncode == 2 and "not a date" in bad.stderr
    assert cli("task", "add", "--client", cid, "--due", "+1d", "--subject", "x", "--as", "sol").returncode == 4
    assert cli("task", "done", tid, "--as", "sol").returncode == 4
    assert cli("task", "done", tid, "--as", "ana").returncode == 0
    assert json.loads(cli("tasks", "--json", "--as", "ana").stdout) == []


def test_a_call_or_meeting_scheduled_for_later(team, now):
    """Issue 11: a future call or meeting, not only a task: open until done, on the owner's agenda; a
    cancelled activity is neither open nor done; a client's activities, newest first."""
    from models.activities import agenda, client_activities, schedule
    from models.tables import Activity

    ana = team["ana"]
    c = add_client(ana, now, name="Club", email="club@example.com")
    log_activity(ana, "email", "sent the price list", now=now, client_id=c.id)
    call = schedule(ana, c.id, "call", "agree the delivery date", now + timedelta(hours=3), now)
    meeting = schedule(ana, c.id, "meeting", "visit the club", now + timedelta(days=3), now)
    with pytest.raises(ValidationError) as exc:
        schedule(ana, c.id, "call", "too late", now - timedelta(minutes=1), now)
    assert exc.value.field == "due"
    with pytest.raises(ValidationError):
        schedule(ana, c.id, "task", "not a call", now + timedelta(days=1), now)
    with pytest.raises(PermissionDenied):
        schedule(team["sol"], c.id, "call", "not mine", now + timedelta(days=1), now)
    assert [a.id for a in agenda(ana, now)] == [call.id]
    assert {a.id for a in open_tasks(ana)} == {call.id, meeting.id}
    rows = client_activities(ana, c.id)
    assert [(r["kind"], r["status"]) for r in rows] == [("meeting", "scheduled"), ("call", "scheduled"),
                                                        ("email", "done")]
    Activity.update(cancelled_at=now).where(Activity.id == meeting.id).execute()
    assert {a.id for a in open_tasks(ana)} == {call.id}
    assert client_activities(ana, c.id)[0]["status"] == "cancelled"
    with pytest.raises(PermissionDenied):
        client_activities(team["sol"], c.id)


def test_schedule_and_list_through_the_cli_in_the_reps_zone(db_url):
    def cli(*args):
        return run_cli(*args, "--now", "2026-11-20T09:00:00+00:00", db_url=db_url)

    cli("rep", "add", "ana", "--name", "Ana", "--team", "North", "--timezone", "Europe/Madrid")
    cid = cli("client", "add", "--name", "Club", "--email", "c@example.com", "--as", "ana").stdout.strip()
    res = cli("activity", "add", "--client", cid, "--kind", "call", "--subject", "delivery date",
              "--due", "2026-12-03 15:30", "--as", "ana")
    assert res.returncode == 0, res.stderr
    assert "2026-12-03 15:30 CET" in res.stdout
    cli("activity", "add", "--client", cid, "--kind", "email", "--subject", "price list", "--as", "ana")
    text = cli("activities", "--client", cid, "--as", "ana")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert "2026-12-03 15:30 CET" in lines[1] and "scheduled" in lines[1] and "done" in lines[2]
    rows = json.loads(cli("activities", "--client", cid, "--as", "ana", "--json").stdout)
    assert rows[0]["due_at"] == "2026-12-03T15:30:00+01:00" and rows[0]["status"] == "scheduled"
    assert cli("activities", "--client", "9999", "--as", "ana").returncode == 4
