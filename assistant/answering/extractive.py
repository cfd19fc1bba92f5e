"""The extractive answerer: the sentences that best answer the question, each cited.

It needs no language model, so the product answers offline out of the box.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from assistant.answering.intents import split_parts
from assistant.answering.sentences import Span, split_passage, split_yaml_blocks
from assistant.answering.slots import MONTH_NAMES
from assistant.core.locators import span_label
from assistant.core.models import Answer, Citation
from assistant.storage.sparse import tokens

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.schema import NodeWithScore

MIN_WORDS = 4
MIN_HEADLINE_WORDS = 8
LEXICAL_WEIGHT = 0.3  # what sharing the question's own terms (figures, ids, names) adds
SENTENCE_WEIGHT = 0.7  # the rest of the score is the whole chunk's similarity
NEAR_BEST = 0.12  # sentences this far below the best one do not make the answer
NEAR_DUPLICATE = 0.92
SHORTLIST = 24  # sentences embedded per answer, at most
PART_WEIGHT = 0.5  # a sentence for one part: its fit to that part and to the whole question
MAX_SENTENCES = 6  # an executive reads three to six
# Names, figures and model ids in a question: capitalised words after the first, words with
# digits (FY2025, qwen-max-2026, R1) and hyphenated ids. Evidence must mention each of them.
KEY_TERM = re.compile(r"(?<![\w-])([A-Z][\w&.-]*[\w]|[\w.-]*\d[\w.-]*|[a-z]+(?:-[\w]+)+)(?![\w-])")
COMMON_CAPITALS = {"I", "A", "Q", "AI", "Our", "We", "The", "And", "Or", "Is", "Are", "Did", "Do"}
# Units and amounts in a compound ("per-1K-token", "90-day", "6-12 month"): it describes, it
# does not name, so its words need not appear as written.
UNIT_WORDS = {
    "per", "day", "days", "week", "weeks", "month", "months", "year", "years", "hour", "hours",
    "minute", "minutes", "token", "tokens", "point", "points", "percent",
}  # fmt: skip


@dataclass(frozen=True)
class Sentence:
    span: Span
    hit: int  # index of the retrieved chunk it comes from
    position: int  # order within that chunk

    @property
    def text(self) -> str:
        return self.span.text


def candidate_sentences(hits: list[NodeWithScore]) -> list[Sentence]:
    """Sentences worth citing; a table row is cited whole, YAML by item or comment."""
    candidates: list[Sentence] = []
    for index, hit in enumerate(hits):
        text = hit.node.get_content()
        meta = hit.node.metadata
        if meta.get("unit") is None and str(meta.get("locator", "")).startswith(("row", "line ")):
            spans = [Span(said_row(text), 0, 0)]
        elif str(meta.get("source", "")).endswith((".yaml", ".yml")):
            spans = split_yaml_blocks(text)
        else:
            spans = split_passage(text, line_per_block=meta.get("unit") == "paragraph")
        for position, span in enumerate(spans):
            if worth_citing(span.text):
                candidates.append(Sentence(span, index, position))
    return candidates


def said_row(text: str) -> str:
    """A record row ('date: 2026-10-15; model: m-3; score: 91') said as a sentence from its
    fields: 'date 2026-10-15, model m-3, score 91.'"""
    fields = [f.split(":", 1) for f in " ".join(text.split()).split("; ")]
    if not all(len(f) == 2 for f in fields):
        return " ".join(text.split())
    return ", ".join(f"{k.strip().replace('_', ' ')} {v.strip()}" for k, v in fields) + "."


def worth_citing(text: str) -> bool:
    """A sentence, not a heading: a line without a full stop needs more words to say
    something ("Tooling milestones" does not; a headline with its facts does)."""
    count = len(text.split())
    return count >= MIN_WORDS and (
        text.rstrip().endswith((".", "!", "?", ":", ")")) or count >= MIN_HEADLINE_WORDS
    )


def shortlist(candidates: list[Sentence], question_terms: set[str]) -> list[Sentence]:
    """At most SHORTLIST sentences to embed (embedding them is most of an answer's time): those
    sharing the most terms with the question, then those of the best-ranked chunks."""
    if len(candidates) <= SHORTLIST:
        return candidates
    ranked = sorted(
        range(len(candidates)),
        key=lambda i: (-len(question_terms & set(tokens(candidates[i].text))), candidates[i].hit),
    )
    return [candidates[i] for i in sorted(ranked[:SHORTLIST])]


def shared_terms(asked: set[str], text: str) -> float:
    """The share of the question's terms the sentence uses, figures and ids counting double."""
    if not asked:
        return 0.0
    weight = {t: 2.0 if any(ch.isdigit() for ch in t) else 1.0 for t in asked}
    found = asked & set(tokens(text))
    return sum(weight[t] for t in found) / sum(weight.values())


def key_terms(question: str) -> list[str]:
    """Terms the evidence must mention; the first word (usually What/How) is not one."""
    words = question.split(maxsplit=1)
    rest = words[1] if len(words) > 1 else ""
    terms = []
    for term in KEY_TERM.findall(rest):
        term = term.strip(".-")
        if term in COMMON_CAPITALS or (term.isdigit() and len(term) < 4) or describes(term):
            continue
        terms.append(term)
    return list(dict.fromkeys(terms))


def describes(term: str) -> bool:
    """A compound that describes rather than names: a range ('6-12') or an amount with its
    unit ('per-1K-token')."""
    parts = [p for p in term.lower().split("-") if p]
    if len(parts) < 2:
        return False
    return all(p.isdigit() for p in parts) or bool(UNIT_WORDS & set(parts))


def word_compound(term: str) -> bool:
    """'so-called', 'self-hosted', 'qwen-max': lower-case words joined by hyphens."""
    parts = term.split("-")
    return len(parts) > 1 and term.islower() and all(p.isalpha() for p in parts)


def mentions_month(month: str, hits: list[NodeWithScore], haystack: str) -> bool:
    """A month is mentioned by its name, or by a date in it (2026-05-11), or by the date of a
    passage's document."""
    number = f"-{MONTH_NAMES.index(month) + 1:02d}"
    dated = [str(h.node.metadata.get("published", ""))[4:7] for h in hits]
    return (
        month.lower() in haystack
        or number in dated
        or bool(re.search(rf"\b20\d\d{number}\b", haystack))
    )


def missing_terms(
    question: str, hits: list[NodeWithScore], names_for: Callable[[str], list[str]]
) -> list[str]:
    """Key terms of the question that no retrieved passage mentions under any of their names.

    Hyphens count as spaces: "open-weights" is mentioned by "open weights".
    """
    haystack = " ".join(
        f"{hit.node.metadata.get('title', '')} {hit.node.get_content()}" for hit in hits
    )
    dated = haystack.lower()
    haystack = dated.replace("-", " ")
    return [
        term
        for term in key_terms(question)
        if not (term in MONTH_NAMES and mentions_month(term, hits, dated))
        and not (word_compound(term) and any(f" {p} " in f" {haystack} " for p in term.split("-")))
        and not any(
            re.search(rf"(?<![\w]){re.escape(n.lower().replace('-', ' '))}(?![\w])", haystack)
            for n in names_for(term)
        )
    ]


def quote_locator(meta: dict[str, object], quoted: list[Sentence]) -> str:
    """The lines or paragraphs the quoted sentences stand on, else the chunk's locator."""
    unit, first = meta.get("unit"), meta.get("first")
    if not isinstance(unit, str) or not isinstance(first, int):
        return str(meta.get("locator", ""))
    low = min(s.span.first for s in quoted)
    high = max(s.span.last for s in quoted)
    return span_label(unit, first + low, first + high)


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
        self, query_embedding: list[float], hits: list[NodeWithScore], question: str = ""
    ) -> list[tuple[float, Sentence, np.ndarray]]:
        """Candidates with their combined score, best first (a shortlist, given the question)."""
        candidates = candidate_sentences(hits)
        if question:
            candidates = shortlist(candidates, set(tokens(question)))
        if not candidates:
            return []
        vectors = np.asarray(
            self.embed_model.get_text_embedding_batch([c.text for c in candidates])
        )
        similarity = vectors @ np.asarray(query_embedding)
        asked = set(tokens(question))
        scored = [
            (
                SENTENCE_WEIGHT * float(sim)
                + (1 - SENTENCE_WEIGHT) * float(hits[c.hit].score or 0.0)
                + LEXICAL_WEIGHT * shared_terms(asked, c.text),
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
        scored = [] if missing else self.score(query_embedding, hits, question)
        if not scored or scored[0][0] < self.min_score:
            return Answer(answer=no_evidence(missing), status="insufficient_evidence")
        parts = split_parts(question)
        chosen = self.per_part(parts, scored) if len(parts) > 1 else []
        limit = min(MAX_SENTENCES, max(self.max_sentences, len(chosen) + 1))
        floor = max(self.min_score, scored[0][0] - NEAR_BEST)
        for item in scored:
            if len(chosen) >= limit or item[0] < floor:
                break
            if all(float(item[2] @ other[2]) < NEAR_DUPLICATE for other in chosen):
                chosen.append(item)
        return self._cite(chosen, hits)

    def per_part(
        self, parts: list[str], scored: list[tuple[float, Sentence, np.ndarray]]
    ) -> list[tuple[float, Sentence, np.ndarray]]:
        """The sentence that best answers each part of a compound question, when one is
        good enough: "who signed, and how large is it?" gets the buyer and the size."""
        chosen: list[tuple[float, Sentence, np.ndarray]] = []
        for part in parts:
            wanted = np.asarray(self.embed_model.get_query_embedding(part))
            left = [item for item in scored if all(item[1] is not c[1] for c in chosen)]
            if not left:
                break
            fit = [
                PART_WEIGHT * float(item[2] @ wanted) + (1 - PART_WEIGHT) * item[0] for item in left
            ]
            best = int(np.argmax(fit))
            if fit[best] >= self.min_score:
                chosen.append(left[best])
        return chosen

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
                    locator=quote_locator(meta, in_order),
                    quote=" … ".join(s.text for s in in_order),
                    score=round(best[hit_index], 3),
                )
            )
        return Answer(answer=" ".join(parts), status="answered", citations=citations)


def with_support(main: Answer, support: Answer, limit: int = 2) -> Answer:
    """An answer from the records, followed by up to `limit` cited sentences from retrieval."""
    if support.status != "answered":
        return main
    citations = list(main.citations)
    numbers = {(c.source, c.locator): c.n for c in citations}
    by_n = {c.n: c for c in support.citations}

    def renumber(match: re.Match[str]) -> str:
        cited = by_n[int(match.group(1))]
        key = (cited.source, cited.locator)
        if key not in numbers:
            numbers[key] = len(citations) + 1
            citations.append(cited.model_copy(update={"n": numbers[key]}))
        return f"[{numbers[key]}]"

    used = {c.source for c in main.citations}
    extra: list[str] = []
    for sentence in re.split(r"(?<=\][.!?])\s+", support.answer):
        cited = {by_n[int(n)].source for n in re.findall(r"\[(\d+)\]", sentence)}
        if len(extra) < limit and not cited & used:  # the records already say what these files say
            extra.append(re.sub(r"\[(\d+)\]", renumber, sentence))
    return main.model_copy(
        update={"answer": " ".join([main.answer, *extra]), "citations": citations}
    )
