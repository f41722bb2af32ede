"""Warehouse orders: a deal with a signed agreement and the money in (paid in full, or an approved
installment plan) produces an order with the deal's lines, sent to a delivery address (the one given, else
the client's); forwarded -> shipped -> delivered, or cancelled before it ships (a lost deal). Shipping and
delivering carry the deal along (pipeline.follow: Shipped, then Won), in the same transaction.

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
from .access import check_deal, owned_row, scope
from .pipeline import follow
from .audit import record
from .clock import iso
from .engine import database, locked as _locked, write_txn
from .errors import DomainError, NotYours, NothingToDo, ValidationError
from .tables import Client, Deal, DealLine, Order, OrderLine, Product, Rep
from .text import one_line, safe

ORDER_FLOW = {"forwarded": "shipped", "shipped": "delivered"}
ORDER_STATUSES = ("forwarded", "shipped", "delivered", "cancelled")


class ShipmentBlocked(DomainError):
    """The deal cannot go to (or leave) the warehouse yet; `reasons` says why."""

    def __init__(self, message: str, reasons: list[str]):
        super().__init__(message)
        self.reasons = reasons




def _deal(actor: Rep, deal_id: int) -> Deal:
    return owned_row(Deal, deal_id, actor, "deal", lock=True)


def _order(actor: Rep, order_id: int) -> Order:
    return owned_row(Order, order_id, actor, "order", lock=True, owner_of=lambda o: Deal.get_by_id(o.deal_id))


def _address(client: Client) -> str:
    parts = [(client.address or "").strip(), (client.city or "").strip(), (client.country or "").strip()]
    return ", ".join(p for p in parts if p)


def create_order(actor: Rep, deal_id: int, now: datetime, address: str | None = None) -> Order:
    """Forward DEAL to the warehouse: needs a signed agreement and the money (paid in full or an approved
    plan), the deal's lines (products and quantities) and a delivery address (ADDRESS, else the client's);
    refused with the reasons, or the field, otherwise. The order's lines are the deal's lines."""
    from .text import strip_controls

    address = strip_controls(address or "").strip() or None
    if address is not None and len(address) > 1000:
        raise ValidationError(f"A delivery address has at most 1000 characters ({len(address)} given).",
                              field="address")
    with write_txn():
        d = _deal(actor, deal_id)
        from .tables import Stage

        if Stage.get_by_id(d.stage_id).key == "lost":
            raise DomainError(f"Deal {deal_id} is lost; it does not go to the warehouse.")
        existing = _locked(Order.select().where(Order.deal == deal_id)).first()
        if existing is not None and existing.status != "cancelled":
            raise NothingToDo(f"Deal {deal_id} already has order {existing.id} ({existing.status}).")
        why = ledger.shipment_blockers(deal_id)
        if why:
            raise ShipmentBlocked(f"Deal {deal_id} cannot go to the warehouse: {'; '.join(why)}.", why)
        lines = list(DealLine.select(DealLine, Product).join(Product, JOIN.LEFT_OUTER,
                                                             on=(DealLine.product == Product.id))
                     .where(DealLine.deal == deal_id).order_by(DealLine.id))
        if not lines:
            raise ValidationError(f"Deal {deal_id} has no lines: the warehouse needs the products and quantities "
                                  "(add them to the deal first).", field="lines")
        client = Client.get_by_id(d.client_id)
        address = address or _address(client) or None
        if address is None:
            raise ValidationError(f"Deal {deal_id} needs a delivery address: client {client.id} has none; give "
                                  "the delivery address.", field="address")
        if existing is not None:  # a cancelled order goes out again: the same row, forwarded anew (one per deal)
            n = (Order.update(status="forwarded", address=address, created_at=now, shipped_at=None,
                              delivered_at=None, cancelled_at=None, cancel_reason=None, version=Order.version + 1)
                 .where((Order.id == existing.id) & (Order.status == "cancelled")).execute())
            if n != 1:
                raise NothingToDo(f"Deal {deal_id} already has an order.")
            OrderLine.delete().where(OrderLine.order == existing.id).execute()
            o = Order.get_by_id(existing.id)
        else:
            try:
                with database.atomic():  # savepoint: a racing second order for the deal is refused, not a crash
                    o = Order.create(deal=deal_id, status="forwarded", address=address, created_at=now)
            except IntegrityError:
                raise NothingToDo(f"Deal {deal_id} already has an order.") from None
        for x in lines:
            OrderLine.create(order=o, sku=x.product.sku if x.product_id else "", description=x.description,
                             quantity=x.quantity)
        record(actor.login, "order", o.id, "create", field="status", new="forwarded", at=now)
        record(actor.login, "order", o.id, "create", field="address", new=address, at=now)
        record(actor.login, "deal", deal_id, "order", field="order", new=o.id, at=now)
    return Order.get_by_id(o.id)


def cancel_order(actor: Rep, order_id: int, reason: str, now: datetime) -> Order:
    """Cancel an order that has not shipped (the warehouse export shows it cancelled, with the reason and
    when). A shipped or delivered order is not cancelled: the goods are out; credit the invoice instead."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Cancelling an order needs its reason.", field="reason")
    with write_txn():
        o = _order(actor, order_id)
        if o.status == "cancelled":
            raise NothingToDo(f"Order {order_id} is already cancelled.")
        if o.status != "forwarded":
            raise DomainError(f"Order {order_id} is {o.status}: the goods are out, it cannot be cancelled; "
                              "credit the invoice instead.")
        done = (Order.update(status="cancelled", cancelled_at=now, cancel_reason=reason[:2000],
                             version=Order.version + 1)
                .where((Order.id == o.id) & (Order.status == "forwarded")).execute())
        if not done:  # pragma: no cover (the row lock / write lock prevents it)
            raise NothingToDo(f"Order {order_id} changed meanwhile; look again.")
        record(actor.login, "order", o.id, "cancel", field="status", old=o.status, new="cancelled", at=now)
        record(actor.login, "order", o.id, "cancel", field="cancel_reason", new=reason, at=now)
        record(actor.login, "deal", o.deal_id, "order", field="order", old=f"{o.id} {o.status}",
               new=f"{o.id} cancelled", at=now, cause=reason)
    return Order.get_by_id(order_id)


def _advance(actor: Rep, order_id: int, now: datetime, to: str) -> Order:
    with write_txn():
        o = _order(actor, order_id)
        if o.status == to:
            raise NothingToDo(f"Order {order_id} is already {to}.")
        if o.status == "cancelled":
            raise DomainError(f"Order {order_id} is cancelled ({o.cancel_reason or 'no reason'}).")
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
        follow(actor.login, o.deal_id, now, f"order {o.id} {to}")  # Shipped, then Won, when the gate holds
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
                delivered_at=iso(o.delivered_at), cancelled_at=iso(o.cancelled_at), cancel_reason=o.cancel_reason,
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
        raise NotYours("order", order_id)
    check_deal(actor, Deal.get_by_id(o.deal_id))
    return o


_CSV_FIELDS = ["order_id", "status", "deal_id", "deal", "client", "address", "sku", "description", "quantity",
               "created_at", "shipped_at", "delivered_at", "cancelled_at", "cancel_reason"]


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
            if o["cancel_reason"]:
                o["cancel_reason"] = safe(o["cancel_reason"], max_line=0)
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
                        o["created_at"], o["shipped_at"] or "", o["delivered_at"] or "", o["cancelled_at"] or "",
                        _cell(o["cancel_reason"])])
    return buf.getvalue()
