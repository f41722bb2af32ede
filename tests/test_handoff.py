"""Lead hand-off credit (issue 15): conversion records the source, `deal handoff` gives a deal to an account
executive keeping the source's split, a BDR never owns a late-stage deal (every path). Both engines."""
from __future__ import annotations

import json

import pytest

from models import flow, inbox, pipeline, settings
from models.audit import history
from models.clients import add_client
from models.errors import DomainError, NotYours, PermissionDenied
from models.payments import sign_agreement, upsert_agreement
from models.tables import Client, Deal
from models.usecases.convert import convert
from conftest import run_cli


def negotiating(team, rep, now):
    """A deal of REP in Negotiation: qualified, proposed (with its expected close), its terms written."""
    c = add_client(rep, now, name="Club Norte", email="info@clubnorte.es")
    d = pipeline.add_deal(rep, c.id, "40 balls", now, amount="1596.00")
    pipeline.update_deal(rep, d.id, dict(need="balls", budget="1600", timeline="Dec", decision_maker="Marta",
                                         products="40 balls", expected_close="2026-12-15"), now)
    flow.move_deal(rep, d.id, "negotiation", now)
    upsert_agreement(rep, d.id, "40 balls", "1596.00 EUR", now)
    return d


def test_conversion_records_who_sourced_the_deal(team, now, catalog):
    a = inbox.add_application("test", dict(channel="email", name="Marta Ruiz", email="marta@clubnorte.es",
                                           text="We need 40 BALL-PRO5 by 5 December."), now)
    c = convert(team["ben"], a, now)
    d = Deal.get_by_id(c.deal_id)
    assert d.sourced_by_id == team["ben"].id and d.source_split_bp == 1500  # the 15 % default


def test_a_bdr_hands_over_and_keeps_the_split(team, now):
    mia, ben, ana = team["mia"], team["ben"], team["ana"]
    settings.put("mia", "commission.source_split", 20, now)
    pipeline.set_bdr(mia, "ben", True, now)
    d = negotiating(team, ben, now)
    with pytest.raises(DomainError) as exc:  # by hand: refused
        flow.move_deal(ben, d.id, "agreement_signed", now)
    assert "BDR" in str(exc.value) and "handoff" in str(exc.value)
    sign_agreement(ben, d.id, now, signed_by="Marta")  # the papers: the deal waits in Negotiation
    assert Deal.get_by_id(d.id).stage.key == "negotiation"
    moved = pipeline.handoff_deal(ben, d.id, "ana", now)
    assert (moved.owner_id, moved.sourced_by_id, moved.source_split_bp) == (ana.id, ben.id, 2000)
    assert ("owner", str(ben.id), str(ana.id)) in [(h["field"], h["old"], h["new"]) for h in history("deal", d.id)]
    assert Client.get_by_id(d.client_id).owner_id == ana.id  # the card goes with the deal: ana can work it
    assert flow.move_deal(ana, d.id, "agreement_signed", now).stage.key == "agreement_signed"
    # a hand-off back to the BDR is refused now it is late; a second hand-off keeps the first source
    with pytest.raises(DomainError):
        pipeline.handoff_deal(mia, d.id, "ben", now)
    again = pipeline.handoff_deal(mia, d.id, "cai", now)
    assert (again.owner_id, again.sourced_by_id, again.source_split_bp) == (team["cai"].id, ben.id, 2000)


def test_who_may_hand_over(team, now):
    d = negotiating(team, team["ana"], now)
    with pytest.raises(NotYours):  # not ben's deal
        pipeline.handoff_deal(team["ben"], d.id, "cai", now)
    with pytest.raises(PermissionDenied):  # sol is South
        pipeline.handoff_deal(team["ana"], d.id, "sol", now)
    with pytest.raises(PermissionDenied):  # only managers mark BDRs
        pipeline.set_bdr(team["ana"], "ben", True, now)
    assert pipeline.handoff_deal(team["dan"], d.id, "sol", now).owner_id == team["sol"].id


def test_handoff_and_bdr_from_the_command_line(db, team, now):
    d = negotiating(team, team["ana"], now)
    on = run_cli("rep", "bdr", "ana", "on", "--as", "mia", "--json", db_url=db)
    assert on.returncode == 0 and json.loads(on.stdout)["bdr"] is True, on.stderr
    out = run_cli("deal", "handoff", str(d.id), "ben", "--as", "ana", "--json", db_url=db)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert (body["owner"], body["sourced_by"], body["source_split_bp"]) == ("ben", "ana", 1500)
    text = run_cli("deal", "handoff", str(d.id), "cai", "--as", "mia", db_url=db)
    assert text.returncode == 0 and "ana keeps 15%" in text.stdout
    assert run_cli("rep", "bdr", "ben", "on", "--as", "ben", db_url=db).returncode == 5
