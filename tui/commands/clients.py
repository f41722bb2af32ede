"""Client and deal commands: client add/set/show/merge/duplicates, clients, deal add/set/move/lose/show,
deal line add/remove, stage list/require/unrequire/stale/skippable, lost-reasons, activity add (now or
scheduled with --due), activities --client, task add/done."""
from __future__ import annotations

import sys

from tui.commands.admin import group
from tui.commands.base import Context, id_arg, json_text, limit_arg, say, table, terminal_text, version_arg, whole_number


def register(sub, common) -> None:
    cl = group(sub, "client", "client cards", common)
    p = cl.add_parser("add", help="add a client; prints the new id", parents=[common])
    p.add_argument("--name", required=True)
    for f in ("company", "position", "email", "phone", "birth-date", "city", "country", "source", "notes"):
        p.add_argument(f"--{f}")
    p.add_argument("--if-unique", action="store_true",
                   help="refuse (exit 1) when a likely duplicate exists instead of adding and warning")
    p.set_defaults(handler=cmd_client_add)
    p = cl.add_parser("set", help="set card fields: FIELD=VALUE ... (empty VALUE clears)", parents=[common])
    p.add_argument("id", type=id_arg)
    p.add_argument("assignments", nargs="+", metavar="FIELD=VALUE")
    p.add_argument("--version", type=version_arg, help="the version you opened: a newer save by someone else is refused")
    p.set_defaults(handler=cmd_client_set)
    p = cl.add_parser("show", help="one client card", parents=[common])
    p.add_argument("id", type=id_arg)
    p.set_defaults(handler=cmd_client_show)
    p = cl.add_parser("duplicates", help="likely duplicates of a client (same e-mail or phone, similar name)",
                      parents=[common])
    p.add_argument("id", type=id_arg)
    p.set_defaults(handler=cmd_client_duplicates)
    p = cl.add_parser("merge", help="merge card OTHER into card KEEP (deals, activities, invoices move)",
                      parents=[common])
    p.add_argument("keep", type=id_arg)
    p.add_argument("other", type=id_arg)
    p.set_defaults(handler=cmd_client_merge)
    p = cl.add_parser("assign", help="hand a client, its open deals and tasks to another rep (managers)",
                      parents=[common])
    p.add_argument("id", type=id_arg)
    p.add_argument("login")
    p.set_defaults(handler=cmd_client_assign)
    p = cl.add_parser("lost", help="mark a client lost with a reason (see repdesk lost-reasons)", parents=[common])
    p.add_argument("id", type=id_arg)
    p.add_argument("reason")
    p.set_defaults(handler=cmd_client_lost)

    p = sub.add_parser("clients", help="my clients (my team's for a manager), by name", parents=[common])
    p.add_argument("--segment", help="hot, cooling, warm, lapsing, sleeping, never")
    p.add_argument("--search", help="full text: name, company, e-mail, phone, notes")
    p.add_argument("--limit", type=limit_arg, default=0, help="at most this many (default all)")
    p.set_defaults(handler=cmd_clients)
    p = sub.add_parser("lost-reasons", help="the reasons a client or deal is lost", parents=[common])
    p.set_defaults(handler=cmd_lost_reasons)

    act = group(sub, "activity", "what happened with a client: calls, e-mails, messages, meetings", common)
    p = act.add_parser("add", help="log a call, e-mail, message or meeting with a client (done now), or with "
                                   "--due schedule one for later", parents=[common])
    p.add_argument("--client", type=id_arg, required=True)
    p.add_argument("--deal", type=id_arg)
    p.add_argument("--kind", required=True, choices=["call", "email", "message", "meeting"])
    p.add_argument("--subject", required=True)
    p.add_argument("--note")
    p.add_argument("--due", help="schedule it: 2026-12-03 15:30 (your zone), 2026-12-03, +2d, +3h")
    p.set_defaults(handler=cmd_activity_add)
    p = sub.add_parser("activities", help="a client's activities: what happened and what is planned, newest first",
                       parents=[common])
    p.add_argument("--client", type=id_arg, required=True)
    p.add_argument("--limit", type=limit_arg, default=200)
    p.set_defaults(handler=cmd_activities)
    tk = group(sub, "task", "tasks with a due date (repdesk tasks lists mine)", common)
    p = tk.add_parser("add", help="a task about a client, for its owner; prints the id", parents=[common])
    p.add_argument("--client", type=id_arg, required=True)
    p.add_argument("--deal", type=id_arg)
    p.add_argument("--due", required=True, help="2026-11-24 15:30 (your zone), 2026-11-24, +2d, +3h")
    p.add_argument("--subject", required=True)
    p.add_argument("--kind", default="task", choices=["task", "call", "email", "message", "meeting"])
    p.set_defaults(handler=cmd_task_add)
    p = tk.add_parser("done", help="mark a task done", parents=[common])
    p.add_argument("id", type=id_arg)
    p.set_defaults(handler=cmd_task_done)

    dl = group(sub, "deal", "deals and the stage gate", common)
    from tui.commands.commission import register_deal

    register_deal(dl, common)  # deal handoff (issue 15)
    p = dl.add_parser("add", help="add a deal for a client; prints the id", parents=[common])
    p.add_argument("--client", type=id_arg, required=True)
    p.add_argument("--title", required=True)
    p.add_argument("--amount")
    p.add_argument("--currency", default="EUR")
    p.set_defaults(handler=cmd_deal_add)
    p = dl.add_parser("set", help="set deal fields: FIELD=VALUE ...", parents=[common])
    p.add_argument("id", type=id_arg)
    p.add_argument("assignments", nargs="+", metavar="FIELD=VALUE")
    p.add_argument("--version", type=version_arg, help="the version you opened: a newer save by someone else is refused")
    p.set_defaults(handler=cmd_deal_set)
    p = dl.add_parser("move", help="move a deal to STAGE (exit 3 and the missing fields when refused)",
                      parents=[common])
    p.add_argument("id", type=id_arg)
    p.add_argument("stage")
    p.set_defaults(handler=cmd_deal_move)
    p = dl.add_parser("lose", help="close a deal as lost with a reason (unpaid invoices are cancelled)",
                      parents=[common])
    p.add_argument("id", type=id_arg)
    p.add_argument("reason")
    p.set_defaults(handler=cmd_deal_lose)
    p = dl.add_parser("show", help="one deal, with its lines", parents=[common])
    p.add_argument("id", type=id_arg)
    p.set_defaults(handler=cmd_deal_show)
    ln = group(dl, "line", "the deal's lines: catalog products, quantities, prices (the amount is their sum)",
               common)
    p = ln.add_parser("add", help="add QTY of the catalog product SKU (at the catalog price, or --price)",
                      parents=[common])
    p.add_argument("deal", type=id_arg)
    p.add_argument("sku")
    p.add_argument("qty", type=whole_number(1, 1_000_000, "QTY"))
    p.add_argument("--price", help="the unit price in the deal's currency (default the catalog's)")
    p.set_defaults(handler=cmd_deal_line_add)
    p = ln.add_parser("remove", help="take line LINE off the deal", parents=[common])
    p.add_argument("deal", type=id_arg)
    p.add_argument("line", type=id_arg)
    p.set_defaults(handler=cmd_deal_line_remove)

    st = group(sub, "stage", "stage rules (managers edit them)", common)
    p = st.add_parser("list", help="stages and what each requires", parents=[common])
    p.set_defaults(handler=cmd_stage_list)
    p = st.add_parser("require", help="make STAGE require FIELD", parents=[common])
    p.add_argument("stage")
    p.add_argument("field")
    p.add_argument("--label")
    p.set_defaults(handler=cmd_stage_require)
    p = st.add_parser("unrequire", help="drop FIELD from STAGE's requirements", parents=[common])
    p.add_argument("stage")
    p.add_argument("field")
    p.set_defaults(handler=cmd_stage_unrequire)
    p = st.add_parser("stale", help="mark deals in STAGE stale after DAYS without a move (0: never)",
                      parents=[common])
    p.add_argument("stage")
    p.add_argument("days", type=whole_number(0, 3650, "DAYS"))
    p.set_defaults(handler=cmd_stage_stale)
    p = st.add_parser("skippable", help="let forward moves pass over STAGE without its requirements (on|off)",
                      parents=[common])
    p.add_argument("stage")
    p.add_argument("state", choices=["on", "off"])
    p.set_defaults(handler=cmd_stage_skippable)


def _assignments(items: list[str]) -> dict:
    from models.errors import ValidationError

    changes = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValidationError(f"{item!r} is not FIELD=VALUE.")
        changes[key.strip().replace("-", "_")] = value
    return changes


def _dup_text(dups: list[dict]) -> str:
    from models.text import one_line

    return "; ".join(f"client {d['id']} {one_line(d['name'], 40) if d['visible'] else '(owned by ' + str(d['owner']) + ')'}"
                     f" - {d['reason']}" for d in dups)


def cmd_client_add(ctx: Context) -> int:
    from models.clients import add_client, clean_fields, likely_duplicates
    from models.errors import DomainError

    a = ctx.args
    fields = {k: getattr(a, k.replace("-", "_")) for k in ("name", "company", "position", "email", "phone",
                                                           "birth-date", "city", "country", "source", "notes")}
    fields = {k.replace("-", "_"): v for k, v in fields.items() if v is not None}
    clean_fields(fields)  # a bad e-mail is refused before we look for duplicates
    dups = likely_duplicates(ctx.actor, fields.get("name"), fields.get("email"), fields.get("phone"))
    if dups and a.if_unique:
        raise DomainError(f"Not added: likely duplicate of {_dup_text(dups)}.")
    c = add_client(ctx.actor, ctx.now, **fields)
    if dups and not ctx.json:
        say(f"repdesk: note: likely duplicate of {_dup_text(dups)} (to merge: repdesk client merge {dups[0]['id']} {c.id}).")
    ctx.emit({"id": c.id, "duplicates": dups}, str(c.id))
    return 0


def cmd_client_set(ctx: Context) -> int:
    from models.clients import client_dict, update_client

    c = update_client(ctx.actor, ctx.args.id, _assignments(ctx.args.assignments), ctx.now,
                      expected_version=ctx.args.version)
    ctx.emit(client_dict(c), f"Client {c.id} saved (version {c.version}).")
    return 0


def cmd_client_show(ctx: Context) -> int:
    from models.clients import client_dict, get_client
    from models.text import one_line

    d = client_dict(get_client(ctx.actor, ctx.args.id))
    ctx.emit(d, "\n".join(f"{k:>15}: {one_line(v)}" for k, v in d.items() if v not in (None, "")))
    return 0


def cmd_client_duplicates(ctx: Context) -> int:
    from models.clients import get_client, likely_duplicates

    c = get_client(ctx.actor, ctx.args.id)
    dups = likely_duplicates(ctx.actor, c.name, c.email, c.phone, exclude=c.id)
    ctx.emit(dups, table([[str(d["id"]), d["name"] if d["visible"] else "(not yours)", d["owner"] or "-",
                           d["reason"]] for d in dups], ["ID", "NAME", "OWNER", "WHY"]) if dups
             else f"No likely duplicates of client {c.id}.")
    return 0


def cmd_client_merge(ctx: Context) -> int:
    from models.clients import merge_clients

    r = merge_clients(ctx.actor, ctx.args.keep, ctx.args.other, ctx.now)
    ctx.emit(r, f"Client {r['merged']} merged into {r['kept']}: {r['deals']} deal(s), {r['activities']} "
                f"activit{'y' if r['activities'] == 1 else 'ies'}, {r['applications']} application(s) moved"
                + (f"; filled {', '.join(r['filled'])}" if r["filled"] else "") + ".")
    return 0


def cmd_client_assign(ctx: Context) -> int:
    from models.clients import reassign_client

    r = reassign_client(ctx.actor, ctx.args.id, ctx.args.login, ctx.now)
    ctx.emit(r, f"Client {r['client']} is now {r['owner']}'s, with {r['deals']} open deal(s) and {r['tasks']} "
                f"open task(s).")
    return 0


def cmd_client_lost(ctx: Context) -> int:
    from models.clients import client_dict, update_client

    from models.errors import ValidationError

    if not ctx.args.reason.strip():
        raise ValidationError("Give the reason the client was lost (repdesk lost-reasons lists them).",
                              field="reason")
    c = update_client(ctx.actor, ctx.args.id, {"lost_reason": ctx.args.reason}, ctx.now)
    ctx.emit(client_dict(c), f"Client {c.id} is lost: {c.lost_reason}.")
    return 0


def cmd_clients(ctx: Context) -> int:
    from models.activities import next_tasks_due
    from models.clients import client_dict, client_page
    from models.errors import ValidationError
    from models.segments import SEGMENTS

    seg = ctx.args.segment
    if seg and seg not in SEGMENTS:
        raise ValidationError(f"There is no segment {seg!r}; segments: {', '.join(SEGMENTS)}.", field="segment")
    after, shown, limit = None, 0, ctx.args.limit
    if not ctx.json:
        print(_client_line("ID", "NAME", "SEGMENT", "LAST BUY", "NEXT TASK", "OWNER", "CONTACT"))  # filtered there
    first = True
    if ctx.json:
        sys.stdout.write("[")
    while True:  # keyset pages: any number of clients in constant memory
        page = client_page(ctx.actor, after=after, limit=500, search=ctx.args.search, segment=seg)
        due = next_tasks_due([c.id for c in page])
        for c in page:
            if limit and shown >= limit:
                break
            d = client_dict(c)
            nxt = due.get(c.id)
            d["next_task_at"] = nxt.isoformat() if nxt else None
            if ctx.json:
                sys.stdout.write(("" if first else ",") + json_text(d))
            else:
                print(_client_line(str(c.id), c.name, c.segment, (d["last_purchase_at"] or "-")[:10],
                                   (d["next_task_at"] or "-")[:10], d["owner"] or "-", c.email or c.phone or ""))
            first = False
            shown += 1
        if len(page) < 500 or (limit and shown >= limit):
            break
        after = (page[-1].name, page[-1].id)
    if ctx.json:
        sys.stdout.write("]\n")
    return 0


def _client_line(*cells: str) -> str:
    from models.text import one_line

    widths = (7, 28, 8, 10, 10, 10, 0)
    out = []
    for cell, w in zip(cells, widths):
        text = one_line(cell)
        out.append(text[:w].ljust(w) if w else text)
    return terminal_text("  ".join(out).rstrip())


def cmd_lost_reasons(ctx: Context) -> int:
    from models.clients import lost_reasons

    reasons = lost_reasons()
    ctx.emit([dict(key=k, label=v) for k, v in reasons.items()],
             table([[k, v] for k, v in reasons.items()], ["KEY", "LABEL"]))
    return 0


def cmd_deal_add(ctx: Context) -> int:
    from models.pipeline import add_deal

    d = add_deal(ctx.actor, ctx.args.client, ctx.args.title, ctx.now, ctx.args.amount, ctx.args.currency)
    ctx.emit({"id": d.id}, str(d.id))
    return 0


def cmd_deal_set(ctx: Context) -> int:
    from models.pipeline import deal_dict, update_deal

    d = update_deal(ctx.actor, ctx.args.id, _assignments(ctx.args.assignments), ctx.now,
                    expected_version=ctx.args.version)
    ctx.emit(deal_dict(d), f"Deal {d.id} saved (version {d.version}).")
    return 0


def cmd_deal_move(ctx: Context) -> int:
    from models.errors import StageGateError
    from models.flow import move_deal
    from models.pipeline import deal_dict

    try:
        d = move_deal(ctx.actor, ctx.args.id, ctx.args.stage, ctx.now)
    except StageGateError as exc:
        if ctx.json:
            print(json_text({"moved": False, "missing": exc.missing}))
        say(f"repdesk: {exc}")
        for m in exc.missing:
            say(f"  missing: {m['field']} ({m['label']})")
        return exc.exit_code
    ctx.emit({"moved": True, **deal_dict(d)}, f"Deal {d.id} is now {d.stage.name}.")
    return 0


def cmd_deal_lose(ctx: Context) -> int:
    from models.flow import lose_deal
    from models.pipeline import deal_dict

    d = lose_deal(ctx.actor, ctx.args.id, ctx.args.reason, ctx.now)
    ctx.emit(deal_dict(d), f"Deal {d.id} is lost: {d.lost_reason}.")
    return 0


def cmd_deal_show(ctx: Context) -> int:
    from models.pipeline import deal_dict, deal_lines, get_deal
    from models.text import one_line

    d = deal_dict(get_deal(ctx.actor, ctx.args.id))
    d["lines"] = deal_lines(d["id"])
    text = "\n".join(f"{k:>16}: {one_line(v)}" for k, v in d.items() if v not in (None, "") and k != "lines")
    if d["lines"]:
        text += "\n           lines:\n" + table(
            [[str(x["id"]), x["sku"], x["description"], str(x["quantity"]), f"{x['unit_price']} {x['currency']}",
              f"{x['total']} {x['currency']}"] for x in d["lines"]], ["LINE", "SKU", "PRODUCT", "QTY", "PRICE", "TOTAL"])
    ctx.emit(d, text)
    return 0


def cmd_deal_line_add(ctx: Context) -> int:
    from models.errors import ValidationError
    from models.money import parse_amount
    from models.pipeline import deal_lines, get_deal, add_line

    price = None
    if ctx.args.price not in (None, ""):
        try:
            price = parse_amount(ctx.args.price, get_deal(ctx.actor, ctx.args.deal).currency)
        except ValueError as exc:
            raise ValidationError(str(exc), field="price") from None
    line_id = add_line(ctx.actor, ctx.args.deal, ctx.args.sku, ctx.args.qty, ctx.now, price_minor=price)
    d = get_deal(ctx.actor, ctx.args.deal)
    line = next(x for x in deal_lines(d.id) if x["id"] == line_id)
    ctx.emit(dict(line, deal_id=d.id, deal_amount_minor=d.amount_minor),
             f"Line {line_id}: {line['quantity']} x {line['sku']} at {line['unit_price']} {line['currency']} "
             f"on deal {d.id} (amount now {_amount(d)}).")
    return 0


def cmd_deal_line_remove(ctx: Context) -> int:
    from models.pipeline import get_deal, remove_line

    remove_line(ctx.actor, ctx.args.deal, ctx.args.line, ctx.now)
    d = get_deal(ctx.actor, ctx.args.deal)
    ctx.emit({"deal_id": d.id, "removed": ctx.args.line, "deal_amount_minor": d.amount_minor},
             f"Line {ctx.args.line} removed from deal {d.id} (amount {_amount(d)}).")
    return 0


def _amount(d) -> str:
    from models.money import format_amount

    return format_amount(d.amount_minor, d.currency) if d.amount_minor is not None else "none"


def cmd_stage_list(ctx: Context) -> int:
    from models.pipeline import stages

    rows = [dict(key=s.key, name=s.name, stale_days=s.stale_days, skippable=bool(s.skippable),
                 probability=s.probability,
                 requires=[r.field for r in s.requirements.order_by(s.requirements.model.position)]) for s in stages()]
    ctx.emit(rows, table([[r["key"], r["name"], f"{r['stale_days']}d" if r["stale_days"] else "-",
                           "yes" if r["skippable"] else "-",
                           f"{r['probability']}%" if r["probability"] is not None else "-",
                           ", ".join(r["requires"]) or "-"] for r in rows],
                         ["KEY", "NAME", "STALE", "SKIPPABLE", "WIN%", "REQUIRES"]))
    return 0


def cmd_stage_require(ctx: Context) -> int:
    from models.pipeline import add_requirement

    add_requirement(ctx.actor, ctx.args.stage, ctx.args.field, ctx.args.label or ctx.args.field, ctx.now)
    ctx.emit({"stage": ctx.args.stage, "field": ctx.args.field}, f"{ctx.args.stage} now requires {ctx.args.field}.")
    return 0


def cmd_stage_unrequire(ctx: Context) -> int:
    from models.pipeline import remove_requirement

    remove_requirement(ctx.actor, ctx.args.stage, ctx.args.field, ctx.now)
    ctx.emit({"stage": ctx.args.stage, "field": ctx.args.field}, f"{ctx.args.stage} no longer requires {ctx.args.field}.")
    return 0


def cmd_stage_stale(ctx: Context) -> int:
    from models.pipeline import set_stale_days

    s = set_stale_days(ctx.actor, ctx.args.stage, ctx.args.days or None, ctx.now)
    ctx.emit({"stage": s.key, "stale_days": s.stale_days},
             f"{s.name}: stale after {s.stale_days} days." if s.stale_days else f"{s.name}: never stale.")
    return 0


def cmd_stage_skippable(ctx: Context) -> int:
    from models.pipeline import set_skippable

    s = set_skippable(ctx.actor, ctx.args.stage, ctx.args.state == "on", ctx.now)
    ctx.emit({"stage": s.key, "skippable": bool(s.skippable)},
             f"{s.name}: forward moves may pass over it without its requirements." if s.skippable
             else f"{s.name}: forward moves passing over it need its requirements.")
    return 0


def _due(ctx: Context, text: str):
    from models.clock import parse_local
    from models.errors import ValidationError

    try:
        return parse_local(text, ctx.actor.timezone, ctx.now)
    except ValueError as exc:
        raise ValidationError(f"{exc}.", field="due") from None


def cmd_activity_add(ctx: Context) -> int:
    from models.activities import activity_dict, log_activity, schedule

    if ctx.args.due:
        a = schedule(ctx.actor, ctx.args.client, ctx.args.kind, ctx.args.subject, _due(ctx, ctx.args.due), ctx.now,
                     deal_id=ctx.args.deal, note=ctx.args.note)
        d = activity_dict(a)
        ctx.emit(dict(d, due_at=ctx.when_json(a.due_at)), f"{a.id} ({a.kind} scheduled for {ctx.when(a.due_at)})")
        return 0
    a = log_activity(ctx.actor, ctx.args.kind, ctx.args.subject, now=ctx.now, client_id=ctx.args.client,
                     deal_id=ctx.args.deal, note=ctx.args.note)
    ctx.emit(activity_dict(a), str(a.id))
    return 0


def cmd_activities(ctx: Context) -> int:
    from models.access import owned_row
    from models.activities import client_activities
    from models.tables import Client

    owned_row(Client, ctx.args.client, ctx.actor, "client")  # missing or not yours: the one sentence
    rows = client_activities(ctx.actor, ctx.args.client, limit=ctx.args.limit)
    out = [dict(r, **{k: ctx.when_json(r[k]) for k in ("due_at", "done_at", "created_at", "cancelled_at")})
           for r in rows]
    ctx.emit(out, table([[str(r["id"]), r["kind"], r["status"],
                          ctx.when(r["due_at"] if r["status"] == "scheduled" else (r["done_at"] or r["due_at"]
                                                                                  or r["created_at"])),
                          r["rep"] or "-", str(r["deal_id"] or "-"), r["subject"]] for r in rows],
                        ["ID", "KIND", "STATUS", "WHEN", "REP", "DEAL", "SUBJECT"])
             if rows else f"No activities with client {ctx.args.client}.")
    return 0


def cmd_task_add(ctx: Context) -> int:
    from models.activities import activity_dict, add_task

    due = _due(ctx, ctx.args.due)
    a = add_task(ctx.actor, ctx.args.client, ctx.args.subject, due, ctx.now, deal_id=ctx.args.deal,
                 kind=ctx.args.kind)
    ctx.emit(activity_dict(a), str(a.id))
    return 0


def cmd_task_done(ctx: Context) -> int:
    from models.activities import activity_dict, complete_task

    a = complete_task(ctx.actor, ctx.args.id, ctx.now)
    ctx.emit(activity_dict(a), f"Task {a.id} done.")
    return 0
