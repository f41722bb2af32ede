"""Client import (CSV and vCard, all rows or none, bad rows by their line, duplicates) and export (role-scoped,
by name, in keyset pages, safe for spreadsheets and terminals); export then import gives back the same
clients. On both engines (the `db` fixture), and through the real `repdesk` entry point."""
from __future__ import annotations

import csv
import io
import json
import time
from datetime import date

import pytest
import vobject

from conftest import run_cli
from models.audit import history
from models.clientio import (EXPORT_COLUMNS, ClientImportError, decode_text, export_clients,
                             import_clients, needs_guard, parse_csv, parse_vcf)
from models.clients import CARD_FIELDS, add_client
from models.errors import ValidationError
from models.tables import Audit, Client
from tui.commands.clientio import format_for


def export_text(actor, fmt="csv", **kw) -> str:
    return "".join(export_clients(actor, fmt, **kw))


def cards(actor=None) -> list[dict]:
    """Every client's card fields (of ACTOR's clients, or all), by name."""
    q = Client.select().order_by(Client.name, Client.id)
    if actor is not None:
        q = q.where(Client.owner == actor.id)
    return [{f: getattr(c, f) for f in CARD_FIELDS} for c in q]


def problems(excinfo) -> dict[int, str]:
    return dict(excinfo.value.problems)


RICH = dict(name="Zoë Álvarez-Núñez", company="Acme, \"Ltd\"; Intl", position="Head of buying",
            email="zoe@example.com", phone="+44 7911 123456", birth_date="1985-04-15", hobbies="golf, chess",
            marital_status="married", family="two kids; a dog", preferences="calls after 5pm",
            notes="first line\nsecond, with comma; and semicolon \\ backslash", address="1 Main St\nFlat 2",
            city="London", country="GB", source="website")


def make_clients(rep, now):
    add_client(rep, now, **RICH)
    add_client(rep, now, name="Bob Brown", email="bob@example.com")
    add_client(rep, now, name="Cy", phone="+49 170 1234567", notes="=HYPERLINK(\"http://x\")", company="-5")
    add_client(rep, now, name="Bob Brown", phone="+34 612 345 678", position="+Buyer", city="@home")


# ---------------------------------------------------------------- round trips


def test_csv_round_trip(team, now):
    ana = team["ana"]
    make_clients(ana, now)
    before = cards()
    text = export_text(ana, "csv")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert list(rows[0].keys()) == list(EXPORT_COLUMNS)
    assert [r["name"] for r in rows] == ["Bob Brown", "Bob Brown", "Cy", "Zoë Álvarez-Núñez"]
    assert int(rows[0]["id"]) < int(rows[1]["id"])  # name, then id
    zoe = rows[3]
    assert zoe["notes"] == RICH["notes"] and zoe["company"] == RICH["company"] and zoe["phone"] == "+447911123456"
    assert (zoe["birth_date"], zoe["owner"], zoe["segment"], zoe["last_purchase_at"]) == \
        ("1985-04-15", "ana", "never", "")
    assert rows[2]["notes"] == "'=HYPERLINK(\"http://x\")" and rows[2]["company"] == "-5"
    assert rows[2]["phone"] == "+491701234567"  # a phone is not a formula
    assert rows[1]["position"] == "'+Buyer" and rows[1]["city"] == "'@home"

    Audit.delete().execute()
    Client.delete().execute()
    result = import_clients(team["ben"], text.encode(), now, fmt="csv", source="clients.csv")
    assert result["imported"] == 4 and result["skipped"] == [] and len(result["ids"]) == 4
    assert cards() == before
    assert {c.owner_id for c in Client.select()} == {team["ben"].id}
    assert [(a["actor"], a["action"], a["new"]) for a in history("client", result["ids"][0])] == \
        [("ben", "import", "Bob Brown")]  # in the file's order: by name


def test_vcard_round_trip(team, now):
    ana = team["ana"]
    make_clients(ana, now)
    before = cards()
    text = export_text(ana, "vcf")
    parsed = list(vobject.readComponents(text))
    assert [c.fn.value for c in parsed] == ["Bob Brown", "Bob Brown", "Cy", "Zoë Álvarez-Núñez"]
    zoe = parsed[3]
    ids = {c.name: c.id for c in Client.select()}
    assert zoe.version.value == "3.0" and zoe.uid.value == f"repdesk-client-{ids['Zoë Álvarez-Núñez']}"
    assert zoe.email.value == "zoe@example.com" and zoe.email.params["TYPE"] == ["INTERNET"]
    assert zoe.tel.value == "+447911123456" and zoe.tel.params["TYPE"] == ["CELL"]
    assert zoe.org.value == [RICH["company"]] and zoe.title.value == "Head of buying"
    assert zoe.bday.value == "1985-04-15" and zoe.note.value == RICH["notes"]
    assert (zoe.adr.value.street, zoe.adr.value.city, zoe.adr.value.country) == ("1 Main St\nFlat 2", "London", "GB")
    assert (zoe.n.value.given, zoe.n.value.family) == ("Zoë", "Álvarez-Núñez")
    assert "\r\nEND:VCARD\r\n" in text

    Audit.delete().execute()
    Client.delete().execute()
    result = import_clients(ana, text, now, fmt="vcf", source="clients.vcf")
    assert result["imported"] == 4
    assert cards() == before


def test_phone_style_vcards(team, now):
    text = "\r\n".join([
        "BEGIN:VCARD", "VERSION:4.0", "FN:Zoë Ünal", "N:Ünal;Zoë;;;",
        'TEL;VALUE=uri;TYPE="voice,home":tel:+44-20-7946-0991',
        'TEL;VALUE=uri;TYPE="cell,voice";PREF=1:tel:+44-7911-123456',
        "EMAIL;PREF=1:zoe@example.com", "ORG:Acme Ltd;Sales", "TITLE:Buyer", "BDAY:19850415",
        "ADR;TYPE=work:;;1 Main St;London;;SW1A 1AA;United Kingdom", "NOTE:likes tea\\, not coffee", "END:VCARD",
        "",
        "BEGIN:VCARD", "VERSION:3.0", "N:Doe;John;;;", "FN:John Doe", "TEL;TYPE=HOME,VOICE:020 7946 0000",
        "item1.EMAIL;type=INTERNET;type=pref:john@example.com", "BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-15",
        "ADR;TYPE=HOME:;;2 High St;Leeds;;LS1;Deutschland", "END:VCARD",
        "BEGIN:VCARD", "VERSION:2.1", "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=9Cber;Max;;;",
        "TEL;CELL;PREF:+491701234567", "EMAIL;HOME:max@example.de", "NOTE:met at the fair, booth 4 (C:\\fair)",
        "END:VCARD", ""])
    result = import_clients(team["ana"], text.encode("utf-8"), now, fmt="vcf")
    assert result["imported"] == 3
    zoe, john, max_ = (Client.get(Client.id == i) for i in result["ids"])
    assert (zoe.name, zoe.phone, zoe.email, zoe.company, zoe.position, zoe.birth_date) == \
        ("Zoë Ünal", "+447911123456", "zoe@example.com", "Acme Ltd", "Buyer", date(1985, 4, 15))
    assert (zoe.address, zoe.city, zoe.country, zoe.notes) == ("1 Main St, SW1A 1AA", "London", "GB",
                                                               "likes tea, not coffee")
    assert (john.phone, john.email, john.birth_date, john.country) == ("+442079460000", "john@example.com", None, "DE")
    assert john.notes == "Birthday (no year): --04-15"
    assert (max_.name, max_.phone, max_.notes) == ("Max Über", "+491701234567", "met at the fair, booth 4 (C:\\fair)")


# ---------------------------------------------------------------- bad rows: reported by line, nothing stored


def test_bad_rows_are_reported_by_line_and_nothing_is_stored(team, now):
    text = ("name,email,phone\n"
            "Ana,ana@example.com,+44 7911 123456\n"
            "Bad Mail,bob@,\n"
            "Cy,cy@example.com,\n"
            "Bad Phone,,12\n"
            "Dee,dee@example.com,\n")
    with pytest.raises(ClientImportError) as err:
        import_clients(team["ana"], text, now, fmt="csv", source="in.csv")
    found = problems(err)
    assert sorted(found) == [3, 5]
    assert "E-mail 'bob@'" in found[3] and "Phone '12'" in found[5]
    assert err.value.lines()[0].startswith("in.csv:3: E-mail")
    assert err.value.exit_code == 2 and "line 3" in str(err.value)
    assert Client.select().count() == 0 and Audit.select().where(Audit.kind == "client").count() == 0


def test_every_problem_of_a_row_and_required_fields(team, now):
    text = ("name,email,phone,birth_date,country\n"
            "Two Bad,x@,12,,\n"
            "No Contact,,,,\n"
            ",a@example.com,,,\n"
            "Born,b@example.com,,1985-13-01,\n"
            "Land,l@example.com,,,Atlantis\n"
            f"{'N' * 201},n@example.com,,,\n")
    with pytest.raises(ClientImportError) as err:
        parse_and_raise(text)
    found = problems(err)
    assert "E-mail 'x@'" in found[2] and "Phone '12'" in found[2]
    assert "needs e-mail or phone" in found[3].lower() and "needs a name" in found[4].lower()
    assert "Date of birth" in found[5] and "Country 'Atlantis'" in found[6] and "200" in found[7]


def parse_and_raise(text, fmt="csv"):
    parsed = parse_csv(text) if fmt == "csv" else parse_vcf(text)
    if parsed.problems:
        raise ClientImportError("f", parsed.problems)
    return parsed


def test_line_numbers_of_multi_line_records(team, now):
    text = ('name,email,notes\n'                          # 1
            'Ana,ana@example.com,"one\n'                  # 2
            'two\n'                                       # 3
            'three"\n'                                    # 4
            'Bad,bad@,plain\n'                            # 5
            '\n'                                          # 6 (blank)
            'Worse,worse@,"x\n'                           # 7
            'y"\r\n'                                       # 8
            'Fine,"fine@example.com","a ""quoted""\r\n'    # 9
            'word"\r\n'                                    # 10
            'Last,last@,\n')                              # 11
    with pytest.raises(ClientImportError) as err:
        import_clients(team["ana"], text, now, fmt="csv")
    assert sorted(problems(err)) == [5, 7, 11]
    assert Client.select().count() == 0
    good = parse_csv(text.replace("bad@,", "bad@example.com,").replace("worse@,", "worse@example.com,")
                     .replace("last@,", "last@example.com,"))
    assert good.problems == []
    assert [(r.line, r.label) for r in good.rows] == [(2, "Ana"), (5, "Bad"), (7, "Worse"), (9, "Fine"),
                                                      (11, "Last")]
    assert good.rows[0].values["notes"] == "one\ntwo\nthree" and good.rows[3].values["notes"] == \
        'a "quoted"\nword'  # line ends stored as \n


def test_bad_vcards_by_their_first_line(team, now):
    text = ("BEGIN:VCARD\nVERSION:3.0\nFN:Good\nEMAIL:good@example.com\nEND:VCARD\n"    # 1-5
            "BEGIN:VCARD\nVERSION:3.0\nFN:Bad\nEMAIL:bad@\nEND:VCARD\n"               # 6-10
            "BEGIN:VCARD\nVERSION:3.0\nFN:Nothing\nEND:VCARD\n"                       # 11-14
            "BEGIN:VCARD\nVERSION:3.0\nFN:Open\nTEL:+44 7911 123456\n")              # 15-
    with pytest.raises(ClientImportError) as err:
        import_clients(team["ana"], text, now, fmt="vcf")
    found = problems(err)
    assert sorted(found) == [6, 11, 15]
    assert "E-mail 'bad@'" in found[6] and "needs e-mail or phone" in found[11].lower() and "END:VCARD" in found[15]
    with pytest.raises(ClientImportError) as err:
        import_clients(team["ana"], "name,email\nA,a@example.com\n", now, fmt="vcf")
    assert problems(err) == {1: "text outside BEGIN:VCARD ... END:VCARD; is this a vCard file?"}
    assert Client.select().count() == 0


def test_headers_aliases_and_unknown_columns(team, now):
    text = ("\ufeffFull Name;E-Mail;Mobile;Organization;Date of birth;Fax;Website\n"
            "Ana;ana@example.com;07911 123456;Acme;1985-04-15;123;x.com\n")
    with pytest.raises(ClientImportError) as err:
        import_clients(team["ana"], text, now, fmt="csv", source="x.csv")
    assert list(problems(err)) == [1] and "'Fax', 'Website'" in problems(err)[1]
    result = import_clients(team["ana"], text, now, fmt="csv", ignore_unknown=True)
    c = Client.get(Client.id == result["ids"][0])
    assert (c.name, c.email, c.phone, c.company, c.birth_date) == \
        ("Ana", "ana@example.com", "+447911123456", "Acme", date(1985, 4, 15))
    for header, why in (("Email,Phone\n", "no name column"), ("Name,Notes\n", "no email or phone column"),
                        ("Name,Email,E-mail address\n", "both mean email"), ("", "empty")):
        with pytest.raises(ClientImportError) as err:
            import_clients(team["ana"], header + "x,y,z\n" if header else "", now, fmt="csv")
        assert list(problems(err)) == [1] and why in problems(err)[1]


def test_encoding_and_format():
    assert decode_text("\ufeffname".encode("utf-8")) == "name"
    with pytest.raises(ValidationError, match=r"^in.csv is not UTF-8 text \(a byte on line 2 cannot be read\)"):
        decode_text("name,email\nJosé,j@example.com\n".encode("latin-1"), "in.csv")
    with pytest.raises(ValidationError, match="UTF-16"):
        decode_text("name".encode("utf-16"), "in.csv")
    assert (format_for("a.CSV"), format_for("b.vcf"), format_for("-", "vcf"), format_for("x.txt", "csv")) == \
        ("csv", "vcf", "vcf", "csv")
    for args in (("-",), ("x.txt",)):
        with pytest.raises(ValidationError, match="--format"):
            format_for(*args)


# ---------------------------------------------------------------- duplicates


def test_duplicates_skip_add_fail(team, now):
    ana, sol = team["ana"], team["sol"]
    old = add_client(ana, now, name="Old", email="Old@Example.com", phone="+44 7911 000001")
    add_client(sol, now, name="Sol's", email="sols@example.com")  # ana cannot see it: not her duplicate
    gone = add_client(ana, now, name="Gone", email="gone@example.com")
    Client.update(merged_into=old.id).where(Client.id == gone.id).execute()  # merged away: not a duplicate
    text = ("name,email,phone\n"
            "Same Mail,old@example.com,\n"        # 2: the existing client's e-mail, other case
            "Same Phone,,07911 000001\n"          # 3: the existing client's phone, other format
            "New,new@example.com,\n"              # 4
            "Again,NEW@example.com,\n"            # 5: the same as line 4
            "Sols,sols@example.com,\n"            # 6
            "Gone,gone@example.com,\n")           # 7
    before = Client.select().count()
    with pytest.raises(ClientImportError) as err:
        import_clients(ana, text, now, fmt="csv", duplicates="fail")
    assert err.value.what == "duplicate" and sorted(problems(err)) == [2, 3, 5]
    assert f"client {old.id}" in problems(err)[2] and "line 4" in problems(err)[5]
    assert Client.select().count() == before

    result = import_clients(ana, text, now, fmt="csv")
    assert result["imported"] == 3
    assert [(s["line"], s.get("duplicate_of"), s.get("duplicate_of_line")) for s in result["skipped"]] == \
        [(2, old.id, None), (3, old.id, None), (5, None, 4)]
    assert sorted(Client.get(Client.id == i).name for i in result["ids"]) == ["Gone", "New", "Sols"]

    result = import_clients(ana, text, now, fmt="csv", duplicates="add")
    assert result["imported"] == 6 and result["skipped"] == []
    with pytest.raises(ValidationError, match="skip, add or fail"):
        import_clients(ana, text, now, fmt="csv", duplicates="merge")


def test_manager_sees_team_duplicates(team, now):
    add_client(team["ben"], now, name="Ben's", email="bens@example.com")
    text = "name,email\nX,bens@example.com\n"
    assert import_clients(team["mia"], text, now, fmt="csv")["imported"] == 0
    assert import_clients(team["ana"], text, now, fmt="csv")["imported"] == 1


# ---------------------------------------------------------------- export: scope, order, pages, safety


def test_export_is_role_scoped_by_name_in_pages(team, now):
    for login in ("ana", "ben", "mia", "sol", "dan"):
        for i in range(3):
            add_client(team[login], now, name=f"{login} {i % 2}", email=f"{login}{i}@example.com")
    gone = add_client(team["ana"], now, name="ana merged", email="merged@example.com")
    Client.update(merged_into=gone.id - 1).where(Client.id == gone.id).execute()

    def names(login, **kw):
        rows = list(csv.DictReader(io.StringIO(export_text(team[login], "csv", page=2, **kw), newline="")))
        return [(r["name"], r["owner"]) for r in rows], [int(r["id"]) for r in rows]

    got, ids = names("ana")
    assert got == [("ana 0", "ana"), ("ana 0", "ana"), ("ana 1", "ana")] and ids[0] < ids[1]
    assert {o for _, o in names("mia")[0]} == {"ana", "ben", "mia"} and len(names("mia")[0]) == 9
    assert len(names("dan")[0]) == 15 and names("dan")[0] == sorted(names("dan")[0], key=lambda r: r[0])
    assert {o for _, o in names("sol")[0]} == {"sol"}
    assert names("ana", segment="hot")[0] == [] and len(names("ana", segment="never")[0]) == 3
    with pytest.raises(ValidationError, match="no segment 'tepid'"):
        export_clients(team["ana"], "csv", segment="tepid")
    vcf = export_text(team["sol"], "vcf", page=2)
    assert [c.fn.value for c in vobject.readComponents(vcf)] == ["sol 0", "sol 0", "sol 1"]
    export = export_clients(team["mia"], "csv", page=4)
    chunks = list(export)
    assert len(chunks) == 4 and export.count == 9  # the header, then one chunk per page of 4


def test_export_neutralises_formulas_and_escapes(team, now):
    ana = team["ana"]
    Client.create(name="=cmd|' /C calc'!A0", company="@SUM(1+1)", position="\tTab", notes="\x1b[31mred\x1b[0m"
                  " \x1b]0;title\x07bell\x07 \u202eevil", city="-5", source="+3.5", hobbies="- walking",
                  family="'=already", phone="+447911123456", owner=ana.id, team=ana.team_id,
                  created_at=now, updated_at=now)
    text = export_text(ana, "csv")
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    row = next(csv.DictReader(io.StringIO(text, newline="")))
    assert row["name"] == "'=cmd|' /C calc'!A0" and row["company"] == "'@SUM(1+1)" and row["position"] == "'\tTab"
    # shown visibly, not dropped: a spreadsheet or a terminal sees what was there and acts on none of it
    assert row["notes"] == "␛[31mred␛[0m ␛]0;title␇bell␇ <U+202E>evil"
    assert (row["city"], row["source"], row["phone"]) == ("-5", "+3.5", "+447911123456")
    assert row["hobbies"] == "'- walking" and row["family"] == "''=already"
    assert all(not needs_guard(v) or v.startswith("'") for v in row.values())
    vcf = export_text(ana, "vcf")
    assert "\x1b" not in vcf and "\x07" not in vcf
    # importing undoes the guard exactly
    Client.delete().execute()
    import_clients(ana, text, now, fmt="csv", duplicates="add")
    c = Client.get()
    assert (c.name, c.company, c.position, c.hobbies, c.family, c.city) == \
        ("=cmd|' /C calc'!A0", "@SUM(1+1)", "Tab", "- walking", "'=already", "-5")


def test_ten_thousand_rows_in_seconds(team, now):
    lines = ["name,email,phone,company,city,country,notes"]
    lines += [f"Client {i:05d},c{i}@example.com,+4479111{i:05d},Co {i},London,GB,\"note {i}\"" for i in range(10000)]
    started = time.monotonic()
    result = import_clients(team["ana"], "\n".join(lines) + "\n", now, fmt="csv")
    took = time.monotonic() - started
    assert result["imported"] == 10000 and len(set(result["ids"])) == 10000
    assert took < 30, took
    assert Audit.select().where((Audit.kind == "client") & (Audit.action == "import")).count() == 10000
    first = Client.get(Client.id == result["ids"][0])
    last = Client.get(Client.id == result["ids"][-1])
    assert (first.name, last.name, last.owner_id, last.team_id, last.created_at) == \
        ("Client 00000", "Client 09999", team["ana"].id, team["ana"].team_id, now)
    export = export_clients(team["ana"], "csv")
    sizes = [chunk.count("\n") for chunk in export]
    assert export.count == 10000 and max(sizes) <= 1000 and len(sizes) == 11


# ---------------------------------------------------------------- the real entry point


@pytest.fixture
def cli(db_url):
    def run(*args, **kw):
        return run_cli(*args, db_url=db_url, **kw)

    assert run("rep", "add", "ana", "--name", "Ana", "--team", "North").returncode == 0
    assert run("rep", "add", "sol", "--name", "Sol", "--team", "South").returncode == 0
    return run


def ok(res):
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_cli_import_and_export(cli, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("Name,Email,Phone,Notes\nAna One,one@example.com,+44 7911 123456,\"multi\nline\"\n"
                   "Two,two@example.com,,=1+1\nOne Again,ONE@example.com,,\n", encoding="utf-8")
    out = ok(cli("import", "clients", str(src), "--as", "ana", "--now", "2026-11-20T09:00:00"))
    assert out.strip() == "Imported 2 clients (1 duplicate skipped)."
    res = cli("import", "clients", str(src), "--as", "ana", "--json")
    data = json.loads(ok(res))
    assert data["imported"] == 0 and data["ids"] == [] and [s["line"] for s in data["skipped"]] == [2, 4, 5]

    text = ok(cli("export", "clients", "--format", "csv", "--as", "ana"))
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [(r["name"], r["notes"], r["owner"]) for r in rows] == [("Ana One", "multi\nline", "ana"),
                                                                   ("Two", "'=1+1", "ana")]
    assert ok(cli("export", "clients", "--as", "sol")).splitlines() == [",".join(EXPORT_COLUMNS)]

    vcf = ok(cli("export", "clients", "--format", "vcf", "--as", "ana"))
    assert [(c.fn.value, c.email.value) for c in vobject.readComponents(vcf)] == \
        [("Ana One", "one@example.com"), ("Two", "two@example.com")]
    target = tmp_path / "out.vcf"
    res = cli("export", "clients", "--format", "vcf", "--output", str(target), "--as", "ana")
    assert ok(res) == "" and "Wrote" in res.stderr and "(2 clients)" in res.stderr
    assert target.read_text(encoding="utf-8") == vcf

    # the vCard goes back in (to sol, who has none of these) from stdin
    res = cli("import", "clients", "-", "--format", "vcf", "--as", "sol", "--json", input=vcf)
    assert json.loads(ok(res))["imported"] == 2


def test_cli_import_refusals(cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email,phone\nFine,fine@example.com,\nBad,bad@,\nOk,ok@example.com,\nWorse,,12\n")
    res = cli("import", "clients", str(bad), "--as", "ana")
    assert res.returncode == 2, res
    err = res.stderr.splitlines()
    assert err[0].startswith(f"{bad}:3: E-mail 'bad@'") and err[1].startswith(f"{bad}:5: Phone '12'")
    assert err[-1] == "repdesk: Nothing was imported: 2 rows have problems." and "Traceback" not in res.stderr
    assert ok(cli("export", "clients", "--as", "ana")).count("\n") == 1  # nothing stored

    res = cli("import", "clients", str(bad), "--as", "ana", "--json")
    assert res.returncode == 2 and [e["line"] for e in json.loads(res.stdout)["errors"]] == [3, 5]

    latin = tmp_path / "latin.csv"
    latin.write_bytes("name,email\nJosé,jose@example.com\n".encode("latin-1"))
    res = cli("import", "clients", str(latin), "--as", "ana")
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "is not UTF-8 text" in res.stderr

    dup = tmp_path / "dup.vcf"
    dup.write_text("BEGIN:VCARD\nVERSION:3.0\nFN:A\nEMAIL:a@example.com\nEND:VCARD\n"
                   "BEGIN:VCARD\nVERSION:3.0\nFN:B\nEMAIL:A@example.com\nEND:VCARD\n")
    res = cli("import", "clients", str(dup), "--duplicates", "fail", "--as", "ana")
    assert res.returncode == 2 and f"{dup}:6: a duplicate of line 1" in res.stderr

    res = cli("import", "clients", "-", "--as", "ana", input="name\n")
    assert res.returncode == 2 and "--format" in res.stderr
    res = cli("import", "clients", str(tmp_path / "missing.csv"), "--as", "ana")
    assert res.returncode == 2 and "There is no file" in res.stderr
    res = cli("export", "clients", "--segment", "tepid", "--as", "ana")
    assert res.returncode == 2 and "no segment 'tepid'" in res.stderr
