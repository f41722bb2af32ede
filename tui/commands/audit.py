"""`repdesk audit`: the audit trail, for those allowed to see it."""
from __future__ import annotations

from tui.commands.base import Context, table


def register(sub, common) -> None:
    p = sub.add_parser("audit", help="the audit trail (who, when, record, field, old, new)", parents=[common])
    p.add_argument("--record", metavar="KIND:ID", help="one record, e.g. client:12 or application:3")
    p.add_argument("--limit", type=int, default=100)
    p.set_defaults(handler=cmd_audit)


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
    ctx.emit(rows, table([[r["at"], r["actor"], f"{r['kind']}:{r['record_id']}", r["action"], r["field"] or "",
                           r["old"] or "", r["new"] or ""] for r in rows],
                         ["AT", "WHO", "RECORD", "ACTION", "FIELD", "OLD", "NEW"]) if rows else "No audit rows.")
    return 0
