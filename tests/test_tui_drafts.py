"""Whatever a rep was typing when the line dropped comes back at the next login: the client card's
unsaved edits and the payment forms, not only the inbox forms (those are tested in test_tui_inbox and,
with a real terminal and SIGHUP, in test_terminal)."""
from __future__ import annotations

from datetime import timedelta

from models.clients import add_client
from models.payments import issue_invoice
from models.pipeline import add_deal
from models.tables import Client, Draft, Payment
from test_tui_client_card import open_first_card


def make_app(login, now):
    from models.reps import get_rep
    from tui.app import RepdeskApp

    return RepdeskApp(rep=get_rep(login), frozen_now=now, live=False)


async def test_card_edits_come_back_after_a_dropped_line(team, now):
    c = add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_first_card(pilot)
        app.screen.set_field("notes", "wants the blue kit")
        app.screen.set_field("city", "Bilbao")
        assert app.save_drafts() == 1  # what the SIGHUP handler calls
    assert Draft.get().form == f"card:{c.id}"
    assert Client.get_by_id(c.id).notes is None
    again = make_app("ana", now)
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert type(again.screen).__name__ == "ClientCardScreen"
        assert again.screen.field_value("notes") == "wants the blue kit"
        assert again.screen.field_value("city") == "Bilbao"
        await pilot.press("ctrl+s")
        await pilot.pause()
    saved = Client.get_by_id(c.id)
    assert (saved.notes, saved.city) == ("wants the blue kit", "Bilbao")
    assert Draft.select().count() == 0


async def test_an_open_card_without_edits_leaves_no_draft(team, now):
    add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_first_card(pilot)
        app.save_drafts()
    assert Draft.select().count() == 0


async def test_payment_form_comes_back_after_a_dropped_line(team, now):
    c = add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    d = add_deal(team["ana"], c.id, "40 balls", now - timedelta(days=10), amount="1800.00")
    inv = issue_invoice(team["ana"], d.id, now - timedelta(days=10))  # overdue by now
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await pilot.pause()
        app.screen.open_payment_form(inv.id, failed=True)
        await pilot.pause()
        await pilot.press(*"1800.00", "tab", "tab", *"card declined")
        await pilot.pause()
        assert app.save_drafts() == 1
    assert Draft.get().form == f"payment-failed:{inv.id}"
    again = make_app("ana", now)
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        await pilot.pause()
        assert type(again.screen).__name__ == "FormDialog"
        assert again.screen.values()["reason"] == "card declined"
        await pilot.press("ctrl+s")
        await pilot.pause()
    p = Payment.get()
    assert (p.status, p.reason, p.amount_minor) == ("failed", "card declined", 180000)


async def test_newest_draft_first_the_others_wait(team, now):
    from models.drafts import save_draft

    c = add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    save_draft(team["ana"], "phone-intake", {"name": "Grace Obi", "phone": "", "email": "", "text": "x"}, now)
    save_draft(team["ana"], f"card:{c.id}", {"client": {"notes": "later"}, "deal": {}, "deal_id": None},
               now + timedelta(minutes=1))
    save_draft(team["ana"], "someday-form", {"text": "kept"}, now + timedelta(minutes=2))
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert type(app.screen).__name__ == "ClientCardScreen"
    assert sorted(d.form for d in Draft.select()) == ["phone-intake", "someday-form"]


async def test_a_card_left_open_in_another_mode_is_kept_too(team, now):
    c = add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_first_card(pilot)
        app.screen.set_field("notes", "half a thought")
        await pilot.press("escape")  # leave the field; the card stays open under Clients
        app.action_go("inbox")
        await pilot.pause()
        assert type(app.screen).__name__ == "InboxScreen"
        assert app.save_drafts() == 1
    assert Draft.get().form == f"card:{c.id}"


async def test_a_contact_draft_that_was_going_on_to_convert_still_does(team, now):
    """The contact form's "then convert" comes back with the draft, and saving it opens the conversion."""
    from conftest import until
    from models import inbox
    from models.drafts import save_draft

    app_id = inbox.add_application("t", dict(channel="email", name="Marta Ruiz", email="marta@club.es",
                                             text="40 balls please", received_at=now - timedelta(minutes=5)), now)
    save_draft(team["ana"], f"contact:{app_id}", {"kind": "email", "note": "called", "then": "convert"}, now)
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: type(app.screen).__name__ == "FormDialog" and app.screen.values()["note"])
        assert app.screen.values() == {"kind": "email", "note": "called", "then": "convert"}
        await pilot.press("ctrl+s")
        await until(pilot, lambda: type(app.screen).__name__ == "ConvertDialog" and app.screen.preview is not None)
        assert "A new card: Marta Ruiz" in str(app.screen.query_one("#cv-client").get_option_at_index(0).prompt)
