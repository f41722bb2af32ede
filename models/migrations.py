"""Numbered schema migrations with a schema version table.

Each migration runs in its own transaction (DDL is transactional on SQLite
and PostgreSQL), so a failure leaves the schema as it was, never half-made.
A database written by a newer repdesk is refused, not touched.

Adding a migration: append (N, name, function) to MIGRATIONS. Migrations after
the first change existing tables with playhouse.migrate and must not rely on
the model classes' current shape.
"""
from __future__ import annotations

from peewee import OperationalError, ProgrammingError

from .clock import utcnow
from .engine import database, is_postgres, is_sqlite
from .errors import DatabaseSetupError
from .migrate_ops import add_columns as _add_columns


APPLICATION_FTS_INSERT_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS application_fts_ai AFTER INSERT ON application BEGIN "
    "INSERT INTO application_fts(rowid, name, email, subject, text) "
    "VALUES (new.id, new.name, new.email, new.subject, new.text); END")


def _m0001_initial() -> None:
    from . import tables as t

    database.create_tables(t.ALL_TABLES, safe=True)
    if is_sqlite():
        # Full-text search over applications (the inbox "/" filter), kept in sync by triggers.
        database.execute_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS application_fts USING fts5("
            "name, email, subject, text, content='application', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 2')")
        database.execute_sql(APPLICATION_FTS_INSERT_TRIGGER)
        database.execute_sql(
            "CREATE TRIGGER IF NOT EXISTS application_fts_ad AFTER DELETE ON application BEGIN "
            "INSERT INTO application_fts(application_fts, rowid, name, email, subject, text) "
            "VALUES ('delete', old.id, old.name, old.email, old.subject, old.text); END")
        database.execute_sql(
            "CREATE TRIGGER IF NOT EXISTS application_fts_au AFTER UPDATE OF name, email, subject, text "
            "ON application BEGIN "
            "INSERT INTO application_fts(application_fts, rowid, name, email, subject, text) "
            "VALUES ('delete', old.id, old.name, old.email, old.subject, old.text); "
            "INSERT INTO application_fts(rowid, name, email, subject, text) "
            "VALUES (new.id, new.name, new.email, new.subject, new.text); END")
        database.execute_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS client_fts USING fts5("
            "name, company, email, phone, notes, content='client', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 2')")
        for event, body in (
            ("AFTER INSERT", "INSERT INTO client_fts(rowid, name, company, email, phone, notes) "
                             "VALUES (new.id, new.name, new.company, new.email, new.phone, new.notes);"),
            ("AFTER DELETE", "INSERT INTO client_fts(client_fts, rowid, name, company, email, phone, notes) "
                             "VALUES ('delete', old.id, old.name, old.company, old.email, old.phone, old.notes);"),
            ("AFTER UPDATE", "INSERT INTO client_fts(client_fts, rowid, name, company, email, phone, notes) "
                             "VALUES ('delete', old.id, old.name, old.company, old.email, old.phone, old.notes); "
                             "INSERT INTO client_fts(rowid, name, company, email, phone, notes) "
                             "VALUES (new.id, new.name, new.company, new.email, new.phone, new.notes);"),
        ):
            name = "client_fts_" + event.split()[1].lower()
            database.execute_sql(f"CREATE TRIGGER IF NOT EXISTS {name} {event} ON client BEGIN {body} END")
    elif is_postgres():
        database.execute_sql(
            "CREATE INDEX IF NOT EXISTS application_fts ON application USING gin ("
            "to_tsvector('simple', coalesce(name,'') || ' ' || coalesce(email,'') || ' ' || "
            "coalesce(subject,'') || ' ' || coalesce(text,'')))")
        database.execute_sql(
            "CREATE INDEX IF NOT EXISTS client_fts ON client USING gin ("
            "to_tsvector('simple', coalesce(name,'') || ' ' || coalesce(company,'') || ' ' || "
            "coalesce(email,'') || ' ' || coalesce(phone,'') || ' ' || coalesce(notes,'')))")
        database.execute_sql("CREATE SEQUENCE IF NOT EXISTS repdesk_changes")
    _seed_rules()


def _seed_rules() -> None:
    """Stages, their required fields and lost reasons: data a manager edits later."""
    from .tables import LostReason, Stage, StageRequirement

    if Stage.select().exists():
        return
    stages = [
        ("new", "New", 7, []),
        ("qualified", "Qualified", 14, [
            ("deal.need", "Need"), ("deal.budget", "Budget"),
            ("deal.timeline", "Timeline"), ("deal.decision_maker", "Decision maker")]),
        ("proposal", "Proposal", 14, [
            ("deal.products", "Products"), ("deal.amount", "Amount"),
            ("client.email|client.phone", "Client e-mail or phone")]),
        ("negotiation", "Negotiation", 14, []),
        ("agreement_signed", "Agreement signed", 7, [
            ("agreement.provides", "What we provide (agreement)"),
            ("agreement.receives", "What we get back (agreement)"),
            ("agreement.signed", "Signed agreement")]),
        ("invoiced", "Invoiced", 5, [("invoice.issued", "Invoice issued")]),
        ("paid", "Paid", 5, [("payment.full", "Paid in full")]),
        ("shipped", "Shipped", 14, [
            ("agreement.signed", "Signed agreement"),
            ("payment.full_or_plan", "Paid in full or approved installment plan")]),
        ("won", "Won", None, []),
        ("lost", "Lost", None, [("deal.lost_reason", "Lost reason")]),
    ]
    for pos, (key, name, stale, reqs) in enumerate(stages):
        stage = Stage.create(key=key, name=name, position=pos, stale_days=stale,
                             terminal=key in ("won", "lost"))
        for i, (field, label) in enumerate(reqs):
            StageRequirement.create(stage=stage, field=field, label=label, position=i)
    for key, label in [
        ("competitor", "Went to a competitor"), ("price", "Price too high"), ("no_need", "No need any more"),
        ("no_budget", "No budget"), ("timing", "Bad timing"), ("no_response", "Stopped responding"),
        ("quality", "Unhappy with quality or service"), ("other", "Other"),
    ]:
        LostReason.create(key=key, label=label)


def _m0002_client_name_index() -> None:
    """Directors and admins list every client by name: the keyset pages need an index on (name, id)."""
    database.execute_sql("CREATE INDEX IF NOT EXISTS client_name_id ON client (name, id)")


def _m0003_one_flow() -> None:
    """Issue 11, one flow from application to shipment: skippable stages, credit notes that wait for a
    manager, refunds, cancelled orders, superseded tasks, the cause of automatic changes, notices."""
    from peewee import BooleanField, CharField, DateTimeField, TextField

    from .tables import Refund, Stage, StageRequirement

    _add_columns("stage", [("skippable", BooleanField(default=False))])
    _add_columns("note", [("status", CharField(default="approved", max_length=10)),
                          ("decided_by", CharField(null=True, max_length=64)),
                          ("decided_at", DateTimeField(null=True))])
    _add_columns("order", [("cancelled_at", DateTimeField(null=True)), ("cancel_reason", TextField(null=True))])
    _add_columns("activity", [("cancelled_at", DateTimeField(null=True))])
    _add_columns("audit", [("cause", TextField(null=True))])
    _add_columns("rep", [("notices_seen_at", DateTimeField(null=True))])
    database.create_tables([Refund], safe=True)
    # A deal is shipped when its order is, won when the order is delivered: the seeded rules say so
    # (a manager may mark either stage skippable, or drop the requirement, for work that ships nothing).
    paid = Stage.get_or_none(Stage.key == "paid")
    if paid is not None:  # paid in full, or an approved installment plan, is what Paid means
        (StageRequirement.update(field="payment.full_or_plan", label="Paid in full or approved installment plan")
         .where((StageRequirement.stage == paid.id) & (StageRequirement.field == "payment.full")).execute())
    for key, field, label in (("shipped", "order.shipped", "Order shipped"),
                              ("won", "order.delivered", "Order delivered")):
        stage = Stage.get_or_none(Stage.key == key)
        if stage is not None and not stage.requirements.where(StageRequirement.field == field).exists():
            StageRequirement.create(stage=stage, field=field, label=label, position=stage.requirements.count())


MIGRATIONS = [
    (1, "initial schema", _m0001_initial),
    (2, "client list index for directors", _m0002_client_name_index),
    (3, "one flow: skippable stages, credit approval, refunds, cancelled orders", _m0003_one_flow),
    (4, "the manager's desk: quotas, commission plans, forecast and hand-off columns", "migration_0004"),
    (5, "the manager's desk: attainment indexes", "migration_0005"),
    (6, "the manager's desk: stage probabilities, expected close required from Proposal on", "migration_0006"),
    (7, "search and sweep at a million", "migration_0007"),
    (8, "catalog vocabulary: product aliases", "migration_0008"),
    (9, "no lone owner index on applications (the inbox's owner index serves)", "migration_0009"),
    (10, "prefix indexes for the filter's short words (SQLite)", "migration_0010"),
    (11, "the stored search vector of open rows only, accents folded only where there are some (PostgreSQL); "
         "the full-text insert trigger of open rows (SQLite)",
     "migration_0011"),
]
LATEST = MIGRATIONS[-1][0]


def _step(fn):
    """A migration's function: in this module, or a module's run() (imported only to migrate: opening a
    database that is up to date imports none of them)."""
    if isinstance(fn, str):
        import importlib

        return importlib.import_module(f".{fn}", __package__).run
    return fn


def current_version() -> int:
    from .tables import SchemaVersion

    name = SchemaVersion._meta.table_name
    if is_postgres():  # one catalog look-up (peewee's table_exists lists every table: 2 ms of each start-up)
        if database.execute_sql("SELECT to_regclass(%s)", [name]).fetchone()[0] is None:
            return 0
    elif not database.table_exists(name):
        return 0
    row = SchemaVersion.select(SchemaVersion.version).order_by(SchemaVersion.version.desc()).first()
    return row.version if row else 0


def check_version() -> int:
    version = current_version()
    if version > LATEST:
        raise DatabaseSetupError(
            f"This database has schema version {version}, written by a newer repdesk "
            f"(this one knows up to {LATEST}): upgrade repdesk; the database was not changed.")
    return version


def migrate() -> list[int]:
    """Bring the schema to LATEST; safe to run twice and from several processes at once."""
    from .engine import write_txn
    from .tables import SchemaVersion

    applied: list[int] = []
    try:
        if check_version() >= LATEST:
            return applied  # nothing pending: no write lock taken (a long write elsewhere does not block start-up)
        for number, name, fn in MIGRATIONS:
            with write_txn():
                if is_postgres():
                    # One migrator at a time across processes.
                    database.execute_sql("SELECT pg_advisory_xact_lock(4242)")
                if not database.table_exists(SchemaVersion._meta.table_name):
                    database.create_tables([SchemaVersion])
                if SchemaVersion.select().where(SchemaVersion.version == number).exists():
                    continue
                _step(fn)()
                SchemaVersion.create(version=number, name=name, applied_at=utcnow())
                applied.append(number)
    except (OperationalError, ProgrammingError) as exc:
        text = str(exc)
        if "readonly" in text or "read-only" in text or "read only" in text:
            raise DatabaseSetupError("The database is read-only: repdesk needs to write to it "
                                     "(check the file's and its folder's permissions).") from None
        raise DatabaseSetupError(f"Could not prepare the database schema: {text.splitlines()[0]}.") from None
    return applied

