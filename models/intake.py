"""Intake from files: one JSON application per line. Bad lines are reported by number and
kept in the quarantine; the good ones and the quarantine rows are stored together in one transaction.

Every outside value passes one boundary here (issue 12): text cleaned (lone surrogates replaced, NUL
removed: models.text.clean_incoming), lengths checked against the column (name and subject cut with
"…", since the text is kept whole; an e-mail address too long is an error for that line; a Message-ID
longer than its column is kept as its SHA-256, so the message still imports once), `received_at` in
the plausible window (models.validation.parse_moment), JSON nesting bounded.

Idempotent: a JSONL line without a "message_id" of its own is stored with message_id
"sha256:<hex of the line>", so re-running the same file imports nothing new; skipped lines are
counted ("skipped")."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from .audit import record
from .engine import write_txn
from .errors import ValidationError
from .tables import CHANNELS, Application, Quarantine
from .text import clean_incoming
from .validation import check_email, fit_length, normalize_phone, parse_moment

KEYS = ("channel", "received_at", "name", "email", "phone", "text", "subject", "message_id")
MAX_DEPTH = 32
RAW_KEEP = 10000


def _max(field: str) -> int:
    return Application._meta.fields[field].max_length


def check_depth(raw: str, limit: int = MAX_DEPTH) -> None:
    """A ValidationError when the JSON text RAW nests arrays/objects deeper than LIMIT (a 60 KB
    "[[[[..." would otherwise exhaust the parser's recursion)."""
    if raw.count("[") + raw.count("{") <= limit:
        return
    depth = 0
    in_str = esc = False
    for ch in raw:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                raise ValidationError(f"the JSON nests deeper than {limit} levels")
        elif ch in "]}":
            depth -= 1


def loads(raw: str | bytes):
    """json.loads with bounded nesting; every failure a ValidationError with a sentence."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError(f"not UTF-8 text (byte {exc.start})") from None
    check_depth(raw)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more than 4300 digits
        raise ValidationError(f"not valid JSON ({str(exc)[:80]})") from None


def line_hash(raw: str) -> str:
    """The message_id a line without its own is stored under: "sha256:<hex>" of the line (spaces at
    either end ignored), so the same line from any file imports once."""
    return "sha256:" + hashlib.sha256(raw.strip().encode("utf-8", "surrogatepass")).hexdigest()


def fit_message_id(mid: str | None) -> str | None:
    """A Message-ID as stored: cleaned; longer than the column, its SHA-256 (still unique, still found
    again on the next import)."""
    mid = clean_incoming(mid).strip()
    if not mid:
        return None
    if len(mid) > _max("message_id"):
        return "sha256:" + hashlib.sha256(b"message-id\0" + mid.encode("utf-8")).hexdigest()
    return mid


def clean_contact(data: dict) -> dict:
    """Name, subject, e-mail and phone fitted to their columns (see the module doc)."""
    data["name"] = fit_length(clean_incoming(data.get("name")).strip(), _max("name"), "name", "name", cut=True)
    data["subject"] = fit_length(clean_incoming(data.get("subject")).strip(), _max("subject"), "subject",
                                 "subject", cut=True)
    data["email"] = fit_length(clean_incoming(data.get("email")).strip(), _max("email"), "email", "e-mail")
    data["text"] = clean_incoming(data.get("text"))
    return data


def parse_line(raw: str, now: datetime) -> dict:
    """One line -> an application dict, or ValidationError with the reason."""
    obj = loads(raw)
    if not isinstance(obj, dict):
        raise ValidationError("not a JSON object")
    data = {k: obj.get(k) for k in KEYS}
    for k in ("name", "email", "phone", "text", "subject", "channel", "message_id"):
        if data[k] is not None and not isinstance(data[k], str):
            raise ValidationError(f"{k} must be a string")
        if data[k] is not None:
            data[k] = clean_incoming(data[k])
    channel = (data["channel"] or "").strip().lower()
    if channel not in CHANNELS:
        raise ValidationError(f"channel must be one of {', '.join(CHANNELS)}, not {channel[:20] or '(empty)'!r}")
    data["channel"] = channel
    if data["received_at"] not in (None, ""):
        if not isinstance(data["received_at"], str):
            raise ValidationError("received_at must be an ISO 8601 string")
        data["received_at"] = parse_moment(data["received_at"], "received_at", now)
    else:
        data["received_at"] = now
    if not (data["text"] or "").strip():
        raise ValidationError("text is empty")
    clean_contact(data)
    if data["email"]:
        check_email(data["email"])
    if data["phone"]:
        data["phone"] = normalize_phone(data["phone"])
    if not (data["name"] or data["email"] or data["phone"]):
        raise ValidationError("no name, e-mail or phone to answer")
    data["message_id"] = fit_message_id(data["message_id"])
    return data


def split_lines(text: str):
    """(line number, line) for TEXT split on "\\n" only ("\\r\\n" too), never on U+2028, U+2029, U+0085
    or the other separators str.splitlines() knows: line numbers are the ones an editor shows."""
    for no, raw in enumerate(text.split("\n"), start=1):
        yield no, raw[:-1] if raw.endswith("\r") else raw


def _quarantine(actor: str, bad: list[tuple[str, int | None, str, str]], now: datetime, what: str) -> int:
    """Store BAD (source, line, raw, reason) rows inside the caller's transaction (so a batch and its
    rejected lines commit together). A row already quarantined unresolved with the same source, line and
    text is not stored again (re-running a file). Returns how many were new."""
    rows = [dict(source=clean_incoming(src)[:300], line_no=no, raw=clean_incoming(raw)[:RAW_KEEP] or "(unreadable)",
                 reason=clean_incoming(why), created_at=now) for src, no, raw, why in bad]
    have = set()
    for src in {r["source"] for r in rows}:
        have |= {(src, q.line_no, q.raw) for q in Quarantine.select(Quarantine.line_no, Quarantine.raw)
                 .where((Quarantine.source == src) & (Quarantine.resolved == False))}  # noqa: E712
    rows = [r for r in rows if (r["source"], r["line_no"], r["raw"]) not in have]
    if rows:
        Quarantine.insert_many(rows).execute()
        record(actor, "quarantine", 0, "intake", new=f"{len(rows)} {what} rejected", at=now)
    return len(rows)


POOL_FROM = 4000     # lines: a larger file is read and scored in worker processes, one per core
POOL_CHUNK = 1000    # lines per task given to a worker


def _read_lines(lines: list[tuple[int, str]], now: datetime, catalog, weights, sla) -> list[tuple]:
    """(line number, the row to store or None, the error or None) for LINES: the work of a line that needs
    no database. The row is prepare_application's, scored as from a contact who is not a client yet (it
    holds the application's own fields too, so models/inbox.py scores again from it the few who are).
    Only the row crosses back from a worker process: what a line was parsed into is in it."""
    from .inbox import prepare_application

    out = []
    for no, raw in lines:
        try:
            data = parse_line(raw, now)
            if not data.get("message_id"):
                data["message_id"] = line_hash(raw)
            out.append((no, prepare_application(data, now, catalog=catalog, sla=sla, weights=weights), None))
        except ValidationError as exc:
            out.append((no, None, str(exc)))
    return out


_POOL_ARGS: tuple = ()


def _pool_init(now, catalog, weights, sla) -> None:
    global _POOL_ARGS
    _POOL_ARGS = (now, catalog, weights, sla)


def _pool_task(lines):
    return _read_lines(lines, *_POOL_ARGS)


def _workers() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def read_all(numbered: list[tuple[int, str]], now: datetime, catalog, weights, sla):
    """_read_lines of every line, in order, chunk by chunk as they are ready (an iterator of lists): in
    worker processes when there are many lines and more than one core (forked, so they share the catalog
    and the lemma tries already loaded here), else here. The caller stores a chunk while the workers read
    the next ones."""
    workers = min(_workers(), 8)
    if len(numbered) < POOL_FROM or workers < 2:
        yield _read_lines(numbered, now, catalog, weights, sla)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from concurrent.futures.process import BrokenProcessPool

    _read_lines(numbered[:1], now, catalog, weights, sla)  # the tries loaded before the fork, not once per worker
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else methods[0])
    chunks = [numbered[i:i + POOL_CHUNK] for i in range(0, len(numbered), POOL_CHUNK)]
    done = 0
    try:
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_pool_init,
                                   initargs=(now, catalog, weights, sla))
        try:
            for part in pool.map(_pool_task, chunks):
                done += 1
                yield part
        finally:  # the caller failed or stopped early: the chunks not started are dropped, not read
            pool.shutdown(wait=True, cancel_futures=True)
    except (OSError, BrokenProcessPool):  # no processes here (no /dev/shm, a process limit): one is enough
        for chunk in chunks[done:]:
            yield _read_lines(chunk, now, catalog, weights, sla)


def intake_jsonl(actor: str, text: str, source: str, now: datetime) -> dict:
    """Import TEXT (JSONL). Result: imported, ids, skipped (already imported), rejected [{line, reason}]."""
    from . import settings
    from .inbox import add_applications, arrivals_in_bulk
    from .scoring import load_catalog

    catalog = load_catalog()
    weights = settings.get("scoring.weights") or {}  # the same for every line, in every worker
    sla = settings.get("sla.minutes")
    lines = text.split("\n")
    numbered = [(no, raw) for no, raw in split_lines(text) if raw.strip()]
    bad: list[tuple[int, str, str]] = []
    ids: list[int | None] = []
    failed: set[int] = set()
    with write_txn(), arrivals_in_bulk() as bulk:  # one transaction: every good line stored, or none
        for part in read_all(numbered, now, catalog, weights, sla):
            nos, rows = [], []
            for no, row, error in part:
                if row is None:
                    bad.append((no, lines[no - 1].rstrip("\r"), error))
                    continue
                nos.append(no)
                rows.append(row)
            if not rows:
                continue
            later: list[tuple[int, str]] = []
            first = len(ids)
            ids += add_applications(actor, rows, now, rejected=later, prepared=rows, catalog=catalog,
                                    weights=weights, sla=sla, audit=False)
            bulk.index_new()
            for i, why in later:
                failed.add(first + i)
                bad.append((nos[i], lines[nos[i] - 1].rstrip("\r"), why))
        made = [i for i in ids if i is not None]
        if made:
            record(actor, "application", made[0], "intake",
                   new=f"{len(made)} application(s), ids {made[0]}..{made[-1]}", at=now)
        bad.sort(key=lambda b: b[0])
        if bad:
            _quarantine(actor, [(source, no, raw, why) for no, raw, why in bad], now,
                        f"line(s) of {clean_incoming(source)[:200]}")
    return dict(imported=len(made), ids=made,
                skipped=sum(1 for k, i in enumerate(ids) if i is None and k not in failed),
                rejected=[dict(line=no, reason=why) for no, _raw, why in bad])


# ---------------------------------------------------------------- e-mail

def read_messages(path: str):
    """Yield (label, EmailMessage or Exception) from a .eml file, a Maildir folder or an mbox file."""
    import email
    import mailbox
    import os
    from email import policy

    def parse_bytes(data: bytes):
        return email.message_from_bytes(data, policy=policy.default)

    if os.path.isdir(path):
        if not all(os.path.isdir(os.path.join(path, d)) for d in ("cur", "new", "tmp")):
            raise ValidationError(f"{path} is a folder but not a Maildir (it needs cur/, new/ and tmp/).")
        box = mailbox.Maildir(path, factory=None, create=False)
        for key in sorted(box.keys()):
            try:
                yield f"{path}:{key}", parse_bytes(box.get_bytes(key))
            except Exception as exc:  # one unreadable message must not stop the rest
                yield f"{path}:{key}", exc
        return
    if not os.path.exists(path):
        raise ValidationError(f"There is no file or folder {path}.")
    with open(path, "rb") as fh:
        head = fh.read(5)
    if head.startswith(b"From "):
        box = mailbox.mbox(path, create=False)
        for i, key in enumerate(box.keys(), start=1):
            try:
                yield f"{path}#{i}", parse_bytes(box.get_bytes(key))
            except Exception as exc:
                yield f"{path}#{i}", exc
        return
    with open(path, "rb") as fh:
        yield path, parse_bytes(fh.read())


def _html_to_text(html: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "head", "title"]):
        tag.decompose()
    text = soup.get_text(separator="\n")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _received(msg, now: datetime) -> datetime:
    """The message's Date in UTC; NOW when it is missing, unreadable or outside the plausible window
    (a mail is never refused for its Date header)."""
    from email.utils import parsedate_to_datetime

    from .clock import to_utc
    from .validation import check_moment

    if not msg["Date"]:
        return now
    try:
        return check_moment(to_utc(parsedate_to_datetime(str(msg["Date"]))), "received_at", now)
    except (TypeError, ValueError, OverflowError, IndexError):
        return now


def message_to_application(msg, now: datetime) -> dict:
    """An e-mail application from a message: sender, subject, plain text (HTML-only mail converted)."""
    sender = msg["From"]
    name = email_addr = ""
    if sender is not None and getattr(sender, "addresses", None):
        addr = sender.addresses[0]
        name, email_addr = addr.display_name or "", addr.addr_spec or ""
    email_addr = clean_incoming(email_addr).strip()
    if not email_addr:
        raise ValidationError("the message has no sender address")
    body = msg.get_body(preferencelist=("plain",))
    if body is not None:
        text = body.get_content()
    else:
        html = msg.get_body(preferencelist=("html",))
        text = _html_to_text(html.get_content()) if html is not None else ""
    text = clean_incoming(text)
    subject = clean_incoming(msg["Subject"] or "").strip()
    if not text.strip() and not subject:
        raise ValidationError("the message has neither subject nor text")
    data = clean_contact(dict(channel="email", received_at=_received(msg, now), name=name, email=email_addr,
                              phone="", subject=subject, text=text.strip() or subject,
                              message_id=fit_message_id(str(msg["Message-ID"] or ""))))
    return data


def intake_email(actor: str, path: str, now: datetime) -> dict:
    """Import a .eml, Maildir or mbox; a message already imported (same Message-ID) is skipped. The
    imported messages and the quarantined ones commit in one transaction."""
    from .inbox import add_applications

    good, labels, bad = [], [], []
    for label, msg in read_messages(path):
        if isinstance(msg, Exception):
            bad.append((label, "", f"cannot be read ({msg})"))
            continue
        try:
            good.append(message_to_application(msg, now))
            labels.append(label)
        except ValidationError as exc:
            bad.append((label, _raw_message(msg), str(exc)))
        except Exception as exc:  # a broken MIME structure
            bad.append((label, "", f"cannot be parsed ({type(exc).__name__}: {exc})"))
    # the same Message-ID twice inside one mailbox counts once
    seen, unique, ulabels, dupes = set(), [], [], 0
    for d, label in zip(good, labels):
        if d["message_id"] and d["message_id"] in seen:
            dupes += 1
            continue
        seen.add(d["message_id"])
        unique.append(d)
        ulabels.append(label)
    later: list[tuple[int, str]] = []
    with write_txn():
        ids = add_applications(actor, unique, now, rejected=later) if unique else []
        bad += [(ulabels[i], "", why) for i, why in later]
        if bad:
            _quarantine(actor, [(label, None, raw, why) for label, raw, why in bad], now,
                        f"message(s) of {clean_incoming(path)[:200]}")
    failed = {i for i, _ in later}
    dupes += sum(1 for k, i in enumerate(ids) if i is None and k not in failed)
    return dict(imported=sum(1 for i in ids if i is not None), ids=[i for i in ids if i is not None],
                duplicates=dupes, rejected=[dict(message=label, reason=why) for label, _raw, why in bad])


def _raw_message(msg) -> str:
    try:
        return str(msg)[:RAW_KEEP]
    except Exception:  # a header that cannot be rendered again
        return ""
