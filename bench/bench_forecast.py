"""Benchmark: the weighted forecast on 100,000 deals (issue 15; budget 200 ms).

`run(row, db_url)` builds the deals in DB_URL (once: a database that already holds 100,000 deals is reused),
then times models.forecast.forecast() for a director (every deal) and a manager (one team), reporting with
ROW(label, seconds, baseline, unit) as bench/bench.py does. Alone: python bench/bench_forecast.py [DB_URL].
"""
from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOW = datetime(2026, 11, 20, 9, 0)
DEALS = 100_000
BUDGET = 0.200


def _build(n: int) -> None:
    from models.engine import write_txn
    from models.reps import add_rep
    from models.tables import Client, Deal, Rep, Stage

    if Deal.select().count() >= n:
        return
    rng = random.Random(15)
    if not Rep.select().where(Rep.login == "fc-dir").exists():
        add_rep("admin", "fc-dir", "Forecast Director", "director", None, now=NOW)
        for t in range(4):
            add_rep("admin", f"fc-mgr{t}", f"Manager {t}", "manager", f"FC team {t}", now=NOW)
            for i in range(5):
                add_rep("admin", f"fc-rep{t}-{i}", f"Rep {t}-{i}", "rep", f"FC team {t}", now=NOW)
    reps = [(r.id, r.team_id) for r in Rep.select().where(Rep.login.startswith("fc-rep"))]
    stages = list(Stage.select())
    with write_txn():
        Client.insert_many([dict(name=f"FC client {i}", owner=reps[i % len(reps)][0], team=reps[i % len(reps)][1],
                                 created_at=NOW, updated_at=NOW) for i in range(2000)]).execute()
    clients = [(c.id, c.owner_id, c.team_id) for c in Client.select(Client.id, Client.owner, Client.team)
               .where(Client.name.startswith("FC client"))]
    have = Deal.select().count()
    batch = []
    for i in range(n - have):
        cid, owner, team = clients[i % len(clients)]
        s = stages[rng.randrange(len(stages))]
        close = date(2026, 1, 1) + timedelta(days=rng.randrange(730))
        batch.append(dict(client=cid, owner=owner, team=team, title=f"FC deal {i}", stage=s.id,
                          amount_minor=rng.randrange(1_000, 5_000_000), currency="EUR" if i % 10 else "USD",
                          expected_close=close, stage_changed_at=NOW,
                          closed_at=datetime.combine(close, datetime.min.time()) if s.terminal else None,
                          created_at=NOW, updated_at=NOW))
        if len(batch) == 5000:
            with write_txn():
                Deal.insert_many(batch).execute()
            batch = []
    if batch:
        with write_txn():
            Deal.insert_many(batch).execute()


def run(row, db_url: str) -> float:
    if str(HERE.parent) not in sys.path:
        sys.path.insert(0, str(HERE.parent))
    from models.db import open_database
    from models.forecast import forecast
    from models.reps import get_rep

    open_database(db_url)
    _build(DEALS)
    boss, manager = get_rep("fc-dir"), get_rep("fc-mgr0")
    forecast(boss, NOW)  # warm the caches once
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        forecast(boss, NOW)
        best = min(best, time.perf_counter() - t)
    row(f"forecast, {DEALS:,} deals", best, None, "s")
    team = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        forecast(manager, NOW, period="2026-11")
        team = min(team, time.perf_counter() - t)
    row(f"forecast of one team, {DEALS:,} deals", team, None, "s")
    return best


if __name__ == "__main__":
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{Path(tempfile.gettempdir()) / 'repdesk-bench-forecast.db'}"

    def _row(label, ours, base, unit):
        flag = "" if ours <= BUDGET else f"  OVER the {BUDGET * 1000:.0f} ms budget"
        print(f"{label:<38} {ours:10.4f}   {unit}{flag}")

    run(_row, url)
