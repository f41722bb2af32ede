"""The pipeline and its stage gate: a deal cannot enter a stage while the fields that stage
requires are empty. The requirements are rows (StageRequirement), edited by managers, not code.

A requirement's `field` is "deal.X" or "client.X" (non-empty), alternatives joined by "|"
("client.email|client.phone"), or a fact: "agreement.provides", "agreement.receives",
"agreement.signed", "invoice.issued", "payment.full", "payment.full_or_plan", "deal.products"
(products text or deal lines), "deal.amount".
"""
from __future__ import annotations

from datetime import datetime

from .access import owned_row, require_manager
from .audit import record, record_changes
from .clock import iso
from .engine import write_txn
from .errors import DomainError, NotFound, StageGateError, ValidationError
from .tables import Agreement, Client, Deal, DealLine, LostReason, Order, Rep, Stage, StageRequirement

DEAL_FIELDS = ("title", "need", "budget", "timeline", "decision_maker", "products", "lost_reason", "currency")
FACTS = {"agreement.provides", "agreement.receives", "agreement.signed", "invoice.issued", "payment.full",
         "payment.full_or_plan", "deal.products", "deal.amount", "order.shipped", "order.delivered"}
CLIENT_FIELDS = ("name", "company", "email", "phone", "birth_date", "address", "city", "country", "position")


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
                stage_changed_at=iso(d.stage_changed_at), version=d.version)


def get_deal(actor: Rep, deal_id: int) -> Deal:
    return owned_row(Deal, deal_id, actor, "deal")


def add_deal(actor: Rep, client_id: int, title: str, now: datetime, amount: str | None = None,
             currency: str = "EUR") -> Deal:
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
        d = Deal.create(client=client, owner=owner.id, team=owner.team_id, title=title, stage=stage_by_key("new"),
                        amount_minor=amount_minor, currency=currency, stage_changed_at=now, created_at=now,
                        updated_at=now)
        record(actor.login, "deal", d.id, "create", new=title, at=now)
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
    a move back, out of a closed stage or into Lost checks only the target. Each field once, in stage order."""
    if target.position > current.position and not current.terminal and target.key != "lost":
        to_check = [s for s in stages() if current.position < s.position <= target.position
                    and (s.id == target.id or (not s.terminal and not s.skippable))]
    else:
        to_check = [target]
    seen, unique = set(), []
    for m in (m for s in to_check for m in missing_for(deal, s)):
        if m["field"] not in seen:
            seen.add(m["field"])
            unique.append(m)
    return unique


def move_deal(actor: Rep, deal_id: int, stage_key: str, now: datetime) -> Deal:
    """Move a deal; refused with the missing fields (of the target and of every stage passed over)."""
    with write_txn():
        d = get_deal(actor, deal_id)
        target = stage_by_key(stage_key)
        current = Stage.get_by_id(d.stage_id)
        if target.id == current.id:
            return d
        missing = gate_missing(d, current, target)
        if missing:
            raise StageGateError(f"Deal {d.id} cannot enter {target.name}: missing "
                                 + ", ".join(m["label"] for m in missing) + ".", missing)
        if target.key == "lost":  # nothing keeps chasing the client for a lost deal
            _cancel_for_lost(actor, d, now)
        _set_stage(actor.login, d, current, target, now)
    return Deal.get_by_id(deal_id)


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
        if not gate_missing(d, current, target):
            _set_stage(actor_login, d, current, target, now, cause=cause)
            return target.key
    return None


def lose_deal(actor: Rep, deal_id: int, reason: str, now: datetime) -> Deal:
    """Close a deal as lost with a reason from the list: the reason and the move in one transaction."""
    with write_txn():
        update_deal(actor, deal_id, {"lost_reason": reason}, now)
        return move_deal(actor, deal_id, "lost", now)


def _cancel_for_lost(actor: Rep, deal: Deal, now: datetime) -> None:
    """A lost deal's unpaid invoices are cancelled (their reminders with them); one with payments stops
    the move: the money goes back with a credit note first."""
    from . import ledger
    from .errors import DomainError
    from .payments import cancel_invoice

    for inv in ledger.live_invoices(deal.id):
        if ledger.invoice_totals(inv)["paid"]:
            raise DomainError(f"Deal {deal.id}'s invoice {inv.number} has payments: return them with a credit "
                              "note and cancel it before losing the deal.")
        cancel_invoice(actor, inv.id, f"deal lost: {deal.lost_reason or 'no reason'}", now)


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
