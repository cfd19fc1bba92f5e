"""What a question found: passages, each part's own, and an answer from the records; and the
question itself, cleaned of what a terminal or a paste leaves in it."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore

    from assistant.answering.parts import Part
    from assistant.core.models import Answer


@dataclass(frozen=True)
class TermsSearch:
    """A search for a vendor's terms behind an answer from the records: how long it keeps the
    versions to roll back to (`model` empty; only its contracts say), or whether a model the
    answer names is going away (`model`: a passage must name it)."""

    query: str
    embedding: list[float]
    vendor: str
    model: str = ""
    versions: str = ""  # the versions to roll back to, as the reply names them


def terms_searches(
    question: str,
    found: Answer,
    rollback: bool,
    message: Callable[..., str],
    embed: Callable[[str], list[float]],
) -> list[TermsSearch]:
    """The terms searches an answer from the records needs: for a rollback question, each
    model vendor's deprecation terms; for each model in service, its retirement."""
    searches = []
    for vendor in dict.fromkeys(p.vendor for p in found.trend if p.vendor) if rollback else ():
        targets = [v for of, v in found.rollback if of == vendor]
        versions = ", ".join(targets) or "older snapshots"
        query = message("deprecation_terms_query", vendor=vendor, versions=versions)
        searches.append(TermsSearch(query, embed(query), vendor, versions=versions))
    for vendor, model in found.in_service:
        query = message("retirement_query", model=model, vendor=vendor)
        searches.append(TermsSearch(query, embed(query), vendor, model))
    return searches


@dataclass
class Evidence:
    """What a question found: passages, an answer from the records, and for a rollback
    question the vendors' deprecation terms."""

    question: str
    embedding: list[float]
    vendor: str | None
    passages: list[NodeWithScore]
    records: Answer | None = None
    terms: list[TermsSearch] = field(default_factory=list)  # one supporting sentence each
    kind: str | None = None  # the kind of document the question asks of (contract, roadmap ...)
    asked: list[str] = field(default_factory=list)  # the vendors it was asked of
    absent: list[str] = field(default_factory=list)  # those with no document of that kind
    parts: list[Part] = field(default_factory=list)  # of a compound question, each searched
    named: list[str] = field(default_factory=list)  # the companies the question names


RECORD_TYPES = ("registry", "eval")  # document types whose rows are read as records
TERMINAL_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


def clean_question(text: str, limit: int) -> tuple[str, bool]:
    """The question without control characters or runs of spaces, cut to `limit` characters
    at a word boundary where one is near; and whether it was cut."""
    # Control characters and lone surrogates only: format characters (zero-width joiners)
    # belong to some scripts' words.
    text = TERMINAL_ESCAPE.sub(" ", text)  # colour codes pasted from a terminal
    printable = "".join(" " if unicodedata.category(c) in ("Cc", "Cs") else c for c in text)
    question = " ".join(printable.split())
    if len(question) <= limit:
        return question, False
    cut = question[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 0.8 else cut).rstrip(), True


def merged(first: list[NodeWithScore], more: list[NodeWithScore]) -> list[NodeWithScore]:
    """The passages of `first`, then those of `more` that `first` does not hold."""
    seen = {hit.node.node_id for hit in first}
    return [*first, *(hit for hit in more if hit.node.node_id not in seen)]


def document_passages(passages: list[NodeWithScore]) -> list[NodeWithScore]:
    """The passages of documents, not rows of the registry or eval tables (the records say
    those, and exactly)."""
    return [hit for hit in passages if hit.node.metadata.get("doc_type") not in RECORD_TYPES]


def about(passages: list[NodeWithScore], vendors: list[str]) -> list[NodeWithScore]:
    """The passages about the companies a question names; passages tagged with no company
    stay, and when none is about them all stay."""
    if not vendors:
        return passages
    kept = [
        hit
        for hit in passages
        if not hit.node.metadata.get("vendors") or set(hit.node.metadata["vendors"]) & set(vendors)
    ]
    return kept or passages


class QuestionVectors:
    """Question vectors by their text, the oldest dropped past `size`: a question read by the
    checklist, then searched, is embedded once."""

    def __init__(self, embed: Callable[[str], list[float]], size: int = 256) -> None:
        self.embed = embed
        self.size = size
        self.vectors: dict[str, list[float]] = {}
        self.lock = threading.Lock()  # questions are answered on several threads at once

    def __call__(self, question: str) -> list[float]:
        with self.lock:
            vector = self.vectors.get(question)
        if vector is None:
            vector = self.embed(question)
            with self.lock:
                if len(self.vectors) >= self.size:
                    self.vectors.pop(next(iter(self.vectors)))
                self.vectors[question] = vector
        return vector
