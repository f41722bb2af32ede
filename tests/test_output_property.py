"""Issue 12: every code point class through every way out - plain, --json (also the streamed `clients --json`),
CSV, vCard and stderr (an error sentence, the stage gate's missing fields, intake's reasons, the export's
`--output` echo). Nothing raw gets out (no C0/C1 control, bidi override or isolate, other format character,
U+2028/U+2029/U+0085, lone surrogate) and the text is still recognisable: ordinary characters kept, the bad
ones shown as a visible placeholder (plain, CSV, vCard) or a \\u escape (JSON). Rich markup stays literal.

The handlers run in-process (tui.cli.main on the test's database) so that the property test stays cheap;
one test drives the real entry point. Both engines.
"""
from __future__ import annotations

import csv
import io
import json
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.outfilter import terminal_text, unsafe_char
from conftest import run_cli
from tests.test_role_leaks import inproc  # noqa: F401 (the in-process runner fixture)

UNSAFE = {"Cc", "Cf", "Zl", "Zp", "Cs"}
SPECIAL = list("\x1b\x07\x00\x7f\x9b\x9d\x85\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
               "\u200e\u200f\u061c\u200b\ufeff\u00ad") + ["\U000e0041", "\x1b[2J", "\x1b]0;pwned\x07", "\x9b31m",
                                                         "\x1b]8;;http://x\x1b\\", "[red]x[/]", "[bold]", "[/]"]
PIECES = st.one_of(
    st.characters(categories=("Cc",)), st.characters(categories=("Cf",)), st.characters(categories=("Zl", "Zp")),
    st.characters(categories=("Lu", "Ll", "Lo", "Nd", "Zs", "Mn", "So", "Po")),
    st.sampled_from(SPECIAL),
)
TEXT = st.lists(PIECES, min_size=1, max_size=12).map("".join)
SURROGATE_TEXT = st.tuples(TEXT, st.integers(0xD800, 0xDFFF).map(chr), TEXT).map("".join)
EXAMPLES = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def raw_unsafe(out: str, keep: str = "\n") -> list[str]:
    return [f"U+{ord(c):04X}" for c in out if c not in keep and c != "\u200d" and unicodedata.category(c) in UNSAFE]


def storable(text: str) -> str:
    """TEXT as either engine stores it (what the input boundary makes of it: no NUL, no lone surrogate)."""
    return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text.replace("\x00", ""))


def ordinary(text: str) -> str:
    """The characters of TEXT that must come out as they are (not unsafe, not white space)."""
    return "".join(c for c in text if not unsafe_char(c) and not c.isspace())


def shown(text: str) -> list[str]:
    """How the unsafe, non-space characters of TEXT show in plain text (control pictures, <U+XXXX>)."""
    from models.outfilter import visible

    return [visible(c) for c in text if unsafe_char(c) and not c.isspace() and c != "\x00"]


def legacy_client(owner, now, name: str):
    """A card holding raw controls, as one written by an older version or straight into the database would:
    the output filter, not the input rule, must make it safe."""
    from models.tables import Client

    return Client.create(name=name, company=name, notes=f"n:{name}", email="legacy@example.com", owner=owner.id,
                         team=owner.team_id, created_at=now, updated_at=now)


@EXAMPLES
@given(value=TEXT)
def test_plain_json_csv_vcard_of_a_card(team, now, inproc, value):  # noqa: F811
    value = storable(value)
    c = legacy_client(team["ana"], now, value)
    code, plain, err = inproc("client", "show", str(c.id), "--as", "ana")
    assert code == 0 and raw_unsafe(plain, "\n") == [] and raw_unsafe(err) == [], (plain, err)
    assert all(ch in plain for ch in ordinary(value)), plain
    assert "[red]x[/]" not in value or "[red]x[/]" in plain  # markup printed as it is, never interpreted
    code, out, _ = inproc("client", "show", str(c.id), "--json", "--as", "ana")
    assert code == 0 and raw_unsafe(out) == [] and json.loads(out)["name"] == value
    code, out, _ = inproc("clients", "--json", "--search", "legacy", "--as", "ana")  # the streamed list
    assert code == 0 and raw_unsafe(out) == [] and value in [r["name"] for r in json.loads(out)]
    code, out, _ = inproc("export", "clients", "--format", "csv", "--as", "ana")
    assert code == 0 and raw_unsafe(out, "\r\n\t") == []
    from models.clientio import unguard_cell

    rows = {int(r["id"]): r for r in csv.DictReader(io.StringIO(out, newline=""))}
    cell = unguard_cell(rows[c.id]["company"])
    assert cell == terminal_text(value.replace("\r\n", "\n")), (cell, value)
    assert all(v in cell for v in shown(value))  # escaped visibly, not dropped
    code, out, _ = inproc("export", "clients", "--format", "vcf", "--as", "ana")
    assert code == 0 and raw_unsafe(out, "\r\n\t") == [] and f"repdesk-client-{c.id}" in out
    assert all(ch in out.replace("\r\n ", "") for ch in ordinary(value) if ch not in ",;\\")


@EXAMPLES
@given(value=st.one_of(TEXT, SURROGATE_TEXT))
def test_stderr_sentences(team, now, inproc, value):  # noqa: F811
    # an error sentence quoting what was typed (a lone surrogate too: argv can carry one)
    code, out, err = inproc("clients", "--segment", value, "--as", "ana")
    assert code == 2 and out == "" and raw_unsafe(err) == [] and "There is no segment" in err, err
    err.encode("utf-8")  # nothing a UTF-8 terminal cannot take


def test_stage_gate_intake_and_output_echo_on_stderr(team, now, inproc, tmp_path):  # noqa: F811
    from models import clients, pipeline

    nasty = "Need \x1b]0;pwned\x07\u202eX\u2066\x9b31m\u2028[red]x[/]"
    pipeline.remove_requirement(team["mia"], "qualified", "deal.need", now)
    pipeline.add_requirement(team["mia"], "qualified", "deal.need", nasty, now)  # a label quoting a bad text
    d = pipeline.add_deal(team["ana"], clients.add_client(team["ana"], now, name="Gate Club", email="gate@example.com").id, "balls", now)
    for json_flag in ([], ["--json"]):
        code, out, err = inproc("deal", "move", str(d.id), "qualified", *json_flag, "--as", "ana")
        assert code == 3 and raw_unsafe(out) == [] and raw_unsafe(err) == [], (out, err)
        assert "missing: deal.need (Need " in err and "<U+202E>X<U+2066>" in err and "[red]x[/]" in err
    missing = {m["field"]: m["label"] for m in json.loads(out)["missing"]}
    assert missing["deal.need"] == nasty  # the JSON still means the label
    lines = tmp_path / "in\x1b[31m\u202e.jsonl"
    lines.write_text(json.dumps({"channel": nasty, "name": "A", "email": "a@example.com", "text": "hi"}) + "\n")
    code, out, err = inproc("intake", str(lines), "--as", "ana")
    assert code == 8 and raw_unsafe(out) == [] and raw_unsafe(err) == [] and err.startswith("line 1: "), err
    target = tmp_path / "out\x1b]0;t\x07\u202e.csv"
    code, out, err = inproc("export", "clients", "--output", str(target), "--as", "ana")
    assert code == 0 and raw_unsafe(err) == [] and "\u241b]0;t\u2407<U+202E>.csv" in err and target.exists()
    code, out, err = inproc("export", "orders", "--output", str(target) + "2", "--as", "ana")
    assert code == 0 and raw_unsafe(err) == [] and "<U+202E>" in err


def test_through_the_real_entry_point(team, now, db_url):
    from models import pipeline

    nasty = "Jos\u00e9 \u202eM\u00fcller\u2066 \x9b31m\x9d0;t\x07\x1b[2J\u2028x\u0085\u200b[red]x[/]"
    c = legacy_client(team["ana"], now, nasty)
    pipeline.remove_requirement(team["mia"], "qualified", "deal.need", now)
    pipeline.add_requirement(team["mia"], "qualified", "deal.need", nasty, now)  # a label quoting a bad text
    d = pipeline.add_deal(team["ana"], c.id, "balls", now)
    got = {args: run_cli(*args, "--as", "ana", db_url=db_url) for args in (
        ("clients", "--json"), ("clients",), ("export", "clients", "--format", "csv"),
        ("export", "clients", "--format", "vcf"), ("deal", "move", str(d.id), "qualified"))}
    for args, res in got.items():
        assert "Traceback" not in res.stderr and raw_unsafe(res.stdout, "\r\n") == [] and \
            raw_unsafe(res.stderr) == [], (args, res.stdout, res.stderr)
    assert json.loads(got[("clients", "--json")].stdout)[0]["name"] == nasty
    assert "Jos\u00e9 <U+202E>M\u00fcller<U+2066>" in got[("clients",)].stdout
    assert "<U+202E>M\u00fcller<U+2066> <U+009B>31m<U+009D>0;t\u2407\u241b[2J<U+2028>x<U+0085><U+200B>[red]x[/]" \
        in got[("export", "clients", "--format", "csv")].stdout
    assert "<U+202E>" in got[("export", "clients", "--format", "vcf")].stdout
    moved = got[("deal", "move", str(d.id), "qualified")]
    assert moved.returncode == 3 and "<U+202E>M\u00fcller" in moved.stderr
