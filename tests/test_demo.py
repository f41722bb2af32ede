"""The demo data follows the code (issue 11): its failed-payment tasks are the ones a follow-up closes,
activity kinds match their words, some work is already done (reports and the funnel start non-empty),
deals carry catalog lines and sit in stages their papers justify, approvals wait for the managers.
Both engines (the `db_url` fixture)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from conftest import run_cli

NOW = datetime(2026, 11, 20, 9, 0)


@pytest.fixture
def demo(db_url):
    proc = run_cli("demo", "--applications", "300", "--now", "2026-11-20T09:00:00Z", db_url=db_url)
    assert proc.returncode == 0, proc.stderr
    from models.db import close_database, open_database

    open_database(db_url)
    yield db_url
    close_database()


def test_failed_payment_tasks_are_the_ones_a_follow_up_closes(demo):
    from models.payments import mark_followed_up
    from models.reps import get_rep
    from models.tables import Activity, Deal, Invoice, Payment

    failed = list(Payment.select().where(Payment.status == "failed"))
    assert failed
    for p in failed:
        task = Activity.get(Activity.origin == f"failed-payment:{p.id}")
        deal = Deal.get_by_id(Invoice.get_by_id(p.invoice_id).deal_id)
        assert task.rep_id == deal.owner_id and task.deal_id == deal.id and task.done_at is None
    p = failed[0]
    owner = get_rep(Deal.get_by_id(Invoice.get_by_id(p.invoice_id).deal_id).owner.login)
    mark_followed_up(owner, p.id, NOW)  # what `u` on the Payments screen does
    assert Activity.get(Activity.origin == f"failed-payment:{p.id}").done_at == NOW
    assert not Activity.select().where(Activity.origin.startswith("failed-payment:demo")).exists()


def test_activity_kinds_match_their_words_and_some_are_done(demo):
    from models.demo import AGENDA, DONE
    from models.tables import Activity

    known = set(AGENDA) | set(DONE)
    for a in Activity.select().where(Activity.origin.is_null()):
        assert (a.kind, a.subject) in known, (a.kind, a.subject)
    assert Activity.select().where(Activity.done_at.is_null(False)).count() >= 20
    assert {a.kind for a in Activity.select().where(Activity.done_at.is_null(False))} >= {"call", "email", "meeting"}


def test_reports_and_the_funnel_start_non_empty(demo):
    from models.reports import activity_by_rep, default_period, funnel
    from models.reps import get_rep

    since, until = default_period(NOW)
    for login in ("dir", "mia", "demo"):
        steps = {s["step"]: s["count"] for s in funnel(get_rep(login), since, until)}
        assert all(steps.values()), (login, steps)
        assert activity_by_rep(get_rep(login), since, until), login


def test_deals_carry_catalog_lines_and_sit_where_their_papers_say(demo):
    from models import ledger
    from models.pipeline import gate_missing, stage_by_key
    from models.tables import Agreement, Deal, DealLine, Invoice, Order, Stage

    new = stage_by_key("new")
    stages = set()
    for d in Deal.select(Deal, Stage).join(Stage):
        key = d.stage.key
        stages.add(key)
        lines = list(DealLine.select().where(DealLine.deal == d.id))
        assert lines and all(line.product_id for line in lines), d.id
        assert d.amount_minor == sum(line.quantity * line.unit_price_minor for line in lines)
        if key == "lost":
            assert d.lost_reason and d.closed_at
            continue
        assert gate_missing(d, new, d.stage) == [], (d.id, key, gate_missing(d, new, d.stage))
        position = d.stage.position
        signed = ledger.agreement_signed(d.id)
        assert signed == (position >= stage_by_key("agreement_signed").position), (d.id, key)
        assert ledger.deal_invoiced(d.id) == (position >= stage_by_key("invoiced").position), (d.id, key)
        money = ledger.deal_paid_in_full(d.id) or ledger.deal_plan_approved(d.id)
        assert money == (position >= stage_by_key("paid").position), (d.id, key)
        order = Order.get_or_none(Order.deal == d.id)
        assert (order is not None) == (key in ("shipped", "won")), (d.id, key)
        if order is not None:
            assert order.status == ("delivered" if key == "won" else "shipped") and order.address
            assert order.lines.count() == len(lines)
        if key == "negotiation":
            assert Agreement.get(Agreement.deal == d.id).status == "sent"
    assert stages == {s.key for s in Stage.select()}
    for inv in Invoice.select():  # the stored status is what the operations store
        assert inv.status == ledger.stored_status(inv), inv.number
        assert inv.number == f"INV-{inv.issued_at:%Y}-{inv.id:06d}"


def test_paying_customers_are_in_the_segment_their_purchase_says(demo):
    from models.segments import DEFAULT_BOUNDS, segment_for
    from models.tables import Client, Deal, Invoice, Payment, Stage

    for p in (Payment.select(Payment, Invoice, Deal).join(Invoice).join(Deal).join(Stage)
              .where((Payment.status == "ok") & Stage.key.in_(("paid", "shipped", "won")))):
        c = Client.get_by_id(p.invoice.deal.client_id)
        assert c.last_purchase_at is not None and c.last_purchase_at >= p.received_at - timedelta(seconds=1)
        assert c.segment == segment_for(c.last_purchase_at, NOW, DEFAULT_BOUNDS)


def test_managers_have_something_waiting_for_them(demo):
    from models.reps import get_rep
    from models.usecases.notices import notices_view

    assert notices_view(get_rep("dir"), NOW).approvals >= 2  # a proposed plan and a proposed credit note
    assert notices_view(get_rep("mia"), NOW).approvals + notices_view(get_rep("sam"), NOW).approvals >= 2


def test_the_demo_rep_starts_with_news(demo):
    """`make run` signs in as `demo`: the notice counter has something to show (a failed card payment the
    gateway reported on one of their deals)."""
    from models.reps import get_rep
    from models.usecases.notices import notices_view

    kinds = {n.kind for n in notices_view(get_rep("demo"), NOW).items}
    assert "payment_failed" in kinds


def _application_indexes():
    from models.engine import database, is_sqlite

    if is_sqlite():
        return sorted(database.execute_sql("SELECT name, sql FROM sqlite_master WHERE tbl_name IN "
                                           "('application', 'application_fts') AND sql IS NOT NULL").fetchall())
    return sorted(database.execute_sql("SELECT indexname, indexdef FROM pg_indexes "
                                       "WHERE tablename = 'application'").fetchall())


def test_a_bulk_demo_puts_back_every_index_and_the_search(db_url):
    """Above 5,000 applications the demo loads without the application's indexes (COPY on PostgreSQL) and
    builds them once at the end: the same indexes, triggers and search afterwards as a small demo's."""
    from models.db import close_database, open_database
    from models.engine import database

    open_database(db_url)
    before = _application_indexes()
    close_database()
    proc = run_cli("demo", "--applications", "6000", "--now", "2026-11-20T09:00:00Z", db_url=db_url)
    assert proc.returncode == 0, proc.stderr
    open_database(db_url)
    try:
        assert _application_indexes() == before
        import re

        from models.inbox import search_matches
        from models.tables import Application

        assert Application.select().count() == 6000

        def words(a):
            return re.split(r"[^\w]+|_", " ".join((a.name or "", a.email or "", a.subject or "", a.text or "")).lower())

        opened = list(Application.select().where(Application.open == True))  # noqa: E712
        for word in ("ball", "goal", "kit"):
            expected = sum(any(w.startswith(word) for w in words(a)) for a in opened)
            assert expected and search_matches(word, cap=100000) == expected, word  # every open one, no closed one
        n = database.execute_sql(f"SELECT count(*) FROM application WHERE text LIKE {database.param}",
                                 ["%\t%"]).fetchone()[0]
        assert n == 0  # COPY's escapes did not leak into the texts
    finally:
        close_database()
