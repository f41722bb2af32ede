"""`repdesk intake FILE.jsonl|-`: applications from files; `repdesk quarantine`: the lines refused."""
from __future__ import annotations

from tui.commands.base import Context, read_input, say, table, whole_number

EXIT_SOME_REJECTED = 8


def register(sub, common) -> None:
    p = sub.add_parser("intake", parents=[common],
                       help="import applications: FILE.jsonl or - (stdin), one JSON object per line",
                       description="Import applications. A bad line is reported with its number and kept in the "
                                   "quarantine; the good lines are imported. Exit 0 when all were imported, "
                                   f"{EXIT_SOME_REJECTED} when some lines were rejected.")
    p.add_argument("target", nargs="+", metavar="FILE | email PATH | serve",
                   help="a .jsonl file or - (stdin); 'email PATH' for a .eml file, Maildir or mbox; "
                        "'serve' for the website form endpoint")
    p.add_argument("--port", type=whole_number(0, 65535, "PORT"), default=8025, help="with serve: the port (default 8025)")
    p.add_argument("--host", default="127.0.0.1", help="with serve: the address (default 127.0.0.1, loopback)")
    p.set_defaults(handler=cmd_intake)
    p = sub.add_parser("quarantine", parents=[common], help="intake lines that were refused, with the reason")
    p.add_argument("--limit", type=whole_number(1, 10000, "LIMIT"), default=100)
    p.set_defaults(handler=cmd_quarantine)


def _check_as(ctx: Context) -> None:
    """`--as LOGIN` must name a rep that exists (and is active): it goes into the audit trail."""
    if getattr(ctx.args, "as_login", None):
        ctx.actor  # noqa: B018 (NotFound with a sentence for an unknown login)


def cmd_intake(ctx: Context) -> int:
    from models.errors import ValidationError

    _check_as(ctx)
    target = ctx.args.target
    if target[0] == "email":
        if len(target) != 2:
            raise ValidationError("Usage: repdesk intake email PATH (a .eml file, a Maildir or an mbox).")
        return _intake_email(ctx, target[1])
    if target[0] == "serve":
        from tui.webform import serve

        serve(ctx.args.host, ctx.args.port, actor=ctx.login)
        return 0
    if len(target) != 1:
        raise ValidationError("Give one file (or -), 'email PATH' or 'serve'.")
    from models.intake import intake_jsonl

    path = target[0]
    text = read_input(path)
    result = intake_jsonl(ctx.login, text, "stdin" if path == "-" else path, ctx.now)
    ctx.emit(result, f"Imported {result['imported']} application(s); {len(result['rejected'])} rejected. "
                     f"{result['skipped']} already imported (skipped).")
    if result["rejected"] and not ctx.json:
        for r in result["rejected"]:
            say(f"line {r['line']}: {r['reason']}")
    return EXIT_SOME_REJECTED if result["rejected"] else 0


def cmd_quarantine(ctx: Context) -> int:
    from models.usecases.inbox import quarantine_json, quarantine_rows

    rows = quarantine_json(quarantine_rows(ctx.actor, ctx.args.limit))  # managers and up
    ctx.emit(rows, table([[str(r["id"]), r["source"], str(r["line"] or ""), r["reason"], r["raw"][:40]]
                          for r in rows], ["ID", "SOURCE", "LINE", "WHY", "RAW"]) if rows else "The quarantine is empty.")
    return 0


def _intake_email(ctx: Context, path: str) -> int:
    from models.intake import intake_email

    result = intake_email(ctx.login, path, ctx.now)
    ctx.emit(result, f"Imported {result['imported']} e-mail(s); {result['duplicates']} already imported; "
                     f"{len(result['rejected'])} rejected.")
    if result["rejected"] and not ctx.json:
        for r in result["rejected"]:
            say(f"{r['message']}: {r['reason']}")
    return EXIT_SOME_REJECTED if result["rejected"] else 0
