"""Payments under Pilot: one list in sections (failed payments first), keys that act on the selected row
(p pay, F failed, u followed up, s send the reminder, o the deal, enter the invoice), refusals shown,
role scope, and an 80x24 snapshot."""
from __future__ import annotations

from datetime import timedelta

import pytest

from models.clients import add_client
from models.payments import issue_invoice, record_payment
from models.pipeline import add_deal
from models.tables import Client, Installment, InstallmentPlan, Payment, Reminder

from conftest import settle


@pytest.fixture
def books(team, now):
    """ana: an overdue invoice with a failed card payment, a payment received today on a second deal
    (its client's name has markup and an escape sequence in it), a plan approved by mia (3 parts, the
    first due this week; the sweep put its issue reminder in the outbox). ben (same team): one overdue
    invoice. sol (South): one overdue invoice."""
    from models.reminders import sweep_reminders

    ana, ben, sol, mia = team["ana"], team["ben"], team["sol"], team["mia"]
    ids = {}
    c1 = add_client(ana, now, name="Club Norte", email="pagos@clubnorte.es")
    d1 = add_deal(ana, c1.id, "40 match balls", now - timedelta(days=6), amount="500.00")
    ids["overdue"] = issue_invoice(ana, d1.id, now - timedelta(days=5)).id  # due 2 days ago
    ids["failed"] = record_payment(ana, ids["overdue"], 50000, now - timedelta(hours=20), method="card",
                                   failed=True, reason="card declined [red]twice[/red]").id
    c2 = add_client(ana, now, name="[bold]Evil[/bold] FC", phone="+34612345678")
    # a name stored before names were cleaned (or written by another tool): the screen must still be safe
    Client.update(name="[bold]Evil[/bold] \x1b]0;owned\x07FC").where(Client.id == c2.id).execute()
    d2 = add_deal(ana, c2.id, "Nets", now, amount="300.00")
    ids["today_invoice"] = issue_invoice(ana, d2.id, now - timedelta(hours=3)).id
    ids["today"] = record_payment(ana, ids["today_invoice"], 20000, now - timedelta(hours=1)).id
    c3 = add_client(ana, now, name="Academia Sur", email="info@academiasur.es")
    d3 = add_deal(ana, c3.id, "Training kit", now - timedelta(days=2), amount="900.00")
    ids["plan"] = issue_invoice(mia, d3.id, now - timedelta(days=1), installments=3, every_days=7).id
    ids["part1"] = Installment.select().join(InstallmentPlan).where(
        (InstallmentPlan.invoice == ids["plan"]) & (Installment.seq == 1)).get().id
    sweep_reminders(now)
    ids["reminder"] = Reminder.select().where(Reminder.invoice == ids["plan"]).get().id
    cb = add_client(ben, now, name="Ben's Club", email="ben@club.example")
    ids["ben"] = issue_invoice(ben, add_deal(ben, cb.id, "Goals", now, amount="120.00").id,
                               now - timedelta(days=4)).id
    cs = add_client(sol, now, name="South FC", phone="+34612345679")
    ids["sol"] = issue_invoice(sol, add_deal(sol, cs.id, "Cones", now, amount="80.00").id,
                               now - timedelta(days=4)).id
    return ids


def make_app(login, now):
    from models.reps import get_rep
    from tui.app import RepdeskApp

    return RepdeskApp(rep=get_rep(login), login=login, frozen_now=now, live=False)


def lines(app) -> list[str]:
    """The list as the rep reads it, one string per line (section headers included)."""
    return [str(o.prompt) for o in app.screen.query_one("#pay-list").options]


def section(app, title: str) -> list[str]:
    out, inside = [], False
    for line in lines(app):
        if not line.startswith(("  ", "▸ ")):
            inside = line.startswith(title)
        elif inside:
            out.append(line[2:])
    return out


def selected(app) -> str | None:
    option = app.screen.query_one("#pay-list").highlighted_option
    return option.id if option is not None else None


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]




async def open_payments(pilot):
    await pilot.press("4")
    await settle(pilot)
    assert pilot.app.screen.__class__.__name__ == "PaymentsScreen"


async def select(pilot, key: str) -> None:
    """Move the cursor with the keys (g, then j) to the row whose id is KEY."""
    await pilot.press("g")
    for _ in range(40):
        if selected(pilot.app) == key:
            return
        await pilot.press("j")
    raise AssertionError(f"row {key} not found in {lines(pilot.app)}")


async def test_sections_failed_first_and_text_literal(books, now):
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_payments(pilot)
        heads = [x for x in lines(app) if not x.startswith(("  ", "▸ "))]
        # issue 11 adds the open invoices (notes go on them), the orders at the warehouse and the refunds due
        assert heads == ["Failed payments to follow up (1)", "Overdue invoices (1)", "Installments due this week (1)",
                         "Reminders to send (1)", "Received today (1)", "Open invoices (2)", "Shipments waiting (3)",
                         "Orders at the warehouse (0)", "Refunds due (0)"]
        assert selected(app) == f"failed:{books['failed']}"  # the cursor starts on the first failed payment
        assert "card declined [red]twice[/red]" in section(app, "Failed")[0]  # markup shown literally
        assert "500.00 EUR" in section(app, "Overdue")[0] and "2 days late" in section(app, "Overdue")[0]
        assert "part 1/3" in section(app, "Installments")[0]
        assert "Academia Sur" in section(app, "Reminders")[0]
        assert "200.00 EUR" in section(app, "Received today")[0]
        ship = "\n".join(section(app, "Shipments"))
        assert "no signed agreement" in ship
        assert "[bold]Evil[/bold] \u241b" in ship and "\x1b" not in ship  # markup literal, escapes made visible
        totals = str(app.screen.query_one("#pay-totals").render())
        assert "Open 1,500.00 EUR" in totals and "overdue 500.00 EUR" in totals and "received today 200.00 EUR" in totals
        # the detail pane explains the selected row in full
        assert "Reason: card declined [red]twice[/red]" in str(app.screen.query_one("#pay-detail-text").render())
        # j/k skip the headers, g/G go to the ends, no wrap-around
        await pilot.press("j")
        assert selected(app) == f"overdue:{books['overdue']}"
        await pilot.press("k", "k")
        assert selected(app) == f"failed:{books['failed']}"
        await pilot.press("G")
        assert selected(app).startswith("ship:")
        await pilot.press("j")
        assert selected(app).startswith("ship:")


async def test_record_payment_until_paid_leaves_overdue(books, now):
    from models.payments import get_invoice, invoice_dict

    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_payments(pilot)
        key = f"overdue:{books['overdue']}"
        await select(pilot, key)
        await pilot.press("p")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "FormDialog"
        await pilot.press(*"200.00", "ctrl+s")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "PaymentsScreen"
        assert invoice_dict(get_invoice(app.rep, books["overdue"]), now)["balance"] == "300.00"
        assert "300.00 EUR" in section(app, "Overdue")[0]
        assert selected(app) == key  # the cursor stays on the row after the reload
        assert any("balance now 300.00 EUR" in n for n in notes(app))
        await pilot.press("p")
        await settle(pilot)
        await pilot.press(*"300", "tab", *"cash", "ctrl+s")
        await settle(pilot)
        assert invoice_dict(get_invoice(app.rep, books["overdue"]), now)["status"] == "paid"
        assert section(app, "Overdue") == []
        assert key not in app.screen.rows and selected(app) is not None  # the cursor moved to a row nearby
        assert len(section(app, "Received today")) == 3
        assert any("paid in full" in n for n in notes(app))


async def test_bad_amount_refused_and_form_keeps_it(books, now):
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_payments(pilot)
        await select(pilot, f"overdue:{books['overdue']}")
        await pilot.press("p")
        await settle(pilot)
        await pilot.press(*"1.005", "ctrl+s")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "FormDialog"
        assert "more than 2 decimals" in str(app.screen.query_one("#e-amount").render())
        assert app.screen.values()["amount"] == "1.005"
        # a refusal from the model (more than the balance): a notification, and the form keeps the text
        for _ in range(5):
            await pilot.press("backspace")
        await pilot.press(*"900", "ctrl+s")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "FormDialog"
        assert "overpayment is refused" in str(app.screen.query_one("#e-amount").render())
        assert any("overpayment is refused" in n for n in notes(app))
        assert app.screen.values()["amount"] == "900"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "PaymentsScreen"
    assert Payment.select().where((Payment.invoice == books["overdue"]) & (Payment.status == "ok")).count() == 0


async def test_failed_payment_opens_task_then_followed_up(books, now, team):
    from models.activities import open_tasks

    app = make_app("mia", now)  # the manager records it on ana's invoice: the task is ana's
    async with app.run_test(size=(80, 24)) as pilot:
        await open_payments(pilot)
        await select(pilot, f"overdue:{books['ben']}")
        await pilot.press("F")
        await settle(pilot)
        await pilot.press(*"120.00", "tab", "tab")
        await pilot.press("ctrl+s")  # no reason: refused by the form
        await settle(pilot)
        assert app.screen.__class__.__name__ == "FormDialog"
        await pilot.press(*"bank returned it", "ctrl+s")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "PaymentsScreen"
        p = Payment.select().where((Payment.invoice == books["ben"]) & (Payment.status == "failed")).get()
        tasks = [t for t in open_tasks(team["ben"]) if t.origin == f"failed-payment:{p.id}"]
        assert len(tasks) == 1 and "bank returned it" in tasks[0].subject
        assert any("follow-up task is open for Ben Brown" in n for n in notes(app))
        failed = section(app, "Failed")
        assert len(failed) == 2 and "bank returned it" in failed[0]  # newest first, at the top
        await select(pilot, f"failed:{p.id}")
        await pilot.press("u")
        await settle(pilot)
        assert Payment.get_by_id(p.id).followed_up_at == now
        assert not [t for t in open_tasks(team["ben"]) if t.origin == f"failed-payment:{p.id}"]
        assert len(section(app, "Failed")) == 1
        assert f"failed:{p.id}" not in app.screen.rows


async def test_keys_that_do_not_apply_explain(books, now):
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_payments(pilot)
        await select(pilot, f"overdue:{books['overdue']}")
        await pilot.press("s")
        await settle(pilot)
        assert any("s sends a reminder" in n for n in notes(app))
        await pilot.press("u")
        await settle(pilot)
        assert any("u marks a failed payment followed up" in n for n in notes(app))
        await pilot.press("G", "p")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "PaymentsScreen"
        assert any("A shipment row is a deal" in n for n in notes(app))
        # a refusal from the model: the payment was already followed up elsewhere
        from models.payments import mark_followed_up

        mark_followed_up(app.rep, books["failed"], now)
        await select(pilot, f"failed:{books['failed']}")
        await pilot.press("u")
        await settle(pilot)
        assert any("was already followed up" in n for n in notes(app))
        assert section(app, "Failed") == []  # and the list was read again


async def test_send_reminder_in_a_worker(books, now, monkeypatch):
    import models.reminders

    sent = []

    class FakeTransport:
        def send(self, message):
            sent.append(message)

    monkeypatch.setattr(models.reminders, "transport_for", lambda channel: FakeTransport())
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_payments(pilot)
        await select(pilot, f"rem:{books['reminder']}")
        await pilot.press("s")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert Reminder.get_by_id(books["reminder"]).status == "sent"
        assert len(sent) == 1 and sent[0].recipient == "info@academiasur.es" and "Academia Sur" in sent[0].text
        assert any("sent by email to info@academiasur.es" in n for n in notes(app))
        assert section(app, "Reminders") == []


async def test_send_reminder_failure_is_shown(books, now, monkeypatch):
    import models.reminders

    class Refusing:
        def send(self, message):
            raise ValueError("relay said no \x1b[31m")

    monkeypatch.setattr(models.reminders, "transport_for", lambda channel: Refusing())
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_payments(pilot)
        await select(pilot, f"rem:{books['reminder']}")
        await pilot.press("s")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert Reminder.get_by_id(books["reminder"]).status == "failed"
        shown = [n for n in notes(app) if "was not sent" in n]
        assert shown and "relay said no" in shown[0] and "\x1b" not in shown[0]
        assert "FAILED" in section(app, "Reminders")[0]  # still in the outbox, to retry


async def test_rep_sees_own_manager_sees_team(books, now):
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_payments(pilot)
        keys = set(app.screen.rows)
        assert f"overdue:{books['overdue']}" in keys
        assert f"overdue:{books['ben']}" not in keys and f"overdue:{books['sol']}" not in keys
    app = make_app("mia", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_payments(pilot)
        keys = set(app.screen.rows)
        assert {f"overdue:{books['overdue']}", f"overdue:{books['ben']}"} <= keys
        assert f"overdue:{books['sol']}" not in keys
        assert len(section(app, "Overdue")) == 2


async def test_enter_shows_the_invoice_and_o_the_deal(books, now):
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_payments(pilot)
        await pilot.press("enter")  # on the failed payment
        await settle(pilot)
        assert app.screen.__class__.__name__ == "PaymentDetailScreen"
        body = str(app.screen.query_one("#pay-detail-body").render())
        assert "Balance" in body and "500.00 EUR" in body and "Club Norte" in body
        assert "FAILED: card declined [red]twice[/red]" in body
        await pilot.press("escape")
        await settle(pilot)
        await select(pilot, f"inst:{books['part1']}")
        await pilot.press("enter")
        await settle(pilot)
        body = str(app.screen.query_one("#pay-detail-body").render())
        assert "Installments" in body and "approved by mia" in body and "due 26 Nov 2026" in body
        await pilot.press("escape")
        await settle(pilot)
        await select(pilot, f"today:{books['today']}")
        await pilot.press("o")  # the deal's client card, on its Deals tab
        await settle(pilot)
        assert app.screen.__class__.__name__ == "ClientCardScreen"
        assert app.screen.query_one("TabbedContent").active == "tab-deals"
        assert app.screen.query_one("#d-title").value.startswith("Nets")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "PaymentsScreen"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("p")  # from the detail: record a payment on the same row's invoice
        await settle(pilot)
        assert app.screen.__class__.__name__ == "FormDialog"
        await pilot.press(*"100", "ctrl+s")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "PaymentsScreen"
        assert len(section(app, "Received today")) == 2
        await pilot.press("G")  # a shipment waiting: enter shows the deal and why it is held
        await settle(pilot)
        assert selected(app).startswith("ship:")
        await pilot.press("enter")
        await settle(pilot)
        body = str(app.screen.query_one("#pay-detail-body").render())
        assert "Deal" in body and "no signed agreement" in body and "\x1b" not in body


async def test_reload_on_data_change_keeps_the_cursor(books, now):
    from tui.app import DataChanged

    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_payments(pilot)
        key = f"today:{books['today']}"
        await select(pilot, key)
        record_payment(app.rep, books["overdue"], 1000, now)  # another session
        app.screen.post_message(DataChanged())
        await pilot.pause()
        await settle(pilot)
        assert len(section(app, "Received today")) == 2
        assert selected(app) == key
        await pilot.press("r")
        await settle(pilot)
        assert selected(app) == key


def test_payments_snapshot_80x24(db, books, now, snap_compare):
    if not db.startswith("sqlite"):
        pytest.skip("one picture is enough: the snapshot is taken on SQLite")
    async def open_and_wait(pilot):
        await pilot.press("4")
        await settle(pilot)

    assert snap_compare(make_app("ana", now), terminal_size=(80, 24), press=["j"], run_before=open_and_wait)


async def test_long_list_scrolls_with_headers(team, now):
    ana = team["ana"]
    c = add_client(ana, now, name="Big Club", email="pay@big.example")
    for n in range(25):
        d = add_deal(ana, c.id, f"order {n}", now, amount="10.00")
        issue_invoice(ana, d.id, now - timedelta(days=4))
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_payments(pilot)
        lst = app.screen.query_one("#pay-list")
        assert len(section(app, "Overdue")) == 25 and selected(app).startswith("overdue:")
        assert lst.scroll_offset.y == 0  # the headers above the first row are on screen
        await pilot.press("G")
        await settle(pilot)
        assert selected(app).startswith("ship:") and lst.scroll_offset.y > 0
        await pilot.press("g")
        await settle(pilot)
        assert lst.scroll_offset.y == 0
        for _ in range(30):
            await pilot.press("j")
        await settle(pilot)
        assert selected(app).startswith("ship:")
        assert lst.scroll_offset.y > 0
        for _ in range(30):
            await pilot.press("k")
        await settle(pilot)
        assert selected(app) == lst.get_option_at_index(2).id  # the first overdue row (no wrap-around)
        assert lst.scroll_offset.y == 0  # with the headers above it on screen again


async def test_w_sends_a_ready_deal_to_the_warehouse(team, now, catalog):
    from models.payments import sign_agreement, upsert_agreement
    from models.pipeline import add_line
    from models.tables import Order

    ana = team["ana"]
    # issue 11: an order takes its lines from the deal and needs a delivery address (the client's, prefilled)
    c = add_client(ana, now, name="Club Norte", email="pagos@clubnorte.es", address="Calle Mayor 1", city="Madrid")
    d = add_deal(ana, c.id, "40 match balls", now)
    add_line(ana, d.id, "BALL-PRO5", 10, now, price_minor=5000)
    inv = issue_invoice(ana, d.id, now)
    record_payment(ana, inv.id, 50000, now)  # paid, but no signed agreement yet
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_payments(pilot)
        await select(pilot, f"ship:{d.id}")
        await pilot.press("w")
        await settle(pilot)
        assert any("no signed agreement" in n for n in notes(app))
        assert Order.select().count() == 0
        upsert_agreement(ana, d.id, "40 balls", "500 EUR", now)
        sign_agreement(ana, d.id, now, signed_by="Marta")
        await pilot.press("r")
        await settle(pilot)
        await select(pilot, f"ship:{d.id}")
        await pilot.press("w")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "FormDialog"
        assert app.screen.values()["address"] == "Calle Mayor 1, Madrid"
        await pilot.press("ctrl+s")
        await settle(pilot)
        order = Order.get(Order.deal == d.id)
        assert order.status == "forwarded"
        assert any(f"Order {order.id} forwarded" in n for n in notes(app))
        assert f"ship:{d.id}" not in app.screen.rows  # it left the waiting list
