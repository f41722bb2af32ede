"""What the Payments screen lists about goods and the deals still to invoice: the orders at the warehouse
(lines included, in two queries) and the open deals an invoice can be issued for (one query)."""
from __future__ import annotations

from dataclasses import dataclass

from peewee import Case

from ..access import scope
from ..clock import iso
from ..tables import Client, Deal, Order, OrderLine, Stage

# the stages before Invoiced: the deals the invoice form offers
TO_INVOICE = ("new", "qualified", "proposal", "negotiation", "agreement_signed")


@dataclass(frozen=True)
class OrderRow:
    """An order not yet delivered, as the Payments list shows it."""

    order_id: int
    deal_id: int
    title: str
    client: str
    status: str  # forwarded | shipped
    address: str
    lines: tuple[str, ...]  # "2 x SKU description"
    created_at: str | None  # ISO 8601
    shipped_at: str | None


@dataclass(frozen=True)
class DealToInvoice:
    deal_id: int
    title: str
    client: str
    stage: str  # the stage's name


def orders_in_view(actor, limit: int = 200) -> tuple[OrderRow, ...]:
    """The actor's orders not yet delivered, forwarded first, role-scoped."""
    q = (Order.select(Order.id, Order.deal, Order.status, Order.address, Order.created_at, Order.shipped_at,
                      Deal.title, Client.name.alias("client"))
         .join(Deal).join(Client).where(Order.status.in_(("forwarded", "shipped"))))
    forwarded_first = Case(None, [(Order.status == "forwarded", 0)], 1)
    rows = list(scope(q, actor, Deal.owner, Deal.team).order_by(forwarded_first, Order.id).limit(limit).dicts())
    lines: dict[int, list[str]] = {r["id"]: [] for r in rows}
    if lines:
        for x in OrderLine.select().where(OrderLine.order.in_(list(lines))).order_by(OrderLine.id):
            lines[x.order_id].append(f"{x.quantity} x {(x.sku + ' ') if x.sku else ''}{x.description or ''}".strip())
    return tuple(OrderRow(order_id=r["id"], deal_id=r["deal"], title=r["title"], client=r["client"],
                          status=r["status"], address=r["address"] or "", lines=tuple(lines[r["id"]]),
                          created_at=iso(r["created_at"]), shipped_at=iso(r["shipped_at"])) for r in rows)


def deals_to_invoice(actor, limit: int = 300) -> tuple[DealToInvoice, ...]:
    """The actor's open deals in the stages before Invoiced, in pipeline order (one query)."""
    q = (Deal.select(Deal.id, Deal.title, Client.name.alias("client"), Stage.name.alias("stage"))
         .join(Client, on=(Deal.client == Client.id)).switch(Deal).join(Stage, on=(Deal.stage == Stage.id))
         .where(Stage.key.in_(TO_INVOICE)))
    q = scope(q, actor, Deal.owner, Deal.team).order_by(Stage.position, Deal.stage_changed_at, Deal.id).limit(limit)
    return tuple(DealToInvoice(deal_id=r["id"], title=r["title"], client=r["client"], stage=r["stage"])
                 for r in q.dicts())
