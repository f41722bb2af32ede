"""Segments at their edges and cadence tasks created exactly once."""
from __future__ import annotations

from datetime import timedelta

import pytest

from models.segments import segment_for, sweep_cadence
from models.segments import DEFAULT_BOUNDS
from models.tables import Activity, Client

B = DEFAULT_BOUNDS


@pytest.mark.parametrize("days, seg", [
    (0, "hot"), (29.99, "hot"), (30, "cooling"), (89.99, "cooling"), (90, "warm"), (119.99, "warm"),
    (120, "lapsing"), (179.99, "lapsing"), (180, "sleeping"), (900, "sleeping")])
def test_bounds_at_their_edges(now, days, seg):
    assert segment_for(now - timedelta(days=days), now, B) == seg


def test_never_bought(now):
    assert segment_for(None, now, B) == "never"


def test_cadence_once_and_changes_with_segment(team, now):
    hot = Client.create(name="Hot", owner=team["ana"], last_purchase_at=now - timedelta(days=3),
                        created_at=now, updated_at=now)
    Client.create(name="Never", owner=team["ana"], created_at=now, updated_at=now)
    assert sweep_cadence(now) == 1
    assert sweep_cadence(now) == 0
    assert sweep_cadence(now + timedelta(hours=5)) == 0
    task = Activity.get(Activity.client == hot.id)
    assert task.kind == "message" and task.rep_id == team["ana"].id
    from models.tables import Audit

    trail = list(Audit.select().where((Audit.kind == "activity") & (Audit.record_id == task.id)))
    assert [(a.action, a.actor) for a in trail] == [("create", "system")]  # once, though swept three times
    assert trail[0].new.startswith("message: ") and "Hot" in trail[0].new
    later = now + timedelta(days=100)  # now warm: a call, every two weeks
    assert sweep_cadence(later) == 1
    assert Activity.select().where(Activity.client == hot.id).order_by(Activity.id.desc()).first().kind == "call"
    assert Client.get_by_id(hot.id).segment == "warm"


def test_lost_and_merged_clients_get_no_cadence(team, now):
    Client.create(name="Lost", owner=team["ana"], last_purchase_at=now - timedelta(days=3), lost_reason="price",
                  created_at=now, updated_at=now)
    keep = Client.create(name="Keep", owner=team["ana"], created_at=now, updated_at=now)
    Client.create(name="Merged", owner=team["ana"], last_purchase_at=now - timedelta(days=3), merged_into=keep,
                  created_at=now, updated_at=now)
    assert sweep_cadence(now) == 0
    assert Activity.select().count() == 0


def _cadence_sweeper(url, queue):
    from datetime import datetime

    from models.db import open_database

    open_database(url)
    queue.put(sweep_cadence(datetime(2026, 11, 20, 9, 0)))


def test_parallel_cadence_sweeps_create_each_task_once(db, team, now):
    import multiprocessing as mp

    for i in range(40):
        Client.create(name=f"Hot {i}", owner=team["ana"] if i % 2 else team["ben"],
                      last_purchase_at=now - timedelta(days=3), created_at=now, updated_at=now)
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_cadence_sweeper, args=(db, q)) for _ in range(4)]
    for p in procs:
        p.start()
    created = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert sum(created) == 40
    assert Activity.select().count() == 40
    assert Activity.select(Activity.client).distinct().count() == 40


def test_the_next_cadence_task_supersedes_the_undone_one(team, now):
    """Cadence tasks do not pile up (issue 11): a new one cancels the client's earlier undone one (neither
    open nor done, audited with its cause); a done one stays done; other clients' tasks are untouched."""
    from models.audit import history

    hot = Client.create(name="Hot", owner=team["ana"], last_purchase_at=now - timedelta(days=3),
                        created_at=now, updated_at=now)
    other = Client.create(name="Other", owner=team["ben"], last_purchase_at=now - timedelta(days=3),
                          created_at=now, updated_at=now)
    assert sweep_cadence(now) == 2
    first = Activity.get(Activity.client == hot.id)
    week = now + timedelta(days=7)  # the next weekly period
    Activity.update(done_at=now).where(Activity.client == other.id).execute()  # ben did his
    assert sweep_cadence(week) == 2
    first = Activity.get_by_id(first.id)
    assert first.cancelled_at == week and first.done_at is None
    live = Activity.select().where((Activity.client == hot.id) & Activity.done_at.is_null()
                                   & Activity.cancelled_at.is_null())
    assert live.count() == 1 and live.get().id != first.id
    done = Activity.select().where((Activity.client == other.id) & Activity.done_at.is_null(False)).count()
    assert done == 1  # a task done stays done
    cancel = [h for h in history("activity", first.id) if h["action"] == "cancel"]
    assert cancel and cancel[0]["cause"] == f"superseded by cadence task {live.get().id}"
    later = now + timedelta(days=100)  # hot -> warm: the warm call supersedes the hot message
    assert sweep_cadence(later) == 2
    open_hot = [a for a in Activity.select().where((Activity.client == hot.id) & Activity.done_at.is_null()
                                                  & Activity.cancelled_at.is_null())]
    assert [a.kind for a in open_hot] == ["call"]
    assert sweep_cadence(later) == 0  # once per period, still
    # a task typed by a rep is no cadence task: never superseded
    from models.activities import create_task

    mine = create_task("ana", team["ana"].id, "Bring the samples", later, now=later, client_id=hot.id)
    assert sweep_cadence(later + timedelta(days=14)) >= 1
    assert Activity.get_by_id(mine.id).cancelled_at is None
