"""Money: integer minor units plus an ISO 4217 currency code. Never floats."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")  # digits and one decimal point: how money is written

# Minor-unit exponents that differ from 2.
_EXPONENT = {"JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "VND": 0, "HUF": 2,
             "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3}


def exponent(currency: str) -> int:
    return _EXPONENT.get(currency.upper(), 2)


def check_currency(code: str) -> str:
    code = (code or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValueError(f"{code or '(empty)'!r} is not a currency code (three letters, e.g. EUR)")
    return code


MAX_UNITS = 10 ** 12  # a trillion in a currency's units: far above any deal, far below a 64-bit column


def parse_amount(text: str | int | Decimal, currency: str) -> int:
    """'199.99' EUR -> 19999. Refuses floats' imprecision and too many decimals."""
    if isinstance(text, float):
        raise ValueError("amounts must be given as decimal strings, not floats")
    raw = str(text).strip().replace("_", "")
    if raw.count(",") == 1 and "." not in raw:
        raw = raw.replace(",", ".")
    if not _PLAIN.fullmatch(raw) or len(raw) > 40:  # no exponents ("1e-999999999"), NaN or infinity
        raise ValueError(f"{text!r} is not an amount (e.g. 199.99)")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount (e.g. 199.99)") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not an amount (e.g. 199.99)")
    exp = exponent(currency)
    if abs(value) >= MAX_UNITS:
        raise ValueError(f"{text!r} is too large an amount (at most {MAX_UNITS - 1:,} {currency})")
    scaled = value.scaleb(exp)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{text!r} has more than {exp} decimals for {currency}")
    return int(scaled)


def format_amount(minor: int, currency: str, grouping: bool = True) -> str:
    """19999, 'EUR' -> '199.99 EUR' (with thousands separators when grouping)."""
    exp = exponent(currency)
    value = Decimal(minor).scaleb(-exp)
    text = f"{value:,.{exp}f}" if grouping else f"{value:.{exp}f}"
    return f"{text} {currency}"


def plain_amount(minor: int, currency: str) -> str:
    """19999, 'EUR' -> '199.99' (machine-readable, for JSON and CSV)."""
    exp = exponent(currency)
    return f"{Decimal(minor).scaleb(-exp):.{exp}f}"
