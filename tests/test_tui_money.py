"""Issue 11, every step of the money and the goods in the TUI, by keys only, at 80x24: `i` issues an
invoice (with or without installments), `c`/`d` credit and debit notes (a rep's credit note waits for a
manager and leaves the balance alone), a manager's "waiting for me" list (`a` on Payments) approves or
rejects, `w` makes the order (the client's address prefilled), `S` ships it, `D` delivers it, and the
deal's stage follows each step."""
from __future__ import annotations

from datetime import timedelta

import pytest

from models.clients import add_client
from models.payments import sign_agreement, upsert_agreement
from models.pipeline import add_deal, add_line, update_deal
from models.tables import Deal, InstallmentPlan, Invoice, Note, Order

from conftest import settle


@pytest.fixture
def deal(team, now, catalog):
    """ana's deal for Club Norte, qualified fields filled and its agreement signed (so it sits in
    Agreement signed): ready to be invoiced."""
    ana = team["ana"]
    c = add_client(ana, now, name="Club Norte", email="pagos@clubnorte.es", address="Calle Mayor 1",
                   city="Madrid", country="ES")
    d = add_deal(ana, c.id, "40 match balls", now - timedelta(days=3))
    add_line(ana, d.id, "BALL-PRO5", 10, now, price_minor=5000)  # 500.00 EUR
    update_deal(ana, d.id, dict(need="balls", budget="500", timeline="Dec", decision_maker="Marta",
                                products="40 match balls", expected_close="2026-12-15"), now)
    upsert_agreement(ana, d.id, "40 match balls", "500 EUR", now)
    sign_agreement(ana, d.id, now, signed_by="Marta")
    return d.id


def make_app(login, now):
    from models.reps import get_rep
    from tui.app import RepdeskApp

    return RepdeskApp(rep=get_rep(login), login=login, frozen_now=now, live=False)


def lines(app) -> list[str]:
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


def stage(deal_id: int) -> str:
    return Deal.get_by_id(deal_id).stage.key


async def open_payments(pilot) -> None:
    await pilot.press("4")
    await settle(pilot)
    assert pilot.app.screen.__class__.__name__ == "PaymentsScreen"


async def select(pilot, key: str) -> None:
    await pilot.press("g")
    for _ in range(60):
        if selected(pilot.app) == key:
            return
        await pilot.press("j")
    raise AssertionError(f"row {key} not found in {lines(pilot.app)}")


def footer_keys(app) -> list[str]:
    from textual.widgets._footer import FooterKey

    keys = list(app.screen.query(FooterKey))
    assert all(k.region.right <= 80 for k in keys)
    return [k.description for k in keys]


async def test_invoice_credit_note_waits_approval_order_ship_deliver(deal, team, now):
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_payments(pilot)
        assert "Invoice" in footer_keys(app) and "Waiting" not in footer_keys(app)  # a rep decides nothing
        await pilot.press("i")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "FormDialog"
        assert app.screen.values()["deal"] == str(deal)  # the open deal, offered in the list
        await pilot.press("ctrl+s")  # one due date, the deal's amount
        await settle(pilot)
        assert app.screen.__class__.__name__ == "PaymentsScreen"
        inv = Invoice.get(Invoice.deal == deal)
        assert any(f"Invoice {inv.number} issued for deal {deal}: 500.00 EUR" in n for n in notes(app))
        assert selected(app) == f"inv:{inv.id}"  # the cursor is on the new invoice
        assert "500.00 EUR" in section(app, "Open invoices")[0]
        assert stage(deal) == "invoiced"  # the deal's stage followed the invoice

        await pilot.press("c")  # a rep's credit note: it waits for a manager
        await settle(pilot)
        await pilot.press(*"50", "tab", *"late delivery", "ctrl+s")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "PaymentsScreen"
        note = Note.get(Note.invoice == inv.id)
        assert note.status == "proposed"
        assert any("waits for a manager's approval; the balance stays 500.00 EUR" in n for n in notes(app))
        assert section(app, "Open invoices")[0].split()[1:3] == ["500.00", "EUR"]  # the balance is unchanged
        await pilot.press("enter")  # the invoice view says the note waits
        await settle(pilot)
        body = str(app.screen.query_one("#pay-detail-body").render())
        assert "WAITING for a manager" in body and "late delivery" in body and "Times in" in body
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("d")  # a debit note changes the balance at once
        await settle(pilot)
        await pilot.press(*"10", "tab", *"delivery", "ctrl+s")
        await settle(pilot)
        assert any("balance now 510.00 EUR" in n for n in notes(app))

    app = make_app("mia", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_payments(pilot)
        assert "Waiting" in footer_keys(app)
        assert "1 waiting for you (a)" in str(app.screen.query_one("#status").render())
        await pilot.press("a")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "ApprovalsScreen"
        table = app.screen.query_one("DataTable")
        assert table.row_count == 1 and str(table.get_row_at(0)[0]) == "credit note"
        assert "late delivery" in str(app.screen.query_one("#approvals-detail").render())
        await pilot.press("a")  # approve
        await settle(pilot)
        assert Note.get_by_id(note.id).status == "approved"
        assert any("Balance now 460.00 EUR" in n for n in notes(app))
        assert table.row_count == 0
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "PaymentsScreen"
        assert "460.00 EUR" in section(app, "Open invoices")[0]
        assert "waiting for you" not in str(app.screen.query_one("#status").render())

    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_payments(pilot)
        await select(pilot, f"inv:{inv.id}")
        await pilot.press("p", *"460", "ctrl+s")
        await settle(pilot)
        assert stage(deal) == "paid"
        assert section(app, "Open invoices") == []
        await select(pilot, f"ship:{deal}")
        await pilot.press("w")  # the order: the address comes from the client
        await settle(pilot)
        assert app.screen.__class__.__name__ == "FormDialog"
        assert app.screen.values()["address"] == "Calle Mayor 1, Madrid, ES"
        await pilot.press("ctrl+s")
        await settle(pilot)
        order = Order.get(Order.deal == deal)
        assert order.status == "forwarded" and order.address == "Calle Mayor 1, Madrid, ES"
        assert [x.sku for x in order.lines] == ["BALL-PRO5"]
        assert selected(app) == f"order:{order.id}"
        assert "FORWARDED" in section(app, "Orders")[0]
        await pilot.press("S")
        await settle(pilot)
        assert Order.get_by_id(order.id).status == "shipped" and stage(deal) == "shipped"
        assert "SHIPPED" in section(app, "Orders")[0]
        assert any(f"Order {order.id} shipped; deal {deal} is now Shipped" in n for n in notes(app))
        await select(pilot, f"order:{order.id}")
        await pilot.press("D")
        await settle(pilot)
        assert Order.get_by_id(order.id).status == "delivered" and stage(deal) == "won"
        assert any("is now Won" in n for n in notes(app))
        assert section(app, "Orders") == []  # delivered: off the list


async def test_installments_wait_for_a_manager_who_rejects_or_approves(deal, team, now):
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_payments(pilot)
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("tab", "tab", *"0", "ctrl+s")  # 0 parts: refused under the field
        await settle(pilot)
        assert app.screen.__class__.__name__ == "FormDialog"
        assert "Installments is a whole number" in str(app.screen.query_one("#e-installments").render())
        await pilot.press("backspace", *"3", "tab", "end", "backspace", "backspace", *"7", "ctrl+s")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "PaymentsScreen"
        inv = Invoice.get(Invoice.deal == deal)
        plan = InstallmentPlan.get(InstallmentPlan.invoice == inv.id)
        assert (plan.parts, plan.every_days, plan.status) == (3, 7, "proposed")
        assert any("in 3 installments; the plan waits for a manager's approval" in n for n in notes(app))
        assert "plan proposed" in section(app, "Open invoices")[0]
    app = make_app("mia", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_payments(pilot)
        await pilot.press("a")
        await settle(pilot)
        table = app.screen.query_one("DataTable")
        assert str(table.get_row_at(0)[0]) == "plan" and inv.number in str(table.get_row_at(0)[1])
        await pilot.press("x")  # reject
        await settle(pilot)
        assert InstallmentPlan.get_by_id(plan.id).status == "rejected"
        assert table.row_count == 0
        await pilot.press("escape")
        await settle(pilot)
        assert "plan rejected" in section(app, "Open invoices")[0]


async def test_a_rep_has_no_waiting_key_and_c_on_a_shipment_row_explains(deal, team, now):
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_payments(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "PaymentsScreen"
        await select(pilot, f"ship:{deal}")
        await pilot.press("c")
        await settle(pilot)
        assert any("A credit note goes on an invoice" in n for n in notes(app))
        await pilot.press("S")
        await settle(pilot)
        assert any("S ships an order" in n for n in notes(app))
        await pilot.press("w")  # not paid yet: refused with the reason, no form
        await settle(pilot)
        assert app.screen.__class__.__name__ == "PaymentsScreen"
        assert any("cannot go to the warehouse yet: not paid" in n for n in notes(app))
        assert Order.select().count() == 0
