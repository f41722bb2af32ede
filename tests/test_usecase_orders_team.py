"""The Payments screen's orders and invoiceable deals, and the team list: frozen data, scoped by role."""
from __future__ import annotations

from models.clients import add_client
from models.pipeline import add_deal
from models.usecases.orders import deals_to_invoice, orders_in_view
from models.usecases.team import team_members


def test_deals_to_invoice_and_orders_are_plain_and_scoped(team, now, plain):
    ana, sol = team["ana"], team["sol"]
    mine = add_deal(ana, add_client(ana, now, name="Club Norte", email="c@norte.es").id, "Balls", now)
    add_deal(sol, add_client(sol, now, name="South FC", email="s@south.es").id, "Cones", now)
    rows = deals_to_invoice(ana)
    plain(rows)
    assert [(d.deal_id, d.client, d.stage) for d in rows] == [(mine.id, "Club Norte", "New")]
    assert [d.title for d in deals_to_invoice(team["dan"])] == ["Balls", "Cones"]
    assert orders_in_view(ana) == () and plain(orders_in_view(team["dan"])) is None


def test_team_members_are_the_team_and_everyone_for_a_director(team, plain):
    north = team_members(team["ana"])
    plain(north)
    assert [m.login for m in north] == ["ana", "ben", "cai", "mia"]
    assert [m.login for m in team_members(team["sol"])] == ["sol"]
    assert len(team_members(team["dan"])) == 6
