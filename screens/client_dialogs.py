"""The client card's small dialogs: a new deal, an activity logged, a task. Each calls DONE with what was
created (None when the rep cancelled)."""
from __future__ import annotations


def ask_new_deal(app, client_id: int, done) -> None:
    """A new deal for this client (it starts in New; its fields are filled on the Deals tab)."""
    from models.money import check_currency
    from models.pipeline import add_deal
    from screens.form import FieldSpec, FormDialog

    def currency_check(value: str) -> str | None:
        try:
            check_currency(value)
        except ValueError as exc:
            return str(exc)
        return None

    def submit(v):
        return add_deal(app.rep, client_id, v["title"], app.now(), v["amount"] or None, v["currency"] or "EUR")

    app.push_screen(FormDialog("New deal", [
        FieldSpec("title", "Title", required=True), FieldSpec("amount", "Amount (e.g. 1800.00)"),
        FieldSpec("currency", "Currency", value="EUR", validate=currency_check)],
        submit, form_id=f"card-deal:{client_id}"), done)


def ask_activity(app, client_id: int, deal_id: int | None, done) -> None:
    """Log a call, e-mail, message or meeting with this client (about the selected deal)."""
    from models.activities import log_activity
    from screens.form import FieldSpec, FormDialog

    kinds = [("Call", "call"), ("E-mail", "email"), ("Message", "message"), ("Meeting", "meeting")]

    def submit(v):
        return log_activity(app.rep, v["kind"], v["subject"], now=app.now(), client_id=client_id,
                            deal_id=deal_id, note=v["note"] or None)

    app.push_screen(FormDialog("Log an activity", [
        FieldSpec("kind", "Kind", choices=kinds), FieldSpec("subject", "What happened", required=True),
        FieldSpec("note", "Note", multiline=True)], submit, form_id=f"card-log:{client_id}"), done)


def due_time(app):
    """(check as typed, parse) for a moment typed in the rep's zone: "2026-11-24 15:30", "2026-11-24", "+2d"."""
    from models.clock import parse_local
    from models.errors import ValidationError

    tz = app.rep.timezone

    def parse(value: str):
        try:
            return parse_local(value, tz, app.now())
        except ValueError as exc:
            raise ValidationError(f"{exc}.", field="due") from None

    def check(value: str) -> str | None:
        try:
            parse(value)
        except ValidationError as exc:
            return str(exc)
        return None

    return check, parse


def ask_task(app, client_id: int, deal_id: int | None, done) -> None:
    """A task about this client (and the selected deal), for the client's owner."""
    from models.activities import add_task
    from screens.form import FieldSpec, FormDialog

    check, parse = due_time(app)

    def submit(v):
        return add_task(app.rep, client_id, v["subject"], parse(v["due"]), app.now(), deal_id=deal_id)

    app.push_screen(FormDialog("New task", [
        FieldSpec("subject", "Task", required=True),
        FieldSpec("due", "Due (2026-11-24 15:30, 2026-11-24, +2d, +3h)", value="+1d", required=True,
                  validate=check)], submit, form_id=f"card-task:{client_id}"), done)
