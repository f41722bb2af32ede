"""The Payments forms: record a payment or a failed one on an invoice (an InvoiceDetail). The amount is
read by the same model function as the CLI's; refusals come back from models.payments."""
from __future__ import annotations

from screens.payments_list import money


def amount_check(currency: str):
    from models.money import parse_amount

    def check(value: str) -> str | None:
        try:
            minor = parse_amount(value, currency)
        except ValueError as exc:
            return f"{exc}."
        return None if minor > 0 else "A payment is a positive amount."

    return check


def parse_amount_field(text: str, currency: str) -> int:
    """The amount typed, in minor units (a ValidationError on the amount field otherwise)."""
    from models.errors import ValidationError
    from models.money import parse_amount

    try:
        return parse_amount(text, currency)
    except ValueError as exc:
        raise ValidationError(f"{exc}.", field="amount") from None


def payment_fields(inv, failed: bool, suggested: str | None = None) -> list:
    """The fields of the payment form on INV (an InvoiceDetail)."""
    from models.money import plain_amount

    from screens.form import FieldSpec

    cur = inv.currency
    balance = plain_amount(inv.balance_minor, cur)
    if failed:
        return [FieldSpec("amount", f"Amount in {cur} that failed", required=True, placeholder=balance,
                          validate=amount_check(cur)),
                FieldSpec("method", "Method", value="card", placeholder="card, transfer, direct debit ..."),
                FieldSpec("reason", "Why it failed", required=True, placeholder="card declined, bounced ...")]
    return [FieldSpec("amount", f"Amount in {cur} (balance {money(inv.balance_minor, cur)})",
                      required=True, placeholder=suggested or balance, validate=amount_check(cur)),
            FieldSpec("method", "Method", value="transfer", placeholder="transfer, card, cash ...")]


def owner_words(inv, actor) -> str:
    """Who the follow-up task of a failed payment on INV went to, as the notification says it."""
    from models.text import one_line

    if inv is None or inv.owner_id is None:
        return "the deal's owner"
    if inv.owner_id == actor.id:
        return "you"
    return one_line(inv.owner_name or "", 40)


def recorded_text(p, inv, left) -> str:
    """The notification after payment P on INV; LEFT is the invoice read again (or None)."""
    tail = f"; balance now {money(left.balance_minor, left.currency)}" if left else ""
    paid = " (paid in full)" if left and left.balance_minor <= 0 else ""
    return f"Payment {p.id} of {money(p.amount_minor, p.currency)} recorded on {inv.number}{tail}{paid}."


def open_form(screen, title: str, fields, submit, form_id: str, after, restore: dict | None = None) -> None:
    """Push the form; a refusal from the model is shown as a notification too, and the form keeps what
    was typed. RESTORE refills it (a draft after a dropped line)."""
    from models.errors import DomainError
    from models.text import one_line

    from screens.form import FormDialog

    def guarded(values):
        try:
            return submit(values)
        except DomainError as exc:
            screen.notify(one_line(str(exc), 400), severity="error", timeout=6, markup=False)
            raise

    dialog = FormDialog(title, fields, guarded, form_id=form_id)
    screen.app.push_screen(dialog, after)
    if restore:
        dialog.call_after_refresh(dialog.set_values, restore)
