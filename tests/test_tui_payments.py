"""Payments under Pilot: failed payments first, the shipment reason shown, `p` records a payment."""
from __future__ import annotations

from models.payments import issue_invoice, record_payment
from models.tables import Client, Deal, Stage


async def test_payments_screen(team, now):
    from models.reps import get_rep
    from tui.app import RepdeskApp

    c = Client.create(name="Club", owner=team["ana"], team=team["ana"].team_id, created_at=now, updated_at=now)
    d = Deal.create(client=c, owner=team["ana"], team=team["ana"].team_id, title="Balls", amount_minor=50000,
                    currency="EUR", stage=Stage.get(Stage.key == "invoiced"), stage_changed_at=now, created_at=now,
                    updated_at=now)
    inv = issue_invoice(team["ana"], d.id, now)
    record_payment(team["ana"], inv.id, 50000, now, failed=True, reason="card declined")
    app = RepdeskApp(rep=get_rep("ana"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await pilot.pause()
        text = str(app.screen.query_one("#pay").render())
        assert "Failed payments to follow up (1)" in text and "card declined" in text
        assert "no signed agreement" in text
        await pilot.press("p")
        await pilot.pause()
        await pilot.press(*str(inv.id), "tab", *"200.00", "ctrl+s")
        await pilot.pause()
        assert "Received today (1)" in str(app.screen.query_one("#pay").render())
        await pilot.press("u")
        await pilot.pause()
        assert "Failed payments to follow up (0)" in str(app.screen.query_one("#pay").render())
