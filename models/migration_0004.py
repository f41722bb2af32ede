"""Migration: the manager's desk schema (issue 15).

Quota and CommissionPlan are rebuilt (nothing wrote them before: one row per rep and metric key such as
calls_per_day, no period, team or start date); deals get an expected close date, the rep who sourced them
and that rep's split; stages a win probability; reps a BDR flag. Seeds and indexes for the desk's queries
come in the migrations that follow. Safe to run on a database migration 1 of this version made (it creates
the tables as the models are now): columns it has are left alone.
"""
from __future__ import annotations


def run() -> None:
    from peewee import DateField, ForeignKeyField, IntegerField

    from .engine import database, is_postgres
    from .migrate_ops import add_columns as _add_columns
    from .tables import CommissionPlan, Quota, Rep

    if "bdr" not in {c.name for c in database.get_columns("rep")}:
        # One ALTER on both engines: playhouse would rebuild the rep table on SQLite for a NOT NULL column,
        # which SQLite refuses while other tables reference it inside the migration's transaction.
        kind = "BOOLEAN NOT NULL DEFAULT false" if is_postgres() else "INTEGER NOT NULL DEFAULT 0"
        database.execute_sql(f'ALTER TABLE "rep" ADD COLUMN "bdr" {kind}')
    _add_columns("stage", [("probability", IntegerField(null=True))])
    _add_columns("deal", [("expected_close", DateField(null=True)),
                          ("sourced_by_id", ForeignKeyField(Rep, null=True, field=Rep.id, on_delete="SET NULL")),
                          ("source_split_bp", IntegerField(null=True))])
    for model, marker in ((Quota, "period"), (CommissionPlan, "schedule")):
        table = model._meta.table_name
        if database.table_exists(table) and marker not in {c.name for c in database.get_columns(table)}:
            database.drop_tables([model])  # the old shape, never written by any version
        database.create_tables([model], safe=True)
