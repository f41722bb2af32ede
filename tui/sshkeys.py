"""`repdesk admin key ...`: manage the reps' lines in the service account's authorized_keys.

Each rep's key gets `restrict,pty,command="<abs path>/repdesk --db URL --as LOGIN"`: the key decides
who the rep is; no shell, no forwarding, no command of their own. Other lines are kept untouched;
the file is rewritten atomically (temp file + rename) with mode 0600 in a 0700 folder.
"""
from __future__ import annotations

import re
import shlex
import shutil
import sys
from pathlib import Path

from models.errors import NotFound, ValidationError

MARK = "repdesk-login="
KEY_TYPES = ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
             "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")


def default_file() -> Path:
    return Path.home() / ".ssh" / "authorized_keys"


def repdesk_path() -> str:
    exe = shutil.which("repdesk") or str(Path(sys.executable).parent / "repdesk")
    return str(Path(exe).resolve())


def parse_public_key(text: str) -> tuple[str, str]:
    """(type, base64) of the first key in TEXT, or a clear error."""
    for line in text.splitlines():
        parts = line.strip().split()
        for i, part in enumerate(parts):
            if part in KEY_TYPES and i + 1 < len(parts) and re.fullmatch(r"[A-Za-z0-9+/=]{40,}", parts[i + 1]):
                return part, parts[i + 1]
    raise ValidationError("That file holds no SSH public key (expected e.g. 'ssh-ed25519 AAAA... name').")


def key_line(login: str, key_type: str, key_b64: str, db_url: str | None) -> str:
    cmd = [repdesk_path()]
    if db_url:
        cmd += ["--db", db_url]
    cmd += ["--as", login]
    command = " ".join(shlex.quote(c) for c in cmd).replace('"', '\\"')
    return f'restrict,pty,command="{command}" {key_type} {key_b64} {MARK}{login}'


def _read(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _write(path: Path, lines: list[str]) -> None:
    from tui.files import write_atomically

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomically(path, ["\n".join(lines) + ("\n" if lines else "")], mode=0o600, prefix=".authorized_keys.")


def _login_of(line: str) -> str | None:
    m = re.search(re.escape(MARK) + r"(\S+)\s*$", line)
    return m.group(1) if m else None


def add_key(path: Path, login: str, pubkey_text: str, db_url: str | None) -> str:
    key_type, key_b64 = parse_public_key(pubkey_text)
    lines = _read(path)
    for line in lines:
        if key_b64 in line.split():
            raise ValidationError("That key is already in the file" +
                                  (f" (for {_login_of(line)})." if _login_of(line) else "."))
    new = key_line(login, key_type, key_b64, db_url)
    _write(path, lines + [new])
    return new


def list_keys(path: Path) -> list[dict]:
    out = []
    for line in _read(path):
        login = _login_of(line)
        if login:
            parts = line.split()
            key = next((parts[i + 1] for i, p in enumerate(parts) if p in KEY_TYPES and i + 1 < len(parts)), "")
            out.append(dict(login=login, key=f"{key[:12]}...{key[-8:]}" if key else "", line=line))
    return out


def remove_key(path: Path, login: str) -> int:
    lines = _read(path)
    keep = [line for line in lines if _login_of(line) != login]
    if len(keep) == len(lines):
        raise NotFound(f"There is no repdesk key for {login} in {path}.")
    _write(path, keep)
    return len(lines) - len(keep)
