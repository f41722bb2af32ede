"""repdesk benchmark (not a test): speed and memory next to a bare baseline measured in the same run.

    make bench                       # 1,000,000 applications (builds the database once, then reuses it)
    make bench BENCH_ARGS="--applications 100000"

Prints, for each figure, repdesk's number, the baseline's and their ratio:
  start-up to first paint and resident memory  (vs a bare Textual app showing one line)
  inbox first page / cursor move / filter key  (vs the same raw sqlite3 query)
  sweep of 100k overdue applications, intake of 100k applications (absolute; rates)
"""
from __future__ import annotations

import argparse
import json
import os
import pty
import select
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPDESK = str(Path(sys.executable).parent / "repdesk")
NOW = "2026-11-20T09:00:00"

BARE_APP = """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("bare-first-paint")
Bare().run()
"""


def first_paint(cmd: list[str], marker: bytes, env: dict | None = None, timeout: float = 60) -> tuple[float, int]:
    """Run CMD in a pseudo-terminal; seconds until MARKER is drawn, and resident memory (KiB) then."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(env or {})
        os.environ["TERM"] = "xterm-256color"
        os.environ["COLUMNS"], os.environ["LINES"] = "80", "24"
        os.execvp(cmd[0], cmd)
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    start = time.perf_counter()
    buf = b""
    elapsed = None
    try:
        while time.perf_counter() - start < timeout:
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                buf += chunk
                if marker in buf:
                    elapsed = time.perf_counter() - start
                    break
        rss = 0
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        except OSError:
            pass
    finally:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)
    if elapsed is None:
        raise RuntimeError(f"{cmd!r} never drew {marker!r}; last output: {buf[-500:]!r}")
    return elapsed, rss


def timed(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def row(label: str, ours: float, base: float | None, unit: str) -> None:
    ratio = f"{ours / base:8.1f}x" if base else "        -"
    base_s = f"{base:10.4f}" if base is not None else "         -"
    print(f"{label:<38} {ours:10.4f} {base_s} {ratio}   {unit}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--applications", type=int, default=1_000_000)
    ap.add_argument("--db", default=str(Path(tempfile.gettempdir()) / "repdesk-bench.db"))
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    db_path = Path(args.db)
    url = f"sqlite:///{db_path}"
    marker_file = db_path.with_suffix(".json")
    if args.rebuild or not db_path.exists() or not marker_file.exists() or \
            json.loads(marker_file.read_text()).get("applications") != args.applications:
        for p in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
            p.unlink(missing_ok=True)
        t = time.perf_counter()
        subprocess.run([REPDESK, "--db", url, "--now", NOW, "demo", "--applications", str(args.applications)],
                       check=True, stdout=subprocess.DEVNULL)
        build = time.perf_counter() - t
        marker_file.write_text(json.dumps({"applications": args.applications, "build_seconds": build}))
    info = json.loads(marker_file.read_text())
    print(f"database: {db_path} ({args.applications:,} applications, built in {info['build_seconds']:.1f} s)")
    print(f"{'figure':<38} {'repdesk':>10} {'baseline':>10} {'ratio':>9}   unit")

    # ---- start-up to first paint, resident memory
    ours_t, ours_rss = first_paint([REPDESK, "--db", url, "--as", "demo", "--now", NOW], b"all channels")
    base_t, base_rss = first_paint([sys.executable, "-c", BARE_APP], b"bare-first-paint")
    row("start-up to first paint (inbox)", ours_t, base_t, "s")
    row("resident memory at first paint", ours_rss / 1024, base_rss / 1024, "MiB")

    # ---- queries, through models/ vs raw sqlite3
    sys.path.insert(0, str(HERE.parent))
    from models.db import open_database
    from models.inbox import inbox_count, inbox_page, sort_key
    from models.reps import get_rep

    open_database(url)
    rep = get_rep("demo")
    raw = sqlite3.connect(str(db_path))
    raw_sql = ("SELECT * FROM application WHERE open = 1 ORDER BY rank, received_at, id LIMIT 50")
    row("inbox first page (50 rows)", timed(lambda: inbox_page(rep, limit=50)),
        timed(lambda: raw.execute(raw_sql).fetchall()), "s")
    page = inbox_page(rep, limit=50)
    key = sort_key(page[-1])
    raw_after = ("SELECT * FROM application WHERE open = 1 AND (rank, received_at, id) > (?, ?, ?) "
                 "ORDER BY rank, received_at, id LIMIT 50")
    row("cursor move past the page (keyset)", timed(lambda: inbox_page(rep, after=key, limit=50)),
        timed(lambda: raw.execute(raw_after, (key[0], str(key[1]), key[2])).fetchall()), "s")
    row("last page (G)", timed(lambda: inbox_page(rep, last=True, limit=50)),
        timed(lambda: raw.execute("SELECT * FROM application WHERE open = 1 ORDER BY rank DESC, received_at DESC,"
                                  " id DESC LIMIT 50").fetchall()), "s")
    row("filter key (full text 'ball')", timed(lambda: inbox_page(rep, search="ball", limit=50)),
        timed(lambda: raw.execute("SELECT * FROM application WHERE open = 1 AND id IN (SELECT rowid FROM "
                                  "application_fts WHERE application_fts MATCH '\"ball\"*') ORDER BY rank, "
                                  "received_at, id LIMIT 50").fetchall()), "s")
    row("open count (status line)", timed(lambda: inbox_count(rep), 3),
        timed(lambda: raw.execute("SELECT COUNT(*) FROM application WHERE open = 1").fetchone(), 3), "s")

    # ---- the clients list of a director (every client, by name: index client_name_id)
    from models.clients import client_count, client_page

    boss = get_rep("dir")
    first = client_page(boss, limit=50)
    if first:
        after = (first[-1].name, first[-1].id)
        row("clients first page, director (50)", timed(lambda: client_page(boss, limit=50)),
            timed(lambda: raw.execute("SELECT * FROM client WHERE merged_into_id IS NULL ORDER BY name, id "
                                      "LIMIT 50").fetchall()), "s")
        row("clients next page (keyset)", timed(lambda: client_page(boss, after=after, limit=50)),
            timed(lambda: raw.execute("SELECT * FROM client WHERE merged_into_id IS NULL AND (name, id) > (?, ?) "
                                      "ORDER BY name, id LIMIT 50", after).fetchall()), "s")
        row("clients count, director", timed(lambda: client_count(boss), 3),
            timed(lambda: raw.execute("SELECT COUNT(*) FROM client WHERE merged_into_id IS NULL").fetchone(), 3), "s")

    # ---- sweep of 100k overdue and intake of 100k, on a scratch database
    with tempfile.TemporaryDirectory() as tmp:
        scratch = f"sqlite:///{tmp}/sweep.db"
        subprocess.run([REPDESK, "--db", scratch, "--now", NOW, "demo", "--applications", "0"], check=True,
                       stdout=subprocess.DEVNULL)
        lines = []
        base = datetime(2026, 11, 20, 6, 0)
        for i in range(100_000):
            lines.append(json.dumps({"channel": ("phone", "email", "social", "website")[i % 4],
                                     "received_at": (base + timedelta(seconds=i % 3600)).isoformat() + "+00:00",
                                     "name": f"Bench Person {i}", "email": f"bench{i}@example.com",
                                     "text": f"We need {i % 50 + 2} Pro Match Ball size 5 before {i % 28 + 1} December"
                                     if i % 3 else "How much does your product cost?"}))
        src = Path(tmp) / "intake.jsonl"
        src.write_text("\n".join(lines) + "\n")
        t = time.perf_counter()
        proc = subprocess.run([REPDESK, "--db", scratch, "--now", NOW, "intake", str(src)], capture_output=True,
                              text=True)
        intake = time.perf_counter() - t
        if proc.returncode != 0:
            print(f"intake failed: {proc.stderr.strip()}")
        else:
            row("intake of 100k applications", intake, None, f"s ({100_000 / intake:,.0f}/s)")
        t = time.perf_counter()
        proc = subprocess.run([REPDESK, "--db", scratch, "--now", "2026-11-20T12:00:00", "sweep", "--json"],
                              capture_output=True, text=True)
        sweep_s = time.perf_counter() - t
        if proc.returncode == 0:
            moved = json.loads(proc.stdout)["transfers"]["moved"]
            row(f"sweep of {moved:,} overdue applications", sweep_s, None, f"s ({moved / sweep_s:,.0f}/s)")
        else:
            print(f"sweep failed: {proc.stderr.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
