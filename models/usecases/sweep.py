"""Everything time-driven, in one pass: overdue transfers, cadence tasks, payment reminders.

`repdesk sweep` (cron, a timer) and the App's background timer both call `run_sweep`.
"""
from __future__ import annotations

from datetime import datetime

from ..inbox import sweep as sweep_transfers
from ..reminders import sweep_reminders
from ..segments import sweep_cadence


def run_sweep(now: datetime) -> dict:
    """Each part is its own set of transactions and safe when several processes sweep at once."""
    return {"transfers": sweep_transfers(now), "cadence_tasks": sweep_cadence(now), "reminders": sweep_reminders(now)}
