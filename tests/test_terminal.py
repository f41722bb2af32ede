"""The real app in a real terminal (tmux): start, read the screen, claim, log contact, quit."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from datetime import timedelta

import pytest

from conftest import REPDESK

pytestmark = pytest.mark.terminal

if not shutil.which("tmux"):
    if os.environ.get("CI"):
        raise RuntimeError("tmux is required in CI for the real-terminal tests")
    pytest.skip("tmux is not installed", allow_module_level=True)


class Tmux:
    def __init__(self, command: str, width: int = 80, height: int = 24, env: dict | None = None):
        self.name = f"repdesk-{uuid.uuid4().hex[:8]}"
        full_env = {**os.environ, "TERM": "xterm-256color", **(env or {})}
        full_env.pop("REPDESK_DATABASE_URL", None)
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
                        command], check=True, env=full_env)

    def screen(self) -> str:
        out = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True)
        return out.stdout

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)
        time.sleep(0.15)  # a person does not type a form in one burst

    def escape(self, shows: str, timeout: float = 20) -> str:
        """Press Escape and wait until the app has answered it: SHOWS is on the screen (a footer key that is
        there only once the focus left a field, the screen it goes back to). A key sent before the app has
        read the Escape arrives with it as one sequence, ESC + key, which terminals mean as Alt+key: the
        Escape would be lost, and the key typed into the field."""
        subprocess.run(["tmux", "send-keys", "-t", self.name, "Escape"], check=True)
        return self.wait_for(shows, timeout)

    def wait_for(self, text: str, timeout: float = 20) -> str:
        deadline = time.time() + timeout
        screen = ""
        while time.time() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} did not appear; the screen shows:\n{screen}")

    def alive(self) -> bool:
        return subprocess.run(["tmux", "has-session", "-t", self.name], capture_output=True).returncode == 0

    def kill(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.fixture
def prepared(tmp_path, now):
    from models.db import close_database, open_database
    from models.inbox import add_application
    from models.products import import_products
    from models.reps import add_rep

    from conftest import SAMPLES

    url = f"sqlite:///{tmp_path}/term.db"
    open_database(url)
    add_rep("admin", "ana", "Ana Alvarez", "rep", "North", now=now)
    add_rep("admin", "ben", "Ben Brown", "rep", "North", now=now)
    import_products("admin", (SAMPLES / "catalog.csv").read_text())
    top = add_application("t", dict(channel="website", name="Marta Ruiz", email="marta@club.es",
                                    text="We need 40 Pro Match Ball size 5 delivered to Valencia before 5 December.",
                                    received_at=now - timedelta(minutes=10)), now)
    add_application("t", dict(channel="social", name="Sneaky \x1b[31mRED",
                              text="hi \x1b]0;pwned-title\x07 [bold]there[/bold] \u202eevil",
                              received_at=now - timedelta(minutes=5)), now)
    close_database()
    return url, top


def test_main_flow_in_a_real_terminal(prepared, now):
    url, top = prepared
    term = Tmux(f"{REPDESK} --db {url} --as ana --now {now.isoformat()}")
    try:
        term.wait_for("open ·")
        term.wait_for("Ana Alvarez")  # the screen paints in steps: wait for each part (raises if absent)
        term.wait_for("Marta Ruiz")
        term.wait_for("BALL-PRO5")  # why the top one ranks first
        term.keys("j")
        assert "[bold]there[/bold]" in term.wait_for("[bold]there")  # outside text stays literal
        term.keys("k")
        term.wait_for("#1 Marta")
        assert "pwned-title" not in subprocess.run(["tmux", "display-message", "-p", "-t", term.name, "#{pane_title}"],
                                                   capture_output=True, text=True).stdout
        term.keys("a")
        term.wait_for("Claimed #")
        term.keys("c")
        term.wait_for("Log contact")
        term.keys("Tab")
        term.keys("-l", "left a voicemail")
        term.keys("C-s")
        term.wait_for("clock is stopped")
        term.keys("q")
        deadline = time.time() + 10
        while term.alive() and time.time() < deadline:
            time.sleep(0.1)
        assert not term.alive(), "q did not end the session"
    finally:
        term.kill()
    from models.db import close_database, open_database
    from models.tables import Application

    open_database(url)
    try:
        a = Application.get_by_id(top)
        assert a.status == "contacted" and a.owner.login == "ana"
    finally:
        close_database()


def test_escape_and_a_key_in_one_read_leave_the_field_then_move(prepared, now):
    """ESC and j written to the terminal at once (a slow line bunching two keystrokes; terminals mean
    Alt+j by that): the filter field is left and the cursor moves; no 'j' is typed into the field."""
    url, _top = prepared
    term = Tmux(f"{REPDESK} --db {url} --as ana --now {now.isoformat()}")
    try:
        term.wait_for("#1 Marta")
        term.keys("/")
        term.keys("-l", "ba")
        term.wait_for("ba")
        subprocess.run(["tmux", "send-keys", "-t", term.name, "-l", "\x1bj"], check=True)  # one write
        screen = term.wait_for("[bold]there")  # the second application's detail: the cursor moved
        assert "baj" not in screen
        term.keys("k")
        term.wait_for("#1 Marta")  # the list has the keys, not the field
    finally:
        term.kill()


def test_dropped_line_keeps_the_typing_as_a_draft(prepared, now):
    url, _top = prepared
    cmd = f"{REPDESK} --db {url} --as ana --now {now.isoformat()}"
    term = Tmux(cmd)
    try:
        term.wait_for("open ·")
        term.keys("n")
        term.wait_for("New phone application")
        term.keys("-l", "Grace Obi")
        term.keys("Tab")
        term.keys("-l", "+234 803 123 4567")
        term.keys("Tab", "Tab")
        term.keys("-l", "60 BALL-TRN4 to Lagos")
        time.sleep(0.5)
    finally:
        term.kill()  # the terminal goes away: the app gets SIGHUP
    deadline = time.time() + 10
    while time.time() < deadline and subprocess.run(["pgrep", "-f", f"--db {url} --as ana"],
                                                    capture_output=True).returncode == 0:
        time.sleep(0.1)
    assert subprocess.run(["pgrep", "-f", f"--db {url} --as ana"], capture_output=True).returncode != 0, \
        "the app outlived its terminal"
    from models.db import close_database, open_database
    from models.tables import Draft

    deadline = time.time() + 10
    while time.time() < deadline:
        open_database(url)
        try:
            saved = [d.data for d in Draft.select()]
        finally:
            close_database()
        if saved:
            break
        time.sleep(0.2)
    assert saved and "Grace Obi" in saved[0] and "60 BALL-TRN4 to Lagos" in saved[0]
    again = Tmux(cmd)
    try:
        again.wait_for("Restored what you were typing")
        again.wait_for("Grace Obi")  # raises when the restored text is not on the screen
        again.wait_for("60 BALL-TRN4 to Lagos")
        again.keys("C-s")
        again.wait_for("added")
    finally:
        again.kill()
    open_database(url)
    try:
        from models.tables import Application

        a = Application.get(Application.name == "Grace Obi")
        assert a.phone == "+2348031234567" and "BALL-TRN4" in a.text
        assert Draft.select().count() == 0
    finally:
        close_database()
