"""The sweep is set-based (issue 13): one guarded UPDATE per batch moves every overdue application of the
batch, transfer and audit rows go in bulk, and the guard (owner and deadline as read) still holds.
Runs on every engine (the `team` fixture takes `db`)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from models import inbox
from models.engine import database
from models.tables import Application, Audit, Rep, Transfer

VAGUE = "How much does your product cost?"


def add(now, i, minutes_ago=0, channel="email"):
    return inbox.add_application("test", dict(channel=channel, text=f"{VAGUE} ({i})", name=f"P{i}",
                                              email=f"p{i}@example.com",
                                              received_at=now - timedelta(minutes=minutes_ago)), now)


@pytest.fixture
def statements(monkeypatch):
    """Every SQL statement the bound database runs from now on."""
    seen: list[str] = []
    obj = database.obj
    original = obj.execute_sql

    def spy(sql, params=None, *args, **kwargs):
        seen.append(sql)
        return original(sql, params, *args, **kwargs)

    monkeypatch.setattr(obj, "execute_sql", spy)
    return seen


def _moving_updates(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith(("UPDATE APPLICATION", "WITH V("))
            or ("UPDATE application SET owner_id" in s)]


def test_one_update_per_batch_moves_the_whole_batch(team, catalog, now, statements):
    ids = [add(now, i) for i in range(12)]
    for i in ids[:7]:
        inbox.claim(team["ana"], i, now)  # 7 of ana's, 5 nobody's (team None until moved)
    statements.clear()
    late = now + timedelta(minutes=61)
    assert inbox.sweep(late, batch=5) == {"moved": 12, "stuck": 0}
    # 12 rows in batches of 5: 5 + 5 + 2 = three UPDATE statements, not twelve
    assert len(_moving_updates(statements)) == 3
    apps = {a.id: a for a in Application.select().where(Application.id.in_(ids))}
    assert all(a.transfers == 1 and a.status == "claimed" and a.due_at == late + timedelta(minutes=60)
               for a in apps.values())
    assert all(apps[i].owner_id != team["ana"].id for i in ids[:7])  # never back to the rep who let it lapse
    # one transfer and one audit row per move, with the logins as they were
    transfers = list(Transfer.select().where(Transfer.application.in_(ids)))
    assert sorted(t.application_id for t in transfers) == sorted(ids)
    assert {t.reason for t in transfers if t.application_id in ids[:7]} == {"deadline passed without contact"}
    assert {t.reason for t in transfers if t.application_id in ids[7:]} == {"unclaimed past its deadline"}
    audit = list(Audit.select().where((Audit.kind == "application") & (Audit.action == "transfer")))
    assert len(audit) == 12 and {a.actor for a in audit} == {"system"}
    by_app = {a.record_id: a for a in audit}
    assert {by_app[i].old for i in ids[:7]} == {"ana"} and {by_app[i].old for i in ids[7:]} == {None}
    logins = {r.id: r.login for r in team.values()}
    assert all(by_app[i].new == logins[apps[i].owner_id] for i in ids)
    # the next sweep finds nothing due: each moved once per deadline
    assert inbox.sweep(late) == {"moved": 0, "stuck": 0}


def test_guard_refuses_a_row_changed_since_it_was_read(team, catalog, now):
    """The batch UPDATE moves a row only if its owner and deadline are still the ones read."""
    from models.engine import write_txn

    a, b, c = (add(now, i) for i in range(3))
    inbox.claim(team["ana"], a, now)
    inbox.claim(team["ana"], b, now)
    rows = {x.id: x for x in Application.select().where(Application.id.in_([a, b, c]))}
    later = now + timedelta(hours=2)
    plan = [
        (a, team["ben"].id, rows[a].due_at, team["cai"], later),  # owner read as ben: it is ana's -> refused
        (b, team["ana"].id, rows[b].due_at - timedelta(minutes=1), team["cai"], later),  # stale deadline
        (c, None, rows[c].due_at, team["cai"], later),  # as read: moves
    ]
    if database.obj.__class__.__name__.startswith("Sqlite"):
        plan = [(i, o, inbox.db_time(d), t, inbox.db_time(n)) for i, o, d, t, n in plan]
    with write_txn():
        done = inbox._move_many(plan, {r.id: r for r in team.values()}, later)
    assert done == {c}
    # the refused moves leave no trace: one transfer and one audit row, for c
    assert [(t.application_id, t.to_rep_id, t.reason) for t in Transfer.select()] == [
        (c, team["cai"].id, "unclaimed past its deadline")]
    moves = Audit.select().where((Audit.action == "transfer") & (Audit.actor == "system"))
    assert [(m.record_id, m.old, m.new) for m in moves] == [(c, None, "cai")]
    assert Rep.get_by_id(team["cai"].id).last_assigned_at == later
    assert Application.get_by_id(a).owner_id == team["ana"].id
    assert Application.get_by_id(b).owner_id == team["ana"].id
    assert Application.get_by_id(c).owner_id == team["cai"].id


def test_stuck_rows_do_not_stop_the_batches(team, catalog, now):
    """South's only rep (sol) owns its applications: nobody to pass them to, so they stay (stuck) while
    North's move; with batches of 2 the keyset walks past the stuck ones."""
    north = [add(now, i) for i in range(3)]
    south = [add(now, 10 + i) for i in range(3)]
    for i in south:
        inbox.claim(team["sol"], i, now)
    for i in north:
        inbox.claim(team["ana"], i, now)
    result = inbox.sweep(now + timedelta(minutes=61), batch=2)
    assert result == {"moved": 3, "stuck": 3}
    assert all(Application.get_by_id(i).owner_id == team["sol"].id for i in south)
    assert all(Application.get_by_id(i).owner_id in (team["ben"].id, team["cai"].id, team["mia"].id)
               for i in north)


def test_old_sqlite_path_gives_the_same_moves(team, catalog, now, monkeypatch):
    """Without UPDATE ... FROM (SQLite < 3.35) the same moves are made row by row."""
    if not database.obj.__class__.__name__.startswith("Sqlite"):
        pytest.skip("SQLite only")
    monkeypatch.setattr(inbox, "sqlite_has_update_from", lambda: False)
    ids = [add(now, i) for i in range(4)]
    for i in ids:
        inbox.claim(team["ana"], i, now)
    assert inbox.sweep(now + timedelta(minutes=61)) == {"moved": 4, "stuck": 0}
    owners = [Application.get_by_id(i).owner.login for i in ids]
    # round robin over ben, cai, mia (ana let them lapse): 4 moves = 2 + 1 + 1
    assert set(owners) == {"ben", "cai", "mia"} and sorted(owners.count(x) for x in set(owners)) == [1, 1, 2]
    assert Transfer.select().count() == 4 and inbox.sweep(now + timedelta(minutes=61))["moved"] == 0


def test_round_robin_spreads_across_batches(team, catalog, now):
    """One rotation for the whole run: 6 of ana's in batches of 2 go ben, cai, mia, ben, cai, mia."""
    ids = [add(now, i) for i in range(6)]
    for i in ids:
        inbox.claim(team["ana"], i, now)
    inbox.sweep(now + timedelta(minutes=61), batch=2)
    owners = [Application.get_by_id(i).owner.login for i in ids]
    assert sorted(owners) == ["ben", "ben", "cai", "cai", "mia", "mia"]


def test_bulk_rows_land_whole_across_chunks(db, now):
    """insert_rows (the sweep's transfer and audit rows): full chunks and a short last one, every value kept."""
    from models.engine import insert_rows, write_txn

    rows = [(now, "system", "bench", i, "note", "field", None, f"value {i}") for i in range(1, 1234)]
    with write_txn():
        insert_rows(Audit, ("at", "actor", "kind", "record_id", "action", "field", "old", "new"), rows)
    got = [(a.record_id, a.new, a.old) for a in Audit.select().where(Audit.kind == "bench").order_by(Audit.record_id)]
    assert got == [(i, f"value {i}", None) for i in range(1, 1234)]
