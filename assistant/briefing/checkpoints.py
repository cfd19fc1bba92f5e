"""The 90-day checkpoint briefing: the executive checklist for each vendor, with evidence,
gaps, the latest figures, and what changed since the previous run."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, Field

from assistant.answering import eval_answers as ev
from assistant.answering.cited import Cited, citations, fmt
from assistant.answering.evidence import merged
from assistant.briefing.signals import Listing, VendorSignals, briefing_start, vendor_signals
from assistant.core.models import Answer, Citation
from assistant.core.records import is_self_hosted
from assistant.providers.llm import LLMUnavailableError
from assistant.storage.disk import refusal, replacing

if TYPE_CHECKING:
    from assistant.answering.pipeline import Answering
    from assistant.core.records import EvalResult, Workflow

logger = logging.getLogger(__name__)
# A planned date: 2026-12, 2027-03-15, Q3 2027, "March 2027".
MILESTONE_DATE = re.compile(
    r"\b(20\d\d-[01]\d(?:-[0-3]\d)?|Q[1-4] 20\d\d|20\d\d Q[1-4]|"
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December) 20\d\d)\b"
)
DATED_MILESTONES = 2  # distinct planned dates that make a roadmap one to plan around
Status = Literal["evidence", "partial", "gap"]


class CheckpointResult(BaseModel):
    id: int
    question: str
    status: Status
    answer: str
    citations: list[Citation]
    newest_source_date: str | None
    stale: bool


class Metric(BaseModel):
    """The latest eval of one model on one workflow."""

    name: str
    figures: str
    date: str
    citation: Citation


class VendorBriefing(BaseModel):
    vendor: str
    checkpoints: list[CheckpointResult]
    metrics: list[Metric]
    summary: Answer | None = Field(
        None, description="An executive summary by the language model, when one is configured."
    )
    signals: VendorSignals | None = None


class Briefing(BaseModel):
    generated_at: str
    vendors: list[VendorBriefing]
    changes: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class Checklist:
    """The executive checklist of prompts/checkpoints.yaml."""

    items: list[dict[str, Any]]

    @classmethod
    def load(cls, prompts_dir: Path) -> Checklist:
        data = yaml.safe_load((prompts_dir / "checkpoints.yaml").read_text("utf-8")) or {}
        return cls(list(data.get("checkpoints", [])))


class CheckpointRunner:
    """Answers each checkpoint for each vendor from the records and from retrieval."""

    def __init__(
        self, answering: Answering, checklist: Checklist, today: date | None = None
    ) -> None:
        self.answering = answering
        self.facts = answering.records()
        self.checklist = checklist.items
        self.today = today or datetime.now(UTC).date()
        self.stale_before = self.today - timedelta(days=answering.settings.stale_after_days)

    def run(self, vendors: list[str]) -> Briefing:
        """The checklist for each vendor (names or aliases)."""
        asked = [self.answering.catalog().canonical(v) for v in vendors]
        briefings = []
        for vendor in asked:
            checkpoints = [self.checkpoint(item, vendor) for item in self.checklist]
            briefings.append(
                VendorBriefing(
                    vendor=vendor,
                    checkpoints=checkpoints,
                    metrics=self.metrics(vendor),
                    summary=self.summary(vendor, checkpoints),
                )
            )
        now = datetime.now(UTC).isoformat(timespec="seconds")
        return Briefing(generated_at=now, vendors=briefings)

    def summary(self, vendor: str, checkpoints: list[CheckpointResult]) -> Answer | None:
        """The language model's executive summary of the checkpoints, checked like any answer."""
        generator = self.answering.generator
        if generator is None:
            return None
        findings = [(c.question, str(c.status), c.answer, c.citations) for c in checkpoints]
        try:
            return generator.summarise(vendor, findings)
        except LLMUnavailableError as exc:
            logger.warning("no summary for %s: %s", vendor, exc)
            return None

    def checkpoint(
        self, item: dict[str, Any], vendor: str, asked: str | None = None
    ) -> CheckpointResult:
        """One checkpoint for one vendor; `asked`, a user's own question, is what the
        documents' sentences are chosen to answer."""
        kind = item["kind"]
        missing = str(item["missing"]).format(vendor=vendor)
        if kind == "fallback":
            status, answer = self.fallbacks(vendor, missing)
        elif kind == "evals":
            status, answer = self.eval_logging(vendor, missing)
        elif kind == "open_source":
            status, answer = self.open_source(vendor, missing)
        else:
            status, answer = self.from_documents(item, vendor, missing, asked)
        dates = [c.published for c in answer.citations if c.published]
        newest = max(dates) if dates else None
        return CheckpointResult(
            id=int(item["id"]),
            question=str(item["question"]).format(vendor=vendor),
            status=status,
            answer=answer.answer,
            citations=answer.citations,
            newest_source_date=newest,
            stale=newest is not None and newest < self.stale_before.isoformat(),
        )

    def from_documents(
        self, item: dict[str, Any], vendor: str, missing: str, asked: str | None = None
    ) -> tuple[Status, Answer]:
        """Checkpoint 1 from the vendor's roadmap documents: dated milestones are evidence, a
        roadmap without dates is partial, no roadmap is a gap."""
        question = str(item["search"]).format(vendor=vendor)
        embedding = self.answering.embed_query(question)
        top_k = self.answering.settings.top_k
        hits = self.answering.search(question, embedding, vendor, top_k, doc_type="roadmap")
        if not hits:
            return "gap", gap(missing)
        found, read = None, hits
        if asked:  # the user's own question chooses the sentences, from its passages too
            mine = self.answering.embed_query(asked)
            more = self.answering.search(asked, mine, vendor, top_k, doc_type="roadmap")
            read = merged(hits, more)
            chosen = self.answering.extract(asked, mine, read, vendor)
            found = chosen if chosen.status == "answered" else None
        if found is None:
            found = self.answering.extract(question, embedding, hits, vendor)
        if found.status != "answered":
            return "gap", gap(missing)
        dates = {d for h in read for d in MILESTONE_DATE.findall(h.node.get_content())}
        if len(dates) >= DATED_MILESTONES:
            return "evidence", found
        return "partial", found.model_copy(
            update={"answer": f"{found.answer} Its roadmap gives no dated milestones."}
        )

    def open_source(self, vendor: str, missing: str) -> tuple[Status, Answer]:
        """Checkpoint 4 from the bake-off and the registry's hosting: the vendor's models
        compared with self-hosted ones settle it; self-hosting never compared is partial."""
        evals = [e for e in self.facts.evals if e.vendor == vendor]
        tested = {e.workflow for e in evals if not e.self_hosted and (e.role or "") == "incumbent"}
        out = Cited()
        rows = [e for e in self.facts.evals if e.workflow in tested]
        if tested and ev.parity(rows, out, 3):
            return "evidence", self.facts.finish(out)
        candidates = [e for e in evals if e.self_hosted]
        if candidates:
            tasks = {e.workflow for e in candidates}
            ev.parity([e for e in self.facts.evals if e.workflow in tasks], out, 3)
            within = any(ev.within_parity(e, self.facts.evals) for e in candidates)
            return ("evidence" if within else "partial"), self.facts.finish(out)
        if not any(e.self_hosted for e in self.facts.evals):  # nothing measured: the documents
            return self.open_source_documents(vendor, missing)
        hosted = [w for w in self.facts.workflows if self_hosts(w, vendor)]
        for w in hosted:
            out.say(f"{w.name} already serves a {vendor} model in-house, with no comparison "
                    f"recorded", out.record(w))  # fmt: skip
        return ("partial", self.facts.finish(out)) if hosted else ("gap", gap(missing))

    def open_source_documents(self, vendor: str, missing: str) -> tuple[Status, Answer]:
        """With no bake-off in the inbox, what the vendor's documents say about open weights."""
        item = next(i for i in self.checklist if i["kind"] == "open_source")
        question = str(item["search"]).format(vendor=vendor)
        embedding = self.answering.embed_query(question)
        found = self.answering.extract_found(
            question, embedding, vendor, self.answering.settings.top_k
        )
        return ("evidence", found) if found.status == "answered" else ("gap", gap(missing))

    def fallbacks(self, vendor: str, missing: str) -> tuple[Status, Answer]:
        """Checkpoint 2 from the registry: each workflow that runs on this vendor."""
        workflows = self.facts.workflows
        if not workflows:
            return "gap", gap(missing)
        out = Cited()
        on_vendor = [w for w in workflows if w.primary_vendor == vendor]
        if not on_vendor:
            marks = [out.cite(w.source, w.locator, w.quote) for w in workflows]
            out.say(f"No workflow in the registry runs on {vendor} as its primary", *marks)
            return "evidence", self.facts.finish(out)
        status: Status = "evidence"
        for w in on_vendor:
            mark = out.cite(w.source, w.locator, w.quote)
            if not w.fallback_model:
                out.say(
                    f"{w.name} ({w.criticality}) runs on {w.primary_model} with no fallback", mark
                )
                status = "gap" if w.criticality == "critical" else worst(status, "partial")
            elif w.fallback_vendor == vendor:
                out.say(
                    f"{w.name} ({w.criticality}) falls back to {w.fallback_model}, also from "
                    f"{vendor}: a lock-in risk",
                    mark,
                )
                status = worst(status, "partial")
            else:
                out.say(
                    f"{w.name} ({w.criticality}) falls back to {w.fallback_model} from "
                    f"{w.fallback_vendor}",
                    mark,
                )
        return status, self.facts.finish(out)

    def eval_logging(self, vendor: str, missing: str) -> tuple[Status, Answer]:
        """Checkpoint 3 from the eval records: results across versions, rollback targets."""
        evals = [e for e in self.facts.evals if e.vendor == vendor]
        if not evals:
            return "gap", gap(missing)
        out = Cited()
        compared = ev.versions(evals, out)
        return ("evidence" if compared else "partial"), self.facts.finish(out)

    def metrics(self, vendor: str) -> list[Metric]:
        latest: dict[tuple[str, str], EvalResult] = {}
        for e in self.facts.evals:
            if e.vendor == vendor:
                latest[(e.model, e.workflow or "?")] = e  # evals are sorted by date
        out = []
        for (model, task), e in sorted(latest.items()):
            figures = f"{e.metric or 'score'} {fmt(e.score)}"
            if e.latency_p95_ms is not None:
                figures += f", p95 {fmt(e.latency_p95_ms)} ms"
            if e.cost_per_1k_tokens is not None:
                figures += f", USD {fmt(e.cost_per_1k_tokens)} per 1K tokens"
            cited = Cited()
            cited.cite(e.source, e.locator, e.quote)
            citation = citations(cited, self.facts.document)[0]
            out.append(
                Metric(name=f"{model} on {task}", figures=figures, date=e.date, citation=citation)
            )
        return out


def self_hosts(w: Workflow, vendor: str) -> bool:
    """Whether the workflow serves one of the vendor's models in-house."""
    return any(
        v == vendor and is_self_hosted(h)
        for v, h in ((w.primary_vendor, w.primary_hosting), (w.fallback_vendor, w.fallback_hosting))
    )


def gap(missing: str) -> Answer:
    return Answer(answer=f"No evidence: {missing}.", status="insufficient_evidence")


def worst(a: Status, b: Status) -> Status:
    order = {"evidence": 0, "partial": 1, "gap": 2}
    return a if order[a] >= order[b] else b


# -- history ------------------------------------------------------------------------------


def previous_briefing(folder: Path) -> Briefing | None:
    """The latest saved briefing that reads back; a damaged one is passed over, with a log."""
    for run in sorted(folder.glob("*.json"), reverse=True):
        try:
            return Briefing.model_validate_json(run.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            logger.warning(
                "Briefing %s is unreadable (%s); comparing with the one before", run, exc
            )
    return None


def save_briefing(folder: Path, briefing: Briefing) -> Path:
    """Written to a hidden file and renamed: a run stopped half-way leaves no partial briefing."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = briefing.generated_at.replace(":", "").replace("+0000", "Z")
    path = folder / f"{stamp}.json"
    with replacing(path) as partial, partial.open("w", encoding="utf-8") as out:
        out.write(briefing.model_dump_json(indent=1))
        out.flush()
        os.fsync(out.fileno())
    return path


def changes_since(before: Briefing | None, now: Briefing) -> list[str]:
    """Status changes, new sources and changed figures, per vendor and checkpoint."""
    if before is None:
        return ["First briefing: nothing to compare with."]
    old = {v.vendor: v for v in before.vendors}
    changes: list[str] = []
    for vendor in now.vendors:
        previous = old.get(vendor.vendor)
        if previous is None:
            changes.append(f"{vendor.vendor}: new in the briefing.")
            continue
        earlier = {c.id: c for c in previous.checkpoints}
        for checkpoint in vendor.checkpoints:
            was = earlier.get(checkpoint.id)
            if was is None:
                continue
            where = f"{vendor.vendor}, checkpoint {checkpoint.id}"
            if was.status != checkpoint.status:
                changes.append(f"{where}: {was.status} -> {checkpoint.status}.")
            added = {c.source for c in checkpoint.citations} - {c.source for c in was.citations}
            if added:
                changes.append(f"{where}: new source(s) {', '.join(sorted(added))}.")
        figures = {m.name: m.figures for m in previous.metrics}
        for metric in vendor.metrics:
            if metric.name in figures and figures[metric.name] != metric.figures:
                changes.append(
                    f"{vendor.vendor}, {metric.name}: {figures[metric.name]} -> {metric.figures}."
                )
            elif metric.name not in figures:
                changes.append(f"{vendor.vendor}, {metric.name}: new figures {metric.figures}.")
    return changes or ["No change since the previous briefing."]


def run_briefing(
    answering: Answering,
    checklist: Checklist,
    vendors: list[str],
    folder: Path,
    today: date | None = None,
    save: bool = True,
    signals: Listing | None = None,
) -> Briefing:
    """Run the checklist for these vendors, compare with the previous run saved in `folder`,
    add each vendor's signals (when listed) and save this one there (when `save`)."""
    runner = CheckpointRunner(answering, checklist, today)
    briefing = runner.run(vendors)
    previous = previous_briefing(folder)
    briefing.changes = changes_since(previous, briefing)
    if signals is not None:
        since = briefing_start(previous.generated_at if previous else None, runner.today)
        stale_days = answering.settings.stale_after_days
        for v in briefing.vendors:
            v.signals = vendor_signals(signals, v.vendor, since, runner.today, stale_days)
    if not save:
        return briefing
    try:
        save_briefing(folder, briefing)
    except OSError as exc:
        if refusal(exc) is None:
            raise
        logger.error("the briefing was not saved: %s", exc)
        briefing.changes.append(
            f"This briefing was not saved ({exc.strerror}: {folder}), so the next run compares "
            "with the last saved one. Free space or make the data directory writable."
        )
    return briefing
