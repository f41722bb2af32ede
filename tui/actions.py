"""One table of the keys that mean the same everywhere (Harlequin's actions.py is the model).

Every list (the virtual record list, the sectioned Payments list, tables) binds its navigation from
`NAV`, the App its global keys from `GLOBAL`, so a key is declared once; ids are what a user's
`[keymap]` remaps. The help screen and the palette read descriptions from the bindings these build.
"""
from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Action:
    id: str            # the binding id: what [keymap] in config.toml remaps
    keys: str          # default keys, comma separated
    action: str        # the Textual action the key runs on the focused widget or screen
    description: str   # shown in the footer, the help screen and the palette
    show: bool = False
    key_display: str | None = None
    priority: bool = False


# Navigation in any list: j/k and arrows, g/G, page keys, enter (k9s, lazygit and mutt users expect these).
NAV: tuple[Action, ...] = (
    Action("list.down", "j,down", "cursor_down", "Down"),
    Action("list.up", "k,up", "cursor_up", "Up"),
    Action("list.top", "g,home", "first", "Top"),
    Action("list.bottom", "G,end", "last", "Bottom"),
    Action("list.page_down", "pagedown,ctrl+f,space", "page_down", "Page down"),
    Action("list.page_up", "pageup,ctrl+b", "page_up", "Page up"),
    Action("list.open", "enter", "select", "Open", show=True, key_display="⏎"),
)

# The App's own keys (screens 1-6 are added by the App from its screen list).
GLOBAL: tuple[Action, ...] = (
    Action("app.keys", "question_mark", "keys", "Keys", show=True),
    Action("app.quit", "q", "quit", "Quit", show=True),
    Action("app.quit_now", "ctrl+q", "quit", "Quit", priority=True),
)


def binding(a: Action, *, show: bool | None = None, description: str | None = None) -> Binding:
    return Binding(a.keys, a.action, description or a.description, show=a.show if show is None else show,
                   key_display=a.key_display, priority=a.priority, id=a.id)


def bindings(actions: tuple[Action, ...] = NAV, *, open_label: str | None = None,
             show_open: bool | None = None, without: tuple[str, ...] = ()) -> list[Binding]:
    """Bindings for ACTIONS; OPEN_LABEL renames what enter does here ("Open card", "Details")."""
    out = []
    for a in actions:
        if a.id in without:
            continue
        if a.id == "list.open":
            out.append(binding(a, show=show_open, description=open_label))
        else:
            out.append(binding(a))
    return out


NAV_IDS = frozenset(a.id for a in NAV)
