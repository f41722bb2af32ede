"""Reminders: at issue, mid-term and eve of each installment; never twice, never after payment;
4 sweeps at once create each exactly once (both engines)."""
from __future__ import annotations

import multiprocessing as mp
from datetime import timedelta

from models.payments import approve_plan, issue_invoice, record_payment
from models.reminders import outbox, sweep_reminders
from models.tables import Client, Deal, Reminder, Stage


def _plan(team, now, parts=2, every=10):
    c = Client.create(name="Club", email="club@example.com", owner=team["ana"], team=team["ana"].team_id,
                      created_at=now, updated_at=now)
    d = Deal.create(client=c, owner=team["ana"], team=team["ana"].team_id, title="t", amount_minor=20000,
                    currency="EUR", stage=Stage.get(Stage.key == "invoiced"), stage_changed_at=now, created_at=now,
                    updated_at=now)
    inv = issue_invoice(team["ana"], d.id, now, installments=parts, every_days=every)
    approve_plan(team["mia"], inv.id, now)
    return inv


def test_exactly_issue_mid_eve_and_never_after_payment(team, now):
    inv = _plan(team, now)
    assert sweep_reminders(now) == 2  # "issue" for both parts
    assert sweep_reminders(now) == 0
    assert sweep_reminders(now + timedelta(days=5)) == 1  # mid-term of part 1 (due day 10)
    record_payment(team["ana"], inv.id, 10000, now + timedelta(days=6))  # part 1 paid before its eve
    assert sweep_reminders(now + timedelta(days=9, hours=12)) == 0  # no eve reminder for a paid part
    later = now + timedelta(days=30)
    assert sweep_reminders(later) == 2  # part 2: mid and eve
    assert sweep_reminders(later) == 0
    kinds = sorted((r.installment.seq, r.kind) for r in Reminder.select())
    assert kinds == [(1, "issue"), (1, "mid"), (2, "eve"), (2, "issue"), (2, "mid")]
    assert all(r["recipient"] == "club@example.com" for r in outbox(team["ana"]))
    assert outbox(team["sol"]) == []


def _sweeper(url, q):
    from datetime import datetime

    from models.db import open_database
    from models.reminders import sweep_reminders

    open_database(url)
    q.put(sweep_reminders(datetime(2026, 12, 30)))


def test_parallel_sweeps_create_each_once(db, team, now):
    for _ in range(3):
        _plan(team, now)
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_sweeper, args=(db, q)) for _ in range(4)]
    for p in procs:
        p.start()
    made = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert sum(made) == Reminder.select().count() == 3 * 2 * 3
