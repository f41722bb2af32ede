"""Migration: the manager's desk, forecast side (issue 15).

Seeds each stage's win probability where none is set (a manager's value is kept), makes Proposal require
the expected close date (once), and adds the indexes the forecast and the commission statement read on:
deals by (stage, expected close) and by expected close (the slipped list, oldest first), payments by (invoice, status, received at), refunds by (invoice, created
at). Safe to run twice and on both engines (it reads and writes rows by key, never by number, and every
index is IF NOT EXISTS). Uses SQL on the table names only: the model classes may change shape later.
"""
from __future__ import annotations

PROBABILITIES = {"new": 10, "qualified": 20, "proposal": 40, "negotiation": 60, "agreement_signed": 80,
                 "invoiced": 90, "paid": 95, "shipped": 98, "won": 100, "lost": 0}
EXPECTED_CLOSE = ("deal.expected_close", "Expected close date")
INDEXES = (
    'CREATE INDEX IF NOT EXISTS deal_stage_expected_close ON "deal" (stage_id, expected_close)',
    'CREATE INDEX IF NOT EXISTS deal_expected_close ON "deal" (expected_close, id)',
    'CREATE INDEX IF NOT EXISTS deal_sourced_by ON "deal" (sourced_by_id)',
    'CREATE INDEX IF NOT EXISTS payment_invoice_status_received ON "payment" (invoice_id, status, received_at)',
    'CREATE INDEX IF NOT EXISTS refund_invoice_created ON "refund" (invoice_id, created_at)',
)


def run() -> None:
    from .engine import database

    for key, percent in PROBABILITIES.items():
        database.execute_sql('UPDATE "stage" SET probability = %s WHERE "key" = %s AND probability IS NULL'
                             .replace("%s", _mark()), (percent, key))
    row = database.execute_sql(f'SELECT id FROM "stage" WHERE "key" = {_mark()}', ("proposal",)).fetchone()
    if row is not None:
        stage_id = row[0]
        field, label = EXPECTED_CLOSE
        have = database.execute_sql(
            f'SELECT 1 FROM "stage_requirement" WHERE stage_id = {_mark()} AND field = {_mark()}',
            (stage_id, field)).fetchone()
        if have is None:
            pos = database.execute_sql(
                f'SELECT COUNT(*) FROM "stage_requirement" WHERE stage_id = {_mark()}', (stage_id,)).fetchone()[0]
            database.execute_sql(
                f'INSERT INTO "stage_requirement" (stage_id, field, label, position) '
                f'VALUES ({_mark()}, {_mark()}, {_mark()}, {_mark()})', (stage_id, field, label, int(pos)))
    for sql in INDEXES:
        database.execute_sql(sql)


def _mark() -> str:
    from .engine import is_postgres

    return "%s" if is_postgres() else "?"
