"""The inbox: open applications, most specific first, then oldest; time left on each row."""
from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from screens.base import MainScreen
from tui.messages import DataChanged
from tui.widgets.recordlist import RecordList

CHANNEL_CYCLE = [None, "phone", "email", "social", "website"]
OWNER_CYCLE = [None, "mine", "none"]
CHANNEL_SHORT = {"phone": "tel", "email": "mail", "social": "soc", "website": "web"}


class InboxSource:
    """Feeds the virtual list from models.inbox with keyset pages."""

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

    def fetch(self, *, after=None, before=None, last=False, limit=50):
        from models.inbox import inbox_page

        return inbox_page(self.screen.app.rep, after=after, before=before, last=last, limit=limit,
                          **self._filters())

    def count(self) -> int:
        from models.inbox import inbox_count

        return inbox_count(self.screen.app.rep, **self._filters())

    def key(self, row):
        return (row.rank, row.received_at, row.id)

    def row_id(self, row):
        return row.id

    def render_row(self, row, width: int) -> Text:
        from models.clock import human_delta
        from models.text import one_line

        app = self.screen.app
        left = (row.due_at - app.now()).total_seconds()
        t = Text(no_wrap=True)
        t.append(f"{row.score:>3} ", style="bold")
        t.append(f"{CHANNEL_SHORT.get(row.channel, row.channel):<4} ")
        due = human_delta(left)
        t.append(f"{('!' + due) if left < 0 else due:>7} ", style="bold red" if left < 0 else
                 ("yellow" if left < 600 else ""))
        owner = getattr(row, "owner_login", None) or "-"
        t.append(f"{owner[:8]:<8} ", style="bold" if row.owner_id == app.rep.id else "")
        marks = ("≈" if row.duplicate_of_id else " ") + ("↪" if row.transfers else " ")
        t.append(marks)
        who = row.name or row.email or row.phone
        t.append(f"{one_line(who, 16):<16} ")
        import json

        reasons = json.loads(row.reasons or "[]")
        t.append(one_line("; ".join(reasons) if reasons else row.text), style="dim" if row.score < 20 else "")
        return t


class InboxScreen(MainScreen):
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
        Binding("o", "cycle_owner", "Owner", id="inbox.owner"),
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
        yield Static("", id="filterbar", classes="bar")
        yield RecordList(self.source, empty_text="No open applications match.", id="list")
        yield Static("", id="detail", classes="detail")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        super().on_mount()
        lst = self.query_one(RecordList)
        lst.focus()
        self.call_after_refresh(self._first_load)
        self.set_interval(60, lst.refresh, name="time-left")

    def _first_load(self) -> None:
        lst = self.query_one(RecordList)
        lst.load_first()
        lst.refresh_count()
        self.update_filterbar()
        self.offer_drafts()

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
        t.append(f"{'…' if total is None else f'{total:,}'} open", style="bold")
        t.append(f" · {self.channel or 'all channels'} · "
                 f"{ {None: 'everyone', 'mine': 'mine', 'none': 'unclaimed'}[self.owner] }")
        if self.search:
            from models.text import one_line

            t.append(" · filter: ")
            t.append(one_line(self.search, 30), style="bold")
        self.query_one("#filterbar", Static).update(t)

    def on_record_list_highlighted(self, message: RecordList.Highlighted) -> None:
        self.update_filterbar()
        self.show_detail(message.row)

    def show_detail(self, row) -> None:
        from models.clock import human_delta, local
        from models.text import one_line, safe

        pane = self.query_one("#detail", Static)
        if row is None:
            pane.update("")
            return
        import json

        app = self.app
        t = Text(overflow="ellipsis")
        left = (row.due_at - app.now()).total_seconds()
        t.append(f"#{row.id} ", style="bold")
        t.append(one_line(" ".join(x for x in (row.name, f"<{row.email}>" if row.email else "", row.phone) if x), 50))
        t.append(f"  {row.channel}, received {local(row.received_at, app.rep.timezone).strftime('%d %b %H:%M')}, ")
        t.append("OVERDUE by " + human_delta(-left) if left < 0 else f"due in {human_delta(left)}",
                 style="bold red" if left < 0 else "")
        t.append("\nWhy: ", style="bold")
        reasons = json.loads(row.reasons or "[]")
        t.append(one_line("; ".join(reasons) or "nothing specific"))
        if row.duplicate_of_id:
            t.append(f"  (likely duplicate of #{row.duplicate_of_id})", style="bold")
        t.append("\n")
        body = safe(row.text)
        t.append(body[:600])
        pane.update(t)

    # ------------------------------------------------------------ live
    def on_data_changed(self, message: DataChanged) -> None:
        lst = self.query_one(RecordList)
        lst.reload()
        lst.refresh_count()

    def on_record_list_selected(self, message: RecordList.Selected) -> None:
        self.open_detail(message.row.id)

    def open_detail(self, app_id: int) -> None:
        from models.inbox import application_detail

        from screens.application import ApplicationScreen

        detail = application_detail(self.app.rep, app_id)

        def after(action: str | None) -> None:
            if action:
                getattr(self, f"action_{'close_app' if action == 'close' else action}")()

        self.app.push_screen(ApplicationScreen(detail, self.app.rep.timezone), after)

    # ------------------------------------------------------------ actions
    @property
    def current(self):
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
        from screens.quarantine import QuarantineScreen

        self.app.push_screen(QuarantineScreen())

    def action_cycle_channel(self) -> None:
        self.channel = CHANNEL_CYCLE[(CHANNEL_CYCLE.index(self.channel) + 1) % len(CHANNEL_CYCLE)]
        self._apply_filters()

    def action_cycle_owner(self) -> None:
        self.owner = OWNER_CYCLE[(OWNER_CYCLE.index(self.owner) + 1) % len(OWNER_CYCLE)]
        self._apply_filters()

    def action_claim(self) -> None:
        from models.inbox import claim

        row = self.current
        if row is not None:
            self._run(claim, self.app.rep, row.id, self.app.now(), success=f"Claimed #{row.id}.")

    def action_claim_next(self) -> None:
        from models.inbox import claim_next

        a = self._run(claim_next, self.app.rep, self.app.now())
        if a is not None:
            self._done(f"Claimed #{a.id} ({a.name or a.email or a.phone}).", keep_id=a.id)

    def _target(self, app_id):
        if app_id is None:
            return self.current
        from models.errors import NotFound
        from models.inbox import get_application

        try:
            return get_application(app_id)
        except NotFound:
            return None

    def _open_form(self, dialog, after, restore) -> None:
        self.app.push_screen(dialog, after)
        if restore:
            dialog.call_after_refresh(dialog.set_values, restore)

    def action_contact(self, restore: dict | None = None, app_id: int | None = None) -> None:
        from models.inbox import contact

        from screens.form import FieldSpec, FormDialog

        row = self._target(app_id)
        if row is None:
            return
        app = self.app
        fields = [FieldSpec("kind", "How", choices=[("Call", "call"), ("E-mail", "email"),
                                                    ("Message", "message"), ("Meeting", "meeting")]),
                  FieldSpec("note", "Note", placeholder="what was said")]

        def submit(v):
            return contact(app.rep, row.id, v["kind"], app.now(), note=v["note"] or None)

        def after(result):
            if result is not None:
                self._done(f"Logged first contact on #{row.id}; the clock is stopped.")

        self._open_form(FormDialog(f"Log contact with #{row.id}", fields, submit, form_id=f"contact:{row.id}"),
                        after, restore)

    def action_transfer(self, restore: dict | None = None, app_id: int | None = None) -> None:
        from models.inbox import transfer
        from models.reps import list_reps

        from screens.form import FieldSpec, FormDialog

        row = self._target(app_id)
        if row is None:
            return
        app = self.app
        reps = [(f"{r.login} - {r.name}{' (away)' if r.away else ''}", r.login) for r in list_reps()
                if r.active and r.id != row.owner_id and r.role in ("rep", "manager")]
        if not reps:
            self.notify("There is nobody to transfer to.", severity="warning")
            return
        fields = [FieldSpec("to", "To", choices=reps), FieldSpec("reason", "Why", required=True)]

        def submit(v):
            return transfer(app.rep, row.id, v["to"], v["reason"], app.now())

        def after(result):
            if result is not None:
                self._done(f"#{row.id} moved to {result.owner_login}.")

        self._open_form(FormDialog(f"Transfer #{row.id}", fields, submit, form_id=f"transfer:{row.id}"), after,
                        restore)

    def action_close_app(self, restore: dict | None = None, app_id: int | None = None) -> None:
        from models.inbox import close

        from screens.form import FieldSpec, FormDialog

        row = self._target(app_id)
        if row is None:
            return
        app = self.app
        fields = [FieldSpec("status", "Mark as", choices=[("Closed", "closed"), ("Spam", "spam")]),
                  FieldSpec("reason", "Why", required=True)]

        def submit(v):
            return close(app.rep, row.id, v["status"], v["reason"], app.now())

        def after(result):
            if result is not None:
                self._done(f"#{row.id} is {result.status}.")

        self._open_form(FormDialog(f"Close #{row.id}", fields, submit, form_id=f"close:{row.id}"), after, restore)

    def action_new(self, restore: dict | None = None, app_id: int | None = None) -> None:
        from models.errors import ValidationError
        from models.inbox import add_application
        from models.validation import normalize_email, normalize_phone

        from screens.form import FieldSpec, FormDialog

        app = self.app

        def check(fn):
            def inner(value: str):
                try:
                    fn(value)
                except ValidationError as exc:
                    return str(exc)
                return None
            return inner

        fields = [
            FieldSpec("name", "Caller's name", required=True),
            FieldSpec("phone", "Phone", placeholder="+44 20 7946 0991", validate=check(normalize_phone)),
            FieldSpec("email", "E-mail", placeholder="name@example.com", validate=check(normalize_email)),
            FieldSpec("text", "What they want", required=True, multiline=True),
        ]

        def submit(v):
            phone = normalize_phone(v["phone"])
            email = normalize_email(v["email"])
            if not (phone or email):
                raise ValidationError("A phone number or an e-mail is needed to answer.", field="phone")
            return add_application(app.rep.login, dict(channel="phone", name=v["name"], phone=phone or "",
                                                       email=email or "", text=v["text"],
                                                       received_at=app.now()), app.now())

        def after(result):
            if result is not None:
                self._done(f"Application #{result} added.", keep_id=result)

        self._open_form(FormDialog("New phone application", fields, submit, form_id="phone-intake"), after, restore)
