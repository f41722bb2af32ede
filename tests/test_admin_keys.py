"""`repdesk admin key add/list/remove`: forced command per rep, other lines untouched, safe modes."""
from __future__ import annotations

import json
import stat

from conftest import run_cli

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq2b5iYzVgq0v3lq7kVxX1sJ4bJc9t3F0d8rKk2Yw1A ana@laptop\n"


def test_add_list_remove(db_url, tmp_path):
    run_cli("rep", "add", "ana", "--name", "Ana", db_url=db_url)
    auth = tmp_path / "ssh" / "authorized_keys"
    auth.parent.mkdir()
    auth.write_text("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7someoneelse0000000000000000000 admin@host\n")
    pub = tmp_path / "ana.pub"
    pub.write_text(KEY)
    proc = run_cli("admin", "key", "add", "ana", str(pub), "--file", str(auth), db_url=db_url)
    assert proc.returncode == 0, proc.stderr
    lines = auth.read_text().splitlines()
    assert lines[0].endswith("admin@host")  # other lines kept as they were
    assert lines[1].startswith('restrict,pty,command="/') and f"--db {db_url} --as ana" in lines[1]
    assert stat.S_IMODE(auth.stat().st_mode) == 0o600
    again = run_cli("admin", "key", "add", "ana", str(pub), "--file", str(auth), db_url=db_url)
    assert again.returncode == 2 and "already" in again.stderr
    ghost = run_cli("admin", "key", "add", "ghost", str(pub), "--file", str(auth), db_url=db_url)
    assert ghost.returncode == 4
    listed = json.loads(run_cli("admin", "key", "list", "--file", str(auth), "--json", db_url=db_url).stdout)
    assert [r["login"] for r in listed] == ["ana"]
    assert run_cli("admin", "key", "remove", "ana", "--file", str(auth), db_url=db_url).returncode == 0
    assert auth.read_text().splitlines() == lines[:1]
    bad = tmp_path / "bad.pub"
    bad.write_text("not a key")
    proc = run_cli("admin", "key", "add", "ana", str(bad), "--file", str(auth), db_url=db_url)
    assert proc.returncode == 2 and "no SSH public key" in proc.stderr
