"""Client cards: validation wherever a client is saved, versioned saves (stale refused with what changed,
also between two processes), required fields from the setting, likely duplicates, merge, lost reasons,
the clients list by segment. Both engines."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from conftest import run_cli
from models.activities import create_task
from models.clients import (add_client, client_page, get_client, likely_duplicates, merge_clients,
                            update_client)
from models.errors import DomainError, PermissionDenied, StaleRecord, ValidationError
from models.pipeline import add_deal
from models.tables import Activity, Audit, Client, Deal


def test_update_validates_and_keeps_the_card(team, now):
    c = add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    with pytest.raises(ValidationError) as bad:
        update_client(team["ana"], c.id, {"email": "info@", "city": "Bilbao"}, now)
    assert bad.value.field == "email" and "not valid" in str(bad.value)
    with pytest.raises(ValidationError) as bad_phone:
        update_client(team["ana"], c.id, {"phone": "12"}, now)
    assert bad_phone.value.field == "phone"
    assert get_client(team["ana"], c.id).city is None  # nothing of the refused save was stored
    c2 = update_client(team["ana"], c.id, {"phone": "+34 612 345 678", "birth_date": "1980-02-29",
                                            "country": "es", "hobbies": "golf"}, now)
    assert (c2.phone, c2.birth_date.isoformat(), c2.country, c2.version) == ("+34612345678", "1980-02-29", "ES", 2)
    rows = {a.field: (a.old, a.new) for a in Audit.select().where((Audit.kind == "client") & (Audit.action == "update"))}
    assert rows["phone"] == (None, "+34612345678") and rows["hobbies"] == (None, "golf")
    with pytest.raises(ValidationError):
        update_client(team["ana"], c.id, {"birth_date": "1981-02-29"}, now)
    with pytest.raises(ValidationError):
        update_client(team["ana"], c.id, {"favourite_colour": "red"}, now)


def test_required_fields_are_enforced_on_every_save(team, now):
    from models.settings import put

    c = add_client(team["ana"], now, name="Only Mail", email="only@example.com")
    with pytest.raises(ValidationError) as exc:
        update_client(team["ana"], c.id, {"email": ""}, now)
    assert "needs e-mail or phone" in str(exc.value)
    put("mia", "client.required", ["name", "phone"])
    with pytest.raises(ValidationError) as exc:
        add_client(team["ana"], now, name="No Phone", email="np@example.com")
    assert exc.value.field == "phone"
    with pytest.raises(ValidationError):  # an old card without a phone cannot be saved until it gets one
        update_client(team["ana"], c.id, {"city": "Leeds"}, now)
    assert update_client(team["ana"], c.id, {"city": "Leeds", "phone": "+447700900123"}, now).city == "Leeds"


def test_stale_save_is_refused_with_what_changed(team, now):
    c = add_client(team["ana"], now, name="Club Norte", email="info@clubnorte.es")
    opened = get_client(team["mia"], c.id).version
    update_client(team["ana"], c.id, {"phone": "+34612345678", "notes": "call after 5"}, now, expected_version=opened)
    with pytest.raises(StaleRecord) as exc:
        update_client(team["mia"], c.id, {"notes": "prefers e-mail"}, now + timedelta(minutes=1),
                      expected_version=opened)
    text = str(exc.value)
    assert "ana" in text and "phone" in text and "call after 5" in text and "not applied" in text
    assert get_client(team["ana"], c.id).notes == "call after 5"
    assert {f for f, _, _ in exc.value.changes} == {"phone", "notes"}


def test_stale_save_between_two_processes(db_url):
    def cli(*args):
        return run_cli(*args, db_url=db_url)

    cli("rep", "add", "ana", "--name", "Ana", "--team", "North")
    cli("rep", "add", "mia", "--name", "Mia", "--role", "manager", "--team", "North")
    cid = cli("client", "add", "--name", "Club", "--email", "c@example.com", "--as", "ana").stdout.strip()
    seen_by_ana = json.loads(cli("client", "show", cid, "--json", "--as", "ana").stdout)["version"]
    seen_by_mia = json.loads(cli("client", "show", cid, "--json", "--as", "mia").stdout)["version"]
    first = cli("client", "set", cid, "city=Leeds", "--version", str(seen_by_mia), "--as", "mia")
    assert first.returncode == 0, first.stderr
    second = cli("client", "set", cid, "city=York", "--version", str(seen_by_ana), "--as", "ana")
    assert second.returncode == 6
    assert "mia" in second.stderr and "Leeds" in second.stderr and "Traceback" not in second.stderr
    assert json.loads(cli("client", "show", cid, "--json", "--as", "ana").stdout)["city"] == "Leeds"


def test_roles_on_cards(team, now):
    c = add_client(team["ana"], now, name="Club", email="c@example.com")
    with pytest.raises(PermissionDenied):
        update_client(team["sol"], c.id, {"city": "Leeds"}, now)
    assert update_client(team["mia"], c.id, {"city": "Leeds"}, now).city == "Leeds"  # ana's manager
    with pytest.raises(PermissionDenied):
        update_client(team["ben"], c.id, {"city": "York"}, now)
    assert [x.name for x in client_page(team["ben"])] == []
    assert [x.name for x in client_page(team["mia"])] == ["Club"]


def test_likely_duplicates(team, now):
    a = add_client(team["ana"], now, name="John Smith", email="john.smith@example.com")
    b = add_client(team["ana"], now, name="Maria Lopez", phone="+34612345678")
    s = add_client(team["sol"], now, name="Peter Parker", email="peter@example.com")
    dups = likely_duplicates(team["ana"], name="Smith John")
    assert [(d["id"], d["reason"]) for d in dups] == [(a.id, "similar name")]
    assert likely_duplicates(team["ana"], name="Jon Smith")[0]["id"] == a.id
    assert likely_duplicates(team["ana"], email="John.Smith@EXAMPLE.com")[0]["reason"] == "same e-mail"
    assert likely_duplicates(team["ana"], phone="+34 612 34 56 78")[0]["id"] == b.id
    assert likely_duplicates(team["ana"], name="Joanna Smithson") == []
    other = likely_duplicates(team["ana"], email="peter@example.com")
    assert other == [dict(id=s.id, name=None, reason="same e-mail", visible=False, owner="sol")]
    assert likely_duplicates(team["ana"], name="John Smith", exclude=a.id) == []


def test_merge_keeps_everything(team, now):
    keep = add_client(team["ana"], now, name="John Smith", email="john@example.com", notes="VIP")
    gone = add_client(team["ana"], now, name="J. Smith", phone="+447700900123", email="js@work.example",
                      notes="met at the fair", company="Acme")
    d1 = add_deal(team["ana"], keep.id, "old deal", now)
    d2 = add_deal(team["ana"], gone.id, "new deal", now)
    create_task("ana", team["ana"].id, "call back", now + timedelta(days=1), now=now, client_id=gone.id)
    Client.update(last_purchase_at=now - timedelta(days=10)).where(Client.id == gone.id).execute()
    r = merge_clients(team["ana"], keep.id, gone.id, now)
    assert (r["deals"], r["activities"]) == (1, 1)
    k = Client.get_by_id(keep.id)
    assert {d.id for d in Deal.select().where(Deal.client == keep.id)} == {d1.id, d2.id}
    assert Activity.select().where(Activity.client == keep.id).count() == 1
    assert (k.phone, k.company, k.email) == ("+447700900123", "Acme", "john@example.com")
    assert "VIP" in k.notes and "met at the fair" in k.notes and "js@work.example" in k.notes
    assert k.last_purchase_at == now - timedelta(days=10) and k.segment == "hot"
    assert Client.get_by_id(gone.id).merged_into_id == keep.id
    assert [c.id for c in client_page(team["ana"])] == [keep.id]
    assert Audit.select().where((Audit.kind == "client") & (Audit.record_id == gone.id)
                                & (Audit.action == "merge")).count() == 1
    with pytest.raises(DomainError):
        merge_clients(team["ana"], keep.id, gone.id, now)
    with pytest.raises(DomainError):
        update_client(team["ana"], gone.id, {"city": "x"}, now)
    other = add_client(team["sol"], now, name="Sol's", email="s@example.com")
    with pytest.raises(PermissionDenied):
        merge_clients(team["ana"], keep.id, other.id, now)


def test_lost_reason_from_the_list(team, now):
    c = add_client(team["ana"], now, name="Club", email="c@example.com")
    with pytest.raises(ValidationError) as exc:
        update_client(team["ana"], c.id, {"lost_reason": "moon phase"}, now)
    assert "competitor" in str(exc.value)
    assert update_client(team["ana"], c.id, {"lost_reason": "competitor"}, now).lost_reason == "competitor"


def test_clients_cli_segment_json_and_duplicates(db_url):
    def cli(*args):
        return run_cli(*args, db_url=db_url)

    cli("rep", "add", "ana", "--name", "Ana", "--team", "North")
    cli("rep", "add", "sol", "--name", "Sol", "--team", "South")
    first = cli("client", "add", "--name", "Zoe Club", "--email", "zoe@example.com", "--as", "ana").stdout.strip()
    cli("client", "add", "--name", "Adam FC", "--phone", "+447700900123", "--as", "ana")
    cli("client", "add", "--name", "South", "--phone", "+34612345678", "--as", "sol")
    dup = cli("client", "add", "--name", "Zoe  Club", "--phone", "+447700900999", "--as", "ana")
    assert dup.returncode == 0 and "likely duplicate of client " + first in dup.stderr
    refused = cli("client", "add", "--name", "Z", "--email", "zoe@example.com", "--if-unique", "--as", "ana")
    assert refused.returncode == 1 and "same e-mail" in refused.stderr
    rows = json.loads(cli("clients", "--json", "--as", "ana").stdout)
    assert [r["name"] for r in rows] == ["Adam FC", "Zoe  Club", "Zoe Club"]
    assert json.loads(cli("clients", "--segment", "hot", "--json", "--as", "ana").stdout) == []
    assert len(json.loads(cli("clients", "--segment", "never", "--json", "--as", "ana").stdout)) == 3
    bad = cli("clients", "--segment", "lukewarm", "--as", "ana")
    assert bad.returncode == 2 and "hot" in bad.stderr
    text = cli("clients", "--as", "ana").stdout.splitlines()
    assert text[0].startswith("ID") and "Adam FC" in text[1] and len(text) == 4
    dup_id = str(int(first) + 3)  # 2 is Adam, 3 is sol's, 4 the duplicate
    assert cli("client", "merge", first, "3", "--as", "ana").returncode == 4
    merged = cli("client", "merge", first, dup_id, "--as", "ana")
    assert merged.returncode == 0 and "merged into" in merged.stdout
    assert len(json.loads(cli("clients", "--json", "--as", "ana").stdout)) == 2
    assert cli("client", "lost", first, "price", "--as", "ana").returncode == 0
    assert "competitor" in cli("lost-reasons", "--as", "ana").stdout


def test_required_setting_refuses_unknown_fields(team, now):
    from models.settings import get, put

    with pytest.raises(ValidationError) as exc:
        put("mia", "client.required", ["name", "email|fax"])
    assert "'fax'" in str(exc.value) or "fax" in str(exc.value)
    assert get("client.required") == ["name", "email|phone"]


def test_a_manager_reassigns_a_client_with_its_open_deals_and_tasks(team, now):
    from models.clients import reassign_client
    from models.errors import NothingToDo
    from models.pipeline import stage_by_key, update_deal

    c = add_client(team["ana"], now, name="Club", email="c@example.com")
    open_deal = add_deal(team["ana"], c.id, "open", now)
    won = add_deal(team["ana"], c.id, "won", now)
    # issue 11: no deal goes from New to Won by hand (Won asks what Shipped asks); a won deal is one whose
    # order was delivered, so the test states it rather than walking the whole flow
    Deal.update(stage=stage_by_key("won").id, closed_at=now).where(Deal.id == won.id).execute()
    create_task("ana", team["ana"].id, "call", now + timedelta(days=1), now=now, client_id=c.id)
    with pytest.raises(PermissionDenied):
        reassign_client(team["ana"], c.id, "ben", now)
    with pytest.raises(PermissionDenied):
        reassign_client(team["mia"], c.id, "sol", now)  # another team: a director's call
    r = reassign_client(team["mia"], c.id, "ben", now)
    assert (r["deals"], r["tasks"]) == (1, 1)
    assert Client.get_by_id(c.id).owner_id == team["ben"].id
    assert Deal.get_by_id(open_deal.id).owner_id == team["ben"].id
    assert Deal.get_by_id(won.id).owner_id == team["ana"].id  # closed deals keep who won them
    assert Activity.get(Activity.client == c.id).rep_id == team["ben"].id
    assert [x.name for x in client_page(team["ben"])] == ["Club"] and client_page(team["ana"]) == []
    with pytest.raises(NothingToDo):
        reassign_client(team["mia"], c.id, "ben", now)
    update_deal(team["ben"], open_deal.id, {"need": "balls"}, now)  # ben can work it now
    assert reassign_client(team["dan"], c.id, "sol", now)["owner"] == "sol"
