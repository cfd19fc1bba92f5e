"""Questions that ask for the checkpoint list itself ("the four 90-day checkpoints for
Anthropic", "which vendor's roadmap can we plan on?"), answered by the checklist from the chat,
the API and the CLI alike."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from assistant.answering.cited import listed
from assistant.answering.terms import without_names
from assistant.briefing.checkpoints import Checklist, CheckpointResult, CheckpointRunner
from assistant.core.models import Answer, Citation

if TYPE_CHECKING:
    from collections.abc import Callable

    from assistant.answering.intents import Intents
    from assistant.answering.pipeline import Answering

CHECKLIST_FIT = 0.5  # how well a question must fit a checklist description
CHECKLIST_MARGIN = 0.05  # and by how much better than any records intent or document kind
# or, fitting less well, by how much better it must fit ("show me Anthropic's checklist")
CLEAR_FIT, CLEAR_MARGIN = 0.35, 0.15
MARKER = re.compile(r"\[(\d+)\]")
FIRST = {"evidence": 0, "partial": 1, "gap": 2}


class ChecklistQuestions:
    """Recognises a question for the checklist by meaning and answers it with the checkpoint
    results: every checkpoint for the vendors it names, or one checkpoint across vendors."""

    def __init__(
        self,
        answering: Answering,
        checklist: Checklist,
        vendors: Callable[[], list[str]],
        intents: Callable[[], Intents],
    ) -> None:
        self.answering = answering
        self.checklist = checklist.items
        self.vendors = vendors  # the vendors a checkpoint is run for when none is named
        self.intents = intents

    def __call__(self, question: str, vendor: str | None) -> Answer | None:
        """The checklist's answer, or None when the question is not for the checklist."""
        catalog = self.answering.catalog()
        named = [catalog.canonical(vendor)] if vendor else catalog.detect(question)
        asked = self.asked_for(question, across=not named)
        if asked is None:
            return None
        if asked == "all":
            items, vendors = self.checklist, named[:2]
        else:
            items = [i for i in self.checklist if i["kind"] == asked]
            vendors = named or self.vendors()
        if not items or not vendors:
            return None
        runner = CheckpointRunner(self.answering, Checklist(items))
        results = [(v, i, runner.checkpoint(i, v, asked=question)) for v in vendors for i in items]
        if asked != "all":  # across vendors, those with evidence first
            results.sort(key=lambda result: FIRST[result[2].status])
        return said(results)

    def asked_for(self, question: str, across: bool) -> str | None:
        """'all', a checkpoint kind, or None, by how well the question fits the described
        checklist questions against every other intent. Asked `across` vendors (none named),
        a checkpoint on documents of one kind ("which vendor's roadmap ...") does not compete
        with asking those documents, which is what it does for each vendor."""
        intents, embed = self.intents(), self.answering.embed_query
        reading = intents.read(embed(question))
        if not reading.checkpoints:
            return None
        # The vendor it names does not make a question any less one for the checklist.
        bare = without_names(question)
        plain = intents.read(embed(bare)).checkpoints if bare and bare != question else {}
        fits_of = {k: max(fit, plain.get(k, fit)) for k, fit in reading.checkpoints.items()}
        best = max(fits_of, key=fits_of.__getitem__)
        fit = fits_of[best]
        documents = {k: s for k, s in reading.documents.items() if not (across and k == best)}
        rival = max([*reading.records.values(), *documents.values()], default=0.0)
        fits = (fit >= CHECKLIST_FIT and fit >= rival + CHECKLIST_MARGIN) or (
            fit >= CLEAR_FIT and fit >= rival + CLEAR_MARGIN
        )
        return best if fits else None


def said(results: list[tuple[str, dict[str, Any], CheckpointResult]]) -> Answer:
    """One answer from checkpoint results: each found one as its status and its cited answer,
    the gaps named together."""
    citations: list[Citation] = []
    numbers: dict[tuple[str, str], int] = {}
    sentences: list[str] = []
    gaps: dict[str, list[str]] = {}
    for vendor, item, result in results:
        title = str(item.get("title") or item["kind"])
        if result.status == "gap":
            gaps.setdefault(f"checkpoint {result.id} ({title})", []).append(vendor)
            continue
        text = renumbered(result, citations, numbers)
        sentences.append(f"**{vendor}, checkpoint {result.id} ({title}): {result.status}.** {text}")
    for checkpoint, vendors in gaps.items():
        sentences.append(f"No evidence for {checkpoint} from {listed(vendors)} in the inbox.")
    status = "answered" if citations else "insufficient_evidence"
    return Answer(answer=" ".join(sentences), status=status, citations=citations)


def renumbered(
    result: CheckpointResult, citations: list[Citation], numbers: dict[tuple[str, str], int]
) -> str:
    """The result's answer with its citation numbers moved into the combined list."""
    by_n = {c.n: c for c in result.citations}

    def number(match: re.Match[str]) -> str:
        cited = by_n.get(int(match.group(1)))
        if cited is None:
            return ""
        key = (cited.source, cited.locator)
        if key not in numbers:
            numbers[key] = len(citations) + 1
            citations.append(cited.model_copy(update={"n": numbers[key]}))
        return f"[{numbers[key]}]"

    return MARKER.sub(number, result.answer)
