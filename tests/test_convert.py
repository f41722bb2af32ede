"""Issue 11, conversion: an application becomes a client card (new, the known one, or a chosen duplicate)
and a deal in New whose lines are the products the scoring found, in one transaction; a phone call typed
in by a rep is theirs and contacted at once. Both engines."""
from __future__ import annotations

import json

import pytest

from conftest import run_cli
from models import inbox
from models.audit import history
from models.clients import add_client
from models.errors import NotFound, NothingToDo, PermissionDenied
from models.tables import Activity, Application, Client, Deal, DealLine
from models.usecases.convert import conversion_preview, convert

ASK = ("Hello, we need 40 BALL-PRO5 and 2 portable goals 7x5 for our club, delivery to Leeds by 5 December.")


def app(now, **kw):
    data = dict(channel="email", name="Marta Ruiz", email="marta@clubnorte.es", phone="+34 600 123 456", text=ASK)
    data.update(kw)
    return inbox.add_application("test", data, now)


def test_a_new_client_and_a_deal_with_the_products_asked_for(team, now, catalog, plain):
    ana = team["ana"]
    a = app(now)
    preview = conversion_preview(ana, a)
    plain(preview)
    assert preview.known_client is None and preview.new_client_name == "Marta Ruiz"
    assert [(x.sku, x.quantity, x.unit_price_minor) for x in preview.lines] == [("BALL-PRO5", 40, 3990),
                                                                                ("GOAL-7X5", 2, 18900)]
    assert "40 x" in preview.title
    c = convert(ana, a, now)
    plain(c)
    assert c.created_client and c.lines == 2
    client = Client.get_by_id(c.client_id)
    assert (client.name, client.email, client.phone, client.owner_id, client.source) == (
        "Marta Ruiz", "marta@clubnorte.es", "+34600123456", ana.id, "email")
    d = Deal.get_by_id(c.deal_id)
    assert (d.stage.key, d.application_id, d.client_id, d.owner_id) == ("new", a, client.id, ana.id)
    assert d.amount_minor == 40 * 3990 + 2 * 18900 and not d.need  # the rep qualifies the need
    first = Activity.get((Activity.deal == d.id) & (Activity.application == a))  # the application's words
    assert ASK in first.note and first.kind == "email" and first.done_at is not None
    assert [(x.product.sku, x.quantity) for x in DealLine.select().where(DealLine.deal == d.id).order_by(DealLine.id)] \
        == [("BALL-PRO5", 40), ("GOAL-7X5", 2)]
    row = Application.get_by_id(a)
    assert (row.status, row.open, row.client_id, row.owner_id) == ("converted", False, client.id, ana.id)
    assert ("convert", "status", "converted") in [(h["action"], h["field"], h["new"]) for h in history("application", a)]
    assert any(h["field"] == "application" for h in history("deal", d.id))
    with pytest.raises(NothingToDo, match="already converted"):
        convert(ana, a, now)
    with pytest.raises(NothingToDo):
        conversion_preview(ana, a)


def test_the_known_client_or_a_chosen_duplicate(team, now, catalog):
    ana = team["ana"]
    known = add_client(ana, now, name="Club Norte", email="marta@clubnorte.es")
    a = app(now)
    p = conversion_preview(ana, a)
    assert p.known_client is not None and p.known_client.id == known.id
    c = convert(ana, a, now, title="Balls for the league")
    assert (c.client_id, c.created_client, c.title) == (known.id, False, "Balls for the league")
    twin = add_client(ana, now, name="Pedro Gomez", phone="+34 611 222 333")
    b = app(now, name="Pedro Gómez", email="", phone="+34 699 999 999", text="Need 5 BALL-FUT please")
    dup = conversion_preview(ana, b)
    assert dup.known_client is None and [x.id for x in dup.duplicates] == [twin.id]
    c = convert(ana, b, now, client_id=twin.id, lines=[("BALL-FUT", 6, 2000)])
    assert c.client_id == twin.id and not c.created_client
    assert Deal.get_by_id(c.deal_id).amount_minor == 12000


def test_whose_application_may_be_converted(team, now, catalog):
    ana, ben, sol = team["ana"], team["ben"], team["sol"]
    a = app(now)
    inbox.claim(ben, a, now)
    with pytest.raises(PermissionDenied):
        convert(ana, a, now)
    assert convert(team["mia"], a, now).deal_id  # a manager may
    free = app(now, email="other@example.com", phone="", name="Other Club")
    assert convert(sol, free, now).created_client  # an unclaimed one becomes the rep's
    assert Application.get_by_id(free).owner_id == sol.id
    closed = app(now, email="closed@example.com", phone="", name="Closed")
    inbox.close(ana, closed, "closed", "wrong number", now)
    with pytest.raises(NothingToDo, match="closed"):
        convert(ana, closed, now)
    with pytest.raises(NotFound):
        convert(ana, 999999, now)
    # a known client who is another rep's: not taken over, not copied
    theirs = add_client(sol, now, name="South Club", email="south@example.com")
    s = app(now, email="south@example.com", phone="", name="South Club")
    with pytest.raises(PermissionDenied, match="sol"):
        convert(ana, s, now)
    assert Client.select().where(Client.email == "south@example.com").count() == 1 and theirs.id


def test_a_failed_conversion_leaves_nothing(team, now, catalog):
    a = app(now)
    with pytest.raises(NotFound):
        convert(team["ana"], a, now, lines=[("BALL-PRO5", 1, None), ("NO-SUCH-SKU", 1, None)])
    assert Client.select().count() == 0 and Deal.select().count() == 0
    assert Application.get_by_id(a).status == "new"


def test_a_phone_call_typed_in_is_the_reps_and_contacted(team, now):
    ana = team["ana"]
    a = inbox.add_phone_application(ana, dict(name="Olga", phone="+447700900123", text="Two goals for Friday"),
                                    now, note="called at 9")
    row = Application.get_by_id(a)
    assert (row.channel, row.owner_id, row.status, row.open, row.first_contact_at) == (
        "phone", ana.id, "contacted", False, now)
    act = Activity.get(Activity.application == a)
    assert (act.kind, act.rep_id, act.done_at, act.note) == ("call", ana.id, now, "called at 9")


def test_convert_through_the_cli(db_url):
    from conftest import SAMPLES

    def cli(*args):
        return run_cli(*args, db_url=db_url)

    cli("rep", "add", "ana", "--name", "Ana", "--team", "North")
    assert cli("import", "products", str(SAMPLES / "catalog.csv")).returncode == 0
    line = json.dumps(dict(channel="email", received_at="2026-11-20T08:00:00+00:00", name="Marta Ruiz",
                           email="marta@clubnorte.es", text=ASK))
    intake = run_cli("intake", "-", db_url=db_url, input=line + "\n")
    assert intake.returncode == 0, intake.stderr
    app_id = json.loads(cli("inbox", "--json", "--as", "ana").stdout)[0]["id"]
    preview = cli("convert", str(app_id), "--preview", "--as", "ana")
    assert preview.returncode == 0 and "BALL-PRO5" in preview.stdout and "new card" in preview.stdout
    done = cli("convert", str(app_id), "--as", "ana", "--json")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["created_client"] is True and body["lines"] == 2
    again = cli("convert", str(app_id), "--as", "ana")
    assert again.returncode == 7 and "already converted" in again.stderr
    shown = json.loads(cli("deal", "show", str(body["deal_id"]), "--as", "ana", "--json").stdout)
    assert [x["sku"] for x in shown["lines"]] == ["BALL-PRO5", "GOAL-7X5"] and shown["stage"] == "new"
