"""The Payments steps that change papers and goods (issue 11, "every step in the TUI"): issue an invoice
for a deal (one due date, or installments: parts and the days between them), credit and debit notes on the
selected invoice (a rep's credit note above the limit waits for a manager), an order for a ready deal
(the delivery address prefilled from the client), shipped, delivered; and the managers' "waiting for me"
list (screens.approvals). A mixin of PaymentsScreen: each action calls one models/ operation; refusals
come back as notifications (or under the form field they name)."""
from __future__ import annotations

from screens.payments_list import INVOICE_KINDS, money

def _whole(text: str, field: str, label: str, low: int, high: int) -> int | None:
    from models.errors import ValidationError

    raw = (text or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise ValidationError(f"{label} is a whole number from {low} to {high}.", field=field)
    return int(raw)


class PaymentActions:
    """The actions behind i, c, d, w, S, D and a on the Payments screen (self is the PaymentsScreen)."""

    # ------------------------------------------------------------ invoice
    def action_invoice(self) -> None:
        from models.payments import issue_invoice
        from models.text import one_line
        from models.usecases.orders import deals_to_invoice

        from screens.form import FieldSpec
        from screens.payments_forms import open_form

        app = self.app
        ok, deals = self._call(deals_to_invoice, app.rep)
        if not ok:
            return
        choices = [(f"#{d.deal_id} {one_line(d.title, 26)} · {one_line(d.client, 18)} ({d.stage})", str(d.deal_id))
                   for d in deals]
        row = self.current
        chosen = str(row.deal_id) if row is not None and row.kind == "ship" else None
        if chosen is not None and chosen not in [v for _, v in choices]:
            choices.insert(0, (f"#{row.deal_id} {row.item.title[:40]}", chosen))
        if not choices:
            self._refuse("No open deal to invoice: every deal in view is invoiced, won or lost.")
            return
        fields = [FieldSpec("deal", "Deal", value=chosen or choices[0][1], choices=choices),
                  FieldSpec("amount", "Amount (empty: the deal's lines or amount)"),
                  FieldSpec("installments", "Installments (empty: one due date)", placeholder="e.g. 3"),
                  FieldSpec("every", "Days between parts", value="30")]

        def submit(v):
            parts = _whole(v["installments"], "installments", "Installments", 1, 60)
            every = _whole(v["every"], "every", "Days between parts", 1, 366) if parts else None
            amount = None
            if v["amount"].strip():
                from screens.payments_forms import parse_amount_field
                from models.usecases.payments import deal_detail

                amount = parse_amount_field(v["amount"], deal_detail(app.rep, int(v["deal"])).currency)
            return issue_invoice(app.rep, int(v["deal"]), app.now(), amount_minor=amount, installments=parts,
                                 every_days=every)

        def after(inv) -> None:
            if inv is None:
                return
            detail = self._invoice(inv.id)
            text = f"Invoice {inv.number} issued for deal {inv.deal_id}: {money(inv.amount_minor, inv.currency)}"
            if detail is not None and detail.plan:
                text += (f" in {len(detail.parts)} installments"
                         + ("; the plan waits for a manager's approval" if detail.plan == "proposed" else ""))
            self.notify(text + ".", timeout=6, markup=False)
            self.go_after_load = f"inv:{inv.id}"
            self.load()

        open_form(self, "Issue an invoice", fields, submit, "invoice", after)

    # ------------------------------------------------------------ credit and debit notes
    def action_credit(self) -> None:
        self.open_note_form("credit")

    def action_debit(self) -> None:
        self.open_note_form("debit")

    def open_note_form(self, kind: str) -> None:
        from models.payments import add_note

        from screens.form import FieldSpec
        from screens.payments_forms import amount_check, open_form, parse_amount_field

        row = self._target(INVOICE_KINDS, f"A {kind} note goes on an invoice: select an invoice's row "
                                          "(open, overdue, installments ...).")
        if row is None:
            return
        inv = self._invoice(row.invoice_id)
        if inv is None:
            return
        app, cur = self.app, inv.currency
        what = "lowers the balance: a discount, a return" if kind == "credit" else "raises it: delivery, a fee"
        fields = [FieldSpec("amount", f"Amount in {cur} (balance {money(inv.balance_minor, cur)})", required=True,
                            validate=amount_check(cur)),
                  FieldSpec("reason", f"Reason (a {kind} note {what})", required=True)]

        def submit(v):
            return add_note(app.rep, inv.invoice_id, kind, parse_amount_field(v["amount"], cur), v["reason"],
                            app.now())

        def after(note) -> None:
            if note is None:
                return
            left = self._invoice(inv.invoice_id)
            balance = money(left.balance_minor, cur) if left else "?"
            if getattr(note, "status", None) == "proposed":
                self.notify(f"Credit note {note.id} of {money(note.amount_minor, cur)} on {inv.number} waits for a "
                            f"manager's approval; the balance stays {balance}.", title="Waiting", timeout=8,
                            markup=False)
            else:
                self.notify(f"{kind.capitalize()} note {note.id} of {money(note.amount_minor, cur)} on {inv.number}; "
                            f"balance now {balance}.", timeout=6, markup=False)
            self.load()

        open_form(self, f"A {kind} note on {inv.number}", fields, submit, f"note-{kind}", after)

    # ------------------------------------------------------------ orders
    def action_warehouse(self) -> None:
        """A shipment row that is ready: an order with the deal's lines, to the address asked (the client's)."""
        from models.clients import client_dict, get_client
        from models.orders import create_order

        from screens.form import FieldSpec
        from screens.payments_forms import open_form

        row = self._target(("ship",), "w sends a deal to the warehouse: select a row under \"Shipments waiting\".")
        if row is None:
            return
        app = self.app
        if not row.item.ready:
            self._refuse(f"Deal {row.deal_id} cannot go to the warehouse yet: {'; '.join(row.item.why)}.")
            return
        ok, c = self._call(lambda: client_dict(get_client(app.rep, row.client_id)))
        if not ok:
            return
        address = ", ".join(p.strip() for p in (c.get("address"), c.get("city"), c.get("country")) if p and p.strip())

        def submit(v):
            return create_order(app.rep, row.deal_id, app.now(), address=v["address"].strip() or None)

        def after(order) -> None:
            if order is None:
                return
            self.notify(f"Order {order.id} forwarded to the warehouse for deal {row.deal_id}.", timeout=5,
                        markup=False)
            self.go_after_load = f"order:{order.id}"
            self.load()

        open_form(self, f"Order for deal {row.deal_id}", [
            FieldSpec("address", "Delivery address", value=address, required=True,
                      placeholder="street, city, country")], submit, f"order:{row.deal_id}", after)

    def action_ship(self) -> None:
        self._advance_order("ship")

    def action_deliver(self) -> None:
        self._advance_order("deliver")

    def _advance_order(self, step: str) -> None:
        from models.orders import deliver_order, ship_order
        from models.usecases.payments import deal_detail

        row = self._target(("order",), f"{'S ships' if step == 'ship' else 'D delivers'} an order: select a row "
                                       "under \"Orders at the warehouse\".")
        if row is None:
            return
        app = self.app
        ok, order = self._call(ship_order if step == "ship" else deliver_order, app.rep, row.order_id, app.now())
        if not ok:
            return
        ok, deal = self._call(deal_detail, app.rep, row.deal_id)
        stage = f"; deal {row.deal_id} is now {deal.stage}" if ok else ""
        self.notify(f"Order {order.id} {order.status}{stage}.", timeout=6, markup=False)
        self.load()

    # ------------------------------------------------------------ approvals
    def action_approvals(self) -> None:
        from models.access import is_manager

        from screens.approvals import ApprovalsScreen

        if not is_manager(self.app.rep):
            self._refuse("Plans and credit notes are approved by a manager.")
            return
        self.app.push_screen(ApprovalsScreen(), lambda _: self.load())
