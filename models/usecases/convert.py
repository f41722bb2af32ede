"""Converting an application into a client card and a deal (`v` on the inbox, `repdesk convert ID`).

`conversion_preview` shows what a conversion would make: the known client (same e-mail or phone), the
likely duplicates to choose from, the proposed deal title and its lines (the catalog products and
quantities the scoring found, at catalog prices). `convert` makes it, in one transaction: the client
(the one chosen, else the known one, else a new card from the application's name, e-mail and phone), a
deal in New with those lines and the application's text as its need, linked to the application, which
closes as converted. Everything returned is frozen data.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import inbox, pipeline
from ..access import can_see_application, can_see_owned
from ..activities import log_activity
from ..clients import add_client, clean_fields, get_client, likely_duplicates
from ..clock import iso
from ..engine import write_txn
from ..errors import DomainError, NotYours, PermissionDenied, ValidationError
from ..money import format_amount
from ..tables import Application, Client, Product

# what a conversion logs the application as: the way the client reached us
_CHANNEL_KIND = {"phone": "call", "email": "email", "social": "message", "website": "message"}


@dataclass(frozen=True)
class ClientChoice:
    """A client the conversion may use: the known one or a likely duplicate (name None: not yours to see)."""
    id: int
    name: str | None
    owner: str | None
    reason: str                   # "known client", "same e-mail", "same phone", "similar name"
    visible: bool


@dataclass(frozen=True)
class ProposedLine:
    sku: str
    name: str
    quantity: int
    unit_price_minor: int
    currency: str
    price_text: str               # "39.90 EUR"
    total_text: str
    quantity_found: bool          # the application said how many (else 1 is proposed)


@dataclass(frozen=True)
class ConversionPreview:
    application_id: int
    channel: str
    received_at: str | None       # ISO 8601
    name: str
    email: str
    phone: str
    text: str
    known_client: ClientChoice | None
    duplicates: tuple[ClientChoice, ...]
    title: str
    lines: tuple[ProposedLine, ...]
    total_text: str               # the sum of the lines ("-" without any)
    new_client_name: str          # the name a new card would get


@dataclass(frozen=True)
class Conversion:
    application_id: int
    client_id: int
    deal_id: int
    created_client: bool
    title: str
    lines: int
    amount_text: str


def _new_client_name(a: Application) -> str:
    return (a.name or "").strip() or (a.email or "").strip() or (a.phone or "").strip() or f"Application {a.id}"


def _title(a: Application, lines: list[tuple[Product, int, bool]]) -> str:
    if lines:
        head = ", ".join(f"{q} x {p.name}" for p, q, _ in lines[:3]) + (" ..." if len(lines) > 3 else "")
    else:
        first = next((ln.strip() for ln in (a.subject or a.text or "").splitlines() if ln.strip()), "")
        head = first or f"Application {a.id}"
    from ..text import one_line

    return one_line(head, 120)


def _proposed(a: Application) -> list[tuple[Product, int, bool]]:
    """(product, quantity, the application said how many) of each catalog product the application names."""
    out = []
    for sku, qty in inbox.requested_products(a):
        p = Product.get_or_none((Product.sku == sku) & (Product.active == True))  # noqa: E712
        if p is not None:
            out.append((p, qty or 1, qty is not None))
    return out


def _known(actor, a: Application) -> ClientChoice | None:
    if a.client_id is None:
        return None
    c = Client.get_or_none(Client.id == a.client_id)
    if c is None:
        return None
    if c.merged_into_id:
        c = Client.get_or_none(Client.id == c.merged_into_id) or c
    visible = can_see_owned(actor, c.owner_id, c.team_id)
    return ClientChoice(id=c.id, name=c.name if visible else None, owner=c.owner.login if c.owner_id else None,
                        reason="known client", visible=visible)


def _seen(actor, app_id: int, a: Application | None = None) -> None:
    """Refuse with the one sentence ("There is no application 7, or it is not yours.") unless ACTOR may see
    the application (one nobody owns, open or closed, was in everyone's inbox): before anything else says
    whose it is or what it holds (issue 12)."""
    a = a if a is not None else Application.get_or_none(Application.id == app_id)
    if a is None or (a.owner_id is not None and not can_see_application(actor, a.owner_id, a.team_id, a.open)):
        raise NotYours("application", app_id)


def conversion_preview(actor, app_id: int) -> ConversionPreview:
    """What converting application APP_ID would make (nothing is written)."""
    _seen(actor, app_id)
    a = inbox.convertible(actor, app_id)
    known = _known(actor, a)
    dups = tuple(ClientChoice(id=d["id"], name=d["name"], owner=d["owner"], reason=d["reason"], visible=d["visible"])
                 for d in likely_duplicates(actor, a.name, a.email, a.phone)
                 if known is None or d["id"] != known.id)
    found = _proposed(a)
    lines = tuple(ProposedLine(sku=p.sku, name=p.name, quantity=q, unit_price_minor=p.price_minor,
                               currency=p.currency, price_text=format_amount(p.price_minor, p.currency),
                               total_text=format_amount(q * p.price_minor, p.currency), quantity_found=said)
                  for p, q, said in found)
    currencies = {x.currency for x in lines}
    total = (format_amount(sum(x.quantity * x.unit_price_minor for x in lines), lines[0].currency)
             if lines and len(currencies) == 1 else "-")
    return ConversionPreview(application_id=a.id, channel=a.channel, received_at=iso(a.received_at), name=a.name,
                             email=a.email, phone=a.phone, text=a.text, known_client=known, duplicates=dups,
                             title=_title(a, found), lines=lines, total_text=total,
                             new_client_name=_new_client_name(a))


def _line_specs(lines) -> list[tuple[str, int, int | None]]:
    """LINES as (sku, quantity, unit price in minor units or None): ProposedLine, dicts or tuples."""
    out = []
    for x in lines:
        if isinstance(x, ProposedLine):
            out.append((x.sku, x.quantity, x.unit_price_minor))
        elif isinstance(x, dict):
            out.append((x["sku"], int(x.get("quantity") or 1), x.get("unit_price_minor", x.get("price_minor"))))
        else:
            sku, qty, *price = x
            out.append((sku, int(qty), price[0] if price else None))
    return out


def _contact_fields(a: Application) -> tuple[dict, list[str]]:
    """The new card's fields from the application: a name, the e-mail and phone that pass the card's checks
    (one that does not is kept in the notes, not lost), the source channel."""
    fields = {"name": _new_client_name(a), "source": a.channel}
    kept = []
    for key in ("email", "phone"):
        value = (getattr(a, key) or "").strip()
        if not value:
            continue
        try:
            fields.update(clean_fields({key: value}))
        except ValidationError:
            kept.append(f"{key} as given: {value}")
    if kept:
        fields["notes"] = f"From application {a.id}: " + "; ".join(kept)
    return fields, kept


def convert(actor, app_id: int, now: datetime, client_id: int | None = None, title: str | None = None,
            lines=None) -> Conversion:
    """Convert application APP_ID, in one transaction: the client CLIENT_ID (else the known client, else a
    new card), a deal in New titled TITLE (default the proposed one) with LINES (default the products the
    scoring found, at catalog prices; an empty list: no lines) and the application's text as its need; the
    application closes as converted, linked to the client and the deal."""
    with write_txn():
        _seen(actor, app_id)
        a = inbox.convertible(actor, app_id, lock=True)
        _seen(actor, app_id, a)  # as locked
        created = False
        if client_id is not None:
            client = get_client(actor, client_id)
            if client.merged_into_id:
                raise DomainError(f"Client {client_id} was merged into client {client.merged_into_id}; choose that "
                                  "card.")
        else:
            known = _known(actor, a)
            if known is not None and not known.visible:
                raise PermissionDenied(f"Application {app_id} comes from client {known.id}, who is {known.owner}'s: "
                                       f"transfer the application to {known.owner}, or choose another card.")
            if known is not None:
                client = get_client(actor, known.id)
            else:
                fields, _ = _contact_fields(a)
                client = add_client(actor, now, **fields)
                created = True
        specs = ([(p.sku, q, None) for p, q, _ in _proposed(a)] if lines is None else _line_specs(lines))
        if title is None or not title.strip():
            found = [(Product.get(Product.sku == s), q, True) for s, q, _ in specs
                     if Product.get_or_none(Product.sku == s) is not None]
            title = _title(a, found)
        deal = pipeline.add_deal(actor, client.id, title, now, application_id=a.id)
        _record_source(actor, deal.id, now)
        # the application's words go with the deal as its first note (the rep qualifies the need: the gate's
        # "Need" is theirs to fill, not the client's first message)
        text = "\n".join(x for x in ((a.subject or "").strip(), (a.text or "").strip()) if x)
        log_activity(actor, _CHANNEL_KIND.get(a.channel, "message"), f"Application #{a.id} ({a.channel})",
                     now=a.received_at or now, client_id=client.id, deal_id=deal.id, application_id=a.id,
                     note=text[:10000] or None)
        for sku, qty, price in specs:
            pipeline.add_line(actor, deal.id, sku, qty, now, price_minor=price)
        inbox.mark_converted(actor, a.id, client.id, deal.id, now)
        d = pipeline.get_deal(actor, deal.id)
    return Conversion(application_id=app_id, client_id=client.id, deal_id=d.id, created_client=created,
                      title=d.title, lines=len(specs),
                      amount_text=format_amount(d.amount_minor, d.currency) if d.amount_minor is not None else "-")


def _record_source(actor, deal_id: int, now: datetime) -> None:
    """The converting rep sourced the deal: they keep the split of setting commission.source_split (issue 15)."""
    from ..audit import record
    from ..tables import Deal

    split = pipeline.source_split_bp()
    Deal.update(sourced_by=actor.id, source_split_bp=split).where(Deal.id == deal_id).execute()
    record(actor.login, "deal", deal_id, "create", field="sourced_by", new=f"{actor.login} ({split} bp)", at=now)


def conversion_json(c: Conversion) -> dict:
    return dict(application_id=c.application_id, client_id=c.client_id, deal_id=c.deal_id,
                created_client=c.created_client, title=c.title, lines=c.lines, amount=c.amount_text)


def preview_json(p: ConversionPreview) -> dict:
    from dataclasses import asdict

    return asdict(p)
