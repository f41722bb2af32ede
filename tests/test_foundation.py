"""Foundation: migrations on both engines, the CLI contract through the real entry point, bad input."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import REPDESK, SAMPLES, run_cli


def test_migrations_create_and_are_idempotent(db):
    from models.migrations import LATEST, current_version, migrate
    from models.tables import Stage, StageRequirement

    assert current_version() == LATEST
    assert migrate() == []  # second run: nothing to do
    assert [s.key for s in Stage.select().order_by(Stage.position)][:3] == ["new", "qualified", "proposal"]
    assert StageRequirement.select().join(Stage).where(Stage.key == "qualified").count() == 4


def test_init_twice_through_cli(db_url):
    first = run_cli("init", "--json", db_url=db_url)
    second = run_cli("init", "--json", db_url=db_url)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert json.loads(second.stdout)["schema_version"] >= 1


def test_newer_schema_is_refused_untouched(db):
    from models.clock import utcnow
    from models.db import close_database, open_database
    from models.errors import DatabaseSetupError
    from models.tables import SchemaVersion

    SchemaVersion.create(version=999, name="from the future", applied_at=utcnow())
    close_database()
    with pytest.raises(DatabaseSetupError, match="newer repdesk"):
        open_database(db)
    proc = run_cli("rep", "list", db_url=db)
    assert proc.returncode == 10 and "newer repdesk" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("url, words", [
    ("foo://bar", "not a database URL"),
    ("sqlite://", "three slashes"),
    ("postgresql://nobody@127.0.0.1:1/x", "Cannot reach the database"),
])
def test_bad_database_urls_get_one_sentence(url, words):
    proc = run_cli("rep", "list", db_url=url)
    assert proc.returncode == 10
    assert words in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_database_file(tmp_path):
    url = f"sqlite:///{tmp_path}/ro.db"
    assert run_cli("init", db_url=url).returncode == 0
    (tmp_path / "ro.db").chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        proc = run_cli("rep", "add", "zed", "--name", "Zed", db_url=url)
    finally:
        tmp_path.chmod(0o755)
    assert proc.returncode != 0 and "read-only" in proc.stderr and "Traceback" not in proc.stderr


def test_rep_commands(db_url):
    assert run_cli("rep", "add", "ana", "--name", "Ana A", "--role", "rep", "--team", "North",
                   db_url=db_url).returncode == 0
    dup = run_cli("rep", "add", "ana", "--name", "Ana again", db_url=db_url)
    assert dup.returncode == 2 and "already exists" in dup.stderr
    bad = run_cli("rep", "add", "Bad Login", "--name", "x", db_url=db_url)
    assert bad.returncode == 2 and "Login" in bad.stderr
    assert run_cli("rep", "away", "ana", db_url=db_url).returncode == 0
    reps = json.loads(run_cli("rep", "list", "--json", db_url=db_url).stdout)
    assert reps[0]["login"] == "ana" and reps[0]["away"] is True and reps[0]["team"] == "North"
    assert run_cli("rep", "back", "ana", db_url=db_url).returncode == 0
    assert json.loads(run_cli("rep", "list", "--json", db_url=db_url).stdout)[0]["away"] is False
    missing = run_cli("rep", "away", "zed", db_url=db_url)
    assert missing.returncode == 4 and "no rep with login 'zed'" in missing.stderr


def test_unknown_acting_rep_is_a_clear_error(db_url):
    run_cli("init", db_url=db_url)
    proc = run_cli("inbox", "--as", "ghost", db_url=db_url)
    assert proc.returncode == 4 and "ghost" in proc.stderr and "Traceback" not in proc.stderr


def test_import_products_all_or_nothing(db_url, tmp_path):
    ok = run_cli("import", "products", str(SAMPLES / "catalog.csv"), "--json", db_url=db_url)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["added"] == 20
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,name,category,price,currency\nNEW-1,Fine,balls,1.00,EUR\nNEW-2,,balls,x,EUR\n"
                   "NEW-3,Third,balls,2.505,EUR\n")
    proc = run_cli("import", "products", str(bad), db_url=db_url)
    assert proc.returncode == 2
    assert "line 3" in proc.stderr and "line 4" in proc.stderr and "Nothing was imported" in proc.stderr
    from models.db import close_database, open_database
    from models.tables import Product

    open_database(db_url)
    try:
        assert not Product.select().where(Product.sku == "NEW-1").exists()
        assert Product.select().count() == 20
    finally:
        close_database()


def test_tui_refuses_without_a_terminal(tmp_path):
    proc = subprocess.run([REPDESK, "--db", f"sqlite:///{tmp_path}/x.db"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0 and "needs a terminal" in proc.stderr


def test_python_dash_m_tui_works():
    proc = subprocess.run([sys.executable, "-m", "tui", "--version"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0 and "repdesk" in proc.stdout


def test_every_command_honours_the_environment_url(tmp_path):
    env = {**os.environ, "REPDESK_DATABASE_URL": f"sqlite:///{tmp_path}/env.db"}
    proc = subprocess.run([REPDESK, "rep", "add", "eva", "--name", "Eva"], env=env, capture_output=True,
                          text=True, timeout=60)
    # the URL from the environment is the one refused: a command other than init or demo makes no file
    assert proc.returncode == 10 and f"No database at {tmp_path}/env.db" in proc.stderr
    assert not (tmp_path / "env.db").exists()
    proc = subprocess.run([REPDESK, "init"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and f"Created a new database at {tmp_path}/env.db" in proc.stderr
    proc = subprocess.run([REPDESK, "rep", "add", "eva", "--name", "Eva"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_demo_covers_every_segment_stage_and_channel(db_url):
    proc = run_cli("demo", "--applications", "400", "--json", db_url=db_url)
    assert proc.returncode == 0, proc.stderr
    from models.db import close_database, open_database
    from models.tables import Application, Client, Deal, Installment, Payment, Stage

    open_database(db_url)
    try:
        assert Application.select().count() == 400
        assert {a.channel for a in Application.select(Application.channel).distinct()} == {
            "phone", "email", "social", "website"}
        scores = [a.score for a in Application.select(Application.score)]
        assert min(scores) < 15 and max(scores) > 50  # every level of specificity
        segments = {c.segment for c in Client.select(Client.segment).distinct()}
        assert {"hot", "warm", "sleeping", "never"} <= segments
        stages = {d.stage.key for d in Deal.select(Deal, Stage).join(Stage)}
        assert stages == {s.key for s in Stage.select()}
        assert Installment.select().exists()
        assert Payment.select().where(Payment.status == "failed").exists()
    finally:
        close_database()
    again = run_cli("demo", "--if-empty", db_url=db_url)
    assert again.returncode == 0 and "nothing to do" in again.stdout


def test_start_up_imports_stay_lean():
    """Opening the app must not import what only reports, exports, intake or demo data need."""
    code = (
        "import sys, tui.cli, tui.app, screens.inbox, models.inbox\n"
        "heavy = ['faker', 'aiohttp', 'vobject', 'icalendar', 'bs4', 'models.demo', 'screens.reports',"
        " 'smtplib', 'mailbox', 'email_validator', 'phonenumbers']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_an_older_database_is_upgraded_in_place(db):
    """A database at schema 1 (before the client name index) gets migration 2 and keeps its data."""
    from models.db import close_database, database, is_postgres, open_database
    from models.migrations import LATEST, current_version
    from models.tables import Client, SchemaVersion

    from models.clock import utcnow

    Client.create(name="Old Client", created_at=utcnow(), updated_at=utcnow())
    database.execute_sql("DROP INDEX IF EXISTS client_name_id")
    SchemaVersion.delete().where(SchemaVersion.version > 1).execute()
    close_database()
    open_database(db)
    assert current_version() == LATEST
    if is_postgres():
        names = [r[0] for r in database.execute_sql("SELECT indexname FROM pg_indexes WHERE tablename = 'client'")]
    else:
        names = [r[1] for r in database.execute_sql("PRAGMA index_list(client)")]
    assert "client_name_id" in names
    assert Client.get().name == "Old Client"


def test_a_schema_2_database_gets_the_one_flow_columns(db):
    """Migration 3 adds what issue 11 needs to a database made before it, keeping its rows: the
    columns of stage, note, order, activity, audit and rep, the refund table, and the order rules of
    Shipped and Won."""
    from models.db import close_database, database, open_database
    from models.migrations import LATEST, current_version
    from models.tables import SchemaVersion, Stage, StageRequirement

    added = {"stage": ["skippable"], "note": ["status", "decided_by", "decided_at"],
             "order": ["cancelled_at", "cancel_reason"], "activity": ["cancelled_at"], "audit": ["cause"],
             "rep": ["notices_seen_at"]}
    for table, columns in added.items():
        for column in columns:
            database.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    database.execute_sql('DROP TABLE "refund"')
    StageRequirement.delete().where(StageRequirement.field.in_(["order.shipped", "order.delivered"])).execute()
    SchemaVersion.delete().where(SchemaVersion.version > 2).execute()
    close_database()
    open_database(db)
    assert current_version() == LATEST >= 3
    for table, columns in added.items():
        have = {c.name for c in database.get_columns(table)}
        assert set(columns) <= have, (table, set(columns) - have)
    assert database.table_exists("refund")
    shipped = Stage.get(Stage.key == "shipped")
    assert "order.shipped" in [r.field for r in shipped.requirements]
    assert Stage.get(Stage.key == "new").skippable is False


def test_migration_9_drops_the_lone_owner_index_and_keeps_the_inbox_one(db):
    """A database made before migration 9 had application_owner_id; upgraded, it has only the inbox's
    owner index, as a new database does."""
    from models.db import close_database, database, is_postgres, open_database
    from models.migrations import LATEST, current_version
    from models.tables import SchemaVersion

    def names():
        if is_postgres():
            return {r[0] for r in database.execute_sql(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'application'")}
        return {r[1] for r in database.execute_sql("PRAGMA index_list(application)")}

    fresh = names()
    assert "application_owner_id" not in fresh and "application_owner_id_open_rank_received_at_id" in fresh
    database.execute_sql('CREATE INDEX "application_owner_id" ON "application" ("owner_id")')
    SchemaVersion.delete().where(SchemaVersion.version > 8).execute()
    close_database()
    open_database(db)
    assert current_version() == LATEST >= 9
    assert names() == fresh


def test_migration_10_gives_the_filter_prefix_indexes_and_keeps_every_match(db, team, catalog, now):
    """SQLite's full-text table is rebuilt with prefix indexes: the same open applications match before
    and after (a short word matches the words it begins), closed ones still do not."""
    from models import inbox
    from models.db import close_database, database, is_postgres, open_database
    from models.migrations import LATEST, current_version
    from models.tables import Application, SchemaVersion

    ids = [inbox.add_application("t", dict(channel="email", email=f"m{i}@example.com", text=t), now)
           for i, t in enumerate(("40 footballs please", "a ballon de match", "ball pump", "goal nets"))]
    Application.update(open=False, status="closed").where(Application.id == ids[2]).execute()

    def found(word):
        return sorted(a.id for a in inbox.inbox_page(None, search=word, include_closed=False, limit=50))

    before = {w: found(w) for w in ("ball", "ba", "foot", "goal", "nets")}
    assert before["ball"] == [ids[1]] and before["ba"] == [ids[1]] and before["goal"] == [ids[3]]
    if not is_postgres():
        sql = database.execute_sql("SELECT sql FROM sqlite_master WHERE name = 'application_fts'").fetchone()[0]
        assert "prefix='3 4'" in sql
        # the table as migration 7 left it: no prefix indexes
        from models.migration_0007 import SQLITE_TRIGGERS

        for name in ("application_fts_ai", "application_fts_ad", "application_fts_au", "application_fts"):
            database.execute_sql(f"DROP {'TABLE' if name == 'application_fts' else 'TRIGGER'} {name}")
        database.execute_sql("CREATE VIRTUAL TABLE application_fts USING fts5(name, email, subject, text, "
                             "content='application_open_text', content_rowid='id', "
                             "tokenize='unicode61 remove_diacritics 2')")
        for trigger in SQLITE_TRIGGERS:
            database.execute_sql(trigger)
        database.execute_sql("INSERT INTO application_fts(application_fts) VALUES ('rebuild')")
        assert {w: found(w) for w in before} == before
    SchemaVersion.delete().where(SchemaVersion.version > 9).execute()
    close_database()
    open_database(db)
    assert current_version() == LATEST >= 10
    assert {w: found(w) for w in before} == before
    if not is_postgres():
        sql = database.execute_sql("SELECT sql FROM sqlite_master WHERE name = 'application_fts'").fetchone()[0]
        assert "prefix='3 4'" in sql
