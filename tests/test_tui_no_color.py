"""Every main screen, the card and the forms paint with NO_COLOR set (Textual's monochrome filter then
runs over every line, and a widget that hands it an unstyled segment would crash the app)."""
from __future__ import annotations

from models.clients import add_client
from models.payments import issue_invoice
from models.pipeline import add_deal


async def test_every_screen_paints_with_no_color(team, now, monkeypatch):
    from models.reps import get_rep
    from tui.app import RepdeskApp

    monkeypatch.setenv("NO_COLOR", "1")
    c = add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    d = add_deal(team["ana"], c.id, "40 balls", now, amount="1800.00")
    issue_invoice(team["ana"], d.id, now)
    app = RepdeskApp(rep=get_rep("ana"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.no_color
        for key in "123456":
            await pilot.press(key)
            await pilot.pause()
            assert app.screen.is_current
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("enter")  # the card
        await pilot.pause()
        assert type(app.screen).__name__ == "ClientCardScreen"
        await pilot.press("escape", "escape", "3", "R")  # a rep: rules refused with a notification
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"


async def test_every_footer_fits_80_columns(team, now):
    """Every key in every main screen's footer is on screen at 80x24 (none cut off at the right)."""
    from textual.widgets._footer import FooterKey

    from models.reps import get_rep
    from tui.app import RepdeskApp

    add_client(team["mia"], now, name="Club Norte", email="info@clubnorte.es")
    app = RepdeskApp(rep=get_rep("mia"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        for key in "123456":
            await pilot.press(key)
            await pilot.pause()
            keys = list(app.screen.query(FooterKey))
            assert keys, key
            assert all(k.region.right <= 80 for k in keys), (key, [(k.key, k.region) for k in keys])
            assert any(k.description == "Quit" for k in keys)
