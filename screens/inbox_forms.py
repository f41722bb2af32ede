"""The inbox's dialogs: log a contact (c), transfer (t), close or spam (x), a phone application (n),
convert (v: screens/convert.py, then the client card opens on the new deal).

A mixin of InboxScreen: each form opens on the highlighted row, or (a draft reopened after a
dropped connection) on the application it was typed for, read in a worker.
"""
from __future__ import annotations

from typing import Callable

from textual import work

from models.usecases.inbox import InboxRow, RepChoice


def then_field():
    """What follows a contact: back to the inbox, or on to the conversion (the application leaves the inbox
    once contacted, so this is where a contacted one is converted from the screen)."""
    from screens.form import FieldSpec

    return FieldSpec("then", "Then", choices=[("Back to the inbox", "inbox"),
                                              ("Convert it: client card and deal (v)", "convert")])


class InboxForms:
    """Needs from the screen: `current` (the highlighted InboxRow) and `_done(message, keep_id=None)`."""

    def _open_form(self, dialog, after, restore) -> None:
        self.app.push_screen(dialog, after)
        if restore:
            dialog.call_after_refresh(dialog.set_values, restore)

    def _on_target(self, app_id: int | None, then: Callable[[InboxRow], None]) -> None:
        """Run THEN with the highlighted row, or with application APP_ID once it is read."""
        if app_id is None:
            row = self.current
            if row is not None:
                then(row)
            return
        self._read_target(app_id, then)

    @work(thread=True, group="inbox-target")
    def _read_target(self, app_id: int, then: Callable[[InboxRow], None]) -> None:
        from models.engine import in_own_connection
        from models.errors import NotFound, database_errors
        from models.usecases.inbox import application_row

        try:
            row = in_own_connection(application_row, app_id)
        except (NotFound, *database_errors()):
            return
        self.app.call_from_thread(then, row)

    # ------------------------------------------------------------ c: first contact
    def action_contact(self, restore: dict | None = None, app_id: int | None = None) -> None:
        self._on_target(app_id, lambda row: self._contact_form(row, restore))

    def _contact_form(self, row: InboxRow, restore: dict | None) -> None:
        from models.usecases.inbox import contact

        from screens.form import FieldSpec, FormDialog

        app = self.app
        fields = [FieldSpec("kind", "How", choices=[("Call", "call"), ("E-mail", "email"),
                                                    ("Message", "message"), ("Meeting", "meeting")]),
                  FieldSpec("note", "Note", placeholder="what was said"), then_field()]
        wanted = {}

        def submit(v):
            wanted["then"] = v.get("then")
            return contact(app.rep, row.id, v["kind"], app.now(), note=v["note"] or None)

        def after(result):
            if result is not None:
                self._done(f"Logged first contact on #{row.id}; the clock is stopped.")
                if wanted.get("then") == "convert":
                    self.action_convert(app_id=row.id)

        self._open_form(FormDialog(f"Log contact with #{row.id}", fields, submit, form_id=f"contact:{row.id}"),
                        after, restore)

    # ------------------------------------------------------------ t: transfer
    def action_transfer(self, restore: dict | None = None, app_id: int | None = None) -> None:
        self._on_target(app_id, lambda row: self._read_reps(row, restore))

    @work(thread=True, group="inbox-target")
    def _read_reps(self, row: InboxRow, restore: dict | None) -> None:
        from models.engine import in_own_connection
        from models.errors import database_error_text, database_errors
        from models.usecases.inbox import transfer_targets

        try:
            reps = in_own_connection(transfer_targets, row.owner_id)
        except database_errors() as exc:
            self.app.call_from_thread(self.app.set_db_state, False, database_error_text(exc))
            return
        self.app.call_from_thread(self._transfer_form, row, reps, restore)

    def _transfer_form(self, row: InboxRow, reps: tuple[RepChoice, ...], restore: dict | None) -> None:
        from models.usecases.inbox import transfer

        from screens.form import FieldSpec, FormDialog

        app = self.app
        choices = [(f"{r.login} - {r.name}{' (away)' if r.away else ''}", r.login) for r in reps]
        if not choices:
            self.notify("There is nobody to transfer to.", severity="warning")
            return
        fields = [FieldSpec("to", "To", choices=choices), FieldSpec("reason", "Why", required=True)]

        def submit(v):
            return transfer(app.rep, row.id, v["to"], v["reason"], app.now())

        def after(result):
            if result is not None:
                self._done(f"#{row.id} moved to {result.owner}.")

        self._open_form(FormDialog(f"Transfer #{row.id}", fields, submit, form_id=f"transfer:{row.id}"), after,
                        restore)

    # ------------------------------------------------------------ x: close or spam
    def action_close_app(self, restore: dict | None = None, app_id: int | None = None) -> None:
        self._on_target(app_id, lambda row: self._close_form(row, restore))

    def _close_form(self, row: InboxRow, restore: dict | None) -> None:
        from models.usecases.inbox import close

        from screens.form import FieldSpec, FormDialog

        app = self.app
        fields = [FieldSpec("status", "Mark as", choices=[("Closed", "closed"), ("Spam", "spam")]),
                  FieldSpec("reason", "Why", required=True)]

        def submit(v):
            return close(app.rep, row.id, v["status"], v["reason"], app.now())

        def after(result):
            if result is not None:
                self._done(f"#{row.id} is {result.status}.")

        self._open_form(FormDialog(f"Close #{row.id}", fields, submit, form_id=f"close:{row.id}"), after, restore)

    # ------------------------------------------------------------ n: a phone call
    def action_new(self, restore: dict | None = None, app_id: int | None = None) -> None:
        from models.errors import ValidationError
        from models.inbox import add_phone_application
        from models.validation import normalize_email, normalize_phone, phone_region

        from screens.form import FieldSpec, FormDialog

        app = self.app
        region = phone_region()  # once per form, not once per keystroke

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
            FieldSpec("phone", "Phone", placeholder="+44 20 7946 0991",
                      validate=check(lambda v: normalize_phone(v, region))),
            FieldSpec("email", "E-mail", placeholder="name@example.com", validate=check(normalize_email)),
            FieldSpec("text", "What they want", required=True, multiline=True),
            then_field(),
        ]
        wanted = {}

        def submit(v):
            wanted["then"] = v.get("then")
            phone = normalize_phone(v["phone"], region)
            email = normalize_email(v["email"])
            if not (phone or email):
                raise ValidationError("A phone number or an e-mail is needed to answer.", field="phone")
            return add_phone_application(app.rep, dict(name=v["name"], phone=phone or "", email=email or "",
                                                       text=v["text"], received_at=app.now()), app.now())

        def after(result):
            if result is not None:  # the call was its first contact: it leaves the inbox at once
                if wanted.get("then") == "convert":
                    self._done(f"Application #{result} added as your call, first contact logged.", keep_id=result)
                    self.action_convert(app_id=result)
                else:
                    self._done(f"Application #{result} added as your call, first contact logged; repdesk convert "
                               f"{result} makes its card and deal.", keep_id=result)

        self._open_form(FormDialog("New phone application", fields, submit, form_id="phone-intake"), after, restore)

    # ------------------------------------------------------------ v: convert
    def action_convert(self, restore: dict | None = None, app_id: int | None = None) -> None:
        """The conversion dialog on the highlighted application (or APP_ID); once converted, the client card
        opens on the new deal."""
        from screens.convert import ConvertDialog

        if app_id is None:
            row = self.current
            if row is None:
                return
            app_id = row.id

        def after(done) -> None:
            if done is None:
                return
            from screens.client import ClientCardScreen

            self._done(f"Application #{done.application_id} converted: "
                       f"{'new client' if done.created_client else 'client'} {done.client_id}, deal {done.deal_id} "
                       f"({done.lines} line(s), {done.amount_text}).")
            self.app.push_screen(ClientCardScreen(done.client_id, deal_id=done.deal_id, tab="tab-deals"))

        self.app.push_screen(ConvertDialog(app_id), after)
