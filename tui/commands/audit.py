"""`repdesk audit`: the audit trail, for those allowed to see it; `repdesk report`: the Reports screen's
figures (funnel, why deals and clients were lost, activity per rep, cash in), role-scoped."""
from __future__ import annotations

from tui.commands.base import Context, limit_arg, table, whole_number


def register(sub, common) -> None:
    p = sub.add_parser("audit", help="the audit trail (who, when, record, field, old, new, and the cause of an automatic change)", parents=[common])
    p.add_argument("--record", metavar="KIND:ID", help="one record, e.g. client:12 or application:3")
    p.add_argument("--limit", type=limit_arg, default=100)
    p.set_defaults(handler=cmd_audit)
    p = sub.add_parser("report", help="funnel, lost reasons, activity per rep, cash in (my scope)",
                       parents=[common])
    p.add_argument("--days", type=whole_number(1, 3660, "DAYS"), default=30, help="the period: the last DAYS days (default 30)")
    p.set_defaults(handler=cmd_report)


def cmd_audit(ctx: Context) -> int:
    from models.audit import visible_history
    from models.errors import ValidationError

    kind = record_id = None
    if ctx.args.record:
        kind, _, ident = ctx.args.record.partition(":")
        if not ident.isdigit():
            raise ValidationError("--record takes KIND:ID, e.g. client:12.")
        record_id = int(ident)
    rows = visible_history(ctx.actor, kind, record_id, limit=ctx.args.limit)
    ctx.emit(rows, table([[ctx.when(r["at"]), r["actor"], f"{r['kind']}:{r['record_id']}", r["action"], r["field"] or "",
                           r["old"] or "", r["new"] or "", r.get("cause") or ""] for r in rows],
                         ["AT", "WHO", "RECORD", "ACTION", "FIELD", "OLD", "NEW", "CAUSE"]) if rows else "No audit rows.")
    return 0


def cmd_report(ctx: Context) -> int:
    from models.money import format_amount
    from models.usecases.reports import report, report_json

    r = report(ctx.actor, ctx.now, ctx.args.days)
    parts = [f"Last {ctx.args.days} days", table([[s.step, str(s.count),
                                                   "" if s.conversion is None else f"{s.conversion}%"]
                                                  for s in r.funnel], ["STEP", "COUNT", "CONVERSION"])]
    for title, rows in (("Why deals were lost", r.lost_deals), ("Lost clients (all time)", r.lost_clients)):
        parts.append(f"\n{title}\n" + (table([[x.reason, str(x.count)] for x in rows], ["REASON", "COUNT"])
                                       if rows else "none"))
    parts.append("\nActivity per rep (done)\n" + (table([[a.rep, *(str(n) for n in (a.call, a.email, a.message,
                                                                                        a.meeting, a.task))]
                                                         for a in r.activity],
                                                        ["REP", "CALLS", "MAILS", "MSGS", "MEET", "TASKS"])
                                                  if r.activity else "none"))
    parts.append("\nCash in\n" + (table([[c.day, format_amount(c.amount_minor, c.currency)] for c in r.cash_in],
                                        ["DAY", "AMOUNT"]) if r.cash_in else "none"))
    ctx.emit(report_json(r), "\n".join(parts))
    return 0
