"""Migration 11 (issue 13): PostgreSQL's stored search vector costs a third of what it did.

The generated `search_vector` of migration 7 was computed for every row written, a closed one's too, and
folded accents with translate() over fifty-seven letters even in a text that has none: 34 us a row, the
largest part of a bulk load's, an intake's and a sweep's server time (PostgreSQL computes a stored
generated column again on every UPDATE of the row). Now it is computed for open rows only (the search
reads nothing else: its GIN index was already partial, WHERE open) and the accents are folded only when
the text is not ASCII (octet_length = length), which every text of plain English is. The words in it
are the same as before for every open row, so every search finds what it found.

SQLite: a database filled by a bulk demo of an earlier version had its full-text insert trigger put back
without its `WHEN new.open` (a closed application inserted later went into the index of open ones): the
trigger is made again as migration 7 defines it and the index rebuilt from the open rows.

Idempotent: the column is rebuilt only while its expression is the old one, the trigger only while it lacks
its condition."""
from __future__ import annotations

from .migration_0007 import ACCENTED, PLAIN

_TEXT = "coalesce(name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(subject, '') || ' ' || coalesce(text, '')"
_WORDS = f"lower(regexp_replace({_TEXT}, '[^[:alnum:]]+', ' ', 'g'))"
PG_DOCUMENT = (f"CASE WHEN open THEN to_tsvector('simple', CASE WHEN octet_length({_TEXT}) = length({_TEXT}) "
               f"THEN {_WORDS} ELSE translate({_WORDS}, '{ACCENTED}', '{PLAIN}') END) END")


def run() -> None:
    from .engine import database, is_postgres

    if not is_postgres():
        from .migration_0007 import SQLITE_TRIGGERS

        row = database.execute_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                                   "AND name = 'application_fts_ai'").fetchone()
        if row and "WHEN new.open" not in row[0]:
            database.execute_sql("DROP TRIGGER application_fts_ai")
            database.execute_sql(next(t for t in SQLITE_TRIGGERS if "application_fts_ai" in t))
            database.execute_sql("INSERT INTO application_fts(application_fts) VALUES ('rebuild')")
        return
    row = database.execute_sql(
        "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
        "ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = 'application'::regclass "
        "AND a.attname = 'search_vector'").fetchone()
    if row and "octet_length" in row[0]:
        return
    database.execute_sql("DROP INDEX IF EXISTS application_search_open")
    database.execute_sql("ALTER TABLE application DROP COLUMN IF EXISTS search_vector")
    database.execute_sql(f"ALTER TABLE application ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
                         f"({PG_DOCUMENT}) STORED")
    database.execute_sql("CREATE INDEX application_search_open ON application USING gin (search_vector) WHERE open")
