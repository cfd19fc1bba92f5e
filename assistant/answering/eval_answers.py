"""Answers from the eval records: trends, side-by-side runs, version changes (regressions and
improvements), latency against targets, cost changes and open-weights parity.

A run is one eval file. Changes are judged relative to the metric's scale (0-1 or 0-100), and
only between two different versions of one model on one workflow and metric."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from assistant.answering.cited import Cited, fmt, listed
from assistant.core.records import EvalResult, Workflow

Key = tuple[str, str, str]  # model, workflow, metric


def scale_of(rows: list[EvalResult]) -> float:
    """100 for scores on a 0-100 scale, else 1."""
    return 100.0 if any(e.score > 1.5 for e in rows) else 1.0


def series(rows: list[EvalResult]) -> dict[Key, list[EvalResult]]:
    grouped: dict[Key, list[EvalResult]] = {}
    for e in sorted(rows, key=lambda e: e.date):
        grouped.setdefault((e.model, e.workflow or "?", e.metric or "score"), []).append(e)
    return grouped


def run_date(e: EvalResult, rows: list[EvalResult]) -> str:
    """The date a run started: the first date in its file."""
    return min(r.date for r in rows if r.source == e.source)


def figures(e: EvalResult) -> str:
    parts = [fmt(e.score)]
    if e.latency_p95_ms is not None:
        parts.append(f"p95 {fmt(e.latency_p95_ms)} ms")
    if e.cost_per_1k_tokens is not None:
        parts.append(f"USD {fmt(e.cost_per_1k_tokens)} per 1K tokens")
    return parts[0] + (f" ({', '.join(parts[1:])})" if parts[1:] else "")


def version_of(e: EvalResult) -> str:
    return f"version {e.version}" if e.version else "version not recorded"


def compare_in_run(evals: list[EvalResult], workflow: str, models: list[str], out: Cited) -> bool:
    """The latest run that scored all these models on the workflow, side by side."""
    rows = [e for e in evals if (e.workflow or "") == workflow]
    last_date: dict[str, str] = {}
    for e in rows:
        last_date[e.source] = max(last_date.get(e.source, ""), e.date)
    for source in sorted(last_date, key=last_date.__getitem__, reverse=True):
        in_run = [e for e in rows if e.source == source]
        picked = [max((e for e in in_run if e.model == m), key=lambda e: e.date, default=None)
                  for m in models]  # fmt: skip
        chosen = [e for e in picked if e is not None]
        if len(chosen) == len(models) >= 2 and len({e.metric for e in chosen}) == 1:
            said = listed([f"{e.model} {figures(e)}" for e in chosen])
            gap = abs(chosen[0].score - chosen[1].score)
            out.say(
                f"In the eval run of {run_date(chosen[0], evals)} on {workflow} "
                f"({chosen[0].metric or 'score'}), {said}: {fmt(round(gap, 4))} points apart",
                *(out.record(e) for e in chosen),
            )
            return True
    return False


def trend(rows: list[EvalResult], targets: dict[str, Workflow], out: Cited, limit: int) -> bool:
    """Each model's scores over the runs, with its versions and its workflow's latency target."""
    said = bool(rows)
    for (model, task, metric), points in list(series(rows).items())[:limit]:
        steps = listed([f"{fmt(e.score)} on {e.date}" for e in points])
        versions = list(dict.fromkeys(e.version for e in points if e.version))
        which = f" (versions {listed(versions)})" if len(versions) > 1 else (
            f" (version {versions[0]})" if versions else "")  # fmt: skip
        out.say(f"{model}{which} on {task} ({metric}): {steps}", *(out.record(e) for e in points))
        latencies = [e for e in points if e.latency_p95_ms is not None]
        if latencies:
            out.say(latency_line(latencies, targets.get(task)), *(out.record(e) for e in latencies))
    return said


def latency_line(points: list[EvalResult], workflow: Workflow | None) -> str:
    values = listed([f"{fmt(e.latency_p95_ms)} ms" for e in points])
    line = f"Its p95 latency was {values}"
    if workflow is None or workflow.latency_p95_ms is None:
        return line
    target = workflow.latency_p95_ms
    over = [e for e in points if (e.latency_p95_ms or 0) > target]
    if not over:
        return f"{line}, within the workflow's {fmt(target)} ms target"
    return (
        f"{line}; above the workflow's {fmt(target)} ms target on {listed([e.date for e in over])}"
    )


@dataclass(frozen=True)
class Change:
    key: Key
    before: EvalResult
    after: EvalResult

    @property
    def delta(self) -> float:
        return round(self.after.score - self.before.score, 4)


def version_changes(rows: list[EvalResult]) -> list[Change]:
    """Each switch from one version of a model to the next on one workflow and metric: the new
    version against the previous one, in the same run where both were scored."""
    changes = []
    for key, points in series(rows).items():
        versions = sorted(
            {e.version for e in points if e.version},
            key=lambda v: (min(e.date for e in points if e.version == v), v),
        )
        for old, new in pairwise(versions):
            changes.append(Change(key, *switch(points, old, new)))
    return changes


def switch(points: list[EvalResult], old: str, new: str) -> tuple[EvalResult, EvalResult]:
    """The results that measure a switch of versions: both scored in one run (the latest such
    run), else the new version's first result against the old one's last before it."""
    olds = [e for e in points if e.version == old]
    news = [e for e in points if e.version == new]
    side_by_side = [(o, n) for o in olds for n in news if (o.source, o.date) == (n.source, n.date)]
    if side_by_side:
        return max(side_by_side, key=lambda pair: pair[1].date)
    after = min(news, key=lambda e: e.date)
    before = max([o for o in olds if o.date <= after.date] or olds, key=lambda e: e.date)
    return before, after


def say_change(change: Change, out: Cited) -> None:
    model, task, metric = change.key
    b, a = change.before, change.after
    word = "fell" if change.delta < 0 else "rose"
    out.say(
        f"{'Regression' if change.delta < 0 else 'Improvement'}: {model} {word} by "
        f"{fmt(abs(change.delta))} after the update from version {b.version} to {a.version} "
        f"({metric} on {task}: {fmt(b.score)} on {b.date}, {fmt(a.score)} on {a.date})",
        out.record(b),
        out.record(a),
    )


def significant(changes: list[Change], rows: list[EvalResult], threshold: float) -> list[Change]:
    """Changes bigger than `threshold` of the metric's scale."""
    return [
        c for c in changes
        if abs(c.delta) > threshold * scale_of([e for e in rows if e.metric == c.before.metric])
    ]  # fmt: skip


def latency_breaches(rows: list[EvalResult], targets: dict[str, Workflow], out: Cited) -> bool:
    """Results slower than their workflow's p95 target."""
    found = False
    for e in rows:
        w = targets.get(e.workflow or "")
        if w is None or w.latency_p95_ms is None or e.latency_p95_ms is None:
            continue
        if e.latency_p95_ms > w.latency_p95_ms:
            found = True
            over = e.latency_p95_ms - w.latency_p95_ms
            out.say(
                f"{e.workflow} breached its p95 latency target on {e.model} ({version_of(e)}): "
                f"{fmt(e.latency_p95_ms)} ms on {e.date} against {fmt(w.latency_p95_ms)} ms, "
                f"{fmt(over)} ms over",
                out.record(e),
                out.record(w),
            )
    return found


def cost_changes(rows: list[EvalResult], out: Cited) -> bool:
    """Models whose cost per 1K tokens changed from one run to the next."""
    found = False
    for (model, task, _), points in series(rows).items():
        priced = [e for e in points if e.cost_per_1k_tokens is not None]
        for b, a in pairwise(priced):
            if b.cost_per_1k_tokens and a.cost_per_1k_tokens != b.cost_per_1k_tokens:
                found = True
                change = (a.cost_per_1k_tokens or 0) / b.cost_per_1k_tokens - 1
                out.say(
                    f"{model} on {task} went from USD {fmt(b.cost_per_1k_tokens)} per 1K tokens "
                    f"on {b.date} to {fmt(a.cost_per_1k_tokens)} on {a.date} "
                    f"({change:+.0%})",
                    out.record(b),
                    out.record(a),
                )
    return found


def incumbent_of(task: str, rows: list[EvalResult]) -> EvalResult | None:
    """The model a bake-off measures self-hosted candidates against: its latest incumbent."""
    on_task = [e for e in rows if e.workflow == task]
    incumbents = [e for e in on_task if not e.self_hosted or (e.role or "") == "incumbent"]
    return max(incumbents, key=lambda e: e.date) if incumbents else None


def parity_margin(candidate: EvalResult, incumbent: EvalResult) -> float | None:
    return (
        candidate.parity_margin if candidate.parity_margin is not None else incumbent.parity_margin
    )


def within_parity(candidate: EvalResult, rows: list[EvalResult]) -> bool:
    """Whether a self-hosted candidate scored within its bake-off's margin of the incumbent."""
    base = incumbent_of(candidate.workflow or "", rows)
    margin = parity_margin(candidate, base) if base is not None else None
    return base is not None and margin is not None and base.score - candidate.score <= margin


def parity(rows: list[EvalResult], out: Cited, limit: int) -> bool:
    """For each workflow of a bake-off: the self-hosted model closest to the incumbent."""
    said = 0
    for task in dict.fromkeys(e.workflow for e in rows if e.self_hosted):
        base = incumbent_of(task or "", rows)
        candidates = [e for e in rows if e.workflow == task and e.self_hosted and e is not base]
        if base is None or not candidates or said >= limit:
            continue
        best = max(candidates, key=lambda e: e.score)
        gap = round(base.score - best.score, 4)
        margin = parity_margin(best, base)
        verdict = ""
        if margin is not None:
            verdict = (
                f", within the {fmt(margin)}-point parity margin"
                if within_parity(best, rows)
                else f", outside the {fmt(margin)}-point parity margin, so no self-hosted model "
                f"reached parity"
            )
        out.say(
            f"On {task} ({best.metric or 'score'}, {best.date}), the closest self-hosted model was "
            f"{best.model} at {figures(best)} against {base.model} at {figures(base)}: "
            f"{fmt(gap)} points behind{verdict}",
            out.record(best),
            out.record(base),
        )
        said += 1
    return said > 0


def versions(rows: list[EvalResult], out: Cited, limit: int | None = None) -> bool:
    """Which versions of each model were evaluated: whether updates can be compared (the
    chat's answer and the briefing's checkpoint 3). Models with several versions come first."""
    compared = False
    grouped = sorted(
        series(rows).items(), key=lambda item: -len({e.version for e in item[1] if e.version})
    )
    for (model, task, _), points in grouped[:limit]:
        seen = list(dict.fromkeys(e.version for e in points if e.version))
        if len(seen) > 1:
            compared = True
            out.say(
                f"{model} on {task} has eval results for versions {', '.join(seen)}, so "
                f"updates can be compared and version {seen[-2]} is a tested rollback target",
                out.record(points[0]),
                out.record(points[-1]),
            )
        else:
            only = f"one version only ({seen[0]})" if seen else "no recorded version"
            out.say(
                f"{model} on {task} has eval results for {only}, {points[0].date} to "
                f"{points[-1].date}, so there is no comparison across versions",
                out.record(points[0]),
                out.record(points[-1]),
            )
    return compared
