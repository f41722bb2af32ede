"""The whole schema. Later capabilities fill in behaviour, not reshape tables.

Conventions: money is `*_minor` (BigInteger, minor units) plus `currency`
(ISO 4217); every datetime is naive UTC; records two people can edit carry
`version`, bumped by every save (a stale save is refused, see models.records).
"""
from __future__ import annotations

from peewee import (
    SQL,
    AutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    SmallIntegerField,
    TextField,
)

from .engine import database

ROLES = ("rep", "manager", "director", "admin")
CHANNELS = ("phone", "email", "social", "website")
APP_STATUSES = ("new", "claimed", "contacted", "converted", "closed", "spam")
ACTIVITY_KINDS = ("call", "email", "message", "meeting", "task")


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class SchemaVersion(BaseModel):
    version = IntegerField(primary_key=True)
    name = CharField()
    applied_at = DateTimeField()


class Setting(BaseModel):
    """Team-wide settings shared by every process (SLA per channel, segment bounds ...)."""

    key = CharField(primary_key=True, max_length=100)
    value = TextField()  # JSON
    version = IntegerField(default=1)


class Team(BaseModel):
    name = CharField(unique=True, max_length=100)
    manager = IntegerField(null=True)  # rep id; not an FK to avoid a cycle
    created_at = DateTimeField()


class Rep(BaseModel):
    login = CharField(unique=True, max_length=64)
    name = CharField(max_length=200)
    role = CharField(max_length=16, default="rep")
    team = ForeignKeyField(Team, null=True, backref="reps", on_delete="SET NULL")
    email = CharField(null=True, max_length=254)
    timezone = CharField(default="UTC", max_length=64)
    away = BooleanField(default=False)
    shift_start = CharField(null=True, max_length=5)  # "08:00" local, null = always on
    shift_end = CharField(null=True, max_length=5)
    active = BooleanField(default=True)
    last_assigned_at = DateTimeField(null=True)  # round-robin cursor
    notices_seen_at = DateTimeField(null=True)  # the header's notice counter counts what came after (migration 3)
    bdr = BooleanField(default=False)  # a business development rep: hands deals over, never owns late stages (m4)
    created_at = DateTimeField()
    version = IntegerField(default=1)


class Product(BaseModel):
    sku = CharField(unique=True, max_length=64)
    name = CharField(max_length=200)
    category = CharField(max_length=100, default="")
    price_minor = BigIntegerField()
    currency = CharField(max_length=3)
    active = BooleanField(default=True)
    version = IntegerField(default=1)
    aliases = TextField(null=True)  # other names, ';'-separated: matched by the ranking like the name


class Client(BaseModel):
    name = CharField(max_length=200)
    company = CharField(null=True, max_length=200)  # company / place of work
    position = CharField(null=True, max_length=200)
    email = CharField(null=True, max_length=254, index=True)
    phone = CharField(null=True, max_length=32, index=True)  # E.164
    birth_date = DateField(null=True)
    hobbies = TextField(null=True)
    marital_status = CharField(null=True, max_length=50)
    family = TextField(null=True)
    preferences = TextField(null=True)
    notes = TextField(null=True)
    address = TextField(null=True)
    city = CharField(null=True, max_length=100)
    country = CharField(null=True, max_length=2)
    source = CharField(null=True, max_length=50)
    owner = ForeignKeyField(Rep, null=True, backref="clients", on_delete="SET NULL")
    team = ForeignKeyField(Team, null=True, backref="clients", on_delete="SET NULL")
    segment = CharField(default="never", max_length=20)
    last_purchase_at = DateTimeField(null=True)
    lost_reason = CharField(null=True, max_length=100)
    merged_into = ForeignKeyField("self", null=True, on_delete="SET NULL")
    created_at = DateTimeField()
    updated_at = DateTimeField()
    version = IntegerField(default=1)

    class Meta:
        indexes = (
            (("owner", "name", "id"), False),
            (("team", "name", "id"), False),
            (("segment", "name", "id"), False),
            (("name", "id"), False),  # a director's list: every client by name (migration 2)
        )


class Application(BaseModel):
    channel = CharField(max_length=16)
    received_at = DateTimeField()
    name = CharField(default="", max_length=200)
    email = CharField(default="", max_length=254)
    phone = CharField(default="", max_length=64)
    subject = CharField(default="", max_length=300)
    text = TextField(default="")
    message_id = CharField(null=True, unique=True, max_length=300)
    score = SmallIntegerField(default=0)
    rank = SmallIntegerField(default=0)  # -score: one ascending index serves the inbox order
    reasons = TextField(default="[]")  # JSON list of short strings
    # no index of its own: the (owner, open, rank, received_at, id) index below serves look-ups by owner
    owner = ForeignKeyField(Rep, null=True, backref="applications", on_delete="SET NULL", index=False)
    team = ForeignKeyField(Team, null=True, on_delete="SET NULL")
    due_at = DateTimeField()
    status = CharField(default="new", max_length=16)
    open = BooleanField(default=True)  # in the inbox: not contacted, closed or spam
    first_contact_at = DateTimeField(null=True)
    closed_reason = CharField(null=True, max_length=200)
    client = ForeignKeyField(Client, null=True, backref="applications", on_delete="SET NULL")
    duplicate_of = ForeignKeyField("self", null=True, on_delete="SET NULL")
    transfers = SmallIntegerField(default=0)
    created_at = DateTimeField()
    version = IntegerField(default=1)

    class Meta:
        indexes = (
            (("open", "rank", "received_at", "id"), False),
            (("owner", "open", "rank", "received_at", "id"), False),
            (("channel", "open", "rank", "received_at", "id"), False),
            (("open", "due_at"), False),
            (("email",), False),
            (("phone",), False),
        )


class Transfer(BaseModel):
    """An application moved from one rep to another (sweep or by hand)."""

    application = ForeignKeyField(Application, backref="transfer_rows", on_delete="CASCADE")
    from_rep = ForeignKeyField(Rep, null=True, on_delete="SET NULL", backref="+")
    to_rep = ForeignKeyField(Rep, null=True, on_delete="SET NULL", backref="+")
    reason = CharField(max_length=200)
    at = DateTimeField(index=True)
    actor = CharField(max_length=64)


class Quarantine(BaseModel):
    """An intake line or message that could not be read, kept for a person to look at."""

    source = CharField(max_length=300)
    line_no = IntegerField(null=True)
    raw = TextField()
    reason = TextField()
    created_at = DateTimeField(index=True)
    resolved = BooleanField(default=False)


class Stage(BaseModel):
    key = CharField(unique=True, max_length=40)
    name = CharField(max_length=100)
    position = IntegerField()
    terminal = BooleanField(default=False)
    stale_days = IntegerField(null=True)
    skippable = BooleanField(default=False)  # a forward move may pass over it without its requirements (m3)
    probability = IntegerField(null=True)  # win probability in percent, for the weighted forecast (m4)
    version = IntegerField(default=1)


class StageRequirement(BaseModel):
    """A field a stage requires, as data a manager edits.

    `field` names a field of the deal or its client ("deal.need", "client.email"),
    or several alternatives separated by "|" ("client.email|client.phone"), or a
    computed check ("agreement.signed", "payment.full_or_plan").
    """

    stage = ForeignKeyField(Stage, backref="requirements", on_delete="CASCADE")
    field = CharField(max_length=200)
    label = CharField(max_length=200)
    position = IntegerField(default=0)


class LostReason(BaseModel):
    key = CharField(unique=True, max_length=40)
    label = CharField(max_length=100)
    applies_to = CharField(default="both", max_length=10)  # deal | client | both


class Deal(BaseModel):
    client = ForeignKeyField(Client, backref="deals", on_delete="CASCADE")
    owner = ForeignKeyField(Rep, null=True, backref="deals", on_delete="SET NULL")
    team = ForeignKeyField(Team, null=True, on_delete="SET NULL")
    application = ForeignKeyField(Application, null=True, on_delete="SET NULL")
    title = CharField(max_length=200)
    stage = ForeignKeyField(Stage, backref="deals")
    amount_minor = BigIntegerField(null=True)
    currency = CharField(max_length=3, default="EUR")
    need = TextField(null=True)
    budget = CharField(null=True, max_length=100)
    timeline = CharField(null=True, max_length=100)
    decision_maker = CharField(null=True, max_length=200)
    products = TextField(null=True)
    lost_reason = CharField(null=True, max_length=100)
    expected_close = DateField(null=True)  # required from Proposal on (a stage requirement), for the forecast (m4)
    sourced_by = ForeignKeyField(Rep, null=True, backref="+", on_delete="SET NULL")  # who converted or handed it over (m4)
    source_split_bp = IntegerField(null=True)  # the source's share of the commission credit, basis points (m4)
    stage_changed_at = DateTimeField()
    closed_at = DateTimeField(null=True)
    created_at = DateTimeField()
    updated_at = DateTimeField()
    version = IntegerField(default=1)

    class Meta:
        indexes = ((("stage", "stage_changed_at", "id"), False), (("owner", "stage"), False))


class DealLine(BaseModel):
    deal = ForeignKeyField(Deal, backref="lines", on_delete="CASCADE")
    product = ForeignKeyField(Product, null=True, on_delete="SET NULL")
    description = CharField(max_length=200)
    quantity = IntegerField(default=1)
    unit_price_minor = BigIntegerField()
    currency = CharField(max_length=3)


class Agreement(BaseModel):
    deal = ForeignKeyField(Deal, unique=True, backref="agreements", on_delete="CASCADE")
    provides = TextField(null=True)  # what the company provides
    receives = TextField(null=True)  # what it gets in return
    status = CharField(default="draft", max_length=10)  # draft | sent | signed
    signed_at = DateTimeField(null=True)
    signed_by = CharField(null=True, max_length=200)
    version = IntegerField(default=1)


class Activity(BaseModel):
    """Calls, e-mails, messages, meetings and tasks; a task has a due date."""

    kind = CharField(max_length=10)
    rep = ForeignKeyField(Rep, null=True, backref="activities", on_delete="SET NULL")
    client = ForeignKeyField(Client, null=True, backref="activities", on_delete="CASCADE")
    deal = ForeignKeyField(Deal, null=True, backref="activities", on_delete="SET NULL")
    application = ForeignKeyField(Application, null=True, backref="activities", on_delete="SET NULL")
    subject = CharField(max_length=300)
    note = TextField(null=True)
    due_at = DateTimeField(null=True)
    done_at = DateTimeField(null=True)
    origin = CharField(null=True, unique=True, max_length=120)  # idempotency key for generated tasks
    cancelled_at = DateTimeField(null=True)  # superseded (a newer cadence task) or cancelled: not done (m3)
    created_at = DateTimeField()
    version = IntegerField(default=1)

    class Meta:
        indexes = ((("rep", "done_at", "due_at"), False),)


class Invoice(BaseModel):
    deal = ForeignKeyField(Deal, backref="invoices", on_delete="CASCADE")
    number = CharField(unique=True, max_length=40)
    amount_minor = BigIntegerField()
    currency = CharField(max_length=3)
    issued_at = DateTimeField()
    due_at = DateTimeField(index=True)
    status = CharField(default="open", max_length=12)  # open partly_paid paid overdue cancelled
    version = IntegerField(default=1)


class Payment(BaseModel):
    invoice = ForeignKeyField(Invoice, backref="payments", on_delete="CASCADE")
    installment = IntegerField(null=True)  # installment id, when paid against one
    amount_minor = BigIntegerField()
    currency = CharField(max_length=3)
    method = CharField(default="transfer", max_length=30)
    status = CharField(default="ok", max_length=10)  # ok | failed
    reason = TextField(null=True)
    received_at = DateTimeField(index=True)
    followed_up_at = DateTimeField(null=True)
    recorded_by = CharField(max_length=64)


class InstallmentPlan(BaseModel):
    invoice = ForeignKeyField(Invoice, unique=True, backref="plans", on_delete="CASCADE")
    parts = IntegerField()
    every_days = IntegerField(null=True)
    status = CharField(default="proposed", max_length=10)  # proposed | approved | rejected
    approved_by = CharField(null=True, max_length=64)
    approved_at = DateTimeField(null=True)
    version = IntegerField(default=1)


class Installment(BaseModel):
    plan = ForeignKeyField(InstallmentPlan, backref="installments", on_delete="CASCADE")
    seq = IntegerField()
    amount_minor = BigIntegerField()
    due_at = DateTimeField(index=True)
    paid_at = DateTimeField(null=True)


class Reminder(BaseModel):
    """A message in the rep's outbox; `key` makes creation idempotent."""

    key = CharField(unique=True, max_length=120)
    invoice = ForeignKeyField(Invoice, backref="reminders", on_delete="CASCADE")
    installment = ForeignKeyField(Installment, null=True, on_delete="CASCADE")
    rep = ForeignKeyField(Rep, null=True, on_delete="SET NULL")
    kind = CharField(max_length=10)  # issue | mid | eve
    channel = CharField(default="email", max_length=10)  # email | sms
    recipient = CharField(default="", max_length=254)
    text = TextField()
    due_at = DateTimeField(index=True)
    sent_at = DateTimeField(null=True)
    status = CharField(default="pending", max_length=10)  # pending sent failed cancelled
    error = TextField(null=True)


class Order(BaseModel):
    deal = ForeignKeyField(Deal, unique=True, backref="orders", on_delete="CASCADE")
    status = CharField(default="forwarded", max_length=12)  # forwarded shipped delivered cancelled
    address = TextField(null=True)
    created_at = DateTimeField()
    shipped_at = DateTimeField(null=True)
    delivered_at = DateTimeField(null=True)
    cancelled_at = DateTimeField(null=True)  # (migration 3)
    cancel_reason = TextField(null=True)
    version = IntegerField(default=1)


class OrderLine(BaseModel):
    order = ForeignKeyField(Order, backref="lines", on_delete="CASCADE")
    sku = CharField(max_length=64)
    description = CharField(max_length=200)
    quantity = IntegerField()


class Note(BaseModel):
    """A credit or debit note changing an invoice's balance."""

    invoice = ForeignKeyField(Invoice, backref="notes", on_delete="CASCADE")
    kind = CharField(max_length=6)  # credit | debit
    amount_minor = BigIntegerField()
    reason = TextField()
    created_at = DateTimeField()
    created_by = CharField(max_length=64)
    # A rep's credit note above their limit waits for a manager: until approved it changes no balance.
    status = CharField(default="approved", max_length=10)  # proposed | approved | rejected (migration 3)
    decided_by = CharField(null=True, max_length=64)
    decided_at = DateTimeField(null=True)


class Refund(BaseModel):
    """Money owed back to the client: the part of a credit note beyond what was still owed (migration 3).

    balance = amount + debits - credits - payments + refunds."""

    invoice = ForeignKeyField(Invoice, backref="refunds", on_delete="CASCADE")
    note = ForeignKeyField(Note, null=True, backref="refunds", on_delete="SET NULL")
    amount_minor = BigIntegerField()
    currency = CharField(max_length=3)
    status = CharField(default="due", max_length=10)  # due | paid
    created_at = DateTimeField()
    created_by = CharField(max_length=64)
    paid_at = DateTimeField(null=True)


class Quota(BaseModel):
    """A goal (issue 15, migration 4): for one rep (rep set) or one team (team set), one metric per period,
    in force from `starts_on` until a later quota of the same owner, metric and period starts (a new quota
    never rewrites past periods)."""

    rep = ForeignKeyField(Rep, null=True, backref="quotas", on_delete="CASCADE")
    team = ForeignKeyField(Team, null=True, backref="quotas", on_delete="CASCADE")
    metric = CharField(max_length=20)  # calls | meetings | new_clients | deals_won | revenue
    period = CharField(max_length=8)  # day | week | month | quarter
    target = BigIntegerField()  # a count, or minor units of `currency` for revenue
    stretch = BigIntegerField(null=True)
    currency = CharField(null=True, max_length=3)  # revenue only
    basis = CharField(default="collected", max_length=10)  # revenue: collected | invoiced
    starts_on = DateField()
    set_by = CharField(max_length=64)
    set_at = DateTimeField()
    version = IntegerField(default=1)

    class Meta:
        indexes = ((("rep", "metric", "period", "starts_on"), False), (("team", "metric", "period", "starts_on"), False))


class CommissionPlan(BaseModel):
    """A rep's pay plan (issue 15, migration 4), in force from `starts_on`: on-target earnings per period
    with a pay mix (`base_percent` of OTE is base, the rest variable), a quota of collected cash for 100 %,
    and a rate schedule as data (`schedule` flat | tiered | marginal, `tiers` JSON, accelerator included)."""

    rep = ForeignKeyField(Rep, backref="+", on_delete="CASCADE")
    currency = CharField(max_length=3, default="EUR")
    period = CharField(default="month", max_length=8)  # month | quarter
    ote_minor = BigIntegerField(default=0)
    base_percent = IntegerField(default=70)
    quota_minor = BigIntegerField(default=0)
    schedule = CharField(default="flat", max_length=10)  # flat | tiered | marginal
    tiers = TextField(default="[]")  # JSON, the schedule's brackets (models/commissions.py documents it)
    starts_on = DateField()
    set_by = CharField(max_length=64)
    set_at = DateTimeField()
    version = IntegerField(default=1)

    class Meta:
        indexes = ((("rep", "starts_on"), True),)


class Audit(BaseModel):
    at = DateTimeField()
    actor = CharField(max_length=64)  # login, or "system" for sweep
    kind = CharField(max_length=20)  # client, deal, application, invoice, ...
    record_id = IntegerField()
    action = CharField(max_length=30)
    field = CharField(null=True, max_length=60)
    old = TextField(null=True)
    new = TextField(null=True)
    cause = TextField(null=True)  # why an automatic change happened ("invoice INV-2026-000012 issued"; m3)

    class Meta:
        indexes = ((("kind", "record_id", "id"), False), (("at",), False))


class Draft(BaseModel):
    """What a rep was typing when the line dropped; offered back at the next login."""

    rep = ForeignKeyField(Rep, backref="drafts", on_delete="CASCADE")
    form = CharField(max_length=100)
    data = TextField()  # JSON
    saved_at = DateTimeField()

    class Meta:
        indexes = ((("rep", "form"), True),)


ALL_TABLES = [
    SchemaVersion, Setting, Team, Rep, Product, Client, Application, Transfer, Quarantine,
    Stage, StageRequirement, LostReason, Deal, DealLine, Agreement, Activity, Invoice, Payment,
    InstallmentPlan, Installment, Reminder, Order, OrderLine, Note, Refund, Quota, CommissionPlan,
    Audit, Draft,
]
