"""The payment commands through the real entry point, on both engines: the contract (names, --json shapes,
decimal strings), refusals as one sentence on stderr with a non-zero exit, roles, export, reminders."""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys

import pytest

from conftest import run_cli


@pytest.fixture
def cli(db_url):
    def run(*args, **kw):
        return run_cli(*args, db_url=db_url, **kw)

    assert run("rep", "add", "mia", "--name", "Mia", "--role", "manager", "--team", "North").returncode == 0
    assert run("rep", "add", "ana", "--name", "Ana", "--team", "North").returncode == 0
    assert run("rep", "add", "sol", "--name", "Sol", "--team", "South").returncode == 0
    run.url = db_url
    return run


def ok(res):
    assert res.returncode == 0, res.stderr
    return res.stdout


def refused(res, code, text):
    assert res.returncode == code, (res.returncode, res.stdout, res.stderr)
    err = res.stderr.strip()
    assert text in err and "\n" not in err and "Traceback" not in err, err
    assert err.startswith("repdesk: ") and err.endswith(".")


def new_deal(cli, amount="199.99", who="ana", phone=None):
    extra = ["--phone", phone] if phone else ["--email", "club@example.com"]
    client = json.loads(ok(cli("client", "add", "--name", "Club", *extra, "--as", who, "--json")))["id"]
    return json.loads(ok(cli("deal", "add", "--client", str(client), "--title", "Balls", "--amount", amount,
                             "--as", who, "--json")))["id"]


NOW = ["--now", "2026-11-20T09:00:00"]


def test_invoice_payment_note_and_refusals(cli):
    deal = new_deal(cli)
    out = ok(cli("invoice", "add", "--deal", str(deal), "--as", "ana", *NOW))
    assert out.strip().isdigit()  # prints the id
    inv = out.strip()
    ok(cli("payment", "add", "--invoice", inv, "--amount", "50.00", "--method", "card", "--as", "ana", *NOW))
    # a rep's credit note waits for a manager (issue 11: credit.rep_limit, default 0), then counts
    note = json.loads(ok(cli("note", "add", "--invoice", inv, "--credit", "--amount", "9.99", "--reason", "late",
                             "--as", "ana", "--json", *NOW)))
    assert note["status"] == "proposed"
    assert json.loads(ok(cli("invoice", "show", inv, "--json", "--as", "ana", *NOW)))["balance"] == "149.99"
    assert "approved" in ok(cli("note", "approve", str(note["id"]), "--as", "mia", *NOW))
    shown = json.loads(ok(cli("invoice", "show", inv, "--json", "--as", "ana", "--now", "2026-11-20T10:00:00")))
    assert (shown["balance"], shown["status"], shown["paid"], shown["credits"]) == \
        ("140.00", "partly_paid", "50.00", "9.99")
    assert shown["due_at"] == "2026-11-23T09:00:00+00:00" and shown["installments"] == []
    refused(cli("payment", "add", "--invoice", inv, "--amount", "1.005", "--as", "ana"), 2, "more than 2 decimals")
    refused(cli("payment", "add", "--invoice", inv, "--amount", "140.01", "--as", "ana"), 2,
            "more than the balance of 140.00 EUR")
    refused(cli("payment", "add", "--invoice", inv, "--amount", "5", "--failed", "--as", "ana"), 2, "reason")
    refused(cli("note", "add", "--invoice", inv, "--debit", "--amount", "-3", "--reason", "x", "--as", "ana"), 2,
            "positive")
    refused(cli("invoice", "show", inv, "--as", "sol"), 4, "or it is not yours")
    refused(cli("payment", "add", "--invoice", inv, "--amount", "1", "--as", "sol"), 4, "or it is not yours")
    refused(cli("invoice", "show", "9999", "--as", "ana"), 4, "no invoice 9999")
    refused(cli("invoice", "add", "--deal", str(deal), "--as", "ana"), 1, "already has invoice")
    assert json.loads(ok(cli("invoices", "--overdue", "--json", "--as", "ana", *NOW))) == []
    overdue = json.loads(ok(cli("invoices", "--overdue", "--json", "--as", "ana", "--now", "2026-11-24T09:00:00")))
    assert [r["id"] for r in overdue] == [int(inv)] and overdue[0]["status"] == "overdue"
    assert json.loads(ok(cli("invoices", "--json", "--as", "sol"))) == []
    assert "INV-2026-" in ok(cli("invoices", "--as", "mia", *NOW))
    res = cli("payment", "add", "--invoice", inv, "--amount", "5", "--failed", "--reason", "card declined",
              "--as", "mia", *NOW)
    assert "follow-up task" in ok(res)
    tasks = json.loads(ok(cli("tasks", "--json", "--as", "ana")))
    assert [t["subject"] for t in tasks if "card declined" in t["subject"]] and \
        all(t["rep"] == "ana" for t in tasks)
    assert json.loads(ok(cli("tasks", "--json", "--as", "mia"))) == []
    assert "No open tasks." in ok(cli("tasks", "--as", "sol"))


def test_plans_agreement_order_and_export(cli, tmp_path):
    from conftest import SAMPLES

    deal = new_deal(cli, amount="1000.01")
    # issue 11: an order takes its lines from the deal and needs a delivery address
    ok(cli("import", "products", str(SAMPLES / "catalog.csv")))
    ok(cli("deal", "line", "add", str(deal), "BALL-PRO5", "1", "--price", "1000.01", "--as", "ana", *NOW))
    client = json.loads(ok(cli("deal", "show", str(deal), "--json", "--as", "ana")))["client_id"]
    ok(cli("client", "set", str(client), "address=1 Pitch Lane", "city=Leeds", "--as", "ana", *NOW))
    inv = json.loads(ok(cli("invoice", "add", "--deal", str(deal), "--installments", "3", "--every", "30",
                            "--as", "ana", "--json", *NOW)))["id"]
    shown = json.loads(ok(cli("invoice", "show", str(inv), "--json", "--as", "ana", *NOW)))
    assert shown["plan"] == "proposed"
    assert [(i["amount"], i["due_at"], i["status"]) for i in shown["installments"]] == [
        ("333.34", "2026-12-20T09:00:00+00:00", "due"), ("333.34", "2027-01-19T09:00:00+00:00", "due"),
        ("333.33", "2027-02-18T09:00:00+00:00", "due")]
    refused(cli("order", "create", "--deal", str(deal), "--as", "ana"), 1,
            "cannot go to the warehouse: no signed agreement; plan not approved")
    refused(cli("invoice", "approve-plan", str(inv), "--as", "ana"), 5, "may not approve an installment plan")
    assert "approved" in ok(cli("invoice", "approve-plan", str(inv), "--as", "mia", *NOW))
    refused(cli("order", "create", "--deal", str(deal), "--as", "ana"), 1, "no signed agreement")
    refused(cli("agreement", "sign", "--deal", str(deal), "--as", "ana"), 2, "no agreement terms")
    ok(cli("agreement", "set", "--deal", str(deal), "--provides", "100 balls", "--receives", "1,000.01 EUR",
           "--as", "ana", *NOW))
    ok(cli("agreement", "send", "--deal", str(deal), "--as", "ana", *NOW))
    signed = json.loads(ok(cli("agreement", "sign", "--deal", str(deal), "--by", "Carla Club", "--as", "ana",
                               "--json", *NOW)))
    assert signed["status"] == "signed" and signed["signed_by"] == "Carla Club"
    order = json.loads(ok(cli("order", "create", "--deal", str(deal), "--as", "ana", "--json", *NOW)))
    assert order["status"] == "forwarded" and order["address"] == "1 Pitch Lane, Leeds"
    assert [(x["sku"], x["quantity"]) for x in order["lines"]] == [("BALL-PRO5", 1)]
    refused(cli("order", "deliver", str(order["id"]), "--as", "ana"), 2, "forwarded, then shipped")
    refused(cli("order", "ship", str(order["id"]), "--as", "sol"), 4, "or it is not yours")
    assert "shipped" in ok(cli("order", "ship", str(order["id"]), "--as", "ana", *NOW))
    assert "delivered" in ok(cli("order", "deliver", str(order["id"]), "--as", "ana", *NOW))
    out = tmp_path / "orders.csv"
    ok(cli("export", "orders", "--output", str(out), "--as", "ana"))
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["order_id"], r["client"], r["sku"], r["quantity"], r["status"]) for r in rows] == [
        (str(order["id"]), "Club", "BALL-PRO5", "1", "delivered")]
    data = json.loads(ok(cli("export", "orders", "--format", "json", "--as", "mia")))
    assert [o["id"] for o in data] == [order["id"]]
    assert json.loads(ok(cli("export", "orders", "--format", "json", "--as", "sol"))) == []
    assert ok(cli("export", "orders", "--as", "sol")).splitlines() == [
        "order_id,status,deal_id,deal,client,address,sku,description,quantity,created_at,shipped_at,delivered_at,"
        "cancelled_at,cancel_reason"]  # issue 11: a cancelled order shows as cancelled, with its reason
    refused(cli("export", "orders", "--output", str(tmp_path / "no" / "such" / "dir.csv"), "--as", "ana"), 2,
            "Cannot write")


def test_reminders_outbox_and_send_by_sms(cli, tmp_path):
    deal = new_deal(cli, who="ana", phone="+447700900123")
    inv = ok(cli("invoice", "add", "--deal", str(deal), "--installments", "2", "--every", "10", "--as", "mia",
                 *NOW)).strip()
    assert json.loads(ok(cli("reminders", "--json", "--as", "ana"))) == []
    swept = json.loads(ok(cli("sweep", "--json", *NOW)))
    assert swept["reminders"] == 1
    assert json.loads(ok(cli("sweep", "--json", *NOW)))["reminders"] == 0
    [rem] = json.loads(ok(cli("reminders", "--json", "--as", "ana")))
    assert (rem["kind"], rem["channel"], rem["recipient"], rem["invoice_id"]) == ("issue", "sms", "+447700900123",
                                                                                  int(inv))
    assert "part 1: 100.00 EUR due 30 Nov 2026; part 2: 99.99 EUR due 10 Dec 2026" in rem["text"]
    assert json.loads(ok(cli("reminders", "--json", "--as", "sol"))) == []
    refused(cli("reminder", "send", str(rem["id"]), "--as", "ana"), 1, "no SMS command is configured")
    # the SMS command is a team setting (stored like any other)
    from models.db import close_database, open_database
    from models.tables import Setting

    sink = tmp_path / "sms.json"
    script = tmp_path / "send-sms.py"
    script.write_text("import json, sys\nopen(sys.argv[1], 'w').write(json.dumps(sys.argv[2:]))\n")
    open_database(cli.url)
    Setting.create(key="sms.command", value=json.dumps([sys.executable, str(script), str(sink)]))
    close_database()
    refused(cli("reminder", "send", str(rem["id"]), "--as", "sol"), 4, "or it is not yours")
    assert "sent by sms" in ok(cli("reminder", "send", str(rem["id"]), "--as", "ana", *NOW))
    number, text = json.loads(sink.read_text())
    assert number == "+447700900123" and text == rem["text"]
    assert "The outbox is empty." in ok(cli("reminders", "--as", "ana"))
    refused(cli("reminder", "send", str(rem["id"]), "--as", "ana"), 7, "already sent")


def test_ensure_group_shares_export_with_another_module():
    from tui.commands.admin import group
    from tui.commands.orders import register
    from tui.commands.payments import ensure_group

    for first in ("other", "payments"):
        common = argparse.ArgumentParser(add_help=False)
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers(dest="command")
        if first == "other":
            group(sub, "export", "export", common).add_parser("clients").set_defaults(handler="clients")
            register(sub, common)
        else:
            register(sub, common)
            ensure_group(sub, "export", "export", common).add_parser("clients").set_defaults(handler="clients")
        assert parser.parse_args(["export", "clients"]).handler == "clients"
        assert parser.parse_args(["export", "orders", "--format", "json"]).format == "json"


def test_credit_notes_wait_approvals_and_refunds(cli):
    """Issue 11 on the command line: a rep's credit note says it waits, `approvals` lists it (and a plan)
    for the manager, `note approve` / `note reject` decide; a credit beyond what is owed is refused, the
    part beyond the balance is a refund due (`refunds`, `refund paid`)."""
    deal = new_deal(cli, amount="100.00")
    inv = ok(cli("invoice", "add", "--deal", str(deal), "--as", "ana", *NOW)).strip()
    plan_deal = new_deal(cli, amount="300.00")
    plan_inv = ok(cli("invoice", "add", "--deal", str(plan_deal), "--installments", "3", "--as", "ana", *NOW)).strip()
    ok(cli("payment", "add", "--invoice", inv, "--amount", "100.00", "--as", "ana", *NOW))
    refused(cli("note", "add", "--invoice", inv, "--credit", "--amount", "100.01", "--reason", "x", "--as", "mia"), 2,
            "at most 100.00 EUR")
    out = ok(cli("note", "add", "--invoice", inv, "--credit", "--amount", "30.00", "--reason", "returned 3 balls",
                 "--as", "ana", *NOW))
    assert "waits for a manager's approval" in out and "balance is unchanged" in out
    note_id = out.split()[2]
    assert "Nothing waits for your decision." in ok(cli("approvals", "--as", "ana"))
    waiting = json.loads(ok(cli("approvals", "--json", "--as", "mia", *NOW)))
    assert [(w["kind"], w["invoice_id"], w["amount"], w["asked_by"]) for w in waiting] == [
        ("plan", int(plan_inv), "300.00", "ana"), ("note", int(inv), "30.00", "ana")]
    assert waiting[1]["id"] == int(note_id) and waiting[1]["what"] == "returned 3 balls"
    text = ok(cli("approvals", "--as", "mia", *NOW))
    assert "note approve|reject" in text and "2026-11-20 09:00 UTC" in text  # the rep's zone, named
    assert json.loads(ok(cli("approvals", "--json", "--as", "sol"))) == []
    refused(cli("note", "approve", note_id, "--as", "ana"), 5, "may not approve a credit note")
    refused(cli("note", "approve", note_id, "--as", "sol"), 5, "may not approve a credit note")
    assert "No refunds due." in ok(cli("refunds", "--as", "ana"))
    out = ok(cli("note", "approve", note_id, "--as", "mia", *NOW))
    assert "approved" in out and "Refund" in out and "30.00 EUR" in out
    refused(cli("note", "reject", note_id, "--as", "mia"), 7, "already approved by mia")
    shown = json.loads(ok(cli("invoice", "show", inv, "--json", "--as", "ana", *NOW)))
    assert (shown["balance"], shown["credits"], shown["refunds"], shown["status"]) == ("0.00", "30.00", "30.00",
                                                                                       "paid")
    [refund] = json.loads(ok(cli("refunds", "--json", "--as", "ana")))
    assert (refund["amount"], refund["status"], refund["invoice_id"], refund["note_id"]) == ("30.00", "due", int(inv),
                                                                                           int(note_id))
    assert json.loads(ok(cli("refunds", "--json", "--as", "sol"))) == []
    refused(cli("refund", "paid", str(refund["id"]), "--as", "sol"), 4, "or it is not yours")
    assert "paid" in ok(cli("refund", "paid", str(refund["id"]), "--as", "ana", *NOW))
    refused(cli("refund", "paid", str(refund["id"]), "--as", "ana"), 7, "already paid")
    assert "No refunds due." in ok(cli("refunds", "--as", "ana"))
    assert [r["status"] for r in json.loads(ok(cli("refunds", "--all", "--json", "--as", "ana")))] == ["paid"]
    # a rejected note changes nothing; a debit note needs no approval
    out = ok(cli("note", "add", "--invoice", inv, "--debit", "--amount", "5.00", "--reason", "delivery", "--as", "ana",
                 *NOW))
    assert "added to" in out
    other = ok(cli("note", "add", "--invoice", inv, "--credit", "--amount", "5.00", "--reason", "x", "--as", "ana",
                   *NOW)).split()[2]
    assert "rejected" in ok(cli("note", "reject", other, "--as", "mia", *NOW))
    assert json.loads(ok(cli("invoice", "show", inv, "--json", "--as", "ana", *NOW)))["balance"] == "5.00"
    assert [w["kind"] for w in json.loads(ok(cli("approvals", "--json", "--as", "mia")))] == ["plan"]
    # the limit is a managers' setting, in minor units (once an admin exists, see models.access)
    ok(cli("rep", "add", "root", "--name", "Root", "--role", "admin"))
    refused(cli("config", "set", "credit.rep_limit", "1000", "--as", "ana"), 5, "credit.rep_limit")
    ok(cli("config", "set", "credit.rep_limit", "1000", "--as", "mia"))
    out = ok(cli("note", "add", "--invoice", inv, "--credit", "--amount", "5.00", "--reason", "small", "--as", "ana",
                 *NOW))
    assert "added to" in out
    assert json.loads(ok(cli("invoice", "show", inv, "--json", "--as", "ana", *NOW)))["balance"] == "0.00"
