"""Benchmark: attainment for a team of 20 (issue 15; budget 200 ms).

`run(row, db_url)` binds the database at DB_URL (migrating it), adds a team "Bench20" of 20 reps and their
manager with a realistic year of work once (200,000 activities, 5,000 client cards, 5,000 deals with their
invoices, 50,000 payments, some refunds, away days, a quota per metric for every rep and one for the team;
set-based inserts), then times the Team screen's whole board (models.usecases.team.team_board: every
rep x metric in its current period, pace with away days, card completeness) and reports it with
row("attainment, team of 20", seconds, None, "s"). A second run on the same database reuses the team.

Alone: python bench/bench_attainment.py [URL]   (default: a scratch SQLite file in the temp folder)
"""
from __future__ import annotations

import random
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOW = datetime(2026, 11, 20, 10, 0)
TEAM = "Bench20"
REPS = 20
ACTIVITIES = 200_000
CLIENTS_PER_REP = 250
PAYMENTS_PER_INVOICE = 10
BUDGET = 0.200


def _build() -> None:
    from models.engine import insert_many_ids, write_txn
    from models.reps import add_rep
    from models.tables import Activity, Audit, Client, Deal, Invoice, Payment, Quota, Refund, Rep, Stage

    rnd = random.Random(15)
    admin = Rep.select(Rep.login).where(Rep.role == "admin").first()  # reps are added by an admin, once one exists
    by = admin.login if admin is not None else "bench"
    manager = add_rep(by, "b20mgr", "Bench Manager", "manager", TEAM, timezone="Europe/Madrid", now=NOW)
    reps = [add_rep(by, f"b20rep{i:02d}", f"Bench Rep {i:02d}", "rep", TEAM, timezone="Europe/Madrid",
                    now=NOW) for i in range(1, REPS + 1)]
    team_id = manager.team_id
    won, paid = Stage.get(Stage.key == "won").id, Stage.get(Stage.key == "paid").id
    year = 365 * 24 * 3600

    def moment() -> datetime:
        return NOW - timedelta(seconds=rnd.randrange(year))

    with write_txn():
        clients = []
        for r in reps:
            for i in range(CLIENTS_PER_REP):
                at = moment()
                clients.append(dict(name=f"Client {r.login} {i}", owner=r.id, team=team_id, created_at=at,
                                    updated_at=at, email=None if i % 7 == 0 else f"c{r.id}x{i}@example.com",
                                    phone=None if i % 5 == 0 else f"+3461200{r.id:02d}{i:03d}"))
        client_ids = insert_many_ids(Client, clients)
        owners = [c["owner"] for c in clients]
        deals = []
        for cid, owner in zip(client_ids, owners):
            closed = moment()
            is_won = rnd.random() < 0.4
            deals.append(dict(client=cid, owner=owner, team=team_id, title="Bench deal", stage=won if is_won else paid,
                              amount_minor=100_000, currency="EUR", stage_changed_at=closed,
                              closed_at=closed if is_won else None, created_at=closed - timedelta(days=20),
                              updated_at=closed))
        deal_ids = insert_many_ids(Deal, deals)
        invoices = [dict(deal=did, number=f"B20-{did}", amount_minor=100_000, currency="EUR",
                         issued_at=d["created_at"] + timedelta(days=5), due_at=d["created_at"] + timedelta(days=8),
                         status="paid") for did, d in zip(deal_ids, deals)]
        invoice_ids = insert_many_ids(Invoice, invoices)
        payments = [dict(invoice=iid, amount_minor=10_000, currency="EUR", method="transfer",
                         status="failed" if rnd.random() < 0.05 else "ok", received_at=moment(), recorded_by="bench")
                    for iid in invoice_ids for _ in range(PAYMENTS_PER_INVOICE)]
        for i in range(0, len(payments), 1000):
            Payment.insert_many(payments[i:i + 1000]).execute()
        Refund.insert_many([dict(invoice=iid, amount_minor=5_000, currency="EUR", status="paid", created_at=NOW,
                                 created_by="bench", paid_at=moment()) for iid in invoice_ids[::10]]).execute()
        kinds = ("call",) * 6 + ("email", "message", "meeting", "task")
        batch = []
        for _ in range(ACTIVITIES):
            k = rnd.randrange(len(client_ids))
            at = moment()
            batch.append(dict(kind=kinds[rnd.randrange(len(kinds))], rep=owners[k], client=client_ids[k],
                              subject="bench", done_at=at, due_at=None, created_at=at,
                              cancelled_at=at if rnd.random() < 0.02 else None))
            if len(batch) == 1000:
                Activity.insert_many(batch).execute()
                batch = []
        if batch:
            Activity.insert_many(batch).execute()
        quotas = []
        for r in reps:
            for metric, period, target, currency, starts in (
                    ("calls", "day", 40, None, date(2026, 1, 1)), ("meetings", "week", 5, None, date(2025, 12, 29)),
                    ("new_clients", "month", 25, None, date(2026, 1, 1)), ("deals_won", "month", 10, None,
                                                                           date(2026, 1, 1)),
                    ("revenue", "month", 2_000_000, "EUR", date(2026, 1, 1)),
                    ("revenue", "quarter", 6_000_000, "EUR", date(2026, 1, 1))):
                quotas.append(dict(rep=r.id, metric=metric, period=period, target=target, currency=currency,
                                   basis="collected", starts_on=starts, set_by="bench", set_at=NOW))
        quotas.append(dict(team=team_id, metric="calls", period="day", target=700, starts_on=date(2026, 1, 1),
                           set_by="bench", set_at=NOW))
        Quota.insert_many(quotas).execute()
        away = []  # each rep away a few days this month, as reps.set_away records it
        for r in reps[::3]:
            start = datetime(2026, 11, rnd.randrange(2, 15), 7)
            away += [dict(at=start, actor=r.login, kind="rep", record_id=r.id, action="update", field="away",
                          old="False", new="True"),
                     dict(at=start + timedelta(days=2), actor=r.login, kind="rep", record_id=r.id, action="update",
                          field="away", old="True", new="False")]
        Audit.insert_many(away).execute()
        Rep.update(away=False).where(Rep.team == team_id).execute()


def run(row, db_url: str) -> float:
    """Time the Team board of a team of 20 on DB_URL (built there once) and report it with ROW."""
    if str(HERE.parent) not in sys.path:
        sys.path.insert(0, str(HERE.parent))
    from models.db import open_database
    from models.reps import get_actor
    from models.tables import Team

    open_database(db_url)
    if Team.get_or_none(Team.name == TEAM) is None:
        _build()
    from models.usecases.team import team_board

    manager = get_actor("b20mgr")
    board = team_board(manager, NOW)
    assert len(board.rows) == REPS + 1 and all(len(r.attainment) >= 5 for r in board.rows if r.role == "rep")
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        team_board(manager, NOW)
        best = min(best, time.perf_counter() - t)
    row("attainment, team of 20", best, None, "s")
    return best


if __name__ == "__main__":
    import tempfile

    def _row(label, ours, base, unit):
        print(f"{label:<38} {ours:10.4f} {'-':>10}   {unit} (budget {BUDGET:.3f} s)")

    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{Path(tempfile.gettempdir()) / 'repdesk-bench-attainment.db'}"
    t0 = time.perf_counter()
    seconds = run(_row, url)
    print(f"(built and measured in {time.perf_counter() - t0:.1f} s)")
    sys.exit(0 if seconds < BUDGET else 1)
