"""Migration 9 (issue 13): the application table's single-column owner index goes. The inbox's
(owner, open, rank, received_at, id) index starts with the owner and serves every look-up by owner (the
foreign key's too), so the lone one only cost an index write on every claim, transfer and insert (a
tenth of the sweep's UPDATE). Idempotent on both engines; a database made by migration 1 of this
version never had it."""
from __future__ import annotations


def run() -> None:
    from .engine import database

    database.execute_sql('DROP INDEX IF EXISTS "application_owner_id"')
