"""The inbox and Today use cases: plain frozen data, keyset paging in display order, role scope."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from models import inbox
from models.errors import NotFound, PermissionDenied
from models.usecases import inbox as uc
from models.usecases.today import today_view

CONCRETE = "We need 40 Pro Match Ball size 5 delivered to Valencia before 5 December. Budget 1,800 EUR."
VAGUE = "How much does your product cost?"


def add(now, text=VAGUE, minutes_ago=0, channel="email", **kw):
    data = dict(channel=channel, text=text, name=kw.pop("name", "Someone"), email=kw.pop("email", "a@example.com"),
                received_at=now - timedelta(minutes=minutes_ago), **kw)
    return inbox.add_application("test", data, now)


def test_rows_are_plain_frozen_data_in_inbox_order(team, catalog, now, plain):
    vague_old = add(now, VAGUE, minutes_ago=50)
    concrete_new = add(now, CONCRETE, minutes_ago=1, email="b@example.com")
    inbox.claim(team["ana"], concrete_new, now)
    rows = uc.inbox_rows(team["ana"])
    plain(rows)
    assert [r.id for r in rows] == [concrete_new, vague_old]
    top = rows[0]
    assert top.owner == "ana" and top.owner_id == team["ana"].id and top.status == "claimed"
    assert any("BALL-PRO5" in r for r in top.reasons) and isinstance(top.reasons, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        top.score = 0  # type: ignore[misc]
    assert uc.inbox_count(team["ana"]) == 2


def test_keyset_pages_cover_everything_once_in_order(team, catalog, now):
    for i in range(23):
        add(now, CONCRETE if i % 3 == 0 else VAGUE, minutes_ago=i, email=f"p{i}@example.com")
    everything = [r.id for r in uc.inbox_rows(team["ana"], limit=100)]
    assert everything == [d["id"] for d in inbox.list_inbox(team["ana"], limit=100)]
    seen, after = [], None
    while True:
        page = uc.inbox_rows(team["ana"], after=after, limit=5)
        if not page:
            break
        seen += [r.id for r in page]
        after = page[-1].key
    assert seen == everything and len(set(seen)) == 23
    last = uc.inbox_rows(team["ana"], last=True, limit=5)
    assert [r.id for r in last] == everything[-5:]
    before = uc.inbox_rows(team["ana"], before=last[0].key, limit=5)
    assert [r.id for r in before] == everything[-10:-5]


def test_filters_and_mine(team, catalog, now):
    a = add(now, "Hola, queremos 20 balones", channel="website", email="x@example.com")
    b = add(now, VAGUE, channel="email", email="y@example.com")
    inbox.claim(team["ben"], b, now)
    assert [r.id for r in uc.inbox_rows(team["ana"], channel="website")] == [a]
    assert [r.id for r in uc.inbox_rows(team["ana"], search="balones")] == [a]
    assert [r.id for r in uc.inbox_rows(team["ana"], mine=True)] == []
    assert [r.id for r in uc.inbox_rows(team["ben"], mine=True)] == [b]
    assert [r.id for r in uc.inbox_rows(team["ana"], owner="none")] == [a]
    assert uc.inbox_count(team["ben"], mine=True) == 1


def test_application_view_and_its_json(team, catalog, now, plain):
    app_id = add(now, CONCRETE)
    inbox.claim(team["ana"], app_id, now)
    inbox.transfer(team["ana"], app_id, "ben", "speaks German", now)
    inbox.contact(team["ben"], app_id, "call", now + timedelta(minutes=5), note="left a message")
    view = uc.application_view(team["ben"], app_id)
    plain(view)
    assert view.application.id == app_id and view.application.owner == "ben"
    assert [(m.from_rep, m.to_rep, m.reason) for m in view.history] == [("ana", "ben", "speaks German")]
    assert [(x.kind, x.note) for x in view.activities] == [("call", "left a message")]
    d = uc.application_detail(team["ben"], app_id)
    assert list(d) == ["id", "channel", "received_at", "name", "email", "phone", "subject", "text", "score",
                       "reasons", "owner", "due_at", "status", "first_contact_at", "client_id", "duplicate_of",
                       "transfers", "version", "history", "activities"]
    assert d["history"][0]["reason"] == "speaks German" and d["received_at"].endswith("+00:00")
    # the row JSON is what models.inbox.app_dict always printed
    a = inbox.get_application(app_id)
    assert uc.row_json(uc.row_of(a)) == inbox.app_dict(a, a.owner_login)
    with pytest.raises(NotFound):
        uc.application_view(team["ana"], 999999)


def test_moves_are_scoped_by_role(team, catalog, now, plain):
    app_id = add(now, CONCRETE)
    inbox.claim(team["ana"], app_id, now)
    inbox.transfer(team["ana"], app_id, "ben", "speaks German", now)
    for who in ("ana", "ben", "mia", "dan"):
        moves = uc.moves_seen(team[who])
        plain(moves)
        assert [m.application_id for m in moves] == [app_id], who
    assert uc.moves_seen(team["cai"]) == () and uc.moves_seen(team["sol"]) == ()


def test_today_view_is_the_actors_agenda(team, catalog, now, plain):
    from models.activities import create_task

    create_task("t", team["ana"].id, "Call Marta", now - timedelta(hours=2), now=now)
    create_task("t", team["ana"].id, "Send the catalogue", now + timedelta(hours=3), now=now)
    create_task("t", team["ana"].id, "Next week", now + timedelta(days=7), now=now)
    create_task("t", team["ben"].id, "Ben's call", now, now=now)
    app_id = add(now, CONCRETE)
    inbox.claim(team["ana"], app_id, now)
    inbox.transfer(team["ana"], app_id, "ben", "speaks German", now)
    view = today_view(team["ana"], now)
    plain(view)
    assert [t.subject for t in view.tasks] == ["Call Marta", "Send the catalogue"]
    assert view.overdue == 1 and [t.overdue for t in view.tasks] == [True, False]
    assert [m.to_rep for m in view.moves] == ["ben"]
    assert today_view(team["sol"], now).tasks == () and today_view(team["sol"], now).moves == ()


def test_quarantine_rows(team, now, plain):
    from models.intake import intake_jsonl

    intake_jsonl("t", '{"channel": "fax", "name": "x", "text": "hi"}\n', "upload.jsonl", now)
    with pytest.raises(PermissionDenied):
        uc.quarantine_rows(team["ana"])  # a rep: every team's names and phones are in there
    rows = uc.quarantine_rows(team["mia"])
    plain(rows)
    assert [(q.source, q.line) for q in rows] == [("upload.jsonl", 1)]
    assert "channel must be one of" in rows[0].reason
    assert list(uc.quarantine_json(rows)[0]) == ["id", "source", "line", "raw", "reason", "at"]


def test_the_first_page_read_before_the_first_paint(team, catalog, now):
    """run_tui reads the inbox's first page before the App paints: two screens of rows in inbox order,
    the status line's count, and the limit asked for (fewer rows than it: the list is at its end)."""
    for i in range(45):
        add(now, CONCRETE if i % 3 == 0 else VAGUE, minutes_ago=i, email=f"p{i}@example.com")
    first = uc.first_page(team["ana"], lines=24)
    assert first.limit == 48 and dataclasses.is_dataclass(first)
    assert [r.id for r in first.rows] == [r.id for r in uc.inbox_rows(team["ana"], limit=48)]
    assert len(first.rows) == 45 and first.count == uc.inbox_count(team["ana"], cap=uc.COUNT_CAP) == 45
    assert uc.first_page(team["ana"], lines=10).limit == 40  # never less than a small terminal's buffer
