"""Client import and export: CSV and vCard, all rows or none.

Import (`import_clients`): the file is decoded (UTF-8, a BOM is fine), every row or card is parsed
and validated with the client card's own rules (`clients.clean_fields`, `clients.check_required`,
the columns' lengths) before anything is stored. A bad row makes the whole import fail with
`ClientImportError`, which lists every bad row by the physical line where its CSV record or vCard
starts (the header is line 1). Rows whose e-mail or phone matches a client the importer can see
(not merged away) or an earlier row of the same file are duplicates: skipped, added, or refused
(`duplicates="skip" | "add" | "fail"`). The rest is stored in one transaction with batched inserts,
owned by the importing rep, each with its audit row.

Export (`export_clients`): the clients the acting rep may see, not merged ones, by name then id,
read in keyset pages and written page by page (never the whole table in memory). Every cell passes
the one output filter (models.outfilter): escape sequences, control and format characters are shown
visibly, not written raw (a card never stores them, clients.clean_fields strips them; only data that
came in some other way shows them). CSV cells are guarded against spreadsheet formula injection;
importing such a file undoes the guard, so export then import gives back the same clients. vCard is
version 3.0, as phones' contacts apps read it, with the fields a phone has no place for kept in
X-REPDESK-* properties.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterator

from .clients import CARD_FIELDS, LABELS, check_required, clean_fields, required_specs
from .errors import ValidationError

FORMATS = ("csv", "vcf")
DUPLICATES = ("skip", "add", "fail")
EXPORT_EXTRA = ("id", "owner", "segment", "last_purchase_at")
EXPORT_COLUMNS = CARD_FIELDS + EXPORT_EXTRA
PAGE = 1000  # export keyset page
_ROW_BATCH = 400  # rows per multi-row INSERT (well under SQLite's bound-variable limit)
_DUP_BATCH = 300  # e-mails / phones per duplicate lookup

# ---------------------------------------------------------------- errors


class ClientImportError(ValidationError):
    """Some rows of a file were bad (or duplicates, with duplicates="fail"); nothing was stored.

    `problems` is a list of (line, reason): the physical line where the row or card starts.
    """

    def __init__(self, source: str, problems: list[tuple[int, str]], what: str = "bad"):
        self.source = source
        self.problems = sorted(problems, key=lambda p: p[0])
        self.what = what
        n = len(self.problems)
        first_line, first_reason = self.problems[0]
        rows = "row" if n == 1 else "rows"
        super().__init__(f"Nothing was imported: {source} has {n} {what} {rows} "
                         f"(the first on line {first_line}: {first_reason.rstrip('.')}).")

    def lines(self) -> list[str]:
        """One `FILE:LINE: reason` per problem, made safe for a terminal."""
        from .text import one_line

        return [f"{one_line(self.source)}:{line}: {one_line(reason)}" for line, reason in self.problems]


# ---------------------------------------------------------------- decoding and format


def decode_text(data: bytes | str, source: str = "-") -> str:
    """DATA as text: UTF-8 (a leading BOM is dropped), else one clear sentence."""
    if isinstance(data, str):
        return data[1:] if data.startswith("\ufeff") else data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValidationError(f"{source} is UTF-16 text, not UTF-8; save it as UTF-8 and import it again.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ValidationError(f"{source} is not UTF-8 text (a byte on line {line} cannot be read); "
                              f"save it as UTF-8 and import it again.") from None


def _lines_of(text: str) -> list[str]:
    """Physical lines, split the way editors and the csv module count them (\\r\\n, \\n or \\r)."""
    return re.split(r"\r\n|\r|\n", text)


# ---------------------------------------------------------------- validation of one row


@dataclass
class Row:
    line: int
    values: dict
    label: str = ""  # the name, for messages


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)


class _Validator:
    """The card's rules for many rows: `clients.clean_fields` for every field and
    `clients.check_required` for the row, with the settings they read looked up once per file.

    Phones go through `validation.normalize_phone`, the normaliser clean_fields uses, with the
    `phone.region` setting read once; check_required looks only at which fields are filled, so its
    verdict is kept per pattern of filled fields (a file has few), not asked again for every row.
    """

    def __init__(self):
        from .settings import get
        from .tables import Client

        self.lengths = {f: getattr(Client._meta.fields[f], "max_length", None) for f in CARD_FIELDS}
        try:
            self.region = get("phone.region")
        except Exception:
            self.region = "GB"
        self._required: dict[frozenset, str | None] = {}

    def __call__(self, raw: dict) -> tuple[dict | None, list[str]]:
        """Clean RAW; return (values of every card field, []) or (None, [reasons])."""
        from .validation import normalize_phone

        values: dict = {}
        errors: list[str] = []
        for key, value in raw.items():
            if isinstance(value, str) and "\x00" in value:
                errors.append(f"{LABELS.get(key, key)} contains a NUL character")
                continue
            if isinstance(value, str) and "\r" in value:
                value = value.replace("\r\n", "\n").replace("\r", "\n")  # stored text ends lines with \n
            if key == "country" and isinstance(value, str) and value.strip():
                value = country_code(value)  # "Germany" -> "DE"; what is no country is left to clean_fields
            try:
                if key == "phone":
                    values[key] = normalize_phone(value, self.region)
                else:
                    values.update(clean_fields({key: value}))
            except ValidationError as exc:
                errors.append(str(exc).rstrip("."))
        for key, limit in self.lengths.items():
            v = values.get(key)
            if limit and isinstance(v, str) and len(v) > limit:
                errors.append(f"{LABELS.get(key, key)} is longer than {limit} characters")
        if errors:
            return None, errors
        full = {k: values.get(k) for k in CARD_FIELDS}
        filled = frozenset(k for k, v in full.items() if v)
        if filled not in self._required:
            try:
                check_required(full)
                self._required[filled] = None
            except ValidationError as exc:
                self._required[filled] = str(exc).rstrip(".")
        if self._required[filled]:
            return None, [self._required[filled]]
        if not full["name"]:  # the table needs a name whatever client.required says
            return None, ["A client needs a name"]
        return full, []


_COUNTRIES: dict[str, str] | None = None
_COUNTRY_ALIASES = {"uk": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
                    "great britain": "GB", "britain": "GB", "usa": "US", "u.s.a.": "US", "u.s.": "US",
                    "america": "US", "united states of america": "US", "holland": "NL", "the netherlands": "NL",
                    "czech republic": "CZ", "russia": "RU", "south korea": "KR", "korea": "KR", "uae": "AE"}


def country_code(value: str) -> str:
    """A two-letter country code from a code or a country's name (in many languages); VALUE as it
    is when it names no country."""
    global _COUNTRIES
    v = value.strip()
    if re.fullmatch(r"[A-Za-z]{2}", v):
        return v.upper()
    key = " ".join(v.casefold().split())
    if key in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[key]
    if _COUNTRIES is None:
        from phonenumbers.geodata.locale import LOCALE_DATA

        names: dict[str, str] = {}
        for code, by_lang in LOCALE_DATA.items():
            if not re.fullmatch(r"[A-Z]{2}", code):
                continue
            for name in by_lang.values():
                if name and not name.startswith("*"):
                    names.setdefault(" ".join(name.casefold().split()), code)
        _COUNTRIES = names
    return _COUNTRIES.get(key, v)


# ---------------------------------------------------------------- CSV

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")
_PHONE = re.compile(r"\+\d[\d ().-]*")


def needs_guard(value: str) -> bool:
    """Would a spreadsheet run VALUE as a formula? (plain numbers and +phone numbers are safe)"""
    value = value.lstrip("'")  # "'=x" is guarded too, so that the guard can always be undone exactly
    if not value or value[0] not in _TRIGGERS:
        return False
    return not (_NUMBER.fullmatch(value) or _PHONE.fullmatch(value))


def guard_cell(value: str) -> str:
    return "'" + value if needs_guard(value) else value


def unguard_cell(value: str) -> str:
    return value[1:] if value.startswith("'") and needs_guard(value[1:]) else value


def _norm_header(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


ALIASES: dict[str, str] = {}
for _field, _names in {
    "name": ["name", "full name", "fullname", "contact name", "contact", "display name", "client", "client name",
             "customer", "customer name"],
    "company": ["company", "company name", "organization", "organisation", "org", "organization name",
                "employer", "place of work", "business"],
    "position": ["position", "title", "job title", "job", "role", "job position"],
    "email": ["email", "e-mail", "e mail", "email address", "e-mail address", "mail", "email 1", "primary email"],
    "phone": ["phone", "phone number", "telephone", "tel", "mobile", "mobile phone", "mobile number", "cell",
              "cell phone", "cellphone", "phone 1", "primary phone"],
    "birth_date": ["birth date", "birthdate", "birthday", "date of birth", "dob", "born"],
    "hobbies": ["hobbies", "hobby", "interests"],
    "marital_status": ["marital status", "marital", "civil status"],
    "family": ["family"],
    "preferences": ["preferences", "preference"],
    "notes": ["notes", "note", "comments", "comment", "remarks"],
    "address": ["address", "street", "street address", "address line", "address 1"],
    "city": ["city", "town", "locality"],
    "country": ["country", "country code", "country/region"],
    "source": ["source", "lead source", "channel", "origin"],
}.items():
    for _name in _names + [_field]:
        ALIASES[_norm_header(_name)] = _field
IGNORED_COLUMNS = {_norm_header(c) for c in EXPORT_EXTRA}  # written by the export, not card fields: skipped


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_csv(text: str, *, ignore_unknown: bool = False) -> Parsed:
    """Every record of a CSV file with a header row, validated; problems by the record's first line."""
    out = Parsed()
    if not text.strip():
        out.problems.append((1, "the file is empty; expected a header row such as name,email,phone"))
        return out
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(_lines_of(text[:10000])[0]))
    try:
        header = next(reader)
    except csv.Error as exc:
        out.problems.append((1, f"the header row is not valid CSV ({exc})"))
        return out
    columns: list[str | None] = []
    unknown, seen = [], {}
    for i, raw_name in enumerate(header):
        key = _norm_header(raw_name)
        target = ALIASES.get(key)
        if target is None:
            if key and key not in IGNORED_COLUMNS:
                unknown.append(raw_name.strip())
            columns.append(None)
            continue
        if target in seen:
            out.problems.append((1, f"the columns {header[seen[target]].strip()!r} and {raw_name.strip()!r} "
                                    f"both mean {target}; keep one"))
        seen[target] = i
        columns.append(target)
    if unknown and not ignore_unknown:
        out.problems.append((1, f"unknown column{'s' if len(unknown) > 1 else ''} "
                                f"{', '.join(repr(u) for u in unknown)} (the columns are {', '.join(CARD_FIELDS)}; "
                                f"or have unknown columns ignored)"))
    for names in [["name"]] + required_specs():
        if not any(n in seen for n in names):
            out.problems.append((1, f"there is no {' or '.join(names)} column (a client needs "
                                    f"{' or '.join(LABELS.get(n, n).lower() for n in names)})"))
            break
    if out.problems:
        return out
    validate = _Validator()
    width = len(header)
    start = reader.line_num + 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != width:
                hint = " (is a quote left open?)" if any("\n" in c or "\r" in c for c in record) else ""
                out.problems.append((line, f"expected {width} columns as in the header, found {len(record)}{hint}"))
                continue
            raw = {}
            for target, cell in zip(columns, record):
                if target is None:
                    continue
                cell = unguard_cell(cell)
                if target in ("phone", "birth_date"):
                    cell = cell.strip().lstrip("'")  # a spreadsheet's "keep as text" mark
                raw[target] = cell
            values, errors = validate(raw)
            if errors:
                out.problems.append((line, "; ".join(errors)))
            else:
                out.rows.append(Row(line, values, values["name"]))
    except csv.Error as exc:
        out.problems.append((start, f"this is not valid CSV ({exc})"))
    return out


# ---------------------------------------------------------------- vCard


def _unescape(value: str, v21: bool = False) -> str:
    """A vCard text value: 3.0 and 4.0 escape \\n \\, \\; \\\\; 2.1 escapes only \\; (a backslash is a backslash)."""
    if v21:
        return value.replace("\\;", ";")
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value, flags=re.S)


def _split(value: str, sep: str = ";", v21: bool = False) -> list[str]:
    """Split a structured value on unescaped SEP, then unescape each part."""
    parts, cur, i = [], [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            cur.append(value[i:i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return [_unescape(p, v21).strip() for p in parts]


def _types(line) -> set[str]:
    out = {p.lower() for p in line.singletonparams}
    for v in line.params.get("TYPE", []):
        out.update(t.strip().strip('"').lower() for t in v.split(","))
    return out


def _bday(line) -> tuple[str | None, str | None]:
    """(ISO date, or None; a yearless birthday for the notes, or None)."""
    v = line.value.replace("\\", "").strip()
    if line.params.get("X-APPLE-OMIT-YEAR"):
        m = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2}).*", v)
        if m and m.group(1) == line.params["X-APPLE-OMIT-YEAR"][0]:
            return None, f"--{m.group(2)}-{m.group(3)}"
    m = re.fullmatch(r"--(\d{2})-?(\d{2})", v)
    if m:
        return None, f"--{m.group(1)}-{m.group(2)}"
    m = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})(?:T.*)?", v)
    if m:
        return "-".join(m.groups()), None
    return v, None  # clean_fields says why it is not a date


X_FIELDS = ("hobbies", "marital_status", "family", "preferences", "source")


def _card_fields(props: dict[str, list]) -> dict:
    """The client card's fields from one vCard's content lines (by upper-case name)."""
    def first(name):
        lines = props.get(name)
        return lines[0] if lines else None

    version = first("VERSION")
    v21 = version is not None and version.value.strip() == "2.1"

    def unescape(value: str) -> str:
        return _unescape(value, v21)

    def split(value: str) -> list[str]:
        return _split(value, v21=v21)

    raw: dict = {}
    fn = first("FN")
    name = unescape(fn.value).strip() if fn is not None else ""
    n = first("N")
    if not name and n is not None:
        parts = (split(n.value) + [""] * 5)[:5]  # family; given; additional; prefix; suffix
        name = " ".join(p for p in (parts[3], parts[1], parts[2], parts[0], parts[4]) if p)
    org = first("ORG")
    company = split(org.value)[0] if org is not None else ""
    raw["name"] = name or company
    raw["company"] = company
    title = first("TITLE") or first("ROLE")
    raw["position"] = unescape(title.value) if title is not None else ""
    email = first("EMAIL")
    if email is not None:
        raw["email"] = re.sub(r"^mailto:", "", unescape(email.value).strip(), flags=re.I)
    tels = props.get("TEL", [])
    if tels:
        cell = next((t for t in tels if _types(t) & {"cell", "mobile", "iphone"}), tels[0])
        number = unescape(cell.value).strip()
        number = re.sub(r"^tel:", "", number, flags=re.I)
        number = re.sub(r";ext=", " ext. ", number, flags=re.I)
        raw["phone"] = number
    notes = [unescape(x.value).strip() for x in props.get("NOTE", []) if x.value.strip()]
    bday = first("BDAY")
    if bday is not None:
        raw["birth_date"], yearless = _bday(bday)
        if yearless:
            notes.append(f"Birthday (no year): {yearless}")
    adr = first("ADR")
    if adr is not None:
        box, ext, street, city, region, code, country = (split(adr.value) + [""] * 7)[:7]
        tail = " ".join(p for p in (code, region) if p)
        raw["address"] = ", ".join(p for p in (street, ext, box, tail) if p)
        raw["city"] = city
        raw["country"] = country
    raw["notes"] = "\n".join(notes)
    for f in X_FIELDS:
        x = first("X-REPDESK-" + f.upper().replace("_", "-"))
        if x is not None:
            raw[f] = unescape(x.value)
    return raw


def _cards(lines: list[str], out: Parsed) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each BEGIN:VCARD ... END:VCARD; stray text is a problem."""
    depth, start, buf, stray = 0, 0, [], None
    for no, line in enumerate(lines, 1):
        word = line.strip().upper()
        if depth == 0:
            if word == "BEGIN:VCARD":
                depth, start, buf = 1, no, [line]
            elif word and stray is None:
                stray = no
                out.problems.append((no, "text outside BEGIN:VCARD ... END:VCARD; is this a vCard file?"))
            continue
        buf.append(line)
        if word == "BEGIN:VCARD":  # a nested card (vCard 2.1 AGENT)
            depth += 1
        elif word == "END:VCARD":
            depth -= 1
            if depth == 0:
                yield start, "\r\n".join(buf) + "\r\n"
    if depth:
        out.problems.append((start, "this vCard has no END:VCARD"))


def parse_vcf(text: str) -> Parsed:
    """Every vCard (2.1, 3.0, 4.0) of a file, validated; problems by the card's BEGIN line.

    vobject's content-line parser reads each line (folding, parameters, quoted-printable); the
    values are unescaped here, because vobject's text decoding keeps only what comes before the
    first unescaped comma (which vCard 2.1 files and many hand-made ones have).
    """
    from vobject.base import ParseError, getLogicalLines, textLineToContentLine

    out = Parsed()
    validate = _Validator()
    count = 0
    for start, chunk in _cards(_lines_of(text), out):
        count += 1
        props: dict[str, list] = {}
        depth, bad = 0, None
        for logical, _n in getLogicalLines(io.StringIO(chunk)):
            try:
                cl = textLineToContentLine(logical)
            except (ParseError, UnicodeError, LookupError, ValueError) as exc:
                bad = f"a line of this vCard cannot be read ({str(exc).splitlines()[0][:120]})"
                break
            if cl.name == "BEGIN":
                depth += 1
                continue
            if cl.name == "END":
                depth -= 1
                continue
            if depth == 1:  # not the lines of a nested AGENT card
                props.setdefault(cl.name.upper(), []).append(cl)
        if bad:
            out.problems.append((start, bad))
            continue
        values, errors = validate(_card_fields(props))
        if errors:
            out.problems.append((start, "; ".join(errors)))
        else:
            out.rows.append(Row(start, values, values["name"]))
    if count == 0 and not out.problems:
        out.problems.append((1, "there is no vCard in this file (no BEGIN:VCARD line)"))
    return out


# ---------------------------------------------------------------- import


def parse(text: str, fmt: str, *, ignore_unknown: bool = False) -> Parsed:
    if fmt == "csv":
        return parse_csv(text, ignore_unknown=ignore_unknown)
    if fmt == "vcf":
        return parse_vcf(text)
    raise ValidationError(f"The format {fmt!r} is not one repdesk reads; use csv or vcf.", field="format")


def _email_key(email: str | None) -> str | None:
    return email.casefold() if email else None


def find_duplicates(actor, rows: list[Row]) -> dict[int, dict]:
    """Index in ROWS -> {line, name, reason, duplicate_of[_line]} for rows whose e-mail or phone is
    already a visible, not merged client's or an earlier row's."""
    from .access import scope
    from .tables import Client

    emails = sorted({e for r in rows if (e := r.values.get("email"))} |
                    {e.casefold() for r in rows if (e := r.values.get("email"))})
    phones = sorted({p for r in rows if (p := r.values.get("phone"))})
    known_email: dict[str, int] = {}
    known_phone: dict[str, int] = {}
    for i in range(0, max(len(emails), len(phones)), _DUP_BATCH):
        part_e, part_p = emails[i:i + _DUP_BATCH], phones[i:i + _DUP_BATCH]
        cond = None
        if part_e:
            cond = Client.email.in_(part_e)
        if part_p:
            cond = Client.phone.in_(part_p) if cond is None else (cond | Client.phone.in_(part_p))
        q = scope(Client.select(Client.id, Client.email, Client.phone)
                  .where(Client.merged_into.is_null() & cond), actor, Client.owner, Client.team)
        for c in q.order_by(Client.id):
            if c.email:
                known_email.setdefault(c.email.casefold(), c.id)
            if c.phone:
                known_phone.setdefault(c.phone, c.id)
    out: dict[int, dict] = {}
    file_email: dict[str, int] = {}
    file_phone: dict[str, int] = {}
    for i, r in enumerate(rows):
        e, p = _email_key(r.values.get("email")), r.values.get("phone")
        hit = None
        if e and e in known_email:
            hit = dict(reason=f"a duplicate of client {known_email[e]} (same e-mail {r.values['email']})",
                       duplicate_of=known_email[e])
        elif p and p in known_phone:
            hit = dict(reason=f"a duplicate of client {known_phone[p]} (same phone {p})", duplicate_of=known_phone[p])
        elif e and e in file_email:
            hit = dict(reason=f"a duplicate of line {file_email[e]} (same e-mail {r.values['email']})",
                       duplicate_of_line=file_email[e])
        elif p and p in file_phone:
            hit = dict(reason=f"a duplicate of line {file_phone[p]} (same phone {p})", duplicate_of_line=file_phone[p])
        if hit:
            out[i] = dict(line=r.line, name=r.label, **hit)
        if e:
            file_email.setdefault(e, r.line)
        if p:
            file_phone.setdefault(p, r.line)
    return out


def _insert_clients(rows: list[dict]) -> list[int]:
    from .engine import insert_many_ids
    from .tables import Client

    return insert_many_ids(Client, rows, _ROW_BATCH)


def import_clients(actor, data: bytes | str, now: datetime, *, fmt: str, source: str = "-",
                   duplicates: str = "skip", ignore_unknown: bool = False) -> dict:
    """Import a CSV or vCard file's clients for ACTOR: all of them or, on any bad row, none.

    Returns {"imported": N, "skipped": [{line, name, reason, duplicate_of | duplicate_of_line}], "ids": [...]}.
    Raises ClientImportError (bad rows, or duplicates with duplicates="fail"), ValidationError.
    """
    from .engine import write_txn
    from .tables import Audit

    if duplicates not in DUPLICATES:
        raise ValidationError(f"Duplicates are skipped, added or fail the import (skip, add or fail), not {duplicates!r}.", field="duplicates")
    parsed = parse(decode_text(data, source), fmt, ignore_unknown=ignore_unknown)
    if parsed.problems:
        raise ClientImportError(source, parsed.problems)
    rows = parsed.rows
    with write_txn():  # duplicates are looked up under the write lock: nobody adds one meanwhile
        from .engine import database, is_postgres

        if is_postgres():  # SQLite's BEGIN IMMEDIATE serialises imports; PostgreSQL needs a lock of its own
            database.execute_sql("SELECT pg_advisory_xact_lock(4243)")
        dups = find_duplicates(actor, rows) if duplicates != "add" else {}
        if dups and duplicates == "fail":
            raise ClientImportError(source, [(d["line"], d["reason"]) for d in dups.values()], what="duplicate")
        keep = [r for i, r in enumerate(rows) if i not in dups]
        base = dict(owner=actor.id, team=actor.team_id, created_at=now, updated_at=now)
        ids = _insert_clients([{**r.values, **base} for r in keep])
        audit = [dict(at=now, actor=actor.login, kind="client", record_id=cid, action="import", field=None,
                      old=None, new=r.values["name"]) for cid, r in zip(ids, keep)]
        for i in range(0, len(audit), 1000):
            Audit.insert_many(audit[i:i + 1000]).execute()
    return dict(imported=len(ids), skipped=list(dups.values()), ids=ids)


# ---------------------------------------------------------------- export

def clean_text(value) -> str:
    """VALUE through the one output filter (models.outfilter.terminal_text), line ends as \\n: escape
    sequences, control characters (newlines and tabs stay), bidirectional overrides, other format
    characters, U+2028/U+2029 and lone surrogates shown visibly ("\\x1b[31m" as "␛[31m", U+202E as
    "<U+202E>"), not dropped. A card never stores them (clients.clean_fields strips them), so export then
    import still gives back the same clients; what came in some other way is shown, not hidden."""
    from .outfilter import terminal_text

    if value is None:
        return ""
    return terminal_text(str(value).replace("\r\n", "\n"))


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        from .clock import iso

        return value.isoformat() if not isinstance(value, datetime) else iso(value)
    return guard_cell(clean_text(value))


class ClientExport:
    """The export as an iterable of text chunks, one keyset page at a time; `count` when done."""

    def __init__(self, actor, fmt: str, segment: str | None = None, page: int = PAGE):
        from .segments import SEGMENTS

        if fmt not in FORMATS:
            raise ValidationError(f"The format {fmt!r} is not one repdesk writes; use csv or vcf.", field="format")
        if segment is not None and segment not in SEGMENTS:
            raise ValidationError(f"There is no segment {segment!r}; the segments are {', '.join(SEGMENTS)}.",
                                  field="segment")
        self.actor, self.fmt, self.segment, self.page = actor, fmt, segment, page
        self.count = 0
        self._logins: dict[int, str] = {}

    def clients(self) -> Iterator[list]:
        from .clients import client_page

        after = None
        while True:
            rows = client_page(self.actor, after=after, limit=self.page, segment=self.segment)
            if not rows:
                return
            self._load_logins(rows)
            yield rows
            if len(rows) < self.page:
                return
            after = (rows[-1].name, rows[-1].id)

    def _load_logins(self, rows) -> None:
        from .tables import Rep

        missing = {c.owner_id for c in rows if c.owner_id is not None} - set(self._logins)
        if missing:
            for rep in Rep.select(Rep.id, Rep.login).where(Rep.id.in_(sorted(missing))):
                self._logins[rep.id] = rep.login

    def __iter__(self) -> Iterator[str]:
        self.count = 0
        if self.fmt == "csv":
            yield from self._csv()
        else:
            yield from self._vcf()

    def _csv(self) -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(EXPORT_COLUMNS)
        yield buf.getvalue()
        for page in self.clients():
            buf.seek(0)
            buf.truncate()
            for c in page:
                writer.writerow([_csv_cell(getattr(c, f)) for f in CARD_FIELDS] +
                                [str(c.id), _csv_cell(self._logins.get(c.owner_id)), _csv_cell(c.segment),
                                 _csv_cell(c.last_purchase_at)])
            self.count += len(page)
            yield buf.getvalue()

    def _vcf(self) -> Iterator[str]:
        for page in self.clients():
            yield "".join(vcard(c).serialize() for c in page)
            self.count += len(page)


def vcard(c):
    """One client as a vobject vCard 3.0 component."""
    import vobject

    card = vobject.vCard()
    name = clean_text(c.name) or "?"
    card.add("fn").value = name
    words = name.replace("\n", " ").split()
    card.add("n").value = vobject.vcard.Name(family=words[-1] if len(words) > 1 else name,
                                             given=" ".join(words[:-1]) if len(words) > 1 else "")
    if c.email:
        line = card.add("email")
        line.value = clean_text(c.email)
        line.type_param = "INTERNET"
    if c.phone:
        line = card.add("tel")
        line.value = clean_text(c.phone)
        line.type_param = "CELL"
    if c.company:
        card.add("org").value = [clean_text(c.company)]
    if c.position:
        card.add("title").value = clean_text(c.position)
    if c.birth_date:
        card.add("bday").value = c.birth_date.isoformat()
    if c.address or c.city or c.country:
        card.add("adr").value = vobject.vcard.Address(street=clean_text(c.address), city=clean_text(c.city),
                                                      country=clean_text(c.country))
    if c.notes:
        card.add("note").value = clean_text(c.notes)
    for f in X_FIELDS:
        value = getattr(c, f)
        if value:
            card.add("x-repdesk-" + f.replace("_", "-")).value = clean_text(value)
    card.add("uid").value = f"repdesk-client-{c.id}"
    return card


def export_clients(actor, fmt: str, segment: str | None = None, page: int = PAGE) -> ClientExport:
    """The clients ACTOR may see, not merged ones, by name then id, as CSV or vCard text chunks."""
    return ClientExport(actor, fmt, segment, page)


