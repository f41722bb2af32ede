"""Reminders: at the plan's issue (one message with the schedule), at mid-term and on the eve of each part;
never after the part is paid, never twice (sweep run repeatedly, and by 4 processes at once, on both
engines); the outbox is role-scoped; sending through a real (local) SMTP server and an SMS command."""
from __future__ import annotations

import json
import multiprocessing as mp
import socketserver
import sys
import threading
from datetime import timedelta

import pytest

from models.errors import NothingToDo, PermissionDenied
from models.payments import approve_plan, cancel_invoice, issue_invoice, record_payment
from models.reminders import (ReminderNotSent, SmsCommandTransport, SmtpTransport, moments, outbox, send_reminder,
                              sweep_reminders)
from models.tables import Client, Deal, Reminder, Setting, Stage

D = timedelta(days=1)


def _plan(team, now, parts=2, every=10, email="club@example.com", phone=None, approve_at=None, owner="ana"):
    rep = team[owner]
    c = Client.create(name="Club Ltd", email=email, phone=phone, owner=rep, team=rep.team_id, created_at=now,
                      updated_at=now)
    d = Deal.create(client=c, owner=rep, team=rep.team_id, title="t", amount_minor=20000, currency="EUR",
                    stage=Stage.get(Stage.key == "invoiced"), stage_changed_at=now, created_at=now, updated_at=now)
    inv = issue_invoice(rep, d.id, now, installments=parts, every_days=every)
    approve_plan(team["mia"] if owner != "sol" else team["dan"], inv.id, approve_at or now)
    return inv


def kinds():
    return sorted((r.installment.seq if r.installment_id else 0, r.kind, r.status) for r in Reminder.select())


def test_moments_issue_mid_eve(now):
    assert moments(now, now + 10 * D) == [("issue", now), ("mid", now + 5 * D), ("eve", now + 9 * D)]
    # coinciding moments merge: a 2-day part has its mid-term on its eve; a 1-day part's eve is its issue
    assert moments(now, now + 2 * D) == [("issue", now), ("eve", now + D)]
    assert moments(now, now + D) == [("issue", now), ("mid", now + D / 2)]


def test_exactly_at_issue_mid_and_eve_never_twice(team, now):
    inv = _plan(team, now)  # parts due on day 10 and day 20
    assert sweep_reminders(now - timedelta(minutes=1)) == 0
    assert sweep_reminders(now) == 1  # the issue message, with the schedule
    assert sweep_reminders(now) == 0
    issue = Reminder.get(Reminder.kind == "issue")
    assert "200.00 EUR outstanding" in issue.text and "part 2: 100.00 EUR due 10 Dec 2026" in issue.text
    assert sweep_reminders(now + 5 * D - timedelta(seconds=1)) == 0
    assert sweep_reminders(now + 5 * D) == 1  # mid-term of part 1
    assert sweep_reminders(now + 9 * D) == 1  # eve of part 1
    assert sweep_reminders(now + 10 * D) == 1  # mid-term of part 2 (day 10)
    assert sweep_reminders(now + 19 * D) == 1  # eve of part 2
    for k in range(0, 25):  # however often it runs
        assert sweep_reminders(now + k * D) == 0
    assert [k[:2] for k in kinds()] == [(0, "issue"), (1, "eve"), (1, "mid"), (2, "eve"), (2, "mid")]
    assert all(r.channel == "email" and r.recipient == "club@example.com" for r in Reminder.select())
    eve = Reminder.get(Reminder.key == f"inst:{Reminder.get(Reminder.kind == 'eve').installment_id}:eve")
    assert eve.text.startswith("Dear Club Ltd,") and "100.00 EUR" in eve.text and "due tomorrow, 30 Nov 2026" in eve.text


def test_none_after_the_part_is_paid(team, now):
    inv = _plan(team, now)
    sweep_reminders(now)
    assert sweep_reminders(now + 5 * D) == 1  # part 1 mid
    record_payment(team["ana"], inv.id, 10000, now + 6 * D)  # part 1 paid before its eve
    assert ("mid" in [r["kind"] for r in outbox(team["ana"])]) is False  # its pending mid-term was cancelled
    assert sweep_reminders(now + 9 * D) == 0  # no eve for a paid part
    assert sweep_reminders(now + 10 * D) == 1  # part 2 still gets its mid-term
    record_payment(team["ana"], inv.id, 10000, now + 11 * D)  # everything paid
    assert sweep_reminders(now + 19 * D) == 0
    assert outbox(team["ana"]) == []
    assert kinds() == [(0, "issue", "cancelled"), (1, "mid", "cancelled"), (2, "mid", "cancelled")]


def test_stale_moments_are_skipped(team, now):
    _plan(team, now)
    # sweep did not run for 9 days: the client gets the schedule and the eve of part 1, not a pile
    assert sweep_reminders(now + 9 * D) == 2
    assert [k[:2] for k in kinds()] == [(0, "issue"), (1, "eve")]
    assert sweep_reminders(now + 21 * D) == 0  # every part past due: nothing (they are on the overdue list)


def test_late_approval_starts_at_approval(team, now):
    inv = _plan(team, now, approve_at=now + 6 * D)  # approved after part 1's mid-term
    assert sweep_reminders(now + 5 * D) == 0  # not approved yet at day 5
    assert sweep_reminders(now + 6 * D) == 1  # the schedule, at approval; part 1's mid-term is gone
    assert sweep_reminders(now + 9 * D) == 1  # part 1's eve
    assert {r.invoice_id for r in Reminder.select()} == {inv.id}


def test_only_approved_live_plans_get_reminders(team, now):
    c = Client.create(name="C", email="c@example.com", owner=team["ana"], team=team["ana"].team_id, created_at=now,
                      updated_at=now)
    d = Deal.create(client=c, owner=team["ana"], team=team["ana"].team_id, title="t", amount_minor=20000,
                    currency="EUR", stage=Stage.get(Stage.key == "new"), stage_changed_at=now, created_at=now,
                    updated_at=now)
    issue_invoice(team["ana"], d.id, now, installments=2)  # proposed, not approved
    assert sweep_reminders(now + 15 * D) == 0
    inv = _plan(team, now)
    sweep_reminders(now)
    cancel_invoice(team["ana"], inv.id, "duplicate", now + D)
    assert sweep_reminders(now + 5 * D) == 0 and outbox(team["ana"]) == []


def test_outbox_is_role_scoped_and_sms_without_email(team, now):
    _plan(team, now)
    _plan(team, now, owner="sol", email=None, phone="+447700900123")
    sweep_reminders(now)
    assert [r["recipient"] for r in outbox(team["ana"])] == ["club@example.com"]
    assert [r["recipient"] for r in outbox(team["mia"])] == ["club@example.com"]
    assert [(r["channel"], r["recipient"]) for r in outbox(team["sol"])] == [("sms", "+447700900123")]
    assert len(outbox(team["dan"])) == 2
    sol_reminder = outbox(team["sol"])[0]["id"]
    with pytest.raises(PermissionDenied):
        send_reminder(team["ana"], sol_reminder, now, transport=SmsCommandTransport(["true"]))


def _sweeper(url, q, when):
    from models.db import open_database
    from models.reminders import sweep_reminders

    open_database(url)
    q.put(sweep_reminders(when))


def _parallel(db, when, n=4):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_sweeper, args=(db, q, when)) for _ in range(n)]
    for p in procs:
        p.start()
    made = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    return made


def test_parallel_sweeps_create_each_once(db, team, now):
    for _ in range(3):
        _plan(team, now)
    made = _parallel(db, now + 5 * D)  # each plan: its issue message and part 1's mid-term
    assert sum(made) == Reminder.select().count() == 3 * 2
    assert sum(_parallel(db, now + 5 * D)) == 0
    made = _parallel(db, now + 9 * D)  # each plan: part 1's eve
    assert sum(made) == 3 and Reminder.select().count() == 9
    assert len({r.key for r in Reminder.select()}) == 9


# ---------------------------------------------------------------- sending


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: EHLO, MAIL, RCPT, DATA, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        server = self.server
        self.reply("220 test.local ESMTP")
        envelope, data, in_data = {"rcpt": []}, [], False
        while True:
            line = self.rfile.readline()
            if not line:
                return
            if in_data:
                if line in (b".\r\n", b".\n"):
                    in_data = False
                    server.messages.append(dict(envelope, data=b"".join(data).decode()))
                    envelope, data = {"rcpt": []}, []
                    self.reply("250 2.0.0 queued")
                else:
                    data.append(line[1:] if line.startswith(b"..") else line)
                continue
            cmd = line.decode().strip()
            verb = cmd.split(" ")[0].split(":")[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 test.local")
            elif verb == "MAIL":
                envelope["from"] = cmd.split(":", 1)[1].strip()
                self.reply("250 OK")
            elif verb == "RCPT":
                if server.refuse:
                    self.reply("550 5.1.1 mailbox unavailable")
                else:
                    envelope["rcpt"].append(cmd.split(":", 1)[1].strip())
                    self.reply("250 OK")
            elif verb == "DATA":
                in_data = True
                self.reply("354 go ahead")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.messages, server.refuse = [], False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_send_by_email_through_a_local_smtp_server(team, now, smtp_server):
    _plan(team, now)
    sweep_reminders(now)
    Setting.create(key="smtp.host", value=json.dumps("127.0.0.1"))
    Setting.create(key="smtp.port", value=json.dumps(smtp_server.server_address[1]))
    Setting.create(key="smtp.from", value=json.dumps("billing@shop.example"))
    rid = outbox(team["ana"])[0]["id"]
    sent = send_reminder(team["ana"], rid, now + timedelta(minutes=5))  # the transport comes from the settings
    assert sent["status"] == "sent" and sent["sent_at"].startswith("2026-11-20T09:05")
    [msg] = smtp_server.messages
    assert msg["from"] == "<billing@shop.example>" and msg["rcpt"] == ["<club@example.com>"]
    assert "Subject: Payment reminder: invoice INV-2026-" in msg["data"]
    assert "Dear Club Ltd" in msg["data"] and "100.00 EUR due 30 Nov 2026" in msg["data"]
    assert outbox(team["ana"]) == []
    with pytest.raises(NothingToDo, match="already sent"):
        send_reminder(team["ana"], rid, now)
    assert len(smtp_server.messages) == 1


def test_a_refused_or_unreachable_relay_marks_the_reminder_failed(team, now, smtp_server):
    _plan(team, now)
    sweep_reminders(now)
    rid = outbox(team["ana"])[0]["id"]
    smtp_server.refuse = True
    relay = SmtpTransport("127.0.0.1", smtp_server.server_address[1])
    with pytest.raises(ReminderNotSent, match="not sent"):
        send_reminder(team["ana"], rid, now, transport=relay)
    r = Reminder.get_by_id(rid)
    assert r.status == "failed" and "550" in r.error
    assert [x["status"] for x in outbox(team["ana"])] == ["failed"]  # stays in the outbox to retry
    dead = SmtpTransport("127.0.0.1", 1, timeout=2)
    with pytest.raises(ReminderNotSent):
        send_reminder(team["ana"], rid, now, transport=dead)
    smtp_server.refuse = False
    assert send_reminder(team["ana"], rid, now, transport=relay)["status"] == "sent"


def test_send_by_sms_command_without_a_shell(team, now, tmp_path):
    _plan(team, now, email=None, phone="+447700900123")
    sweep_reminders(now)
    out = tmp_path / "sms.json"
    script = tmp_path / "send-sms.py"
    script.write_text("import json, sys\nopen(sys.argv[1], 'w').write(json.dumps(sys.argv[2:]))\n")
    Setting.create(key="sms.command", value=json.dumps([sys.executable, str(script), str(out)]))
    rid = outbox(team["ana"])[0]["id"]
    assert send_reminder(team["ana"], rid, now)["status"] == "sent"
    number, text = json.loads(out.read_text())
    assert number == "+447700900123" and text.startswith("Dear Club Ltd")
    _plan(team, now, email=None, phone="+447700900124")
    sweep_reminders(now)
    rid2 = outbox(team["ana"])[0]["id"]
    failing = SmsCommandTransport([sys.executable, "-c", "import sys; sys.exit('gateway down')"])
    with pytest.raises(ReminderNotSent, match="gateway down"):
        send_reminder(team["ana"], rid2, now, transport=failing)
    assert Reminder.get_by_id(rid2).status == "failed"


def test_transport_settings_through_the_cli(db_url):
    from conftest import run_cli

    def cli(*args):
        return run_cli(*args, db_url=db_url)

    assert cli("config", "set", "smtp.host", '"relay.lan"').returncode == 0
    assert cli("config", "set", "smtp.port", "2525").returncode == 0
    assert cli("config", "set", "sms.command", '["/usr/local/bin/send-sms", "--sender", "ACME"]').returncode == 0
    shown = json.loads(cli("config", "show", "--json").stdout)
    assert (shown["smtp.host"], shown["smtp.port"], shown["sms.command"][0]) == ("relay.lan", 2525,
                                                                                "/usr/local/bin/send-sms")
    bad = cli("config", "set", "smtp.port", '"twenty"')
    assert bad.returncode == 2 and "smtp.port" in bad.stderr
    assert cli("config", "set", "sms.command", "42").returncode == 2
