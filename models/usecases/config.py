"""Every team-wide setting, with the modules that own them loaded: `config show` and `config set`."""
from __future__ import annotations

from .. import clients, formtokens, inbox, payments, reminders, scoring, segments, validation  # noqa: F401 (declare settings)
from ..settings import DEFAULTS, SettingSpec, all_settings, get, put, spec_of  # noqa: F401 (re-exported)


def settings_table() -> dict:
    """Every setting's current value (what `repdesk config show` prints)."""
    return all_settings()


def set_setting(actor_login: str, key: str, value, now=None) -> None:
    put(actor_login, key, value, now=now)
