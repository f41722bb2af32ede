"""Segments at their edges and cadence tasks created exactly once."""
from __future__ import annotations

from datetime import timedelta

import pytest

from models.segments import segment_for, sweep_cadence
from models.settings import DEFAULTS
from models.tables import Activity, Client

B = DEFAULTS["segments.bounds"]


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
    later = now + timedelta(days=100)  # now warm: a call, every two weeks
    assert sweep_cadence(later) == 1
    assert Activity.select().where(Activity.client == hot.id).order_by(Activity.id.desc()).first().kind == "call"
    assert Client.get_by_id(hot.id).segment == "warm"
