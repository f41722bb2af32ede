"""Client import and export: `import clients FILE.csv|FILE.vcf`, `export clients --format csv|vcf`.

The work is in models/clientio.py; here the arguments are read and the results printed.
"""
from __future__ import annotations

import sys

from tui.commands.base import Context, json_text, read_bytes, say
from tui.commands.payments import ensure_group

SHOW_SKIPPED = 20  # duplicates listed on stderr; --json lists them all


def register(sub, common) -> None:
    imp = ensure_group(sub, "import", "import data from files (all rows or none)", common)
    p = imp.add_parser("clients", parents=[common],
                       help="import client cards from CSV (a header of card fields) or vCard; "
                            "a bad row is reported by line and nothing is imported")
    p.add_argument("file", help="a .csv or .vcf file, or - for stdin (with --format)")
    p.add_argument("--format", choices=["csv", "vcf"], help="default: from the file's extension")
    p.add_argument("--duplicates", choices=["skip", "add", "fail"], default="skip",
                   help="rows whose e-mail or phone is already a client's, or an earlier row's "
                        "(default skip)")
    p.add_argument("--ignore-unknown", action="store_true", help="skip CSV columns that are not card fields")
    p.set_defaults(handler=cmd_import_clients)

    ex = ensure_group(sub, "export", "export data for other systems", common)
    p = ex.add_parser("clients", parents=[common],
                      help="the clients you may see, as CSV or vCard 3.0 (by name)")
    p.add_argument("--format", choices=["csv", "vcf"], default="csv")
    p.add_argument("--segment", help="only this segment (hot, cooling, warm, lapsing, sleeping, never)")
    p.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    p.set_defaults(handler=cmd_export_clients)


def cmd_import_clients(ctx: Context) -> int:
    from models.clientio import ClientImportError, import_clients
    from models.text import one_line

    a = ctx.args
    source = "<stdin>" if a.file == "-" else a.file
    fmt = format_for(a.file, a.format)
    actor = ctx.actor
    data = read_bytes(a.file)
    try:
        result = import_clients(actor, data, ctx.now, fmt=fmt, source=source, duplicates=a.duplicates,
                                ignore_unknown=a.ignore_unknown)
    except ClientImportError as exc:
        if ctx.json:
            key = "duplicates" if exc.what == "duplicate" else "errors"
            print(json_text({"imported": 0, key: [{"line": n, "reason": r} for n, r in exc.problems]}))
        for line in exc.lines():
            say(line)
        n = len(exc.problems)
        what = ("row is a duplicate" if n == 1 else "rows are duplicates") if exc.what == "duplicate" else \
            ("row has problems" if n == 1 else "rows have problems")
        say(f"repdesk: Nothing was imported: {n} {what}.")
        return exc.exit_code
    skipped = result["skipped"]
    if not ctx.json:
        for s in skipped[:SHOW_SKIPPED]:
            say(f"{one_line(source)}:{s['line']}: skipped {one_line(s['name'], 60)}: {one_line(s['reason'])}")
        if len(skipped) > SHOW_SKIPPED:
            say(f"... and {len(skipped) - SHOW_SKIPPED} more duplicates skipped (--json lists them all).")
    n, m = result["imported"], len(skipped)
    ctx.emit(result, f"Imported {n} client{'' if n == 1 else 's'} "
                     f"({m} duplicate{'' if m == 1 else 's'} skipped).")
    return 0


def cmd_export_clients(ctx: Context) -> int:
    from models.clientio import export_clients
    from models.errors import ValidationError
    from tui.files import write_atomically

    a = ctx.args
    export = export_clients(ctx.actor, a.format, a.segment)
    out = a.output
    if not out or out == "-":
        for chunk in export:  # every cell passed the output filter (models.clientio.clean_text)
            sys.stdout.write(chunk)
        sys.stdout.flush()
        return 0
    try:
        write_atomically(out, export, prefix=".repdesk-export-")
    except OSError as exc:
        raise ValidationError(f"Cannot write {out}: {exc.strerror or exc}.", field="output") from None
    n = export.count
    say(f"Wrote {out} ({n} client{'' if n == 1 else 's'}).")
    return 0


def format_for(path: str, fmt: str | None = None) -> str:
    """The file format of an import: --format when given, else the file name's ending (standard input
    needs --format). A command-line concern, so its messages name the option."""
    from models.clientio import FORMATS
    from models.errors import ValidationError

    if fmt:
        fmt = fmt.lower().lstrip(".")
        fmt = {"vcard": "vcf"}.get(fmt, fmt)
        if fmt not in FORMATS:
            raise ValidationError(f"The format {fmt!r} is not one repdesk reads; use csv or vcf.", field="format")
        return fmt
    if path == "-":
        raise ValidationError("Reading from standard input needs --format csv or --format vcf.", field="format")
    lower = path.lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith((".vcf", ".vcard")):
        return "vcf"
    raise ValidationError(f"Cannot tell the format of {path} from its name; use --format csv or --format vcf.",
                          field="format")
