"""The extractive answerer: the sentences that best answer the question, each cited.

It needs no language model, so the product answers offline out of the box.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from assistant.answering.candidates import (
    ASK_SHARE,
    KIND_WEIGHT,
    LEXICAL_WEIGHT,
    SENTENCE_WEIGHT,
    Scored,
    Sentence,
    candidate_sentences,
    near_duplicate,
    rarity,
    shared_terms,
    term_set,
)
from assistant.answering.intents import split_parts
from assistant.answering.parts import Part, adds_facts, per_part
from assistant.answering.terms import (
    FIGURE,
    full_names,
    missing_terms,
    states_value,
    wanted_value,
    without_names,
)
from assistant.core.locators import span_label
from assistant.core.models import Answer, Citation
from assistant.storage.sparse import tokens

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.schema import NodeWithScore

NEAR_BEST = 0.12  # sentences this far below the best one do not make the answer
SHORTLIST = 24  # sentences embedded per answer, at most
COVER_WEIGHT = 0.5  # a sentence adding question terms no chosen sentence covers
MAX_SENTENCES = 6  # an executive reads three to six
VALUE_WEIGHT = 0.1  # a sentence stating the value asked for ("when?": a date), among equals
FOLLOWING = 4  # rows or items said after a sentence that announces them ("credits are:")
PART_SHORTLIST = 8  # sentences added to the shortlist for each part of a compound question
NUMBER = re.compile(r"\[(\d+)\]")  # a citation marker
# A sentence opening by pointing back: "Both are published under the MIT licence."
POINTS_BACK = re.compile(r"^(?:It|Its|They|Their|Both|This|These|That|Those|He|She|Such)\b")
# A sentence saying a fact is not known: "pricing was not shared", "gave no date".
NOT_GIVEN = re.compile(
    r"\b(?:was|were|is|are|has|have|had)\s+not\s+(?:yet\s+)?(?:been\s+)?(?:shared|disclosed|"
    r"announced|published|given|confirmed|provided|stated|said|set)\b|"
    r"\b(?:did|does|do|would)\s+not\s+(?:say|give|disclose|share|comment|confirm|publish)\b|"
    r"\bdeclined to (?:say|comment|give|disclose)\b|\bgave no\b",
    re.I,
)


def next_best(left: list[Scored], chosen: list[Scored], question: str) -> Scored | None:
    """The sentence to add next: the best scored, counting the question's terms it covers that
    the sentences chosen so far do not ("revenue and operating margin" gets both rows)."""
    asked = term_set(question)
    uncovered = asked.difference(*(term_set(c[1].text) for c in chosen))
    fresh = [item for item in left if not near_duplicate(item, chosen)]
    if not fresh or not asked:
        return fresh[0] if fresh else None
    return max(
        fresh,
        key=lambda item: (
            item[0] + COVER_WEIGHT * len(uncovered & term_set(item[1].text)) / len(asked)
        ),
    )


def of_kind_first(scored: list[Scored], kind: str | None) -> list[Scored]:
    """The sentences ranked again with those of the kind of document asked of first among
    equals (a question about our contract's credits: the contract before the news)."""
    if kind is None:
        return scored
    moved = [(score + KIND_WEIGHT * (s.kind == kind), s, vec) for score, s, vec in scored]
    return sorted(moved, key=lambda item: item[0], reverse=True)


def with_value_first(question: str, scored: list[Scored]) -> list[Scored]:
    """The sentences ranked again with those stating the date a question asks for ("when
    does it renew?") ahead of their equals; none is ruled out for lacking it. (Any digit
    counts as a figure, so "how large?" is left to the meaning.)"""
    value = wanted_value(question)
    if value is None or value is FIGURE:
        return scored
    moved = [
        (score + VALUE_WEIGHT * states_value(value, question, s.text), s, vec)
        for score, s, vec in scored
    ]
    return sorted(moved, key=lambda item: item[0], reverse=True)


def with_antecedents(chosen: list[Scored], candidates: list[Sentence]) -> list[Scored]:
    """The chosen sentences, one that opens by pointing back ("Both are published under the
    MIT licence") preceded by the sentence before it (among all `candidates`), which says
    what it points to."""
    before = {(s.hit, s.position + 1): s for s in candidates}
    said = {item[1].text for item in chosen}
    out: list[Scored] = []
    for score, sentence, vec in chosen:
        prior = before.get((sentence.hit, sentence.position))
        if prior is not None and prior.text not in said and POINTS_BACK.match(sentence.text):
            out.append((score, prior, vec))
            said.add(prior.text)
        out.append((score, sentence, vec))
    return out


def with_what_follows(chosen: list[Scored], candidates: list[Sentence]) -> list[Scored]:
    """The chosen sentences, one that ends by announcing what follows ("... may claim a service
    credit in that month:") followed by the rows or items after it in its passage."""
    at = {(s.hit, s.position): s for s in candidates}
    said: set[str] = set()
    out: list[Scored] = []
    for score, sentence, vec in chosen:
        if sentence.text in said:  # said already, in its place after what announced it
            continue
        out.append((score, sentence, vec))
        said.add(sentence.text)
        if not sentence.text.rstrip().endswith(":"):
            continue
        for step in range(1, FOLLOWING + 1):
            following = at.get((sentence.hit, sentence.position + step))
            if following is None or following.text.rstrip().endswith(":"):
                break
            if following.text not in said:
                out.append((score, following, vec))
                said.add(following.text)
    return out


def stated_unknown(question: str, scored: list[Scored]) -> Scored | None:
    """The best sentence about what the question names ("Gemini 4 Ultra"), when it says the
    asked fact is not known; None otherwise."""
    names = [" ".join(n.lower().replace("-", " ").split()) for n in full_names(question)]
    about = [
        item
        for item in scored
        if all(n in " ".join(item[1].text.lower().replace("-", " ").split()) for n in names)
    ]
    best = about[0] if about else None
    return best if best is not None and NOT_GIVEN.search(best[1].text) else None


def shortlist(
    candidates: list[Sentence],
    question_terms: set[str],
    parts: Sequence[Part] = (),
    hits: Sequence[NodeWithScore] = (),
) -> list[Sentence]:
    """At most SHORTLIST sentences to embed (embedding them is most of an answer's time): those
    sharing the most terms with the question, then those of the best-ranked chunks; and for
    each part of a compound question, PART_SHORTLIST more from the passages its search found."""
    if len(candidates) <= SHORTLIST:
        return candidates

    def best(terms: set[str], part: Part | None, count: int) -> list[int]:
        wants = wanted_value(part.asked) if part else None
        ranked = sorted(
            range(len(candidates)),
            key=lambda i: (
                part is not None and hits[candidates[i].hit].node.node_id not in part.found,
                wants is not None and not wants.search(candidates[i].text),
                -len(terms & term_set(candidates[i].text)),
                candidates[i].hit,
            ),
        )
        return ranked[:count]

    keep = set(best(question_terms, None, SHORTLIST))
    for part in parts:
        keep.update(best(set(tokens(part.text)), part, PART_SHORTLIST))
    return [candidates[i] for i in sorted(keep)]


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
    stripped = sentence.rstrip().removesuffix(":")  # what it announces follows as sentences
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
        message: Callable[..., str] | None = None,
    ) -> None:
        self.embed_model = embed_model
        self.min_score = min_score
        self.max_sentences = max_sentences
        self.names_for = names_for
        self.message = message  # the reply templates, for what the evidence does not say

    def score(
        self,
        query_embedding: list[float],
        hits: list[NodeWithScore],
        question: str = "",
        parts: Sequence[Part] = (),
        candidates: list[Sentence] | None = None,
    ) -> list[Scored]:
        """Candidates (default: the passages' sentences) with their combined score, best
        first (a shortlist, given the question)."""
        asked = set(tokens(question))
        candidates = candidate_sentences(hits) if candidates is None else candidates
        if question:
            candidates = shortlist(candidates, asked, parts, hits)
        if not candidates:
            return []
        vectors = np.asarray(
            self.embed_model.get_text_embedding_batch([c.text for c in candidates])
        )
        similarity = vectors @ np.asarray(query_embedding)
        rare = rarity(asked, [c.text for c in candidates])
        scored = [
            (
                SENTENCE_WEIGHT * float(sim)
                + (1 - SENTENCE_WEIGHT) * float(hits[c.hit].score or 0.0)
                + LEXICAL_WEIGHT * shared_terms(asked, c.text, rare),
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
        parts: Sequence[Part] = (),
        exact: bool = True,
        kind: str | None = None,
    ) -> Answer:
        """Cited sentences, or no_evidence(missing key terms) when the evidence is too weak;
        a part of the question that nothing answers is named as such. Not `exact`, the key
        terms need not all be in the passages (a search the product phrases itself). A
        question asked of one `kind` of document is answered from it first."""
        missing = missing_terms(question, hits, self.names_for) if exact else []
        parts = parts or self.parts_of(question)
        candidates = [] if missing else candidate_sentences(hits)
        scored = [] if missing else self.score(query_embedding, hits, question, parts, candidates)
        if not scored or scored[0][0] < self.min_score:
            return Answer(answer=no_evidence(missing), status="insufficient_evidence")
        scored = of_kind_first(self.by_ask(question, query_embedding, scored), kind)
        if len(parts) < 2:
            scored = with_value_first(question, scored)
        unknown = stated_unknown(question, scored) if len(parts) < 2 else None
        if unknown is not None and self.message:
            # The best evidence says the answer is not known ("pricing was not shared").
            said = self._cite([unknown], hits)
            reply = f"{self.message('stated_unknown')} {said.answer}"
            return said.model_copy(update={"answer": reply, "status": "insufficient_evidence"})
        chosen, unanswered = (
            per_part(question, parts, scored, hits, self.min_score, kind)
            if len(parts) > 1
            else ([], [])
        )
        limit = min(MAX_SENTENCES, max(self.max_sentences, len(chosen) + 1))
        floor = scored[0][0] - NEAR_BEST
        left = [
            item
            for item in scored
            if item[0] >= floor and (not parts or adds_facts(item, chosen, question))
        ]
        while len(chosen) < limit:
            item = next_best(left, chosen, question)
            if item is None:
                break
            chosen.append(item)
        answer = self._cite(
            with_antecedents(with_what_follows(chosen, candidates), candidates), hits
        )
        if self.message and unanswered:
            gaps = " ".join(self.message("part_not_answered", part=p.asked) for p in unanswered)
            answer = answer.model_copy(update={"answer": f"{answer.answer} {gaps}"})
        return answer

    def by_ask(
        self, question: str, query_embedding: list[float], scored: list[Scored]
    ) -> list[Scored]:
        """The sentences ranked again, their similarity taken half to the question and half to
        what it asks apart from the names it gives: every passage found shares the names, the
        ask tells them apart. (Whether the evidence is strong enough is judged before.)"""
        ask = without_names(question)
        if not ask or ask == question:
            return scored
        wanted = np.asarray(self.embed_model.get_query_embedding(ask))
        asked = np.asarray(query_embedding)
        moved = [
            (score + SENTENCE_WEIGHT * ASK_SHARE * float(vec @ wanted - vec @ asked), s, vec)
            for score, s, vec in scored
        ]
        return sorted(moved, key=lambda item: item[0], reverse=True)

    def parts_of(self, question: str) -> list[Part]:
        """The parts of a compound question, each embedded for matching sentences."""
        asked = split_parts(question)
        if len(asked) < 2:
            return []
        return [
            Part(
                ask.matched,
                self.embed_model.get_query_embedding(ask.matched),
                asked=ask.asked,
                points_back=ask.points_back,
            )
            for ask in asked
        ]

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
