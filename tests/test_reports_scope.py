"""Reports count in SQL what the actor may see: a manager's funnel is their team's, and cash in is
payments less the refunds paid out."""
from __future__ import annotations

from datetime import timedelta

from models import reports
from models.tables import Application, Client, Deal, Invoice, Payment, Refund, Stage


def _app(team_id, owner, now, i):
    return Application.create(channel="email", received_at=now - timedelta(hours=1), email=f"r{i}@example.com",
                              text="ten balls", team=team_id, owner=owner, due_at=now + timedelta(hours=1), created_at=now,
                              status="new")


def test_a_managers_funnel_counts_only_their_teams_applications(team, now):
    north, south = team["ana"].team_id, team["sol"].team_id
    for i in range(3):
        _app(north, None, now, i)
    for i in range(3, 8):
        _app(south, team["sol"], now, i)
    period = (now - timedelta(days=1), now + timedelta(minutes=1))
    received = lambda who: {s["step"]: s["count"] for s in reports.funnel(team[who], *period)}["Applications"]
    assert received("mia") == 3      # North's three, not South's five
    assert received("dan") == 8      # the director sees both teams
    assert received("sol") == 5
    assert received("ana") == 0      # a rep counts what is theirs


def _invoice(owner, now, number):
    c = Client.create(name="C", owner=owner, team=owner.team_id, created_at=now, updated_at=now)
    d = Deal.create(client=c, owner=owner, team=owner.team_id, title="t", stage=Stage.get(Stage.key == "paid"),
                    stage_changed_at=now, created_at=now, updated_at=now)
    return Invoice.create(deal=d, number=number, amount_minor=50_000, currency="EUR", issued_at=now,
                          due_at=now + timedelta(days=7))


def test_cash_in_is_payments_less_refunds_paid_per_day(team, now):
    inv = _invoice(team["ana"], now, "INV-R1")
    other = _invoice(team["sol"], now, "INV-R2")
    day1 = now - timedelta(days=2)
    Payment.create(invoice=inv, amount_minor=30_000, currency="EUR", received_at=day1, recorded_by="ana")
    Payment.create(invoice=inv, amount_minor=20_000, currency="EUR", received_at=day1 + timedelta(minutes=5),
                   recorded_by="ana")
    Payment.create(invoice=inv, amount_minor=9_999, currency="EUR", status="failed", received_at=day1,
                   recorded_by="ana")
    Payment.create(invoice=other, amount_minor=7_000, currency="EUR", received_at=day1, recorded_by="sol")
    Refund.create(invoice=inv, amount_minor=5_000, currency="EUR", status="paid", created_at=now,
                  created_by="ana", paid_at=now - timedelta(hours=1))
    Refund.create(invoice=inv, amount_minor=1_000, currency="EUR", status="due", created_at=now, created_by="ana")
    period = (now - timedelta(days=5), now + timedelta(minutes=1))
    ana = reports.cash_in(team["ana"], *period)
    assert ana == [dict(day=day1.date().isoformat(), currency="EUR", amount_minor=50_000),
                   dict(day=(now - timedelta(hours=1)).date().isoformat(), currency="EUR", amount_minor=-5_000)]
    assert sum(r["amount_minor"] for r in reports.cash_in(team["dan"], *period)) == 52_000
    assert sum(r["amount_minor"] for r in reports.cash_in(team["sol"], *period)) == 7_000
