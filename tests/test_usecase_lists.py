"""The use cases behind the Clients list, the Pipeline board, the Stage rules and Reports: plain frozen
data (no database row inside) and scoped to what the actor may see."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from models.clients import add_client
from models.pipeline import add_deal, add_requirement, set_stale_days
from models.tables import Client, Deal


@pytest.fixture
def book(team, now):
    """Ana: two clients (one with a task, one with deals); Sol (another team): one client and deal."""
    from models.activities import create_task

    zoe = add_client(team["ana"], now, name="Zoe Club", email="zoe@example.com", company="Lagos FC Ltd",
                     hobbies="chess")
    adam = add_client(team["ana"], now, name="Adam Academy", phone="+447700900123")
    create_task("ana", team["ana"].id, "call", now + timedelta(days=2), now=now, client_id=zoe.id)
    add_deal(team["ana"], adam.id, "40 balls", now, amount="1800.00")
    old = add_deal(team["ana"], adam.id, "2 goals", now)
    Deal.update(stage_changed_at=now - timedelta(days=20)).where(Deal.id == old.id).execute()
    sol = add_client(team["sol"], now, name="Sol's Client", email="s@example.com")
    add_deal(team["sol"], sol.id, "not ana's", now, amount="5.00")
    return dict(zoe=zoe, adam=adam, sol=sol)


def test_client_rows_are_plain_with_owner_and_next_task(team, now, book, plain):
    from models.usecases.clients_list import client_rows, first_page

    page = first_page(team["ana"], limit=10)
    plain(page)
    assert [r.name for r in page.rows] == ["Adam Academy", "Zoe Club"] and page.total == 2
    zoe = page.rows[1]
    assert zoe.owner == "ana" and zoe.next_task_due == now + timedelta(days=2)
    assert dict(zoe.details) == {"company": "Lagos FC Ltd", "email": "zoe@example.com", "hobbies": "chess"}
    assert page.rows[0].next_task_due is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        zoe.name = "x"
    after = client_rows(team["ana"], after=(zoe.name, zoe.id - 1000), limit=5)
    assert [r.name for r in after] == ["Zoe Club"]  # keyset pages: the rows after a (name, id) key
    assert [r.name for r in client_rows(team["ana"], search="lagos")] == ["Zoe Club"]


def test_client_rows_are_scoped_by_role(team, now, book):
    from models.usecases.clients_list import clients_total, first_page

    assert [r.name for r in first_page(team["sol"]).rows] == ["Sol's Client"]
    assert first_page(team["ben"]).rows == () and clients_total(team["ben"]) == 0
    assert {r.name for r in first_page(team["mia"]).rows} == {"Adam Academy", "Zoe Club"}  # her team
    assert first_page(team["dan"]).total == 3  # a director sees everything


def test_pipeline_board_is_plain_and_scoped(team, now, book, plain):
    from models.usecases.pipeline import pipeline_board

    set_stale_days(team["mia"], "new", 14, now)
    b = pipeline_board(team["ana"], now)
    plain(b)
    assert b.index == 0 and b.current.key == "new"
    assert (b.current.count, b.current.stale, b.current.totals) == (2, 1, (("EUR", 180000),))
    assert [(d.title, d.client_name, d.days, d.stale) for d in b.deals] == [
        ("2 goals", "Adam Academy", 20, True), ("40 balls", "Adam Academy", 0, False)]
    assert b.deals[1].amount_minor == 180000 and b.deals[1].client_id == book["adam"].id
    assert pipeline_board(team["sol"], now).current.count == 1
    assert pipeline_board(team["ben"], now).deals == ()
    assert pipeline_board(team["dan"], now).current.count == 3
    last = pipeline_board(team["ana"], now, index=99)  # clamped to the last stage
    assert last.index == len(last.stages) - 1 and last.current.terminal


def test_stage_rules_are_plain(team, now, db, plain):
    from models.errors import NotFound
    from models.usecases.pipeline import stage_rules

    add_requirement(team["mia"], "qualified", "client.company", "Company", now)
    r = stage_rules("qualified")
    plain(r)
    assert r.stage.key == "qualified" and r.stages[r.index] == r.stage
    assert ("client.company", "Company") in [(q.field, q.label) for q in r.requirements]
    assert r.client_required == ("name", "email|phone")
    with pytest.raises(NotFound):
        stage_rules("nowhere")


def test_report_is_plain_scoped_and_keeps_the_json_keys(team, now, book, plain):
    from models.usecases.reports import report, report_json

    Client.update(lost_reason="price").where(Client.id == book["sol"].id).execute()
    r = report(team["ana"], now + timedelta(minutes=1), days=7)
    plain(r)
    assert {s.step: s.count for s in r.funnel}["Deals"] == 2  # sol's deal is not ana's
    assert r.lost_clients == ()
    assert [x.count for x in report(team["sol"], now, 7).lost_clients] == [1]
    data = report_json(r)
    assert list(data) == ["since", "until", "funnel", "lost_deals", "lost_clients", "activity", "cash_in"]
    assert list(data["funnel"][0]) == ["step", "count", "conversion"]
    assert isinstance(data["since"], str)
