"""The client card's deal dialogs: a deal line added (`l`, by SKU and quantity, the catalog price unless
another is typed) or removed (`L`), the agreement signed (`S`), the deal lost (ctrl+l) and the client lost
(`X`) with a reason from the list, a call or meeting scheduled (`m`). Each calls DONE with what was done
(None when the rep cancelled); the card reloads and shows the result (a signed agreement moves the deal by
itself, so the card shows the new stage)."""
from __future__ import annotations


def _amount_check(currency: str):
    from models.money import parse_amount

    def check(value: str) -> str | None:
        try:
            parse_amount(value, currency or "EUR")
        except ValueError as exc:
            return f"{exc}."
        return None
    return check


def _quantity(value: str) -> int:
    from models.errors import ValidationError

    raw = (value or "").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
        raise ValidationError("The quantity is a whole number from 1 to 1,000,000.", field="quantity")
    return int(raw)


def _quantity_check(value: str) -> str | None:
    from models.errors import ValidationError

    try:
        _quantity(value)
    except ValidationError as exc:
        return str(exc)
    return None


def ask_line(app, deal, done) -> None:
    """`l`: add a line to DEAL (a models.usecases.card.CardDeal): a catalog SKU and a quantity; the price is
    the catalog's unless one is typed (in the deal's currency)."""
    from models.errors import ValidationError
    from models.money import parse_amount
    from models.pipeline import add_line
    from screens.form import FieldSpec, FormDialog

    currency = deal.text("currency") or "EUR"

    def submit(v):
        price = None  # the catalog's
        if v["price"].strip():
            try:
                price = parse_amount(v["price"], currency)
            except ValueError as exc:
                raise ValidationError(f"{exc}.", field="price") from None
        return {"line": add_line(app.rep, deal.id, v["sku"].strip(), _quantity(v["quantity"]), app.now(),
                                 price_minor=price)}

    app.push_screen(FormDialog(f"Deal {deal.id}: add a line", [
        FieldSpec("sku", "Product SKU", required=True, placeholder="e.g. BALL-PRO5"),
        FieldSpec("quantity", "Quantity", value="1", required=True, validate=_quantity_check),
        FieldSpec("price", f"Unit price in {currency} (empty: the catalog price)", validate=_amount_check(currency))],
        submit, form_id=f"card-line:{deal.id}", hint="enter on the last field or ctrl+s adds · escape cancels"), done)


def deal_lines(deal) -> tuple:
    return tuple(getattr(deal, "lines", ()) or ())


def line_label(line) -> str:
    """One deal line (a models.usecases.card.CardLine) as the card lists it."""
    from models.text import one_line

    return one_line(f"{line.quantity} x {line.sku} {line.description} at {line.unit_price_text} = "
                    f"{line.total_text}", 72)


def ask_remove_line(app, deal, done) -> None:
    """`L`: remove one of DEAL's lines, chosen from a list."""
    from models.pipeline import remove_line
    from screens.form import FieldSpec, FormDialog

    lines = deal_lines(deal)
    if not lines:
        app.notify(f"Deal {deal.id} has no lines; l adds one.", markup=False)
        return
    choices = [(line_label(x), str(x.id)) for x in lines]

    def submit(v):
        remove_line(app.rep, deal.id, int(v["line"]), app.now())
        return v

    app.push_screen(FormDialog(f"Deal {deal.id}: remove a line", [FieldSpec("line", "Line", choices=choices)],
                               submit, form_id=f"card-unline:{deal.id}", hint="ctrl+s removes · escape cancels"),
                    done)


def send_agreement(app, deal) -> str:
    """`s`: the agreement goes to the client for signature; returns what the card says."""
    from models.payments import send_agreement as send

    send(app.rep, deal.id, app.now())
    return f"The agreement of deal {deal.id} is sent for signature; S signs it when it comes back."


def ask_sign(app, deal, client_name: str, done) -> None:
    """`S`: the agreement came back signed (by whom): the deal follows to Agreement signed by itself."""
    from models.payments import sign_agreement
    from screens.form import FieldSpec, FormDialog

    def submit(v):
        ag = sign_agreement(app.rep, deal.id, app.now(), signed_by=v["by"].strip() or None)
        return {"signed_by": ag.signed_by}

    app.push_screen(FormDialog(f"Deal {deal.id}: the agreement is signed", [
        FieldSpec("by", "Signed by", value=client_name, required=True)],
        submit, form_id=f"card-sign:{deal.id}", hint="enter or ctrl+s signs · escape cancels"), done)


def ask_deal_lost(app, deal_id: int, reasons, done) -> None:
    """ctrl+l: close the deal as lost with a reason from the list (models.flow.lose_deal: its unpaid invoices
    and an order not yet shipped are cancelled)."""
    from models.flow import lose_deal
    from screens.form import FieldSpec, FormDialog

    choices = [(label, key) for key, label in reasons]
    def submit(v):
        lose_deal(app.rep, deal_id, v["reason"], app.now())
        return v

    app.push_screen(FormDialog(f"Deal {deal_id} lost: why?", [FieldSpec("reason", "Reason", choices=choices)],
                               submit, form_id="lost",
                               hint="ctrl+s closes the deal as lost · escape cancels"), done)


def ask_client_lost(app, card, done) -> None:
    """`X`: the client is lost, with a reason from the list (a lost client gets no follow-up cadence)."""
    from models.clients import update_client
    from screens.form import FieldSpec, FormDialog

    choices = [(label, key) for key, label in card.lost_reasons]

    def submit(v):
        c = update_client(app.rep, card.id, {"lost_reason": v["reason"]}, app.now(), expected_version=card.version)
        return {"id": c.id, "lost_reason": c.lost_reason}

    app.push_screen(FormDialog(f"Client {card.id} lost: why?", [FieldSpec("reason", "Reason", choices=choices)],
                               submit, form_id=f"card-client-lost:{card.id}",
                               hint="ctrl+s marks the client lost · escape cancels"), done)


def ask_schedule(app, client_id: int, deal_id: int | None, done) -> None:
    """`m`: a future call or meeting with this client (about the selected deal), at a time in the rep's zone."""
    from models.activities import schedule
    from models.clock import zone
    from screens.client_dialogs import due_time
    from screens.form import FieldSpec, FormDialog

    tz = app.rep.timezone
    check, parse = due_time(app)

    def submit(v):
        a = schedule(app.rep, client_id, v["kind"], v["subject"], parse(v["due"]), app.now(), deal_id=deal_id)
        return {"kind": a.kind, "due_at": a.due_at}

    app.push_screen(FormDialog("Schedule a call or meeting", [
        FieldSpec("kind", "Kind", choices=[("Call", "call"), ("Meeting", "meeting")]),
        FieldSpec("subject", "About", required=True),
        FieldSpec("due", f"When ({zone(tz).key}: 2026-11-24 15:30, +2d, +3h)", value="+1d", required=True,
                  validate=check)], submit, form_id=f"card-schedule:{client_id}"), done)


class DealKeys:
    """The card's keys that act on the selected deal and the client (a mixin of ClientCardScreen, which
    provides current_deal(), save(), reload(), message(), after_load(), show_missing() and the card). A key
    saves what was typed first (the operation changes the deal's version), then reloads and says what
    happened, on the Deals tab."""

    def _deal(self):
        d = self.current_deal()
        if d is None:
            self.notify("This client has no deal yet: D adds one.", markup=False)
        return d

    def _open_deal(self):
        """The selected deal, if it is open (lines and papers of a won or lost deal no longer change)."""
        d = self._deal()
        if d is not None and d.closed:
            self.notify(f"Deal {d.id} is {d.stage_name.lower()}: it no longer changes.", markup=False)
            return None
        return d

    def _done(self, text: str, tab: str = "tab-deals") -> None:
        """Reload the card, then turn to TAB and say TEXT (a callable is read after the reload: the new stage)."""
        def then() -> None:
            self.tabs.turn_to(tab)
            self.message(text() if callable(text) else text, error=False)
        self.reload(keep_edits=True, then=then)

    def _stage_now(self, deal_id: int, what: str):
        def text() -> str:
            d = self.card.deal(deal_id) if self.card is not None else None
            return f"{what} Deal {deal_id} is in {d.stage_name}." if d else what
        return text

    def _try(self, fn, *args):
        from models.errors import DomainError, database_error_text, database_errors

        try:
            return fn(*args)
        except DomainError as exc:
            self.message(str(exc))
        except database_errors() as exc:
            self.message(f"Not done: the database refused it ({database_error_text(exc)}).")
        return None

    # ------------------------------------------------------------ > < and lost (models.flow)
    def action_move(self, step: int) -> None:
        from models.errors import DomainError, StageGateError
        from models.flow import move_deal

        d = self._deal()
        if d is None or not self.save():
            return
        if d.closed:
            self.notify("Won and lost deals are closed; reopen one with repdesk deal move.", markup=False)
            return
        target = d.forward if step > 0 else d.backward  # models.pipeline.stage_step, read with the card
        if target is None:
            return
        try:
            move_deal(self.app.rep, d.id, target, self.app.now())
        except StageGateError as exc:
            missing = exc.missing
            self.after_load(lambda: self.show_missing(missing, target))
            return
        except DomainError as exc:
            self.message(str(exc))
            return
        self._done(f"Deal {d.id} moved to {self.card.stage_name(target)}.")

    def action_lost(self) -> None:
        d = self._open_deal()
        if d is None or not self.save():
            return
        ask_deal_lost(self.app, d.id, self.card.lost_reasons,
                      lambda r: r and self._done(f"Deal {d.id} is lost; what had not shipped is cancelled."))

    # ------------------------------------------------------------ lines
    def action_add_line(self) -> None:
        d = self._open_deal()
        if d is None or not self.save():
            return
        ask_line(self.app, d, lambda r: r and self._done(f"Line added to deal {d.id}; its amount is the sum of "
                                                         "its lines."))

    def action_remove_line(self) -> None:
        d = self._open_deal()
        if d is None or not self.save():
            return
        ask_remove_line(self.app, d, lambda r: r and self._done(f"Line removed from deal {d.id}."))

    # ------------------------------------------------------------ the agreement
    def action_terms(self) -> None:
        d = self._open_deal()
        if d is None:
            return
        self.tabs.active = "tab-deals"
        self.call_after_refresh(self.query_one("#d-provides").focus)
        self.message("The agreement's terms: what we provide, what we get back; ctrl+s saves them, then s sends "
                     "the agreement and S signs it.", error=False)

    def action_send_agreement(self) -> None:
        d = self._open_deal()
        if d is None or not self.save():
            return
        said = self._try(send_agreement, self.app, d)
        if said:
            self._done(said)

    def action_sign_agreement(self) -> None:
        d = self._open_deal()
        if d is None or not self.save():
            return
        ask_sign(self.app, d, self.card.name, lambda r: r and self._done(
            self._stage_now(d.id, f"The agreement of deal {d.id} is signed by {r['signed_by']}.")))

    # ------------------------------------------------------------ the client
    def action_client_lost(self) -> None:
        if self.card is None or not self.save():
            return
        ask_client_lost(self.app, self.card, lambda r: r and self._done(
            f"Client {r['id']} is lost: {dict(self.card.lost_reasons).get(r['lost_reason'], r['lost_reason'])}; no "
            "follow-up cadence for them.", tab="tab-card"))

    def action_schedule(self) -> None:
        if self.card is None:
            return
        ask_schedule(self.app, self.client_id, self.deal_id, lambda r: r and self._done(
            f"Scheduled: {r['kind']} on {_due(r['due_at'], self.app.rep.timezone, self.app.now())}.",
            tab="tab-activity"))


def _due(moment, tz, now) -> str:
    from models.clock import shown

    return shown(moment, tz, now)
