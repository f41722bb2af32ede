"""Migration: search and sweep at a million (issue 13).

PostgreSQL: a stored generated `search_vector` tsvector column on application (the same words SQLite's
tokenizer sees: letters and digits, lower case, accents folded as SQLite's unicode61 folds them) with a
GIN index over the open applications only; the old expression index (to_tsvector computed at query time, and again for every
updated row, a sweep's too) is dropped.

SQLite: the full-text table application_fts holds the open applications only (external content: a view
of the open rows), kept by triggers that also follow `open`, so a filter never reads closed rows' matches.

Idempotent: every step checks or uses IF [NOT] EXISTS; run twice, it changes nothing the second time
(the SQLite rebuild runs only when the table is still the old one).
"""
from __future__ import annotations

# Accented lower-case letters folded to their base letter, the same on both sides of a PostgreSQL search
# (the generated column and the query terms, models.inbox.fold); SQLite's unicode61 remove_diacritics does it
# for every letter.
ACCENTED = "áàâäãåāăąçćčďéèêëēėęěğíìîïīįñńňóòôöõōőŕřśšşťúùûüūůűųýÿźżž"
PLAIN = "aaaaaaaaacccdeeeeeeeegiiiiiinnnooooooorrssstuuuuuuuuyyzzz"

PG_DOCUMENT = ("to_tsvector('simple', translate(lower(regexp_replace(coalesce(name, '') || ' ' || "
               "coalesce(email, '') || ' ' || coalesce(subject, '') || ' ' || coalesce(text, ''), "
               f"'[^[:alnum:]]+', ' ', 'g')), '{ACCENTED}', '{PLAIN}'))")

SQLITE_VIEW = ("CREATE VIEW IF NOT EXISTS application_open_text AS "
               "SELECT id, name, email, subject, text FROM application WHERE open = 1")
SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS application_fts_ai AFTER INSERT ON application WHEN new.open BEGIN "
    "INSERT INTO application_fts(rowid, name, email, subject, text) "
    "VALUES (new.id, new.name, new.email, new.subject, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS application_fts_ad AFTER DELETE ON application WHEN old.open BEGIN "
    "INSERT INTO application_fts(application_fts, rowid, name, email, subject, text) "
    "VALUES ('delete', old.id, old.name, old.email, old.subject, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS application_fts_au AFTER UPDATE OF name, email, subject, text, open "
    "ON application WHEN old.open IS NOT new.open OR old.name IS NOT new.name OR old.email IS NOT new.email "
    "OR old.subject IS NOT new.subject OR old.text IS NOT new.text BEGIN "
    "INSERT INTO application_fts(application_fts, rowid, name, email, subject, text) "
    "SELECT 'delete', old.id, old.name, old.email, old.subject, old.text WHERE old.open; "
    "INSERT INTO application_fts(rowid, name, email, subject, text) "
    "SELECT new.id, new.name, new.email, new.subject, new.text WHERE new.open; END",
)


def run() -> None:
    from .engine import database, is_postgres

    if is_postgres():
        database.execute_sql(
            f"ALTER TABLE application ADD COLUMN IF NOT EXISTS search_vector tsvector "
            f"GENERATED ALWAYS AS ({PG_DOCUMENT}) STORED")
        database.execute_sql("CREATE INDEX IF NOT EXISTS application_search_open ON application "
                             "USING gin (search_vector) WHERE open")
        database.execute_sql("DROP INDEX IF EXISTS application_fts")
        return
    row = database.execute_sql("SELECT sql FROM sqlite_master WHERE name = 'application_fts'").fetchone()
    if row and "application_open_text" in (row[0] or ""):
        return  # already the open-rows table
    for name in ("application_fts_ai", "application_fts_ad", "application_fts_au"):
        database.execute_sql(f"DROP TRIGGER IF EXISTS {name}")
    database.execute_sql("DROP TABLE IF EXISTS application_fts")
    database.execute_sql(SQLITE_VIEW)
    database.execute_sql(
        "CREATE VIRTUAL TABLE application_fts USING fts5(name, email, subject, text, "
        "content='application_open_text', content_rowid='id', tokenize='unicode61 remove_diacritics 2')")
    for sql in SQLITE_TRIGGERS:
        database.execute_sql(sql)
    database.execute_sql("INSERT INTO application_fts(application_fts) VALUES ('rebuild')")
