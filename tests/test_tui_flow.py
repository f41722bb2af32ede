"""Issue 11 in the TUI: one order end to end with keys only (Pilot, 80x24), from an application in the inbox
to a won deal: `v` converts it into a client card and a deal with lines, `l` adds a line, the deal's fields
are typed in, `>` moves it through Qualified, Proposal and Negotiation, `T` `s` `S` set the agreement's
terms, send it and record it signed (the deal moves to Agreement signed by itself). Invoicing, payment and
the order live on the Payments screen (another part of issue 11); they are driven through models calls here
and the open card shows each automatic move. And every new key of the inbox and the card, pressed at 80x24,
does something a user notices."""
from __future__ import annotations

from datetime import timedelta

from conftest import until
from models import inbox
from models.audit import history
from models.tables import Activity, Application, Client, Deal, DealLine

CONCRETE = "We need 40 Pro Match Ball size 5 delivered to Valencia before 5 December. Budget 1,800 EUR."


def make_app(login, now):
    from models.reps import get_rep
    from tui.app import RepdeskApp

    return RepdeskApp(rep=get_rep(login), login=login, frozen_now=now, live=False)


def name(app) -> str:
    return type(app.screen).__name__


def shown(app, selector) -> str:
    return str(app.screen.query_one(selector).render())


def screen_text(app) -> str:
    """What the person sees: the text of every Static and Label on the screen, and the list's lines."""
    from textual.widgets import Static

    from tui.widgets.linepane import LinePane

    out = [str(w.render()) for w in app.screen.query("*") if isinstance(w, (Static, LinePane))]
    for options in app.screen.query("OptionList"):
        out.extend(str(options.get_option_at_index(i).prompt) for i in range(options.option_count))
    for lst in app.screen.query("RecordList"):
        for y in range(lst.size.height):
            out.append("".join(seg.text for seg in lst.render_line(y)))
    return "\n".join(out)


def stage(deal_id: int) -> str:
    return Deal.get_by_id(deal_id).stage.key


def application(now, text=CONCRETE, **extra) -> int:
    return inbox.add_application("t", dict(dict(channel="website", name="Marta Ruiz", email="marta@club.es",
                                                phone="+34 612 345 678", text=text,
                                                received_at=now - timedelta(minutes=20)), **extra), now)


async def inbox_to_signed(pilot, app, app_id: int) -> int:
    """From the inbox to a deal in Agreement signed, with keys only; returns the deal's id."""
    await until(pilot, lambda: "Marta Ruiz" in screen_text(app), what="the inbox")
    # v: the conversion preview (a new card, the proposed line at the catalog price)
    await pilot.press("v")
    await until(pilot, lambda: name(app) == "ConvertDialog" and app.screen.preview is not None,
                what="the conversion preview")
    text = screen_text(app)
    assert "A new card: Marta Ruiz" in text and "BALL-PRO5 Pro Match Ball size 5" in text
    assert "1,596.00 EUR" in text and "UTC" in text  # the total; the time names its zone
    await pilot.press("tab", "tab", *"50")  # client list -> title -> quantity (selected on focus)
    await pilot.press("enter")
    await until(pilot, lambda: name(app) == "ClientCardScreen" and app.screen.card is not None,
                what="the new client's card")
    a = Application.get_by_id(app_id)
    deal = Deal.get(Deal.application == app_id)
    assert a.status == "converted" and a.client_id == deal.client_id
    assert [(x.product.sku, x.quantity) for x in DealLine.select().where(DealLine.deal == deal.id)] == \
        [("BALL-PRO5", 50)]
    assert app.screen.tabs.active == "tab-deals" and app.focused.id == "deals"
    assert "50 x BALL-PRO5" in shown(app, "#deal-lines")
    # l: a second line, the catalog price
    await pilot.press("l")
    await until(pilot, lambda: name(app) == "FormDialog")
    await pilot.press(*"GOAL-7X5", "tab", *"2", "ctrl+s")
    await until(pilot, lambda: name(app) == "ClientCardScreen" and "2 x GOAL-7X5" in shown(app, "#deal-lines"))
    assert Deal.get_by_id(deal.id).amount_minor == 50 * 3990 + 2 * 18900
    # >: the gate lists what Qualified needs and puts the cursor on the first one (the rep qualifies the need)
    await pilot.press("greater_than_sign")
    await until(pilot, lambda: app.focused is not None and app.focused.id == "d-need")
    await pilot.press(*"Kit for the season", "tab", *"2,400 EUR", "tab", *"before 5 December", "tab",
                      *"Marta Ruiz", "tab", *"2026-12-04", "escape")  # and the expected close
    for target in ("qualified", "proposal", "negotiation"):
        await pilot.press("greater_than_sign")
        await until(pilot, lambda: stage(deal.id) == target, what=f"the deal in {target}")
    await until(pilot, lambda: "moved to Negotiation" in shown(app, "#card-msg"))
    # T s S: the agreement's terms, sent, signed: the deal moves to Agreement signed by itself
    await pilot.press("T")
    await until(pilot, lambda: app.focused is not None and app.focused.id == "d-provides")
    await pilot.press(*"50 match balls and 2 goals", "tab", *"2,373.00 EUR", "ctrl+s", "escape")
    await pilot.press("s")
    await until(pilot, lambda: "sent for signature" in shown(app, "#card-msg"))
    await pilot.press("S")
    await until(pilot, lambda: name(app) == "FormDialog")
    await pilot.press("ctrl+s")  # signed by the client (the name is filled in)
    await until(pilot, lambda: name(app) == "ClientCardScreen" and "is in Agreement signed" in
                shown(app, "#card-msg"), what="the deal in Agreement signed")
    assert stage(deal.id) == "agreement_signed"
    assert "Agreement signed" in shown(app, "#gate")
    return deal.id


def assert_the_trail(deal_id: int) -> None:
    """Every automatic move is in the audit trail with its cause; the hand moves are the rep's."""
    follows = [h for h in reversed(history("deal", deal_id)) if h["action"] == "follow"]
    assert [h["new"] for h in follows] == ["agreement_signed", "invoiced", "paid", "shipped", "won"]
    assert all(h.get("cause") for h in follows), follows
    moves = [h["new"] for h in reversed(history("deal", deal_id)) if h["action"] == "move"]
    assert moves == ["qualified", "proposal", "negotiation"]


async def test_one_order_from_the_inbox_to_won_with_keys(team, catalog, now):
    """The card's part with keys; invoice, payment and order by models calls, the open card following."""
    from models import orders, payments
    from models.reps import get_rep

    app_id = application(now)
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        deal_id = await inbox_to_signed(pilot, app, app_id)
        ana = get_rep("ana")
        inv = payments.issue_invoice(ana, deal_id, now)
        payments.record_payment(ana, inv.id, Deal.get_by_id(deal_id).amount_minor, now)
        order = orders.create_order(ana, deal_id, now, address="Calle Mayor 1, 46001 Valencia")
        orders.ship_order(ana, order.id, now)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: "Shipped" in shown(app, "#gate") and "order" in shown(app, "#gate"),
                    what="the card showing Shipped")
        orders.deliver_order(ana, order.id, now)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: stage(deal_id) == "won" and "Won" in shown(app, "#gate"))
    assert_the_trail(deal_id)


async def select_row(pilot, app, kind: str) -> None:
    """Move the Payments list's cursor (j, then k) to the first row of KIND."""
    for key in ["g"] + ["j"] * 30:
        await pilot.press(key)
        await until(pilot, lambda: True)
        if app.screen.current is not None and app.screen.current.kind == kind:
            return
    raise AssertionError(f"no {kind} row on the Payments screen")


async def test_one_order_from_the_inbox_to_won_keys_only(team, catalog, now):
    """The whole order with keys only: the card's keys, then the Payments screen's (4): i invoice, p payment,
    w order, S shipped, D delivered; each automatic move is audited with its cause."""
    from models.tables import Order

    app_id = application(now)
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        deal_id = await inbox_to_signed(pilot, app, app_id)
        await pilot.press("escape")  # the card, back to the inbox
        await until(pilot, lambda: name(app) == "InboxScreen")
        await pilot.press("4")
        await until(pilot, lambda: name(app) == "PaymentsScreen")
        await pilot.press("i")
        await until(pilot, lambda: name(app) == "FormDialog")
        await pilot.press("ctrl+s")  # the deal's lines make the amount; one due date
        await until(pilot, lambda: stage(deal_id) == "invoiced", what="the deal invoiced")
        await until(pilot, lambda: name(app) == "PaymentsScreen")
        await select_row(pilot, app, "inv")
        await pilot.press("p")
        await until(pilot, lambda: name(app) == "FormDialog")
        await pilot.press(*"2373.00", "ctrl+s")
        await until(pilot, lambda: stage(deal_id) == "paid", what="the deal paid")
        await until(pilot, lambda: name(app) == "PaymentsScreen")
        await select_row(pilot, app, "ship")
        await pilot.press("w")
        await until(pilot, lambda: name(app) == "FormDialog")
        await pilot.press(*"Calle Mayor 1, 46001 Valencia", "ctrl+s")
        await until(pilot, lambda: Order.select().where(Order.deal == deal_id).exists(), what="the order")
        await until(pilot, lambda: name(app) == "PaymentsScreen")
        await select_row(pilot, app, "order")
        await pilot.press("S")
        await until(pilot, lambda: stage(deal_id) == "shipped", what="the deal shipped")
        await select_row(pilot, app, "order")
        await pilot.press("D")
        await until(pilot, lambda: stage(deal_id) == "won", what="the deal won")
    assert_the_trail(deal_id)


def footer_fits(app) -> list[str]:
    """The footer's keys, every one of them on screen at 80 columns."""
    from textual.widgets._footer import FooterKey

    keys = list(app.screen.query(FooterKey))
    assert keys and all(k.region.right <= 80 for k in keys), [(k.key, k.region) for k in keys]
    return [k.description for k in keys]


def palette(app) -> set[str]:
    return {c.title for c in app.get_system_commands(app.screen)}


async def test_the_inbox_keys_convert(team, catalog, now):
    first = application(now)
    second = application(now, name="Pedro Gil", email="pedro@gil.es", phone="+34 699 111 222",
                         text="Two GOAL-7X5 goals for our school, please call me.")
    app = make_app("ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "Marta Ruiz" in screen_text(app), what="the inbox")
        assert "Convert" in footer_fits(app) and "Convert" in palette(app)
        assert "received 08:40 UTC" in shown(app, "#detail")  # the rep's zone, named
        # v, then escape: nothing is converted
        await pilot.press("v")
        await until(pilot, lambda: name(app) == "ConvertDialog" and app.screen.preview is not None)
        footer_fits(app)
        await pilot.press("escape")
        await until(pilot, lambda: name(app) == "InboxScreen")
        assert Application.get_by_id(first).status == "new"
        # enter, then v in the detail; enter on the card choice converts; the card opens on the new deal
        await pilot.press("enter")
        await until(pilot, lambda: name(app) == "ApplicationScreen" and "UTC" in shown(app, "#app-detail"))
        assert "Convert" in footer_fits(app)
        await pilot.press("v")
        await until(pilot, lambda: name(app) == "ConvertDialog" and app.screen.preview is not None)
        await pilot.press("enter")
        await until(pilot, lambda: name(app) == "ClientCardScreen" and app.screen.card is not None)
        deal = Deal.get(Deal.application == first)
        assert app.screen.deal_id == deal.id and "BALL-PRO5" in shown(app, "#deal-lines")
        assert Client.get_by_id(deal.client_id).email == "marta@club.es"
        # c, "then convert": the first contact is logged and the conversion follows
        await pilot.press("escape")
        await until(pilot, lambda: name(app) == "InboxScreen" and "Pedro Gil" in screen_text(app))
        await pilot.press("c")
        await until(pilot, lambda: name(app) == "FormDialog")
        await pilot.press("tab", *"called back", "tab", "enter", "down", "enter", "ctrl+s")
        await until(pilot, lambda: name(app) == "ConvertDialog" and app.screen.preview is not None)
        assert Application.get_by_id(second).status == "contacted"
        assert "GOAL-7X5" in screen_text(app)
        await pilot.press("tab", "tab", "tab", *"150.00", "ctrl+s")  # the price, edited (selected on focus)
        await until(pilot, lambda: name(app) == "ClientCardScreen" and app.screen.card is not None)
        line = DealLine.get(DealLine.deal == Deal.get(Deal.application == second).id)
        assert (line.quantity, line.unit_price_minor) == (2, 15000)


async def test_every_new_card_key_at_80x24(team, catalog, now):
    from models import payments
    from models.clients import add_client
    from models.pipeline import add_deal
    from models.reps import add_rep, get_rep

    eva = add_rep("admin", "eva", "Eva Estrada", "rep", "North", timezone="Europe/Madrid", now=now)
    c = add_client(eva, now, name="Club Norte", email="info@clubnorte.es")
    d = add_deal(eva, c.id, "40 balls", now)
    lost = add_deal(eva, c.id, "2 goals", now, amount="378.00")
    invoice = payments.issue_invoice(get_rep("eva"), lost.id, now)
    app = make_app("eva", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await until(pilot, lambda: "Club Norte" in screen_text(app))
        await pilot.press("enter")
        await until(pilot, lambda: name(app) == "ClientCardScreen" and app.screen.card is not None)
        await pilot.press("escape", "d")  # out of the name field, to the Deals tab
        await until(pilot, lambda: app.focused is not None and app.focused.id == "deals")
        assert "Add line" in footer_fits(app)
        commands = palette(app)
        for title in ("Add line", "Remove a line", "Agreement terms", "Send agreement", "Agreement signed",
                      "Client lost", "Schedule call/meeting", "Move on", "Move back", "Lost deal"):
            assert title in commands, title
        await pilot.press("j")  # the newer deal is listed first
        await until(pilot, lambda: app.screen.deal_id == d.id)
        # l: a line at a price of its own; L: removed again
        await pilot.press("l")
        await until(pilot, lambda: name(app) == "FormDialog")
        await pilot.press(*"BALL-FUT", "tab", *"3", "tab", *"20.00", "enter")
        await until(pilot, lambda: name(app) == "ClientCardScreen" and "3 x BALL-FUT" in shown(app, "#deal-lines"))
        assert "at 20.00 EUR = 60.00 EUR" in shown(app, "#deal-lines")
        assert Deal.get_by_id(d.id).amount_minor == 6000
        await pilot.press("L")
        await until(pilot, lambda: name(app) == "FormDialog")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: name(app) == "ClientCardScreen" and not app.screen.query_one("#deal-lines").display)
        assert not DealLine.select().where(DealLine.deal == d.id).exists()
        # T: the agreement's terms; s sends it; S records it signed (the deal stays in New: its gate does not hold)
        await pilot.press("T")
        await until(pilot, lambda: app.focused is not None and app.focused.id == "d-provides")
        await pilot.press(*"40 balls", "tab", *"1,596.00 EUR", "ctrl+s", "escape")
        await pilot.press("s")
        await until(pilot, lambda: "sent for signature" in shown(app, "#card-msg"))
        assert "agreement sent" in shown(app, "#gate")
        await pilot.press("S")
        await until(pilot, lambda: name(app) == "FormDialog")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "is signed by Club Norte. Deal" in shown(app, "#card-msg"))
        assert "agreement signed" in shown(app, "#gate") and stage(d.id) == "new"
        # m: a call scheduled in the rep's zone, shown with the zone named
        await pilot.press("m")
        await until(pilot, lambda: name(app) == "FormDialog")
        await pilot.press("tab", *"the league order", "tab", *"2026-11-24 15:30", "ctrl+s")
        await until(pilot, lambda: name(app) == "ClientCardScreen" and "Tue 24 Nov 15:30 CET" in shown(app, "#activity"))
        call = Activity.get(Activity.subject.contains("the league order"))
        assert call.kind == "call" and call.due_at.hour == 14 and call.done_at is None  # 15:30 CET is 14:30 UTC
        assert "Times in Europe/Madrid (CET)" in shown(app, "#activity")
        # >: a move; <: back again
        await pilot.press("d", "greater_than_sign")
        await until(pilot, lambda: "Cannot move to qualified" in shown(app, "#gate"))
        await pilot.press(*"balls", "tab", *"1,600", "tab", *"December", "tab", *"Marta", "escape", "greater_than_sign")
        await until(pilot, lambda: stage(d.id) == "qualified" and "moved to Qualified" in shown(app, "#card-msg"))
        await pilot.press("less_than_sign")
        await until(pilot, lambda: stage(d.id) == "new" and "moved to New" in shown(app, "#card-msg"))
        # ctrl+l: the other deal lost through models.flow (its unpaid invoice is cancelled)
        await pilot.press("k")  # the newer deal is listed first
        await until(pilot, lambda: app.screen.deal_id == lost.id)
        await pilot.press("ctrl+l")
        await until(pilot, lambda: name(app) == "FormDialog")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: name(app) == "ClientCardScreen" and stage(lost.id) == "lost")
        assert "is lost" in shown(app, "#card-msg")
        from models.tables import Invoice

        assert Invoice.get_by_id(invoice.id).status == "cancelled"
        # X: the client lost, with a reason from the list
        await pilot.press("X")
        await until(pilot, lambda: name(app) == "FormDialog")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: name(app) == "ClientCardScreen" and "lost:" in shown(app, "#status"))
        assert Client.get_by_id(c.id).lost_reason
