"""Warehouse orders: create, ship, deliver, cancel, list, export."""
from __future__ import annotations

from tui.commands.base import id_arg, say, terminal_text
from tui.commands.payments import ensure_group


def register(sub, common) -> None:
    od = ensure_group(sub, "order", "warehouse orders", common)
    p = od.add_parser("create", help="send a deal to the warehouse (signed agreement and money needed)",
                      parents=[common])
    p.add_argument("--deal", type=id_arg, required=True)
    p.add_argument("--address", help="the delivery address (default the client's address)")
    p.set_defaults(handler=cmd_order_create)
    p = od.add_parser("cancel", help="cancel an order that has not shipped", parents=[common])
    p.add_argument("id", type=id_arg)
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=cmd_order_cancel)
    for name, help_text in (("ship", "mark an order shipped (agreement and money checked again)"),
                            ("deliver", "mark an order delivered"), ("show", "one order with its lines")):
        p = od.add_parser(name, help=help_text, parents=[common])
        p.add_argument("id", type=id_arg)
        p.set_defaults(handler=cmd_order, action=name)
    p = sub.add_parser("orders", help="my orders (my team's for a manager)", parents=[common])
    p.add_argument("--status", choices=["forwarded", "shipped", "delivered", "cancelled"])
    p.set_defaults(handler=cmd_orders)

    ex = ensure_group(sub, "export", "export data for other systems", common)
    p = ex.add_parser("orders", help="what the warehouse needs (CSV: one row per line; JSON: orders with lines)",
                      parents=[common])
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument("--status", choices=["forwarded", "shipped", "delivered", "cancelled"])
    p.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    p.set_defaults(handler=cmd_export_orders)


def cmd_order_create(ctx):
    from models.orders import create_order, order_dict

    o = create_order(ctx.actor, ctx.args.deal, ctx.now, address=ctx.args.address)
    ctx.emit(order_dict(o), f"Order {o.id} forwarded to the warehouse.")


def cmd_order_cancel(ctx):
    from models.access import visible_order
    from models.orders import cancel_order, order_dict

    visible_order(ctx.actor, ctx.args.id)  # the refusal names the order, not its deal

    o = cancel_order(ctx.actor, ctx.args.id, ctx.args.reason, ctx.now)
    ctx.emit(order_dict(o), f"Order {o.id} cancelled.")


def cmd_order(ctx):
    from models.access import visible_order
    from models.orders import deliver_order, get_order, order_dict, ship_order
    from models.text import one_line

    visible_order(ctx.actor, ctx.args.id)  # the refusal names the order, not its deal

    if ctx.args.action == "show":
        d = order_dict(get_order(ctx.actor, ctx.args.id))
        text = "\n".join(f"{k:>12}: {one_line(d[k]) if d[k] is not None else '-'}" for k in d if k != "lines")
        text += "".join(f"\n  {x['quantity']} x {one_line(x['description'])} {one_line(x['sku'])}".rstrip()
                        for x in d["lines"])
        ctx.emit(d, text)
        return
    o = (ship_order if ctx.args.action == "ship" else deliver_order)(ctx.actor, ctx.args.id, ctx.now)
    d = order_dict(o)
    from models.tables import Deal

    d["deal_stage"] = Deal.get_by_id(o.deal_id).stage.key
    ctx.emit(d, f"Order {o.id} {o.status}; deal {o.deal_id} is {d['deal_stage']}.")


def cmd_orders(ctx):
    from models.orders import list_orders, order_dict
    from tui.commands.base import table

    rows = [order_dict(o) for o in list_orders(ctx.actor, ctx.args.status)]
    ctx.emit(rows, table([[str(r["id"]), str(r["deal_id"]), r["client"], r["status"], ctx.when(r["created_at"]),
                           str(sum(x["quantity"] for x in r["lines"]))] for r in rows],
                         ["ID", "DEAL", "CLIENT", "STATUS", "CREATED", "QTY"]) if rows else "No orders.")


def cmd_export_orders(ctx):
    import sys

    from models.errors import ValidationError
    from models.orders import export_orders
    from tui.files import write_atomically

    # cells are made safe in models.orders; the one output filter is the last line of defence (U+2028 ...)
    data = terminal_text(export_orders(ctx.actor, ctx.args.format, ctx.args.status))
    out = ctx.args.output
    if not out or out == "-":
        sys.stdout.write(data)
        return
    try:
        write_atomically(out, [data], prefix=".repdesk-export-")
    except OSError as exc:
        raise ValidationError(f"Cannot write {out}: {exc.strerror or exc}.", field="output") from None
    count = data.count("\n") - 1 if ctx.args.format == "csv" else data.count('"lines"')
    say(f"Wrote {out} ({count} {'line(s)' if ctx.args.format == 'csv' else 'order(s)'}).")
