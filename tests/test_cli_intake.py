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


def test_a_large_file_is_read_in_worker_processes_with_the_same_scores_and_line_numbers(db_url, tmp_path):
    """Issue 13: a file of more than POOL_FROM lines is parsed and scored in worker processes (one per core);
    what is stored is what one process would store, bad lines are still reported by their numbers, and a
    line already imported is skipped."""
    from models import intake
    from models.scoring import Catalog, score_application

    run_cli("import", "products", str(SAMPLES / "catalog.csv"), db_url=db_url)
    run_cli("rep", "add", "ana", "--name", "Ana", db_url=db_url)
    # a contact who is a client already: the workers score as for a stranger, the store scores it again
    assert run_cli("client", "add", "--name", "P 2000", "--email", "p2000@example.com", "--as", "ana",
                   db_url=db_url).returncode == 0
    texts = ["We need {n} Pro Match Ball size 5 for our club, delivery to Leeds by 3 March",
             "do you have goalkeeper gloves? {n} pairs, invoice to the school",
             "Hola, necesitamos {n} balones y 2 porterías para el club", "price list please {n}"]
    lines = [json.dumps({"channel": "website", "name": f"P {i}", "email": f"p{i}@example.com",
                         "text": texts[i % 4].format(n=i % 90 + 2)}) for i in range(intake.POOL_FROM + 500)]
    bad = {7: "not json", 2500: '{"channel": "fax", "name": "x", "text": "hi"}',
           len(lines): '{"channel": "email", "text": "no contact"}'}
    for no, raw in bad.items():
        lines[no - 1] = raw
    lines.append(lines[10])  # the same line again: skipped, not imported twice
    src = tmp_path / "big.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run_cli("intake", str(src), "--json", db_url=db_url)
    assert proc.returncode == 8, proc.stderr
    out = json.loads(proc.stdout)
    assert [r["line"] for r in out["rejected"]] == sorted(bad)
    assert out["imported"] == len(lines) - 1 - len(bad) and out["skipped"] == 1
    with (SAMPLES / "catalog.csv").open(encoding="utf-8") as fh:
        import csv

        catalog = Catalog.from_products((r["sku"], r["name"], r["category"]) for r in csv.DictReader(fh))
    for i in (0, 1, 2, 3, 2000, 2001, 3998, len(lines) - 3):
        shown = json.loads(run_cli("show", str(out["ids"][i - (i > 6) - (i > 2499)]), "--json", "--as", "ana",
                                   db_url=db_url).stdout)
        d = json.loads(lines[i])
        want = score_application(d["text"], name=d["name"], email=d["email"], catalog=catalog, weights={},
                                 known_client=i == 2000)
        assert (shown["score"], shown["reasons"]) == (want.score, want.reasons), (i, shown["text"])
        assert ("+8 known client" in shown["reasons"]) == (i == 2000)
    # the full-text rows are written chunk by chunk (models.inbox.arrivals_in_bulk): every chunk is searchable
    found = json.loads(run_cli("inbox", "--search", "porterias", "--limit", "5000", "--json", "--as", "ana",
                               db_url=db_url).stdout)
    want = {out["ids"][i - (i > 6) - (i > 2499)] for i in range(len(lines) - 1)
            if i % 4 == 2 and i + 1 not in bad}
    assert {a["id"] for a in found} == want and len(want) > 1000
