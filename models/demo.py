"""A realistic demo dataset, built with bulk inserts (a million applications in well under a minute).

Teams and reps (the demo rep is `demo`), the catalog, clients in every segment,
applications of every channel and level of specificity, deals in every stage with lines from the
catalog and the papers their stage says they have (a signed agreement from Agreement signed on, an
invoice from Invoiced, the money or an approved plan from Paid, an order shipped or delivered for
Shipped and Won), failed payments whose follow-up tasks are the ones `u` closes, a plan and a credit
note waiting for a manager, calls, e-mails and meetings already done (the reports start non-empty),
tasks for today whose kind matches what they say.

The data follows the code: the same origin keys, stored statuses and stage rules the operations use.
"""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from .audit import record
from .engine import database, is_sqlite, write_txn

CATALOG = [
    ("BALL-PRO5", "Pro Match Ball size 5", "balls", 3990), ("BALL-TRN4", "Training Ball size 4", "balls", 1890),
    ("BALL-FUT", "Futsal Ball", "balls", 2490), ("GOAL-7X5", "Portable Goal 7x5 ft", "goals", 18900),
    ("GOAL-12X6", "Steel Goal 12x6 ft", "goals", 64900), ("NET-12X6", "Replacement Net 12x6", "goals", 8900),
    ("BIB-SET10", "Training Bibs set of 10", "apparel", 2990), ("KIT-TEAM", "Team Kit shirt shorts socks", "apparel", 4490),
    ("GK-GLOVE", "Goalkeeper Gloves Pro", "apparel", 5490), ("SHIN-GUARD", "Shin Guards", "apparel", 1290),
    ("CONE-50", "Marker Cones 50 pack", "training", 1490), ("LADDER-6", "Agility Ladder 6 m", "training", 2290),
    ("REBOUND-1", "Rebounder Frame", "training", 12900), ("PUMP-HD", "Heavy-duty Ball Pump", "accessories", 1290),
    ("BAG-BALL10", "Ball Bag holds 10", "accessories", 1990), ("FIRSTAID-KIT", "Pitchside First Aid Kit", "accessories", 3490),
    ("TURF-ROLL", "Artificial Turf Roll 2x25 m", "surfaces", 119000), ("INSTALL-TURF", "Turf installation service per m2", "services", 1500),
    ("COACH-CLINIC", "Coaching Clinic one day", "services", 45000), ("SCORE-LED", "LED Scoreboard", "electronics", 89000),
]

TEAMS = {
    "North": [("mia", "Mia Novak", "manager"), ("demo", "Dana Demo", "rep"), ("ana", "Ana Alvarez", "rep"),
              ("ben", "Ben Brown", "rep")],
    "South": [("sam", "Sam Ortega", "manager"), ("sol", "Sol Rivera", "rep"), ("raj", "Raj Patel", "rep")],
}
OTHERS = [("dir", "Dora Director", "director", None), ("admin", "Ada Admin", "admin", None)]

CONCRETE = [
    "We need {q} {p} for our {club}, delivered to {city} before {d} {m}. Budget around {b} EUR. Please send a quote.",
    "Quote please for {q} x {sku} and {q2} {p2}. Order number PO-{ref}. We pay on invoice within 30 days.",
    "Caller wants {q} {p} delivered to {city} by end of {m}, asked about paying in three installments.",
    "Hola, necesitamos {q} {p_es} para el {d} de {m_es}. Presupuesto {b} EUR. Entrega en {city}.",
    "Wir brauchen {q} {p_de} bis zum {d}. {m_de}, Lieferung nach {city}. Budget {b} Euro.",
    "Same as last order: {q} {sku}, {q2} PUMP-HD, ship to our usual address, invoice to {club}.",
]
MEDIUM = [
    "How much is the {p}? We would need about {q}.",
    "Interested in {p} for our {club}. What sizes are there?",
    "{p} still available? how much with delivery to {city}",
    "Wants a {p} for {q} kids on a Saturday in {m}, asked what it costs.",
]
LIGHT = [
    "Do you also sell {cat} equipment? Our club is looking at options for next season.",
    "hey, what do you have for {cat}? looking for ideas",
    "Please send your catalogue and wholesale conditions.",
    "Do you ship to {city}?",
    "Calling about {cat} for a school, not sure which size, wants advice.",
]
VAGUE = ["How much does your product cost?", "prices??", "Hi, what's the price?", "cost?", "Asked for a price list.",
         "send prices", "info pls", "Hello, I am interested in your products and services and would like to "
         "receive more information about everything you offer. Thank you in advance."]
SPAM = ["We can bring your website to the first page of search results! Reply for our price list.",
        "Cheap followers and likes for your page, 1000 for 5 USD, click here"]
CITIES = ["Valencia", "Leeds", "Munich", "Lyon", "Porto", "Ashford", "Izmir", "Oslo", "Dublin", "Graz"]
CLUBS = ["youth league", "school", "FC Riverside", "academy", "five-a-side club", "Sunday league team"]
MONTHS = ["January", "February", "March", "April", "May", "June", "December"]
MONTHS_ES = ["enero", "febrero", "marzo", "abril", "mayo", "diciembre"]
MONTHS_DE = ["Januar", "Februar", "März", "April", "Mai", "Dezember"]
ES_NAMES = {"balls": "balones", "goals": "porterías", "apparel": "equipaciones", "training": "conos",
            "accessories": "bolsas", "surfaces": "césped artificial", "services": "instalación",
            "electronics": "marcadores"}
DE_NAMES = {"balls": "Bälle", "goals": "Tore", "apparel": "Trikots", "training": "Hütchen",
            "accessories": "Balltaschen", "surfaces": "Kunstrasen", "services": "Montage",
            "electronics": "Anzeigetafeln"}
CHANNELS = ["phone", "email", "social", "website"]
STREETS = ["Station Road", "Calle Mayor", "Hauptstrasse", "Rue de la Paix", "Rua Augusta", "Church Lane",
           "Park Avenue", "Mill Street", "Storgata", "Herrengasse"]
# What a rep has on today's agenda, the kind matching the words.
AGENDA = [("call", "Call about the spring order"), ("email", "Send the kit catalogue"),
          ("meeting", "Meeting at the club"), ("task", "Check delivery date"),
          ("call", "Call back about the goal sizes"), ("message", "Message the coach the training times")]
# What reps already did: done activities, so reports and the funnel start non-empty.
DONE = [("call", "Called about the season order"), ("email", "Sent the quote"), ("meeting", "Visited the club"),
        ("message", "Messaged the delivery slot"), ("call", "Follow-up call after the quote"),
        ("task", "Prepared the sample box")]
STAGE_KEYS = ["new", "qualified", "proposal", "negotiation", "agreement_signed", "invoiced", "paid", "shipped",
              "won", "lost"]


def _text_pool(rng: random.Random, size: int) -> list[tuple[str, int]]:
    """Distinct application texts with their intended specificity level (0..3)."""
    pool = []
    for i in range(size):
        sku, name, cat, price = rng.choice(CATALOG)
        sku2, name2, _c2, _p2 = rng.choice(CATALOG)
        fill = dict(q=rng.choice([2, 4, 6, 10, 12, 20, 25, 30, 40, 50, 60]), q2=rng.choice([1, 2, 3, 5, 8]),
                    p=name, p2=name2, sku=sku, club=rng.choice(CLUBS), city=rng.choice(CITIES),
                    d=rng.randint(1, 28), m=rng.choice(MONTHS), m_es=rng.choice(MONTHS_ES), m_de=rng.choice(MONTHS_DE),
                    b=f"{rng.choice([5, 8, 12, 18, 25, 40]) * 100:,}", ref=rng.randint(10000, 99999), cat=cat,
                    p_es=ES_NAMES[cat], p_de=DE_NAMES[cat])
        roll = i % 10
        if roll < 3:
            pool.append((rng.choice(CONCRETE).format(**fill), 3))
        elif roll < 5:
            pool.append((rng.choice(MEDIUM).format(**fill), 2))
        elif roll < 7:
            pool.append((rng.choice(LIGHT).format(**fill), 1))
        elif roll < 9:
            pool.append((rng.choice(VAGUE), 0))
        else:
            pool.append((rng.choice(SPAM), 0))
    return pool


def build_demo(applications: int = 300, seed: int = 7, now: datetime | None = None) -> dict:
    from faker import Faker

    from .segments import segment_for

    from .clock import utcnow
    from .settings import get
    from .tables import Activity, Client, Product, Rep, Team

    now = now or utcnow()
    rng = random.Random(seed)
    fake = Faker(["en_GB", "es_ES", "de_DE"])
    fake.seed_instance(seed)
    stats: dict[str, int] = {}

    with write_txn():
        # ---- teams, reps, catalog
        reps: dict[str, Rep] = {}
        for team_name, members in TEAMS.items():
            team = Team.get_or_none(Team.name == team_name) or Team.create(name=team_name, created_at=now)
            for login, name, role in members:
                rep = Rep.get_or_none(Rep.login == login) or Rep.create(
                    login=login, name=name, role=role, team=team, timezone="Europe/Madrid", created_at=now)
                reps[login] = rep
                if role == "manager" and team.manager is None:
                    Team.update(manager=rep.id).where(Team.id == team.id).execute()
        for login, name, role, _t in OTHERS:
            reps[login] = Rep.get_or_none(Rep.login == login) or Rep.create(
                login=login, name=name, role=role, timezone="Europe/Madrid", created_at=now)
        stats["reps"] = len(reps)
        for sku, name, cat, price in CATALOG:
            if not Product.select().where(Product.sku == sku).exists():
                Product.create(sku=sku, name=name, category=cat, price_minor=price, currency="EUR")
        stats["products"] = len(CATALOG)
        sellers = [r for r in reps.values() if r.role == "rep"]

        # ---- clients in every segment
        bounds = get("segments.bounds")
        ages = [5, 20, 45, 100, 150, 200, 400, None]  # hot, hot, cooling, warm, lapsing, sleeping, sleeping, never
        clients = []
        n_clients = max(40, min(applications // 5, 400))
        for i in range(n_clients):
            owner = sellers[i % len(sellers)]
            age = ages[i % len(ages)]
            last = now - timedelta(days=age) if age is not None else None
            name = fake.name()
            email = f"{name.lower().replace(' ', '.').replace('ñ', 'n')}.{i}@example.com"
            email = "".join(ch for ch in email if ch.isascii())
            clients.append(dict(
                address=f"{rng.randint(1, 180)} {rng.choice(STREETS)}",
                name=name, company=rng.choice(["FC Riverside", "Northside Academy", "City Schools", "Lagos FC Ltd",
                                               "Sportpark GmbH", "Club Norte", None]),
                email=email, phone=f"+4477009{i:05d}"[:13], city=rng.choice(CITIES), source=rng.choice(CHANNELS),
                owner=owner.id, team=owner.team_id, last_purchase_at=last,
                segment=segment_for(last, now, bounds), hobbies=rng.choice(["cycling", "chess", "football", None]),
                created_at=now - timedelta(days=rng.randint(1, 700)), updated_at=now))
        Client.insert_many(clients).execute()
        client_rows = list(Client.select().order_by(Client.id))
        stats["clients"] = len(client_rows)

        # ---- deals in every stage, each with the papers and money its stage says it has
        products = {p.sku: p for p in Product.select()}
        stats["deals"] = _demo_deals(rng, now, client_rows, products, reps)

        # ---- today's agenda (kinds match their words) and what was already done
        acts = []
        for i, rep in enumerate(sellers):
            for j in range(3):
                c = client_rows[(i * 3 + j) % len(client_rows)]
                kind, subject = AGENDA[(i + j) % len(AGENDA)]
                acts.append(dict(kind=kind, rep=rep.id, client=c.id, subject=subject, done_at=None,
                                 due_at=now + timedelta(hours=j * 2 + 1), created_at=now))
            for j in range(8):
                c = client_rows[(i * 8 + j + 7) % len(client_rows)]
                kind, subject = DONE[(i + j) % len(DONE)]
                done = now - timedelta(days=rng.randint(0, 20), hours=rng.randint(1, 8))
                acts.append(dict(kind=kind, rep=rep.id, client=c.id, subject=subject, done_at=done,
                                 due_at=done if kind == "task" else None, created_at=done))
        Activity.insert_many(acts).execute()
        stats["activities"] = len(acts) + Activity.select().where(Activity.origin.is_null(False)).count()

    # ---- applications (bulk, outside the small transaction above)
    stats["applications"] = _bulk_applications(applications, rng, fake, now, reps, client_rows)
    with write_txn():
        record("demo", "demo", 0, "load", new=json.dumps(stats), at=now)
    return stats


def _demo_deals(rng: random.Random, now: datetime, client_rows: list, products: dict, reps: dict) -> int:
    """Deals in every stage (three of each), consistent with the stage rules and with what the operations
    write: lines from the catalog (the amount is their sum), a signed agreement from Agreement signed on, an
    invoice from Invoiced (its number as models.payments makes it), from Paid the money in full or an approved
    plan, an order shipped for Shipped and delivered for Won. Among the invoiced: a failed payment with the
    follow-up task `u` closes (origin failed-payment:<payment id>, as models.payments), a plan a rep proposed
    and a credit note waiting for the manager. A client who paid last bought then (its segment follows)."""
    from .money import plain_amount
    from .segments import segment_for
    from .settings import get
    from .tables import (Activity, Agreement, Client, Deal, DealLine, Installment, Invoice, Note, Order, OrderLine,
                         Payment, Stage)

    stages = {s.key: s for s in Stage.select()}
    managers = {r.team_id: r.login for r in reps.values() if r.role == "manager"}
    logins = {r.id: r.login for r in reps.values()}
    bounds = get("segments.bounds")
    skus = [sku for sku, *_ in CATALOG]
    count = 0
    for i in range(len(STAGE_KEYS) * 3):
        # the three deals of a stage go to clients of different reps (clients are dealt out to the reps
        # in turn), so every rep has deals in several stages
        client = client_rows[(i + i // len(STAGE_KEYS)) % len(client_rows)]
        key = STAGE_KEYS[i % len(STAGE_KEYS)]
        idx = STAGE_KEYS.index(key)
        picked = [products[skus[i % len(skus)]]] + ([products[skus[(i * 7 + 3) % len(skus)]]] if i % 3 else [])
        lines = [(p, rng.choice([2, 5, 10, 20]) if p.price_minor < 20000 else rng.choice([1, 2])) for p in picked]
        amount = sum(p.price_minor * q for p, q in lines)
        title = f"{lines[0][1]} x {lines[0][0].name}" + (" and more" if len(lines) > 1 else "")
        qualified = (idx >= 1 and key != "lost") or (key == "lost" and i % 2)
        created = now - timedelta(days=rng.randint(12, 28))  # inside the reports' default 30 days
        signed = created + timedelta(days=3)
        issued = now - timedelta(days=rng.randint(2, 8), hours=rng.randint(0, 6))
        paid_at = issued + timedelta(hours=5)
        shipped_at = paid_at + timedelta(days=1)
        delivered_at = shipped_at + timedelta(days=1)
        changed = {"agreement_signed": signed, "invoiced": issued, "paid": paid_at, "shipped": shipped_at,
                   "won": delivered_at}.get(key, created + timedelta(days=rng.randint(0, 5)))
        manager = managers.get(client.team_id, "demo")
        owner = logins.get(client.owner_id, "demo")
        deal = Deal.create(
            client=client, owner=client.owner_id, team=client.team_id, title=title, stage=stages[key],
            amount_minor=amount, currency="EUR",
            need=f"{lines[0][0].name} for the season" if qualified else None,
            budget=f"{amount // 100 + 200} EUR" if qualified else None,
            timeline=rng.choice(["before Christmas", "end of January", "spring"]) if qualified else None,
            decision_maker=f"{client.name} (club treasurer)" if qualified else None,
            products=", ".join(f"{p.sku} x{q}" for p, q in lines) if idx >= 2 and key != "lost" else None,
            lost_reason=rng.choice(["price", "competitor", "no_need"]) if key == "lost" else None,
            # from Proposal on a deal has its expected close (a stage requirement): open ones spread over the
            # coming months, a few already slipped; a won deal closed when it was delivered
            expected_close=(delivered_at.date() if key == "won" else (now + timedelta(days=(i * 11) % 90 - 10)).date())
            if idx >= 2 and key != "lost" else None,
            stage_changed_at=changed, closed_at=changed if key in ("won", "lost") else None,
            created_at=created, updated_at=changed)
        count += 1
        DealLine.insert_many([dict(deal=deal.id, product=p.id, description=p.name, quantity=q,
                                   unit_price_minor=p.price_minor, currency=p.currency) for p, q in lines]).execute()
        if key == "lost":
            continue
        if idx >= 3:  # negotiating: the terms are written; from Agreement signed on, signed
            Agreement.create(deal=deal, provides=", ".join(f"{q} x {p.name}" for p, q in lines) + ", delivery",
                             receives=f"{plain_amount(amount, 'EUR')} EUR",
                             status="signed" if idx >= 4 else "sent", signed_at=signed if idx >= 4 else None,
                             signed_by=client.name if idx >= 4 else None)
        if idx < 5:
            continue
        inv = Invoice.create(deal=deal, number=f"PENDING-DEMO-{deal.id}", amount_minor=amount, currency="EUR",
                             issued_at=issued, due_at=issued + timedelta(hours=72), status="open")
        Invoice.update(number=f"INV-{issued:%Y}-{inv.id:06d}").where(Invoice.id == inv.id).execute()
        inv.number = f"INV-{issued:%Y}-{inv.id:06d}"
        variant = (i // len(STAGE_KEYS)) % 3  # the three deals of a stage differ
        if key == "invoiced":
            if variant == 0:  # a failed payment: the owner's follow-up task, as models.payments opens it
                reason = "card declined"
                p = Payment.create(invoice=inv, amount_minor=amount, currency="EUR", method="card", status="failed",
                                   reason=reason, received_at=issued + timedelta(hours=2),
                                   recorded_by="system")  # the card gateway said so: news to rep and manager
                Activity.create(kind="task", rep=deal.owner_id, client=client, deal=deal,
                                subject=f"Follow up failed payment on {inv.number} ({plain_amount(amount, 'EUR')} "
                                        f"EUR): {reason}", note=reason, due_at=p.received_at,
                                origin=f"failed-payment:{p.id}", created_at=p.received_at)
            elif variant == 1:  # a rep asked for three installments: waits for the manager
                _plan(inv, amount, issued, status="proposed")
            else:  # part paid, and a rep's credit note above the limit waits for the manager
                part = amount // 4
                Payment.create(invoice=inv, amount_minor=part, currency="EUR", method="transfer",
                               received_at=issued + timedelta(hours=8), recorded_by=owner)
                Invoice.update(status="partly_paid").where(Invoice.id == inv.id).execute()
                Note.create(invoice=inv, kind="credit", amount_minor=max(part // 10, 100), reason="scuffed delivery",
                            created_at=issued + timedelta(days=1), created_by=owner, status="proposed")
            continue
        if key == "paid" and variant == 1:  # paid by an approved plan: the first part is in
            parts = _plan(inv, amount, issued, status="approved", approved_by=manager)
            Payment.create(invoice=inv, installment=parts[0].id, amount_minor=parts[0].amount_minor, currency="EUR",
                           method="transfer", received_at=paid_at, recorded_by=owner)
            Installment.update(paid_at=paid_at).where(Installment.id == parts[0].id).execute()
            Invoice.update(status="partly_paid", due_at=parts[-1].due_at).where(Invoice.id == inv.id).execute()
        else:  # paid in full
            Payment.create(invoice=inv, amount_minor=amount, currency="EUR", method="card", received_at=paid_at,
                           recorded_by=owner)
            Invoice.update(status="paid").where(Invoice.id == inv.id).execute()
        Client.update(last_purchase_at=paid_at, segment=segment_for(paid_at, now, bounds)) \
            .where(Client.id == client.id).execute()
        if key in ("shipped", "won"):
            order = Order.create(deal=deal, status="delivered" if key == "won" else "shipped",
                                 address=f"{client.address}, {client.city}", created_at=paid_at + timedelta(hours=1),
                                 shipped_at=shipped_at, delivered_at=delivered_at if key == "won" else None)
            OrderLine.insert_many([dict(order=order.id, sku=p.sku, description=p.name, quantity=q)
                                   for p, q in lines]).execute()
    return count


def _plan(inv, amount: int, issued: datetime, status: str, approved_by: str | None = None) -> list:
    from .tables import Installment, InstallmentPlan

    plan = InstallmentPlan.create(invoice=inv, parts=3, every_days=30, status=status, approved_by=approved_by,
                                  approved_at=issued if approved_by else None)
    base, rest = divmod(amount, 3)
    return [Installment.create(plan=plan, seq=s + 1, amount_minor=base + (1 if s < rest else 0),
                               due_at=issued + timedelta(days=30 * (s + 1))) for s in range(3)]


def _drop_application_indexes() -> list[str]:
    """Bulk load: drop the application's indexes (and on SQLite the full-text insert trigger); they are
    rebuilt once at the end (sorting once is far cheaper than a million random B-tree inserts, and a GIN
    index built at once far cheaper than one fed row by row). Returns each one's own definition, for
    _restore_application_indexes; constraint indexes (the primary key) stay."""
    if not is_sqlite():
        defs = database.execute_sql(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = 'application' "
            "AND t.relnamespace = current_schema()::regnamespace AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)").fetchall()
        with write_txn():
            for name, _sql in defs:
                database.execute_sql(f'DROP INDEX IF EXISTS "{name}"')
        return [sql for _name, sql in defs]
    defs = database.execute_sql(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'application' AND sql IS NOT NULL "
        "AND (type = 'index' OR type = 'trigger' AND name = 'application_fts_ai')").fetchall()
    for kind, name, _sql in defs:
        database.execute_sql(f'DROP {kind.upper()} IF EXISTS "{name}"')
    return [sql for _kind, _name, sql in defs]


def _restore_application_indexes(dropped: list[str]) -> None:
    """Put back what _drop_application_indexes dropped, each as it was defined (so the migrations' own
    indexes and triggers come back as they left them), and read the new statistics."""
    with write_txn():
        if is_sqlite():  # the full-text table of open rows is filled once, then its trigger follows inserts
            database.execute_sql("INSERT INTO application_fts(application_fts) VALUES ('rebuild')")
        for sql in dropped:
            database.execute_sql(sql)
    database.execute_sql("ANALYZE" if is_sqlite() else "ANALYZE application")


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_field(v) -> str:
    """One value in COPY's text format: NULL as \\N, booleans as t/f, text with its backslash, tab and
    line breaks escaped."""
    if v is None:
        return "\\N"
    if v is True or v is False:
        return "t" if v else "f"
    if isinstance(v, str):
        return v.translate(_COPY_ESCAPES)
    return str(v)


def _bulk_applications(n: int, rng: random.Random, fake, now: datetime, reps: dict, clients: list) -> int:
    from .scoring import Catalog, score_application
    from .inbox import sla_minutes
    from .settings import get
    from .tables import Product

    if n <= 0:
        return 0
    catalog = Catalog.from_products((p.sku, p.name, p.category) for p in Product.select())
    pool = _text_pool(rng, min(max(n // 20, 200), 3000))
    scored = []
    weights = get("scoring.weights") or {}
    for text, _level in pool:
        s = score_application(text, catalog=catalog, weights=weights)
        scored.append((text, s.score, json.dumps(s.reasons, ensure_ascii=False)))
    names = [fake.name() for _ in range(min(n, 3000))]
    sla = get("sla.minutes")
    sla_by_channel = {c: timedelta(minutes=sla_minutes(c, sla)) for c in CHANNELS}
    sellers = [r for r in reps.values() if r.role == "rep"]
    # Most of a big dataset is history; the newest part (a fifth of a big one, so the inbox
    # itself is long) is today's open work, received within the last hour. A small one keeps a third
    # as history too (contacted, closed or spam), so the funnel starts past "Applications".
    open_recent = n - n // 3 if n <= 5000 else max(400, n // 5)
    span = timedelta(days=max(3, n // 5000))
    cols = ["channel", "received_at", "name", "email", "phone", "subject", "text", "score", "rank", "reasons",
            "owner_id", "team_id", "due_at", "status", "open", "first_contact_at", "client_id", "transfers",
            "created_at", "version"]
    bulk = n > 5000
    # SQLite stores peewee's text form; isoformat is the C fast path to it (strftime was a tenth of the run)
    fmt = (lambda d: d.isoformat(" ", "seconds")) if is_sqlite() else (lambda d: d)
    now_text = fmt(now)
    # the e-mail's local part, ASCII only, once per name rather than once per row
    firsts = [nm.split()[0].lower().encode("ascii", "ignore").decode("ascii") for nm in names]
    rows: list[tuple] = []
    inserted = 0
    batch = 50000 if bulk else (20000 if not is_sqlite() else 2000)
    head = f"INSERT INTO application ({', '.join(cols)}) VALUES "
    sql = head + f"({', '.join(['%s' if not is_sqlite() else '?'] * len(cols))})"
    dropped = _drop_application_indexes() if bulk else []

    def flush() -> None:
        nonlocal rows, inserted
        if not rows:
            return
        with write_txn():
            cursor = database.cursor()
            if is_sqlite():
                cursor.executemany(sql, rows)
            elif bulk:  # COPY: the rows as one stream, no statement to parse per thousand rows
                import io

                buf = io.StringIO("".join("\t".join(map(_copy_field, r)) + "\n" for r in rows))
                cursor.copy_expert(f"COPY application ({', '.join(cols)}) FROM STDIN", buf)
            else:  # psycopg2's executemany is a round trip per row: multi-row VALUES, 1,000 rows a statement
                from psycopg2.extras import execute_values

                execute_values(cursor, head + "%s", rows, page_size=1000)
        inserted += len(rows)
        rows = []

    try:
        for i in range(n):
            text, score, reasons = scored[rng.randrange(len(scored))]
            channel = CHANNELS[i % 4]
            name = names[i % len(names)]
            recent = i >= n - open_recent
            received = now - (timedelta(seconds=rng.randint(60, 3000)) if recent
                              else timedelta(seconds=rng.randint(3600, int(span.total_seconds()))))
            contact_bit = i % 3
            email = f"{firsts[i % len(names)]}{i}@mail.example" if contact_bit != 1 else ""
            phone = f"+4420794{i % 100000:05d}" if contact_bit != 0 or not email else ""
            owner = None
            status, is_open, first = "new", True, None
            if recent:
                if i % 4 == 0:
                    owner = sellers[i % len(sellers)]
                    status = "claimed"
            else:
                owner = sellers[i % len(sellers)]
                status, is_open, first = ("contacted", False, received + timedelta(minutes=rng.randint(5, 50)))
                if i % 11 == 0:
                    status, first = ("spam" if score < 10 else "closed"), None
            client = clients[i % len(clients)] if i % 17 == 0 else None
            rows.append((
                channel, fmt(received), name if channel != "email" or i % 5 else "",
                email if client is None else (client.email or ""), phone, "", text, score, -score, reasons,
                owner.id if owner else None, owner.team_id if owner else None, fmt(received + sla_by_channel[channel]),
                status, is_open, fmt(first) if first else None, client.id if client else None, 0, now_text, 1))
            if len(rows) >= batch:
                flush()
        flush()
    finally:
        if bulk:
            _restore_application_indexes(dropped)
    return inserted
