"""A real sshd on loopback with repdesk's authorized_keys: each key is its own rep, no shell."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPDESK, run_cli
from test_terminal import Tmux

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
pytestmark = pytest.mark.terminal

if not (os.path.exists(SSHD) and shutil.which("ssh") and shutil.which("tmux")):
    if os.environ.get("CI"):
        raise RuntimeError("sshd, ssh and tmux are required in CI for the deployment test")
    pytest.skip("sshd/ssh/tmux not installed", allow_module_level=True)


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def sshd(tmp_path):
    import getpass

    user = getpass.getuser()
    home = tmp_path
    (home / "hostkeys").mkdir()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(home / "hostkeys" / "host")], check=True)
    auth = home / "authorized_keys"
    auth.write_text("")
    auth.chmod(0o600)
    port = _free_port()
    config = home / "sshd_config"
    config.write_text(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {home}/hostkeys/host
AuthorizedKeysFile {auth}
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PidFile {home}/sshd.pid
ClientAliveInterval 30
ClientAliveCountMax 4
AcceptEnv COLORTERM
""")
    Path("/run/sshd").mkdir(exist_ok=True)
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE, text=True)
    for _ in range(50):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    yield dict(port=port, auth=auth, home=home, user=user)
    proc.terminate()
    proc.wait(timeout=10)


def _client_key(home: Path, name: str) -> Path:
    key = home / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key


def _ssh(sshd, key: Path, *extra: str) -> list[str]:
    return ["ssh", "-p", str(sshd["port"]), "-i", str(key), "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes",
            *extra, f"{sshd['user']}@127.0.0.1"]


def test_two_reps_log_in_with_their_own_keys(sshd, tmp_path):
    db = f"sqlite:///{tmp_path}/team.db"
    # as the README's deployment section: the first admin, then reps and keys as that admin
    assert run_cli("rep", "add", "boss", "--name", "Bea Boss", "--role", "admin", db_url=db).returncode == 0
    for login, name in (("ana", "Ana Alvarez"), ("ben", "Ben Brown")):
        assert run_cli("rep", "add", login, "--name", name, "--team", "North", "--as", "boss",
                       db_url=db).returncode == 0
    line = '{"channel": "email", "name": "Marta", "email": "m@example.com", "text": "need 40 balls"}'
    assert run_cli("intake", "-", db_url=db, input=line + "\n").returncode == 0
    keys = {}
    for login in ("ana", "ben"):
        keys[login] = _client_key(tmp_path, f"id_{login}")
        proc = run_cli("admin", "key", "add", login, f"{keys[login]}.pub", "--file", str(sshd["auth"]), "--as",
                       "boss", db_url=db)
        assert proc.returncode == 0, proc.stderr
    assert "restrict,pty" in sshd["auth"].read_text()

    sessions = {}
    try:
        for login, name in (("ana", "Ana Alvarez"), ("ben", "Ben Brown")):
            sessions[login] = Tmux(" ".join(_ssh(sshd, keys[login], "-t")))
            sessions[login].wait_for(name, timeout=30)
            sessions[login].wait_for("Marta", timeout=30)  # the rows come a moment after the status line
        sessions["ana"].keys("a")  # ana claims; ben's screen follows without a key press
        sessions["ben"].wait_for("ana ", timeout=10)
        sessions["ana"].keys("q")
        deadline = time.time() + 10
        while sessions["ana"].alive() and time.time() < deadline:
            time.sleep(0.1)
        assert not sessions["ana"].alive(), "quitting did not end the SSH session"
    finally:
        for s in sessions.values():
            s.kill()

    # a command instead of a terminal gets no shell: the forced command runs and refuses
    proc = subprocess.run(_ssh(sshd, keys["ana"]) + ["ls", "/"], capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    assert "needs a terminal" in proc.stderr and "bin" not in proc.stdout
