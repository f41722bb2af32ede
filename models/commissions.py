"""Commissions on collected cash (issue 15): a rep's plan is data (CommissionPlan), a statement per period.

The plan: on-target earnings per period (`ote_minor`) with a pay mix (`base_percent` of OTE is base pay,
the rest the variable target), a quota of credited cash for 100 % (`quota_minor`), the period (month or
quarter), the currency, and a rate schedule:

- ``flat``: one rate on all credited cash;
- ``tiered``: the whole amount at the rate of the highest tier reached by the period's attainment;
- ``marginal``: brackets, like income tax: each slice of cash at its own bracket's rate.

An accelerator above 100 % is just a bracket starting at 100.

The tiers JSON (CommissionPlan.tiers), precisely: a JSON list of brackets, ordered by ``from``, each an
object ``{"from": P, "rate": "R"}`` where P is the attainment in whole percent of the quota at which the
bracket begins (an integer 0..1000; the first bracket has P = 0, each next one a greater P) and R the
commission in percent of credited cash, a decimal string with at most two decimals ("5", "7.5", "12.25";
0 to 100). A flat schedule has exactly one bracket. Example, 5 % up to half the quota, 8 % to the quota,
12 % above (the accelerator): ``[{"from": 0, "rate": "5"}, {"from": 50, "rate": "8"}, {"from": 100,
"rate": "12"}]``. The command line also takes the short spec ``0:5,50:8,100:12`` (or ``5`` for flat).

Credit: cash collected, never invoices issued. A payment with status ok is credited when both it is
received and its deal is shipped or won (the moment it shipped: its order's shipped_at, else the moment it
closed or entered its stage); it counts in the statement of the period (the rep's zone) holding the later of
the two, in the plan's currency. The deal's source (Deal.sourced_by: who converted it or handed it over)
gets Deal.source_split_bp of it (default setting commission.source_split, percent), the owner the rest.

Clawbacks: money that goes back after it was credited is taken back in the statement of the period it
happens in: a refund (a credit note's paid part, Refund.created_at; a refund recorded before the cash was
credited counts from the moment it was), and a failed payment recorded on the invoice after cash on it was
credited (a bounce, a charge-back: Payment.received_at), each at most the credited cash not yet taken back
on that invoice. A clawback of cash credited in the same period lowers that period's credited total (so the
statement is exactly what it would have been without the payment); of cash credited in an earlier period it
is taken back at the effective rate that period paid.

Arithmetic: rates are exact fractions; every line is rounded once, half up, with the remainder carried
(line i = round(F(cumulative after i)) - round(F(cumulative before i))), so the lines add up to the plan's
arithmetic on the total: total = round(F(net credited)) + round(sum of earlier-period clawbacks).
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from peewee import JOIN, fn

from .access import may_act_for_team, require_manager, sees_all
from .audit import record_changes
from .clock import iso, local
from .engine import write_txn
from .errors import NotFound, NotYours, ValidationError
from .forecast import next_month, parse_period, utc_start
from .money import check_currency
from .pipeline import source_split_bp
from .tables import CommissionPlan, Deal, Invoice, Order, Payment, Refund, Rep, Stage

SCHEDULES = ("flat", "tiered", "marginal")
PERIODS = ("month", "quarter")


# ---------------------------------------------------------------- the tiers

def parse_tiers(raw, schedule: str) -> list[dict]:
    """The tiers as the CLI or JSON gives them -> the canonical list [{"from": P, "rate": "R"}, ...]."""
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                raw = json.loads(text, parse_float=Decimal)
            except ValueError:
                raise ValidationError("The tiers are not valid JSON (e.g. [{\"from\": 0, \"rate\": \"5\"}]).",
                                      field="tiers") from None
        elif re.fullmatch(r"[\d.]+", text):
            raw = [{"from": 0, "rate": text}]
        else:
            items = []
            for part in text.split(","):
                m = re.fullmatch(r"\s*(\d{1,4})\s*:\s*([\d.]+)\s*", part)
                if not m:
                    raise ValidationError(f"The tiers {text[:60]!r}: write FROM:RATE pairs (0:5,50:8,100:12) or "
                                          "one rate for flat (5).", field="tiers")
                items.append({"from": int(m.group(1)), "rate": m.group(2)})
            raw = items
    if not isinstance(raw, list) or not raw:
        raise ValidationError("The tiers are a non-empty list of brackets.", field="tiers")
    out, last = [], -1
    for b in raw:
        if not isinstance(b, dict) or set(b) != {"from", "rate"}:
            raise ValidationError('Each bracket is {"from": P, "rate": "R"}.', field="tiers")
        p = b["from"]
        if isinstance(p, Decimal) and p == p.to_integral_value():
            p = int(p)
        if isinstance(p, bool) or not isinstance(p, int) or not 0 <= p <= 1000:
            raise ValidationError("A bracket's from is a whole percent of the quota, 0 to 1000.", field="tiers")
        if (last < 0 and p != 0) or p <= last:
            raise ValidationError("Brackets start at 0 and each next one higher.", field="tiers")
        last = p
        out.append({"from": p, "rate": _rate_text(b["rate"])})
    if schedule == "flat" and len(out) != 1:
        raise ValidationError("A flat schedule has one rate.", field="tiers")
    return out


def _rate_text(value) -> str:
    try:
        if isinstance(value, bool) or isinstance(value, float):
            raise InvalidOperation
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(f"A rate is a percent such as \"7.5\", not {str(value)[:20]!r}.", field="tiers") from None
    if not d.is_finite() or d < 0 or d > 100 or d != d.quantize(Decimal("0.01")):
        raise ValidationError("A rate is a percent from 0 to 100 with at most two decimals.", field="tiers")
    return format(d.normalize(), "f")


def brackets(plan: CommissionPlan) -> list[tuple[Fraction, Fraction]]:
    """(threshold in minor units, rate as a fraction of cash), from the plan's quota."""
    return [(Fraction(plan.quota_minor * int(b["from"]), 100), Fraction(Decimal(b["rate"])) / 100)
            for b in json.loads(plan.tiers)]


def commission_of(plan: CommissionPlan, credited: Fraction | int) -> tuple[Fraction, Fraction | None]:
    """F(CREDITED): the plan's exact commission on the period's net credited cash, and for flat and tiered
    schedules the one rate applied to every line (None for marginal)."""
    x = Fraction(credited)
    bs = brackets(plan)
    if plan.schedule in ("flat", "tiered"):
        rate = bs[0][1]
        for threshold, r in bs:
            if x >= threshold and (threshold == 0 or plan.quota_minor > 0):
                rate = r
        return x * rate, rate
    if x <= 0:
        return x * bs[0][1], None
    total = Fraction(0)
    for i, (lo, r) in enumerate(bs):
        hi = bs[i + 1][0] if i + 1 < len(bs) else None
        if x <= lo:
            break
        total += ((min(x, hi) if hi is not None else x) - lo) * r
    return total, None


def round_half_up(x: Fraction) -> int:
    n = x.numerator * 2 + x.denominator
    d = 2 * x.denominator
    return n // d


# ---------------------------------------------------------------- plans

def _rep(login: str) -> Rep:
    rep = Rep.get_or_none(Rep.login == (login or "").strip())
    if rep is None:
        raise NotYours("rep", (login or "").strip()[:64])
    return rep


def _visible_rep(actor: Rep, login: str) -> Rep:
    """The rep LOGIN if ACTOR may see their pay: themselves, their manager, a director (else NotYours)."""
    rep = _rep(login)
    if rep.id == actor.id or sees_all(actor) or (actor.role == "manager" and actor.team_id is not None
                                                 and rep.team_id == actor.team_id):
        return rep
    raise NotYours("rep", rep.login)


def set_plan(actor: Rep, login: str, now: datetime, *, ote_minor: int, base_percent: int, quota_minor: int,
             schedule: str, tiers, starts_on: date, period: str = "month", currency: str = "EUR") -> CommissionPlan:
    """A manager (for their team) or a director sets LOGIN's plan from STARTS_ON (the same start date again
    replaces it, versioned). Audited."""
    require_manager(actor, "set commission plans")
    if schedule not in SCHEDULES:
        raise ValidationError(f"The schedule is one of {', '.join(SCHEDULES)}.", field="schedule")
    if period not in PERIODS:
        raise ValidationError("A plan's period is month or quarter.", field="period")
    for name, label, v in (("ote", "The on-target earnings", ote_minor), ("quota", "The quota", quota_minor)):
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 10 ** 15:
            raise ValidationError(f"{label} is an amount of zero or more.", field=name)
    if isinstance(base_percent, bool) or not isinstance(base_percent, int) or not 0 <= base_percent <= 100:
        raise ValidationError("The base is a whole percent from 0 to 100.", field="base_percent")
    canon = parse_tiers(tiers, schedule)
    if schedule != "flat" and quota_minor <= 0:
        raise ValidationError("A tiered or marginal plan needs a quota above zero.", field="quota")
    try:
        currency = check_currency(currency)
    except ValueError as exc:
        raise ValidationError(str(exc), field="currency") from None
    with write_txn():
        rep = _rep(login)
        if not may_act_for_team(actor, rep.team_id):  # another team's rep: refused as one who is not there
            raise NotYours("rep", rep.login)
        if not rep.active:
            raise NotFound(f"There is no active rep {rep.login!r}.")
        values = dict(currency=currency, period=period, ote_minor=ote_minor, base_percent=base_percent,
                      quota_minor=quota_minor, schedule=schedule, tiers=json.dumps(canon))
        old = CommissionPlan.get_or_none((CommissionPlan.rep == rep.id) & (CommissionPlan.starts_on == starts_on))
        if old is None:
            plan = CommissionPlan.create(rep=rep.id, starts_on=starts_on, set_by=actor.login, set_at=now, **values)
            before = {}
        else:
            before = {k: getattr(old, k) for k in values}
            (CommissionPlan.update(**values, set_by=actor.login, set_at=now, version=CommissionPlan.version + 1)
             .where(CommissionPlan.id == old.id).execute())
            plan = CommissionPlan.get_by_id(old.id)
        record_changes(actor.login, "commission_plan", plan.id, before,
                       dict(values, rep=rep.login, starts_on=starts_on), at=now,
                       action="create" if old is None else "update")
    return plan


def plans(actor: Rep, login: str) -> list[CommissionPlan]:
    rep = _visible_rep(actor, login)
    return list(CommissionPlan.select().where(CommissionPlan.rep == rep.id).order_by(CommissionPlan.starts_on))


def plan_dict(p: CommissionPlan) -> dict:
    base = p.ote_minor * p.base_percent // 100
    return dict(id=p.id, rep=Rep.get_by_id(p.rep_id).login, currency=p.currency, period=p.period,
                ote_minor=p.ote_minor, base_percent=p.base_percent, base_minor=base,
                variable_target_minor=p.ote_minor - base, quota_minor=p.quota_minor, schedule=p.schedule,
                tiers=json.loads(p.tiers), starts_on=p.starts_on.isoformat() if hasattr(p.starts_on, "isoformat")
                else str(p.starts_on), set_by=p.set_by, set_at=iso(p.set_at), version=p.version)


def plan_in_force(rep_id: int, last_day: date) -> CommissionPlan | None:
    return (CommissionPlan.select().where((CommissionPlan.rep == rep_id) & (CommissionPlan.starts_on <= last_day))
            .order_by(CommissionPlan.starts_on.desc()).first())


# ---------------------------------------------------------------- statements

@dataclass(frozen=True)
class StatementLine:
    kind: str                  # credit | clawback
    at: str                    # ISO 8601 UTC: when it was credited or taken back
    payment_id: int | None
    refund_id: int | None
    deal_id: int
    invoice_number: str
    role: str                  # owner | source | owner+source
    cash_minor: int            # the payment (or what went back) on the invoice
    amount_minor: int          # the rep's share of it (negative for a clawback)
    rate: str                  # percent, e.g. "5" or "6.67" (the effective rate of a marginal slice)
    commission_minor: int
    note: str


@dataclass(frozen=True)
class Statement:
    rep: str
    period: str
    first_day: str
    last_day: str
    currency: str
    schedule: str
    quota_minor: int
    base_minor: int
    variable_target_minor: int
    credited_minor: int        # net credited cash of the period (same-period clawbacks taken off)
    attainment_percent: int | None
    lines: tuple[StatementLine, ...]
    total_minor: int


def _period_label(moment: datetime, tz: str, kind: str) -> str:
    d = local(moment, tz).date()
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}" if kind == "quarter" else f"{d:%Y-%m}"


def _share(deal: dict, rep_id: int, amount: int) -> tuple[int, str]:
    """REP_ID's part of AMOUNT on DEAL and in which role (0 when none)."""
    src, owner = deal["sourced_by"], deal["owner"]
    if src is None or src == owner:
        return (amount, "owner") if owner == rep_id else (0, "")
    bp = deal["split_bp"] if deal["split_bp"] is not None else source_split_bp()
    source_part = round_half_up(Fraction(amount * bp, 10000))
    if src == rep_id:
        return source_part, "source"
    if owner == rep_id:
        return amount - source_part, "owner"
    return 0, ""


def _events(rep: Rep, plan: CommissionPlan, end: datetime) -> list[dict]:
    """Every credit and clawback of REP up to END, in time order, each with its moment and the rep's share."""
    shipped = Stage.get_or_none(Stage.key == "shipped")
    if shipped is None:
        return []
    stage_ids = [s.id for s in Stage.select(Stage.id).where((Stage.position >= shipped.position)
                                                          & (Stage.key != "lost"))]
    eligible = fn.COALESCE(Order.shipped_at, Deal.closed_at, Deal.stage_changed_at)
    deals = {r["id"]: dict(r, eligible=_dt(r["eligible"])) for r in (
        Deal.select(Deal.id, Deal.owner.alias("owner"), Deal.sourced_by.alias("sourced_by"),
                    Deal.source_split_bp.alias("split_bp"), eligible.alias("eligible"))
        .join(Order, JOIN.LEFT_OUTER, on=(Order.deal == Deal.id))
        .where(((Deal.owner == rep.id) | (Deal.sourced_by == rep.id)) & Deal.stage.in_(stage_ids)
               & (Deal.currency == plan.currency))
        .dicts())}
    if not deals:
        return []
    pays = list(Payment.select(Payment.id, Payment.amount_minor, Payment.status, Payment.received_at,
                               Invoice.id.alias("invoice_id"), Invoice.number.alias("number"),
                               Invoice.deal.alias("deal_id"))
                .join(Invoice, on=(Payment.invoice == Invoice.id))
                .where(Invoice.deal.in_(list(deals)) & (Payment.received_at < end)
                       & (Payment.currency == plan.currency))
                .order_by(Payment.received_at, Payment.id).dicts())
    refunds = list(Refund.select(Refund.id, Refund.amount_minor, Refund.created_at, Refund.note,
                                 Invoice.id.alias("invoice_id"), Invoice.number.alias("number"),
                                 Invoice.deal.alias("deal_id"))
                   .join(Invoice, on=(Refund.invoice == Invoice.id))
                   .where(Invoice.deal.in_(list(deals)) & (Refund.created_at < end))
                   .order_by(Refund.created_at, Refund.id).dicts())
    credits, per_invoice = [], {}
    for p in pays:
        if p["status"] != "ok":
            continue
        at = max(_dt(p["received_at"]), deals[p["deal_id"]]["eligible"])
        if at >= end:
            continue
        c = dict(kind="credit", at=at, payment_id=p["id"], refund_id=None, deal_id=p["deal_id"],
                 invoice_id=p["invoice_id"], number=p["number"], cash=int(p["amount_minor"]), note="payment")
        credits.append(c)
        per_invoice.setdefault(p["invoice_id"], []).append(c)
    backs = []
    for r in refunds:
        mine = per_invoice.get(r["invoice_id"])
        if mine:
            at = max(_dt(r["created_at"]), min(c["at"] for c in mine))
            if at < end:
                backs.append(dict(kind="clawback", at=at, payment_id=None, refund_id=r["id"], deal_id=r["deal_id"],
                                  invoice_id=r["invoice_id"], number=r["number"], cash=int(r["amount_minor"]),
                                  note=f"credit note {r['note']} refunded" if r["note"] else "refund"))
    for p in pays:
        mine = per_invoice.get(p["invoice_id"])
        if p["status"] == "failed" and mine and any(c["at"] <= _dt(p["received_at"]) for c in mine):
            backs.append(dict(kind="clawback", at=_dt(p["received_at"]), payment_id=p["id"], refund_id=None,
                              deal_id=p["deal_id"], invoice_id=p["invoice_id"], number=p["number"],
                              cash=int(p["amount_minor"]), note="failed payment"))
    events = sorted(credits + backs, key=lambda e: (e["at"], e["kind"] == "clawback",
                                                    e["payment_id"] or 0, e["refund_id"] or 0))
    pool: dict[int, int] = {}
    last_credit: dict[int, datetime] = {}
    out = []
    for e in events:  # a clawback takes back at most what was credited on its invoice and not yet taken back
        inv = e["invoice_id"]
        if e["kind"] == "credit":
            pool[inv] = pool.get(inv, 0) + e["cash"]
            last_credit[inv] = e["at"]
        else:
            take = min(e["cash"], pool.get(inv, 0))
            if take <= 0:
                continue
            pool[inv] -= take
            e = dict(e, cash=take, credited_at=last_credit[inv])
        share, role = _share(deals[e["deal_id"]], rep.id, e["cash"])
        if share:
            out.append(dict(e, share=share if e["kind"] == "credit" else -share, role=role))
    return out


def _dt(value) -> datetime:
    if isinstance(value, datetime):
        return value
    from .clock import parse_iso

    return parse_iso(str(value)) if "T" in str(value) else datetime.fromisoformat(str(value))


def _rate_str(r: Fraction) -> str:
    pct = Decimal(r.numerator * 100) / Decimal(r.denominator)
    return format(pct.quantize(Decimal("0.01")).normalize(), "f")


def _period_bounds(label: str, tz: str) -> tuple[str, str, list[date], datetime, datetime]:
    lab, kind, months = parse_period(label, date(2026, 1, 1))
    return lab, kind, months, utc_start(months[0], tz), utc_start(next_month(months[-1]), tz)


def _schedule_part(rep: Rep, plan: CommissionPlan, events: list[dict], start: datetime, end: datetime):
    """The period's credits and same-period clawbacks as lines through the schedule, and its net."""
    inside = [e for e in events if start <= e["at"] < end
              and (e["kind"] == "credit" or start <= e["credited_at"] < end)]
    net = sum(e["share"] for e in inside)
    _, final_rate = commission_of(plan, net)
    lines, cum = [], 0

    def f(x):
        return x * final_rate if final_rate is not None else commission_of(plan, x)[0]

    for e in inside:
        before, cum = cum, cum + e["share"]
        c = round_half_up(f(cum)) - round_half_up(f(before))
        rate = final_rate if final_rate is not None else ((f(cum) - f(before)) / e["share"])
        lines.append((e, rate, c))
    return lines, net


def statement(actor: Rep, login: str, period: str, now: datetime) -> Statement:
    """LOGIN's statement for PERIOD ("2026-11", or "2026-Q4" for a quarterly plan): every line traceable to
    its payment (or refund) and deal, totals exact. A rep sees their own, a manager the team's, a director
    all."""
    rep = _visible_rep(actor, login)
    tz = rep.timezone or "UTC"
    label, kind, months, start, end = _period_bounds(period, tz)
    last_day = next_month(months[-1]).toordinal() - 1
    plan = plan_in_force(rep.id, date.fromordinal(last_day))
    if plan is None:
        raise NotFound(f"{rep.login} has no commission plan in force for {label}.")
    if plan.period != kind:
        raise ValidationError(f"{rep.login}'s plan is paid per {plan.period}: ask for "
                              f"{'2026-Q4' if plan.period == 'quarter' else '2026-11'} style periods.",
                              field="period")
    events = _events(rep, plan, end)
    sched, net = _schedule_part(rep, plan, events, start, end)
    prior = [e for e in events if e["kind"] == "clawback" and start <= e["at"] < end and e["credited_at"] < start]
    rate_cache: dict[str, Fraction] = {}
    prior_lines, cum_exact = [], Fraction(0)
    for e in prior:  # taken back at the effective rate of the period that credited it
        plabel = _period_label(e["credited_at"], tz, plan.period)
        if plabel not in rate_cache:
            _, pkind, pmonths, pstart, pend = _period_bounds(plabel, tz)
            pplan = plan_in_force(rep.id, date.fromordinal(next_month(pmonths[-1]).toordinal() - 1)) or plan
            pevents = _events(rep, pplan, pend)
            _, pnet = _schedule_part(rep, pplan, pevents, pstart, pend)
            exact, r = commission_of(pplan, pnet)
            rate_cache[plabel] = (exact / pnet) if pnet else (r if r is not None else brackets(pplan)[0][1])
        r = rate_cache[plabel]
        before, cum_exact = cum_exact, cum_exact + e["share"] * r
        prior_lines.append((dict(e, note=e["note"] + f" (credited {plabel})"), r,
                            round_half_up(cum_exact) - round_half_up(before)))
    lines = tuple(StatementLine(kind=e["kind"], at=iso(e["at"]), payment_id=e["payment_id"], refund_id=e["refund_id"],
                                deal_id=e["deal_id"], invoice_number=e["number"], role=e["role"],
                                cash_minor=e["cash"] if e["kind"] == "credit" else -e["cash"],
                                amount_minor=e["share"], rate=_rate_str(r), commission_minor=c, note=e["note"])
                  for e, r, c in sorted(sched + prior_lines, key=lambda x: (x[0]["at"], x[0]["kind"])))
    total = round_half_up(commission_of(plan, net)[0]) + round_half_up(cum_exact)
    base = plan.ote_minor * plan.base_percent // 100
    return Statement(rep=rep.login, period=label, first_day=months[0].isoformat(),
                     last_day=date.fromordinal(last_day).isoformat(), currency=plan.currency, schedule=plan.schedule,
                     quota_minor=plan.quota_minor, base_minor=base, variable_target_minor=plan.ote_minor - base,
                     credited_minor=net,
                     attainment_percent=(net * 100 // plan.quota_minor) if plan.quota_minor else None,
                     lines=lines, total_minor=total)


def statement_json(s: Statement) -> dict:
    return asdict(s)


CSV_COLUMNS = ("kind", "at", "payment_id", "refund_id", "deal_id", "invoice_number", "role", "cash_minor",
               "amount_minor", "rate", "commission_minor", "note")


def statement_csv(s: Statement) -> str:
    import csv
    import io

    from .clientio import guard_cell as safe_cell

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for line in s.lines:
        d = asdict(line)
        w.writerow([safe_cell("" if d[c] is None else str(d[c])) for c in CSV_COLUMNS])
    w.writerow(["total", "", "", "", "", "", "", "", str(s.credited_minor), "", str(s.total_minor), s.currency])
    return buf.getvalue()
