"""Team-wide settings, stored in the database so every process sees the same.

This module is the store and the registry, nothing more: each module that owns a setting declares
it here with `declare()` (its default, how a value is checked, who may write it), and `get`/`put`
only look the declaration up. So the settings store depends on no part of the domain, and the
domain modules depend on it one way. `models.usecases.config` loads every owner, for `config show`
and `config set`.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Callable

from .access import admin_gate
from .audit import record
from .clock import utcnow
from .engine import write_txn
from .errors import ValidationError
from .tables import Setting

ADMIN_ONLY = ("admin",)
MANAGERS = ("admin", "director", "manager")


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: object
    check: Callable[[object], None] | None = None   # raises ValidationError for a value the reader cannot use
    writers: tuple[str, ...] = ADMIN_ONLY            # roles that may change it (once an admin exists)
    doc: str = ""


_SPECS: dict[str, SettingSpec] = {}
# key -> default of every declared setting (a live view of the registry, for `config show` and tests)
DEFAULTS: dict[str, object] = {}


def declare(key: str, default, *, check: Callable[[object], None] | None = None,
            writers: tuple[str, ...] = ADMIN_ONLY, doc: str = "") -> SettingSpec:
    """Declare a setting (called once, at import, by the module that reads it)."""
    spec = SettingSpec(key, default, check, writers, doc)
    _SPECS[key] = spec
    DEFAULTS[key] = default
    return spec


def spec_of(key: str) -> SettingSpec:
    spec = _SPECS.get(key)
    if spec is None:
        raise ValidationError(f"There is no setting {key!r}; known: {', '.join(sorted(_SPECS))}.", field="key")
    return spec


def get(key: str):
    spec = spec_of(key)
    row = Setting.get_or_none(Setting.key == key)
    if row is None:
        return copy.deepcopy(spec.default)
    return json.loads(row.value)


def all_settings() -> dict:
    out = {key: copy.deepcopy(spec.default) for key, spec in _SPECS.items()}
    for row in Setting.select():
        if row.key in out:
            out[row.key] = json.loads(row.value)
    return out


def check_value(key: str, value) -> None:
    """Refuse a value the code reading the setting could not use (checked when it is written)."""
    spec = spec_of(key)
    default = spec.default
    if isinstance(default, dict) and not isinstance(value, dict):
        raise ValidationError(f"{key} takes a JSON object.", field="value")
    if isinstance(default, list) and not isinstance(value, list):
        raise ValidationError(f"{key} takes a JSON list.", field="value")
    if isinstance(default, int) and not isinstance(default, bool) and not isinstance(value, int):
        raise ValidationError(f"{key} takes a whole number.", field="value")
    if spec.check is not None:
        spec.check(value)


def put(actor: str, key: str, value, now=None) -> None:
    spec = spec_of(key)
    check_value(key, value)
    now = now or utcnow()
    with write_txn():
        admin_gate(actor, f"change the setting {key}", roles=spec.writers)
        row = Setting.get_or_none(Setting.key == key)
        old = row.value if row else json.dumps(spec.default)
        new = json.dumps(value, sort_keys=True)
        if row is None:
            Setting.create(key=key, value=new)
        else:
            Setting.update(value=new, version=Setting.version + 1).where(Setting.key == key).execute()
        record(actor, "setting", 0, "set", field=key, old=old, new=new, at=now)


# ------------------------------------------------------------ checks the owners compose
def whole(name: str, value, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{name} is a whole number from {low} to {high}.", field="value")


def ranged(key: str, low: int, high: int) -> Callable[[object], None]:
    return lambda value: whole(key, value, low, high)


def non_empty_text(key: str) -> Callable[[object], None]:
    def check(value) -> None:
        if not (isinstance(value, str) and value.strip()):
            raise ValidationError(f"{key} is a non-empty string.", field="value")
    return check
