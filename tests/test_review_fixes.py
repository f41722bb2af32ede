"""Defects a review found, each pinned by a test: card visibility after a reassign, all-or-nothing card
saves, guarded agreement terms, merge against a concurrent edit, stored text cleaned of escapes, the
manager's audit scope, settings checked when written, losing an invoiced deal, reassign moving only the
old owner's work, drafts of a card no longer visible."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from conftest import run_cli, until
from models.audit import visible_history
from models.clients import add_client, merge_clients, reassign_client, update_client
from models.errors import DomainError, StaleRecord, ValidationError
from models.payments import issue_invoice, record_payment, upsert_agreement
from models.flow import lose_deal
from models.pipeline import add_deal
from models.tables import Activity, Client, Deal, Invoice, Reminder, Stage
from models.usecases.card import client_card as card, save_card


def test_card_after_reassign_shows_only_the_deals_the_rep_may_see(team, now):
    c = add_client(team["ana"], now, name="Club", email="c@example.com")
    won = add_deal(team["ana"], c.id, "won by ana", now)
    Deal.update(stage=Stage.get(Stage.key == "won").id, closed_at=now).where(Deal.id == won.id).execute()  # won long ago
    add_deal(team["ana"], c.id, "open", now)
    reassign_client(team["mia"], c.id, "ben", now)
    data = card(team["ben"], c.id, now)  # no error for ana's closed deal
    assert [d.title for d in data.deals] == ["open"]
    assert {d.title for d in card(team["mia"], c.id, now).deals} == {"open", "won by ana"}


def test_a_manager_adding_a_deal_gives_it_to_the_clients_rep(team, now):
    c = add_client(team["ana"], now, name="Club", email="c@example.com")
    d = add_deal(team["mia"], c.id, "from the manager", now)
    assert d.owner_id == team["ana"].id
    assert [x.title for x in card(team["ana"], c.id, now).deals] == ["from the manager"]


def test_a_card_save_is_all_or_nothing(team, now):
    c = add_client(team["ana"], now, name="Club", email="c@example.com")
    d = add_deal(team["ana"], c.id, "balls", now)
    with pytest.raises(ValidationError) as exc:
        save_card(team["ana"], c.id, now, client_changes={"company": "ACME"}, client_version=1, deal_id=d.id,
                  deal_changes={"amount": "abc"}, deal_version=1)
    assert exc.value.field == "amount"
    assert Client.get_by_id(c.id).company is None and Client.get_by_id(c.id).version == 1
    save_card(team["ana"], c.id, now, client_changes={"company": "ACME"}, client_version=1, deal_id=d.id,
              deal_changes={"amount": "10.00"}, deal_version=1, agreement={"provides": "balls", "receives": "cash"},
              agreement_version=0)
    assert Client.get_by_id(c.id).company == "ACME" and Deal.get_by_id(d.id).amount_minor == 1000


def test_agreement_terms_are_guarded_by_version(team, now):
    c = add_client(team["ana"], now, name="Club", email="c@example.com")
    d = add_deal(team["ana"], c.id, "balls", now)
    upsert_agreement(team["ana"], d.id, "40 balls", "1800 EUR", now, expected_version=0)
    upsert_agreement(team["mia"], d.id, "40 balls and a pump", "1800 EUR", now, expected_version=1)
    with pytest.raises(StaleRecord) as exc:
        upsert_agreement(team["ana"], d.id, "41 balls", "1800 EUR", now, expected_version=1)
    assert "mia" in str(exc.value) and "pump" in str(exc.value)
    with pytest.raises(StaleRecord):  # someone created it meanwhile
        upsert_agreement(team["ana"], add_deal(team["ana"], c.id, "x", now).id, "a", "b", now, expected_version=1)


def test_a_save_opened_before_a_merge_is_refused(team, now):
    keep = add_client(team["ana"], now, name="John Smith", email="john@example.com")
    gone = add_client(team["ana"], now, name="J Smith", phone="+447700900123")
    opened = Client.get_by_id(keep.id).version
    merge_clients(team["ana"], keep.id, gone.id, now)
    with pytest.raises(StaleRecord):
        update_client(team["ana"], keep.id, {"notes": "typed before the merge"}, now, expected_version=opened)
    with pytest.raises(DomainError):
        merge_clients(team["ana"], gone.id, keep.id, now)  # the other way round: already merged
    with pytest.raises(DomainError):
        reassign_client(team["mia"], gone.id, "ben", now)


def test_stored_text_is_cleaned_of_escapes_and_checked_for_length(team, now):
    c = add_client(team["ana"], now, name="Evil \x1b]0;PWNED\x07 \x1b[31mred\u202e", email="e@example.com",
                   notes="line one\nline \x1b[2Jtwo")
    saved = Client.get_by_id(c.id)
    assert "\x1b" not in saved.name and "\u202e" not in saved.name and saved.name.startswith("Evil")
    assert saved.notes == "line one\nline two"
    with pytest.raises(ValidationError) as exc:
        update_client(team["ana"], c.id, {"company": "x" * 201}, now)
    assert exc.value.field == "company"
    with pytest.raises(ValidationError):
        update_client(team["ana"], c.id, {"name": "  "}, now)
    d = add_deal(team["ana"], c.id, "balls", now)
    from models.pipeline import update_deal

    with pytest.raises(ValidationError) as exc:
        update_deal(team["ana"], d.id, {"currency": "dollars"}, now)
    assert exc.value.field == "currency"
    with pytest.raises(ValidationError):
        update_deal(team["ana"], d.id, {"currency": ""}, now)


def test_a_manager_sees_only_the_teams_audit_trail(team, now):
    north = add_client(team["ana"], now, name="North Client", email="n@example.com")
    south = add_client(team["sol"], now, name="South Client", email="s@example.com")
    seen = visible_history(team["mia"])
    assert any(r["record_id"] == north.id and r["kind"] == "client" for r in seen)
    assert not any(r["record_id"] == south.id and r["kind"] == "client" for r in seen)
    assert all(r["actor"] != "sol" for r in seen)
    assert any(r["record_id"] == south.id for r in visible_history(team["dan"]) if r["kind"] == "client")


def test_settings_are_checked_when_written(team):
    from models.usecases.config import DEFAULTS, get, put

    for key, value in DEFAULTS.items():  # every default is itself a valid value
        put("mia", key, value)
    for key, bad in (("segments.bounds", {"hot": "30", "warm_from": 90, "warm_to": 120, "sleeping": 180}),
                     ("segments.bounds", {"hot": 100, "warm_from": 90, "warm_to": 120, "sleeping": 180}),
                     ("invoice.due_hours", True), ("invoice.due_hours", 99999999999),
                     ("segments.cadence", {"hot": {"every_days": "x"}}), ("sla.strategy", "fast"),
                     ("sla.minutes", {"fax": 5}), ("phone.region", "XX"), ("scoring.weights", {"luck": 5})):
        with pytest.raises(ValidationError):
            put("mia", key, bad)
    assert get("segments.bounds")["hot"] == 30


def test_losing_an_invoiced_deal_cancels_the_invoice_and_its_reminders(team, now):
    from models.reminders import sweep_reminders

    c = add_client(team["ana"], now, name="Club", email="c@example.com")
    d = add_deal(team["ana"], c.id, "balls", now, amount="300.00")
    inv = issue_invoice(team["mia"], d.id, now, installments=3, every_days=30)
    sweep_reminders(now)
    assert Reminder.select().where(Reminder.status == "pending").count() == 1
    lose_deal(team["ana"], d.id, "price", now)
    assert Invoice.get_by_id(inv.id).status == "cancelled"
    assert Reminder.select().where(Reminder.status == "pending").count() == 0
    assert sweep_reminders(now + timedelta(days=15)) == 0
    paid = add_deal(team["ana"], c.id, "kit", now, amount="50.00")
    pinv = issue_invoice(team["ana"], paid.id, now)
    record_payment(team["ana"], pinv.id, 1000, now)
    with pytest.raises(DomainError, match="credit"):
        lose_deal(team["ana"], paid.id, "price", now)
    assert Deal.get_by_id(paid.id).stage.key == "new" and Deal.get_by_id(paid.id).lost_reason is None


def test_reassign_moves_only_the_old_owners_open_work(team, now):
    from models.activities import add_task

    c = add_client(team["ana"], now, name="Club", email="c@example.com")
    mine = add_task(team["ana"], c.id, "ana's call", now + timedelta(days=1), now)
    cais = Activity.create(kind="task", rep=team["cai"].id, client=c.id, subject="cai's visit",
                           due_at=now + timedelta(days=2), created_at=now)
    reassign_client(team["mia"], c.id, "ben", now)
    assert Activity.get_by_id(mine.id).rep_id == team["ben"].id
    assert Activity.get_by_id(cais.id).rep_id == team["cai"].id
    assert any(r["action"] == "reassign" for r in visible_history(team["mia"], "activity", mine.id))


async def test_a_draft_of_a_card_no_longer_visible_is_shown_not_lost(team, now):
    from models.drafts import save_draft
    from models.reps import get_rep
    from tui.app import RepdeskApp

    c = add_client(team["ana"], now, name="Club", email="c@example.com")
    save_draft(team["ana"], f"card:{c.id}", {"client": {"notes": "my precious words"}, "deal": {}, "deal_id": None},
               now)
    reassign_client(team["dan"], c.id, "sol", now)
    app = RepdeskApp(rep=get_rep("ana"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert type(app.screen).__name__ == "InboxScreen"
        assert any("my precious words" in str(n.message) for n in app._notifications)


def test_cli_refusals_for_odd_values(db_url):
    def cli(*args):
        return run_cli(*args, db_url=db_url)

    cli("rep", "add", "ana", "--name", "Ana", "--team", "North")
    cid = cli("client", "add", "--name", "Club", "--email", "c@example.com", "--as", "ana").stdout.strip()
    did = cli("deal", "add", "--client", cid, "--title", "kit", "--amount", "10", "--as", "ana").stdout.strip()
    for args, code, words in (
            (("deal", "set", did, "amount=1e400"), 2, "not an amount"),  # no exponents (issue 12)
            (("deal", "set", did, "amount=" + "9" * 16), 2, "too large"),
            (("deal", "set", did, "currency=dollars"), 2, "currency"),
            (("invoice", "add", "--deal", did, "--amount", "-5"), 2, "positive"),
            (("task", "add", "--client", cid, "--due", "9999-12-31 23:00", "--subject", "x"), 2, "plausible"),
            (("client", "lost", cid, ""), 2, "reason"),
            (("client", "set", cid, "name="), 2, "name")):
        res = cli(*args, "--as", "ana")
        assert res.returncode == code and words in res.stderr.lower() and "unexpected" not in res.stderr, \
            (args, res.returncode, res.stderr)
    assert json.loads(cli("client", "show", cid, "--json", "--as", "ana").stdout)["name"] == "Club"


async def test_a_card_that_is_not_ours_closes_with_a_message(team, now):
    from models.reps import get_rep
    from screens.client import ClientCardScreen
    from tui.app import RepdeskApp

    other = add_client(team["sol"], now, name="South FC", email="s@example.com")
    app = RepdeskApp(rep=get_rep("ana"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(ClientCardScreen(other.id))
        await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen", what="the card to close")
        assert type(app.screen).__name__ == "InboxScreen"
        assert any("not yours" in str(n.message) for n in app._notifications)


async def test_control_characters_never_reach_the_cards_inputs(team, now):
    from models.reps import get_rep
    from screens.client import ClientCardScreen
    from tui.app import RepdeskApp

    c = add_client(team["ana"], now, name="Club", email="c@example.com")
    Client.update(name="Evil \x1b]0;PWNED\x07", notes="a\x1b[31mb").where(Client.id == c.id).execute()  # old data
    app = RepdeskApp(rep=get_rep("ana"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(ClientCardScreen(c.id))
        await until(pilot, lambda: app.screen.card is not None, what="the card to load")
        name, notes = app.screen.field_value("name"), app.screen.field_value("notes")
        assert "\x1b" not in name and "\x07" not in name and name.startswith("Evil")
        assert "\x1b" not in notes
        assert app.screen.client_edits() == {}  # showing it safely is not an edit


def test_deal_move_lost_and_deal_lose_both_cancel_the_invoice(db_url):
    def cli(*args):
        return run_cli(*args, db_url=db_url)

    cli("rep", "add", "ana", "--name", "Ana", "--team", "North")
    cid = cli("client", "add", "--name", "Club", "--email", "c@example.com", "--as", "ana").stdout.strip()
    for how in ("move", "lose"):
        did = cli("deal", "add", "--client", cid, "--title", how, "--amount", "10", "--as", "ana").stdout.strip()
        inv = cli("invoice", "add", "--deal", did, "--as", "ana").stdout.strip()
        if how == "move":
            assert cli("deal", "set", did, "lost_reason=price", "--as", "ana").returncode == 0
            res = cli("deal", "move", did, "lost", "--as", "ana")
        else:
            res = cli("deal", "lose", did, "price", "--as", "ana")
        assert res.returncode == 0, res.stderr
        shown = json.loads(cli("invoice", "show", inv, "--json", "--as", "ana").stdout)
        assert shown["status"] == "cancelled", how
