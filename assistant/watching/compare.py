"""How a re-checked answer differs from the one followed: its kinds of change, the documents
that caused it, and one paragraph saying so. Reformatting alone is no change."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from assistant.answering.grounding import CITED, SENTENCE_END, WORDS, figures
from assistant.core.models import Answer, Citation
from assistant.core.watchlist import Cause, ChangeKind, Followed

# Below this word-sequence similarity an answer's text changed materially; above it the words
# moved or a few were reworded. (Figures, sources and status are compared on their own.)
SAME_TEXT = 0.85
QUOTE_CHARS = 240  # of the sentence quoted in a summary


@dataclass(frozen=True)
class IndexChanges:
    """What an ingestion changed since the last re-check, by source."""

    added: set[str] = field(default_factory=set)
    changed: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.deleted)

    @property
    def written(self) -> set[str]:
        return self.added | self.changed

    @property
    def sources(self) -> set[str]:
        return self.added | self.changed | self.deleted

    def change_of(self, source: str) -> str | None:
        for change, sources in (
            ("added", self.added),
            ("changed", self.changed),
            ("deleted", self.deleted),
        ):
            if source in sources:
                return change
        return None


def kinds_of_change(before: Followed, after: Followed) -> list[ChangeKind]:
    """What changed between two answers to the same question, in a fixed order."""
    old, new = before.answer, after.answer
    kinds: list[ChangeKind] = []
    if old.status != new.status or before.statuses != after.statuses:
        kinds.append("status")
    if figures_in(old) != figures_in(new):
        kinds.append("figure")
    if sources_of(old) != sources_of(new):
        kinds.append("citation")
    if SequenceMatcher(None, words_of(old), words_of(new), autojunk=False).ratio() < SAME_TEXT:
        kinds.append("text")
    return kinds


def figures_in(answer: Answer) -> set[str]:
    """The figures, dates and model ids an answer states (1,200 and 1200 are one figure)."""
    return {figure.replace(",", "") for figure in figures(answer.answer)}


def sources_of(answer: Answer) -> set[str]:
    return {c.source for c in answer.citations}


def words_of(answer: Answer) -> list[str]:
    return WORDS.findall(CITED.sub(" ", answer.answer).lower())


def causes_of(
    before: Answer, after: Answer, changes: IndexChanges, probed: set[str]
) -> list[Cause]:
    """The changed documents behind a change: those the new answer cites, those the old one
    cited; else those that brought the re-check about (`probed`, and the records' files)."""
    cited = [(c, changes.change_of(c.source)) for c in [*after.citations, *before.citations]]
    causes = _by_source((c.source, change, c.locator) for c, change in cited if change)
    if causes:
        return causes
    return _by_source((source, changes.change_of(source), None) for source in sorted(probed))


def _by_source(found: Iterable[tuple[str, str | None, str | None]]) -> list[Cause]:
    causes: dict[str, Cause] = {}
    for source, change, locator in found:
        if change is None:
            continue
        cause = causes.setdefault(source, Cause(source=source, change=change))
        if locator and locator not in cause.locators:
            cause.locators.append(locator)
    return list(causes.values())


def summary_of(
    before: Followed,
    after: Followed,
    kinds: list[ChangeKind],
    causes: list[Cause],
    details: list[str],
) -> str:
    """'The answer to "..." changed (figure, citation): <the new sentence that cites the cause>
    (<source>, <locator>).' The sentence is the answer's own, so it is as cited as the answer;
    a briefing's change lists its checkpoints' new statuses (`details`) instead."""
    subject = f"The answer to “{after.question}”"
    if after.vendor and after.vendor not in after.question:
        subject += f" (vendor {after.vendor})"
    head = f"{subject} changed ({', '.join(kinds)})"
    if details or after.kind == "checkpoints":
        subject = after.question[0].upper() + after.question[1:]
        said = " ".join(details) or "Their sources changed."
        return f"{subject} changed ({', '.join(kinds)}): {said}{_located(causes)}"
    if before.answer.status == "answered" and after.answer.status != "answered":
        return f"{head}: it is no longer answered. {_quoted(after.answer.answer)}{_deleted(causes)}"
    sentence, citation = _sentence_citing(after.answer, {c.source for c in causes})
    where = f" ({citation.source}, {citation.locator})" if citation else ""
    if before.answer.status != "answered" and after.answer.status == "answered":
        head = f"{subject} is now answered"
    return f"{head}: {_quoted(sentence)}{where}{_deleted(causes)}"


def _sentence_citing(answer: Answer, sources: set[str]) -> tuple[str, Citation | None]:
    """The answer's first sentence citing one of these sources (else its first sentence)."""
    by_number = {c.n: c for c in answer.citations}
    sentences = [s for s in SENTENCE_END.split(answer.answer.strip()) if s.strip()]
    for sentence in sentences:
        for number in CITED.findall(sentence):
            citation = by_number.get(int(number))
            if citation is not None and citation.source in sources:
                return sentence, citation
    first = sentences[0] if sentences else answer.answer
    numbers = CITED.findall(first)
    return first, by_number.get(int(numbers[0])) if numbers else None


def _quoted(sentence: str) -> str:
    text = re.sub(r"\s+", " ", CITED.sub("", sentence)).strip()
    text = re.sub(r"\s+([.,;:])", r"\1", text)
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rstrip() + "…"


def _located(causes: list[Cause]) -> str:
    """' Caused by: a.md (lines 3-9, added), b.csv (deleted).'"""
    if not causes:
        return ""
    named = [f"{c.source} ({', '.join([*c.locators, c.change])})" for c in causes]
    return f" Caused by: {', '.join(named)}."


def _deleted(causes: list[Cause]) -> str:
    gone = [c.source for c in causes if c.change == "deleted"]
    return f" Deleted: {', '.join(gone)}." if gone else ""
