"""`make bench` rows for slow lines (issue 16): bytes through a pty at 80x24 per action, in 256 colours and
with NO_COLOR, with the bare DataTable peer measured in the same run."""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUDGETS = {"cursor down": 600, "cursor down, key held (per row, 10 rows)": 600, "page down": 3 * 1024, "switch to Clients": 8 * 1024,
           "switch to Pipeline": 8 * 1024, "idle, 2 s": 0}
NOW = "2026-11-20T09:00:00Z"


def run(row, db_url: str | None = None) -> None:
    from ptybytes import Session, inbox_bytes

    repdesk = str(Path(sys.executable).parent / "repdesk")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bytes.db"  # the same small demo on every engine: bytes do not depend on it
        subprocess.run([repdesk, "demo", "--applications", "300", "--now", NOW, "--db", url], check=True,
                       capture_output=True)
        # the demo's notices read first: a "since you last looked" toast over the detail pane would be
        # repainted with every move under it for its five seconds (it is part of the first paint)
        subprocess.run([repdesk, "notices", "--as", "demo", "--now", NOW, "--db", url], check=True,
                       capture_output=True)
        peer = Session([sys.executable, str(HERE / "peer_datatable.py")])
        try:
            peer_first = peer.wait_for("Person 0")
            peer.settle(0.8)
            peer_first = len(peer.seen)
            peer_down = len(peer.send("\x1b[B"))  # DataTable moves on the arrow key
        finally:
            peer.close()
        for label, env in (("256 colours", {}), ("NO_COLOR", {"NO_COLOR": "1"})):
            got = inbox_bytes(repdesk, url, "demo", "Why:", env=env)
            for action, n in got.items():
                base = peer_first if action == "first paint" else peer_down if action == "cursor down" else None
                budget = BUDGETS.get(action)
                note = f" (budget {budget:,} B)" if budget is not None else ""
                row(f"bytes, {action}, {label}{note}", float(n), float(base) if base else None, "B")
