"""The client card as one use case: what the card shows (`client_card`), what changed on it meanwhile
(`card_update`, `changed_meanwhile`) and saving it (`save_card`, the client, its deal and the deal's
agreement in one transaction). Everything returned is frozen data; no database row leaves here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..access import scope
from ..activities import activity_dict
from ..audit import changes_since, visible_history
from ..clients import EDITABLE, field_text, get_client, lost_reasons, required_fields, update_client
from ..clock import iso
from ..engine import write_txn
from ..money import format_amount
from ..payments import invoice_dict, upsert_agreement
from ..pipeline import deal_dict, deal_lines, get_deal, missing_for, stage_step, stages, update_deal
from ..tables import Activity, Agreement, Deal, Invoice, Order
from ..validation import phone_region

DEAL_FORM = ("title", "need", "budget", "timeline", "decision_maker", "expected_close", "products", "amount",
             "currency")


@dataclass(frozen=True)
class CardAgreement:
    """A deal's agreement terms as the card edits them (version 0: there is none yet)."""
    provides: str = ""
    receives: str = ""
    version: int = 0
    status: str | None = None        # None (no agreement yet), draft, sent or signed
    signed_at: str | None = None     # ISO 8601, UTC
    signed_by: str | None = None


@dataclass(frozen=True)
class CardLine:
    """One line of a deal: a catalog product, how many, at what price."""
    id: int
    sku: str
    description: str
    quantity: int
    unit_price_text: str             # "39.90 EUR"
    total_text: str


@dataclass(frozen=True)
class CardOrder:
    """The deal's warehouse order."""
    id: int
    status: str                      # forwarded, shipped, delivered, cancelled
    address: str
    created_at: str | None           # ISO 8601, UTC
    shipped_at: str | None
    delivered_at: str | None
    cancelled_at: str | None
    cancel_reason: str | None


@dataclass(frozen=True)
class CardDeal:
    id: int
    title: str
    stage: str                       # the stage's key
    stage_name: str
    closed: bool                     # won or lost: `>`/`<` do not move it
    amount_text: str
    version: int
    next_stage: str | None           # the open stage after this one (None when closed or last)
    next_missing: tuple[str, ...]    # labels of what the next stage still needs
    forward: str | None              # where `>` moves it (models.pipeline.stage_step)
    backward: str | None             # where `<` moves it
    form: tuple[tuple[str, str], ...]  # the deal's editable fields as text, in DEAL_FORM order
    agreement: CardAgreement
    lines: tuple[CardLine, ...] = ()  # the amount is their sum when there are any
    order: CardOrder | None = None

    def text(self, name: str) -> str:
        return dict(self.form).get(name, "")


@dataclass(frozen=True)
class CardActivity:
    id: int
    kind: str
    subject: str
    note: str | None
    created_at: str | None           # ISO 8601, UTC
    due_at: str | None
    done_at: str | None


@dataclass(frozen=True)
class CardInvoice:
    id: int
    number: str
    status: str
    amount: str
    currency: str
    balance: str
    due_at: str | None


@dataclass(frozen=True)
class CardHistory:
    id: int
    at: str | None
    actor: str
    kind: str
    record_id: int
    action: str
    field: str | None
    old: str | None
    new: str | None
    cause: str | None = None         # why an automatic change happened ("order 3 shipped")


@dataclass(frozen=True)
class ClientCard:
    id: int
    name: str
    segment: str | None
    owner: str | None
    lost_reason: str | None
    version: int
    fields: tuple[tuple[str, str], ...]   # every editable field as the card's input shows it
    required: tuple[str, ...]
    phone_region: str | None
    lost_reasons: tuple[tuple[str, str], ...]  # key, label
    deals: tuple[CardDeal, ...]
    activities: tuple[CardActivity, ...]
    invoices: tuple[CardInvoice, ...]
    history: tuple[CardHistory, ...]
    stage_names: tuple[tuple[str, str], ...]  # key, name of every stage

    def text(self, name: str) -> str:
        return dict(self.fields).get(name, "")

    def deal(self, deal_id: int | None) -> CardDeal | None:
        return next((d for d in self.deals if d.id == deal_id), None)

    def stage_name(self, key: str) -> str:
        return dict(self.stage_names).get(key, key)

    def versions(self, deal_id: int | None) -> tuple[int, int | None, int | None]:
        """The versions a save (or a look at what changed meanwhile) is guarded by: the client's, the deal's
        and its agreement's (0: none yet)."""
        d = self.deal(deal_id)
        return self.version, d.version if d else None, d.agreement.version if d else None


@dataclass(frozen=True)
class CardUpdate:
    """What another session changed on an open card since the versions it shows (None: nothing), and
    the card as it is now when something did."""
    changed: str | None
    card: ClientCard | None


def _text(value) -> str:
    return "" if value is None else str(value)


def client_card(actor, client_id: int, now: datetime) -> ClientCard:
    """Everything the client card shows: the client, its deals ACTOR may see (with what their next stage
    still needs and their agreement), activities, invoices and the audit history of the client and its
    deals (newest first)."""
    c = get_client(actor, client_id)
    all_stages = stages()
    ordered = [s for s in all_stages if not s.terminal]
    steps: dict[str, tuple[str | None, str | None]] = {}
    rows = list(scope(Deal.select().where(Deal.client == c.id), actor, Deal.owner, Deal.team)
                .order_by(Deal.created_at.desc(), Deal.id.desc()).limit(100))
    deal_ids = [d.id for d in rows]
    agreements = {a.deal_id: a for a in Agreement.select().where(Agreement.deal.in_(deal_ids))} if deal_ids else {}
    orders = {o.deal_id: o for o in Order.select().where(Order.deal.in_(deal_ids))} if deal_ids else {}
    deals = []
    for d in rows:  # a closed deal can stay with the rep who worked it: only the visible ones
        row = deal_dict(d)
        stage = d.stage
        nxt = next((s for s in ordered if s.position > stage.position), None) if not stage.terminal else None
        if not stage.terminal and stage.key not in steps:
            steps[stage.key] = (stage_step(stage.key, 1), stage_step(stage.key, -1))
        forward, backward = steps.get(stage.key, (None, None))
        ag = agreements.get(d.id)
        o = orders.get(d.id)
        deals.append(CardDeal(
            id=d.id, title=_text(d.title), stage=stage.key, stage_name=stage.name, closed=bool(stage.terminal),
            amount_text=format_amount(d.amount_minor, d.currency) if d.amount_minor is not None else "-",
            version=d.version, next_stage=nxt.key if nxt else None,
            next_missing=tuple(m["label"] for m in missing_for(d, nxt)) if nxt else (),
            forward=forward, backward=backward,
            form=tuple((f, _text(row.get(f))) for f in DEAL_FORM),
            agreement=CardAgreement(provides=ag.provides or "", receives=ag.receives or "", version=ag.version,
                                    status=ag.status, signed_at=iso(ag.signed_at), signed_by=ag.signed_by)
            if ag else CardAgreement(),
            lines=tuple(CardLine(id=x["id"], sku=x["sku"], description=_text(x["description"]), quantity=x["quantity"],
                                 unit_price_text=format_amount(x["unit_price_minor"], x["currency"]),
                                 total_text=format_amount(x["total_minor"], x["currency"]))
                        for x in deal_lines(d.id)),
            order=CardOrder(id=o.id, status=o.status, address=_text(o.address), created_at=iso(o.created_at),
                            shipped_at=iso(o.shipped_at), delivered_at=iso(o.delivered_at),
                            cancelled_at=iso(o.cancelled_at), cancel_reason=o.cancel_reason) if o else None))
    mine = Activity.client == c.id
    if deal_ids:
        mine |= Activity.deal.in_(deal_ids)
    activities = tuple(
        CardActivity(id=a["id"], kind=a["kind"], subject=_text(a["subject"]), note=a["note"],
                     created_at=a["created_at"], due_at=a["due_at"], done_at=a["done_at"])
        for a in (activity_dict(x) for x in Activity.select().where(mine).order_by(Activity.id.desc()).limit(100)))
    invoices = tuple(
        CardInvoice(id=i["id"], number=i["number"], status=i["status"], amount=i["amount"], currency=i["currency"],
                    balance=i["balance"], due_at=i["due_at"])
        for i in (invoice_dict(x, now) for x in Invoice.select().where(Invoice.deal.in_(deal_ids))
                  .order_by(Invoice.issued_at.desc()).limit(100))) if deal_ids else ()
    history = visible_history(actor, "client", c.id, limit=100)
    for did in deal_ids[:20]:
        history += visible_history(actor, "deal", did, limit=50)
    history.sort(key=lambda h: h["id"], reverse=True)
    return ClientCard(
        id=c.id, name=_text(c.name), segment=c.segment, owner=c.owner.login if c.owner_id else None,
        lost_reason=c.lost_reason, version=c.version, fields=tuple((f, field_text(c, f)) for f in EDITABLE),
        required=tuple(sorted(required_fields())), phone_region=phone_region(),
        lost_reasons=tuple(lost_reasons().items()), deals=tuple(deals), activities=activities, invoices=invoices,
        history=tuple(CardHistory(id=h["id"], at=h["at"], actor=h["actor"], kind=h["kind"], record_id=h["record_id"],
                                  action=h["action"], field=h["field"], old=h["old"], new=h["new"], cause=h.get("cause"))
                      for h in history[:150]),
        stage_names=tuple((s.key, s.name) for s in all_stages))


def changed_meanwhile(actor, client_id: int, version: int, deal_id: int | None = None,
                      deal_version: int | None = None, agreement_version: int | None = None) -> str | None:
    """What another session changed on a card (and its deal) since the versions it shows, as one sentence;
    None when nothing did."""
    parts = []
    c = get_client(actor, client_id)
    if c.version != version:
        who, what, _ = changes_since("client", c.id, c.version, version)
        parts.append(f"the client was changed by {who} ({what})")
    if deal_id is not None and deal_version is not None:
        d = get_deal(actor, deal_id)
        if d.version != deal_version:
            who, what, _ = changes_since("deal", d.id, d.version, deal_version)
            parts.append(f"deal {d.id} was changed by {who} ({what})")
    if deal_id is not None and agreement_version is not None:
        ag = Agreement.get_or_none(Agreement.deal == deal_id)
        if (ag.version if ag else 0) != agreement_version and ag is not None:
            who, what, _ = changes_since("agreement", ag.id, ag.version, agreement_version)
            parts.append(f"the agreement of deal {deal_id} was changed by {who} ({what})")
    return "; ".join(parts) or None


def card_update(actor, client_id: int, now: datetime, version: int, deal_id: int | None = None,
                deal_version: int | None = None, agreement_version: int | None = None) -> CardUpdate:
    """What changed on an open card meanwhile and, when something did, the card as it is now."""
    what = changed_meanwhile(actor, client_id, version, deal_id, deal_version, agreement_version)
    return CardUpdate(changed=what, card=client_card(actor, client_id, now) if what else None)


def save_card(actor, client_id: int, now: datetime, *, client_changes: dict | None = None,
              client_version: int | None = None, deal_id: int | None = None, deal_changes: dict | None = None,
              deal_version: int | None = None, agreement: dict | None = None,
              agreement_version: int | None = None) -> None:
    """Save what a rep changed on a card, all of it or nothing, in one transaction: the client's fields,
    the selected deal's fields and its agreement terms, each guarded by the version the rep opened."""
    with write_txn():
        if client_changes:
            update_client(actor, client_id, client_changes, now, expected_version=client_version)
        if deal_id is not None and deal_changes:
            update_deal(actor, deal_id, deal_changes, now, expected_version=deal_version)
        if deal_id is not None and agreement:
            upsert_agreement(actor, deal_id, agreement.get("provides", ""), agreement.get("receives", ""), now,
                             expected_version=agreement_version)
