"""The manager's desk (issue 15): quotas and attainment.

    repdesk quota set LOGIN|team:NAME METRIC TARGET --period day|week|month|quarter [--stretch N] [--from DATE]
                      [--basis collected|invoiced] [--currency C]
    repdesk quota list
    repdesk attainment [--rep LOGIN | --team NAME] [--period 2026-11|2026-W48|2026-Q4|2026-12-02] [--json]
"""
from __future__ import annotations

from tui.commands.payments import ensure_group

METRIC_CHOICES = ("calls", "meetings", "new_clients", "deals_won", "revenue")
PERIOD_CHOICES = ("day", "week", "month", "quarter")


def register(sub, common) -> None:
    q = ensure_group(sub, "quota", "quotas per rep or team (managers set their team's)", common)
    p = q.add_parser("set", help="set a quota: a rep's or a team's goal for one metric per period", parents=[common])
    p.add_argument("owner", metavar="LOGIN|team:NAME")
    p.add_argument("metric", choices=METRIC_CHOICES)
    p.add_argument("target", metavar="TARGET", help="a count, or an amount for revenue (e.g. 5000.00)")
    p.add_argument("--period", required=True, choices=PERIOD_CHOICES)
    p.add_argument("--stretch", metavar="N", help="a stretch level above the target")
    p.add_argument("--from", dest="starts_on", metavar="DATE",
                   help="in force from the period this date (or period, e.g. 2026-12) falls in; default the "
                        "current one")
    p.add_argument("--basis", choices=("collected", "invoiced"), default="collected",
                   help="revenue: cash collected (default) or invoiced")
    p.add_argument("--currency", metavar="C", help="revenue: the target's currency (default EUR)")
    p.set_defaults(handler=cmd_quota_set)
    p = q.add_parser("list", help="the quotas I may read (a rep: mine; a manager: the team's)", parents=[common])
    p.set_defaults(handler=cmd_quota_list)

    p = sub.add_parser("attainment", help="quota attainment: target, done, percent and pace per metric",
                       parents=[common])
    who = p.add_mutually_exclusive_group()
    who.add_argument("--rep", metavar="LOGIN")
    who.add_argument("--team", metavar="NAME")
    p.add_argument("--period", metavar="PERIOD",
                   help="2026-11 (month), 2026-W48 (ISO week), 2026-Q4 (quarter) or 2026-12-02 (day); default "
                        "each quota's current period")
    p.set_defaults(handler=cmd_attainment)


def _quota_json(ctx, d: dict) -> dict:
    return {**d, "set_at": ctx.when_json(d["set_at"])}


def cmd_quota_set(ctx):
    from models.quotas import set_quota, target_text
    from models.text import one_line

    a = ctx.args
    d = set_quota(ctx.actor, a.owner, a.metric, a.target, a.period, ctx.now, stretch=a.stretch, starts_on=a.starts_on,
                  basis=a.basis, currency=a.currency)
    what = f"{target_text(d['metric'], d['target'], d['currency'])} {d['metric']} per {d['period']}"
    if d["stretch"] is not None:
        what += f" (stretch {target_text(d['metric'], d['stretch'], d['currency'])})"
    if d["metric"] == "revenue":
        what += f", {d['basis']}"
    verb = "set" if d["version"] == 1 else f"replaced (version {d['version']})"
    ctx.emit(_quota_json(ctx, d), f"Quota {d['id']} {verb}: {one_line(d['owner'])} {what}, from {d['starts_on']}.")


def cmd_quota_list(ctx):
    from models.quotas import list_quotas, target_text
    from tui.commands.base import table

    rows = list_quotas(ctx.actor)
    bare = lambda r, v: target_text(r["metric"], v, r["currency"]).removesuffix(f" {r['currency']}")  # noqa: E731
    text = table([[r["owner"], r["metric"], r["period"], target_text(r["metric"], r["target"], r["currency"]),
                   bare(r, r["stretch"]), r["basis"] or "", r["starts_on"]] for r in rows],
                 ["OWNER", "METRIC", "PER", "TARGET", "STRETCH", "BASIS", "FROM"]) if rows else "No quotas."
    ctx.emit([_quota_json(ctx, r) for r in rows], text)


def attainment_lines(view) -> list[str]:
    """The plain text of an attainment view, at most 80 columns a line."""
    from models.quotas import target_text
    from models.text import one_line

    head = f"Attainment of {one_line(view.owner, 30)} ({one_line(view.name, 24)}), days in {view.timezone}"
    if not view.rows:
        lines = [head, "No quota in force for that period." if view.other_kinds else "No quota in force."]
    else:
        lines = [head, f"{'METRIC':<12}{'PERIOD':<11}{'DONE / TARGET':>27}{'%':>6}{'PACE':>14}"]
        for a in view.rows:
            done = target_text(a.metric, a.done, a.currency).replace(f" {a.currency}", "") if a.currency else \
                target_text(a.metric, a.done, None)
            both = f"{done} / {target_text(a.metric, a.target, a.currency)}"
            pace = target_text(a.metric, a.pace, a.currency).replace(f" {a.currency}", "") if a.currency else \
                f"{a.pace:,}"
            lines.append(f"{a.metric:<12}{a.label:<11}{both:>27}{a.percent:>5}%{pace:>14}"
                         + ("  ▼ behind" if a.behind else ""))
        lines.append(f"pace: where {'the team' if view.owner.startswith('team:') else 'the rep'} should be by now, "
                     "counting working days (away days left out)")
    if view.other_kinds:
        lines.append("Quotas of another period kind: " + ", ".join(view.other_kinds) + ".")
    return lines


def cmd_attainment(ctx):
    from models.usecases.attainment import attainment, attainment_json

    view = attainment(ctx.actor, ctx.now, rep=ctx.args.rep, team=ctx.args.team, period=ctx.args.period)
    ctx.emit(attainment_json(view), "\n".join(attainment_lines(view)))
