"""The `repdesk` command: the workstation with no command, plain-text/JSON commands otherwise.

Errors go to stderr as one sentence with a non-zero exit code, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys


class Parser(argparse.ArgumentParser):
    """argparse, with what it prints (usage, help, "invalid choice: '...'" echoing an argument) passed
    through the output filter; subcommand parsers are of this class too (add_subparsers uses type(self))."""

    def _print_message(self, message, file=None):
        if message:
            from tui.commands.base import terminal_text

            super()._print_message(terminal_text(message), file)


def common_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    S = argparse.SUPPRESS
    common.add_argument("--db", metavar="URL", default=S,
                        help="database URL (default: $REPDESK_DATABASE_URL or sqlite in the user data folder)")
    common.add_argument("--as", dest="as_login", metavar="LOGIN", default=S,
                        help="act as this rep (default: the operating-system user)")
    common.add_argument("--now", metavar="ISO", default=S, help="pretend the time is ISO (for tests and replays)")
    common.add_argument("--json", action="store_true", default=S, help="print JSON instead of text")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = common_parser()
    parser = Parser(
        prog="repdesk", parents=[common],
        description="A keyboard-driven sales workstation. With no command, opens the workstation.")
    from tui import __version__

    parser.add_argument("--version", action="version", version=f"repdesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from tui.commands import MODULES

    for name in MODULES:
        importlib.import_module(name).register(sub, common)
    return parser


WORKSTATION_OPTIONS = {"--db", "--as", "--now"}  # the common options that take a value


def opens_workstation(argv: list[str]) -> bool:
    """No command, only the common options: the workstation starts without building the parsers of every
    command (about 80 ms of a start-up whose budget is a bare Textual app's)."""
    words = iter(argv)
    for word in words:
        if word in WORKSTATION_OPTIONS:
            if next(words, None) is None:
                return False  # argparse says what is missing
        elif word == "--json" or ("=" in word and word.split("=", 1)[0] in WORKSTATION_OPTIONS):
            continue
        else:
            return False
    return True


def workstation_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="repdesk", parents=[common_parser()])
    parser.set_defaults(command=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = workstation_parser() if opens_workstation(argv) else build_parser()
    args = parser.parse_args(argv)
    from models.errors import DomainError

    from tui.commands.base import say

    try:
        return _dispatch(parser, args)
    except DomainError as exc:
        from models.text import safe

        say(f"repdesk: {safe(with_flag(str(exc), getattr(exc, 'field', None), parser, args))}")
        return exc.exit_code
    except KeyboardInterrupt:
        say("repdesk: interrupted.")
        return 130
    except BrokenPipeError:
        return 0
    except OverflowError as exc:  # SQLite: "Python int too large to convert to SQLite INTEGER"
        if not _is_integer_overflow(exc):
            from models.text import safe

            say(f"repdesk: a value is out of range: {safe(exc)}.")
            return 2
        from models.errors import id_range_text

        say(f"repdesk: {id_range_text()}")
        return 2
    except Exception as exc:  # the last line of defence: one sentence, no traceback
        from models.errors import database_error_text, database_errors, id_range_text

        if isinstance(exc, database_errors()):
            from models.engine import busy_text, is_busy_error
            from models.text import safe

            text = database_error_text(exc)
            if _is_integer_overflow(exc):  # PostgreSQL: "integer out of range", "bigint out of range"
                say(f"repdesk: {id_range_text()}")
                return 2
            if is_busy_error(exc):
                say(f"repdesk: {safe(busy_text())}")
                return 10
            if "readonly" in text or "read-only" in text:
                say(f"repdesk: {safe(_read_only_write_text())}")
                return 10

            say(f"repdesk: database error: {safe(text)}.")
            return 10
        if getattr(args, "debug", False):
            raise
        from models.text import safe

        say(f"repdesk: unexpected error: {type(exc).__name__}: {safe(exc)}")
        return 1
    finally:
        try:
            from models.db import close_database

            close_database()
        except Exception:
            pass


def _read_only_write_text() -> str:
    """A write refused because the database is read-only: name the file and why."""
    from pathlib import Path

    from models.db import read_only_text
    from models.engine import database

    name = getattr(database.obj, "database", None)
    if name and name != ":memory:":
        why = read_only_text(Path(name))
        if why:
            return why
        return (f"The database {name} is read-only: check the file's and its folder's permissions "
                "and whether its filesystem is mounted read-only.")
    return "The database is read-only (the server refused the write)."


def _is_integer_overflow(exc: BaseException) -> bool:
    """Whether EXC says a whole number did not fit the database's integer (an id or a limit beyond 64 bits
    on SQLite, beyond a column's type on PostgreSQL)."""
    text = str(exc).lower()
    if isinstance(exc, OverflowError):
        return "int" in text and "date" not in text
    return ("integer out of range" in text or "bigint out of range" in text or "smallint out of range" in text
            or ("out of range for type" in text and "int" in text))


def _command_parser(parser: argparse.ArgumentParser, handler):
    """The (sub)parser whose command runs HANDLER."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                if sub.get_default("handler") is handler and handler is not None:
                    return sub
                found = _command_parser(sub, handler)
                if found is not None:
                    return found
    return None


def with_flag(text: str, field: str | None, parser, args) -> str:
    """Domain errors speak of fields ("the amount"); on the command line, name the option that sets
    that field, when the command has one."""
    if not field:
        return text
    sub = _command_parser(parser, getattr(args, "handler", None))
    for action in (sub._actions if sub is not None else []):
        if action.dest == field and action.option_strings:
            flag = max(action.option_strings, key=len)
            if flag in text:
                return text
            text = text.rstrip()
            return f"{text[:-1]} ({flag})." if text.endswith(".") else f"{text} ({flag})"
    return text


def _now(args):
    from models.clock import parse_iso, utcnow
    from models.errors import ValidationError

    raw = getattr(args, "now", None)
    if not raw:
        return utcnow()
    try:
        return parse_iso(raw)
    except ValueError as exc:
        raise ValidationError(f"--now: {exc}") from None


def _dispatch(parser, args) -> int:
    from tui.commands.base import Context

    ctx = Context(args=args, now=_now(args))
    handler = getattr(args, "handler", None)
    if args.command is None:
        from tui.run import run_tui

        return run_tui(ctx)
    if handler is None:
        parser.parse_args([args.command, "--help"])
        return 2
    if not getattr(handler, "no_db", False):
        from tui.dbopen import open_for

        open_for(ctx, command_label(parser, args), create=getattr(handler, "creates_db", False))
    return handler(ctx) or 0


def command_label(parser, args) -> str:
    """The command as typed, without its arguments: "intake", "client add" (for application_name)."""
    words = [args.command] if getattr(args, "command", None) else ["tui"]
    for key, value in sorted(vars(args).items()):
        if key.endswith("_command") and key != "command" and isinstance(value, str):
            words.append(value)
    return " ".join(words)


if __name__ == "__main__":
    sys.exit(main())
