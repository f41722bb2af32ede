"""Nothing happens unseen (issue 11): notices derived from what is recorded since the rep last looked,
scoped by role; the counter, marking seen, `repdesk notices`, the toast and the list in the workstation,
and times in the rep's zone with the zone named (CLI and screen). Both engines (the `db` fixture)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from conftest import run_cli, until

from models.tables import Client, Deal, Order, Rep, Stage


def make_deal(owner, now, amount=100000, name="Club"):
    c = Client.create(name=name, email=f"{name.lower()}@example.com", owner=owner, team=owner.team_id,
                      created_at=now, updated_at=now)
    return Deal.create(client=c, owner=owner, team=owner.team_id, title="Balls", stage=Stage.get(Stage.key == "new"),
                       amount_minor=amount, currency="EUR", stage_changed_at=now, created_at=now, updated_at=now)


def kinds(actor, now):
    from models.usecases.notices import notices_view

    return sorted(n.kind for n in notices_view(actor, now).items)


def test_each_rep_hears_only_what_concerns_them(team, now):
    from models.activities import create_task
    from models.inbox import add_application, claim, transfer
    from models.payments import issue_invoice, record_payment

    r = team
    t0 = now - timedelta(hours=2)
    for login in r:  # everyone looked two hours ago
        Rep.update(notices_seen_at=t0).where(Rep.login == login).execute()
    app_id = add_application("web", {"channel": "website", "name": "Olga", "email": "olga@example.com",
                                     "text": "need 10 cones"}, now - timedelta(minutes=50))
    claim(r["ben"], app_id, now - timedelta(minutes=40))
    transfer(r["ben"], app_id, "ana", "I am off sick", now - timedelta(minutes=30))
    deal = make_deal(r["ana"], now)
    inv = issue_invoice(r["ana"], deal.id, now - timedelta(minutes=20))
    record_payment(r["mia"], inv.id, 5000, now - timedelta(minutes=10), failed=True, reason="card declined")
    create_task("t", r["ana"].id, "Call Marta", now - timedelta(minutes=5), now=t0)
    create_task("t", r["ana"].id, "Later today", now + timedelta(hours=3), now=t0)  # not due yet
    create_task("t", r["ben"].id, "Ben's own", now - timedelta(minutes=5), now=t0)
    other = make_deal(r["sol"], now, name="Southern")
    Order.create(deal=other, status="shipped", created_at=t0, shipped_at=now - timedelta(minutes=1))

    # ana: the new application (now hers), the move to her, the failed payment on her deal (recorded by
    # mia), her task due - not the task due later
    assert kinds(r["ana"], now) == ["application", "payment_failed", "task_due", "transfer"]
    # ben moved it himself (no news) and sees his own task; the application is his no longer
    assert kinds(r["ben"], now) == ["task_due"]
    # mia, the manager: the team's new application and move, not the payment she recorded herself
    assert kinds(r["mia"], now) == ["application", "transfer"]
    # sol (South): the order shipped on his deal, nothing of North
    assert kinds(r["sol"], now) == ["order_shipped"]
    # dan, the director, takes no applications and owns no deal: nothing is "his"
    assert kinds(r["dan"], now) == []
    # a new open application reaches every rep who works the inbox, and the manager
    add_application("web", {"channel": "email", "name": "Piet", "email": "piet@example.com",
                            "text": "prices?"}, now)
    assert "application" in kinds(r["sol"], now) and "application" in kinds(r["mia"], now)
    assert "application" not in kinds(r["dan"], now)
    from models.usecases.notices import notices_view

    ana = notices_view(r["ana"], now)
    texts = " | ".join(n.text for n in ana.items)
    assert "moved from ben to you: I am off sick" in texts
    assert f"Payment failed on {inv.number} (50.00 EUR, Club): card declined" in texts
    assert "Due now: Call Marta" in texts
    assert ana.items[0].at >= ana.items[-1].at  # newest first


def test_decisions_reach_the_rep_and_approvals_wait_for_the_manager(team, now):
    from models.payments import add_note, approve_plan, decide_note, issue_invoice, record_payment
    from models.usecases.notices import notices_view

    r = team
    d1, d2 = make_deal(r["ana"], now, name="Alpha"), make_deal(r["ana"], now, name="Beta")
    inv1 = issue_invoice(r["ana"], d1.id, now, installments=3, every_days=30)  # a rep's plan waits
    inv2 = issue_invoice(r["ana"], d2.id, now)
    record_payment(r["ana"], inv2.id, 40000, now)
    note = add_note(r["ana"], inv2.id, "credit", 1000, "scuffed ball", now)  # above the rep's limit: waits
    assert notices_view(r["mia"], now).approvals == 2
    assert notices_view(r["dan"], now).approvals == 2     # a director decides anyone's
    assert notices_view(r["ana"], now).approvals == 0     # a rep decides nothing
    assert notices_view(r["sol"], now).approvals == 0
    later = now + timedelta(minutes=5)
    approve_plan(r["mia"], inv1.id, later)
    decide_note(r["mia"], note.id, False, later)
    ana = notices_view(r["ana"], later + timedelta(minutes=1))
    texts = [n.text for n in ana.items if n.kind in ("plan_decided", "note_decided")]
    assert f"Installment plan of {inv1.number} approved by mia" in texts
    assert any(t.startswith(f"Credit note #{note.id} on {inv2.number}") and t.endswith("rejected by mia")
               for t in texts)
    assert notices_view(r["mia"], later).approvals == 0
    assert "plan_decided" not in kinds(r["mia"], later + timedelta(minutes=1))  # she decided it herself


def test_opening_the_notices_marks_them_seen_and_the_counter_starts_again(team, now):
    from models.activities import create_task
    from models.usecases.notices import notices_view, open_notices

    ana = team["ana"]
    create_task("t", ana.id, "Call Marta", now - timedelta(minutes=5), now=now - timedelta(days=1))
    view = notices_view(ana, now)
    assert view.count == 1 and view.counter == "1 new"
    assert notices_view(ana, now).count == 1  # reading is not looking
    opened = open_notices(ana, now)
    assert [n.text for n in opened.items] == ["Due now: Call Marta"]
    assert Rep.get_by_id(ana.id).notices_seen_at == now
    assert notices_view(ana, now + timedelta(minutes=1)).counter == ""
    create_task("t", ana.id, "Send the kit", now + timedelta(minutes=10), now=now)
    assert notices_view(ana, now + timedelta(minutes=11)).count == 1  # falls due after the look


def test_the_counter_is_bounded(team, now):
    from models.activities import create_task
    from models.notices import CAP
    from models.usecases.notices import notices_view

    for i in range(CAP + 5):
        create_task("t", team["ana"].id, f"Task {i}", now - timedelta(minutes=1 + i), now=now - timedelta(days=1))
    view = notices_view(team["ana"], now, limit=20)
    assert len(view.items) == 20 and view.count == CAP and view.more and view.counter == "99+ new"


def test_notices_are_frozen_data(team, now, plain):
    from models.usecases.notices import notices_view

    plain(notices_view(team["ana"], now))


def test_cli_notices_in_the_reps_zone_and_marks_seen(db_url):
    def cli(*args, login="eva"):
        return run_cli(*args, "--as", login, "--now", "2026-12-03T14:40:00Z", db_url=db_url)

    assert run_cli("rep", "add", "eva", "--name", "Eva", "--team", "North", "--timezone", "Europe/Madrid",
                   db_url=db_url).returncode == 0
    cid = cli("client", "add", "--name", "Marta", "--email", "marta@example.com").stdout.strip()
    proc = cli("task", "add", "--client", cid, "--due", "2026-12-03 15:30", "--subject", "Call Marta")
    assert proc.returncode == 0, proc.stderr
    later = ["--now", "2026-12-03T14:45:00Z"]  # 15:45 in Madrid: the task is due
    proc = run_cli("notices", "--json", "--peek", "--as", "eva", *later, db_url=db_url)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["count"] == 1 and data["notices"][0]["at"] == "2026-12-03T15:30:00+01:00"
    proc = run_cli("notices", "--as", "eva", *later, db_url=db_url)
    assert "2026-12-03 15:30 CET  Task due: Due now: Call Marta" in proc.stdout
    proc = run_cli("notices", "--as", "eva", *later, db_url=db_url)  # looked: nothing new
    assert "Nothing new since 2026-12-03 15:45 CET" in proc.stdout


def test_clock_formatters_name_the_zone():
    from models.clock import iso_local, shown, stamp

    t = datetime(2026, 12, 3, 14, 30)  # naive UTC
    assert stamp(t, "Europe/Madrid") == "2026-12-03 15:30 CET"
    assert stamp("2026-07-03T14:30:00+00:00", "Europe/Madrid") == "2026-07-03 16:30 CEST"
    assert stamp(None, "UTC") == "-"
    assert iso_local(t, "Europe/Madrid") == "2026-12-03T15:30:00+01:00"
    assert shown(t, "Europe/Madrid", datetime(2026, 12, 3, 9, 0)) == "15:30 CET"
    assert shown(t, "Europe/Madrid", datetime(2026, 12, 1, 9, 0)) == "Thu 03 Dec 15:30 CET"
    assert shown(t, "Europe/Madrid", datetime(2025, 1, 1)) == "03 Dec 2026 15:30 CET"
    assert shown(t, "America/New_York", with_zone=False) == "Thu 03 Dec 09:30"


async def test_a_failed_payment_elsewhere_is_a_toast_and_the_counter(team, now):
    from models.payments import issue_invoice, record_payment
    from models.reps import get_rep
    from screens.notices import NoticesScreen
    from tui.app import RepdeskApp

    Rep.update(timezone="Europe/Madrid").where(Rep.login == "ana").execute()
    deal = make_deal(team["ana"], now)
    inv = issue_invoice(team["ana"], deal.id, now - timedelta(hours=1))
    app = RepdeskApp(rep=get_rep("ana"), frozen_now=now, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.current_mode == "inbox")
        status = lambda: str(app.screen.query_one("#status").content)  # noqa: E731
        assert "Fri 20 Nov 10:00 CET" in status()  # 09:00 UTC, in ana's zone, the zone named
        app.refresh_notices()  # the first look (on start): nothing new yet
        await until(pilot, lambda: app.notices is not None)
        assert app.notices.count == 0 and "! " not in status()
        # mia, in another session, records a failed payment with markup-looking text on ana's deal
        record_payment(team["mia"], inv.id, 5000, now, failed=True, reason="[bold]card[/bold] declined")
        app.frozen_now = now + timedelta(seconds=5)
        app.notify_changed()  # what the live poll does when the database changed
        await until(pilot, lambda: any("[bold]card[/bold] declined" in str(n.message)
                                       for n in app._notifications), what="the toast, as plain text")
        await until(pilot, lambda: "! 1 new" in status(), what="the counter in the status line")
        await pilot.press("exclamation_mark")
        await until(pilot, lambda: isinstance(app.screen, NoticesScreen) and app.screen.view is not None)
        table = app.screen.query_one("#notices")
        assert table.row_count == 1 and "Payment failed" in str(table.get_row_at(0)[1])
        assert str(table.get_row_at(0)[0]) == "10:00" and "CET" in str(app.screen.query_one("#notices-title").content)
        await until(pilot, lambda: Rep.get_by_id(team["ana"].id).notices_seen_at is not None)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, NoticesScreen))
        assert "! " not in status()
