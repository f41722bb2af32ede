"""First run on an empty database: the app explains what to do, and `d` loads demo data and signs in."""
from __future__ import annotations


async def test_empty_database_explains_and_loads_demo(db, now):
    from tui.app import RepdeskApp

    app = RepdeskApp(rep=None, login="someone", frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.__class__.__name__ == "WelcomeScreen"
        text = "\n".join(str(w.render()) for w in app.screen.query("Static"))
        assert "repdesk rep add" in text and "press  d" in text
        await pilot.press("1")  # nothing to switch to yet: no crash
        await pilot.press("d")
        await app.workers.wait_for_complete()
        for _ in range(50):
            await pilot.pause(0.1)
            if app.screen.__class__.__name__ == "InboxScreen":
                break
        assert app.screen.__class__.__name__ == "InboxScreen"
        assert app.rep.login == "demo"
