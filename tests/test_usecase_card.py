"""The client card's use case (models.usecases.card): what the card shows comes back as plain frozen data,
only for who may see the client, and a card's save stays all or nothing across client, deal and
agreement."""
from __future__ import annotations

import dataclasses

import pytest

from models.activities import create_task
from models.clients import add_client
from models.errors import PermissionDenied, StaleRecord, ValidationError
from models.payments import issue_invoice, upsert_agreement
from models.pipeline import add_deal, update_deal
from models.tables import Agreement, Client, Deal, Stage
from models.usecases.card import card_update, changed_meanwhile, client_card, save_card


@pytest.fixture
def club(team, now):
    c = add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es", phone="+34612345678")
    d = add_deal(team["ana"], c.id, "40 balls", now, amount="1800.00")
    update_deal(team["ana"], d.id, dict(need="balls"), now)
    upsert_agreement(team["ana"], d.id, "40 balls", "1800 EUR", now, expected_version=0)
    issue_invoice(team["ana"], d.id, now)
    won = add_deal(team["ana"], c.id, "old kit", now)
    Deal.update(stage=Stage.get(Stage.key == "won").id, closed_at=now).where(Deal.id == won.id).execute()  # won long ago
    create_task("ana", team["ana"].id, "call about the balls", now, now=now, client_id=c.id)
    return dict(client=c.id, deal=d.id, won=won.id)


def test_the_card_is_plain_frozen_data(team, club, now, plain):
    card = client_card(team["ana"], club["client"], now)
    plain(card)
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.name = "changed"  # type: ignore[misc]
    assert card.name == "Club Norte" and card.text("email") == "info@clubnorte.es" and card.version == 1
    assert {"name", "email", "phone"} <= set(card.required)
    assert card.text("lost_reason") == "" and dict(card.lost_reasons)
    deal = card.deal(club["deal"])
    assert (deal.stage, deal.stage_name, deal.closed, deal.amount_text) == ("new", "New", False, "1,800.00 EUR")
    assert deal.next_stage == "qualified" and "Budget" in deal.next_missing and "Need" not in deal.next_missing
    assert (deal.forward, deal.backward) == ("qualified", None)  # models.pipeline.stage_step
    assert deal.text("need") == "balls" and deal.text("amount") == "1800.00" and deal.text("budget") == ""
    assert (deal.agreement.provides, deal.agreement.receives, deal.agreement.version) == ("40 balls", "1800 EUR", 1)
    won = card.deal(club["won"])
    assert won.closed and (won.forward, won.backward, won.next_stage) == (None, None, None)
    assert won.agreement.version == 0 and won.agreement.status is None
    assert [a.subject for a in card.activities] == ["call about the balls"]
    assert len(card.invoices) == 1 and card.invoices[0].currency == "EUR"
    assert card.history and all(card.history[i].id > card.history[i + 1].id for i in range(len(card.history) - 1))
    assert card.stage_name("qualified") == "Qualified"


def test_another_teams_client_is_refused(team, club, now):
    for login in ("sol", "ben"):  # South's rep; a rep of the same team who does not own it
        with pytest.raises(PermissionDenied):
            client_card(team[login], club["client"], now)
        with pytest.raises(PermissionDenied):
            card_update(team[login], club["client"], now, 1)
        with pytest.raises(PermissionDenied):
            save_card(team[login], club["client"], now, client_changes={"city": "Leeds"}, client_version=1)
    assert Client.get_by_id(club["client"]).city is None
    assert client_card(team["mia"], club["client"], now).name == "Club Norte"  # the team's manager sees it


def test_what_changed_meanwhile(team, club, now, plain):
    card = client_card(team["ana"], club["client"], now)
    deal = card.deal(club["deal"])
    args = (card.version, deal.id, deal.version, deal.agreement.version)
    assert changed_meanwhile(team["ana"], club["client"], *args) is None
    assert card_update(team["ana"], club["client"], now, *args).card is None
    save_card(team["mia"], club["client"], now, client_changes={"city": "Leeds"}, client_version=card.version)
    update = card_update(team["ana"], club["client"], now, *args)
    plain(update)
    assert "mia" in update.changed and "Leeds" in update.changed
    assert update.card.text("city") == "Leeds" and update.card.version == card.version + 1


def test_a_card_save_is_all_or_nothing(team, club, now):
    c, d = club["client"], club["deal"]
    deal_version = Deal.get_by_id(d).version
    with pytest.raises(ValidationError) as exc:  # the agreement, saved last, is refused: nothing is kept
        save_card(team["ana"], c, now, client_changes={"company": "ACME"}, client_version=1, deal_id=d,
                  deal_changes={"budget": "2000"}, deal_version=deal_version,
                  agreement={"provides": "", "receives": "cash"}, agreement_version=1)
    assert exc.value.field == "provides"
    with pytest.raises(StaleRecord):  # an agreement changed since it was opened: nothing is kept either
        save_card(team["ana"], c, now, client_changes={"company": "ACME"}, client_version=1, deal_id=d,
                  deal_changes={"budget": "2000"}, deal_version=deal_version,
                  agreement={"provides": "41 balls", "receives": "cash"}, agreement_version=0)
    assert Client.get_by_id(c).company is None and Client.get_by_id(c).version == 1
    assert Deal.get_by_id(d).budget is None and Deal.get_by_id(d).version == deal_version
    assert Agreement.get(Agreement.deal == d).provides == "40 balls"
    save_card(team["ana"], c, now, client_changes={"company": "ACME"}, client_version=1, deal_id=d,
              deal_changes={"budget": "2000"}, deal_version=deal_version,
              agreement={"provides": "41 balls", "receives": "cash"}, agreement_version=1)
    card = client_card(team["ana"], c, now)
    assert card.text("company") == "ACME" and card.deal(d).text("budget") == "2000"
    assert card.deal(d).agreement.provides == "41 balls"
