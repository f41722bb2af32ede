"""Issue 12, hardening: one output filter for what leaves the CLI, ids in range, refusals that reveal nothing."""
from __future__ import annotations

import json
import sys
import unicodedata
from datetime import timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import inbox
from models.errors import NotFound, NotYours, PermissionDenied
from conftest import run_cli
from tui.commands.base import Context, id_arg, json_text, limit_arg, terminal_text, unsafe_char

UNSAFE = {"Cc", "Cf", "Zl", "Zp", "Cs"}
ID_SENTENCE = "ID must be a whole number from 1 to 9223372036854775807."
NASTY = "Jos\u00e9 \u202eM\u00fcller\u2066 \x9b31m\x9d0;t\x07\x1b[2J\u2028x\u0085\u200b\U000e0041"


def raw_unsafe(out: str, keep: str = "\n") -> list[str]:
    """The characters of OUT a terminal would act on (newlines are how lines end)."""
    return [f"U+{ord(c):04X}" for c in out if c not in keep and c != "\u200d"
            and unicodedata.category(c) in UNSAFE]


def no_surrogates(value):
    """VALUE with each lone surrogate as U+FFFD (what the filter writes for one)."""
    if isinstance(value, str):
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    if isinstance(value, list):
        return [no_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {no_surrogates(k): no_surrogates(v) for k, v in value.items()}
    return value


def emit(data, text, *, as_json: bool, capsys) -> str:
    ctx = Context(args=SimpleNamespace(json=as_json), now=None)
    ctx.emit(data, text)
    return capsys.readouterr().out


# ---------------------------------------------------------------- 1. the output filter

def code_points(*categories):
    return st.characters(categories=categories)


EVERY_CLASS = st.one_of(
    code_points("Cc"), code_points("Cf"), code_points("Zl"), code_points("Zp"), code_points("Co"),
    code_points("Lu", "Ll", "Lo", "Nd", "Zs", "Mn", "So", "Sm", "Po"),
    st.integers(0xD800, 0xDFFF).map(chr),                     # lone surrogates, as they come
    st.integers(0xD800, 0xDFFF).map(lambda _: "\ufffd"),     # ... and as the input boundary replaces them
    st.sampled_from(list("\u009b\u009d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\x1b\x00\x7f\u0085")),
)
STRINGS = st.text(EVERY_CLASS, max_size=40)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | STRINGS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(STRINGS, inner, max_size=4),
    max_leaves=12)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=VALUES)
def test_json_output_carries_no_raw_control_or_format_character(data, capsys):
    out = emit(data, "unused", as_json=True, capsys=capsys)
    assert out.endswith("\n") and out.count("\n") == 1
    assert raw_unsafe(out) == [], out
    assert json.loads(out) == no_surrogates(data)  # escaped, not lost: the JSON still means the data


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=STRINGS)
def test_plain_output_carries_no_raw_control_or_format_character(text, capsys):
    out = emit({"x": text}, text, as_json=False, capsys=capsys)
    assert raw_unsafe(out, keep="\n\t") == [], out
    assert out.encode("utf-8")  # printable on a UTF-8 terminal: no lone surrogate left
    # ordinary characters pass as they are
    ordinary = "".join(c for c in text if not unsafe_char(c))
    assert all(c in out for c in ordinary)


def test_ordinary_text_is_kept_and_bad_characters_are_visible(capsys):
    data = {"name": NASTY, "city": "M\u00fcnchen \u6771\u4eac \U0001f468\u200d\U0001f469", "n": 3}
    out = emit(data, None, as_json=True, capsys=capsys)
    assert "Jos\u00e9" in out and "M\u00fcller" in out and "M\u00fcnchen \u6771\u4eac" in out
    assert "\U0001f468\u200d\U0001f469" in out  # an emoji sequence keeps its joiner
    for esc in ("\\u202e", "\\u2066", "\\u009b", "\\u009d", "\\u0007", "\\u001b", "\\u2028", "\\u0085",
                "\\u200b", "\\udb40\\udc41"):
        assert esc in out, esc
    assert json.loads(out) == data
    plain = emit(data, NASTY, as_json=False, capsys=capsys)
    assert plain.startswith("Jos\u00e9 <U+202E>M\u00fcller<U+2066> <U+009B>31m<U+009D>0;t\u2407\u241b[2J<U+2028>x")
    assert terminal_text("already safe \u241b[31m") == "already safe \u241b[31m"
    assert json_text({"k": "plain"}) == '{"k": "plain"}'


def test_table_cells_are_filtered_too():
    from tui.commands.base import table

    out = table([["1", NASTY], ["2", "lone \ud800 surrogate"]], ["ID", "NAME"])
    assert raw_unsafe(out.replace("\ud800", "")) == []  # models.text.one_line made every cell safe ...
    assert raw_unsafe(terminal_text(out)) == []  # ... and emit's filter catches what it leaves (a surrogate)


# ---------------------------------------------------------------- 2. ids and limits in range

@pytest.mark.parametrize("raw", ["0", "-1", "9223372036854775808", "99999999999999999999", "abc", "1.5", "",
                                 "1" * 5000])
def test_id_type_refuses_what_no_id_column_holds(raw):
    import argparse

    with pytest.raises(argparse.ArgumentTypeError, match="ID must be a whole number from 1 to 9223372036854775807"):
        id_arg(raw)


def test_id_and_limit_types_accept_their_range():
    import argparse

    assert id_arg("1") == 1 and id_arg(" 9223372036854775807 ") == 2 ** 63 - 1
    assert limit_arg("100000") == 100000
    with pytest.raises(argparse.ArgumentTypeError, match="LIMIT must be a whole number from 1 to 100000"):
        limit_arg("100001")


def test_ids_beyond_64_bits_are_one_sentence_on_both_engines(db_url):
    cli = lambda *a: run_cli(*a, db_url=db_url)  # noqa: E731
    assert cli("init").returncode == 0
    cli("rep", "add", "ana", "--name", "Ana", "--team", "North")
    for big in ("99999999999999999999", "9223372036854775808", "0"):
        res = cli("show", big, "--as", "ana")
        assert res.returncode == 2, (res.returncode, res.stderr)
        assert ID_SENTENCE in res.stderr and "Traceback" not in res.stderr
    # every id and limit option is bounded by its parser now: one sentence, exit 2, on both engines
    res = cli("inbox", "--limit", "99999999999999999999", "--as", "ana")
    assert res.returncode == 2 and "LIMIT must be a whole number from 1 to 100000." in res.stderr, res.stderr
    res = cli("claim", "99999999999999999999", "--as", "ana")
    assert res.returncode == 2 and ID_SENTENCE in res.stderr, res.stderr
    assert "Traceback" not in res.stderr and "unexpected" not in res.stderr, res.stderr


def test_main_turns_overflow_into_the_sentence(monkeypatch, capsys):
    from tui import cli

    def boom(parser, args):
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    monkeypatch.setattr(cli, "_dispatch", boom)
    assert cli.main(["clients"]) == 2
    assert capsys.readouterr().err.strip() == f"repdesk: {ID_SENTENCE}"

    def date_boom(parser, args):
        raise OverflowError("date value out of range")

    monkeypatch.setattr(cli, "_dispatch", date_boom)
    assert cli.main(["clients"]) == 2
    assert "out of range" in capsys.readouterr().err


def test_error_sentences_on_stderr_are_filtered(monkeypatch, capsys):
    from models.errors import ValidationError
    from tui import cli

    def bad(parser, args):
        raise ValidationError("There is no SKU \x1b]0;pwned\x07\u202eX\u2028\ud800.")

    monkeypatch.setattr(cli, "_dispatch", bad)
    assert cli.main(["clients"]) == 2
    err = capsys.readouterr().err
    assert raw_unsafe(err) == [] and "There is no SKU" in err


def test_argparse_messages_are_filtered(capsys):
    from tui import cli

    with pytest.raises(SystemExit) as stop:
        cli.main(["inbox", "--channel", "\x1b]0;pwned\x07\u202e"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err and raw_unsafe(err) == [], err


# ---------------------------------------------------------------- 3. refusals that reveal nothing

def _contacted_by_ana(team, now, **kw):
    data = dict(channel="email", text="We need 40 balls.", name=kw.get("name", "Club Norte"),
                email="norte@example.com", received_at=now - timedelta(minutes=5))
    app_id = inbox.add_application("test", data, now)
    inbox.claim(team["ana"], app_id, now)
    inbox.contact(team["ana"], app_id, "call", now + timedelta(minutes=1), note="secret price 1,700")
    return app_id


def test_application_view_is_behind_its_role(team, catalog, now):
    from models.usecases.inbox import application_view

    app_id = _contacted_by_ana(team, now)
    for who in ("ana", "mia", "dan"):
        assert application_view(team[who], app_id).application.id == app_id
    for who in ("sol", "ben"):  # another team's rep; a rep of the same team who does not own it
        with pytest.raises(NotYours) as refused:
            application_view(team[who], app_id)
        assert str(refused.value) == f"There is no application {app_id}, or it is not yours."
    with pytest.raises(NotYours) as missing:
        application_view(team["sol"], 999999)
    assert str(missing.value) == "There is no application 999999, or it is not yours."
    assert isinstance(missing.value, NotFound) and isinstance(missing.value, PermissionDenied)
    # an open application is in everyone's inbox, and so is its detail
    open_id = inbox.add_application("test", dict(channel="email", text="hello", name="X", email="x@example.com",
                                                 received_at=now), now)
    assert application_view(team["sol"], open_id).application.id == open_id


def test_acting_on_another_teams_application_names_neither_it_nor_its_owner(team, catalog, now, db_url):
    app_id = _contacted_by_ana(team, now)
    for argv in (["contact", str(app_id), "--kind", "call"], ["close", str(app_id), "--reason", "dup"],
                 ["transfer", str(app_id), "--to", "sol", "--reason", "mine now"], ["convert", str(app_id)]):
        res = run_cli(*argv, "--as", "sol", db_url=db_url)
        assert (res.returncode, res.stderr.strip()) == \
            (4, f"repdesk: There is no application {app_id}, or it is not yours."), argv
    # the team's manager sees it, and is told what is the matter with the request
    manager = run_cli("contact", str(app_id), "--kind", "call", "--as", "mia", db_url=db_url)
    assert manager.returncode == 7 and "already contacted" in manager.stderr, manager.stderr


def test_show_of_another_teams_application_says_only_not_found_or_not_yours(team, catalog, now, db_url):
    app_id = _contacted_by_ana(team, now, name="Club \u202eNorte\x9b31m")
    res = run_cli("show", str(app_id), "--as", "sol", db_url=db_url)
    assert res.returncode == 4, res.stderr
    assert res.stderr.strip() == f"repdesk: There is no application {app_id}, or it is not yours."
    assert "Norte" not in res.stdout + res.stderr and "secret" not in res.stdout + res.stderr
    missing = run_cli("show", "999999", "--as", "sol", db_url=db_url)
    assert (missing.returncode, missing.stderr.strip()) == \
        (4, "repdesk: There is no application 999999, or it is not yours.")
    shown = run_cli("show", str(app_id), "--json", "--as", "mia", db_url=db_url)
    assert shown.returncode == 0, shown.stderr
    assert raw_unsafe(shown.stdout) == [] and "\\u202e" in shown.stdout and "\\u009b" in shown.stdout
    assert json.loads(shown.stdout)["name"] == "Club \u202eNorte\x9b31m"
    text = run_cli("show", str(app_id), "--as", "ana", db_url=db_url)
    assert text.returncode == 0 and raw_unsafe(text.stdout) == [] and "<U+202E>" in text.stdout


def test_client_and_deal_refusals_are_the_not_found_sentence(team, now, db_url):
    cli = lambda *a: run_cli(*a, db_url=db_url)  # noqa: E731
    cid = cli("client", "add", "--name", "Club Norte", "--email", "info@clubnorte.es", "--as", "ana").stdout.strip()
    did = cli("deal", "add", "--client", cid, "--title", "balls", "--amount", "10", "--as", "ana").stdout.strip()
    for kind, rid in (("client", cid), ("deal", did)):
        mine = cli(kind, "show", rid, "--as", "sol")
        none = cli(kind, "show", "999999", "--as", "sol")
        assert (mine.returncode, none.returncode) == (4, 4), (mine.stderr, none.stderr)
        assert mine.stderr.strip() == f"repdesk: There is no {kind} {rid}, or it is not yours."
        assert none.stderr.strip() == f"repdesk: There is no {kind} 999999, or it is not yours."
        assert "Club Norte" not in mine.stdout + mine.stderr


def test_access_helpers_raise_the_one_sentence(team, now):
    from models.access import check_client, check_deal, owned_row
    from models.clients import add_client
    from models.tables import Client

    c = add_client(team["ana"], now, name="Club Norte", email="n@example.com")
    row = Client.get_by_id(c.id)
    with pytest.raises(NotYours, match=rf"^There is no client {c.id}, or it is not yours\.$"):
        owned_row(Client, c.id, team["sol"], "client")
    with pytest.raises(NotYours, match=r"^There is no client 424242, or it is not yours\.$"):
        owned_row(Client, 424242, team["ana"], "client")
    with pytest.raises(NotYours, match=rf"^There is no client {c.id}, or it is not yours\.$"):
        check_client(team["sol"], row)
    assert owned_row(Client, c.id, team["mia"], "client").id == c.id
    check_client(team["dan"], row)
    fake_deal = SimpleNamespace(id=14, owner_id=team["ana"].id, team_id=team["ana"].team_id)
    with pytest.raises(NotYours, match=r"^There is no deal 14, or it is not yours\.$"):
        check_deal(team["sol"], fake_deal)
