"""Client and deal commands: client add/show, deal add/set/move/show, stage list/require/unrequire."""
from __future__ import annotations

import sys

from tui.commands.admin import group
from tui.commands.base import Context, table


def register(sub, common) -> None:
    cl = group(sub, "client", "client cards", common)
    p = cl.add_parser("add", help="add a client; prints the new id", parents=[common])
    p.add_argument("--name", required=True)
    for f in ("company", "position", "email", "phone", "birth-date", "city", "country", "source", "notes"):
        p.add_argument(f"--{f}")
    p.set_defaults(handler=cmd_client_add)
    p = cl.add_parser("show", help="one client card", parents=[common])
    p.add_argument("id", type=int)
    p.set_defaults(handler=cmd_client_show)

    dl = group(sub, "deal", "deals and the stage gate", common)
    p = dl.add_parser("add", help="add a deal for a client; prints the id", parents=[common])
    p.add_argument("--client", type=int, required=True)
    p.add_argument("--title", required=True)
    p.add_argument("--amount")
    p.add_argument("--currency", default="EUR")
    p.set_defaults(handler=cmd_deal_add)
    p = dl.add_parser("set", help="set deal fields: FIELD=VALUE ...", parents=[common])
    p.add_argument("id", type=int)
    p.add_argument("assignments", nargs="+", metavar="FIELD=VALUE")
    p.add_argument("--version", type=int, help="the version you opened: a newer save by someone else is refused")
    p.set_defaults(handler=cmd_deal_set)
    p = dl.add_parser("move", help="move a deal to STAGE (exit 3 and the missing fields when refused)",
                      parents=[common])
    p.add_argument("id", type=int)
    p.add_argument("stage")
    p.set_defaults(handler=cmd_deal_move)
    p = dl.add_parser("show", help="one deal", parents=[common])
    p.add_argument("id", type=int)
    p.set_defaults(handler=cmd_deal_show)

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


def cmd_client_add(ctx: Context) -> int:
    from models.clients import add_client

    a = ctx.args
    fields = {k: getattr(a, k.replace("-", "_")) for k in ("name", "company", "position", "email", "phone",
                                                           "birth-date", "city", "country", "source", "notes")}
    fields = {k.replace("-", "_"): v for k, v in fields.items() if v is not None}
    c = add_client(ctx.actor, ctx.now, **fields)
    ctx.emit({"id": c.id}, str(c.id))
    return 0


def cmd_client_show(ctx: Context) -> int:
    from models.clients import client_dict, get_client
    from models.text import one_line

    d = client_dict(get_client(ctx.actor, ctx.args.id))
    ctx.emit(d, "\n".join(f"{k:>15}: {one_line(v)}" for k, v in d.items() if v not in (None, "")))
    return 0


def cmd_deal_add(ctx: Context) -> int:
    from models.pipeline import add_deal

    d = add_deal(ctx.actor, ctx.args.client, ctx.args.title, ctx.now, ctx.args.amount, ctx.args.currency)
    ctx.emit({"id": d.id}, str(d.id))
    return 0


def cmd_deal_set(ctx: Context) -> int:
    from models.errors import ValidationError
    from models.pipeline import deal_dict, update_deal

    changes = {}
    for item in ctx.args.assignments:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValidationError(f"{item!r} is not FIELD=VALUE.")
        changes[key.strip()] = value
    d = update_deal(ctx.actor, ctx.args.id, changes, ctx.now, expected_version=ctx.args.version)
    ctx.emit(deal_dict(d), f"Deal {d.id} saved (version {d.version}).")
    return 0


def cmd_deal_move(ctx: Context) -> int:
    import json

    from models.errors import StageGateError
    from models.pipeline import deal_dict, move_deal

    try:
        d = move_deal(ctx.actor, ctx.args.id, ctx.args.stage, ctx.now)
    except StageGateError as exc:
        if ctx.json:
            print(json.dumps({"moved": False, "missing": exc.missing}))
        print(f"repdesk: {exc}", file=sys.stderr)
        for m in exc.missing:
            print(f"  missing: {m['field']} ({m['label']})", file=sys.stderr)
        return exc.exit_code
    ctx.emit({"moved": True, **deal_dict(d)}, f"Deal {d.id} is now {d.stage.name}.")
    return 0


def cmd_deal_show(ctx: Context) -> int:
    from models.pipeline import deal_dict, get_deal
    from models.text import one_line

    d = deal_dict(get_deal(ctx.actor, ctx.args.id))
    ctx.emit(d, "\n".join(f"{k:>16}: {one_line(v)}" for k, v in d.items() if v not in (None, "")))
    return 0


def cmd_stage_list(ctx: Context) -> int:
    from models.pipeline import stages

    rows = [dict(key=s.key, name=s.name, stale_days=s.stale_days,
                 requires=[r.field for r in s.requirements.order_by(s.requirements.model.position)]) for s in stages()]
    ctx.emit(rows, table([[r["key"], r["name"], ", ".join(r["requires"]) or "-"] for r in rows],
                         ["KEY", "NAME", "REQUIRES"]))
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
