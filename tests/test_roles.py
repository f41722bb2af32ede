"""Roles on every operation: a rep sees and changes only their own clients, deals, invoices and tasks;
a manager everything of their team; a director everything; reps, keys and settings are the admin's
(managers: client rules, catalog). By id, by search and by export. Both engines."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from conftest import run_cli
from models import activities, clients, flow, payments, pipeline
from models.audit import visible_history
from models.errors import PermissionDenied
from models.usecases.card import client_card

ALLOWED = {"ana": True, "ben": False, "mia": True, "sol": False, "dan": True}


@pytest.fixture
def north(team, now):
    """A client, deal and invoice of ana's (team North)."""
    c = clients.add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    d = pipeline.add_deal(team["ana"], c.id, "40 balls", now, amount="1800.00")
    inv = payments.issue_invoice(team["ana"], d.id, now)
    return dict(client=c.id, deal=d.id, invoice=inv.id)


OPERATIONS = {
    "client show": lambda a, r, now: clients.get_client(a, r["client"]),
    "client card": lambda a, r, now: client_card(a, r["client"], now),
    "client set": lambda a, r, now: clients.update_client(a, r["client"], {"notes": f"by {a.login}"}, now),
    "client history": lambda a, r, now: visible_history(a, "client", r["client"]),
    "deal show": lambda a, r, now: pipeline.get_deal(a, r["deal"]),
    "deal set": lambda a, r, now: pipeline.update_deal(a, r["deal"], {"need": f"by {a.login}"}, now),
    "deal move": lambda a, r, now: pipeline.move_deal(a, r["deal"], "new", now),
    "deal move (flow)": lambda a, r, now: flow.move_deal(a, r["deal"], "new", now),
    "client activities": lambda a, r, now: activities.client_activities(a, r["client"]),
    "schedule a call": lambda a, r, now: activities.schedule(a, r["client"], "call", "follow up",
                                                             now + timedelta(days=1), now),
    "deal history": lambda a, r, now: visible_history(a, "deal", r["deal"]),
    "agreement set": lambda a, r, now: payments.upsert_agreement(a, r["deal"], "balls", "money", now),
    "invoice show": lambda a, r, now: payments.get_invoice(a, r["invoice"]),
    "invoice history": lambda a, r, now: payments.invoice_history(a, r["invoice"]),
    "payment add": lambda a, r, now: payments.record_payment(a, r["invoice"], 1, now),
    "note add": lambda a, r, now: payments.add_note(a, r["invoice"], "debit", 1, "fee", now),
}


@pytest.mark.parametrize("op", sorted(OPERATIONS))
def test_each_role_on_each_operation(team, north, now, op):
    for login, allowed in ALLOWED.items():
        if allowed:
            OPERATIONS[op](team[login], north, now)
        else:
            with pytest.raises(PermissionDenied):
                OPERATIONS[op](team[login], north, now)


def test_manager_only_operations(team, north, now):
    for login in ("ana", "ben", "sol"):
        with pytest.raises(PermissionDenied):
            pipeline.add_requirement(team[login], "qualified", "client.company", "Company", now)
        with pytest.raises(PermissionDenied):
            pipeline.set_stale_days(team[login], "qualified", 3, now)
        with pytest.raises(PermissionDenied):
            pipeline.set_skippable(team[login], "shipped", True, now)
    pipeline.add_requirement(team["mia"], "qualified", "client.company", "Company", now)
    pipeline.set_stale_days(team["dan"], "qualified", 3, now)
    assert pipeline.set_skippable(team["mia"], "shipped", True, now).skippable


def test_search_and_lists_never_show_another_teams_client(team, north, now):
    assert [c.name for c in clients.client_page(team["sol"], search="norte")] == []
    assert clients.client_count(team["sol"], search="norte") == 0
    assert [c.name for c in clients.client_page(team["ben"], search="norte")] == []
    assert [c.name for c in clients.client_page(team["mia"], search="norte")] == ["Club Norte"]
    assert payments.list_invoices(team["sol"], now) == []
    assert [i.id for i in payments.list_invoices(team["dan"], now)] == [north["invoice"]]
    assert pipeline.deals_in_stage(team["sol"], "new") == []
    assert sum(s["count"] for s in pipeline.board(team["sol"], now)) == 0
    hidden = clients.likely_duplicates(team["sol"], email="info@clubnorte.es")
    assert hidden[0]["name"] is None and hidden[0]["visible"] is False  # only whose it is, not what


def test_roles_through_the_cli(db_url):
    def cli(*args):
        return run_cli(*args, db_url=db_url)

    cli("rep", "add", "ana", "--name", "Ana", "--team", "North")
    cli("rep", "add", "sol", "--name", "Sol", "--team", "South")
    cli("rep", "add", "mia", "--name", "Mia", "--role", "manager", "--team", "North")
    cid = cli("client", "add", "--name", "Club Norte", "--email", "info@clubnorte.es", "--as", "ana").stdout.strip()
    did = cli("deal", "add", "--client", cid, "--title", "balls", "--amount", "10", "--as", "ana").stdout.strip()
    for args in (("client", "show", cid), ("client", "set", cid, "notes=x"), ("client", "lost", cid, "price"),
                 ("deal", "show", did), ("deal", "set", did, "need=x"), ("deal", "move", did, "lost"),
                 ("deal", "lose", did, "price"), ("deal", "line", "add", did, "BALL-PRO5", "2"),
                 ("deal", "line", "remove", did, "1"), ("order", "create", "--deal", did),
                 ("activities", "--client", cid),
                 ("activity", "add", "--client", cid, "--kind", "call", "--subject", "x", "--due", "+1d"),
                 ("invoice", "add", "--deal", did), ("agreement", "set", "--deal", did, "--provides", "a",
                                                     "--receives", "b"),
                 ("audit", "--record", f"client:{cid}")):
        res = cli(*args, "--as", "sol")
        # a record the actor may not see: the not-found sentence (exit 4); a role that may not act: exit 5
        assert (res.returncode == 4 and "or it is not yours." in res.stderr) or \
            (res.returncode == 5 and ("not yours" in res.stderr or "may not" in res.stderr)), \
            (args, res.returncode, res.stderr)
        assert "Club Norte" not in res.stdout + res.stderr
    assert json.loads(cli("clients", "--json", "--search", "norte", "--as", "sol").stdout) == []
    assert json.loads(cli("clients", "--json", "--as", "mia").stdout)[0]["name"] == "Club Norte"
    export = cli("export", "clients", "--format", "csv", "--as", "sol").stdout
    assert "Club Norte" not in export and export.startswith("name,")
    assert "Club Norte" in cli("export", "clients", "--format", "vcf", "--as", "mia").stdout


def test_admin_owns_reps_keys_and_settings_once_there_is_one(db_url, tmp_path):
    def cli(*args):
        return run_cli(*args, db_url=db_url)

    assert cli("rep", "add", "boss", "--name", "Boss", "--role", "admin").returncode == 0  # a fresh install
    assert cli("rep", "add", "mia", "--name", "Mia", "--role", "manager", "--team", "North",
               "--as", "boss").returncode == 0
    assert cli("rep", "add", "ana", "--name", "Ana", "--team", "North", "--as", "boss").returncode == 0
    assert cli("rep", "add", "sol", "--name", "Sol", "--team", "South", "--as", "boss").returncode == 0
    denied = cli("rep", "add", "eve", "--name", "Eve", "--role", "admin", "--as", "ana")
    assert denied.returncode == 5 and "needs admin" in denied.stderr
    assert cli("rep", "add", "eve", "--name", "Eve").returncode == 5  # the OS user is not an admin rep
    assert cli("config", "set", "sla.strategy", '"least_loaded"', "--as", "mia").returncode == 5
    assert cli("config", "set", "sla.strategy", '"least_loaded"', "--as", "boss").returncode == 0
    assert cli("config", "set", "client.required", '["name", "phone"]', "--as", "mia").returncode == 0
    assert cli("config", "set", "client.required", '["name"]', "--as", "ana").returncode == 5
    assert cli("rep", "away", "ana", "--as", "ana").returncode == 0  # a rep marks themself
    assert cli("rep", "away", "sol", "--as", "ana").returncode == 5
    assert cli("rep", "away", "sol", "--as", "mia").returncode == 5  # another team's rep
    assert cli("rep", "back", "ana", "--as", "mia").returncode == 0
    pub = tmp_path / "k.pub"
    pub.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1Y2t5bHVja3lsdWNreWx1Y2t5bHVja3lsdWNreWx1 ana@x\n")
    keys = tmp_path / "authorized_keys"
    assert cli("admin", "key", "add", "ana", str(pub), "--file", str(keys), "--as", "ana").returncode == 5
    assert not keys.exists()
    assert cli("admin", "key", "add", "ana", str(pub), "--file", str(keys), "--as", "boss").returncode == 0
    audit = json.loads(cli("audit", "--json", "--as", "boss").stdout)
    assert any(r["action"] == "key" and r["actor"] == "boss" for r in audit)
    assert any(r["field"] == "sla.strategy" for r in audit)
