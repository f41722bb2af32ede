"""Copy every row from one database to another (SQLite -> PostgreSQL when a team outgrows one host).

The target must be empty (fresh schema); rows go table by table in foreign-key order inside one
transaction, ids kept; PostgreSQL sequences are moved past the copied ids; the full-text index
follows (triggers on SQLite, expression indexes on PostgreSQL).
"""
from __future__ import annotations

from peewee import PostgresqlDatabase, SqliteDatabase

from .errors import DatabaseSetupError


def copy_database(src_url: str, dst_url: str, batch: int = 1000) -> dict:
    from . import tables as t
    from .db import database, make_database
    from .migrations import migrate

    src = make_database(src_url)
    dst = make_database(dst_url)
    counts: dict[str, int] = {}
    order = [m for m in t.ALL_TABLES]
    # prepare the target schema
    database.initialize(dst)
    dst.connect(reuse_if_open=True)
    migrate()
    busy = [m._meta.table_name for m in order if m not in (t.SchemaVersion, t.Stage, t.StageRequirement, t.LostReason)
            and m.select().exists()]
    if busy:
        raise DatabaseSetupError(f"The target database is not empty ({', '.join(busy[:3])} have rows); "
                                 "copy into a fresh database.")
    with dst.atomic():
        for m in (t.StageRequirement, t.Stage, t.LostReason, t.SchemaVersion):
            m.delete().execute()
        for model in order:
            with src.bind_ctx([model]):
                rows = list(model.select().dicts())
            counts[model._meta.table_name] = len(rows)
            with dst.bind_ctx([model]):
                cols = [f.column_name for f in model._meta.sorted_fields]
                for i in range(0, len(rows), batch):
                    chunk = [{model._meta.columns[c]: r[model._meta.columns[c].name] for c in cols}
                             for r in rows[i:i + batch]]
                    model.insert_many(chunk).execute()
        if isinstance(dst, PostgresqlDatabase):
            for model in order:
                pk = model._meta.primary_key
                if getattr(pk, "field_type", "") == "AUTO":
                    table = model._meta.table_name
                    dst.execute_sql(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{pk.column_name}'), "
                        f"COALESCE((SELECT MAX(\"{pk.column_name}\") FROM \"{table}\"), 0) + 1, false)")
        if isinstance(dst, SqliteDatabase):
            dst.execute_sql("INSERT INTO application_fts(application_fts) VALUES ('rebuild')")
            dst.execute_sql("INSERT INTO client_fts(client_fts) VALUES ('rebuild')")
    src.close()
    return counts
