"""The extractive answerer: the sentences that best answer the question, each cited.

It needs no language model, so the product answers offline out of the box.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from assistant.models import Answer, Citation

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.schema import NodeWithScore

# A sentence ends at . ! or ? (maybe closed by a quote or bracket) before a capital or a quote.
SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]”]))\s+(?=[A-Z\"“(])")
ABBREVIATIONS = ("Dr.", "Mr.", "Ms.", "Mrs.", "St.", "No.", "Inc.", "Co.", "Ltd.", "vs.", "approx.")
LIST_MARKER = re.compile(r"^\s*(?:#+|[-*•]|\d+[.)])\s+")
MIN_WORDS = 4
SENTENCE_WEIGHT = 0.7  # the rest of the score is the whole chunk's similarity
NEAR_BEST = 0.12  # sentences this far below the best one do not make the answer
NEAR_DUPLICATE = 0.92
# Names, figures and model ids in a question: capitalised words after the first, words with
# digits (FY2025, qwen-max-2026, R1) and hyphenated ids. Evidence must mention each of them.
KEY_TERM = re.compile(r"(?<![\w-])([A-Z][\w&.-]*[\w]|[\w.-]*\d[\w.-]*|[a-z]+(?:-[\w]+)+)(?![\w-])")
COMMON_CAPITALS = {"I", "A", "Q", "AI", "Our", "We", "The", "And", "Or", "Is", "Are", "Did", "Do"}


@dataclass(frozen=True)
class Sentence:
    text: str
    hit: int  # index of the retrieved chunk it comes from
    position: int  # order within that chunk


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage; lines (headings, list items) never run into each other."""
    sentences: list[str] = []
    for line in text.splitlines():
        line = LIST_MARKER.sub("", line).strip()
        if not line:
            continue
        merged: list[str] = []
        for piece in SENTENCE_END.split(line):
            if merged and merged[-1].endswith(ABBREVIATIONS):
                merged[-1] = f"{merged[-1]} {piece}"
            else:
                merged.append(piece.strip())
        sentences.extend(merged)
    return [s for s in sentences if s]


def split_yaml_blocks(text: str) -> list[str]:
    """A YAML passage as its list items and its comments (comments are often the prose)."""
    blocks: list[list[str]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            blocks.append([stripped.lstrip("#").strip()])
            blocks.append([])
        elif stripped.startswith("- ") or not blocks:
            blocks.append([stripped])
        else:
            blocks[-1].append(stripped)
    return [" ".join(block) for block in blocks if block]


def candidate_sentences(hits: list[NodeWithScore]) -> list[Sentence]:
    """Sentences worth citing; a table row is cited whole, YAML by item or comment."""
    candidates: list[Sentence] = []
    for index, hit in enumerate(hits):
        text = hit.node.get_content()
        if str(hit.node.metadata.get("locator", "")).startswith(("row", "line ")):
            pieces = [" ".join(text.split())]
        elif str(hit.node.metadata.get("source", "")).endswith((".yaml", ".yml")):
            pieces = split_yaml_blocks(text)
        else:
            pieces = split_sentences(text)
        for position, piece in enumerate(pieces):
            if len(piece.split()) >= MIN_WORDS:
                candidates.append(Sentence(piece, index, position))
    return candidates


def key_terms(question: str) -> list[str]:
    """Terms the evidence must mention; the first word (usually What/How) is not one."""
    words = question.split(maxsplit=1)
    rest = words[1] if len(words) > 1 else ""
    terms = []
    for term in KEY_TERM.findall(rest):
        term = term.strip(".-")
        if term in COMMON_CAPITALS or (term.isdigit() and len(term) < 4):
            continue
        terms.append(term)
    return list(dict.fromkeys(terms))


def missing_terms(
    question: str, hits: list[NodeWithScore], names_for: Callable[[str], list[str]]
) -> list[str]:
    """Key terms of the question that no retrieved passage mentions under any of their names."""
    haystack = " ".join(
        f"{hit.node.metadata.get('title', '')} {hit.node.get_content()}" for hit in hits
    ).lower()
    return [
        term
        for term in key_terms(question)
        if not any(
            re.search(rf"(?<![\w]){re.escape(n.lower())}(?![\w])", haystack)
            for n in names_for(term)
        )
    ]


def with_marker(sentence: str, n: int) -> str:
    """'Revenue grew 34%.' -> 'Revenue grew 34% [1].'"""
    stripped = sentence.rstrip()
    if stripped.endswith((".", "!", "?")):
        return f"{stripped[:-1]} [{n}]{stripped[-1]}"
    return f"{stripped} [{n}]."


class ExtractiveAnswerer:
    """Scores candidate sentences against the question with the embedding model."""

    def __init__(
        self,
        embed_model: BaseEmbedding,
        min_score: float,
        max_sentences: int,
        names_for: Callable[[str], list[str]] = lambda term: [term],
    ) -> None:
        self.embed_model = embed_model
        self.min_score = min_score
        self.max_sentences = max_sentences
        self.names_for = names_for

    def score(
        self, query_embedding: list[float], hits: list[NodeWithScore]
    ) -> list[tuple[float, Sentence, np.ndarray]]:
        """Candidates with their combined score, best first."""
        candidates = candidate_sentences(hits)
        if not candidates:
            return []
        vectors = np.asarray(
            self.embed_model.get_text_embedding_batch([c.text for c in candidates])
        )
        similarity = vectors @ np.asarray(query_embedding)
        scored = [
            (
                SENTENCE_WEIGHT * float(sim)
                + (1 - SENTENCE_WEIGHT) * float(hits[c.hit].score or 0.0),
                c,
                vec,
            )
            for sim, c, vec in zip(similarity, candidates, vectors, strict=True)
        ]
        return sorted(scored, key=lambda item: item[0], reverse=True)

    def answer(
        self,
        question: str,
        query_embedding: list[float],
        hits: list[NodeWithScore],
        no_evidence: Callable[[list[str]], str],
    ) -> Answer:
        """Cited sentences, or no_evidence(missing key terms) when the evidence is too weak."""
        missing = missing_terms(question, hits, self.names_for)
        scored = [] if missing else self.score(query_embedding, hits)
        if not scored or scored[0][0] < self.min_score:
            return Answer(answer=no_evidence(missing), status="insufficient_evidence")
        floor = max(self.min_score, scored[0][0] - NEAR_BEST)
        chosen: list[tuple[float, Sentence, np.ndarray]] = []
        for item in scored:
            if len(chosen) == self.max_sentences or item[0] < floor:
                break
            if all(float(item[2] @ other[2]) < NEAR_DUPLICATE for other in chosen):
                chosen.append(item)
        return self._cite(chosen, hits)

    @staticmethod
    def _cite(
        chosen: list[tuple[float, Sentence, np.ndarray]], hits: list[NodeWithScore]
    ) -> Answer:
        numbers: dict[int, int] = {}
        quotes: dict[int, list[Sentence]] = {}
        best: dict[int, float] = {}
        parts: list[str] = []
        for score, sentence, _ in chosen:
            n = numbers.setdefault(sentence.hit, len(numbers) + 1)
            quotes.setdefault(sentence.hit, []).append(sentence)
            best[sentence.hit] = max(best.get(sentence.hit, 0.0), score)
            parts.append(with_marker(sentence.text, n))
        citations = []
        for hit_index, n in numbers.items():
            meta = hits[hit_index].node.metadata
            in_order = sorted(quotes[hit_index], key=lambda s: s.position)
            citations.append(
                Citation(
                    n=n,
                    source=str(meta.get("source", "")),
                    title=str(meta.get("title", "")),
                    doc_type=str(meta.get("doc_type", "note")),
                    published=str(meta.get("published", "")),
                    locator=str(meta.get("locator", "")),
                    quote=" … ".join(s.text for s in in_order),
                    score=round(best[hit_index], 3),
                )
            )
        return Answer(answer=" ".join(parts), status="answered", citations=citations)
