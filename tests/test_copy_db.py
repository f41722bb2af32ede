"""`repdesk admin copy-db FROM TO`: every row moves, ids kept, the copy works as the original."""
from __future__ import annotations

import json

from conftest import run_cli


def test_copy_sqlite_to_engine(db_url, tmp_path):
    src = f"sqlite:///{tmp_path}/src.db"
    assert run_cli("demo", "--applications", "200", db_url=src).returncode == 0
    proc = run_cli("admin", "copy-db", src, db_url, "--json", db_url=src)
    assert proc.returncode == 0, proc.stderr
    counts = json.loads(proc.stdout)
    assert counts["application"] == 200 and counts["client"] > 0
    a = json.loads(run_cli("inbox", "--json", "--limit", "5", "--as", "demo", db_url=src).stdout)
    b = json.loads(run_cli("inbox", "--json", "--limit", "5", "--as", "demo", db_url=db_url).stdout)
    assert [r["id"] for r in a] == [r["id"] for r in b]
    assert run_cli("claim", "--next", "--as", "demo", db_url=db_url).returncode == 0  # writes work after copy
    assert run_cli("rep", "add", "newbie", "--name", "New", "--as", "admin", db_url=db_url).returncode == 0  # ids continue
    assert run_cli("rep", "add", "other", "--name", "O", "--as", "demo", db_url=db_url).returncode == 5  # reps: admin only
    line = '{"channel": "email", "email": "n@example.com", "text": "need 5 cones"}'
    assert run_cli("intake", "-", db_url=db_url, input=line + "\n").returncode == 0
    assert json.loads(run_cli("inbox", "--json", "--search", b[0]["text"].split()[1], "--as", "demo",
                              db_url=db_url).stdout)
    again = run_cli("admin", "copy-db", src, db_url, db_url=src)
    assert again.returncode == 10 and "not empty" in again.stderr
