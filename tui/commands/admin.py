"""Maintenance commands: init, demo, rep, import, config, admin keys. Reps, keys and settings belong to the
admin once one exists (models.access.admin_gate); before that, to whoever runs them on a fresh install."""
from __future__ import annotations

import json

from tui.commands.base import Context, read_input, table


def group(sub, name: str, help_text: str, common):
    p = sub.add_parser(name, help=help_text, parents=[common])
    inner = p.add_subparsers(dest=f"{name}_command", metavar="SUBCOMMAND")

    def show_help(ctx):
        p.print_help()
        return 2

    show_help.no_db = True
    p.set_defaults(handler=show_help)
    return inner


def register(sub, common) -> None:
    p = sub.add_parser("init", help="create or upgrade the database schema (safe to run twice)", parents=[common])
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("demo", help="fill the database with a realistic demo dataset", parents=[common])
    p.add_argument("--applications", type=int, default=300, metavar="N", help="how many applications (default 300)")
    p.add_argument("--seed", type=int, default=7, metavar="N", help="random seed (default 7)")
    p.add_argument("--if-empty", action="store_true", help="do nothing if the database already has reps")
    p.set_defaults(handler=cmd_demo)

    reps = group(sub, "rep", "manage reps", common)
    p = reps.add_parser("add", help="add a rep", parents=[common])
    p.add_argument("login")
    p.add_argument("--name", required=True)
    p.add_argument("--role", default="rep", choices=["rep", "manager", "director", "admin"])
    p.add_argument("--team")
    p.add_argument("--timezone", default="UTC")
    p.add_argument("--email")
    p.set_defaults(handler=cmd_rep_add)
    p = reps.add_parser("list", help="list reps", parents=[common])
    p.set_defaults(handler=cmd_rep_list)
    for name, away in (("away", True), ("back", False)):
        p = reps.add_parser(name, help=f"mark a rep {'away (skipped by transfers)' if away else 'back'}",
                            parents=[common])
        p.add_argument("login")
        p.set_defaults(handler=cmd_rep_away, away=away)

    imp = group(sub, "import", "import data from files (all rows or none)", common)
    p = imp.add_parser("products", help="import the catalog from CSV (sku,name,category,price,currency and optional aliases: "
                       "other names of a product, separated by ;)",
                       parents=[common])
    p.add_argument("file", help="CSV file, or - for stdin")
    p.set_defaults(handler=cmd_import_products)

    register_admin(sub, common)

    sc = group(sub, "scoring", "the specificity ranking's weights", common)
    p = sc.add_parser("fit", help="learn the weights from which applications became paid deals; prints the "
                      "pairwise accuracy on the team's history before and after, and writes scoring.weights "
                      "(admin) when the order improves on applications the fit did not see",
                      parents=[common])
    p.add_argument("--dry-run", action="store_true", help="print what the fit finds; write nothing")
    p.add_argument("--force", action="store_true", help="write the fitted weights even if they order no better")
    p.add_argument("--limit", type=int, default=50_000, metavar="N",
                   help="read at most the N newest decided applications (default 50,000)")
    p.set_defaults(handler=cmd_scoring_fit)
    p = sc.add_parser("rescore", help="score every open application again with today's catalog and weights "
                      "(after 'import products' or 'config set scoring.weights'; admin)", parents=[common])
    p.set_defaults(handler=cmd_scoring_rescore)

    cfg = group(sub, "config", "team-wide settings", common)
    p = cfg.add_parser("show", help="show every setting", parents=[common])
    p.set_defaults(handler=cmd_config_show)
    p = cfg.add_parser("set", help="set a setting to a JSON value", parents=[common])
    p.add_argument("key")
    p.add_argument("value", help="JSON, e.g. 15 or '{\"phone\": 15}'")
    p.set_defaults(handler=cmd_config_set)


def _admin_actor(ctx: Context) -> str:
    return ctx.login


def cmd_init(ctx: Context) -> int:
    from models.migrations import LATEST, current_version

    version = current_version()
    ctx.emit({"schema_version": version, "latest": LATEST}, f"Database ready (schema version {version}).")
    return 0


cmd_init.creates_db = True


def cmd_demo(ctx: Context) -> int:
    from models.demo import build_demo
    from models.tables import Rep

    if ctx.args.if_empty and Rep.select().exists():
        ctx.emit({"created": False}, "The database already has data; nothing to do.")
        return 0
    if ctx.args.applications < 0:
        from models.errors import ValidationError

        raise ValidationError("--applications must be 0 or more.")
    stats = build_demo(applications=ctx.args.applications, seed=ctx.args.seed, now=ctx.now)
    ctx.emit({"created": True, **stats},
             "Demo data ready: " + ", ".join(f"{v} {k}" for k, v in stats.items()) +
             ".\nOpen it with: repdesk --as demo")
    return 0


def cmd_rep_add(ctx: Context) -> int:
    from models.reps import add_rep, rep_dict

    a = ctx.args
    rep = add_rep(_admin_actor(ctx), a.login, a.name, a.role, a.team, a.timezone, a.email, now=ctx.now)
    ctx.emit(rep_dict(rep), f"Added {rep.login} ({rep.role}).")
    return 0


def cmd_rep_list(ctx: Context) -> int:
    from models.reps import list_reps, rep_dict

    reps = [rep_dict(r) for r in list_reps()]
    ctx.emit(reps, table([[r["login"], r["name"], r["role"], r["team"] or "-", "away" if r["away"] else "",
                           r["timezone"]] for r in reps], ["LOGIN", "NAME", "ROLE", "TEAM", "AWAY", "TZ"])
             if reps else "No reps yet: add one with 'repdesk rep add LOGIN --name NAME --role rep'.")
    return 0


def cmd_rep_away(ctx: Context) -> int:
    from models.reps import rep_dict, set_away

    rep = set_away(_admin_actor(ctx), ctx.args.login, ctx.args.away, now=ctx.now)
    ctx.emit(rep_dict(rep), f"{rep.login} is {'away' if rep.away else 'back'}.")
    return 0


def cmd_import_products(ctx: Context) -> int:
    from models.products import import_products

    stats = import_products(_admin_actor(ctx), read_input(ctx.args.file), now=ctx.now)
    ctx.emit(stats, f"Imported {stats['total']} products ({stats['added']} new, {stats['updated']} updated).")
    return 0


def cmd_scoring_fit(ctx: Context) -> int:
    from models.scoring_fit import FIT_KEYS, fit

    a = ctx.args
    report = fit(ctx.login, dry_run=a.dry_run, force=a.force, limit=a.limit, now=ctx.now)

    def pct(x):
        return "-" if x is None else f"{100 * x:.1f}%"

    rows = [[k, str(report.current[k]), str(report.fitted[k]),
             "" if report.fitted[k] == report.current[k] else f"{report.fitted[k] - report.current[k]:+d}"]
            for k in FIT_KEYS]
    text = (f"History: {report.successes} applications became paid deals, {report.failures} were closed or lost "
            f"({report.skipped_in_progress} still in progress, left out).\n"
            f"pairwise accuracy  all: {pct(report.before)} -> {pct(report.after)}   "
            f"held out: {pct(report.held_out_before)} -> {pct(report.held_out_after)}\n\n"
            + table(rows, ["SIGNAL", "NOW", "FITTED", "CHANGE"]) + f"\n\n{report.note.capitalize()}.")
    ctx.emit(report.as_dict(), text)
    return 0


def cmd_scoring_rescore(ctx: Context) -> int:
    from models.inbox import rescore_open

    done = rescore_open(ctx.login, ctx.now)
    ctx.emit(done, f"Scored the {done['open']:,} open applications again: {done['rescored']:,} changed.")
    return 0


def cmd_config_show(ctx: Context) -> int:
    from models.usecases.config import settings_table

    data = settings_table()
    ctx.emit(data, "\n".join(f"{k} = {json.dumps(v)}" for k, v in sorted(data.items())))
    return 0


def cmd_config_set(ctx: Context) -> int:
    from models.errors import ValidationError
    from models.usecases.config import set_setting

    try:
        value = json.loads(ctx.args.value)
    except json.JSONDecodeError:
        raise ValidationError(f"{ctx.args.value!r} is not JSON (quote strings: '\"least_loaded\"').") from None
    set_setting(_admin_actor(ctx), ctx.args.key, value, now=ctx.now)
    ctx.emit({ctx.args.key: value}, f"{ctx.args.key} = {json.dumps(value)}")
    return 0


cmd_demo.creates_db = True


def register_admin(sub, common) -> None:
    adm = group(sub, "admin", "deployment: the reps' SSH keys", common)
    p = adm.add_parser("copy-db", help="copy all data into another (empty) database, e.g. SQLite -> PostgreSQL",
                       parents=[common])
    p.add_argument("source", metavar="FROM")
    p.add_argument("target", metavar="TO")
    p.set_defaults(handler=cmd_copy_db)
    keys = adm.add_parser("key", help="manage the reps' keys in authorized_keys", parents=[common])
    inner = keys.add_subparsers(dest="key_command", metavar="SUBCOMMAND")

    def show_help(ctx):
        keys.print_help()
        return 2

    show_help.no_db = True
    keys.set_defaults(handler=show_help)
    for name, help_text in (("add", "add LOGIN's public key with the forced repdesk command"),
                            ("list", "list the repdesk keys"), ("remove", "remove LOGIN's keys")):
        p = inner.add_parser(name, help=help_text, parents=[common])
        if name in ("add", "remove"):
            p.add_argument("login")
        if name == "add":
            p.add_argument("pubkey_file")
        p.add_argument("--file", help="the authorized_keys file (default ~/.ssh/authorized_keys)")
        p.set_defaults(handler=cmd_key, key_action=name)


def cmd_copy_db(ctx: Context) -> int:
    from models.copydb import copy_database
    from models.db import sqlite_path
    from models.errors import DatabaseSetupError

    source = sqlite_path(ctx.args.source)
    if source is not None and not source.is_file():
        raise DatabaseSetupError(f"No source database at {source}: nothing to copy (check the path).")
    target = sqlite_path(ctx.args.target)
    if target is not None and not target.parent.is_dir():
        raise DatabaseSetupError(f"The folder {target.parent} for the target database does not exist: create it first.")
    counts = copy_database(ctx.args.source, ctx.args.target)
    ctx.emit(counts, f"Copied {sum(counts.values()):,} rows in {len(counts)} tables.")
    return 0


cmd_copy_db.no_db = True


def _rep_or_none(login: str):
    from models.tables import Rep

    return Rep.get_or_none(Rep.login == login)


def cmd_key(ctx: Context) -> int:
    from pathlib import Path

    from models.db import resolve_url
    from models.reps import get_rep
    from tui import sshkeys

    from models.access import admin_gate
    from models.audit import record

    path = Path(ctx.args.file) if ctx.args.file else sshkeys.default_file()
    action = ctx.args.key_action
    admin_gate(ctx.login, "manage the reps' SSH keys")
    if action == "add":
        rep = get_rep(ctx.args.login)  # the rep must exist
        line = sshkeys.add_key(path, rep.login, read_input(ctx.args.pubkey_file),
                               resolve_url(getattr(ctx.args, "db", None)))
        record(ctx.login, "rep", rep.id, "key", field="ssh key", new=line.rsplit(" ", 1)[-1][:60], at=ctx.now)
        ctx.emit({"login": rep.login, "file": str(path), "line": line}, f"Added {rep.login}'s key to {path}.")
    elif action == "list":
        rows = sshkeys.list_keys(path)
        ctx.emit([{k: r[k] for k in ("login", "key")} for r in rows],
                 table([[r["login"], r["key"]] for r in rows], ["LOGIN", "KEY"]) if rows else f"No repdesk keys in {path}.")
    else:
        n = sshkeys.remove_key(path, ctx.args.login)
        target = _rep_or_none(ctx.args.login)
        if n and target is not None:
            record(ctx.login, "rep", target.id, "key", field="ssh key", old=f"{n} key(s)", new="removed", at=ctx.now)
        ctx.emit({"login": ctx.args.login, "removed": n}, f"Removed {n} key(s) of {ctx.args.login} from {path}.")
    return 0
