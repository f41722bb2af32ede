"""User configuration: ~/.config/repdesk/config.toml (theme, key map).

    theme = "ansi-dark"          # any Textual theme; ansi-dark follows the terminal's 16 colours
    [keymap]                     # binding id = "keys"
    "inbox.claim" = "a,ctrl+a"
    "go.inbox" = "1,f1"
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class UserConfig:
    theme: str = "ansi-dark"
    keymap: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    error: str | None = None


def config_path() -> Path:
    env = os.environ.get("REPDESK_CONFIG")
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir("repdesk")) / "config.toml"


def load_config() -> UserConfig:
    path = config_path()
    cfg = UserConfig(path=path)
    if not path.exists():
        return cfg
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        cfg.error = f"{path}: {exc}; using defaults"
        return cfg
    if isinstance(data.get("theme"), str):
        cfg.theme = data["theme"]
    keymap = data.get("keymap")
    if isinstance(keymap, dict):
        cfg.keymap = {str(k): str(v) for k, v in keymap.items() if isinstance(v, str)}
    return cfg
