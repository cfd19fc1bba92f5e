"""The described kinds of prompts/signals.yaml, embedded once: which kind of event a sentence
reports, if any."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import numpy as np
import yaml

from assistant.answering.model_events import unit
from assistant.core.signals import SIGNAL_KINDS

Embed = Callable[[list[str]], list[list[float]]]
OTHER = "other"


class EventKinds:
    def __init__(self, prompts_dir: Path, embed: Embed) -> None:
        data = yaml.safe_load((prompts_dir / "signals.yaml").read_text("utf-8")) or {}
        described = data.get("kinds") or {}
        self.kinds: dict[str, list[str]] = {k: list(described.get(k) or []) for k in SIGNAL_KINDS}
        self.other: list[str] = list(data.get(OTHER) or [])
        self.embed = embed

    @cached_property
    def _matrix(self) -> tuple[list[str], np.ndarray]:
        labels = [k for k, texts in self.kinds.items() for _ in texts] + [OTHER] * len(self.other)
        texts = [t for texts in self.kinds.values() for t in texts] + self.other
        return labels, unit(np.asarray(self.embed(texts), dtype=np.float32))

    def classify(self, vectors: np.ndarray) -> list[tuple[str, float, float]]:
        """Per sentence vector: its closest kind, the similarity, and the margin by which it
        beats every description of what reports no event."""
        labels, matrix = self._matrix
        similarity = unit(vectors) @ matrix.T
        out = []
        for row in similarity:
            best: dict[str, float] = {}
            for label, score in zip(labels, row.tolist(), strict=True):
                best[label] = max(best.get(label, -1.0), score)
            other = best.pop(OTHER, -1.0)
            kind = max(best, key=best.__getitem__)
            out.append((kind, best[kind], best[kind] - other))
        return out
