"""Commissions on collected cash (issue 15): plans as data, flat / tiered / marginal schedules, credit on cash
of shipped or won deals, source splits, clawbacks, exact totals, roles, the CLI. Both engines."""
from __future__ import annotations

import itertools
import json
from datetime import date, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from models import commissions
from models.clients import add_client
from models.errors import NotYours, PermissionDenied, ValidationError
from models.payments import add_note, record_payment
from models.pipeline import stage_by_key
from models.tables import Deal, Invoice
from conftest import run_cli

NOV = datetime(2026, 11, 10, 12, 0)
DEC = datetime(2026, 12, 10, 12, 0)
_n = itertools.count(1)


def shipped_deal(rep, amount_minor: int, at: datetime, stage: str = "shipped", sourced_by=None, split_bp=None):
    """A deal of REP in STAGE since AT with an invoice for AMOUNT_MINOR EUR (no payment yet)."""
    i = next(_n)
    c = add_client(rep, at, name=f"Club {i}", email=f"club{i}@example.com")
    d = Deal.create(client=c.id, owner=rep.id, team=rep.team_id, title=f"deal {i}", stage=stage_by_key(stage).id,
                    amount_minor=amount_minor, currency="EUR", stage_changed_at=at, created_at=at, updated_at=at,
                    closed_at=at if stage == "won" else None, sourced_by=sourced_by.id if sourced_by else None,
                    source_split_bp=split_bp)
    inv = Invoice.create(deal=d.id, number=f"INV-T-{d.id:05d}", amount_minor=amount_minor, currency="EUR",
                         issued_at=at, due_at=at + timedelta(days=3))
    return d, inv


def paid_deal(team, rep, amount_minor: int, at: datetime, **kw):
    d, inv = shipped_deal(rep, amount_minor, at, **kw)
    p = record_payment(team["mia"], inv.id, amount_minor, at)
    return d, inv, p


def plan(team, login, schedule, tiers, quota_minor=1_000_000, starts=date(2026, 1, 1), period="month"):
    return commissions.set_plan(team["mia"] if login != "sol" else team["dan"], login, NOV, ote_minor=500_000,
                                base_percent=70, quota_minor=quota_minor, schedule=schedule, tiers=tiers,
                                starts_on=starts, period=period)


def total(team, login, period="2026-11", actor="dan"):
    return commissions.statement(team[actor], login, period, NOV).total_minor


def test_tiered_and_marginal_on_the_same_cash(team):
    # quota 10,000.00 EUR; brackets 5 % from 0, 8 % from 50 %, 12 % from 100 % (the accelerator).
    # ana collects 3,000 + 4,000 + 5,000 = 12,000.00 EUR in November: 120 % of quota.
    for amount in (300_000, 400_000, 500_000):
        paid_deal(team, team["ana"], amount, NOV)
    plan(team, "ana", "tiered", "0:5,50:8,100:12")
    s = commissions.statement(team["ana"], "ana", "2026-11", NOV)
    # tiered: the whole 12,000 at the highest tier reached (12 %) = 1,440.00
    assert s.total_minor == 144_000 and s.credited_minor == 1_200_000 and s.attainment_percent == 120
    assert [ln.commission_minor for ln in s.lines] == [36_000, 48_000, 60_000]
    assert {ln.rate for ln in s.lines} == {"12"}
    plan(team, "ana", "marginal", "0:5,50:8,100:12")  # the same start date: the plan is replaced
    s = commissions.statement(team["ana"], "ana", "2026-11", NOV)
    # marginal: 5,000 x 5 % = 250 + 5,000 x 8 % = 400 + 2,000 x 12 % = 240 -> 890.00
    # lines carry: cum 3,000 -> 150; cum 7,000 -> 250 + 2,000 x 8 % = 410 (line 260); cum 12,000 -> 890 (480)
    assert s.total_minor == 89_000
    assert [ln.commission_minor for ln in s.lines] == [15_000, 26_000, 48_000]
    assert s.lines[0].rate == "5" and s.lines[2].rate == "9.6"  # 480 / 5,000: half at 8 %, 2,000 at 12 %
    plan(team, "ana", "flat", "5")
    assert total(team, "ana") == 60_000  # 12,000 x 5 %


def test_rounding_once_per_line_with_the_remainder_carried(team):
    # three payments of 0.33 EUR at 7.5 %: exactly 2.475 each; rounding each alone gives 0.02 x 3 = 0.06,
    # the plan's arithmetic on the total 0.99 x 7.5 % = 0.07425 -> 0.07. Carried: 2, 3, 2 cents.
    for _ in range(3):
        paid_deal(team, team["ana"], 33, NOV)
    plan(team, "ana", "flat", "7.5")
    s = commissions.statement(team["ana"], "ana", "2026-11", NOV)
    assert [ln.commission_minor for ln in s.lines] == [2, 3, 2]
    assert s.total_minor == 7 == sum(ln.commission_minor for ln in s.lines)


def test_credit_waits_for_shipment_and_is_on_cash_not_invoices(team):
    plan(team, "ana", "flat", "10")
    d, inv = shipped_deal(team["ana"], 100_000, NOV, stage="paid")
    record_payment(team["mia"], inv.id, 100_000, NOV)
    shipped_deal(team["ana"], 900_000, NOV)  # invoiced, nothing paid: no credit
    assert commissions.statement(team["ana"], "ana", "2026-11", NOV).lines == ()
    # shipped on 3 December: the November cash is credited in December (10 % of 1,000.00 = 100.00)
    Deal.update(stage=stage_by_key("shipped").id, stage_changed_at=datetime(2026, 12, 3, 9)).where(
        Deal.id == d.id).execute()
    assert total(team, "ana", "2026-12") == 10_000 and total(team, "ana", "2026-11") == 0


def test_the_source_keeps_its_split(team):
    # ben converted it (15 %), ana owns it: 1,000.00 -> ben 150.00, ana 850.00; at 10 %: 15.00 and 85.00
    plan(team, "ana", "flat", "10")
    plan(team, "ben", "flat", "10")
    d, inv, p = paid_deal(team, team["ana"], 100_000, NOV, sourced_by=team["ben"], split_bp=1500)
    a = commissions.statement(team["mia"], "ana", "2026-11", NOV)
    b = commissions.statement(team["mia"], "ben", "2026-11", NOV)
    assert (a.lines[0].amount_minor, a.lines[0].role, a.total_minor) == (85_000, "owner", 8_500)
    assert (b.lines[0].amount_minor, b.lines[0].role, b.total_minor) == (15_000, "source", 1_500)
    line = b.lines[0]
    assert (line.payment_id, line.deal_id, line.invoice_number) == (p.id, d.id, inv.number)


def test_clawbacks_land_in_the_period_they_happen(team):
    plan(team, "ana", "flat", "10")
    d, inv, p = paid_deal(team, team["ana"], 100_000, NOV)
    assert total(team, "ana") == 10_000  # November: 1,000.00 x 10 %
    add_note(team["mia"], inv.id, "credit", 40_000, "two balls returned", DEC)  # paid: 400.00 is refunded
    record_payment(team["mia"], inv.id, 30_000, DEC + timedelta(days=1), failed=True, reason="charge-back")
    s = commissions.statement(team["ana"], "ana", "2026-12", NOV)
    # December: -400.00 and -300.00 at November's 10 %: -40.00 and -30.00; November stays as paid
    assert [(ln.kind, ln.amount_minor, ln.commission_minor) for ln in s.lines] == [
        ("clawback", -40_000, -4_000), ("clawback", -30_000, -3_000)]
    assert s.lines[0].refund_id is not None and s.lines[1].payment_id is not None
    assert s.total_minor == -7_000 and total(team, "ana") == 10_000
    # nothing more can go back than was credited: another failed 1,000.00 takes the last 300.00 only
    record_payment(team["mia"], inv.id, 100_000, DEC + timedelta(days=2), failed=True, reason="again")
    assert commissions.statement(team["ana"], "ana", "2026-12", NOV).lines[-1].amount_minor == -30_000


def test_a_failed_attempt_before_the_money_came_is_no_clawback(team):
    plan(team, "ana", "flat", "10")
    d, inv = shipped_deal(team["ana"], 50_000, NOV)
    record_payment(team["mia"], inv.id, 50_000, NOV, failed=True, reason="card declined")
    record_payment(team["mia"], inv.id, 50_000, NOV + timedelta(hours=1))
    s = commissions.statement(team["ana"], "ana", "2026-11", NOV)
    assert [ln.kind for ln in s.lines] == ["credit"] and s.total_minor == 5_000


_rep_no = itertools.count(1)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(st.integers(1, 900_000), min_size=1, max_size=4), pick=st.integers(0, 3),
       schedule=st.sampled_from(["flat", "tiered", "marginal"]))
def test_a_clawback_brings_the_statement_back_to_without_the_payment(team, amounts, pick, schedule):
    """With the payment and its full refund in the period, the statement is the one without the payment."""
    from models.reps import add_rep

    pick %= len(amounts)
    tiers = "7.5" if schedule == "flat" else "0:3,40:6.25,100:11"
    reps = []
    for _ in range(2):
        login = f"p{next(_rep_no)}"
        reps.append(add_rep("admin", login, login, "rep", "North", now=NOV))
        commissions.set_plan(team["mia"], login, NOV, ote_minor=0, base_percent=70, quota_minor=1_000_000,
                             schedule=schedule, tiers=tiers, starts_on=date(2026, 1, 1))
    with_refund, without = reps
    for i, amount in enumerate(amounts):
        d, inv, p = paid_deal(team, with_refund, amount, NOV + timedelta(hours=i))
        if i == pick:
            add_note(team["mia"], inv.id, "credit", amount, "all returned", NOV + timedelta(days=5))
        else:
            paid_deal(team, without, amount, NOV + timedelta(hours=i))
    a = commissions.statement(team["dan"], with_refund.login, "2026-11", NOV)
    b = commissions.statement(team["dan"], without.login, "2026-11", NOV)
    assert (a.credited_minor, a.total_minor) == (b.credited_minor, b.total_minor)
    assert sum(ln.commission_minor for ln in a.lines) == a.total_minor


@given(x=st.integers(-10 ** 7, 10 ** 8))
def test_marginal_never_pays_more_than_tiered_with_rising_rates(x):
    class P:
        quota_minor, tiers = 1_000_000, json.dumps([{"from": 0, "rate": "5"}, {"from": 50, "rate": "8"},
                                                    {"from": 100, "rate": "12"}])
    tiered = type("T", (P,), {"schedule": "tiered"})
    marginal = type("M", (P,), {"schedule": "marginal"})
    t, m = commissions.commission_of(tiered, x)[0], commissions.commission_of(marginal, x)[0]
    assert (m <= t) if x >= 0 else True
    if 0 <= x < 500_000:
        assert m == t == Fraction(x * 5, 100)  # below the second bracket both are the first rate
    if x == 500_000:  # "from 50": at exactly 50% the tiered plan pays 8% on all, the marginal 5% up to there
        assert (t, m) == (Fraction(40_000), Fraction(25_000))


def test_a_bracket_starts_at_its_threshold():
    class P:
        quota_minor, tiers = 1_000_000, json.dumps([{"from": 0, "rate": "5"}, {"from": 50, "rate": "8"}])
    tiered = type("T", (P,), {"schedule": "tiered"})
    marginal = type("M", (P,), {"schedule": "marginal"})
    assert commissions.commission_of(tiered, 499_999)[0] == Fraction(499_999 * 5, 100)
    assert commissions.commission_of(tiered, 500_000)[0] == Fraction(500_000 * 8, 100)
    assert commissions.commission_of(marginal, 500_000)[0] == Fraction(500_000 * 5, 100)
    assert commissions.commission_of(marginal, 600_000)[0] == Fraction(500_000 * 5 + 100_000 * 8, 100)


def test_plans_are_validated_and_only_managers_set_them(team):
    with pytest.raises(PermissionDenied):
        commissions.set_plan(team["ana"], "ana", NOV, ote_minor=1, base_percent=70, quota_minor=1,
                             schedule="flat", tiers="5", starts_on=date(2026, 1, 1))
    with pytest.raises(NotYours) as refused:  # mia leads North; sol is South: refused as a missing rep
        commissions.set_plan(
            team["mia"], "sol", NOV, ote_minor=1, base_percent=70, quota_minor=1, schedule="flat", tiers="5",
            starts_on=date(2026, 1, 1))
    with pytest.raises(NotYours) as missing:
        commissions.set_plan(
            team["mia"], "nobody", NOV, ote_minor=1, base_percent=70, quota_minor=1, schedule="flat", tiers="5",
            starts_on=date(2026, 1, 1))
    assert str(refused.value) == str(missing.value).replace("nobody", "sol")
    with pytest.raises(ValidationError, match="^The base is a whole percent"):  # a field, not a flag
        commissions.set_plan(team["mia"], "ana", NOV, ote_minor=1, base_percent=101, quota_minor=1,
                             schedule="flat", tiers="5", starts_on=date(2026, 1, 1))
    for bad in ("0:5,0:8", "10:5", "0:5.555", "0:101", "[{\"from\": 0}]", "x"):
        with pytest.raises(ValidationError):
            plan(team, "ana", "tiered", bad)
    with pytest.raises(ValidationError):
        plan(team, "ana", "flat", "0:5,50:8")  # flat is one rate
    assert json.loads(plan(team, "ana", "tiered", '[{"from": 0, "rate": "5"}, {"from": 80, "rate": 7.25}]').tiers) \
        == [{"from": 0, "rate": "5"}, {"from": 80, "rate": "7.25"}]


def test_a_rep_sees_only_their_own_statement_a_manager_the_team(team):
    plan(team, "ana", "flat", "5")
    plan(team, "sol", "flat", "5")
    assert commissions.statement(team["ana"], "ana", "2026-11", NOV).rep == "ana"
    assert commissions.statement(team["mia"], "ana", "2026-11", NOV).rep == "ana"
    with pytest.raises(NotYours) as exc:
        commissions.statement(team["ben"], "ana", "2026-11", NOV)
    assert str(exc.value) == "There is no rep ana, or it is not yours."
    with pytest.raises(NotYours):
        commissions.statement(team["mia"], "sol", "2026-11", NOV)
    assert commissions.statement(team["dan"], "sol", "2026-11", NOV).rep == "sol"
    with pytest.raises(NotYours):
        commissions.plans(team["ben"], "ana")


def test_the_commands_with_json_and_csv(db, team):
    d, inv, p = paid_deal(team, team["ana"], 123_456, NOV)
    set_ = run_cli("commission", "plan", "set", "ana", "--ote", "5000", "--base-percent", "70", "--quota", "10000",
                   "--schedule", "marginal", "--tiers", "0:5,50:8,100:12", "--from", "2026-11-01", "--as", "mia",
                   "--json", db_url=db)
    assert set_.returncode == 0, set_.stderr
    body = json.loads(set_.stdout)
    assert body["base_minor"] == 350_000 and body["variable_target_minor"] == 150_000
    assert run_cli("commission", "plan", "set", "ana", "--ote", "1", "--quota", "1", "--schedule", "flat",
                   "--tiers", "5", "--as", "ana", db_url=db).returncode == 5
    shown = json.loads(run_cli("commission", "plan", "show", "ana", "--as", "ana", "--json", db_url=db).stdout)
    assert [x["schedule"] for x in shown["plans"]] == ["marginal"]
    out = run_cli("commission", "statement", "ana", "--period", "2026-11", "--as", "ana", "--json", db_url=db)
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    # 1,234.56 x 5 % = 61.728 -> 61.73
    assert s["total_minor"] == 6_173 and s["lines"][0]["payment_id"] == p.id
    assert s["lines"][0]["invoice_number"] == inv.number and s["lines"][0]["deal_id"] == d.id
    csv = run_cli("commission", "statement", "ana", "--period", "2026-11", "--as", "mia", "--csv", db_url=db)
    rows = csv.stdout.strip().splitlines()
    assert rows[0].startswith("kind,at,payment_id") and rows[-1].startswith("total,") and "6173" in rows[-1]
    hidden = run_cli("commission", "statement", "ana", "--period", "2026-11", "--as", "ben", "--json", db_url=db)
    assert hidden.returncode == 4 and "There is no rep ana, or it is not yours." in hidden.stderr
    bad = run_cli("commission", "statement", "ana", "--period", "2026-Q4", "--as", "ana", db_url=db)
    assert bad.returncode == 2 and "per month" in bad.stderr
