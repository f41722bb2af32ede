"""The website form's shared secrets (issue 12): an optional token per form.

The setting `webform.tokens` maps a form's name to its token, e.g. {"contact": "9f2c...", "shop": "..."}.
Empty (the default), the endpoint takes any sender, as before; with at least one token, a request must
carry one of them (`Authorization: Bearer TOKEN`, an `X-Repdesk-Token` header or a `token` field), or it
is refused with 401 and a sentence. Tokens are compared in constant time; a token is 16-200 printable
characters without spaces, so a guessable one cannot be set.
"""
from __future__ import annotations

import hmac

from . import settings
from .errors import ValidationError

KEY = "webform.tokens"


def _check(value) -> None:
    if not isinstance(value, dict):
        raise ValidationError(f'{KEY} maps a form name to its token: {{"contact": "a-long-random-secret"}}.',
                              field="value")
    if len(value) > 100:
        raise ValidationError(f"{KEY} holds at most 100 forms.", field="value")
    for name, token in value.items():
        if not (isinstance(name, str) and 0 < len(name) <= 40 and name.isprintable()):
            raise ValidationError(f"{KEY}: a form name is 1-40 printable characters.", field="value")
        if not (isinstance(token, str) and 16 <= len(token) <= 200 and token.isprintable() and " " not in token):
            raise ValidationError(f"{KEY}: the token of form {name!r} must be 16-200 printable characters "
                                  "without spaces (for example the output of `openssl rand -hex 16`).",
                                  field="value")


settings.declare(KEY, {}, check=_check, doc="the website form's tokens, by form name; empty: no token asked")


def required() -> bool:
    return bool(settings.get(KEY))


def form_of(token: str | None) -> str | None:
    """The name of the form TOKEN belongs to, or None (no token, or not one of ours)."""
    if not token:
        return None
    found = None
    given = token.encode("utf-8", "replace")
    for name, secret in settings.get(KEY).items():
        if hmac.compare_digest(given, secret.encode("utf-8")):  # every token compared: no early exit
            found = name
    return found
