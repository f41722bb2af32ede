"""The manager's desk, forecast and pay (issue 15): forecast, commission plan set/show, commission statement,
stage probability, rep bdr, deal handoff."""
from __future__ import annotations

from tui.commands.base import Context, table, whole_number


def register(sub, common) -> None:
    from tui.commands.payments import ensure_group

    p = sub.add_parser("forecast", help="weighted pipeline, best case, commit, won, slipped and coverage per month",
                       parents=[common])
    p.add_argument("--period", help="a quarter (2026-Q1) or a month (2026-11); default this quarter")
    p.add_argument("--team", help="one team (managers: their own; directors: any)")
    p.set_defaults(handler=cmd_forecast)

    cm = ensure_group(sub, "commission", "commission plans and statements on collected cash", common)
    plan = ensure_group(cm, "plan", "a rep's commission plan", common)
    p = plan.add_parser("set", help="set LOGIN's plan from a date (managers for their team, directors)",
                        parents=[common])
    p.add_argument("login")
    p.add_argument("--ote", required=True, help="on-target earnings per period, e.g. 5000.00")
    p.add_argument("--base-percent", type=whole_number(0, 100, "--base-percent"), default=70)
    p.add_argument("--quota", required=True, help="credited cash for 100 %% per period, e.g. 40000.00")
    p.add_argument("--schedule", required=True, choices=["flat", "tiered", "marginal"])
    p.add_argument("--tiers", required=True, help='JSON [{"from": 0, "rate": "5"}, ...] or 0:5,50:8,100:12 '
                                                  '(from percent of quota : rate percent), or 5 for flat')
    p.add_argument("--from", dest="from_date", help="first day in force, YYYY-MM-DD (default today)")
    p.add_argument("--period", dest="plan_period", default="month", choices=["month", "quarter"])
    p.add_argument("--currency", default="EUR")
    p.set_defaults(handler=cmd_plan_set)
    p = plan.add_parser("show", help="LOGIN's plans, oldest first", parents=[common])
    p.add_argument("login")
    p.set_defaults(handler=cmd_plan_show)
    p = cm.add_parser("statement", help="LOGIN's statement for a period: every line from a payment or a refund",
                      parents=[common])
    p.add_argument("login")
    p.add_argument("--period", required=True, help="2026-11 (a monthly plan) or 2026-Q4 (a quarterly one)")
    p.add_argument("--csv", action="store_true", help="CSV lines and a total row")
    p.set_defaults(handler=cmd_statement)

    st = ensure_group(sub, "stage", "stage rules (managers edit them)", common)
    p = st.add_parser("probability", help="STAGE's win probability in percent, for the weighted forecast "
                                          "(managers)", parents=[common])
    p.add_argument("stage")
    p.add_argument("percent", type=whole_number(0, 100, "PERCENT"))
    p.set_defaults(handler=cmd_stage_probability)

    rp = ensure_group(sub, "rep", "manage reps", common)
    p = rp.add_parser("bdr", help="mark LOGIN a BDR (hands deals over, never owns late stages) or not",
                      parents=[common])
    p.add_argument("login")
    p.add_argument("state", choices=["on", "off"])
    p.set_defaults(handler=cmd_rep_bdr)


def register_deal(deal_group, common) -> None:
    from tui.commands.base import id_arg

    p = deal_group.add_parser("handoff", help="give DEAL to the rep LOGIN, keeping the source's commission split",
                              parents=[common])
    p.add_argument("id", type=id_arg)
    p.add_argument("login")
    p.set_defaults(handler=cmd_deal_handoff)


def _money(minor: int, currency: str) -> str:
    from models.money import format_amount

    return format_amount(minor, currency)


def _amount(text: str, currency: str, flag: str) -> int:
    from models.errors import ValidationError
    from models.money import parse_amount

    try:
        return parse_amount(text, currency)
    except ValueError as exc:
        raise ValidationError(f"{flag}: {exc}.", field=flag.lstrip("-")) from None


def cmd_forecast(ctx: Context) -> int:
    from models.forecast import forecast, forecast_json

    f = forecast(ctx.actor, ctx.now, period=ctx.args.period, team=ctx.args.team)
    rows = []
    for m in f.months:
        for t in m.totals or ():
            rows.append([m.month, t.currency, _money(t.weighted_minor, t.currency), _money(t.best_case_minor, t.currency),
                         _money(t.commit_minor, t.currency), _money(t.won_minor, t.currency), str(t.open_deals)])
        if not m.totals:
            rows.append([m.month, "-", "-", "-", "-", "-", "0"])
    text = [f"Forecast {f.period} ({f.first_day} to {f.last_day}), {f.scope}",
            table(rows, ["month", "cur", "weighted", "best case", "commit", "won", "open"])]
    c = f.coverage
    if c is not None:
        cov = f"{c.coverage_percent}%" if c.coverage_percent is not None else "quota met"
        text.append(f"Coverage {cov}: pipeline {_money(c.pipeline_minor, c.currency)} for "
                    f"{_money(c.remaining_minor, c.currency)} of quota remaining "
                    f"(quota {_money(c.quota_minor, c.currency)}, won {_money(c.won_minor, c.currency)}).")
    else:
        text.append("Coverage: no revenue quota for this period.")
    if f.slipped_count:
        text.append(f"Slipped ({f.slipped_count}): close date passed, still open")
        text.append(table([[str(s.id), s.title, s.owner or "-", s.expected_close, _money(s.amount_minor, s.currency)]
                           for s in f.slipped], ["deal", "title", "owner", "close", "amount"]))
    ctx.emit(forecast_json(f), "\n".join(text))
    return 0


def cmd_plan_set(ctx: Context) -> int:
    from datetime import date

    from models.commissions import plan_dict, set_plan
    from models.errors import ValidationError
    from models.pipeline import parse_close_date

    cur = (ctx.args.currency or "EUR").strip().upper()
    if ctx.args.from_date:
        try:
            starts = parse_close_date(ctx.args.from_date, ctx.now)
        except ValidationError as exc:
            raise ValidationError(str(exc).replace("Expected close", "--from"), field="from") from None
    else:
        from models.clock import local

        starts = local(ctx.now, ctx.tz).date()
    assert isinstance(starts, date)
    plan = set_plan(ctx.actor, ctx.args.login, ctx.now, ote_minor=_amount(ctx.args.ote, cur, "--ote"),
                    base_percent=ctx.args.base_percent, quota_minor=_amount(ctx.args.quota, cur, "--quota"),
                    schedule=ctx.args.schedule, tiers=ctx.args.tiers, starts_on=starts,
                    period=ctx.args.plan_period, currency=cur)
    d = plan_dict(plan)
    ctx.emit(d, f"{d['rep']}'s plan from {d['starts_on']}: {d['schedule']}, quota {_money(d['quota_minor'], d['currency'])}"
                f" per {d['period']}, OTE {_money(d['ote_minor'], d['currency'])} ({d['base_percent']}% base).")
    return 0


def cmd_plan_show(ctx: Context) -> int:
    from models.commissions import plan_dict, plans

    rows = [plan_dict(p) for p in plans(ctx.actor, ctx.args.login)]
    text = table([[r["starts_on"], r["period"], r["schedule"], _money(r["ote_minor"], r["currency"]),
                   f"{r['base_percent']}%", _money(r["quota_minor"], r["currency"]),
                   ", ".join(f"{b['from']}%:{b['rate']}%" for b in r["tiers"])] for r in rows],
                 ["from", "period", "schedule", "OTE", "base", "quota", "tiers (attainment:rate)"]) if rows \
        else f"{ctx.args.login} has no commission plan."
    ctx.emit({"plans": rows}, text)
    return 0


def cmd_statement(ctx: Context) -> int:
    from models.commissions import statement, statement_csv, statement_json

    s = statement(ctx.actor, ctx.args.login, ctx.args.period, ctx.now)
    if ctx.args.csv and not ctx.json:
        from tui.commands.base import terminal_text

        print(terminal_text(statement_csv(s)), end="")
        return 0
    rows = [[ln.kind, ctx.when(ln.at), str(ln.payment_id or ln.refund_id or "-"), str(ln.deal_id), ln.invoice_number,
             ln.role, _money(ln.amount_minor, s.currency), f"{ln.rate}%", _money(ln.commission_minor, s.currency)]
            for ln in s.lines]
    att = f"{s.attainment_percent}%" if s.attainment_percent is not None else "-"
    text = "\n".join([
        f"Commission statement {s.rep} {s.period} ({s.first_day} to {s.last_day}), {s.schedule}",
        table(rows, ["kind", "at", "pay/ref", "deal", "invoice", "role", "credited", "rate", "commission"])
        if rows else "No credited cash in this period.",
        f"Credited {_money(s.credited_minor, s.currency)} of quota {_money(s.quota_minor, s.currency)} ({att}); "
        f"commission {_money(s.total_minor, s.currency)}; base {_money(s.base_minor, s.currency)}."])
    ctx.emit(statement_json(s), text)
    return 0


def cmd_stage_probability(ctx: Context) -> int:
    from models.pipeline import set_probability

    s = set_probability(ctx.actor, ctx.args.stage, ctx.args.percent, ctx.now)
    ctx.emit({"stage": s.key, "probability": s.probability}, f"{s.name} wins {s.probability}% of the time.")
    return 0


def cmd_rep_bdr(ctx: Context) -> int:
    from models.pipeline import set_bdr

    rep = set_bdr(ctx.actor, ctx.args.login, ctx.args.state == "on", ctx.now)
    ctx.emit({"login": rep.login, "bdr": bool(rep.bdr)},
             f"{rep.login} is {'a BDR' if rep.bdr else 'no longer a BDR'}.")
    return 0


def cmd_deal_handoff(ctx: Context) -> int:
    from models.pipeline import deal_dict, handoff_deal

    d = handoff_deal(ctx.actor, ctx.args.id, ctx.args.login, ctx.now)
    out = deal_dict(d)
    split = f"{out['sourced_by']} keeps {out['source_split_bp'] / 100:g}%" if out["sourced_by"] else "no source split"
    ctx.emit(out, f"Deal {d.id} is now {out['owner']}'s ({split}).")
    return 0
