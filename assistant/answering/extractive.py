"""The extractive answerer: the sentences that best answer the question, each cited.

It needs no language model, so the product answers offline out of the box.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from assistant.answering.intents import split_parts
from assistant.answering.sentences import Span, split_passage, split_yaml_blocks
from assistant.answering.terms import missing_terms, states_new_facts, wanted_value
from assistant.core.locators import span_label
from assistant.core.models import Answer, Citation
from assistant.storage.sparse import STOPWORDS, tokens

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
PART_WEIGHT = 0.7  # a sentence for one part: its fit to that part and to the whole question
MAX_SENTENCES = 6  # an executive reads three to six
FACT_WEIGHT = 0.1  # a part's answer states a name or figure the question does not, or the
# kind of value the part asks for (a date for "by when?")
SAME_SOURCE_WEIGHT = 0.1  # later parts are most often answered where the first part was
NEXT_WEIGHT = 0.1  # a part that points back ("does that assume") is often the next sentence
OFF_TOPIC = 1.0  # a sentence about another company does not answer a part naming one
PART_SHORTLIST = 8  # sentences added to the shortlist for each part of a compound question
NUMBER = re.compile(r"\[(\d+)\]")  # a citation marker
# A sentence saying a fact is not known: "pricing was not shared", "gave no date".
NOT_GIVEN = re.compile(
    r"\b(?:was|were|is|are|has|have|had)\s+not\s+(?:yet\s+)?(?:been\s+)?(?:shared|disclosed|"
    r"announced|published|given|confirmed|provided|stated|said|set)\b|"
    r"\b(?:did|does|do|would)\s+not\s+(?:say|give|disclose|share|comment|confirm|publish)\b|"
    r"\bdeclined to (?:say|comment|give|disclose)\b|\bgave no\b",
    re.I,
)


@dataclass(frozen=True)
class Sentence:
    span: Span
    hit: int  # index of the retrieved chunk it comes from
    position: int  # order within that chunk
    source: str = ""  # the file it comes from

    @property
    def text(self) -> str:
        return self.span.text


Scored = tuple[float, Sentence, np.ndarray]  # a sentence's score, the sentence, its embedding


@dataclass(frozen=True)
class Part:
    """One part of a compound question, as sentences are matched against it, with the
    passages its own search found."""

    text: str
    embedding: list[float]
    found: frozenset[str] = frozenset()  # node ids
    asked: str = ""  # the part as the user wrote it, for saying it is not answered
    vendors: tuple[str, ...] = ()  # the companies it names
    names: tuple[str, ...] = ()  # and every name they go by
    points_back: bool = False  # "what does that assume": it follows on from the part before

    def is_about(self, sentence: Sentence, hit: NodeWithScore) -> bool:
        """A sentence answers a part that names a company when its document is mainly about
        that company or the sentence names it: another vendor's terms do not answer."""
        if not self.vendors:
            return True
        tagged = hit.node.metadata.get("vendors") or []
        if tagged and tagged[0] in self.vendors:
            return True
        text = sentence.text.lower()
        return any(re.search(rf"(?<!\w){re.escape(n.lower())}(?!\w)", text) for n in self.names)

    def __post_init__(self) -> None:
        if not self.asked:
            object.__setattr__(self, "asked", self.text)


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
            header = meta.get("table_header")
            spans = split_passage(
                text, meta.get("unit") == "paragraph", header if isinstance(header, str) else None
            )
        for position, span in enumerate(spans):
            if worth_citing(span.text):
                candidates.append(Sentence(span, index, position, str(meta.get("source", ""))))
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
    something ("Tooling milestones" does not; a headline with its facts does), and must not
    stop mid-phrase (a title broken over lines: "... but keeps the")."""
    words = text.split()
    if len(words) < MIN_WORDS:
        return False
    if text.rstrip().endswith((".", "!", "?", ":", ")")):
        return True
    return len(words) >= MIN_HEADLINE_WORDS and words[-1].lower() not in STOPWORDS


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
                -len(terms & set(tokens(candidates[i].text))),
                candidates[i].hit,
            ),
        )
        return ranked[:count]

    keep = set(best(question_terms, None, SHORTLIST))
    for part in parts:
        keep.update(best(set(tokens(part.text)), part, PART_SHORTLIST))
    return [candidates[i] for i in sorted(keep)]


def adds_facts(item: Scored, chosen: list[Scored], question: str) -> bool:
    """Whether a sentence names or quantifies something neither the question nor the
    sentences already chosen do: a headline restating them adds nothing."""
    return states_new_facts(item[1].text, " ".join([question, *(c[1].text for c in chosen)]))


def following(chosen: list[Scored], scored: list[Scored], hits: list[NodeWithScore]) -> set[str]:
    """The sentences right after the chosen ones: next in the same passage, or first in the
    document's next chunk when a chosen sentence ends its passage."""
    at = {(item[1].hit, item[1].position): item[1].text for item in scored}
    chunk = {
        (str(h.node.metadata.get("source")), h.node.metadata.get("chunk")): i
        for i, h in enumerate(hits)
    }
    said = {c[1].text for c in chosen}
    out: set[str] = set()
    for (hit, position), text in at.items():
        if text not in said:
            continue
        if (hit, position + 1) in at:
            out.add(at[(hit, position + 1)])
            continue
        meta = hits[hit].node.metadata
        index = meta.get("chunk")
        after = chunk.get((str(meta.get("source")), index + 1)) if isinstance(index, int) else None
        firsts = sorted(p for h, p in at if h == after)
        if after is not None and firsts:
            out.add(at[(after, firsts[0])])
    return out


def near_duplicate(item: Scored, chosen: list[Scored]) -> bool:
    """The same sentence again (overlapping chunks repeat it) or one saying nearly the same."""
    return any(
        item[1] is other[1] or float(item[2] @ other[2]) >= NEAR_DUPLICATE for other in chosen
    )


def shared_terms(asked: set[str], text: str) -> float:
    """The share of the question's terms the sentence uses, figures and ids counting double."""
    if not asked:
        return 0.0
    weight = {t: 2.0 if any(ch.isdigit() for ch in t) else 1.0 for t in asked}
    found = asked & set(tokens(text))
    return sum(weight[t] for t in found) / sum(weight.values())


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
    ) -> list[Scored]:
        """Candidates with their combined score, best first (a shortlist, given the question)."""
        candidates = candidate_sentences(hits)
        if question:
            candidates = shortlist(candidates, set(tokens(question)), parts, hits)
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
        parts: Sequence[Part] = (),
    ) -> Answer:
        """Cited sentences, or no_evidence(missing key terms) when the evidence is too weak;
        a part of the question that nothing answers is named as such."""
        missing = missing_terms(question, hits, self.names_for)
        parts = parts or self.parts_of(question)
        scored = [] if missing else self.score(query_embedding, hits, question, parts)
        if not scored or scored[0][0] < self.min_score:
            return Answer(answer=no_evidence(missing), status="insufficient_evidence")
        if len(parts) < 2 and NOT_GIVEN.search(scored[0][1].text) and self.message:
            # The best evidence says the answer is not known ("pricing was not shared").
            said = self._cite(scored[:1], hits)
            reply = f"{self.message('stated_unknown')} {said.answer}"
            return said.model_copy(update={"answer": reply, "status": "insufficient_evidence"})
        chosen, unanswered = (
            self.per_part(question, parts, scored, hits) if len(parts) > 1 else ([], [])
        )
        limit = min(MAX_SENTENCES, max(self.max_sentences, len(chosen) + 1))
        floor = max(self.min_score, scored[0][0] - NEAR_BEST)
        for item in scored:
            if len(chosen) >= limit or item[0] < floor:
                break
            if not near_duplicate(item, chosen) and (
                not parts or adds_facts(item, chosen, question)
            ):
                chosen.append(item)
        answer = self._cite(chosen, hits)
        if self.message and unanswered:
            gaps = " ".join(self.message("part_not_answered", part=p.asked) for p in unanswered)
            answer = answer.model_copy(update={"answer": f"{answer.answer} {gaps}"})
        return answer

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

    def per_part(
        self,
        question: str,
        parts: Sequence[Part],
        scored: list[Scored],
        hits: list[NodeWithScore],
    ) -> tuple[list[Scored], list[Part]]:
        """The sentence that best answers each part of a compound question, when one is
        good enough ("who signed, and how large is it?" gets the buyer and the size), and
        the parts that none answers. The best-fitting pair is taken first, so a sentence
        goes to the part it answers best."""
        fits = np.asarray([self.part_fit(question, part, scored, hits) for part in parts])
        taken: dict[int, Scored] = {}
        while len(taken) < len(parts):
            chosen = list(taken.values())
            sources = {c[1].source for c in chosen}
            after = following(chosen, scored, hits)
            best, best_part, best_item = -1.0, -1, -1
            for p in (i for i in range(len(parts)) if i not in taken):
                follows = parts[p].points_back
                for i, item in enumerate(scored):
                    fit = (
                        fits[p, i]
                        + SAME_SOURCE_WEIGHT * (item[1].source in sources)
                        + NEXT_WEIGHT * (follows and item[1].text in after)
                    )
                    if fit > best and not near_duplicate(item, chosen):
                        best, best_part, best_item = fit, p, i
            if best < self.min_score:
                break
            taken[best_part] = scored[best_item]
        unanswered = [part for p, part in enumerate(parts) if p not in taken]
        return [taken[p] for p in sorted(taken)], unanswered

    @staticmethod
    def part_fit(
        question: str, part: Part, scored: list[Scored], hits: list[NodeWithScore]
    ) -> list[float]:
        """How well each sentence answers one part: scored as against a question of its own,
        blended with its fit to the whole question; stating a name or figure counts."""
        wanted = np.asarray(part.embedding)
        asked = set(tokens(part.text))
        value = wanted_value(part.asked)
        return [
            PART_WEIGHT
            * (
                SENTENCE_WEIGHT * float(vec @ wanted)
                + (1 - SENTENCE_WEIGHT) * float(hits[sentence.hit].score or 0.0)
                + LEXICAL_WEIGHT * shared_terms(asked, sentence.text)
            )
            + (1 - PART_WEIGHT) * score
            + FACT_WEIGHT * states_new_facts(sentence.text, question)
            + FACT_WEIGHT * bool(value and value.search(sentence.text))
            - OFF_TOPIC * (not part.is_about(sentence, hits[sentence.hit]))
            for score, sentence, vec in scored
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

    said = {(c.source, c.locator) for c in main.citations}
    extra: list[str] = []
    for sentence in re.split(r"(?<=\][.!?])\s+", support.answer):
        cited = {(by_n[int(n)].source, by_n[int(n)].locator) for n in NUMBER.findall(sentence)}
        if len(extra) < limit and not cited & said:  # the answer already says what these say
            extra.append(NUMBER.sub(renumber, sentence))
    return main.model_copy(
        update={"answer": " ".join([main.answer, *extra]), "citations": citations}
    )
