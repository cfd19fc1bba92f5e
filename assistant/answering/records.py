"""Questions about workflows and evals answered from the structured records, every figure cited.

Intents are recognised by rules; the workflow a question means is matched on names and aliases,
then by the embedding model ("the contracts workflow" -> "contract clause extraction").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from assistant.core.models import Answer, Citation, EvalPoint, FactTable
from assistant.core.records import EvalResult, Workflow

FALLBACK = re.compile(r"\b(fall ?-?backs?|fail ?-?over|back-?up model|plan b)\b", re.I)
NO_FALLBACK = re.compile(
    r"\b(no|without|lacks?|lacking|missing)\b[\w\s-]{0,30}\bfall ?-?backs?\b|\bsame[- ]vendor\b",
    re.I,
)
DEPENDS = re.compile(
    r"\b(depends?|dependent|rel(y|ies)|outage|breaks?|affected|exposure|down)\b", re.I
)
QUALITY = re.compile(
    r"\b(quality|scores?|regress\w*|drop(ped)?|degrad\w*|evals?|evaluations?|roll ?-?back|trend|"
    r"updates?|versions?|latency|cost)\b",
    re.I,
)
ROLLBACK = re.compile(r"\broll ?-?back\b", re.I)
WORD = re.compile(r"[a-z0-9]+")
STOP = {"the", "our", "for", "and", "what", "which", "is", "of", "a", "an", "to", "in", "we", "do"}
MATCH_SIMILARITY = 0.5  # embedding similarity that names a workflow when no word matches


def words(text: str) -> set[str]:
    """Lower-case words without plural s: 'Contracts' and 'contract' are one word."""
    return {w.rstrip("s") for w in WORD.findall(text.lower()) if w not in STOP}


@dataclass
class Cited:
    """Sentences and their citations, numbered in order of first use."""

    records: list[tuple[str, str]] = field(default_factory=list)  # (source, locator)
    quotes: dict[tuple[str, str], str] = field(default_factory=dict)
    sentences: list[str] = field(default_factory=list)

    def cite(self, source: str, locator: str, quote: str) -> int:
        key = (source, locator)
        if key not in self.records:
            self.records.append(key)
            self.quotes[key] = quote
        return self.records.index(key) + 1

    def say(self, sentence: str, *numbers: int) -> None:
        marks = "".join(f"[{n}]" for n in dict.fromkeys(numbers))
        first_word = sentence.split(" ", 1)[0]
        if not re.search(r"[\d-]", first_word):  # "qwen-max" and "gpt-5" keep their case
            sentence = sentence[:1].upper() + sentence[1:]
        self.sentences.append(f"{sentence.rstrip('.')} {marks}.".replace(" .", "."))


class FactAnswerer:
    """Answers the registry and eval intents; `answer` returns None for other questions."""

    def __init__(
        self,
        workflows: list[Workflow],
        evals: list[EvalResult],
        document: Callable[[str], dict[str, str]],
        vendors_in: Callable[[str], list[str]],
        embed: Callable[[list[str]], list[list[float]]],
        regression_drop: float,
    ) -> None:
        self.workflows = workflows
        self.evals = evals
        self.document = document
        self.vendors_in = vendors_in
        self.embed = embed
        self.regression_drop = regression_drop

    # -- routing -----------------------------------------------------------------------

    def answer(self, question: str, query_embedding: list[float]) -> Answer | None:
        if not self.workflows and not self.evals:
            return None
        if NO_FALLBACK.search(question) and re.search(r"\bcritical|workflows\b", question, re.I):
            return self.no_fallback()
        vendors = self.vendors_in(question)
        if FALLBACK.search(question):
            workflow, closest = self.match_workflow(question, query_embedding)
            if workflow is not None:
                return self.fallback(workflow)
            if vendors:
                return self.dependents(vendors[0])
            return self.not_recorded(question, closest)
        if DEPENDS.search(question) and vendors:
            return self.dependents(vendors[0])
        if QUALITY.search(question):
            workflow, _ = self.match_workflow(question, query_embedding)
            models = {e.model for e in self.evals if e.model.lower() in question.lower()}
            if workflow is not None or models:
                return self.trend(workflow, models, rollback=bool(ROLLBACK.search(question)))
        return None

    def match_workflow(
        self, question: str, query_embedding: list[float]
    ) -> tuple[Workflow | None, list[str]]:
        """The workflow a question names, else None and the closest names."""
        if not self.workflows:
            return None, []
        asked = words(question)
        best_overlap, best = 0.0, None
        for workflow in self.workflows:
            for name in [workflow.name, *workflow.aliases]:
                name_words = words(name)
                overlap = len(name_words & asked) / max(len(name_words), 1)
                if name.lower() in question.lower():
                    overlap = 1.0
                if overlap > best_overlap:
                    best_overlap, best = overlap, workflow
        names = [w.name for w in self.workflows]
        similarity = np.asarray(self.embed(names)) @ np.asarray(query_embedding)
        ranked = [names[i] for i in np.argsort(-similarity)]
        if best is not None and (
            best_overlap >= 0.5 or (best_overlap > 0 and ranked[0] == best.name)
        ):
            return best, ranked[:3]
        if float(similarity.max()) >= MATCH_SIMILARITY and best_overlap > 0:
            return self.workflows[int(similarity.argmax())], ranked[:3]
        return None, ranked[:3]

    # -- answers -----------------------------------------------------------------------

    def fallback(self, w: Workflow) -> Answer:
        out = Cited()
        reg = out.cite(w.source, w.locator, w.quote)
        primary = f"{w.primary_model} from {w.primary_vendor}"
        if w.fallback_model:
            out.say(
                f"The fallback for {w.name} is {w.fallback_model} from {w.fallback_vendor}; "
                f"the primary is {primary}",
                reg,
            )
            if w.fallback_vendor and w.fallback_vendor == w.primary_vendor:
                out.say(
                    f"The fallback comes from the same vendor as the primary, so an outage or "
                    f"price change at {w.primary_vendor} hits both: a lock-in risk",
                    reg,
                )
        else:
            out.say(
                f"No fallback model is recorded for {w.name} ({w.criticality}); "
                f"it runs only on {primary}",
                reg,
            )
        for model in filter(None, [w.primary_model, w.fallback_model]):
            latest = self.latest_eval(w.name, model)
            if latest is not None:
                out.say(self.describe_eval(latest, w.name), self.cite_eval(out, latest))
        terms = []
        if w.uptime or w.latency_p95_ms:
            terms.append(f"the SLA is {w.uptime or '?'} uptime and {fmt(w.latency_p95_ms)} ms p95")
        if w.renewal:
            terms.append(f"the contract renews on {w.renewal}")
        if w.deprecation_notice_days is not None:
            terms.append(f"with {w.deprecation_notice_days} days' deprecation notice")
        if terms:
            out.say(f"For {w.name}, " + ", ".join(terms), reg)
        answer = self.finish(out)
        answer.table = self.fallback_table(w)
        return answer

    def fallback_table(self, w: Workflow) -> FactTable:
        rows = []
        for role, vendor, model in (
            ("primary", w.primary_vendor, w.primary_model),
            ("fallback", w.fallback_vendor, w.fallback_model),
        ):
            latest = self.latest_eval(w.name, model) if model else None
            rows.append(
                [role, vendor or "none", model or "none"]
                + (
                    [fmt(latest.score), fmt(latest.latency_p95_ms), fmt(latest.cost_per_1k_tokens),
                     latest.date]
                    if latest
                    else ["", "", "", ""]
                )
            )  # fmt: skip
        columns = ["role", "vendor", "model", "score", "p95 ms", "USD / 1K tokens", "eval date"]
        return FactTable(columns=columns, rows=rows)

    def no_fallback(self) -> Answer:
        out = Cited()
        critical = [w for w in self.workflows if w.criticality == "critical"]
        missing = [w for w in critical if not w.fallback_model]
        same = [w for w in critical if w.fallback_model and w.fallback_vendor == w.primary_vendor]
        for w in missing:
            out.say(
                f"{w.name} is critical and has no fallback model; it runs only on "
                f"{w.primary_model} from {w.primary_vendor}",
                out.cite(w.source, w.locator, w.quote),
            )
        for w in same:
            out.say(
                f"{w.name} is critical and its fallback {w.fallback_model} comes from the "
                f"same vendor as its primary ({w.primary_vendor})",
                out.cite(w.source, w.locator, w.quote),
            )
        if not missing and not same:
            marks = [out.cite(w.source, w.locator, w.quote) for w in critical]
            out.say(
                f"All {len(critical)} critical workflows have a fallback from another vendor",
                *marks,
            )
        return self.finish(out)

    def dependents(self, vendor: str) -> Answer:
        out = Cited()
        for w in self.workflows:
            mark = (
                out.cite(w.source, w.locator, w.quote)
                if vendor in (w.primary_vendor, w.fallback_vendor)
                else 0
            )
            if w.primary_vendor == vendor:
                backup = (
                    f"falls back to {w.fallback_model} from {w.fallback_vendor}"
                    if w.fallback_model
                    else "has no fallback"
                )
                out.say(
                    f"{w.name} ({w.criticality}) runs on {w.primary_model} from {vendor} and "
                    f"{backup}",
                    mark,
                )
            elif w.fallback_vendor == vendor:
                out.say(
                    f"{w.name} ({w.criticality}) uses {w.fallback_model} from {vendor} as its "
                    f"fallback; its primary is {w.primary_model} from {w.primary_vendor}",
                    mark,
                )
        if not out.sentences:
            return Answer(
                answer=f"No workflow in the registry depends on {vendor}.",
                status="answered",
                citations=self.registry_citations(),
            )
        return self.finish(out)

    def trend(self, workflow: Workflow | None, models: set[str], rollback: bool) -> Answer:
        out = Cited()
        rows = [
            e
            for e in self.evals
            if (workflow is None or (e.workflow or "").lower() == workflow.name.lower())
            and (not models or e.model in models)
        ]
        if not rows:
            name = workflow.name if workflow else ", ".join(sorted(models))
            return Answer(
                answer=f"No eval results are recorded for {name}.", status="insufficient_evidence"
            )
        once: list[EvalResult] = []
        for (model, task, metric), series in self.series(rows).items():
            if len(series) == 1:
                once.append(series[0])
                continue
            first, last = series[0], series[-1]
            out.say(
                f"{model} on {task} ({metric}) went from {fmt(first.score)} on {first.date} "
                f"(version {first.version or '?'}) to {fmt(last.score)} on {last.date} "
                f"(version {last.version or '?'})",
                self.cite_eval(out, first),
                self.cite_eval(out, last),
            )
            for before, after in pairwise(series):
                drop = before.score - after.score
                if drop > self.regression_drop:
                    out.say(
                        f"Regression: {model} fell by {fmt(drop)} after the update from version "
                        f"{before.version or '?'} to {after.version or '?'}",
                        self.cite_eval(out, before),
                        self.cite_eval(out, after),
                    )
                    if rollback:
                        out.say(
                            f"Version {before.version or '?'} has eval records to roll back to",
                            self.cite_eval(out, before),
                        )
        if once:
            listed = ", ".join(
                f"{e.model} {fmt(e.score)} ({e.date}) [{self.cite_eval(out, e)}]" for e in once
            )
            label = "Also evaluated once" if out.sentences else "Evaluated once"
            out.sentences.append(f"{label}: {listed}.")
        answer = self.finish(out)
        answer.trend = [eval_point(e) for e in sorted(rows, key=lambda e: e.date)]
        return answer

    def not_recorded(self, question: str, closest: list[str]) -> Answer:
        names = ", ".join(f'"{n}"' for n in closest)
        return Answer(
            answer=f"No workflow matching your question is recorded in the registry, so no "
            f"fallback can be named. The closest recorded workflows are {names}.",
            status="insufficient_evidence",
            citations=self.registry_citations(),
        )

    # -- helpers -----------------------------------------------------------------------

    def latest_eval(self, workflow: str, model: str) -> EvalResult | None:
        rows = [
            e
            for e in self.evals
            if e.model == model and (e.workflow or "").lower() == workflow.lower()
        ]
        return max(rows, key=lambda e: e.date) if rows else None

    @staticmethod
    def series(rows: list[EvalResult]) -> dict[tuple[str, str, str], list[EvalResult]]:
        grouped: dict[tuple[str, str, str], list[EvalResult]] = {}
        for e in sorted(rows, key=lambda e: e.date):
            grouped.setdefault((e.model, e.workflow or "?", e.metric or "score"), []).append(e)
        return grouped

    @staticmethod
    def describe_eval(e: EvalResult, workflow: str) -> str:
        parts = [f"{e.metric or 'score'} {fmt(e.score)}"]
        if e.latency_p95_ms is not None:
            parts.append(f"p95 latency {fmt(e.latency_p95_ms)} ms")
        if e.cost_per_1k_tokens is not None:
            parts.append(f"USD {fmt(e.cost_per_1k_tokens)} per 1K tokens")
        version = f" (version {e.version})" if e.version else ""
        return f"The latest eval of {e.model}{version} on {workflow}, {e.date}: {', '.join(parts)}"

    @staticmethod
    def cite_eval(out: Cited, e: EvalResult) -> int:
        return out.cite(e.source, e.locator, e.quote)

    def registry_citations(self) -> list[Citation]:
        out = Cited()
        for w in self.workflows:
            out.cite(w.source, w.locator, w.quote)
        return self.citations(out)

    def citations(self, out: Cited) -> list[Citation]:
        cited = []
        for n, (source, locator) in enumerate(out.records, start=1):
            meta = self.document(source)
            cited.append(
                Citation(
                    n=n,
                    source=source,
                    title=meta.get("title", source),
                    doc_type=meta.get("doc_type", "note"),
                    published=meta.get("published", ""),
                    locator=locator,
                    quote=out.quotes[(source, locator)],
                    score=1.0,
                )
            )
        return cited

    def finish(self, out: Cited) -> Answer:
        return Answer(
            answer=" ".join(out.sentences), status="answered", citations=self.citations(out)
        )


def fmt(value: float | None) -> str:
    """0.8100 -> '0.81', 3400.0 -> '3400'."""
    if value is None:
        return "?"
    return f"{value:.4f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))


def eval_point(result: EvalResult) -> EvalPoint:
    """An eval result as a point of the chat's chart."""
    return EvalPoint(
        model=result.model,
        vendor=result.vendor,
        workflow=result.workflow or "",
        metric=result.metric or "score",
        date=result.date,
        version=result.version,
        score=result.score,
        latency_p95_ms=result.latency_p95_ms,
    )
