"""Intake through the real entry point: good lines in, bad lines reported by number and quarantined."""
from __future__ import annotations

import json

from conftest import SAMPLES, run_cli


def test_samples_import_and_rank(db_url):
    run_cli("import", "products", str(SAMPLES / "catalog.csv"), db_url=db_url)
    proc = run_cli("intake", str(SAMPLES / "applications.jsonl"), "--json", db_url=db_url)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["imported"] == 26
    run_cli("rep", "add", "ana", "--name", "Ana", db_url=db_url)
    rows = json.loads(run_cli("inbox", "--json", "--limit", "30", "--as", "ana", db_url=db_url).stdout)
    assert len(rows) == 26
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert "looks like spam" in rows[-1]["reasons"] or rows[-1]["score"] == 0


def test_bad_lines_reported_by_number_and_quarantined(db_url):
    lines = [
        '{"channel": "email", "email": "a@example.com", "text": "need 10 balls"}',
        '{"channel": "fax", "name": "x", "text": "hi"}',
        'not json',
        '',
        '{"channel": "phone", "name": "y", "phone": "12", "text": "call me"}',
        '{"channel": "web", "name": "z", "text": "t"}',
        '{"channel": "website", "name": "Ok Person", "text": "20 cones", "received_at": "yesterday"}',
        '{"channel": "social", "name": "Fine", "text": "Do you sell gloves?", "extra": 1}',
    ]
    proc = run_cli("intake", "-", db_url=db_url, input="\n".join(lines) + "\n")
    assert proc.returncode == 8
    assert "Imported 2 application(s); 5 rejected." in proc.stdout
    for n in (2, 3, 5, 6, 7):
        assert f"line {n}:" in proc.stderr
    assert run_cli("rep", "add", "boss", "--name", "Boss", "--role", "admin", db_url=db_url).returncode == 0
    q = json.loads(run_cli("quarantine", "--json", "--as", "boss", db_url=db_url).stdout)  # managers and up
    assert sorted(r["line"] for r in q) == [2, 3, 5, 6, 7]
    assert any("channel" in r["reason"] for r in q)
