"""The inbox: open applications, most specific first, then oldest; time left on each row.

The list is a virtual RecordList fed with InboxRow pages by keyset; the dialogs live in
screens/inbox_forms.py, the detail pane's text in screens/inbox_detail.py."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input

from models.usecases.inbox import COUNT_CAP, InboxRow
from screens.base import MainScreen
from screens.inbox_forms import InboxForms
from tui.widgets.linepane import LinePane
from tui.widgets.recordlist import RecordList

CHANNEL_CYCLE = [None, "phone", "email", "social", "website"]
OWNER_CYCLE = [None, "mine", "none"]
CHANNEL_SHORT = {"phone": "tel", "email": "mail", "social": "soc", "website": "web"}


def count_text(total: int, cap: int = COUNT_CAP) -> str:
    """1,234 -> "1,000+" once the count passed its cap (InboxSource.count reads no further)."""
    return f"{cap:,}+" if total > cap else f"{total:,}"


class InboxSource:
    """Feeds the virtual list with InboxRow pages (models.usecases.inbox); called from worker threads
    too, so it reads only the filters the screen set on the UI thread and the signed-in Actor."""

    def __init__(self, screen: "InboxScreen") -> None:
        self.screen = screen

    def _filters(self) -> dict:
        s = self.screen
        f = {"channel": s.channel, "search": s.search or None}
        if s.owner == "mine":
            f["mine"] = True
        elif s.owner == "none":
            f["owner"] = "none"
        return f

    def fetch(self, *, after=None, before=None, last=False, limit=50) -> list[InboxRow]:
        from models.usecases.inbox import inbox_rows

        return inbox_rows(self.screen.app.rep, after=after, before=before, last=last, limit=limit,
                          **self._filters())

    def count(self) -> int:
        """Counted up to COUNT_CAP + 1 rows at most: a broad filter on a million shows "1,000+"."""
        from models.usecases.inbox import inbox_count

        return inbox_count(self.screen.app.rep, cap=COUNT_CAP, **self._filters())

    def key(self, row: InboxRow):
        return row.key

    def row_id(self, row: InboxRow):
        return row.id

    def render_row(self, row: InboxRow, width: int) -> Text:
        from models.clock import human_delta
        from models.text import one_line

        from screens.inbox_detail import short_reasons

        app = self.screen.app
        left = (row.due_at - app.now()).total_seconds()
        t = Text(no_wrap=True)
        t.append(f"{row.score:>3} ", style="bold")
        t.append(f"{CHANNEL_SHORT.get(row.channel, row.channel):<4} ")
        due = human_delta(left)
        t.append(f"{('!' + due) if left < 0 else due:>7} ", style="bold red" if left < 0 else
                 ("yellow" if left < 600 else ""))
        owner = row.owner or "-"
        t.append(f"{owner[:8]:<8} ", style="bold" if row.owner_id == app.rep.id else "")
        marks = ("≈" if row.duplicate_of else " ") + ("↪" if row.transfers else " ")
        t.append(marks)
        t.append(f"{one_line(row.who, 16):<16} ")
        t.append(one_line(short_reasons(row.reasons) or row.text), style="dim" if row.score < 20 else "")
        return t


class InboxScreen(InboxForms, MainScreen):
    TITLE_TEXT = "Inbox"
    BINDINGS = [
        Binding("slash", "search", "Find", id="inbox.search"),
        Binding("a", "claim", "Claim", id="inbox.claim"),
        Binding("A", "claim_next", "Claim top", show=False, id="inbox.claim_next"),
        Binding("c", "contact", "Log", id="inbox.contact", tooltip="Log the first contact"),
        Binding("t", "transfer", "Move", id="inbox.transfer"),
        Binding("x", "close_app", "Close", id="inbox.close"),
        Binding("n", "new", "New", id="inbox.new"),
        Binding("f", "cycle_channel", "Chan", id="inbox.channel"),
        Binding("v", "convert", "Convert", id="inbox.convert",
                tooltip="Make the client card and the deal of this application"),
        Binding("o", "cycle_owner", "Owner", show=False, id="inbox.owner"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="inbox.clear"),
        Binding("Q", "quarantine", "Quarantine", show=False, id="inbox.quarantine"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.channel: str | None = None
        self.owner: str | None = None
        self.search: str = ""
        self.source = InboxSource(self)

    def compose(self) -> ComposeResult:
        yield from self.compose_status()
        yield Input(placeholder="filter: words in name, e-mail or text (enter to apply, escape to clear)",
                    id="search", compact=True)
        yield LinePane("", id="filterbar", classes="bar")
        yield RecordList(self.source, empty_text="No open applications match.", id="list")
        yield LinePane("", id="detail", classes="detail")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        super().on_mount()
        lst = self.query_one(RecordList)
        lst.focus()
        first, self.app.first_page = self.app.first_page, None
        if first is not None:  # read before the first paint (tui.run): the rows come with the first frame
            lst.preload(list(first.rows), first.count, first.limit)
            self.update_filterbar()
        self.call_after_refresh(self._first_load, first is not None)
        self.set_interval(60, lst.refresh, name="time-left")

    _listed = False

    def _first_load(self, preloaded: bool = False) -> None:
        self._listed = True
        if not preloaded:
            self.query_one(RecordList).load_first_in_thread()  # rows and count, read in a worker
        self.update_filterbar()
        self.offer_drafts()

    def load(self) -> None:
        """The list reads its own pages; a change elsewhere re-reads the visible rows in place."""
        self._stale = False
        if self._listed:
            lst = self.query_one(RecordList)
            lst.reload()
            lst.refresh_count()

    DRAFT_KINDS = {"phone-intake": "action_new", "contact": "action_contact", "transfer": "action_transfer",
                   "close": "action_close_app"}

    def offer_drafts(self) -> None:
        self.app.offer_drafts()

    def restore_draft(self, kind: str, ident: str, data: dict) -> None:
        """Open the inbox form KIND again with what was typed in it."""
        opener = getattr(self, self.DRAFT_KINDS[kind])
        opener(restore=data, app_id=int(ident) if ident.isdigit() else None)

    # ------------------------------------------------------------ display
    def update_filterbar(self) -> None:
        lst = self.query_one(RecordList)
        total = lst.total
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(f"{'…' if total is None else count_text(total)} open", style="bold")
        t.append(f" · {self.channel or 'all channels'} · "
                 f"{ {None: 'everyone', 'mine': 'mine', 'none': 'unclaimed'}[self.owner] }")
        if self.search:
            from models.text import one_line

            t.append(" · filter: ")
            t.append(one_line(self.search, 30), style="bold")
        self.query_one("#filterbar", LinePane).update(t)

    # The detail pane waits for the cursor to rest: while j is held it would repaint a record per row, which
    # a slow line pays for. The first move after a rest paints at once; later ones within DETAIL_REST
    # seconds only restart a timer, and the record the cursor rests on is painted when it fires.
    DETAIL_REST = 0.12
    _detail_timer = None
    _detail_at = -1.0
    _detail_row: InboxRow | None = None

    @property
    def settled(self) -> bool:
        # the list reads its own pages (in workers): settled once the first read was asked for
        return self._listed and self._detail_timer is None

    def on_record_list_highlighted(self, message: RecordList.Highlighted) -> None:
        import time

        self.update_filterbar()
        self._detail_row = message.row
        if self._detail_timer is None and time.monotonic() - self._detail_at >= self.DETAIL_REST:
            self._paint_detail()
            return
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(self.DETAIL_REST, self._paint_detail, name="detail-rest")

    def _paint_detail(self) -> None:
        import time

        self._detail_timer = None
        self._detail_at = time.monotonic()
        self.show_detail(self._detail_row)

    def show_detail(self, row: InboxRow | None) -> None:
        from screens.inbox_detail import pane_text

        pane = self.query_one("#detail", LinePane)
        lines = self.detail_height(self.app.size.height) - 1  # under its top border: who, when and why, the text
        pane.update("" if row is None else pane_text(row, self.app.now(), self.app.rep.timezone, lines - 2))

    @staticmethod
    def detail_height(screen_height: int) -> int:
        """A short pane on 24 lines (a cursor move repaints little, the list keeps its rows; every reason is
        on the card, enter), a taller one where the terminal has room."""
        return 5 if screen_height < 32 else 9

    def on_resize(self, event) -> None:
        pane = self.query_one("#detail", LinePane)
        height = self.detail_height(event.size.height)
        if pane.styles.height is None or pane.styles.height.value != height:
            pane.styles.height = height
            self.call_after_refresh(self.show_detail, self._detail_row)

    # ------------------------------------------------------------ live
    def on_record_list_selected(self, message: RecordList.Selected) -> None:
        self.open_detail(message.row.id)

    def open_detail(self, app_id: int) -> None:
        from screens.application import ApplicationScreen

        def after(action: str | None) -> None:
            if action == "convert":
                self.action_convert(app_id=app_id)
            elif action:
                getattr(self, f"action_{'close_app' if action == 'close' else action}")()

        self.app.push_screen(ApplicationScreen(app_id, self.app.rep.timezone), after)

    # ------------------------------------------------------------ actions
    @property
    def current(self) -> InboxRow | None:
        return self.query_one(RecordList).current

    def _done(self, message: str, keep_id=None) -> None:
        lst = self.query_one(RecordList)
        lst.reload(keep_id=keep_id)
        lst.refresh_count()
        self.notify(message, timeout=3, markup=False)

    def _run(self, fn, *args, success: str = "") -> object:
        from models.errors import DomainError, database_error_text, database_errors

        try:
            result = fn(*args)
        except DomainError as exc:
            self.notify(str(exc), severity="error", timeout=6, markup=False)
            return None
        except database_errors() as exc:
            self.app.set_db_state(False, database_error_text(exc))
            return None
        if success:
            self._done(success)
        return result

    def action_search(self) -> None:
        box = self.query_one("#search", Input)
        box.add_class("visible")
        box.value = self.search
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "search":
            return
        event.stop()
        self.search = event.value.strip()
        event.input.remove_class("visible")
        self._apply_filters()

    def on_key(self, event) -> None:
        box = self.query_one("#search", Input)
        if event.key == "escape" and box.has_focus:
            event.stop()
            box.remove_class("visible")
            self.query_one(RecordList).focus()

    def action_clear_filter(self) -> None:
        if self.search or self.channel or self.owner:
            self.search, self.channel, self.owner = "", None, None
            self._apply_filters()

    def _apply_filters(self) -> None:
        lst = self.query_one(RecordList)
        lst.total = None
        lst.load_first_in_thread()
        lst.focus()
        self.update_filterbar()

    def action_quarantine(self) -> None:
        from models.access import is_manager
        from screens.quarantine import QuarantineScreen

        if not is_manager(self.app.rep):  # the rejected lines carry every team's names, e-mails and phones
            self.notify("The quarantine is for managers, directors and admins.", severity="warning", markup=False)
            return
        self.app.push_screen(QuarantineScreen())

    def action_cycle_channel(self) -> None:
        self.channel = CHANNEL_CYCLE[(CHANNEL_CYCLE.index(self.channel) + 1) % len(CHANNEL_CYCLE)]
        self._apply_filters()

    def action_cycle_owner(self) -> None:
        self.owner = OWNER_CYCLE[(OWNER_CYCLE.index(self.owner) + 1) % len(OWNER_CYCLE)]
        self._apply_filters()

    def action_claim(self) -> None:
        from models.usecases.inbox import claim

        row = self.current
        if row is not None:
            self._run(claim, self.app.rep, row.id, self.app.now(), success=f"Claimed #{row.id}.")

    def action_claim_next(self) -> None:
        from models.usecases.inbox import claim_next

        a = self._run(claim_next, self.app.rep, self.app.now())
        if a is not None:
            self._done(f"Claimed #{a.id} ({a.who}).", keep_id=a.id)
