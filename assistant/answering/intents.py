"""What a question asks, recognised by meaning: each part of it is compared with the described
intents of prompts/intents.yaml by the embedding model."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import numpy as np
import yaml

from assistant.answering.slots import MONTH_NAMES
from assistant.storage.sparse import tokens

Embed = Callable[[list[str]], list[list[float]]]
# Where a question joins two asks: ", and when?", "; how much", " and what ...".
QUESTION_WORD = (
    r"(?:what|which|who|whom|when|where|why|how|did|does|do|is|are|was|were|can|could|"
    r"would|will|has|have)\b"
)
PREPOSITION = r"(?:under|above|below|over|in|on|at|for|from|by|to|with|since|until|after|before)"
PART_BREAK = re.compile(
    rf"(?:[,;]\s*(?:and\s+|but\s+)?|\s+and\s+|\?\s+)(?=(?:{PREPOSITION}\s+)?{QUESTION_WORD})",
    re.I,
)
ASKS = re.compile(rf"^(?:{PREPOSITION}\s+)?{QUESTION_WORD}|^(?:give|list|tell|show|name)\b", re.I)
# Two names joined ("for Mistral Large 3 and Claude Sonnet 4.6", "our OpenAI and Claude
# contracts"): each is asked about in a part of its own.
NAME = r"(?:[A-Z][\w.&-]*|\d[\w.]*)(?:\s+(?:[A-Z][\w.&-]*|\d[\w.]*))*"
NAME_PAIR = re.compile(rf"(?<![\w-])({NAME})\s+(?:and|or|vs\.?|versus)\s+({NAME})(?![\w-])")
RANGE_BEFORE = re.compile(r"\b(?:between|from)\s*$", re.I)
MONTHS = {*MONTH_NAMES, *(m[:3] for m in MONTH_NAMES)}
MIN_MATCHED_TERMS = 2  # a part with fewer terms of its own is matched with the first part
POINTS_BACK = re.compile(
    r"\b(it|its|they|them|their|that|this|those|these|he|him|his|she|her|hers)\b", re.I
)


class Ask(NamedTuple):
    """One part of a question: as asked, as sentences are matched against it, and as it is
    searched for (a later part with the first part beside it, which says what it is about)."""

    asked: str
    matched: str
    searched: str
    points_back: bool = False  # "does that assume": the sentence after the last answer may say


def split_parts(question: str) -> list[Ask]:
    """A compound question as its parts: 'Who signed, and how large is it?' -> two parts,
    and 'the prices of A and B' -> one part for A and one for B. A part with too few terms
    of its own ("and when?", "how large is it") is matched with the first part beside it."""
    parts = [p.strip(" ,;?") for p in PART_BREAK.split(question)]
    parts = [p for p in parts if p] or [question.strip()]
    if len(parts) > 1 and not ASKS.match(parts[0]):
        parts[:2] = [f"{parts[0]}, {parts[1]}"]  # "In the Q2 tracker, what ..." is one ask
    parts = [named for part in parts for named in by_name(part)]
    out: list[Ask] = []
    for index, part in enumerate(parts):
        context = f"{part} ({parts[0]})" if index else part
        # A pronoun is not a term of the part's own: it stands for one of another part.
        own = [term for term in tokens(part) if not POINTS_BACK.fullmatch(term)]
        few_terms = len(own) < MIN_MATCHED_TERMS
        back = bool(index and POINTS_BACK.search(part))
        out.append(Ask(part, context if few_terms else part, context, back))
    return out


def by_name(part: str) -> list[str]:
    """'the prices of A and B' -> ['the prices of A', 'the prices of B']."""
    pair = NAME_PAIR.search(part)
    if pair is None or RANGE_BEFORE.search(part[: pair.start()]) or MONTHS & set(pair.groups()):
        return [part]  # "between August and October" is one period
    before, after = part[: pair.start()], part[pair.end() :]
    return [f"{before}{name}{after}" for name in pair.groups()]


@dataclass(frozen=True)
class Reading:
    """How well a question matches each intent: of the records, of a kind of document, and
    of the checkpoint list."""

    records: dict[str, float]
    documents: dict[str, float]
    checkpoints: dict[str, float] = field(default_factory=dict)
    signals: dict[str, float] = field(default_factory=dict)

    @property
    def record_intent(self) -> str:
        return max(self.records, key=self.records.__getitem__)

    @property
    def document_kind(self) -> str:
        return max(self.documents, key=self.documents.__getitem__)

    def score(self, intent: str) -> float:
        return self.records.get(intent, self.documents.get(intent, 0.0))


GROUPS = ("records", "documents", "checkpoints", "signals")


class Intents:
    """The described intents, embedded once."""

    def __init__(self, prompts_dir: Path, embed: Embed) -> None:
        data = yaml.safe_load((prompts_dir / "intents.yaml").read_text("utf-8")) or {}
        self.groups: dict[str, dict[str, list[str]]] = {g: data.get(g) or {} for g in GROUPS}
        self.embed = embed

    @cached_property
    def _matrix(self) -> tuple[list[tuple[str, str]], np.ndarray]:
        labels = [
            (g, i) for g, intents in self.groups.items() for i, ts in intents.items() for _ in ts
        ]
        texts = [t for intents in self.groups.values() for ts in intents.values() for t in ts]
        return labels, np.asarray(self.embed(texts))

    def read(self, embedding: list[float]) -> Reading:
        labels, matrix = self._matrix
        similarity = matrix @ np.asarray(embedding)
        best: dict[tuple[str, str], float] = {}
        for label, score in zip(labels, similarity, strict=True):
            best[label] = max(best.get(label, -1.0), float(score))
        by_group = {g: {i: s for (group, i), s in best.items() if group == g} for g in GROUPS}
        return Reading(**by_group)
