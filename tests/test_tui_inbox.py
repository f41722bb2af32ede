"""The workstation under Pilot: screens switch, the inbox keys do what the footer says."""
from __future__ import annotations

from datetime import timedelta

import pytest

from models import inbox
from models.tables import Application

CONCRETE = "We need 40 Pro Match Ball size 5 delivered to Valencia before 5 December. Budget 1,800 EUR."

from conftest import settle


@pytest.fixture
def filled(team, catalog, now):
    ids = {}
    ids["concrete"] = inbox.add_application("t", dict(channel="website", name="Marta Ruiz", email="marta@club.es",
                                                      phone="+34 612 345 678", text=CONCRETE,
                                                      received_at=now - timedelta(minutes=20)), now)
    ids["vague"] = inbox.add_application("t", dict(channel="email", email="info@mailbox.example",
                                                   text="How much does your product cost?",
                                                   received_at=now - timedelta(minutes=90)), now)
    ids["markup"] = inbox.add_application("t", dict(channel="social", name="[bold]Evil[/bold]",
                                                    text="hi \x1b]0;owned\x07 [red]there[/red]",
                                                    received_at=now - timedelta(minutes=5)), now)
    return ids


def make_app(team, login, now):
    from models.reps import get_rep
    from tui.app import RepdeskApp

    return RepdeskApp(rep=get_rep(login), login=login, frozen_now=now, live=False)


def screen_text(app) -> str:
    """What the person sees: the text of every Static and LinePane and of the list's visible lines."""
    from textual.widgets import Static

    from tui.widgets.linepane import LinePane

    out = [str(w.render()) for w in app.screen.query("*") if isinstance(w, (Static, LinePane))]
    for lst in app.screen.query("RecordList"):
        for y in range(lst.size.height):
            out.append("".join(seg.text for seg in lst.render_line(y)))
    return "\n".join(out)


async def test_starts_on_inbox_switches_screens_and_quits(filled, team, now):
    app = make_app(team, "ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await settle(pilot)
        assert app.screen.__class__.__name__ == "InboxScreen"
        text = screen_text(app)
        assert "Ana Alvarez" in text
        for key, name in (("2", "ClientsScreen"), ("3", "PipelineScreen"), ("4", "PaymentsScreen"),
                          ("5", "TodayScreen"), ("6", "ReportsScreen"), ("1", "InboxScreen")):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen.__class__.__name__ == name
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code in (0, None)


async def test_inbox_order_reasons_and_literal_text(filled, team, now):
    app = make_app(team, "ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await settle(pilot)
        await pilot.pause()
        lst = app.screen.query_one("RecordList")
        rows = [lst.render_line(y) for y in range(3)]
        first = "".join(s.text for s in rows[0])
        assert "Marta Ruiz" in first  # the most specific first
        detail = str(app.screen.query_one("#detail").render())
        assert "BALL-PRO5" in detail  # why it ranks there
        for _ in range(3):
            if f"#{filled['markup']} " in str(app.screen.query_one("#detail").render()):
                break
            await pilot.press("j")
            await settle(pilot)
        text = screen_text(app)
        assert f"#{filled['markup']} " in text
        assert "[bold]Evil[/bold]" in text and "[red]there[/red]" in text  # markup shown literally
        assert "\x1b" not in text and "\x07" not in text and "\u241b]0;owned" in text  # escapes made visible


async def test_claim_contact_and_filter_keys(filled, team, now):
    app = make_app(team, "ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        assert Application.get_by_id(filled["concrete"]).owner.login == "ana"
        await pilot.press("c")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "FormDialog"
        await pilot.press("tab")
        await pilot.press(*"called back")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert Application.get_by_id(filled["concrete"]).status == "contacted"
        assert app.screen.__class__.__name__ == "InboxScreen"
        # channel filter
        await pilot.press("f", "f")  # phone, email
        await app.workers.wait_for_complete()
        await pilot.pause()
        lst = app.screen.query_one("RecordList")
        assert [r.channel for r in lst.rows] == ["email"]
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(lst.rows) == 2
        # full-text filter
        await pilot.press("slash", *"product", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [r.id for r in lst.rows] == [filled["vague"]]


async def test_transfer_and_close_need_a_reason(filled, team, now):
    app = make_app(team, "ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "FormDialog"  # refused: no reason
        assert "required" in str(app.screen.query_one("#e-reason").render())
        assert app.screen.focused.id == "f-reason"  # the cursor is on the missing field
        await pilot.press(*"duplicate", "ctrl+s")
        await pilot.pause()
        assert Application.get_by_id(filled["concrete"]).status == "closed"


async def test_phone_intake_validates_as_you_type(filled, team, now):
    app = make_app(team, "ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"Peter Hall", "tab", *"12", "tab")
        await pilot.pause()
        assert "not" in str(app.screen.query_one("#e-phone").render())
        await pilot.press("shift+tab")
        for _ in range(2):
            await pilot.press("backspace")
        await pilot.press(*"+44 7700 900123", "tab", "tab")
        await pilot.press(*"two GOAL-12X6 steel goals by end of January")
        await pilot.press("ctrl+s")
        await pilot.pause()
        a = Application.select().where(Application.name == "Peter Hall").get()
        assert a.channel == "phone" and a.phone == "+447700900123" and a.score > 0


async def test_enter_opens_the_application(filled, team, now):
    app = make_app(team, "ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "ApplicationScreen"
        await pilot.press("a")  # claim from the detail
        await pilot.pause()
        assert app.screen.__class__.__name__ == "InboxScreen"
        assert Application.get_by_id(filled["concrete"]).owner.login == "ana"


async def test_other_sessions_changes_appear_without_a_key(filled, team, now):
    from tui.app import RepdeskApp

    app = make_app(team, "ana", now)
    app.live = True
    RepdeskApp.LIVE_POLL_SECONDS = 0.2
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await settle(pilot)
            lst = app.screen.query_one("RecordList")
            assert len(lst.rows) == 3
            import threading

            def other_session():
                from models.db import database

                with database.connection_context():
                    inbox.add_application("other", dict(channel="phone", name="New Caller", phone="+447700900777",
                                                        text="needs 10 BALL-FUT", received_at=now), now)

            t = threading.Thread(target=other_session)
            t.start()
            t.join()
            for _ in range(20):
                await pilot.pause(0.1)
                if len(lst.rows) == 4:
                    break
            assert len(lst.rows) == 4
    finally:
        RepdeskApp.LIVE_POLL_SECONDS = 1.0


def test_inbox_snapshot_80x24(db, filled, team, now, snap_compare):
    if not db.startswith("sqlite"):
        pytest.skip("one picture is enough: the snapshot is taken on SQLite")
    assert snap_compare(make_app(team, "ana", now), terminal_size=(80, 24), run_before=settle)


async def test_quarantine_is_shown_literally(filled, team, now):
    from models.intake import intake_jsonl

    intake_jsonl("t", '{"channel": "fax", "name": "[bold]x[/bold]", "text": "hi"}\n', "upload.jsonl", now)
    app = make_app(team, "mia", now)  # the quarantine is a manager's (every team's contacts are in it)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await settle(pilot)
        await pilot.press("Q")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "QuarantineScreen"
        text = "\n".join(str(w.render()) for w in app.screen.query("Static"))
        assert "upload.jsonl line 1" in text and "channel must be one of" in text and "[bold]x[/bold]" in text
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "InboxScreen"


async def test_lost_database_keeps_the_form(filled, team, now, monkeypatch):
    from peewee import OperationalError

    import models.inbox

    app = make_app(team, "ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"Grace Obi", "tab", *"+234 803 123 4567", "tab", "tab", *"60 BALL-TRN4")

        def down(*a, **k):
            raise OperationalError("could not connect to server")

        monkeypatch.setattr(models.inbox, "add_applications", down)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "FormDialog"
        assert "unreachable" in str(app.screen.query_one("#e-form").render())
        assert app.screen.values()["name"] == "Grace Obi"
        monkeypatch.undo()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "InboxScreen"


async def test_a_contact_draft_reopens_on_its_application(filled, team, now):
    from models.drafts import save_draft

    save_draft(team["ana"], f"contact:{filled['vague']}", {"kind": "email", "note": "half a sentence"}, now)
    app = make_app(team, "ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await settle(pilot)
        await settle(pilot)
        assert app.screen.__class__.__name__ == "FormDialog"
        assert app.screen.form_id == f"contact:{filled['vague']}"
        assert app.screen.values()["note"] == "half a sentence"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert Application.get_by_id(filled["vague"]).status == "contacted"


async def test_transfer_lists_the_other_reps(filled, team, now):
    app = make_app(team, "ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "FormDialog"
        await pilot.press("tab", *"speaks German", "ctrl+s")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "InboxScreen"
        assert Application.get_by_id(filled["concrete"]).transfers == 1


def test_detail_pane_lists_every_reason_and_the_list_a_short_one(filled, now):
    """Issue 14: the detail shows every reason with its points and quoted words (they add up to the score);
    the list's short form keeps only the labels."""
    import json

    from models.usecases.inbox import InboxRow
    from screens.inbox_detail import compact_reason, pane_text, short_reasons

    app = Application.get_by_id(filled["concrete"])
    reasons = tuple(json.loads(app.reasons))
    assert sum(int(r.split(" ", 1)[0]) for r in reasons if r[:1] in "+-") == app.score
    row = InboxRow(id=app.id, channel=app.channel, received_at=app.received_at, name=app.name, email=app.email,
                   phone=app.phone, subject="", text=app.text, score=app.score, reasons=reasons, owner=None,
                   due_at=app.due_at, status=app.status, first_contact_at=None, client_id=None, duplicate_of=None,
                   transfers=0, version=1)
    shown = " ".join(" ".join(t.plain for t, _ in pane_text(row, now, None)).split())
    assert f"Why: {app.score} = " in shown and all(compact_reason(r) in shown for r in reasons)
    # each reason's points and quoted words, the label's repeat of the words left out
    assert all(r.split(" ", 1)[0] in compact_reason(r) and r.rsplit(": ", 1)[-1] in compact_reason(r)
               for r in reasons if ": '" in r)
    short = short_reasons(reasons)
    assert short.startswith("BALL-PRO5 x40; deadline 5 Dec; budget 1,800 EUR")  # "names BALL-PRO5" is implied
    assert "'" not in short and "+" not in short


def test_a_reason_does_not_say_its_words_twice():
    from screens.inbox_detail import compact_reason

    assert compact_reason("+31 names BIB-SET10: 'BIB-SET10'") == "+31 names 'BIB-SET10'"
    assert compact_reason("+31 names BIB-SET10: 'bib-set10'") == "+31 names 'bib-set10'"  # the text's words
    assert compact_reason("+10 date: Sunday: 'Sunday'") == "+10 date: 'Sunday'"
    assert compact_reason("+8 payment: invoice to: 'invoice to'") == "+8 payment: 'invoice to'"
    for kept in ("+31 names BALL-PRO5: 'Pro Match Ball'", "+18 BIB-SET10 x25, PUMP-HD x1: '25 BIB-SET10', '1 PUMP-HD'",
                 "vague request", "+5 organisation: 'league'", "+4 names X: 'X' and more"):
        assert compact_reason(kept) == kept


async def test_the_detail_pane_keeps_a_line_for_each_part_at_80x24(filled, team, now):
    """On 24 lines the pane has four: who, when and why (two lines, cut with '…'), the text; a taller
    terminal gets a taller pane with the reasons in full."""
    from tui.widgets.linepane import LinePane

    app = make_app(team, "ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one("#detail", LinePane)
        assert pane.outer_size.height == 5
        lines = [pane.render_line(y).text.rstrip() for y in range(4)]
        assert lines[0].startswith("#") and "Marta Ruiz <marta@club.es> +34 612 345 678" in lines[0]
        assert lines[1].startswith("due in ") and "Why: " in lines[1]
        assert lines[2].endswith("…") and "Valencia" in lines[3]  # more reasons than two lines hold
        await pilot.resize_terminal(100, 40)
        await settle(pilot)
        assert pane.outer_size.height == 9
        tall = [pane.render_line(y).text.rstrip() for y in range(8)]
        assert not any(line.endswith("…") for line in tall[:4]) and "Valencia" in " ".join(tall[2:])


async def test_escape_and_a_key_read_together_are_escape_then_the_key(filled, team, now):
    """ESC j arriving in one read is parsed as alt+j: the app takes it as Escape (the filter field is left)
    and then j (the cursor moves), never a 'j' typed into the field."""
    from tui.app import escaped_key
    from textual import events

    assert escaped_key(events.Key("alt+j", "j")).key == "j"
    assert escaped_key(events.Key("alt+shift+g", "G")).key == "G"
    assert escaped_key(events.Key("alt+5", "5")).key == "5"
    assert escaped_key(events.Key("alt+left", None)) is None and escaped_key(events.Key("j", "j")) is None
    app = make_app(team, "ana", now)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lst = app.screen.query_one("RecordList")
        await pilot.press("slash", *"ba")
        field = app.focused
        assert field is not None and field.__class__.__name__ == "Input"
        start = lst.cursor
        await pilot.press("alt+j", "j")     # ESC j read together, then another j
        for _ in range(100):                # until the held keys have been let through
            if app._held_keys is None and lst.cursor == start + 2:
                break
            await pilot.pause(0.02)
        assert field.value == "ba"          # no 'j' typed into the filter
        assert app.focused is lst           # the Escape left the field
        assert lst.cursor == start + 2      # and both j moved the cursor, in order


async def test_a_page_read_before_the_first_paint_is_shown_and_the_list_goes_on_past_it(team, catalog, now):
    from models.reps import get_rep
    from models.usecases import inbox as uc

    for i in range(50):
        inbox.add_application("t", dict(channel="email", email=f"p{i}@example.com", text=f"{CONCRETE} ({i})",
                                        received_at=now - timedelta(minutes=i)), now)
    everything = [r.id for r in uc.inbox_rows(get_rep("ana"), limit=100)]
    app = make_app(team, "ana", now)
    app.first_page = uc.first_page(get_rep("ana"), lines=10)  # 40 of the 50 rows, as run_tui reads them
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lst = app.screen.query_one("RecordList")
        assert app.first_page is None and lst.total == 50 and lst.current.id == everything[0]
        for _ in range(45):  # past the preloaded rows: the list reads the next page itself
            await pilot.press("j")
        await settle(pilot)
        assert lst.current.id == everything[45]
