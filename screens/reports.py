"""Reports: this quarter's forecast, the funnel with conversion rates (as bars), lost reasons, activity per
rep, cash in."""
from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from screens.base import MainScreen
from screens.nav_widgets import ScrollNav
from tui.actions import bindings

if TYPE_CHECKING:
    from models.usecases.reports import Report

PERIODS = [7, 30, 90, 365]


def bar(n: int, top: int, width: int = 30) -> str:
    if top <= 0:
        return ""
    full = n * width / top
    return "█" * int(full) + ("▌" if full - int(full) >= 0.5 else "")


class ReportsScreen(ScrollNav, MainScreen):
    TITLE_TEXT = "Reports"
    BINDINGS = [
        Binding("p", "period", "Period", id="reports.period"),
        *bindings(without=("list.open",)),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.days = 30

    def compose(self) -> ComposeResult:
        yield from self.compose_status()
        with VerticalScroll(id="report-scroll"):
            yield Static("", id="report")
        yield from self.compose_footer()

    def status_extra(self) -> str:
        return f"last {self.days} days"

    def action_period(self) -> None:
        self.days = PERIODS[(PERIODS.index(self.days) + 1) % len(PERIODS)]
        self.update_status()
        self.load()

    SCROLL_ID = "report-scroll"  # navigation (tui.actions.NAV) scrolls the report

    def fetch(self) -> Report:
        from models.usecases.reports import report

        return report(self.app.rep, self.app.now(), self.days)

    def paint(self, data: Report) -> None:
        from models.money import format_amount

        t = Text()
        paint_forecast(t, data.forecast)
        top = max((s.count for s in data.funnel), default=0)
        t.append(f"Funnel, last {data.days} days\n", style="bold")
        for s in data.funnel:
            conv = "" if s.conversion is None else f"{s.conversion:5.1f}%"
            t.append(f"{s.step:<17}{s.count:>7} {conv:>6} ")
            t.append(bar(s.count, top) + "\n", style="bold")
        lost = data.lost_deals
        t.append("\nWhy deals were lost\n", style="bold")
        ltop = max((x.count for x in lost), default=0)
        for x in lost:
            t.append(f"{x.reason:<17}{x.count:>7}        {bar(x.count, ltop)}\n")
        if not lost:
            t.append("no lost deals in this period\n")
        gone = data.lost_clients
        if gone:
            t.append("\nLost clients by reason (all time)\n", style="bold")
            gtop = max(x.count for x in gone)
            for x in gone:
                t.append(f"{x.reason:<17}{x.count:>7}        {bar(x.count, gtop)}\n")
        t.append("\nActivity per rep (done)\n", style="bold")
        t.append(f"{'rep':<12}{'calls':>6}{'mails':>6}{'msgs':>6}{'meet':>6}{'tasks':>6}\n")
        for r in data.activity:
            t.append(f"{r.rep:<12}{r.call:>6}{r.email:>6}{r.message:>6}{r.meeting:>6}{r.task:>6}\n")
        t.append("\nCash in\n", style="bold")
        cash = data.cash_in
        for c in cash[-10:]:
            t.append(f"{c.day}  {format_amount(c.amount_minor, c.currency):>16}\n")
        if not cash:
            t.append("no payments in this period\n")
        self.query_one("#report", Static).update(t)


def paint_forecast(t: Text, f) -> None:
    """The forecast panel: one line per month and currency (weighted, best case, commit, won), coverage and
    how many deals slipped."""
    from models.money import format_amount

    if f is None:
        return
    t.append(f"Forecast {f.period}, {f.scope}\n", style="bold")
    t.append(f"{'month':<8}{'weighted':>17}{'best case':>17}{'commit':>17}{'won':>17}\n")
    for m in f.months:
        for x in m.totals:
            t.append(f"{m.month:<8}" + "".join(f"{format_amount(v, x.currency):>17}" for v in (
                x.weighted_minor, x.best_case_minor, x.commit_minor, x.won_minor)) + "\n")
        if not m.totals:
            t.append(f"{m.month:<8}{'-':>17}\n")
    c = f.coverage
    if c is not None:
        cov = f"{c.coverage_percent}%" if c.coverage_percent is not None else "quota met"
        t.append(f"coverage {cov}: {format_amount(c.pipeline_minor, c.currency)} open for "
                 f"{format_amount(c.remaining_minor, c.currency)} of quota left\n")
    if f.slipped_count:
        t.append(f"{f.slipped_count} deal(s) slipped: close date passed, still open\n", style="bold")
    t.append("\n")
