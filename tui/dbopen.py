"""Open the database for one command or the workstation (issue 12): a missing SQLite file is refused but
for `init` and `demo`, PostgreSQL connections are labelled for pg_stat_activity, a waiting write says so."""
from __future__ import annotations


def open_for(ctx, label: str, *, create: bool = False):
    """Open the database for one command (or the workstation): a missing SQLite file is refused unless
    CREATE (init, demo), which say that they created it; PostgreSQL connections carry
    "repdesk LABEL as LOGIN" (pg_stat_activity); a write that waits for another writer says so on stderr."""
    from models import engine
    from models.db import open_database
    from tui.commands.base import say

    try:
        login = ctx.login
    except Exception:
        login = "?"
    db = open_database(getattr(ctx.args, "db", None), create=create, app_name=f"repdesk {label} as {login}")
    if label != "tui":
        engine.wait_notice = _say_waiting
    if getattr(db, "repdesk_created", False):
        say(f"Created a new database at {db.database}.")
    return db


def _say_waiting(holder: str | None) -> None:
    from models.text import safe
    from tui.commands.base import say

    say("Waiting for another writer" + (f" ({safe(holder)})" if holder else "") + " ...")
