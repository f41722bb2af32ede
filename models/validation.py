"""Field validation shared by every path that saves a contact (TUI, CLI, imports, intake)."""
from __future__ import annotations

from . import settings
from .errors import ValidationError


def _check_region(value) -> None:
    import phonenumbers

    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(f"phone.region is a two-letter region phone numbers know (GB, ES, DE ...), "
                              f"not {value!r}.", field="value")


settings.declare("phone.region", "GB", check=_check_region,
                 doc="Default region for phone numbers written without +country code.")


def phone_region() -> str:
    """The team's default region for numbers typed without +country code (GB when no database is bound)."""
    try:
        return settings.get("phone.region")
    except Exception:
        return "GB"


def normalize_email(value: str | None, field: str = "email") -> str | None:
    """Return the normalized address, None for empty, or raise ValidationError with the reason."""
    value = (value or "").strip()
    if not value:
        return None
    from email_validator import EmailNotValidError, validate_email

    try:
        info = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(f"E-mail {value!r} is not valid: {exc}", field=field) from None
    return info.normalized


# The plain shape most addresses have: ASCII dot-atoms, a domain of letter/digit labels (no "--", which IDNA
# rules restrict) under a TLD that starts with a letter. email-validator accepts every address of this shape
# that is short enough and not under a special-use name (tests/test_hardening_intake.py checks it); the
# intake checks these without it (it costs about 0.08 ms an address, a third of reading a line).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_EMAIL = __import__("re").compile(
    _ATOM + r"(?:\." + _ATOM + r")*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,63}")
_SPECIAL_USE = ("arpa", "invalid", "local", "localhost", "onion", "test")


def plain_email(value: str) -> bool:
    """VALUE has the plain shape email-validator is sure to accept (see above); False means: ask it."""
    if len(value) > 254 or "--" in value or not _PLAIN_EMAIL.fullmatch(value):
        return False
    local, _, domain = value.rpartition("@")
    return len(local) <= 64 and domain.rsplit(".", 1)[-1].lower() not in _SPECIAL_USE


def check_email(value: str | None, field: str = "email") -> None:
    """Refuse an address that is not valid (ValidationError with the reason); the intake's check."""
    value = (value or "").strip()
    if value and not plain_email(value):
        normalize_email(value, field)


def normalize_phone(value: str | None, region: str | None = None, field: str = "phone") -> str | None:
    """Return E.164 ('+441234567890'), None for empty, or raise ValidationError with the reason."""
    value = (value or "").strip()
    if not value:
        return None
    import phonenumbers

    if region is None:
        region = phone_region()
    try:
        num = phonenumbers.parse(value, None if value.startswith("+") else region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(f"Phone {value!r} is not a phone number: {exc}.", field=field) from None
    # "Possible" (right length and shape for its country) rather than "valid" (an allocated
    # range): a real caller's number must never be refused because the range table is old.
    if not phonenumbers.is_possible_number(num):
        raise ValidationError(
            f"Phone {value!r} is not a valid number (write it with its country code, e.g. +44 20 7946 0991).",
            field=field)
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str | None) -> str:
    if not e164:
        return ""
    import phonenumbers

    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None),
                                          phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def require_text(value: str | None, field: str, label: str, max_len: int = 200) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(f"{label} is required.", field=field)
    if len(value) > max_len:
        raise ValidationError(f"{label} is longer than {max_len} characters.", field=field)
    return value


# ---------------------------------------------------------------- the boundary for outside values (issue 12)

from datetime import datetime as _datetime, timedelta as _timedelta  # noqa: E402

from .clock import parse_iso  # noqa: E402

EARLIEST = _datetime(2000, 1, 1)
AHEAD = _timedelta(days=1)


def fit_length(value: str, max_len: int, field: str, label: str, *, cut: bool = False) -> str:
    """VALUE when it fits a column of MAX_LEN characters (PostgreSQL counts characters as Python does);
    longer: cut with "…" when CUT (where losing the tail is harmless), else a ValidationError."""
    if len(value) <= max_len:
        return value
    if cut:
        return value[: max_len - 1] + "…"
    raise ValidationError(f"{label} is {len(value)} characters long; at most {max_len} fit.", field=field)


def check_moment(value: _datetime, field: str, now: _datetime, label: str | None = None) -> _datetime:
    """VALUE (naive UTC) when it lies in the plausible window 2000-01-01 .. NOW + 1 day, else a sentence."""
    if not (EARLIEST <= value <= now + AHEAD):
        raise ValidationError(f"{label or field} {value:%Y-%m-%d %H:%M} is outside the plausible window "
                              f"({EARLIEST:%Y-%m-%d} to {now + AHEAD:%Y-%m-%d}).", field=field)
    return value


def parse_moment(text: str, field: str, now: _datetime, label: str | None = None) -> _datetime:
    """ISO 8601 text -> naive UTC in the plausible window; every failure a ValidationError (never an
    OverflowError at the ends of the ISO range, e.g. 0001-01-01T00:00:00+05:00)."""
    label = label or field
    try:
        value = parse_iso(text)
    except ValueError as exc:
        raise ValidationError(f"{label}: {exc}", field=field) from None
    except OverflowError:
        raise ValidationError(f"{label} {text.strip()[:40]!r} is outside the plausible window "
                              f"({EARLIEST:%Y-%m-%d} to {now + AHEAD:%Y-%m-%d}).", field=field) from None
    return check_moment(value, field, now, label)
