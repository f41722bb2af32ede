"""Bytes through a pseudo-terminal (issue 16): what a rep on a slow line pays per keystroke.

`Session(cmd)` forks CMD in a pty at 80x24 (xterm-256color), `wait_for(text)` reads until TEXT has been
drawn, `send(key)` writes a key and counts what the app writes until it has been quiet for a moment.
Used by `make bench` (bench/bench.py) and by tests/test_slow_lines.py; it imports nothing of repdesk.
"""
from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import termios
import time

_ESC = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


def visible_text(data: bytes) -> str:
    """What the bytes draw, escape sequences removed (good enough to look for a word)."""
    return _ESC.sub(b"", data).decode("utf-8", "replace")


class Session:
    def __init__(self, cmd: list[str], env: dict | None = None, width: int = 80, height: int = 24):
        full_env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(width), "LINES": str(height),
                    **(env or {})}
        for key, value in list(full_env.items()):
            if value is None:
                del full_env[key]
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the app
            try:
                os.execvpe(cmd[0], cmd, full_env)
            finally:
                os._exit(127)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
        self.seen = b""

    def _read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(self.fd, 65536)
        except OSError:
            return b""

    def wait_for(self, text: str, timeout: float = 60.0) -> int:
        """Read until TEXT has been drawn; the bytes read so far (the first paint, for the first call)."""
        deadline = time.monotonic() + timeout
        while text not in visible_text(self.seen):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{text!r} was not drawn within {timeout:g} s; drawn: "
                                   f"{visible_text(self.seen)[-400:]!r}")
            self.seen += self._read(0.1)
        return len(self.seen)

    def settle(self, quiet: float = 0.5, limit: float = 10.0) -> bytes:
        """What the app writes until it has written nothing for QUIET seconds (a condition, not a fixed
        wait: the reading stops as soon as the app is quiet)."""
        out = b""
        deadline = time.monotonic() + limit
        last = time.monotonic()
        while time.monotonic() < deadline:
            chunk = self._read(0.05)
            if chunk:
                out += chunk
                last = time.monotonic()
            elif time.monotonic() - last >= quiet:
                break
        self.seen += out
        return out

    def send(self, key: str | bytes, quiet: float = 0.5) -> bytes:
        """Press KEY; the bytes the app writes in answer."""
        os.write(self.fd, key.encode() if isinstance(key, str) else key)
        return self.settle(quiet)

    def full_repaint(self) -> bytes:
        """The bytes of a whole repaint of the settled screen: the terminal one column wider, then back (a
        resize repaints everything). Unlike the first paint, which arrives in however many frames the
        loading takes, this is the same every time for the same screen."""
        size = struct.unpack("HHHH", fcntl.ioctl(self.fd, termios.TIOCGWINSZ, b"\0" * 8))
        rows, cols = size[0], size[1]
        for width in (cols + 1, cols):
            fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, width, 0, 0))
            os.kill(self.pid, signal.SIGWINCH)
            out = self.settle(0.5)
        return out

    def close(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        try:
            os.close(self.fd)
        except OSError:
            pass


KEYS = {"down": "j", "page_down": "\x1b[6~", "clients": "2", "pipeline": "3"}


def inbox_bytes(repdesk: str, db_url: str, login: str, marker: str, env: dict | None = None) -> dict:
    """The bytes of the inbox's first paint, of two idle seconds, and of each key of KEYS (in order, each
    from the inbox: the screen switches come last)."""
    s = Session([repdesk, "--db", db_url, "--as", login], env=env)
    try:
        out = {"first paint": s.wait_for(marker)}
        s.settle(0.8)  # the notices and the first count arrive just after the first paint
        out["first paint"] = len(s.seen)
        out["idle, 2 s"] = len(s.settle(2.0, limit=2.0))
        out["cursor down"] = len(s.send(KEYS["down"]))
        out["cursor down, key held (per row, 10 rows)"] = len(s.send(KEYS["down"] * 10)) // 10
        out["page down"] = len(s.send(KEYS["page_down"]))
        out["switch to Clients"] = len(s.send(KEYS["clients"], quiet=0.8))
        s.send("1", quiet=0.8)
        out["switch to Pipeline"] = len(s.send(KEYS["pipeline"], quiet=0.8))
        return out
    finally:
        s.close()
