"""`repdesk intake FILE.jsonl|-`: applications from files; `repdesk quarantine`: the lines refused."""
from __future__ import annotations

import sys

from tui.commands.base import Context, read_input, table

EXIT_SOME_REJECTED = 8


def register(sub, common) -> None:
    p = sub.add_parser("intake", parents=[common],
                       help="import applications: FILE.jsonl or - (stdin), one JSON object per line",
                       description="Import applications. A bad line is reported with its number and kept in the "
                                   "quarantine; the good lines are imported. Exit 0 when all were imported, "
                                   f"{EXIT_SOME_REJECTED} when some lines were rejected.")
    p.add_argument("file", help="a .jsonl file, or - for standard input")
    p.set_defaults(handler=cmd_intake)
    p = sub.add_parser("quarantine", parents=[common], help="intake lines that were refused, with the reason")
    p.add_argument("--limit", type=int, default=100)
    p.set_defaults(handler=cmd_quarantine)


def cmd_intake(ctx: Context) -> int:
    from models.intake import intake_jsonl

    text = read_input(ctx.args.file)
    result = intake_jsonl(ctx.login, text, "stdin" if ctx.args.file == "-" else ctx.args.file, ctx.now)
    ctx.emit(result, f"Imported {result['imported']} application(s); {len(result['rejected'])} rejected.")
    if result["rejected"] and not ctx.json:
        for r in result["rejected"]:
            print(f"line {r['line']}: {r['reason']}", file=sys.stderr)
    return EXIT_SOME_REJECTED if result["rejected"] else 0


def cmd_quarantine(ctx: Context) -> int:
    from models.inbox import quarantine_list

    rows = quarantine_list(ctx.args.limit)
    ctx.emit(rows, table([[str(r["id"]), r["source"], str(r["line"] or ""), r["reason"], r["raw"][:40]]
                          for r in rows], ["ID", "SOURCE", "LINE", "WHY", "RAW"]) if rows else "The quarantine is empty.")
    return 0
