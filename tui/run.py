"""Start the workstation: check the terminal, open the database, find the rep, run the App."""
from __future__ import annotations

import os
import sys

from tui.commands.base import Context


def only_its_own_driver(url: str | None) -> None:
    """The workstation talks to one engine, yet peewee imports every driver it finds: psycopg2 (12 ms and a
    megabyte or two of a start-up measured against a bare Textual app) and sqlite3 (a megabyte). When peewee
    is not loaded yet, the driver of the other engine counts as absent for this process. (The URL's order:
    models.db.resolve_url's, whose default is a SQLite file.)"""
    url = (url or os.environ.get("REPDESK_DATABASE_URL") or "sqlite:").lower()
    if "peewee" in sys.modules:
        return
    if url.startswith("sqlite:"):
        sys.modules.setdefault("psycopg2", None)  # `import psycopg2` raises ImportError: peewee skips it
    elif url.startswith(("postgresql:", "postgres:")):
        for name in ("sqlite3", "pysqlite3"):
            sys.modules.setdefault(name, None)


def theme_before_textual() -> None:
    """The configured theme as Textual's default (TEXTUAL_THEME), set before Textual is imported: a theme
    set on the App instead marks every stylesheet stale, and Textual parses them all twice more before
    the first paint (about 20 ms of the start-up). A name Textual does not know falls back to ansi-dark
    (as RepdeskApp does for a theme it cannot set). Does nothing once Textual is loaded (tests)."""
    if "textual.constants" in sys.modules:
        return
    from tui.config import load_config

    os.environ["TEXTUAL_THEME"] = str(load_config().theme)
    from textual import constants
    from textual.theme import BUILTIN_THEMES

    if constants.DEFAULT_THEME not in BUILTIN_THEMES:
        constants.DEFAULT_THEME = "ansi-dark"  # read by textual.app's class body, not imported yet


def run_tui(ctx: Context) -> int:
    from models.errors import DomainError

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise DomainError("repdesk needs a terminal: log in with 'ssh -t' (or run a command, "
                          "e.g. 'repdesk inbox', for plain output).")
    # Exported COLUMNS and LINES (some shells and scripts export them) would pin the screen to their size:
    # Textual asks shutil.get_terminal_size, which prefers them to the terminal's own, so a window the rep
    # resizes would never be repainted to its new size.
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)
    url = getattr(ctx.args, "db", None)
    only_its_own_driver(url)
    from tui.dbopen import open_for

    open_for(ctx, "tui", create=False)  # a missing file is refused: `repdesk init` or `repdesk demo` make one
    from models.tables import Rep

    rep = None
    if Rep.select().exists():
        rep = ctx.actor  # raises a clear error for an unknown login
    first = None
    if rep is not None:  # the inbox's first page, read now: painted with the first frame (no empty list
        import shutil    # sent first and its rows a frame later, which a slow line pays for twice)

        from models.usecases.inbox import first_page

        first = first_page(rep, shutil.get_terminal_size().lines)
    theme_before_textual()
    from tui.app import RepdeskApp

    frozen = getattr(ctx.args, "now", None)
    app = RepdeskApp(rep=rep, login=ctx.login, db_url=url, frozen_now=ctx.now if frozen else None)
    app.first_page = first
    import signal

    def hang_up(signum, frame) -> None:
        # The SSH line dropped: keep what the rep was typing, then leave at once. The
        # terminal is gone, so there is nothing to restore on it, and a graceful exit
        # could block writing to a dead pty and leave the process behind.
        try:
            app.save_drafts()
        finally:
            from models.db import close_database

            try:
                close_database()
            finally:
                os._exit(129)

    signal.signal(signal.SIGHUP, hang_up)
    app.run()
    return app.return_code or 0


