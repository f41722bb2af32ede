"""Warehouse orders: a deal with a signed agreement and the money in (paid in full, or an approved
installment plan) produces an order with its lines; forwarded -> shipped -> delivered.

The conditions are checked inside the operation's transaction (the deal row locked FOR UPDATE on
PostgreSQL, BEGIN IMMEDIATE on SQLite), and again when the order ships: shipment is refused without the
agreement or the money. `export_orders` writes what the warehouse needs, as CSV or JSON, role-scoped.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from peewee import JOIN, IntegrityError

from . import ledger
from .access import check_deal, scope
from .audit import record
from .clock import iso
from .engine import database, locked as _locked, write_txn
from .errors import DomainError, NotFound, NothingToDo, ValidationError
from .tables import Client, Deal, DealLine, Order, OrderLine, Product, Rep
from .text import one_line, safe

ORDER_FLOW = {"forwarded": "shipped", "shipped": "delivered"}


class ShipmentBlocked(DomainError):
    """The deal cannot go to (or leave) the warehouse yet; `reasons` says why."""

    def __init__(self, message: str, reasons: list[str]):
        super().__init__(message)
        self.reasons = reasons




def _deal(actor: Rep, deal_id: int) -> Deal:
    d = _locked(Deal.select().where(Deal.id == deal_id)).first()
    if d is None:
        raise NotFound(f"There is no deal {deal_id}.")
    check_deal(actor, d)
    return d


def _order(actor: Rep, order_id: int) -> Order:
    o = _locked(Order.select().where(Order.id == order_id)).first()
    if o is None:
        raise NotFound(f"There is no order {order_id}.")
    check_deal(actor, Deal.get_by_id(o.deal_id))
    return o


def _address(client: Client) -> str:
    parts = [(client.address or "").strip(), (client.city or "").strip(), (client.country or "").strip()]
    return ", ".join(p for p in parts if p)


def create_order(actor: Rep, deal_id: int, now: datetime) -> Order:
    """Forward DEAL to the warehouse: needs a signed agreement and the money (paid in full or an approved
    plan); refused with the reasons otherwise. Lines come from the deal's lines, or one from its title."""
    with write_txn():
        d = _deal(actor, deal_id)
        why = ledger.shipment_blockers(deal_id)
        if why:
            raise ShipmentBlocked(f"Deal {deal_id} cannot go to the warehouse: {'; '.join(why)}.", why)
        existing = Order.get_or_none(Order.deal == deal_id)
        if existing is not None:
            raise NothingToDo(f"Deal {deal_id} already has order {existing.id} ({existing.status}).")
        client = Client.get_by_id(d.client_id)
        try:
            with database.atomic():  # savepoint: a racing second order for the deal is refused, not a crash
                o = Order.create(deal=deal_id, status="forwarded", address=_address(client) or None, created_at=now)
        except IntegrityError:
            raise NothingToDo(f"Deal {deal_id} already has an order.") from None
        lines = list(DealLine.select(DealLine, Product).join(Product, JOIN.LEFT_OUTER,
                                                             on=(DealLine.product == Product.id))
                     .where(DealLine.deal == deal_id).order_by(DealLine.id))
        if lines:
            for x in lines:
                OrderLine.create(order=o, sku=x.product.sku if x.product_id else "", description=x.description,
                                 quantity=x.quantity)
        else:
            OrderLine.create(order=o, sku="", description=d.title, quantity=1)
        record(actor.login, "order", o.id, "create", field="status", new="forwarded", at=now)
        record(actor.login, "deal", deal_id, "order", field="order", new=o.id, at=now)
    return Order.get_by_id(o.id)


def _advance(actor: Rep, order_id: int, now: datetime, to: str) -> Order:
    with write_txn():
        o = _order(actor, order_id)
        if o.status == to:
            raise NothingToDo(f"Order {order_id} is already {to}.")
        if ORDER_FLOW.get(o.status) != to:
            raise ValidationError(f"Order {order_id} is {o.status}; it cannot become {to} "
                                  f"(forwarded, then shipped, then delivered).", field="status")
        if to == "shipped":
            _deal(actor, o.deal_id)  # lock the deal while checking its money and agreement
            why = ledger.shipment_blockers(o.deal_id)
            if why:
                raise ShipmentBlocked(f"Order {order_id} cannot ship: {'; '.join(why)}.", why)
        stamp = {"shipped": dict(shipped_at=now), "delivered": dict(delivered_at=now)}[to]
        done = (Order.update(status=to, version=Order.version + 1, **stamp)
                .where((Order.id == o.id) & (Order.status == o.status)).execute())
        if not done:  # pragma: no cover (the row lock / write lock prevents it)
            raise NothingToDo(f"Order {order_id} changed meanwhile; look again.")
        record(actor.login, "order", o.id, {"shipped": "ship", "delivered": "deliver"}[to], field="status",
               old=o.status, new=to, at=now)
    return Order.get_by_id(order_id)


def ship_order(actor: Rep, order_id: int, now: datetime) -> Order:
    """Mark an order shipped; the agreement and the money are checked again (a refund, a cancelled
    invoice or a revoked plan since the order was made stops the shipment)."""
    return _advance(actor, order_id, now, "shipped")


def deliver_order(actor: Rep, order_id: int, now: datetime) -> Order:
    return _advance(actor, order_id, now, "delivered")


def order_dict(o: Order) -> dict:
    d = o.deal
    return dict(id=o.id, deal_id=o.deal_id, deal=d.title, client=d.client.name, address=o.address or "",
                status=o.status, created_at=iso(o.created_at), shipped_at=iso(o.shipped_at),
                delivered_at=iso(o.delivered_at),
                lines=[dict(sku=x.sku, description=x.description, quantity=x.quantity)
                       for x in o.lines.order_by(OrderLine.id)])


def list_orders(actor: Rep, status: str | None = None, limit: int = 10000) -> list[Order]:
    q = scope(Order.select(Order, Deal, Client).join(Deal).join(Client), actor, Deal.owner, Deal.team)
    if status:
        q = q.where(Order.status == status)
    return list(q.order_by(Order.id).limit(limit))


def get_order(actor: Rep, order_id: int) -> Order:
    o = Order.get_or_none(Order.id == order_id)
    if o is None:
        raise NotFound(f"There is no order {order_id}.")
    check_deal(actor, Deal.get_by_id(o.deal_id))
    return o


_CSV_FIELDS = ["order_id", "status", "deal_id", "deal", "client", "address", "sku", "description", "quantity",
               "created_at", "shipped_at", "delivered_at"]


def _cell(value) -> str:
    """Outside text made harmless for a spreadsheet and a terminal: control characters and bidi
    overrides shown visibly, and a leading = + - @ (a formula) quoted with an apostrophe."""
    text = one_line(value) if value is not None else ""
    if text[:1] in ("=", "+", "-", "@"):
        text = "'" + text
    return text


def export_orders(actor: Rep, fmt: str = "csv", status: str | None = None) -> str:
    """What the warehouse needs, role-scoped: CSV (one row per order line) or JSON (orders with lines)."""
    if fmt not in ("csv", "json"):
        raise ValidationError(f"{fmt!r} is not an export format (csv or json).", field="format")
    orders = [order_dict(o) for o in list_orders(actor, status)]
    if fmt == "json":
        for o in orders:
            for k in ("deal", "client", "address"):
                o[k] = safe(o[k], max_line=0)
            for x in o["lines"]:
                x["sku"], x["description"] = safe(x["sku"], max_line=0), safe(x["description"], max_line=0)
        return json.dumps(orders, ensure_ascii=False, indent=2) + "\n"
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(_CSV_FIELDS)
    for o in orders:
        for x in o["lines"]:
            w.writerow([o["id"], o["status"], o["deal_id"], _cell(o["deal"]), _cell(o["client"]),
                        _cell(o["address"]), _cell(x["sku"]), _cell(x["description"]), x["quantity"],
                        o["created_at"], o["shipped_at"] or "", o["delivered_at"] or ""])
    return buf.getvalue()
