"""Schema steps the numbered migrations share (imports nothing of the project but the engine, so every
migration module may use it without an import circle)."""
from __future__ import annotations

from .engine import database, is_postgres


def add_columns(table: str, columns: list[tuple[str, object]]) -> None:
    """Add the COLUMNS (name, peewee field) TABLE lacks (a database made by migration 1 of this version
    already has them: migration 1 creates the tables as the models are now)."""
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator
    from playhouse.migrate import migrate as run

    have = {c.name for c in database.get_columns(table)}
    migrator = PostgresqlMigrator(database) if is_postgres() else SqliteMigrator(database)
    ops = [migrator.add_column(table, name, field) for name, field in columns if name not in have]
    if ops:
        run(*ops)
