"""Migration: the indexes attainment counts on (issue 15, models.quotas.done_counts).

Each count is a range of one rep's rows in a period: activities by (rep, kind, done_at), cards by
(owner, created_at), won deals by (owner, closed_at), invoices by (deal, issued_at), payments and refunds
by (invoice, moment). Idempotent (IF NOT EXISTS), the same statements on both engines.
"""
from __future__ import annotations

INDEXES = (
    ("activity_rep_kind_done", "activity", "rep_id, kind, done_at"),
    ("client_owner_created", "client", "owner_id, created_at"),
    ("deal_owner_closed", "deal", "owner_id, closed_at"),
    ("invoice_deal_issued", "invoice", "deal_id, issued_at"),
    ("payment_invoice_received", "payment", "invoice_id, received_at"),
    ("refund_invoice_paid", "refund", "invoice_id, paid_at"),
)


def run() -> None:
    from .engine import database

    for name, table, columns in INDEXES:
        database.execute_sql(f'CREATE INDEX IF NOT EXISTS {name} ON "{table}" ({columns})')
