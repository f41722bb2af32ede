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
