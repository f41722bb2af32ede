"""E-mail intake (.eml, Maildir, mbox; HTML-only mail; Message-ID de-duplication) and the web form."""
from __future__ import annotations

import json
import mailbox
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage

from conftest import REPDESK, SAMPLES, run_cli


def _msg(i: int, body: str = "We need 20 Futsal Ball before 15 January", html: bool = False) -> EmailMessage:
    m = EmailMessage()
    m["From"] = f"Laura Costa <laura{i}@futsalclub.example>"
    m["To"] = "sales@example.com"
    m["Subject"] = f"Order request {i}"
    m["Date"] = "Fri, 20 Nov 2026 09:52:00 +0000"
    m["Message-ID"] = f"<msg-{i}@futsalclub.example>"
    if html:
        m.set_content(f"<html><head><style>p {{color: red}}</style></head><body><p>{body}</p>"
                      "<script>alert(1)</script></body></html>", subtype="html")
    else:
        m.set_content(body)
    return m


def _open(db_url):
    from models.db import open_database

    open_database(db_url)


def test_eml_html_only_and_no_double_import(db_url, tmp_path):
    eml = tmp_path / "one.eml"
    eml.write_bytes(bytes(_msg(1, html=True)))
    # the ranking knows only the words of the catalog: without one, a futsal ball is nothing in particular
    assert run_cli("--as", "admin", "import", "products", str(SAMPLES / "catalog.csv"), db_url=db_url).returncode == 0
    first = run_cli("intake", "email", str(eml), "--json", db_url=db_url)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["imported"] == 1
    again = run_cli("intake", "email", str(eml), "--json", db_url=db_url)
    assert json.loads(again.stdout)["imported"] == 0
    assert json.loads(again.stdout)["duplicates"] == 1
    _open(db_url)
    from models.db import close_database
    from models.tables import Application

    try:
        a = Application.get()
        assert a.channel == "email" and a.name == "Laura Costa" and a.email == "laura1@futsalclub.example"
        assert a.subject == "Order request 1"
        assert "20 Futsal Ball" in a.text and "<p>" not in a.text and "alert" not in a.text and "color" not in a.text
        assert a.score > 30
    finally:
        close_database()


def test_maildir_and_mbox(db_url, tmp_path):
    md = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    for i in range(3):
        md.add(_msg(i))
    mb = mailbox.mbox(str(tmp_path / "box.mbox"), create=True)
    for i in range(3, 5):
        mb.add(_msg(i, "multipart test"))
    mb.add(_msg(3))  # the same Message-ID again
    mb.flush()
    p1 = run_cli("intake", "email", str(tmp_path / "Maildir"), "--json", db_url=db_url)
    p2 = run_cli("intake", "email", str(tmp_path / "box.mbox"), "--json", db_url=db_url)
    assert json.loads(p1.stdout)["imported"] == 3
    r2 = json.loads(p2.stdout)
    assert r2["imported"] == 2 and r2["duplicates"] == 1


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _post(url, data: bytes, ctype: str):
    req = urllib.request.Request(url, data=data, headers={"Content-Type": ctype}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_web_form_endpoint(db_url):
    assert run_cli("init", db_url=db_url).returncode == 0
    port = _free_port()
    proc = subprocess.Popen([REPDESK, "intake", "serve", "--port", str(port), "--db", db_url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        status, body = _post(base + "/applications", json.dumps(
            {"name": "Ola", "email": "ola@ballklubb.example", "text": "10 BIB-SET10 for Monday"}).encode(),
            "application/json")
        assert status == 201 and isinstance(body["id"], int)
        status, body = _post(base + "/applications", urllib.parse.urlencode(
            {"name": "Form Person", "phone": "+44 20 7946 0991", "text": "Do you sell gloves?"}).encode(),
            "application/x-www-form-urlencoded")
        assert status == 201
        status, body = _post(base + "/applications", b"{not json", "application/json")
        assert status == 400 and "JSON" in body["error"]
        status, body = _post(base + "/applications", json.dumps({"name": "x", "email": "not-an-email",
                                                                  "text": "hi"}).encode(), "application/json")
        assert status == 400 and "E-mail" in body["error"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    _open(db_url)
    from models.db import close_database
    from models.tables import Application

    try:
        got = {a.name: a.channel for a in Application.select()}
        assert got == {"Ola": "website", "Form Person": "website"}
    finally:
        close_database()
