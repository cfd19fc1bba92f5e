"""What a sentence says happens to a model it names (retired, released, repriced ...), by
meaning: compared with the described kinds of prompts/model_events.yaml."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import numpy as np
import yaml

from assistant.answering.grounding import CITED
from assistant.core.models import Answer

Embed = Callable[[list[str]], list[list[float]]]
RETIRED = "retired"
MARGIN = 0.05  # how much closer to `retired` than to any other kind a sentence must be
YEAR = re.compile(r"\b20\d\d\b")
SENTENCE = re.compile(r"(?<=\][.!?])\s+")  # after a cited sentence's markers


def model_name(model: str) -> re.Pattern[str]:
    """The model's own name in a text ("qwen-max", not "qwen-max-2026")."""
    return re.compile(rf"(?<![\w.-]){re.escape(model)}(?![\w-]|\.\w)", re.I)


def names(model: str, text: str) -> bool:
    return model_name(model).search(text) is not None


class ModelEvents:
    def __init__(self, prompts_dir: Path, embed: Embed) -> None:
        data = yaml.safe_load((prompts_dir / "model_events.yaml").read_text("utf-8")) or {}
        self.kinds: dict[str, str] = dict(data.get("kinds", {}))
        self.embed = embed

    @cached_property
    def _vectors(self) -> np.ndarray:
        return unit(np.asarray(self.embed(list(self.kinds.values())), dtype=np.float32))

    def retirements(self, model: str, found: Answer) -> Answer:
        """The sentences of an answer that say the model is going away (none: no answer)."""
        said = [s for s in SENTENCE.split(found.answer) if self.retires(model, s)]
        if found.status != "answered" or not said:
            return Answer(answer="", status="insufficient_evidence")
        return found.model_copy(update={"answer": " ".join(said)})

    def retires(self, model: str, sentence: str) -> bool:
        """Whether a dated sentence naming the model says it is going away."""
        text = CITED.sub("", sentence).strip()
        if not names(model, text) or not YEAR.search(text) or RETIRED not in self.kinds:
            return False
        generic = model_name(model).sub("the model", text)
        scores = self._vectors @ unit(np.asarray(self.embed([generic]), dtype=np.float32))[0]
        by_kind = dict(zip(self.kinds, scores.tolist(), strict=True))
        retired = by_kind.pop(RETIRED)
        return retired >= max(by_kind.values(), default=-1.0) + MARGIN


def unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)
