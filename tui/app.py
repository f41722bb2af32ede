"""The App: main screens on number keys and the palette, status line, live updates, background sweep."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from tui.actions import GLOBAL, bindings
from tui.messages import DataChanged

SCREENS = [
    ("inbox", "Inbox", "1"),
    ("clients", "Clients", "2"),
    ("pipeline", "Pipeline", "3"),
    ("payments", "Payments", "4"),
    ("today", "Today", "5"),
    ("reports", "Reports", "6"),
]


def _screen_factory(name: str):
    def make() -> Screen:
        import importlib

        from textual._context import active_app

        module = importlib.import_module(f"screens.{name}")
        screen = getattr(module, f"{name.capitalize()}Screen")()
        # A new screen counts as having seen no stylesheet change yet (-1), so Textual re-parses every
        # stylesheet when a mode's first screen is made (10 ms of the start-up and of each first switch)
        # though nothing changed: it is styled as it mounts, like any widget. After a theme change the
        # app's own refresh has already run (or is queued), so the count says the truth either way.
        app = active_app.get(None)
        if app is not None:
            screen._css_update_count = app._css_update_count
        return screen

    return make


def _lighter_colours(app) -> None:
    """Cells in the terminal's own colours are drawn without a colour code (issue 16: a slow line pays for
    every byte). Textual writes "\x1b[39;49m" before every run of default-coloured text, and after each run
    a reset ("\x1b[0m"): the code says again what the reset said. With NO_COLOR, Textual's filter gives every
    cell those default colours explicitly; dropping colour altogether draws the same (bold and reverse
    kept). Only Textual's own NoColor filter is replaced, when it is there; else a filter that drops the
    default colours (any other colour is kept) is added last."""
    from functools import lru_cache

    from rich.segment import Segment
    from rich.style import Style
    from textual.filter import LineFilter, NoColor

    class NoColorAtAll(NoColor):
        def apply(self, segments, background):
            return [Segment(text, None if style is None else style.without_color, control)
                    for text, style, control in segments]

    @lru_cache(1024)
    def implied(style: Style) -> Style:
        fg, bg = style.color, style.bgcolor
        if not ((fg is not None and fg.is_default) or (bg is not None and bg.is_default)):
            return style
        return style.without_color + Style.from_color(None if fg is None or fg.is_default else fg,
                                                      None if bg is None or bg.is_default else bg)

    class DefaultColoursImplied(LineFilter):
        def apply(self, segments, background):
            return [Segment(text, None if style is None else implied(style), control)
                    for text, style, control in segments]

    filters = getattr(app, "_filters", None)
    if not isinstance(filters, list):
        return
    for i, f in enumerate(filters):
        if type(f) is NoColor:
            filters[i] = NoColorAtAll()
            return
    filters.append(DefaultColoursImplied())


def escaped_key(event):
    """The plain key of an Alt+letter/digit KEY event (alt+j -> j, alt+shift+j -> J), else None."""
    from textual import events

    parts = event.key.split("+")
    if parts[0] != "alt" or len(parts) > 3 or (len(parts) == 3 and parts[1] != "shift"):
        return None
    name = parts[-1]
    if len(name) != 1 or not name.isalnum():
        return None
    char = name.upper() if len(parts) == 3 else name
    return events.Key(char, char)


class RepdeskApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "repdesk"
    ENABLE_COMMAND_PALETTE = True
    MODES = {name: _screen_factory(name) for name, _label, _key in SCREENS}
    BINDINGS = [
        *[Binding(key, f"go('{name}')", label, id=f"go.{name}", show=False) for name, label, key in SCREENS],
        *bindings(GLOBAL),
        Binding("exclamation_mark", "notices", "Notices", id="app.notices", show=False),
    ]
    LIVE_POLL_SECONDS = 1.0
    SWEEP_SECONDS = 60.0
    NOTICES_AFTER_START = 0.6
    NOTICES_SECONDS = 60.0

    def __init__(self, rep=None, login: str = "", db_url: str | None = None,
                 frozen_now: datetime | None = None, live: bool = True) -> None:
        from tui.config import load_config

        config = load_config()
        if rep is not None:  # the inbox is the first screen Textual composes: no blank screen switched away
            self.DEFAULT_MODE = "inbox"  # from, and one stylesheet pass fewer (before super: it reads it)
        # An ANSI theme (the default, ansi-dark) speaks the terminal's own 16 colours: Textual must know it
        # before it picks its filters, or NO_COLOR turns the theme's "default" colours black on black and
        # every cell carries a 256-colour code (issue 16: NO_COLOR and 16 colours cost no more than colour).
        super().__init__(ansi_color=True if str(config.theme).startswith("ansi") else None)
        _lighter_colours(self)
        if rep is not None:
            from models.reps import actor_of

            rep = actor_of(rep)  # screens get a frozen Actor, never a database row
        self.rep = rep
        self.login = login
        self.db_url = db_url
        self.frozen_now = frozen_now
        self.live = live
        self._data_version = None
        self.db_ok = True
        self.user_config = config
        if self.theme != config.theme:  # tui.run made it the default where it could (no stylesheet pass)
            try:  # before the first paint: set in on_mount, the theme re-read every stylesheet once more
                self.theme = config.theme
            except Exception:
                if self.theme != "ansi-dark":
                    self.theme = "ansi-dark"

    # ------------------------------------------------------------ clock
    def now(self) -> datetime:
        if self.frozen_now is not None:
            return self.frozen_now
        from models.clock import utcnow

        return utcnow()

    first_page = None  # models.usecases.inbox.FirstPage read by run_tui before the first paint (taken once)
    _held_keys: list | None = None  # keys read after an Escape+key, held until the Escape has had its effect

    async def on_event(self, event) -> None:
        """Escape, then a key, read in one go (a fast typist, a slow SSH line delivering both in one
        packet) is what terminals send for Alt+key: Textual reads "ESC j" as alt+j, the Escape is lost and
        the j lands in the field the Escape was meant to leave. repdesk binds no Alt key, so an Alt+letter or
        Alt+digit is taken as what it nearly always is here: Escape, then the key, the key (and any typed
        after it) a moment later, as Textual delivers a key typed after a lone Escape, in their order."""
        from textual import events

        if isinstance(event, events.Key) and not event.is_forwarded:
            if self._held_keys is not None:
                self._held_keys.append(event)
                return
            plain = escaped_key(event)
            if plain is not None:
                from textual import constants

                await super().on_event(events.Key("escape", "\x1b"))
                self._held_keys = [plain]
                self.set_timer(constants.ESCAPE_DELAY, self._release_keys, name="escape-then-key")
                return
        await super().on_event(event)

    async def _release_keys(self) -> None:
        held, self._held_keys = self._held_keys or [], None
        for key in held:
            await self.on_event(key)  # another Alt+key among them holds the rest again

    def on_descendant_focus(self, event) -> None:
        """A text cursor does not blink: a blinking cursor writes to the terminal twice a second while
        the rep does nothing, which a slow line pays for (and a snapshot would catch half-way)."""
        if getattr(event.widget, "cursor_blink", False):
            event.widget.cursor_blink = False

    # ------------------------------------------------------------ start
    def on_mount(self) -> None:
        cfg = self.user_config
        if cfg.keymap:
            self.set_keymap(cfg.keymap)
        if cfg.error:
            self.notify(cfg.error, severity="warning", markup=False)
        if self.rep is None:
            from screens.welcome import WelcomeScreen

            self.push_screen(WelcomeScreen())
            return
        self.start_session()

    def start_session(self) -> None:
        if self.current_mode not in self.MODES:  # after the welcome screen (else the inbox is there already,
            self.switch_mode("inbox")            # or a reopened draft has switched to its screen)
        if self.live:
            self._data_version = self._read_version()
            self.set_interval(self.LIVE_POLL_SECONDS, self.check_changes, name="live")
            self.set_interval(self.SWEEP_SECONDS, self.background_sweep, name="sweep")
            self.set_interval(self.NOTICES_SECONDS, self.refresh_notices, name="notices")  # tasks falling due
            # the first page of the inbox is painted first; the notices (a few bounded queries) just after
            self.set_timer(self.NOTICES_AFTER_START, self.refresh_notices, name="notices-start")

    # ------------------------------------------------------------ live updates
    def _read_version(self):
        from models.engine import data_version

        return data_version()

    def check_changes(self) -> None:
        """Cheap poll (PRAGMA data_version / a sequence); screens refresh only on a change."""
        try:
            version = self._read_version()
        except Exception as exc:  # database gone: say so, keep the form, retry next tick
            from models.errors import database_error_text

            self.set_db_state(False, database_error_text(exc))
            try:
                from models.engine import database

                database.close()
            except Exception:
                pass
            return
        self.set_db_state(True)
        if version != self._data_version:
            self._data_version = version
            self.notify_changed()

    def all_screens(self) -> list[Screen]:
        """Every open screen in every mode (a screen left under another mode hears changes too)."""
        stacks = getattr(self, "_screen_stacks", None) or {"": self.screen_stack}
        seen, out = set(), []
        for stack in [*stacks.values(), self.screen_stack]:
            for screen in stack:
                if id(screen) not in seen:
                    seen.add(id(screen))
                    out.append(screen)
        return out

    def notify_changed(self) -> None:
        for screen in self.all_screens():
            screen.post_message(DataChanged())
        self.refresh_notices()

    # ------------------------------------------------------------ notices (models.usecases.notices)
    notices = None            # the last NoticesView read: the status line's counter
    _notice_keys: dict | None = None   # notices already toasted (None: nothing read yet this session)
    _approvals_told = 0
    TOASTS_AT_ONCE = 3

    def refresh_notices(self) -> None:
        """Read the rep's notices in a worker (on start, when the live poll sees a change, once a minute
        for tasks falling due); new ones become toasts and the counter in every status line."""
        if self.rep is None:
            return
        self._notices_seq += 1
        self._read_notices(self.now(), self._notices_seq)

    _notices_seq = 0

    @work(thread=True, exclusive=True, group="notices")
    def _read_notices(self, now: datetime, seq: int) -> None:
        from models.engine import in_own_connection
        from models.errors import database_errors
        from models.usecases.notices import notices_view

        try:
            view = in_own_connection(notices_view, self.rep, now)
        except database_errors():  # the database went away: the live poll says so
            return
        self.call_from_thread(self._got_notices, view, seq)

    def _got_notices(self, view, seq: int | None = None) -> None:
        if seq is not None and seq != self._notices_seq:
            return  # an older read finished after a newer one (or after the list marked them seen)
        first = self._notice_keys is None
        known = self._notice_keys if self._notice_keys is not None else {}
        fresh = [n for n in view.items if n.key not in known]
        for n in view.items:
            known[n.key] = True
        while len(known) > 1000:  # bounded: the oldest keys go first
            known.pop(next(iter(known)))
        self._notice_keys = known
        self.notices = view
        if first:
            if view.count:
                self.notify(f"{view.counter.replace(' new', '')} notice(s) since you last looked: press ! to "
                            "see them.", title="Notices", timeout=8, markup=False)
        else:
            for n in reversed(fresh[:self.TOASTS_AT_ONCE]):
                self.notify(n.text, title=n.title, timeout=8, markup=False,
                            severity="warning" if n.kind == "payment_failed" else "information")
            if len(fresh) > self.TOASTS_AT_ONCE:
                self.notify(f"{len(fresh) - self.TOASTS_AT_ONCE} more: press ! to see every notice.",
                            title="Notices", timeout=8, markup=False)
        if view.approvals > self._approvals_told or (first and view.approvals):
            self.notify(f"{view.approvals} plan(s) or credit note(s) wait for your approval (Payments).",
                        title="Waiting for you", timeout=8, markup=False)
        self._approvals_told = view.approvals
        self._status_everywhere()

    def notices_seen(self, view) -> None:
        """The notices list showed VIEW and marked it seen: the counter starts again."""
        from dataclasses import replace

        self._notices_seq += 1  # a read still under way counted what is seen now: it is not painted
        if self._notice_keys is None:
            self._notice_keys = {}
        for n in view.items:
            self._notice_keys[n.key] = True
        self.notices = replace(view, since=view.now, items=(), count=0, more=False)
        self._status_everywhere()

    def _status_everywhere(self) -> None:
        for screen in self.all_screens():
            status = getattr(screen, "update_status", None)
            if status:
                status()

    def action_notices(self) -> None:
        from screens.notices import NoticesScreen

        if self.rep is not None and not isinstance(self.screen, NoticesScreen):
            self.push_screen(NoticesScreen())

    def open_notice(self, notice) -> None:
        """Go where a notice points: the client's card, else the inbox (an application), else Today."""
        if notice.client_id is not None:
            from screens.client import ClientCardScreen

            deal_id = notice.record_id if notice.record == "deal" else None
            self.push_screen(ClientCardScreen(notice.client_id, deal_id=deal_id))
        elif notice.record == "application":
            self.action_go("inbox")
        else:
            self.action_go("today")

    def set_db_state(self, ok: bool, why: str = "") -> None:
        if ok == self.db_ok:
            return
        self.db_ok = ok
        self._status_everywhere()
        if not ok:
            self.notify(f"Database unreachable ({why}); retrying.", severity="error", timeout=5, markup=False)
        else:
            self.notify("Database is back.", timeout=3)

    @work(thread=True, exclusive=True, group="sweep")
    def background_sweep(self) -> None:
        from models.engine import database

        try:
            with database.connection_context():
                from models.usecases.sweep import run_sweep

                result = run_sweep(self.now())
        except Exception:
            return
        moved = result["transfers"]["moved"]
        if moved:
            self.call_from_thread(self.notify, f"{moved} overdue application(s) moved to another rep.")

    # ------------------------------------------------------------ drafts
    def save_drafts(self) -> int:
        """Save every open form's typing as a draft (called on SIGHUP); returns how many."""
        from models.drafts import save_draft

        if self.rep is None:
            return 0
        saved = 0
        # every mode's stack: a card left open under Clients while the rep looked at the Inbox counts too
        for screen in self.all_screens():
            values = getattr(screen, "values", None)
            form_id = getattr(screen, "form_id", None)
            if values is None or form_id is None:
                continue
            try:
                save_draft(self.rep, form_id, values(), self.now())
                saved += 1
            except Exception:
                pass
        return saved

    def offer_drafts(self) -> None:
        """A dropped line left a form half-typed: open it again with the text (ctrl+s saves, escape
        discards). The newest draft is offered now; the others stay for the next login."""
        from models.drafts import count_drafts, take_draft
        from screens.inbox import InboxScreen

        if self.rep is None:
            return
        kinds = set(InboxScreen.DRAFT_KINDS) | {"card", "payment", "payment-failed"}
        draft = take_draft(self.rep, kinds)
        if draft is None:
            return
        kind, _, ident = draft["form"].partition(":")
        data = draft["data"]
        try:
            if kind in InboxScreen.DRAFT_KINDS:
                if self.current_mode != "inbox":
                    self.switch_mode("inbox")
                self.screen.restore_draft(kind, ident, data)
            elif kind == "card":
                from models.clients import get_client
                from screens.client import ClientCardScreen

                get_client(self.rep, int(ident))  # still ours to see? (else the text is shown below)
                self.push_screen(ClientCardScreen(int(ident), deal_id=data.get("deal_id"), restore=data))
            else:
                self.switch_mode("payments")
                self.call_after_refresh(lambda: self.screen.open_payment_form(int(ident), kind == "payment-failed",
                                                                              restore=data))
        except Exception:  # the record is gone or no longer ours: say so rather than lose the text silently
            from models.text import one_line

            self.notify("A draft could not be reopened; its text: " + one_line(str(data), 300), title="Draft",
                        timeout=30, markup=False)
            return
        more = count_drafts(self.rep)
        self.notify("Restored what you were typing when the connection dropped; ctrl+s saves, escape discards."
                    + (f" {more} more draft(s) at your next login." if more else ""),
                    title="Draft", timeout=10, markup=False)

    # ------------------------------------------------------------ actions
    def action_go(self, name: str) -> None:
        if self.rep is None:
            return
        if self.current_mode != name:
            self.switch_mode(name)

    def action_approvals(self) -> None:
        """What waits for a manager's decision, from any screen (the palette; `a` on Payments)."""
        from screens.approvals import ApprovalsScreen

        if not isinstance(self.screen, ApprovalsScreen):
            self.push_screen(ApprovalsScreen(), lambda _decided: self.notify_changed())

    def action_keys(self) -> None:
        from screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette offers the same actions as the keys: one table behind both."""
        if self.rep is not None:
            for name, label, key in SCREENS:
                yield SystemCommand(f"Go to {label}", f"Switch to the {label} screen ({key})",
                                    lambda n=name: self.action_go(n))
            seen = set()
            for binding_key, active in screen.active_bindings.items():
                b = active.binding
                if not b.description or b.action.startswith("go(") or not active.enabled:
                    continue
                if active.node is self or (id(active.node), b.action) in seen:
                    continue
                seen.add((id(active.node), b.action))
                yield SystemCommand(b.description, f"{screen.__class__.__name__.replace('Screen', '')}: key "
                                    f"{self.get_key_display(b)}",
                                    lambda n=active.node, a=b.action: self.run_action(a, n))
            yield SystemCommand("Notices", "What happened that concerns you since you last looked (!)",
                                self.action_notices)
            from models.access import is_manager

            if is_manager(self.rep):
                yield SystemCommand("Waiting for me", "Installment plans and credit notes waiting for your decision",
                                    self.action_approvals)
        yield SystemCommand("Keys", "Show the keys of this screen (?)", self.action_keys)
        yield SystemCommand("Theme", "Change the colours", self.action_change_theme)
        yield SystemCommand("Quit", "Quit repdesk (q)", self.exit)
