"""What every CLI command shares: the context (database, acting rep, clock) and output."""
from __future__ import annotations

import argparse
import getpass
import sys
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Context:
    args: object
    now: datetime
    _actor: object = field(default=None, repr=False)

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    @property
    def login(self) -> str:
        return getattr(self.args, "as_login", None) or _os_user()

    @property
    def actor(self):
        """The acting rep (from --as, default the OS user); an unknown login is a clear error."""
        if self._actor is None:
            from models.reps import get_rep

            self._actor = get_rep(self.login)
        return self._actor

    @property
    def tz(self) -> str:
        """The acting rep's time zone (UTC when the command acts as nobody known)."""
        try:
            return self.actor.timezone or "UTC"
        except Exception:  # no such rep: times in UTC, the command's own check says who is unknown
            return "UTC"

    def when(self, value) -> str:
        """A stored moment (naive UTC, or ISO text from a dict of models/) as the CLI prints it: the rep's
        zone with the zone named, "2026-12-03 15:30 CET"; "-" for none (models.clock.stamp)."""
        from models.clock import stamp

        return stamp(value, self.tz)

    def when_json(self, value) -> str | None:
        """The same moment for --json: ISO 8601 with the rep's offset, "2026-12-03T15:30:00+01:00"."""
        from models.clock import iso_local

        return iso_local(value, self.tz)

    def emit(self, data, text: str | None = None) -> None:
        """Print DATA as JSON with --json, else TEXT (made safe by the caller; `terminal_text` here is the
        last line of defence). Both pass the one output filter: no raw control or format character."""
        if self.json:
            print(json_text(data))
        elif text is not None:
            print(terminal_text(text))


# ---------------------------------------------------------------- the output filter
#
# Everything the CLI writes (stdout: plain and --json; stderr: the error sentences; the client export's
# cells) passes the one filter in models/outfilter.py: C0/C1 controls, bidi overrides and isolates, other
# format characters, U+2028/U+2029 and lone surrogates are escaped visibly; ordinary text is left as it is.

from models.outfilter import json_text, terminal_text, unsafe_char  # noqa: E402,F401 (the CLI's names)


def say(text: object) -> None:
    """One sentence for stderr, through the output filter (never raises on text it cannot encode)."""
    print(terminal_text(text), file=sys.stderr)


# ---------------------------------------------------------------- whole numbers from the command line

def whole_number(low: int, high: int, what: str):
    """An argparse type: a whole number from LOW to HIGH, else "WHAT must be a whole number from LOW to
    HIGH." (argparse exits 2 with it)."""
    from models.errors import id_range_text

    def parse(raw: str) -> int:
        text = str(raw).strip()
        try:
            if len(text) > 40:
                raise ValueError
            value = int(text, 10)
        except ValueError:
            value = None
        if value is None or not (low <= value <= high):
            raise argparse.ArgumentTypeError(id_range_text(what, high) if low == 1 else
                                             f"{what} must be a whole number from {low} to {high}.")
        return value

    parse.__name__ = what.lower()
    return parse


def _id_type():
    from models.errors import ID_MAX

    return whole_number(1, ID_MAX, "ID")


def _limit_type():
    from models.errors import LIMIT_MAX

    return whole_number(1, LIMIT_MAX, "LIMIT")


id_arg = _id_type()        # type=id_arg: 1 .. 2**63-1 (what a 64-bit id column holds on both engines)
limit_arg = _limit_type()  # type=limit_arg: 1 .. 100000


def version_arg(raw: str) -> int:
    """type=version_arg: the version a record was opened at, 1 .. 2**63-1."""
    from models.errors import ID_MAX

    return whole_number(1, ID_MAX, "VERSION")(raw)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A plain, aligned text table (cells are made terminal-safe here)."""
    from models.text import one_line

    cells = [[one_line(c) for c in r] for r in rows]
    widths = [len(h) for h in headers]
    for r in cells:
        for i, c in enumerate(r):
            widths[i] = min(max(widths[i], len(c)), 60)
    fmt = lambda r: "  ".join(c[:widths[i]].ljust(widths[i]) for i, c in enumerate(r)).rstrip()  # noqa: E731
    return "\n".join([fmt(headers)] + [fmt(r) for r in cells])


def read_bytes(path: str) -> bytes:
    """Read a file (or '-' for stdin) as bytes, with a clear error when it cannot be read."""
    from models.errors import ValidationError

    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise ValidationError(f"There is no file {path}.") from None
    except IsADirectoryError:
        raise ValidationError(f"{path} is a folder, not a file.") from None
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror or exc}.") from None


def read_input(path: str) -> str:
    """Read a file (or '-' for stdin) as UTF-8 text (a BOM is fine), with a clear error when it cannot."""
    from models.errors import ValidationError

    data = read_bytes(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{'Standard input' if path == '-' else path} is not UTF-8 text "
                              f"(byte {exc.start}).") from None
