"""Calibrating the ranking by the team's own results: `repdesk scoring fit [--dry-run]` (issue 14).

The score is a sum of signals, each worth a weight (models.scoring). Which signals an application showed,
and how many times each counted, is read once (`signal_counts`): the text is scored with the weight of the
k-th signal set to 64**k, so the unclipped total spells each signal's count in base 64. From the counts a
score under any weights is a few additions (`score_from_counts`, the same rules as score_application: the
vague cap, the clip to 0..100), so the fit can try weights without reading a text again.

History: an application that became a deal which reached Paid, Shipped or Won (or has a paid invoice) is a
success; one closed or marked spam without a deal, or whose deal was lost, is a failure; anything still in
progress is left out. The model is a logistic regression on the counts with non-negative weights, pulled
towards the current weights (an L2 prior centred on them, scaled to the data) so a signal the history
rarely shows keeps about its current worth. The fitted weights are scaled to the current weights' total,
so the levels (8, 30, 55 points) keep their meaning.

The measure is the pairwise accuracy (AUC): of every pair of a success and a failure, the share the score
orders right (ties count half). It is shown before and after on the whole history and held out: the fit
on one half of the applications (by a hash of the id) judged on the other half and the reverse, so a fit that only learns its own
data does not look better than it is. Weights are written (the `scoring.weights` setting, admin only,
audited) only when asked and only when the held-out accuracy improves.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from .scoring import DEFAULT_WEIGHTS, effective_weights, read_text, _contact_signal, _known_client_signal

# every weight but the cap is a signal's worth; the order is the base-64 digit of each
FIT_KEYS: tuple[str, ...] = tuple(k for k in DEFAULT_WEIGHTS if k != "vague_cap")
_BASE = 64
_CONTACT = ("contact_complete", "contact_partial", "known_client")
MIN_EACH = 20          # successes and failures needed before a fit means anything
WON_STAGES = ("paid", "shipped", "won")
_KNOWN = re.compile(r"[+-]\d+ known client\b")


@dataclass(frozen=True)
class Counts:
    """How many times each signal of FIT_KEYS counted in one application; KIND is 'spam' (scores 0),
    'vague' (only the contact details count, up to the cap) or 'scored'."""
    kind: str
    counts: tuple[int, ...]


def _probe_weights() -> dict[str, int]:
    w = {k: _BASE ** i for i, k in enumerate(FIT_KEYS)}
    w["vague_cap"] = 0
    return w


def _decode(total: int) -> tuple[int, ...]:
    out = []
    for _ in FIT_KEYS:
        total, digit = divmod(total, _BASE)
        out.append(digit)
    if total:
        raise ValueError("a signal counted 64 times or more")  # never: each counts at most a few times
    return tuple(out)


def signal_counts(text: str, *, name: str = "", email: str = "", phone: str = "", subject: str = "",
                  catalog=None, known_client: bool = False) -> Counts:
    """The signals TEXT shows under the scoring's rules, counted (see the module's note)."""
    w = _probe_weights()
    read = read_text(text, subject, catalog, w)
    if read.spam:
        return Counts("spam", (0,) * len(FIT_KEYS))
    contact = _contact_signal(name, email, phone, w).points + _known_client_signal(known_client, w).points
    if not any(s.substantive for s in read.signals):
        return Counts("vague", _decode(contact))
    return Counts("scored", _decode(sum(s.points for s in read.signals) + contact))


def score_from_counts(c: Counts, weights: dict) -> int:
    """The score score_application gives under WEIGHTS (a full set, as effective_weights returns)."""
    if c.kind == "spam":
        return 0
    if c.kind == "vague":
        cap, total = weights["vague_cap"], 0
        by = dict(zip(FIT_KEYS, c.counts))
        contact = by["contact_complete"] * weights["contact_complete"] + by["contact_partial"] * weights["contact_partial"]
        for points in (contact, by["known_client"] * weights["known_client"]):
            total += max(0, min(points, cap - total))
        return total
    total = sum(n * weights[k] for n, k in zip(c.counts, FIT_KEYS))
    return max(0, min(100, total))


def pairwise_accuracy(scored: list[tuple[float, int, int]]) -> float | None:
    """Of all (success, failure) pairs, the share where the success scores higher (ties half). SCORED:
    (score, successes, failures) per distinct score or vector; None without both kinds."""
    by_score: dict[float, list[int]] = {}
    for s, pos, neg in scored:
        cell = by_score.setdefault(s, [0, 0])
        cell[0] += pos
        cell[1] += neg
    total_pos = sum(c[0] for c in by_score.values())
    total_neg = sum(c[1] for c in by_score.values())
    if not total_pos or not total_neg:
        return None
    right, below_neg = 0.0, 0
    for s in sorted(by_score):
        pos, neg = by_score[s]
        right += pos * (below_neg + neg / 2)
        below_neg += neg
    return right / (total_pos * total_neg)


# ---------------------------------------------------------------- the fit

def _solve(a: list[list[float]], b: list[float]) -> list[float] | None:
    """A x = b by Gaussian elimination with partial pivoting; None when singular."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(m[r][col]))
        if abs(m[piv][col]) < 1e-12:
            return None
        m[col], m[piv] = m[piv], m[col]
        for r in range(n):
            if r != col and m[r][col]:
                f = m[r][col] / m[col][col]
                for k in range(col, n + 1):
                    m[r][k] -= f * m[col][k]
    return [m[i][n] / m[i][i] for i in range(n)]


def _log1pexp(z: float) -> float:
    return z + math.log1p(math.exp(-z)) if z > 0 else math.log1p(math.exp(z))


def _fit_logistic(rows: list[tuple[tuple[float, ...], int, int]], prior: list[float], strength: float,
                  free_sign: set[int]) -> list[float]:
    """Weights b (b[0] the intercept) minimising the negative log-likelihood of ROWS (x, successes,
    failures) plus STRENGTH/2 * |b - PRIOR|^2 over the coefficients (not the intercept); every coefficient
    but those in FREE_SIGN kept >= 0. Projected Newton with an active set and a backtracking step."""
    n = len(prior)

    def objective(b):
        total = 0.0
        for x, pos, neg in rows:
            z = sum(bi * xi for bi, xi in zip(b, x))
            total += pos * _log1pexp(-z) + neg * _log1pexp(z)
        return total + strength / 2 * sum((b[j] - prior[j]) ** 2 for j in range(1, n))

    b = [max(0.0, p) if j not in free_sign else p for j, p in enumerate(prior)]
    current = objective(b)
    for _ in range(100):
        g = [0.0] * n
        h = [[0.0] * n for _ in range(n)]
        for x, pos, neg in rows:
            z = sum(bi * xi for bi, xi in zip(b, x))
            p = 1 / (1 + math.exp(-z)) if z > -700 else 0.0
            r = (pos + neg) * p - pos
            v = (pos + neg) * p * (1 - p)
            for i, xi in enumerate(x):
                if xi:
                    g[i] += r * xi
                    hi = h[i]
                    for j, xj in enumerate(x):
                        if xj:
                            hi[j] += v * xi * xj
        for j in range(1, n):
            g[j] += strength * (b[j] - prior[j])
            h[j][j] += strength
        free = [j for j in range(n) if j in free_sign or b[j] > 1e-9 or g[j] < 0]
        step = _solve([[h[i][j] for j in free] for i in free], [-g[i] for i in free])
        if step is None:
            break
        t = 1.0
        for _ in range(40):
            trial = b[:]
            for j, d in zip(free, step):
                trial[j] = b[j] + t * d
                if j not in free_sign:
                    trial[j] = max(0.0, trial[j])
            value = objective(trial)
            if value <= current:
                break
            t /= 2
        else:
            break
        done = current - value < 1e-10 * max(1.0, abs(current))
        b, current = trial, value
        if done:
            break
    return b


def fit_weights(groups: dict[Counts, list[int]], current: dict) -> dict[str, int]:
    """Weights of FIT_KEYS fitted to GROUPS (counts -> [successes, failures]); the cap and the total of the
    CURRENT weights kept."""
    rows = [((1.0, *map(float, c.counts)), pos, neg) for c, (pos, neg) in groups.items()
            if c.kind != "spam" and (pos or neg)]
    # the scale of the current weights in log-odds: a one-feature fit of the current (unclipped) points
    raw = [(sum(n * current[k] for n, k in zip(x[1:], FIT_KEYS)), pos, neg) for x, pos, neg in rows]
    a0, c0 = _fit_logistic([((1.0, s), pos, neg) for s, pos, neg in raw], [0.0, 0.0], 1e-6, {0})
    c0 = max(c0, 1e-3)
    prior = [a0] + [c0 * current[k] for k in FIT_KEYS]
    b = _fit_logistic(rows, prior, 2.0, {0})
    coef = b[1:]
    total = sum(current[k] for k in FIT_KEYS)
    mass = sum(coef)
    if mass <= 0:
        return {k: current[k] for k in FIT_KEYS}
    return {k: int(round(c * total / mass)) for k, c in zip(FIT_KEYS, coef)}


# ---------------------------------------------------------------- the team's history

@dataclass(frozen=True)
class FitReport:
    """What `repdesk scoring fit` prints: how many applications of each outcome were read, the pairwise
    accuracy before and after (on all of them and held out), the current and fitted weights, whether they
    were written and why not."""
    successes: int
    failures: int
    skipped_in_progress: int
    before: float | None
    after: float | None
    held_out_before: float | None
    held_out_after: float | None
    current: dict
    fitted: dict
    written: bool
    note: str

    def as_dict(self) -> dict:
        return {"successes": self.successes, "failures": self.failures,
                "skipped_in_progress": self.skipped_in_progress,
                "before": self.before, "after": self.after,
                "held_out_before": self.held_out_before, "held_out_after": self.held_out_after,
                "current": self.current, "fitted": self.fitted, "written": self.written, "note": self.note}


def _history(actor, limit: int, catalog):
    """(id, Counts, success) of the labelled applications ACTOR may see, newest first, at most LIMIT; and
    how many were left out as still in progress."""
    from peewee import JOIN, Case, fn

    from . import access
    from .tables import Application, Deal, Invoice, Stage

    deal_state = (Deal.select(Deal.application.alias("app_id"),
                              fn.MAX(Case(None, [(Stage.key.in_(WON_STAGES), 2), (Stage.key == "lost", 1)], 0))
                              .alias("state"))
                  .join(Stage).where(Deal.application.is_null(False)).group_by(Deal.application).alias("ds"))
    paid = (Invoice.select(Deal.application.alias("app_id")).join(Deal)
            .where((Invoice.status == "paid") & Deal.application.is_null(False)).distinct().alias("pd"))
    q = (Application.select(Application.id, Application.text, Application.subject, Application.name,
                            Application.email, Application.phone, Application.status, Application.open,
                            Application.reasons, deal_state.c.state.alias("state"),
                            paid.c.app_id.alias("paid_app"))
         .join(deal_state, JOIN.LEFT_OUTER, on=(deal_state.c.app_id == Application.id))
         .join(paid, JOIN.LEFT_OUTER, on=(paid.c.app_id == Application.id), src=Application))
    q = access.scope(q, actor, Application.owner, Application.team)
    out, skipped = [], 0
    for row in q.order_by(Application.id.desc()).dicts().iterator():
        state = row["state"]
        if state == 2 or row["paid_app"] is not None:
            success = True
        elif state == 1 or (state is None and row["status"] in ("closed", "spam") and not row["open"]):
            success = False
        else:
            skipped += 1
            continue
        known = known_at_intake(row["reasons"])
        text = row["text"] or ""
        subject = row["subject"] or ""
        c = signal_counts(text if not subject else f"{subject}\n{text}", name=row["name"], email=row["email"],
                          phone=row["phone"], subject=subject, catalog=catalog, known_client=known)
        out.append((row["id"], c, success))
        if len(out) >= limit:
            break
    return out, skipped


def known_at_intake(reasons: str | None) -> bool:
    """Whether the application came from a known client when it was scored (its stored reasons say "+8 known
    client", or "+4 known client (capped: ...)"): the client a conversion links later is the outcome, not a
    signal."""
    try:
        return any(_KNOWN.match(str(r)) for r in json.loads(reasons or "[]"))
    except (ValueError, TypeError):
        return False


def _group(items) -> dict[Counts, list[int]]:
    groups: dict[Counts, list[int]] = {}
    for _id, c, success in items:
        cell = groups.setdefault(c, [0, 0])
        cell[0 if success else 1] += 1
    return groups


def _accuracy(groups: dict[Counts, list[int]], weights: dict) -> float | None:
    return pairwise_accuracy([(score_from_counts(c, weights), pos, neg) for c, (pos, neg) in groups.items()])


def _fold(app_id: int) -> int:
    """The half an application falls in: a bit of a multiplicative hash of its id, so the halves do not
    follow any rhythm of how applications arrive (every other one from a form, say)."""
    return (app_id * 2654435761 >> 16) & 1


def _fold_accuracy(items, current: dict, mode) -> float | None:
    """Pairwise accuracy on applications a fit did not see: two folds by a hash of the id (_fold), the weights
    fitted on one judged on the other (MODE 'fit'), or the current weights on the same halves (MODE None);
    pairs are formed within each half and counted over both."""
    right = pairs = 0.0
    for parity in (0, 1):
        train = _group(i for i in items if _fold(i[0]) == parity)
        test = _group(i for i in items if _fold(i[0]) != parity)
        w = {**current, **fit_weights(train, current)} if mode == "fit" else current
        acc = _accuracy(test, w)
        n = sum(p for p, _ in test.values()) * sum(q for _, q in test.values())
        if acc is not None:
            right += acc * n
            pairs += n
    return right / pairs if pairs else None


def fit(actor_login: str, *, dry_run: bool = False, force: bool = False, limit: int = 50_000, now=None) -> FitReport:
    """Fit the scoring weights to the outcomes of the applications the actor may see (a manager: the team's;
    a director or admin: everyone's). Writes `scoring.weights` unless DRY_RUN, and only when the held-out
    accuracy improves (or FORCE); writing is the admin's, like every setting."""
    from . import access, settings
    from .errors import NothingToDo, ValidationError
    from .clock import utcnow
    from .reps import get_rep
    from .scoring import load_catalog

    actor = get_rep(actor_login)
    access.require_manager(actor, "fit the scoring weights")
    if not 100 <= limit <= 1_000_000:
        raise ValidationError("--limit is a whole number from 100 to 1,000,000.", field="limit")
    if not dry_run:  # the setting is the admin's: say so before the work, not after it
        access.admin_gate(actor_login, "change the setting scoring.weights (try --dry-run)",
                          roles=settings.spec_of("scoring.weights").writers)
    current = effective_weights()
    items, skipped = _history(actor, limit, load_catalog())
    groups = _group(items)
    successes = sum(p for p, _ in groups.values())
    failures = sum(n for _, n in groups.values())
    if successes < MIN_EACH or failures < MIN_EACH:
        raise NothingToDo(f"Too little history to learn from: {successes} applications became paid deals and "
                          f"{failures} were closed or lost (at least {MIN_EACH} of each are needed); "
                          f"{skipped} are still in progress.")
    fitted = fit_weights(groups, current)
    new = {**current, **fitted}
    held_before, held_after = _fold_accuracy(items, current, None), _fold_accuracy(items, current, "fit")
    before, after = _accuracy(groups, current), _accuracy(groups, new)
    improves = held_after is not None and held_before is not None and held_after > held_before + 1e-9
    if dry_run:
        written, note = False, "dry run: nothing written"
    elif not improves and not force:
        written, note = False, ("not written: on applications the fit did not see, the fitted weights order no "
                                "better than the current ones (--force writes them anyway)")
    else:
        overrides = {k: v for k, v in new.items() if v != DEFAULT_WEIGHTS[k]}
        settings.put(actor_login, "scoring.weights", overrides, now=now)
        from .inbox import rescore_open

        done = rescore_open(actor_login, now or utcnow(), weights=overrides)
        written, note = True, (f"written to scoring.weights; the {done['open']:,} open applications were scored "
                               f"again ({done['rescored']:,} changed), new ones are scored with them")
    return FitReport(successes, failures, skipped, before, after, held_before, held_after,
                     {k: current[k] for k in FIT_KEYS}, fitted, written, note)
