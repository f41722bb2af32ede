"""Migration 8 (issue 14): product aliases, other names of a product (other languages, trade slang) that
the ranking's catalog vocabulary matches like the name. Idempotent on both engines: the column is added
only when the table lacks it (a database made by migration 1 of this version already has it)."""
from __future__ import annotations


def run() -> None:
    from peewee import TextField

    from .migrate_ops import add_columns

    add_columns("product", [("aliases", TextField(null=True))])
