"""Intake from files: one JSON application per line. Bad lines are reported by number and
kept in the quarantine; the good ones are stored together in one transaction."""
from __future__ import annotations

import json
from datetime import datetime

from .audit import record
from .clock import parse_iso
from .engine import write_txn
from .errors import ValidationError
from .tables import CHANNELS, Quarantine

KEYS = ("channel", "received_at", "name", "email", "phone", "text", "subject")


def parse_line(raw: str, now: datetime) -> dict:
    """One line -> an application dict, or ValidationError with the reason."""
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise ValidationError("not a JSON object")
    data = {k: obj.get(k) for k in KEYS}
    for k in ("name", "email", "phone", "text", "subject", "channel"):
        if data[k] is not None and not isinstance(data[k], str):
            raise ValidationError(f"{k} must be a string")
    channel = (data["channel"] or "").strip().lower()
    if channel not in CHANNELS:
        raise ValidationError(f"channel must be one of {', '.join(CHANNELS)}, not {channel or '(empty)'!r}")
    data["channel"] = channel
    if data["received_at"]:
        if not isinstance(data["received_at"], str):
            raise ValidationError("received_at must be an ISO 8601 string")
        try:
            data["received_at"] = parse_iso(data["received_at"])
        except ValueError as exc:
            raise ValidationError(f"received_at: {exc}") from None
    else:
        data["received_at"] = now
    if not (data["text"] or "").strip():
        raise ValidationError("text is empty")
    if data["email"]:
        from .validation import normalize_email

        normalize_email(data["email"])
    if data["phone"]:
        from .validation import normalize_phone

        data["phone"] = normalize_phone(data["phone"])
    if not (data["name"] or data["email"] or data["phone"]):
        raise ValidationError("no name, e-mail or phone to answer")
    return data


def intake_jsonl(actor: str, text: str, source: str, now: datetime) -> dict:
    from .inbox import add_applications

    good, bad = [], []
    for no, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            good.append(parse_line(raw, now))
        except ValidationError as exc:
            bad.append((no, raw, str(exc)))
    ids = add_applications(actor, good, now) if good else []
    if bad:
        with write_txn():
            Quarantine.insert_many([dict(source=source[:300], line_no=no, raw=raw[:10000], reason=why,
                                         created_at=now) for no, raw, why in bad]).execute()
            record(actor, "quarantine", 0, "intake", new=f"{len(bad)} line(s) of {source} rejected", at=now)
    return dict(imported=sum(1 for i in ids if i is not None), ids=[i for i in ids if i is not None],
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


def message_to_application(msg, now: datetime) -> dict:
    """An e-mail application from a message: sender, subject, plain text (HTML-only mail converted)."""
    from email.utils import parsedate_to_datetime

    from .clock import to_utc

    sender = msg["From"]
    name = email_addr = ""
    if sender is not None and getattr(sender, "addresses", None):
        addr = sender.addresses[0]
        name, email_addr = addr.display_name or "", addr.addr_spec or ""
    if not email_addr:
        raise ValidationError("the message has no sender address")
    body = msg.get_body(preferencelist=("plain",))
    if body is not None:
        text = body.get_content()
    else:
        html = msg.get_body(preferencelist=("html",))
        text = _html_to_text(html.get_content()) if html is not None else ""
    subject = str(msg["Subject"] or "").strip()
    if not text.strip() and not subject:
        raise ValidationError("the message has neither subject nor text")
    received = now
    if msg["Date"]:
        try:
            received = to_utc(parsedate_to_datetime(str(msg["Date"])))
        except (TypeError, ValueError):
            received = now
    return dict(channel="email", received_at=received, name=name.strip(), email=email_addr.strip(), phone="",
                subject=subject[:300], text=text.strip() or subject, message_id=(str(msg["Message-ID"] or "").strip()
                                                                               or None))


def intake_email(actor: str, path: str, now: datetime) -> dict:
    """Import a .eml, Maildir or mbox; a message already imported (same Message-ID) is skipped."""
    from .inbox import add_applications

    good, bad = [], []
    for label, msg in read_messages(path):
        if isinstance(msg, Exception):
            bad.append((label, "", f"cannot be read ({msg})"))
            continue
        try:
            good.append(message_to_application(msg, now))
        except ValidationError as exc:
            bad.append((label, str(msg)[:10000], str(exc)))
        except Exception as exc:  # a broken MIME structure
            bad.append((label, "", f"cannot be parsed ({type(exc).__name__}: {exc})"))
    # the same Message-ID twice inside one mailbox counts once
    seen, unique, dupes = set(), [], 0
    for d in good:
        if d["message_id"] and d["message_id"] in seen:
            dupes += 1
            continue
        seen.add(d["message_id"])
        unique.append(d)
    ids = add_applications(actor, unique, now) if unique else []
    dupes += sum(1 for i in ids if i is None)
    if bad:
        with write_txn():
            Quarantine.insert_many([dict(source=label[:300], raw=raw or "(unreadable)", reason=why, created_at=now)
                                    for label, raw, why in bad]).execute()
    return dict(imported=sum(1 for i in ids if i is not None), ids=[i for i in ids if i is not None],
                duplicates=dupes, rejected=[dict(message=label, reason=why) for label, _raw, why in bad])
