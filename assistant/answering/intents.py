"""What a question asks, recognised by meaning: each part of it is compared with the described
intents of prompts/intents.yaml by the embedding model."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import yaml

Embed = Callable[[list[str]], list[list[float]]]
# Where a question joins two asks: ", and when?", "; how much", " and what ...".
PART_BREAK = re.compile(
    r"(?:[,;]\s*(?:and\s+|but\s+)?|\s+and\s+|\?\s+)"
    r"(?=(?:what|which|who|whom|when|where|why|how|did|does|do|is|are|was|were|can|could|"
    r"would|will|has|have|by when|for how long)\b)",
    re.I,
)
MIN_PART_WORDS = 2
POINTS_BACK = re.compile(r"\b(it|its|they|them|their|that|this|those|these)\b", re.I)


def split_parts(question: str) -> list[str]:
    """A compound question as its parts: 'Who signed, and how large is it?' -> two parts.
    A short part ("and when?") carries the part before it, which says what it is about."""
    parts = [p.strip(" ,;?") for p in PART_BREAK.split(question)]
    parts = [p for p in parts if p]
    out: list[str] = []
    for part in parts:
        if out and (len(part.split()) <= MIN_PART_WORDS or POINTS_BACK.search(part)):
            part = f"{part} ({out[-1]})"  # "how large is it" says what "it" is
        out.append(part)
    return out or [question.strip()]


@dataclass(frozen=True)
class Reading:
    """How well a question matches each intent (records intents, then document kinds)."""

    records: dict[str, float]
    documents: dict[str, float]

    @property
    def record_intent(self) -> str:
        return max(self.records, key=self.records.__getitem__)

    @property
    def document_kind(self) -> str:
        return max(self.documents, key=self.documents.__getitem__)

    def score(self, intent: str) -> float:
        return self.records.get(intent, self.documents.get(intent, 0.0))


class Intents:
    """The described intents, embedded once."""

    def __init__(self, prompts_dir: Path, embed: Embed) -> None:
        data = yaml.safe_load((prompts_dir / "intents.yaml").read_text("utf-8")) or {}
        self.records: dict[str, list[str]] = data.get("records", {})
        self.documents: dict[str, list[str]] = data.get("documents", {})
        self.embed = embed

    @cached_property
    def _matrix(self) -> tuple[list[tuple[str, str]], np.ndarray]:
        labels = [("records", i) for i, texts in self.records.items() for _ in texts]
        labels += [("documents", k) for k, texts in self.documents.items() for _ in texts]
        texts = [t for group in (self.records, self.documents) for ts in group.values() for t in ts]
        return labels, np.asarray(self.embed(texts))

    def read(self, embedding: list[float]) -> Reading:
        labels, matrix = self._matrix
        similarity = matrix @ np.asarray(embedding)
        best: dict[tuple[str, str], float] = {}
        for label, score in zip(labels, similarity, strict=True):
            best[label] = max(best.get(label, -1.0), float(score))
        return Reading(
            records={i: s for (group, i), s in best.items() if group == "records"},
            documents={k: s for (group, k), s in best.items() if group == "documents"},
        )
