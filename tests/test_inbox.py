"""Inbox rules: order, keyset pages, claims (also from 4 processes at once), contact, transfers, sweep."""
from __future__ import annotations

import json
import multiprocessing as mp
from datetime import timedelta

import pytest

from models import inbox
from models.usecases.inbox import application_detail
from models.errors import NothingToDo, PermissionDenied, ValidationError
from models.tables import Application, Audit, Rep, Transfer

CONCRETE = "We need 40 Pro Match Ball size 5 delivered to Valencia before 5 December. Budget 1,800 EUR."
VAGUE = "How much does your product cost?"


def add(now, text=VAGUE, minutes_ago=0, channel="email", **kw):
    data = dict(channel=channel, text=text, name=kw.pop("name", "Someone"), email=kw.pop("email", "a@example.com"),
                received_at=now - timedelta(minutes=minutes_ago), **kw)
    return inbox.add_application("test", data, now)


def test_order_is_score_then_oldest(team, catalog, now):
    vague_old = add(now, VAGUE, minutes_ago=50)
    concrete_new = add(now, CONCRETE, minutes_ago=1, email="b@example.com")
    vague_new = add(now, VAGUE, minutes_ago=5, email="c@example.com")
    ids = [d["id"] for d in inbox.list_inbox(team["ana"])]
    assert ids == [concrete_new, vague_old, vague_new]
    top = inbox.list_inbox(team["ana"])[0]
    assert top["score"] > inbox.list_inbox(team["ana"])[1]["score"]
    assert any("BALL-PRO5" in r for r in top["reasons"])


def test_keyset_pages_cover_everything_once(team, catalog, now):
    for i in range(23):
        add(now, CONCRETE if i % 3 == 0 else VAGUE, minutes_ago=i, email=f"p{i}@example.com")
    seen, after = [], None
    while True:
        page = inbox.inbox_page(team["ana"], after=after, limit=5)
        if not page:
            break
        seen += [a.id for a in page]
        after = inbox.sort_key(page[-1])
    assert seen == [d["id"] for d in inbox.list_inbox(team["ana"], limit=100)]
    assert len(seen) == len(set(seen)) == 23
    last = inbox.inbox_page(team["ana"], last=True, limit=5)
    assert [a.id for a in last] == seen[-5:]
    before = inbox.inbox_page(team["ana"], before=inbox.sort_key(last[0]), limit=5)
    assert [a.id for a in before] == seen[-10:-5]
    assert inbox.inbox_count(team["ana"]) == 23


def test_full_text_filter(team, catalog, now):
    a = add(now, "Necesitamos balones de futsal para enero", email="x@example.com")
    add(now, VAGUE, email="y@example.com")
    assert [d["id"] for d in inbox.list_inbox(team["ana"], search="balones")] == [a]
    assert [d["id"] for d in inbox.list_inbox(team["ana"], search="BALON")] == [a]  # prefix, any case
    assert inbox.list_inbox(team["ana"], search="nothing-like-this") == []


def test_bad_application_is_refused(team, now):
    with pytest.raises(ValidationError, match="channel"):
        inbox.add_application("t", dict(channel="fax", text="hi", name="x"), now)
    with pytest.raises(ValidationError, match="no name, e-mail or phone"):
        inbox.add_application("t", dict(channel="email", text="hi"), now)


def test_claim_once(team, catalog, now):
    app_id = add(now)
    a = inbox.claim(team["ana"], app_id, now)
    assert a.owner_login == "ana" and a.status == "claimed"
    with pytest.raises(NothingToDo, match="already claimed by ana"):
        inbox.claim(team["ben"], app_id, now)
    assert Audit.select().where((Audit.kind == "application") & (Audit.action == "claim")).count() == 1


def test_claim_next_takes_the_top(team, catalog, now):
    add(now, VAGUE, minutes_ago=30)
    top = add(now, CONCRETE, minutes_ago=1, email="z@example.com")
    assert inbox.claim_next(team["ana"], now).id == top
    assert inbox.claim_next(team["ben"], now).id != top
    with pytest.raises(NothingToDo, match="no unclaimed"):
        inbox.claim_next(team["cai"], now)


def _claimer(url, login, n, queue):
    from models.db import open_database
    from models.inbox import claim_next
    from models.reps import get_rep
    from models.errors import NothingToDo
    from datetime import datetime

    open_database(url)
    rep = get_rep(login)
    got = []
    for _ in range(n):
        try:
            got.append(claim_next(rep, datetime(2026, 11, 20, 9, 0)).id)
        except NothingToDo:
            break
    queue.put(got)


def test_four_processes_never_double_claim(db, team, catalog, now):
    ids = {add(now, VAGUE, minutes_ago=i, email=f"c{i}@example.com") for i in range(40)}
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_claimer, args=(db, login, 20, q)) for login in ("ana", "ben", "cai", "mia")]
    for p in procs:
        p.start()
    results = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    claimed = [i for r in results for i in r]
    assert len(claimed) == len(set(claimed)), "an application was claimed twice"
    assert set(claimed) == ids
    owners = {a.id: a.owner_id for a in Application.select()}
    assert all(owners[i] is not None for i in ids)


def test_contact_stops_the_clock_and_leaves_the_inbox(team, catalog, now):
    app_id = add(now)
    inbox.claim(team["ana"], app_id, now)
    with pytest.raises(PermissionDenied):
        inbox.contact(team["ben"], app_id, "call", now)
    a = inbox.contact(team["ana"], app_id, "call", now + timedelta(minutes=5), note="left a message")
    assert a.status == "contacted" and a.first_contact_at == now + timedelta(minutes=5)
    assert app_id not in [d["id"] for d in inbox.list_inbox(team["ana"])]
    later = now + timedelta(hours=5)
    assert inbox.sweep(later)["moved"] == 0  # contacted in time: never moves


def test_sweep_moves_overdue_to_available_rep_once(team, catalog, now):
    app_id = add(now)
    inbox.claim(team["ana"], app_id, now)
    inbox.claim  # noqa: B018
    from models.reps import set_away

    set_away("admin", "ben", True, now)
    late = now + timedelta(minutes=61)
    assert inbox.sweep(late) == {"moved": 1, "stuck": 0}
    a = inbox.get_application(app_id)
    assert a.owner_login in ("cai", "mia")  # same team, not away, not ana
    assert a.due_at == late + timedelta(minutes=60)  # a fresh deadline
    assert inbox.sweep(late) == {"moved": 0, "stuck": 0}  # idempotent
    t = Transfer.get(Transfer.application == app_id)
    assert t.from_rep_id == team["ana"].id and t.actor == "system"
    # both reps and the manager see the move
    for who in ("ana", a.owner_login, "mia"):
        rep = Rep.get(Rep.login == who)
        assert [m["application_id"] for m in inbox.transfers_visible_to(rep)] == [app_id]
    assert inbox.transfers_visible_to(team["sol"]) == []


def test_unclaimed_past_deadline_gets_assigned(team, catalog, now):
    app_id = add(now, channel="phone", minutes_ago=0)
    assert inbox.sweep(now + timedelta(minutes=59))["moved"] == 0
    assert inbox.sweep(now + timedelta(minutes=61))["moved"] == 1
    assert inbox.get_application(app_id).owner_id is not None


def test_sla_per_channel_in_minutes(team, catalog, now):
    from models.settings import put

    put("admin", "sla.minutes", {"phone": 5, "email": 60, "social": 60, "website": 60}, now)
    app_id = add(now, channel="phone")
    assert inbox.get_application(app_id).due_at == now + timedelta(minutes=5)


def test_round_robin_spreads_and_skips_away(team, catalog, now):
    from models.reps import set_away

    set_away("admin", "mia", True, now)
    ids = [add(now, email=f"r{i}@example.com") for i in range(6)]
    for i in ids:
        inbox.claim(team["ana"], i, now)
    inbox.sweep(now + timedelta(minutes=61))
    owners = [inbox.get_application(i).owner_login for i in ids]
    assert sorted(owners) == ["ben", "ben", "ben", "cai", "cai", "cai"]


def test_least_loaded(team, catalog, now):
    from models.settings import put

    put("admin", "sla.strategy", "least_loaded", now)
    busy = [add(now + timedelta(hours=1), email=f"b{i}@example.com") for i in range(3)]
    for i in busy:
        inbox.claim(team["ben"], i, now)
    late = add(now, email="late@example.com")
    inbox.claim(team["ana"], late, now)
    inbox.sweep(now + timedelta(minutes=61))
    assert inbox.get_application(late).owner_login in ("cai", "mia")


def _sweeper(url, queue):
    from datetime import datetime

    from models.db import open_database
    from models.inbox import sweep

    open_database(url)
    queue.put(sweep(datetime(2026, 11, 20, 11, 0))["moved"])


def test_parallel_sweeps_move_each_application_once(db, team, catalog, now):
    ids = [add(now, email=f"s{i}@example.com") for i in range(30)]
    for i in ids:
        inbox.claim(team["ana"], i, now)
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_sweeper, args=(db, q)) for _ in range(4)]
    for p in procs:
        p.start()
    moved = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert sum(moved) == 30
    assert Transfer.select().count() == 30
    assert all(a.transfers == 1 for a in Application.select())


def test_manual_transfer_needs_reason_and_rights(team, catalog, now):
    app_id = add(now)
    inbox.claim(team["ana"], app_id, now)
    with pytest.raises(ValidationError, match="reason"):
        inbox.transfer(team["ana"], app_id, "ben", " ", now)
    with pytest.raises(PermissionDenied):
        inbox.transfer(team["cai"], app_id, "cai", "mine now", now)
    a = inbox.transfer(team["ana"], app_id, "ben", "speaks German", now)
    assert a.owner_login == "ben"
    assert application_detail(team["ben"], app_id)["history"][0]["reason"] == "speaks German"


def test_close_as_spam(team, catalog, now):
    app_id = add(now, "Cheap followers, click here")
    a = inbox.close(team["ana"], app_id, "spam", "seo offer", now)
    assert a.status == "spam" and inbox.list_inbox(team["ana"]) == []


def test_known_client_linked_and_duplicates_marked(team, catalog, now):
    from models.tables import Client

    c = Client.create(name="Marta", email="marta@club.es", created_at=now, updated_at=now)
    first = add(now, CONCRETE, email="marta@club.es", minutes_ago=30)
    second = add(now, CONCRETE + " Thanks!", email="marta@club.es")
    assert inbox.get_application(first).client_id == c.id
    assert inbox.get_application(second).duplicate_of_id == first
    assert inbox.get_application(first).duplicate_of_id is None


def test_duplicates_within_one_batch_and_against_the_stored_ones(team, catalog, now):
    """One intake batch: a repeat of a line earlier in the same batch, or of one stored before it (within a
    day, same e-mail or phone), is marked a likely duplicate of the first; a repeat of a repeat points to
    the first too; a different text, another contact or a message older than a day is not."""
    stored = add(now, CONCRETE, email="old@club.es", minutes_ago=120)
    stale = add(now, CONCRETE, email="stale@club.es", minutes_ago=60 * 30)

    def item(text, email, minutes_ago=0, phone=""):
        return dict(channel="email", text=text, name="Someone", email=email, phone=phone,
                    received_at=now - timedelta(minutes=minutes_ago))

    ids = inbox.add_applications("test", [
        item(CONCRETE, "marta@club.es", 10, phone="+34612345678"),     # 0: first of its kind
        item(CONCRETE + " Thanks!", "marta@club.es", 5),               # 1: repeat of 0 (same e-mail)
        item(CONCRETE + " Thanks again!", "other@club.es", 3, phone="+34612345678"),  # 2: repeat of 0 (phone)
        item(VAGUE, "marta@club.es", 2),                               # 3: another text
        item(CONCRETE, "old@club.es"),                                 # 4: repeat of the stored one
        item(CONCRETE, "stale@club.es"),                               # 5: the earlier one is 30 hours old
        item(CONCRETE, "nobody@club.es"),                              # 6: another contact
    ], now)
    dup = {i: inbox.get_application(app_id).duplicate_of_id for i, app_id in enumerate(ids)}
    assert dup == {0: None, 1: ids[0], 2: ids[0], 3: None, 4: stored, 5: None, 6: None}
    assert inbox.get_application(stale).duplicate_of_id is None


def test_reasons_are_json_lists(team, catalog, now):
    app_id = add(now, CONCRETE)
    assert isinstance(json.loads(Application.get_by_id(app_id).reasons), list)


def test_audit_cli_shows_claims_and_sweeps(db_url, tmp_path):
    from conftest import run_cli

    assert run_cli("rep", "add", "ana", "--name", "Ana", "--team", "North", db_url=db_url).returncode == 0
    assert run_cli("rep", "add", "ben", "--name", "Ben", "--team", "North", db_url=db_url).returncode == 0
    assert run_cli("rep", "add", "mia", "--name", "Mia", "--role", "manager", "--team", "North",
                   db_url=db_url).returncode == 0
    src = tmp_path / "one.jsonl"
    src.write_text('{"channel": "email", "email": "x@example.com", "text": "need 10 balls",'
                   ' "received_at": "2026-11-20T09:00:00Z"}\n')
    assert run_cli("intake", str(src), "--now", "2026-11-20T09:00:00", db_url=db_url).returncode == 0
    claimed = run_cli("claim", "--next", "--as", "ana", "--json", "--now", "2026-11-20T09:01:00", db_url=db_url)
    assert claimed.returncode == 0, claimed.stderr
    app_id = json.loads(claimed.stdout)["id"]
    assert json.loads(claimed.stdout)["owner"] == "ana"
    nothing = run_cli("claim", "--next", "--as", "ben", db_url=db_url)
    assert nothing.returncode == 7 and "no unclaimed" in nothing.stderr
    swept = run_cli("sweep", "--json", "--now", "2026-11-20T10:30:00", db_url=db_url)
    assert json.loads(swept.stdout)["transfers"]["moved"] == 1
    rows = json.loads(run_cli("audit", "--record", f"application:{app_id}", "--as", "mia", "--json",
                              db_url=db_url).stdout)
    actions = [(r["action"], r["actor"]) for r in rows]
    assert ("claim", "ana") in actions and ("transfer", "system") in actions
    shown = json.loads(run_cli("inbox", "--json", "--as", "ana", db_url=db_url).stdout)
    assert shown[0]["id"] == app_id and shown[0]["owner"] in ("ben", "mia")
    assert set(shown[0]) >= {"id", "channel", "received_at", "name", "email", "phone", "text", "score", "reasons",
                             "owner", "due_at", "status"}
    denied = run_cli("audit", "--record", f"application:{app_id}", "--as", "ana", db_url=db_url)
    # no longer hers: refused with the sentence that says nothing of the record (exit 4, as for none at all)
    assert denied.returncode == 4 and "There is no application" in denied.stderr and "not yours" in denied.stderr
    assert run_cli("audit", "--record", "application:999", "--as", "ana", db_url=db_url).stderr == denied.stderr.replace(
        f"application {app_id}", "application 999")
