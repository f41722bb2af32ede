"""repdesk benchmark (not a test): speed and memory next to baselines measured in the same run (issue 13).

    make bench                                             # SQLite, 1,000,000 applications (built once, reused)
    make bench BENCH_ARGS="--db postgresql://repdesk@127.0.0.1:55433/repdesk_bench"
    make bench BENCH_ARGS="--applications 200000 --quick"  # smaller database, skip the slow rows

Prints, for each figure, repdesk's number, the baseline's and their ratio:
  start-up to the inbox's first rows and resident memory  (vs a bare Textual app: header, 50-row DataTable,
                                                           footer, in the same pseudo-terminal)
  inbox first page / keyset move / last page / filter / capped count   (vs the same raw driver query)
  sweep of 100,000 overdue applications                   (vs one set-based UPDATE of the same rows)
  rows of bench/bench_scoring.py (intake), bench_attainment.py, bench_forecast.py, bench_bytes.py, when present
The databases: --db (default a SQLite file in the temp folder) holds the demo data; the sweep and the intake
run on a scratch database (a temp SQLite file, or on PostgreSQL the database <name>_scratch, dropped and
made again; the URL's user must be allowed to create databases).
"""
from __future__ import annotations

import argparse
import os
import pty
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REPDESK = str(Path(sys.executable).parent / "repdesk")
NOW = "2026-11-20T09:00:00"
SWEEP_N = 100_000

BUDGETS = {  # issue 13
    "start-up to first rows (inbox)": ("x", 1.2), "resident memory at first rows": ("x", 1.3),
    "filter 'ball': page + capped count": ("s", 0.010), "sweep": ("s", 2.0),
}


def first_paint(cmd: list[str], marker: bytes, env: dict | None = None, timeout: float = 90) -> tuple[float, int]:
    """Run CMD in a pseudo-terminal of 80x24; seconds until MARKER is drawn, and resident memory (KiB) then."""
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
            r, _, _ = select.select([fd], [], [], 0.02)
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
    fn()  # warm the caches: both sides get the same chance
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def row(label: str, ours: float, base: float | None, unit: str) -> None:
    ratio = f"{ours / base:8.2f}x" if base else "        -"
    base_s = f"{base:10.4f}" if base is not None else "         -"
    budget = ""
    for key, (kind, limit) in BUDGETS.items():
        if label.startswith(key):
            value = ours / base if kind == "x" and base else ours
            budget = f"  budget {limit:g}{'x' if kind == 'x' else ' s'}: {'ok' if value <= limit else 'OVER'}"
    print(f"{label:<40} {ours:10.4f} {base_s} {ratio}   {unit}{budget}", flush=True)


# ---------------------------------------------------------------- databases

def is_pg(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


class Raw:
    """The baseline: the same query through the bare driver (sqlite3 or psycopg2), no repdesk code."""

    def __init__(self, url: str):
        self.pg = is_pg(url)
        if self.pg:
            import psycopg2

            self.conn = psycopg2.connect(url)
            self.conn.autocommit = True
        else:
            import sqlite3

            self.conn = sqlite3.connect(url[len("sqlite:///"):])

    def q(self, sql: str, params: tuple = ()) -> list:
        if self.pg:
            sql = sql.replace("?", "%s").replace("open = 1", "open")
        cur = self.conn.cursor()
        cur.execute(sql, params)
        return cur.fetchall()


def pg_admin(url: str, *statements: str) -> None:
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        for s in statements:
            cur.execute(s)
    conn.close()


def scratch_url(url: str, tmp: str) -> str:
    """A fresh, empty database on URL's engine."""
    if not is_pg(url):
        return f"sqlite:///{tmp}/scratch.db"
    p = urlparse(url)
    name = p.path.lstrip("/") + "_scratch"
    pg_admin(url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    return p._replace(path="/" + name).geturl()


def demo_count(url: str) -> int | None:
    try:
        return Raw(url).q("SELECT count(*) FROM application")[0][0]
    except Exception:
        return None


def ensure_demo(url: str, n: int, rebuild: bool) -> None:
    have = demo_count(url) if (is_pg(url) or Path(url[len("sqlite:///"):]).exists()) else None
    if have == n and not rebuild:
        print(f"database: {url} ({n:,} applications, reused)")
        return
    if have is not None and have != n and not rebuild:
        sys.exit(f"{url} holds {have:,} applications, not {n:,}: pass --rebuild to make it again "
                 f"(everything in it is dropped) or --applications {have}")
    if is_pg(url):
        pg_admin(url, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public")
    else:
        path = Path(url[len("sqlite:///"):])
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)
    t = time.perf_counter()
    subprocess.run([REPDESK, "--db", url, "--now", NOW, "demo", "--applications", str(n)], check=True,
                   stdout=subprocess.DEVNULL)
    took = time.perf_counter() - t
    if is_pg(url):  # what autovacuum does soon after a bulk load: planner statistics, the GIN pending list
        pg_admin(url, "VACUUM ANALYZE")
    print(f"database: {url} ({n:,} applications, built now)")
    row(f"demo --applications {n:,}", took, None, "s (budget 45 s at 1M)")


# ---------------------------------------------------------------- rows

def startup_rows(url: str) -> None:
    """Start-up to the inbox's first rows (its first row's name on screen, not a label drawn before the
    rows), against the bare peer (Header, a 50-row DataTable, Footer) showing its first row."""
    sys.path.insert(0, str(ROOT))
    from models.db import close_database, open_database
    from models.inbox import inbox_page
    from models.reps import get_rep
    from models.text import one_line

    import compileall

    # As installed: pip compiles the sources; with PYTHONDONTWRITEBYTECODE set (or fresh edits) every start
    # would compile the changed modules again and time the compiler instead of the start-up.
    for folder in ("tui", "screens", "models"):
        compileall.compile_dir(str(ROOT / folder), quiet=1)
    open_database(url)
    first = inbox_page(get_rep("demo"), limit=1)
    close_database()
    if not first:
        print("start-up: the demo inbox is empty")
        return
    who = first[0].name or first[0].email or first[0].phone
    marker = one_line(who, 16)[:12].encode()
    # interleaved (the machine's speed drifts): the best of five runs each
    ours, base = [], []
    for _ in range(5):
        ours.append(first_paint([REPDESK, "--db", url, "--as", "demo", "--now", NOW], marker))
        base.append(first_paint([sys.executable, str(HERE / "peer_datatable.py")], b"Person 0"))
    ours_t, ours_rss = min(r[0] for r in ours), min(r[1] for r in ours)
    base_t, base_rss = min(r[0] for r in base), min(r[1] for r in base)
    row("start-up to first rows (inbox)", ours_t, base_t, "s")
    row("resident memory at first rows", ours_rss / 1024, base_rss / 1024, "MiB")


def query_rows(url: str) -> None:
    from models.db import open_database
    from models.inbox import inbox_count, inbox_page, sort_key
    from models.reps import get_rep

    open_database(url)
    rep = get_rep("demo")
    raw = Raw(url)
    order = "ORDER BY rank, received_at, id LIMIT 50"
    row("inbox first page (50 rows)", timed(lambda: inbox_page(rep, limit=50)),
        timed(lambda: raw.q(f"SELECT * FROM application WHERE open = 1 {order}")), "s")
    page = inbox_page(rep, limit=50)
    if page:
        key = sort_key(page[-1])
        row("next page (keyset)", timed(lambda: inbox_page(rep, after=key, limit=50)),
            timed(lambda: raw.q(f"SELECT * FROM application WHERE open = 1 AND (rank, received_at, id) > (?, ?, ?) "
                                f"{order}", (key[0], key[1] if raw.pg else str(key[1]), key[2]))), "s")
    row("last page (G)", timed(lambda: inbox_page(rep, last=True, limit=50)),
        timed(lambda: raw.q("SELECT * FROM application WHERE open = 1 ORDER BY rank DESC, received_at DESC, "
                            "id DESC LIMIT 50")), "s")
    if raw.pg:
        match = "search_vector @@ to_tsquery('simple', 'ball:*')"
    else:
        match = "id IN (SELECT rowid FROM application_fts WHERE application_fts MATCH '\"ball\"*')"
    row("filter 'ball': page + capped count", timed(lambda: (inbox_page(rep, search="ball", limit=50),
                                                             inbox_count(rep, cap=1000, search="ball"))),
        timed(lambda: raw.q(f"SELECT * FROM application WHERE open = 1 AND {match} {order}")),
        "s (baseline: the plain page query)")
    row("filter 'lopez' (narrow): page + count", timed(lambda: (inbox_page(rep, search="lopez", limit=50),
                                                                 inbox_count(rep, cap=1000, search="lopez"))),
        None, "s")
    row("open count, capped (status line)", timed(lambda: inbox_count(rep, cap=1000), 3),
        timed(lambda: raw.q("SELECT count(*) FROM (SELECT 1 FROM application WHERE open = 1 LIMIT 1001) c"), 3),
        "s")
    row("open count, exact (not on the screen)", timed(lambda: inbox_count(rep), 3),
        timed(lambda: raw.q("SELECT count(*) FROM application WHERE open = 1"), 3), "s")


def sweep_row(url: str, tmp: str) -> None:
    """`repdesk sweep` of SWEEP_N overdue applications on a scratch database, against one set-based UPDATE
    of the same rows (rolled back) through the bare driver."""
    scratch = scratch_url(url, tmp)
    subprocess.run([REPDESK, "--db", scratch, "--now", NOW, "demo", "--applications", str(SWEEP_N)], check=True,
                   stdout=subprocess.DEVNULL)
    raw = Raw(scratch)
    overdue = ("UPDATE application SET open = 1, first_contact_at = NULL, closed_reason = NULL, "
               "status = CASE WHEN owner_id IS NULL THEN 'new' ELSE 'claimed' END, due_at = '2026-11-20 09:30:00'")
    if raw.pg:
        overdue = overdue.replace("open = 1", "open = true")
    cur = raw.conn.cursor()
    cur.execute(overdue)
    if not raw.pg:
        raw.conn.commit()
    set_based = ("UPDATE application SET owner_id = 1 + (id % 5), status = 'claimed', "
                 "due_at = '2026-11-20 13:00:00', transfers = transfers + 1, version = version + 1 "
                 "WHERE open = 1 AND due_at < '2026-11-20 12:00:00' AND first_contact_at IS NULL")
    if raw.pg:
        set_based = set_based.replace("open = 1", "open")
        raw.conn.autocommit = False
    t = time.perf_counter()
    cur.execute(set_based)
    base = time.perf_counter() - t
    raw.conn.rollback()
    raw.conn.close()
    t = time.perf_counter()
    proc = subprocess.run([REPDESK, "--db", scratch, "--now", "2026-11-20T12:00:00", "sweep", "--json"],
                          capture_output=True, text=True)
    took = time.perf_counter() - t
    if proc.returncode != 0:
        print(f"sweep failed: {proc.stderr.strip()[:300]}")
        return
    import json

    moved = json.loads(proc.stdout)["transfers"]["moved"]
    row(f"sweep of {moved:,} overdue (repdesk sweep)", took, base, "s (baseline: one UPDATE, no audit)")
    if is_pg(url):
        pg_admin(url, f'DROP DATABASE IF EXISTS "{urlparse(scratch).path.lstrip("/")}"')


def optional_rows(url: str, tmp: str, quick: bool) -> None:
    """The rows other parts of the work bring (each module's run(row, db_url)); absent modules are skipped."""
    import importlib

    sys.path.insert(0, str(HERE))
    for name, needs in (("bench_scoring", "scratch"), ("bench_attainment", "db"), ("bench_forecast", "db"),
                        ("bench_bytes", "none")):
        if quick and name == "bench_scoring":
            print(f"{name}: skipped (--quick)")
            continue
        try:
            module = importlib.import_module(name)
        except ImportError:
            print(f"{name}: not present, skipped")
            continue
        target = {"db": url, "none": None, "scratch": scratch_url(url, tmp) if is_pg(url) else None}[needs]
        try:
            module.run(row, target)
        except Exception as exc:  # one module's failure does not hide the others' rows
            print(f"{name}: failed: {type(exc).__name__}: {str(exc)[:200]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--applications", type=int, default=1_000_000)
    ap.add_argument("--db", default=None, help="a sqlite:/// or postgresql:// URL, or a SQLite file path")
    ap.add_argument("--rebuild", action="store_true", help="make the demo database again")
    ap.add_argument("--quick", action="store_true", help="skip the intake of 100,000 (the slowest row)")
    args = ap.parse_args()
    url = args.db or str(Path(tempfile.gettempdir()) / "repdesk-bench.db")
    if "://" not in url:
        url = f"sqlite:///{Path(url).resolve()}"
    sys.path.insert(0, str(ROOT))
    ensure_demo(url, args.applications, args.rebuild)
    print(f"{'figure':<40} {'repdesk':>10} {'baseline':>10} {'ratio':>9}   unit")
    startup_rows(url)
    query_rows(url)
    with tempfile.TemporaryDirectory() as tmp:
        sweep_row(url, tmp)
        optional_rows(url, tmp, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
