"""Start-up takes no write lock unless a migration is pending: while another process holds a long write
on SQLite, read commands still answer (issue 12), and error messages never echo escape sequences."""
from __future__ import annotations

import sqlite3

from conftest import run_cli


def test_read_commands_answer_while_another_process_writes(tmp_path):
    url = f"sqlite:///{tmp_path}/busy.db"
    assert run_cli("rep", "add", "ana", "--name", "Ana", "--team", "North", db_url=url).returncode == 0
    writer = sqlite3.connect(f"{tmp_path}/busy.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a long import holds the write lock
    try:
        writer.execute("UPDATE rep SET name = 'Ana A' WHERE login = 'ana'")
        res = run_cli("rep", "list", db_url=url)
        assert res.returncode == 0, res.stderr
        assert "ana" in res.stdout
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_an_error_message_never_echoes_an_escape_sequence(tmp_path):
    url = f"sqlite:///{tmp_path}/esc.db"
    res = run_cli("show", "1", "--as", "x\x1b[31mred", db_url=url)
    assert res.returncode != 0
    assert "\x1b" not in res.stderr and "\x07" not in res.stderr


def test_amounts_are_digits_and_a_point_never_exponents():
    import pytest

    from models.money import parse_amount

    assert parse_amount("199.99", "EUR") == 19999 and parse_amount("199,99", "EUR") == 19999
    assert parse_amount("1_000", "JPY") == 1000
    for bad in ("1e-999999999999999999", "1E+9", "nan", "inf", "1e2", "--5", "1.2.3", "9" * 60):
        with pytest.raises(ValueError):
            parse_amount(bad, "EUR")
