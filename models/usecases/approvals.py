"""What waits for a manager's decision: installment plans a rep proposed and credit notes a rep made above
the setting credit.rep_limit, on live invoices of the manager's team (a director: everyone's). A rep
decides nothing, so their list is empty. Read in a fixed number of queries.

A plan is decided with models.payments.approve_plan / reject_plan (they take `invoice_id`), a credit note
with models.payments.decide_note (it takes `id`, the note's id).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..access import is_manager
from ..tables import Audit, Deal, InstallmentPlan, Invoice
from .payments import _PARTY, _joined, _scoped, notes_waiting


@dataclass(frozen=True)
class Waiting:
    kind: str  # "plan" | "note"
    id: int  # the plan's id, or the note's id (what decide_note takes)
    invoice_id: int  # what approve_plan / reject_plan take
    number: str  # the invoice's number
    deal_id: int
    client_id: int
    client: str
    owner: str | None  # the deal owner's login
    amount_minor: int  # the plan's invoice amount, or the credit note's amount
    currency: str
    what: str  # "3 parts every 30 days", or the credit note's reason
    asked_by: str | None  # login of who proposed it
    asked_at: datetime


def _plans(actor, limit: int) -> list[Waiting]:
    q = _scoped(_joined(InstallmentPlan.select(InstallmentPlan.id.alias("plan_id"), InstallmentPlan.parts,
                                               InstallmentPlan.every_days, Invoice.id.alias("invoice_id"),
                                               Invoice.number, Invoice.amount_minor, Invoice.currency,
                                               Invoice.issued_at, *_PARTY).join(Invoice).join(Deal))
                .where((InstallmentPlan.status == "proposed") & (Invoice.status != "cancelled")), actor)
    rows = list(q.order_by(Invoice.issued_at, Invoice.id).limit(limit).dicts())
    asked: dict[int, str] = {}
    if rows:  # who proposed it: the actor of the invoice's "plan" audit row
        for invoice_id, login in (Audit.select(Audit.record_id, Audit.actor)
                                  .where((Audit.kind == "invoice") & (Audit.action == "plan")
                                         & Audit.record_id.in_([r["invoice_id"] for r in rows]))
                                  .order_by(Audit.id).tuples()):
            asked.setdefault(invoice_id, login)
    return [Waiting(kind="plan", id=r["plan_id"], invoice_id=r["invoice_id"], number=r["number"],
                    deal_id=r["deal_id"], client_id=r["client_id"], client=r["client"], owner=r["owner"],
                    amount_minor=r["amount_minor"], currency=r["currency"],
                    what=f"{r['parts']} parts every {r['every_days'] or 30} days",
                    asked_by=asked.get(r["invoice_id"], r["owner"]), asked_at=r["issued_at"])
            for r in rows]


def waiting_for_me(actor, now: datetime, limit: int = 200) -> tuple[Waiting, ...]:
    """Installment plans and credit notes waiting for ACTOR's decision, oldest first (NOW is the moment
    the list is read; kept for the screens' age column)."""
    if not is_manager(actor):
        return ()
    notes = [Waiting(kind="note", id=n.note_id, invoice_id=n.invoice_id, number=n.number, deal_id=n.deal_id,
                     client_id=n.client_id, client=n.client, owner=n.owner, amount_minor=n.amount_minor,
                     currency=n.currency, what=n.reason, asked_by=n.created_by, asked_at=n.created_at)
             for n in notes_waiting(actor, limit)]
    out = sorted(_plans(actor, limit) + notes, key=lambda w: (w.asked_at, w.kind != "plan", w.id))
    return tuple(out[:limit])
