"""Inbox commands: inbox, claim, contact, transfer, close, convert, sweep, moves."""
from __future__ import annotations

from tui.commands.base import Context, id_arg, limit_arg, table


def register(sub, common) -> None:
    p = sub.add_parser("inbox", help="the open applications, in exactly the order the screen shows",
                       parents=[common])
    p.add_argument("--limit", type=limit_arg, default=50, metavar="N")
    p.add_argument("--mine", action="store_true", help="only applications I own")
    p.add_argument("--channel", choices=["phone", "email", "social", "website"])
    p.add_argument("--search", metavar="TEXT", help="full-text filter")
    p.set_defaults(handler=cmd_inbox)

    p = sub.add_parser("show", help="one application with its full text, reasons and history", parents=[common])
    p.add_argument("id", type=id_arg)
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser("claim", help="take an application (ID, or --next for the top unclaimed one)",
                       parents=[common])
    p.add_argument("id", type=id_arg, nargs="?")
    p.add_argument("--next", action="store_true", help="take the top unclaimed application")
    p.set_defaults(handler=cmd_claim)

    p = sub.add_parser("contact", help="log the first contact (stops the clock)", parents=[common])
    p.add_argument("id", type=id_arg)
    p.add_argument("--kind", required=True, choices=["call", "email", "message", "meeting"])
    p.add_argument("--note")
    p.set_defaults(handler=cmd_contact)

    p = sub.add_parser("transfer", help="hand an application to another rep, with a reason", parents=[common])
    p.add_argument("id", type=id_arg)
    p.add_argument("--to", required=True, metavar="LOGIN")
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=cmd_transfer)

    p = sub.add_parser("close", help="close an application (or mark it spam), with a reason", parents=[common])
    p.add_argument("id", type=id_arg)
    p.add_argument("--reason", required=True)
    p.add_argument("--spam", action="store_true")
    p.set_defaults(handler=cmd_close)

    p = sub.add_parser("convert", help="make a client card (new or the known one) and a deal with the products "
                                       "asked for; the application closes as converted", parents=[common])
    p.add_argument("id", type=id_arg)
    p.add_argument("--client", type=id_arg, metavar="ID", help="use this client card (one of the likely duplicates)")
    p.add_argument("--title", help="the deal's title (default: the products asked for)")
    p.add_argument("--preview", action="store_true", help="show what the conversion would make; change nothing")
    p.set_defaults(handler=cmd_convert)

    p = sub.add_parser("sweep", help="do every due transfer, follow-up task and reminder (cron, every minute)",
                       parents=[common])
    p.set_defaults(handler=cmd_sweep)

    p = sub.add_parser("moves", help="applications that moved to or from me (my team's for a manager)",
                       parents=[common])
    p.add_argument("--limit", type=limit_arg, default=50)
    p.set_defaults(handler=cmd_moves)


def _row_text(d: dict, now) -> list[str]:
    """One table line of `repdesk inbox` from a row's JSON form."""
    from models.clock import human_delta, parse_iso

    left = (parse_iso(d["due_at"]) - now).total_seconds()
    due = ("OVERDUE " if left < 0 else "") + human_delta(left)
    return [str(d["id"]), str(d["score"]), d["channel"], d["name"] or d["email"] or d["phone"],
            d["owner"] or "-", due, "; ".join(d["reasons"])[:40], d["text"][:60]]


HEAD = ["ID", "SCORE", "CHANNEL", "FROM", "OWNER", "DUE", "WHY", "TEXT"]


def cmd_inbox(ctx: Context) -> int:
    from models.usecases.inbox import inbox_rows, row_json

    rows = [row_json(r) for r in inbox_rows(ctx.actor, limit=max(ctx.args.limit, 0), mine=ctx.args.mine,
                                            channel=ctx.args.channel, search=ctx.args.search)]
    ctx.emit(rows, table([_row_text(d, ctx.now) for d in rows], HEAD) if rows else "The inbox is empty.")
    return 0


def _detail_text(d: dict, ctx) -> str:
    from models.text import one_line, safe

    lines = [f"Application {d['id']} ({d['channel']}, {d['status']}, score {d['score']})",
             f"From:     {one_line(d['name'])} <{one_line(d['email'])}> {one_line(d['phone'])}",
             f"Received: {ctx.when(d['received_at'])}   Due: {ctx.when(d['due_at'])}   Owner: {d['owner'] or '-'}",
             f"Why:      {one_line('; '.join(d['reasons']))}"]
    if d.get("subject"):
        lines.append(f"Subject:  {one_line(d['subject'])}")
    lines += ["", safe(d["text"])]
    for h in d.get("history", []):
        lines.append(f"moved {h['at']}: {h['from_rep'] or '-'} -> {h['to_rep']} ({one_line(h['reason'])})")
    return "\n".join(lines)


def cmd_show(ctx: Context) -> int:
    from models.usecases.inbox import application_detail

    d = application_detail(ctx.actor, ctx.args.id)
    ctx.emit(d, _detail_text(d, ctx))
    return 0


def cmd_claim(ctx: Context) -> int:
    from models.errors import ValidationError
    from models.usecases.inbox import claim, claim_next, row_json

    if ctx.args.next == (ctx.args.id is not None):
        raise ValidationError("Give an application ID or --next (not both).")
    a = claim_next(ctx.actor, ctx.now) if ctx.args.next else claim(ctx.actor, ctx.args.id, ctx.now)
    d = row_json(a)
    ctx.emit(d, f"Claimed application {a.id} ({a.who}); first contact due {ctx.when(d['due_at'])}.")
    return 0


def cmd_contact(ctx: Context) -> int:
    from models.usecases.inbox import contact, row_json

    a = contact(ctx.actor, ctx.args.id, ctx.args.kind, ctx.now, note=ctx.args.note)
    ctx.emit(row_json(a), f"Logged {ctx.args.kind} on application {a.id}; the clock is stopped.")
    return 0


def cmd_transfer(ctx: Context) -> int:
    from models.usecases.inbox import row_json, transfer

    a = transfer(ctx.actor, ctx.args.id, ctx.args.to, ctx.args.reason, ctx.now)
    ctx.emit(row_json(a), f"Application {a.id} moved to {a.owner}.")
    return 0


def cmd_close(ctx: Context) -> int:
    from models.usecases.inbox import close, row_json

    a = close(ctx.actor, ctx.args.id, "spam" if ctx.args.spam else "closed", ctx.args.reason, ctx.now)
    ctx.emit(row_json(a), f"Application {a.id} is {a.status}.")
    return 0


def cmd_convert(ctx: Context) -> int:
    from models.text import one_line
    from models.usecases.convert import conversion_json, conversion_preview, convert, preview_json

    if ctx.args.preview:
        p = conversion_preview(ctx.actor, ctx.args.id)
        lines = [f"Application {p.application_id} would become:",
                 "  client: " + (f"{p.known_client.id} (known client)" if p.known_client
                                 else f"new card {one_line(p.new_client_name)!r}"),
                 f"  deal:   {one_line(p.title)!r}, {p.total_text}"]
        lines += [f"    {x.quantity} x {x.sku} {one_line(x.name)} at {x.price_text}" for x in p.lines]
        lines += [f"  or client {c.id} {one_line(c.name) if c.visible else '(' + str(c.owner) + chr(39) + 's)'}"
                  f" - {c.reason} (--client {c.id})" for c in p.duplicates]
        ctx.emit(preview_json(p), "\n".join(lines))
        return 0
    c = convert(ctx.actor, ctx.args.id, ctx.now, client_id=ctx.args.client, title=ctx.args.title)
    ctx.emit(conversion_json(c), f"Application {c.application_id} converted: client {c.client_id}"
                                 f"{' (new card)' if c.created_client else ''}, deal {c.deal_id} "
                                 f"{one_line(c.title)!r} with {c.lines} line(s), {c.amount_text}.")
    return 0


def cmd_sweep(ctx: Context) -> int:
    from models.usecases.sweep import run_sweep

    result = run_sweep(ctx.now)
    t = result["transfers"]
    text = f"Moved {t['moved']} overdue application(s)"
    if t["stuck"]:
        text += f"; {t['stuck']} could not move (no available rep)"
    if "cadence_tasks" in result:
        text += f"; created {result['cadence_tasks']} follow-up task(s)"
    if "reminders" in result:
        text += f"; created {result['reminders']} reminder(s)"
    ctx.emit(result, text + ".")
    return 0


def cmd_moves(ctx: Context) -> int:
    from models.inbox import transfers_visible_to

    rows = transfers_visible_to(ctx.actor, limit=ctx.args.limit)
    ctx.emit(rows, table([[str(r["application_id"]), ctx.when(r["at"]), r["from_rep"] or "-", r["to_rep"] or "-",
                           r["reason"], r["actor"]] for r in rows],
                         ["APP", "AT", "FROM", "TO", "WHY", "BY"]) if rows else "No moves.")
    return 0
