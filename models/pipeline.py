"""The pipeline and its stage gate: a deal cannot enter a stage while the fields that stage
requires are empty. The requirements are rows (StageRequirement), edited by managers, not code.

A requirement's `field` is "deal.X" or "client.X" (non-empty), alternatives joined by "|"
("client.email|client.phone"), or a fact: "agreement.provides", "agreement.receives",
"agreement.signed", "invoice.issued", "payment.full", "payment.full_or_plan", "deal.products"
(products text or deal lines), "deal.amount", "order.shipped", "order.delivered".

A deal's lines (DealLine: a catalog product, a quantity, a unit price) make its amount: the deal amount is
the sum of its lines unless it has none (add_line / remove_line keep the stored amount in step, audited).

Forecast and hand-off (issue 15): each stage has a win probability (set_probability, managers); a deal has
an expected close date (a date, required from Proposal on by a stage requirement); a deal handed over
(handoff_deal) keeps the rep who sourced it and that rep's commission split (setting commission.source_split,
percent). A BDR (Rep.bdr) may hand deals over but never own one from Agreement signed on: enter_stage (every
move, by hand or following the papers) and handoff_deal refuse it.

Moving a deal by hand goes through models.flow (move_deal, lose_deal): losing a deal cancels what has not
shipped, which needs payments and orders; this module imports neither (they import it for `follow`).
"""
from __future__ import annotations

from datetime import date, datetime

from . import settings
from .access import owned_row, require_manager
from .audit import record, record_changes
from .clock import iso
from .engine import write_txn
from .errors import DomainError, NotFound, NothingToDo, PermissionDenied, StageGateError, ValidationError
from .tables import Agreement, Client, Deal, DealLine, LostReason, Order, Rep, Stage, StageRequirement

DEAL_FIELDS = ("title", "need", "budget", "timeline", "decision_maker", "products", "lost_reason", "currency",
               "expected_close")
FACTS = {"agreement.provides", "agreement.receives", "agreement.signed", "invoice.issued", "payment.full",
         "payment.full_or_plan", "deal.products", "deal.amount", "order.shipped", "order.delivered"}
CLIENT_FIELDS = ("name", "company", "email", "phone", "birth_date", "address", "city", "country", "position")
LATE_STAGE = "agreement_signed"  # from this stage on a BDR may not own a deal

settings.declare("commission.source_split", 15, check=settings.ranged("commission.source_split", 0, 100),
                 writers=settings.MANAGERS,
                 doc="Percent of a deal's commission credit kept by the rep who sourced it (converted its "
                     "application or handed it over); the owner gets the rest.")


def parse_close_date(raw, now: datetime) -> date | None:
    """An expected close date typed by a rep: YYYY-MM-DD, from a year back to ten years ahead of NOW
    (empty: none). Every failure a ValidationError naming the field."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, datetime):
        raw = raw.date()
    if isinstance(raw, date):
        value = raw
    else:
        text = str(raw).strip()
        try:
            if len(text) != 10:
                raise ValueError
            value = date.fromisoformat(text)
        except ValueError:
            raise ValidationError(f"Expected close {text[:40]!r} is not a date (e.g. 2026-12-15).",
                                  field="expected_close") from None
    low, high = date(now.year - 1, 1, 1), date(now.year + 10, 12, 31)
    if not low <= value <= high:
        raise ValidationError(f"Expected close {value.isoformat()} is outside {low.isoformat()} to "
                              f"{high.isoformat()}.", field="expected_close")
    return value


def check_field_spec(spec: str) -> None:
    """Refuse a requirement the gate could not evaluate, when it is written (not at move time)."""
    for part in spec.split("|"):
        part = part.strip()
        if part in FACTS:
            continue
        kind, _, name = part.partition(".")
        if kind == "deal" and name in DEAL_FIELDS:
            continue
        if kind == "client" and name in CLIENT_FIELDS:
            continue
        raise ValidationError(f"{part!r} is not a field the stage gate knows (deal.need, client.email, "
                              f"agreement.signed, payment.full_or_plan ...).", field="field")


def _holds(part: str, deal: Deal, client: Client) -> bool:
    from . import ledger

    if part == "deal.products":
        return bool((deal.products or "").strip()) or DealLine.select().where(DealLine.deal == deal.id).exists()
    if part == "deal.amount":
        return bool(deal.amount_minor)
    if part in ("agreement.provides", "agreement.receives"):
        ag = Agreement.get_or_none(Agreement.deal == deal.id)
        return bool(ag and (getattr(ag, part.split(".")[1]) or "").strip())
    if part == "agreement.signed":
        return ledger.agreement_signed(deal.id)
    if part == "invoice.issued":
        return ledger.deal_invoiced(deal.id)
    if part == "payment.full":
        return ledger.deal_paid_in_full(deal.id)
    if part == "payment.full_or_plan":
        return ledger.deal_paid_in_full(deal.id) or ledger.deal_plan_approved(deal.id)
    if part in ("order.shipped", "order.delivered"):
        statuses = ("shipped", "delivered") if part == "order.shipped" else ("delivered",)
        return Order.select().where((Order.deal == deal.id) & Order.status.in_(statuses)).exists()
    kind, _, name = part.partition(".")
    value = getattr(deal if kind == "deal" else client, name, None)
    return value is not None and str(value).strip() != ""


def missing_for(deal: Deal, stage: Stage) -> list[dict]:
    """The requirements of STAGE that DEAL does not meet, in the stage's order."""
    client = Client.get_by_id(deal.client_id)
    out = []
    for req in stage.requirements.order_by(StageRequirement.position, StageRequirement.id):
        parts = [p.strip() for p in req.field.split("|")]
        if not any(_holds(p, deal, client) for p in parts):
            out.append(dict(stage=stage.key, field=req.field, label=req.label, where=parts[0].split(".")[0]))
    return out


def stages() -> list[Stage]:
    return list(Stage.select().order_by(Stage.position))


def stage_step(stage_key: str, step: int) -> str | None:
    """The open stage STEP places from STAGE_KEY along the pipeline (None past either end): what `>` and
    `<` move to on every screen. A closed (won or lost) deal has no step; reopening is an explicit move."""
    ordinary = [s.key for s in stages() if not s.terminal]
    if stage_key not in ordinary:
        raise DomainError("Won and lost deals are closed; reopen one by moving it to an open stage "
                          "(deal move).")
    i = ordinary.index(stage_key) + step
    return ordinary[i] if 0 <= i < len(ordinary) else None


def stage_by_key(key: str) -> Stage:
    s = Stage.get_or_none(Stage.key == key)
    if s is None:
        raise NotFound(f"There is no stage {key!r}; stages: {', '.join(x.key for x in stages())}.")
    return s


def deal_dict(d: Deal) -> dict:
    from .money import plain_amount

    return dict(id=d.id, title=d.title, client_id=d.client_id, owner=d.owner.login if d.owner_id else None,
                stage=d.stage.key, amount=plain_amount(d.amount_minor, d.currency) if d.amount_minor is not None
                else None, currency=d.currency, need=d.need, budget=d.budget, timeline=d.timeline,
                decision_maker=d.decision_maker, products=d.products, lost_reason=d.lost_reason,
                expected_close=_date_text(d.expected_close),
                sourced_by=Rep.get_by_id(d.sourced_by_id).login if d.sourced_by_id else None,
                source_split_bp=d.source_split_bp, stage_changed_at=iso(d.stage_changed_at), version=d.version)


def _date_text(value) -> str | None:
    if value is None or value == "":
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)[:10]


def get_deal(actor: Rep, deal_id: int) -> Deal:
    return owned_row(Deal, deal_id, actor, "deal")


def add_deal(actor: Rep, client_id: int, title: str, now: datetime, amount: str | None = None,
             currency: str = "EUR", application_id: int | None = None, need: str | None = None) -> Deal:
    """A deal in New for a client (owned by the client's rep); APPLICATION_ID links the application it came
    from (a conversion), NEED its first words of need (the application's text)."""
    from .access import check_client
    from .money import check_currency, parse_amount

    from .text import strip_controls

    title = strip_controls(title or "", keep_newlines=False).strip()
    if not title:
        raise ValidationError("A deal needs a title.", field="title")
    if len(title) > 200:
        raise ValidationError(f"A deal's title has at most 200 characters ({len(title)} given).", field="title")
    try:
        currency = check_currency(currency)
        amount_minor = parse_amount(amount, currency) if amount not in (None, "") else None
    except ValueError as exc:
        raise ValidationError(str(exc), field="amount") from None
    with write_txn():
        client = Client.get_or_none(Client.id == client_id)
        if client is None:
            raise NotFound(f"There is no client {client_id}.")
        check_client(actor, client)
        # the deal belongs to whoever works the client (a manager adding one hands it to the client's rep)
        owner = Rep.get_by_id(client.owner_id) if client.owner_id else actor
        need = strip_controls(need or "").strip()[:10000] or None
        d = Deal.create(client=client, owner=owner.id, team=owner.team_id, title=title, stage=stage_by_key("new"),
                        amount_minor=amount_minor, currency=currency, stage_changed_at=now, created_at=now,
                        updated_at=now, application=application_id, need=need)
        record(actor.login, "deal", d.id, "create", new=title, at=now)
        if application_id is not None:
            record(actor.login, "deal", d.id, "create", field="application", new=application_id, at=now)
        if need:
            record(actor.login, "deal", d.id, "create", field="need", new=need, at=now)
    return d


def update_deal(actor: Rep, deal_id: int, changes: dict, now: datetime, expected_version: int | None = None) -> Deal:
    """Set fields; with EXPECTED_VERSION a save over someone else's newer change is refused."""
    from .money import check_currency, parse_amount

    from .text import strip_controls

    values: dict = {}
    for key, raw in changes.items():
        if key == "currency":
            try:
                values["currency"] = check_currency(raw)
            except ValueError as exc:
                raise ValidationError(str(exc), field="currency") from None
        elif key == "amount":
            try:
                cur = check_currency(changes.get("currency") or Deal.get_by_id(deal_id).currency)
                values["amount_minor"] = parse_amount(raw, cur) if raw not in ("", None) else None
            except ValueError as exc:
                raise ValidationError(str(exc), field="amount") from None
        elif key == "expected_close":
            values["expected_close"] = parse_close_date(raw, now)
        elif key in DEAL_FIELDS:
            if key == "lost_reason" and raw and not LostReason.select().where(LostReason.key == raw).exists():
                keys = ", ".join(r.key for r in LostReason.select())
                raise ValidationError(f"Lost reason {raw!r} is not one of {keys}.", field="lost_reason")
            text = strip_controls(raw or "", keep_newlines=key in ("need", "products")).strip()
            limit = getattr(Deal._meta.fields[key], "max_length", None) or 10000
            if len(text) > limit:
                raise ValidationError(f"{key} has at most {limit} characters ({len(text)} given).", field=key)
            if key == "title" and not text:
                raise ValidationError("A deal needs a title.", field="title")
            values[key] = text or None
        else:
            raise ValidationError(f"{key!r} is not a deal field ({', '.join(DEAL_FIELDS + ('amount',))}).", field=key)
    with write_txn():
        d = get_deal(actor, deal_id)
        if expected_version is not None and d.version != expected_version:
            raise _stale(d, expected_version)
        _check_against_lines(d, values)
        before = {k: getattr(d, k) for k in values}
        n = (Deal.update(**values, updated_at=now, version=Deal.version + 1)
             .where((Deal.id == deal_id) & (Deal.version == d.version)).execute())
        if n != 1:
            raise _stale(Deal.get_by_id(deal_id), d.version)
        record_changes(actor.login, "deal", deal_id, before, values, at=now)
    return Deal.get_by_id(deal_id)


def _stale(current: Deal, seen: int):
    from .audit import stale_error

    return stale_error("deal", "Deal", current.id, current.version, seen)


def gate_missing(deal: Deal, current: Stage, target: Stage) -> list[dict]:
    """What stops DEAL moving from CURRENT to TARGET: a forward move checks the target and every stage it
    passes over (Won included: it asks what Shipped asks), except stages a manager marked skippable;
    reopening a won or lost deal checks every open stage up to the target; a move back or into Lost checks
    only the target. Each field once, in stage order."""
    if target.key == "lost" or (target.position < current.position and not current.terminal):
        to_check = [target]  # closing as lost, or a step back: only the target's own requirements
    else:
        # forward, or reopening a won or lost deal: every open stage up to the target counts (from the
        # first one when reopening: a closed deal's stage says nothing about what it has)
        start = -1 if current.terminal else current.position
        to_check = [s for s in stages() if start < s.position <= target.position
                    and (s.id == target.id or (not s.terminal and not s.skippable))]
    seen, unique = set(), []
    for m in (m for s in to_check for m in missing_for(deal, s)):
        if m["field"] not in seen:
            seen.add(m["field"])
            unique.append(m)
    return unique


def move_deal(actor: Rep, deal_id: int, stage_key: str, now: datetime) -> Deal:
    """Move a deal; refused with the missing fields (of the target and of every stage passed over).
    Not into Lost: losing needs a reason and cancels what has not shipped (models.flow.lose_deal)."""
    if stage_key == "lost":
        raise ValidationError(f"A deal is lost with a reason, which cancels its unpaid invoices and an order not "
                              f"yet shipped: lose deal {deal_id} with a reason from the list.", field="lost_reason")
    with write_txn():
        d = owned_row(Deal, deal_id, actor, "deal", lock=True)
        enter_stage(actor, d, stage_by_key(stage_key), now)
    return Deal.get_by_id(deal_id)


def enter_stage(actor: Rep, d: Deal, target: Stage, now: datetime) -> bool:
    """The gate and the move, inside the caller's transaction (models.flow, move_deal): refused with the
    missing fields; False when the deal is already there."""
    current = Stage.get_by_id(d.stage_id)
    if target.id == current.id:
        return False
    if bdr_may_not_own(d.owner_id, target):
        owner = Rep.get_by_id(d.owner_id)
        raise DomainError(f"Deal {d.id} belongs to {owner.login}, a BDR: a BDR does not own deals from "
                          f"{stage_by_key(LATE_STAGE).name} on; hand it to an account executive first "
                          f"(deal handoff {d.id} LOGIN).")
    missing = gate_missing(d, current, target)
    if missing:
        raise StageGateError(f"Deal {d.id} cannot enter {target.name}: missing "
                             + ", ".join(m["label"] for m in missing) + ".", missing)
    _set_stage(actor.login, d, current, target, now)
    return True


def _set_stage(actor_login: str, d: Deal, current: Stage, target: Stage, now: datetime,
               cause: str | None = None) -> None:
    Deal.update(stage=target.id, stage_changed_at=now, updated_at=now, version=Deal.version + 1,
                closed_at=now if target.terminal else None).where(Deal.id == d.id).execute()
    record(actor_login, "deal", d.id, "move" if cause is None else "follow", field="stage", old=current.key,
           new=target.key, at=now, cause=cause)


# What the papers and the money say, latest first: the stage each fact carries a deal to.
FOLLOWS = (("won", "order.delivered"), ("shipped", "order.shipped"), ("paid", "payment.full_or_plan"),
           ("invoiced", "invoice.issued"), ("agreement_signed", "agreement.signed"))


def follow(actor_login: str, deal_id: int, now: datetime, cause: str) -> str | None:
    """Move the deal forward to the latest stage its papers and money justify (FOLLOWS) whose gate holds
    (that stage's requirements and those of every stage passed over), audited with CAUSE. Never moves a
    deal back, nor out of Won or Lost. Call it inside the operation that changed the fact (same
    transaction). Returns the new stage key, or None when the deal stays where it is."""
    d = Deal.get_by_id(deal_id)
    current = Stage.get_by_id(d.stage_id)
    if current.terminal:
        return None
    client = Client.get_by_id(d.client_id)
    by_key = {s.key: s for s in stages()}
    for key, fact in FOLLOWS:
        target = by_key.get(key)
        if target is None or target.position <= current.position or not _holds(fact, d, client):
            continue
        if bdr_may_not_own(d.owner_id, target):
            return None  # a BDR's deal waits for its hand-off where it is
        if not gate_missing(d, current, target):
            _set_stage(actor_login, d, current, target, now, cause=cause)
            return target.key
    return None


def is_late(stage: Stage) -> bool:
    """Agreement signed and after (Won included, Lost not): where a BDR may not own a deal."""
    if stage.key == "lost":
        return False
    late = Stage.get_or_none(Stage.key == LATE_STAGE)
    return late is not None and stage.position >= late.position


def bdr_may_not_own(owner_id: int | None, stage: Stage) -> bool:
    if owner_id is None or not is_late(stage):
        return False
    return bool(Rep.select(Rep.bdr).where(Rep.id == owner_id).scalar())


def handoff_deal(actor: Rep, deal_id: int, login: str, now: datetime) -> Deal:
    """Give DEAL to the rep LOGIN (an account executive), keeping who sourced it: sourced_by becomes the
    previous owner unless it is set already, with the split of setting commission.source_split (basis
    points on the deal). The deal's owner (a BDR handing over), their manager or a director may do it; a
    manager and a rep hand over within the team. The client's card goes along when it was the previous owner's
    (the account executive works it from now on). Refused to a BDR when the deal is at Agreement signed or
    later, to an inactive rep, and to the rep who has it already. Audited."""
    from .access import may_act_for_team, sees_all

    login = (login or "").strip()
    with write_txn():
        d = owned_row(Deal, deal_id, actor, "deal", lock=True)
        to = Rep.get_or_none(Rep.login == login)
        if to is None or not to.active:
            raise NotFound(f"There is no active rep {login!r}.")
        if to.role not in ("rep", "manager"):
            raise ValidationError(f"{to.login} is a {to.role}; deals are handed to reps.", field="login")
        if to.id == d.owner_id:
            raise NothingToDo(f"Deal {d.id} is already {to.login}'s.")
        if not sees_all(actor) and not (may_act_for_team(actor, to.team_id) or to.team_id == actor.team_id):
            raise PermissionDenied(f"{actor.login} may hand deals only to reps of their own team; "
                                   f"{to.login} is not.")
        stage = Stage.get_by_id(d.stage_id)
        if stage.terminal:
            raise DomainError(f"Deal {d.id} is closed ({stage.name}); it is not handed over any more.")
        if to.bdr and is_late(stage):
            raise DomainError(f"{to.login} is a BDR: a BDR does not own deals from "
                              f"{stage_by_key(LATE_STAGE).name} on, and deal {d.id} is {stage.name}.")
        values = dict(owner=to.id, team=to.team_id)
        if d.sourced_by_id is None and d.owner_id is not None:
            values.update(sourced_by=d.owner_id, source_split_bp=source_split_bp())
        before = dict(owner=d.owner_id, team=d.team_id, sourced_by=d.sourced_by_id,
                      source_split_bp=d.source_split_bp)
        Deal.update(**values, updated_at=now, version=Deal.version + 1).where(Deal.id == d.id).execute()
        record_changes(actor.login, "deal", d.id, {k: before[k] for k in values}, values, at=now, action="handoff")
        client = Client.get_by_id(d.client_id)
        if client.owner_id == d.owner_id and d.owner_id is not None:  # the card goes with it: the AE works it
            Client.update(owner=to.id, team=to.team_id, updated_at=now, version=Client.version + 1).where(
                Client.id == client.id).execute()
            record_changes(actor.login, "client", client.id, dict(owner=client.owner_id, team=client.team_id),
                           dict(owner=to.id, team=to.team_id), at=now, action="handoff")
    return Deal.get_by_id(deal_id)


def source_split_bp() -> int:
    """The default split of the rep who sourced a deal, in basis points (setting commission.source_split)."""
    return int(settings.get("commission.source_split")) * 100


# ---------------------------------------------------------------- deal lines


def _check_against_lines(d: Deal, values: dict) -> None:
    """A deal with lines has the amount and currency of its lines: a different amount or currency typed in
    is refused (the unchanged value, as a card sends it back, is fine)."""
    lines = list(DealLine.select().where(DealLine.deal == d.id))
    if not lines:
        return
    if "amount_minor" in values and values["amount_minor"] != sum(x.quantity * x.unit_price_minor for x in lines):
        raise ValidationError(f"Deal {d.id}'s amount is the sum of its lines; change the lines instead.",
                              field="amount")
    if "currency" in values and values["currency"] != d.currency:
        raise ValidationError(f"Deal {d.id} has lines in {d.currency}; its currency cannot change.",
                              field="currency")


def _lines_changeable(d: Deal) -> None:
    from . import ledger

    if Stage.get_by_id(d.stage_id).terminal:
        raise DomainError(f"Deal {d.id} is closed; its lines no longer change.")
    if Order.select().where((Order.deal == d.id) & (Order.status != "cancelled")).exists():
        raise DomainError(f"Deal {d.id} already went to the warehouse; its lines no longer change.")
    live = ledger.live_invoices(d.id)
    if live:
        raise DomainError(f"Deal {d.id} is invoiced ({live[0].number}); cancel the invoice, or add a credit or "
                          "debit note, instead of changing its lines.")


def _sync_amount(actor: Rep, d: Deal, now: datetime) -> None:
    """The stored amount follows the lines (the sum of them; unchanged when none are left), audited."""
    from peewee import fn

    total = (DealLine.select(fn.SUM(DealLine.quantity * DealLine.unit_price_minor))
             .where(DealLine.deal == d.id).scalar())
    if total is None:
        return
    total = int(total)
    if total != d.amount_minor:
        Deal.update(amount_minor=total, updated_at=now, version=Deal.version + 1).where(Deal.id == d.id).execute()
        record(actor.login, "deal", d.id, "update", field="amount_minor", old=d.amount_minor, new=total, at=now,
               cause="deal lines changed")


def add_line(actor: Rep, deal_id: int, sku: str, quantity: int, now: datetime,
             price_minor: int | None = None) -> int:
    """Add QUANTITY of the catalog product SKU to the deal at PRICE_MINOR each (default the catalog price,
    which must then be in the deal's currency); the deal's amount becomes the sum of its lines. Returns the
    line's id."""
    from .tables import Product

    sku = (sku or "").strip()
    if not sku:
        raise ValidationError("A deal line needs a product (its SKU).", field="sku")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 1_000_000:
        raise ValidationError("A deal line's quantity is a whole number from 1 to 1,000,000.", field="quantity")
    if price_minor is not None and (isinstance(price_minor, bool) or not isinstance(price_minor, int)
                                    or price_minor < 0):
        raise ValidationError("A deal line's price is zero or more.", field="price")
    with write_txn():
        d = owned_row(Deal, deal_id, actor, "deal", lock=True)
        _lines_changeable(d)
        product = Product.get_or_none(Product.sku == sku) or Product.get_or_none(Product.sku == sku.upper())
        if product is None or not product.active:
            raise NotFound(f"There is no product {sku!r} in the catalog.")
        if price_minor is None:
            if product.currency != d.currency:
                if DealLine.select().where(DealLine.deal == d.id).exists():
                    raise ValidationError(f"{product.sku} is priced in {product.currency}, deal {d.id} in "
                                          f"{d.currency}: give its price in {d.currency}.", field="price")
                # the first line sets the currency of a deal that has none of its own yet
                Deal.update(currency=product.currency, version=Deal.version + 1).where(Deal.id == d.id).execute()
                record(actor.login, "deal", d.id, "update", field="currency", old=d.currency, new=product.currency,
                       at=now, cause=f"first line {product.sku}")
                d = Deal.get_by_id(d.id)
            price_minor = product.price_minor
        line = DealLine.create(deal=d.id, product=product.id, description=product.name, quantity=quantity,
                               unit_price_minor=price_minor, currency=d.currency)
        record(actor.login, "deal", d.id, "line_add", field="line",
               new=f"{line.id}: {quantity} x {product.sku} at {_money(price_minor, d.currency)}", at=now)
        _sync_amount(actor, Deal.get_by_id(d.id), now)
    return line.id


def remove_line(actor: Rep, deal_id: int, line_id: int, now: datetime) -> None:
    """Take a line off the deal; the amount is the sum of the lines left (kept as it is when none are)."""
    with write_txn():
        d = owned_row(Deal, deal_id, actor, "deal", lock=True)
        line = DealLine.get_or_none((DealLine.id == line_id) & (DealLine.deal == deal_id))
        if line is None:
            raise NotFound(f"Deal {deal_id} has no line {line_id}.")
        _lines_changeable(d)
        DealLine.delete().where(DealLine.id == line.id).execute()
        Deal.update(updated_at=now, version=Deal.version + 1).where(Deal.id == d.id).execute()
        record(actor.login, "deal", d.id, "line_remove", field="line",
               old=f"{line.id}: {line.quantity} x {line.description}", at=now)
        _sync_amount(actor, Deal.get_by_id(d.id), now)


def _money(minor: int, currency: str) -> str:
    from .money import plain_amount

    return f"{plain_amount(minor, currency)} {currency}"


def deal_lines(deal_id: int) -> list[dict]:
    """The deal's lines in the order they were added: id, sku, description, quantity, prices (minor and text)."""
    from peewee import JOIN

    from .money import plain_amount
    from .tables import Product

    rows = (DealLine.select(DealLine, Product).join(Product, JOIN.LEFT_OUTER, on=(DealLine.product == Product.id))
            .where(DealLine.deal == deal_id).order_by(DealLine.id))
    return [dict(id=x.id, sku=x.product.sku if x.product_id else "", description=x.description,
                 quantity=x.quantity, unit_price_minor=x.unit_price_minor, currency=x.currency,
                 unit_price=plain_amount(x.unit_price_minor, x.currency),
                 total_minor=x.quantity * x.unit_price_minor,
                 total=plain_amount(x.quantity * x.unit_price_minor, x.currency)) for x in rows]


# ---------------------------------------------------------------- stage rules


def set_skippable(actor: Rep, stage_key: str, skippable: bool, now: datetime) -> Stage:
    """A manager lets forward moves pass over STAGE without its requirements (work that ships nothing skips
    Shipped, say); Won, Lost and the stage a deal enters are always checked."""
    require_manager(actor, "edit stage rules")
    with write_txn():
        stage = stage_by_key(stage_key)
        if stage.terminal:
            raise ValidationError(f"{stage.name} closes a deal; it cannot be skipped.", field="stage")
        if bool(stage.skippable) != bool(skippable):
            Stage.update(skippable=bool(skippable), version=Stage.version + 1).where(Stage.id == stage.id).execute()
            record(actor.login, "stage", stage.id, "update", field="skippable", old=bool(stage.skippable),
                   new=bool(skippable), at=now)
    return Stage.get_by_id(stage.id)


def add_requirement(actor: Rep, stage_key: str, field: str, label: str, now: datetime) -> StageRequirement:
    require_manager(actor, "edit stage rules")
    check_field_spec(field)
    with write_txn():
        stage = stage_by_key(stage_key)
        if stage.requirements.where(StageRequirement.field == field).exists():
            raise ValidationError(f"Stage {stage_key} already requires {field!r}.", field="field")
        pos = stage.requirements.count()
        req = StageRequirement.create(stage=stage, field=field, label=(label or field).strip(), position=pos)
        record(actor.login, "stage", stage.id, "require", field="requirement", new=field, at=now)
    return req


def remove_requirement(actor: Rep, stage_key: str, field: str, now: datetime) -> None:
    require_manager(actor, "edit stage rules")
    with write_txn():
        stage = stage_by_key(stage_key)
        n = StageRequirement.delete().where((StageRequirement.stage == stage.id)
                                            & (StageRequirement.field == field)).execute()
        if not n:
            raise NotFound(f"Stage {stage_key} does not require {field!r}.")
        record(actor.login, "stage", stage.id, "unrequire", field="requirement", old=field, at=now)


def requirements(stage_key: str) -> list[dict]:
    stage = stage_by_key(stage_key)
    return [dict(field=r.field, label=r.label, position=r.position)
            for r in stage.requirements.order_by(StageRequirement.position, StageRequirement.id)]


def set_probability(actor: Rep, stage_key: str, percent: int | None, now: datetime) -> Stage:
    """A manager sets STAGE's win probability (0 to 100 percent, None: not counted in the weighted
    forecast). Audited."""
    require_manager(actor, "edit stage rules")
    if percent is not None and (isinstance(percent, bool) or not isinstance(percent, int)
                                or not 0 <= percent <= 100):
        raise ValidationError("A win probability is a whole percent from 0 to 100.", field="probability")
    with write_txn():
        stage = stage_by_key(stage_key)
        if stage.probability != percent:
            Stage.update(probability=percent, version=Stage.version + 1).where(Stage.id == stage.id).execute()
            record(actor.login, "stage", stage.id, "update", field="probability", old=stage.probability,
                   new=percent, at=now)
    return Stage.get_by_id(stage.id)


def set_stale_days(actor: Rep, stage_key: str, days: int | None, now: datetime) -> Stage:
    """After how many days without a move a deal in STAGE is marked stale (None: never)."""
    require_manager(actor, "edit stage rules")
    if days is not None and not 1 <= days <= 3650:
        raise ValidationError("Stale after 1 to 3650 days (or never).", field="stale_days")
    with write_txn():
        stage = stage_by_key(stage_key)
        if stage.stale_days != days:
            Stage.update(stale_days=days).where(Stage.id == stage.id).execute()
            record(actor.login, "stage", stage.id, "update", field="stale_days", old=stage.stale_days, new=days, at=now)
    return Stage.get_by_id(stage.id)


def board(actor: Rep, now: datetime) -> list[dict]:
    """Per stage: how many deals, their amounts per currency, how many are stale (role-scoped)."""
    from datetime import timedelta

    from peewee import fn

    from .access import scope

    rows = {}
    q = scope(Deal.select(Deal.stage, Deal.currency, fn.COUNT(Deal.id).alias("n"),
                          fn.COALESCE(fn.SUM(Deal.amount_minor), 0).alias("total"))
              .group_by(Deal.stage, Deal.currency), actor, Deal.owner, Deal.team)
    for r in q.dicts():
        rows.setdefault(r["stage"], []).append(r)
    out = []
    for s in stages():
        parts = rows.get(s.id, [])
        stale = 0
        if s.stale_days:
            stale = scope(Deal.select().where((Deal.stage == s.id) & (Deal.stage_changed_at
                                                                      < now - timedelta(days=s.stale_days))),
                          actor, Deal.owner, Deal.team).count()
        out.append(dict(key=s.key, name=s.name, count=sum(p["n"] for p in parts), stale=stale,
                        totals={p["currency"]: int(p["total"]) for p in parts}))
    return out


def deals_in_stage(actor: Rep, stage_key: str, limit: int = 200) -> list[Deal]:
    from .access import scope

    stage = stage_by_key(stage_key)
    q = (Deal.select(Deal, Client.name.alias("client_name")).join(Client, on=(Deal.client == Client.id))
         .where(Deal.stage == stage.id).order_by(Deal.stage_changed_at, Deal.id).limit(limit))
    return list(scope(q, actor, Deal.owner, Deal.team).objects())


def set_bdr(actor: Rep, login: str, bdr: bool, now: datetime) -> Rep:
    """A manager (their team) or a director marks LOGIN a BDR or not. A BDR who owns a deal from Agreement
    signed on must hand it over first. Audited."""
    from .access import may_act_for_team

    require_manager(actor, "mark reps BDR")
    with write_txn():
        rep = Rep.get_or_none(Rep.login == (login or "").strip())
        if rep is None or not may_act_for_team(actor, rep.team_id):
            raise NotFound(f"There is no rep {(login or '').strip()[:64]!r}, or it is not yours.")
        if bdr and not rep.bdr:
            late = [s.id for s in stages() if is_late(s) and not s.terminal]
            held = Deal.select(Deal.id).where((Deal.owner == rep.id) & Deal.stage.in_(late)).first() if late else None
            if held is not None:
                raise DomainError(f"{rep.login} owns deal {held.id} at a late stage; hand it over before marking "
                                  f"{rep.login} a BDR.")
        if bool(rep.bdr) != bool(bdr):
            Rep.update(bdr=bool(bdr), version=Rep.version + 1).where(Rep.id == rep.id).execute()
            record(actor.login, "rep", rep.id, "update", field="bdr", old=bool(rep.bdr), new=bool(bdr), at=now)
    return Rep.get_by_id(rep.id)
