"""The Pipeline board and the Stage rules screen, as plain data.

The board: every stage with how many of the actor's deals are in it, their amounts per currency and how
many are stale, plus the deals of the stage shown (with their client's name, read in the same query).
Stage rules: the stages, what the one shown requires, and the fields every client card must have.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import clients  # noqa: F401 (declares the client.required setting)
from ..pipeline import board, deals_in_stage, requirements, stages
from ..settings import get


@dataclass(frozen=True)
class StageSummary:
    key: str
    name: str
    terminal: bool
    stale_days: int | None              # None: never stale
    count: int
    stale: int
    totals: tuple[tuple[str, int], ...]  # (currency, amount in minor units)


@dataclass(frozen=True)
class DealRow:
    id: int
    title: str
    client_id: int
    client_name: str
    amount_minor: int | None
    currency: str
    since: datetime      # when the deal entered its stage
    days: int            # whole days in the stage
    stale: bool


@dataclass(frozen=True)
class PipelineBoard:
    stages: tuple[StageSummary, ...]
    index: int                      # the stage shown (clamped to the stages there are)
    deals: tuple[DealRow, ...]      # the deals of that stage, longest waiting first

    @property
    def current(self) -> StageSummary:
        return self.stages[self.index]


def pipeline_board(actor, now: datetime, index: int = 0) -> PipelineBoard:
    """The board for ACTOR (role-scoped) with the deals of the stage at INDEX."""
    summary = board(actor, now)
    rows = {s.key: s for s in stages()}
    out = []
    for s in summary:
        st = rows.get(s["key"])
        out.append(StageSummary(key=s["key"], name=s["name"], terminal=bool(st.terminal) if st else False,
                                stale_days=st.stale_days if st else None, count=s["count"], stale=s["stale"],
                                totals=tuple(s["totals"].items())))
    index = max(min(index, len(out) - 1), 0)
    current = out[index]
    deals = []
    for d in deals_in_stage(actor, current.key):
        days = (now - d.stage_changed_at).days
        deals.append(DealRow(id=d.id, title=d.title, client_id=d.client_id, client_name=d.client_name,
                             amount_minor=d.amount_minor, currency=d.currency, since=d.stage_changed_at, days=days,
                             stale=bool(current.stale_days and days >= current.stale_days)))
    return PipelineBoard(stages=tuple(out), index=index, deals=tuple(deals))


@dataclass(frozen=True)
class StageInfo:
    key: str
    name: str
    stale_days: int | None
    probability: int | None = None  # win percent for the weighted forecast; None: not counted


@dataclass(frozen=True)
class Requirement:
    field: str
    label: str


@dataclass(frozen=True)
class StageRules:
    stages: tuple[StageInfo, ...]
    index: int                              # the stage shown
    requirements: tuple[Requirement, ...]   # what it requires, in order
    client_required: tuple[str, ...]        # the client.required setting (a|b: one of them)

    @property
    def stage(self) -> StageInfo:
        return self.stages[self.index]


def stage_rules(stage_key: str) -> StageRules:
    """The rules of STAGE_KEY (raises NotFound for a stage that does not exist)."""
    infos = tuple(StageInfo(key=s.key, name=s.name, stale_days=s.stale_days, probability=s.probability) for s in stages())
    reqs = tuple(Requirement(field=r["field"], label=r["label"]) for r in requirements(stage_key))
    index = [s.key for s in infos].index(stage_key)
    return StageRules(stages=infos, index=index, requirements=reqs,
                      client_required=tuple(get("client.required")))
