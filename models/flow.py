"""Moving a deal by hand: the one public way for the CLI and every screen.

`move_deal` runs the stage gate (models.pipeline: a forward move checks every stage passed over);
`lose_deal` closes a deal as lost with a reason and cancels what has not happened yet: its unpaid
invoices (with their reminders) and an order the warehouse has not shipped. A deal whose order has
shipped cannot be lost: the goods are out; credit the invoice instead. An invoice with money on it stops
the loss too (the money goes back with a credit note first).

This module sits above pipeline, payments and orders (they import pipeline for `follow`; pipeline imports
none of them), so the rule that needs all three lives here, in one transaction.
"""
from __future__ import annotations

from datetime import datetime

from . import ledger, pipeline
from .access import owned_row
from .engine import write_txn
from .errors import DomainError, NothingToDo, StageGateError
from .orders import cancel_order
from .payments import cancel_invoice
from .tables import Deal, Order, Rep, Stage


def move_deal(actor: Rep, deal_id: int, stage_key: str, now: datetime) -> Deal:
    """Move DEAL to STAGE_KEY through the gate (refused with the missing fields, exit 3 in the CLI).
    Into Lost it is `lose_deal` with the deal's lost reason (missing when it has none)."""
    if stage_key == "lost":
        d = pipeline.get_deal(actor, deal_id)
        if not d.lost_reason:
            lost = pipeline.stage_by_key("lost")
            missing = pipeline.gate_missing(d, Stage.get_by_id(d.stage_id), lost)
            raise StageGateError(f"Deal {d.id} cannot enter {lost.name}: missing "
                                 + ", ".join(m["label"] for m in missing) + ".", missing)
        return lose_deal(actor, deal_id, d.lost_reason, now)
    return pipeline.move_deal(actor, deal_id, stage_key, now)


def loss_blockers(deal_id: int) -> list[str]:
    """Why DEAL cannot be lost (empty when it can): a shipped order, an invoice with payments."""
    why = []
    order = Order.get_or_none(Order.deal == deal_id)
    if order is not None and order.status in ("shipped", "delivered"):
        why.append(f"its order {order.id} is {order.status}: credit the invoice instead")
    for inv in ledger.live_invoices(deal_id):
        t = ledger.invoice_totals(inv)
        if t["paid"] > t.get("refunds", 0):  # money still kept: give it back first (a refunded one may go)
            why.append(f"invoice {inv.number} has payments: return them with a credit note and cancel it first")
    return why


def lose_deal(actor: Rep, deal_id: int, reason: str, now: datetime) -> Deal:
    """Close DEAL as lost with REASON (a key of the lost-reason list), in one transaction: the reason, the
    unpaid invoices cancelled, an order not yet shipped cancelled, the move to Lost (each audited)."""
    with write_txn():
        d = owned_row(Deal, deal_id, actor, "deal", lock=True)
        stage = Stage.get_by_id(d.stage_id)
        if stage.key == "lost":
            raise NothingToDo(f"Deal {deal_id} is already lost ({d.lost_reason or 'no reason'}).")
        why = loss_blockers(deal_id)
        if why:
            raise DomainError(f"Deal {deal_id} cannot be lost: {'; '.join(why)}.")
        d = pipeline.update_deal(actor, deal_id, {"lost_reason": reason}, now)  # the reason is checked here
        label = f"deal {deal_id} lost: {d.lost_reason}"
        for inv in ledger.live_invoices(deal_id):
            cancel_invoice(actor, inv.id, label, now)
        order = Order.get_or_none(Order.deal == deal_id)
        if order is not None and order.status == "forwarded":
            cancel_order(actor, order.id, label, now)
        pipeline.enter_stage(actor, Deal.get_by_id(deal_id), pipeline.stage_by_key("lost"), now)
    return Deal.get_by_id(deal_id)
