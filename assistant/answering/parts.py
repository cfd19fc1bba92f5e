"""Compound questions answered part by part: which sentence answers which part ("who signed,
and how large is it?" gets the buyer and the size), and the parts none answers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product
from typing import TYPE_CHECKING

import numpy as np

from assistant.answering.candidates import (
    ASK_SHARE,
    KIND_WEIGHT,
    LEXICAL_WEIGHT,
    SENTENCE_WEIGHT,
    Scored,
    Sentence,
    near_duplicate,
    rarity,
    shared_terms,
    term_set,
)
from assistant.answering.terms import (
    asked_months,
    counted,
    dated_in,
    states_new_facts,
    states_value,
    wanted_value,
)
from assistant.storage.sparse import tokens

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore

PART_WEIGHT = 0.7  # a sentence for one part: its fit to that part and to the whole question
FACT_WEIGHT = 0.1  # a part's answer states a name or figure the question does not
SAME_SOURCE_WEIGHT = 0.1  # later parts are most often answered where the first part was
NEXT_WEIGHT = 0.1  # a part that points back ("does that assume") is often the next sentence
OPTIONS = 8  # sentences weighed for each part: those that fit it best
COMBINATIONS = 4096  # ways of answering the parts weighed together, at most
OFF_TOPIC = 1.0  # a sentence about another company does not answer a part naming one, nor
# one without the kind of value a part asks for (a date for "by when?")


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
    unnamed: list[float] | None = None  # the part without its names, when it has any

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


def per_part(
    question: str,
    parts: Sequence[Part],
    scored: list[Scored],
    hits: list[NodeWithScore],
    min_score: float,
    kind: str | None = None,
) -> tuple[list[Scored], list[Part]]:
    """The sentence that best answers each part of a compound question, when one is
    good enough ("who signed, and how large is it?" gets the buyer and the size), and
    the parts that none answers. The sentences are chosen together, so a sentence goes
    to the part it leaves the others best answered by."""
    fits = np.asarray([part_fit(question, part, scored, hits, kind) for part in parts])
    valued = [wanted_value(part.asked) is not None for part in parts]
    backs = any(part.points_back for part in parts)
    after = next_sentences(scored, hits) if backs else [set() for _ in scored]
    width = min(OPTIONS, max(2, int(COMBINATIONS ** (1 / len(parts))) - 1))
    options = [
        [int(i) for i in np.argsort(-row)[:width] if row[i] >= min_score] + [None] for row in fits
    ]
    best: tuple[int | None, ...] = tuple(None for _ in parts)
    best_total = 0.0
    for choice in product(*options):
        total = joint_fit(choice, fits - min_score, parts, scored, after, valued)
        if total > best_total:
            best, best_total = choice, total
    unanswered = [part for part, i in zip(parts, best, strict=True) if i is None]
    return [scored[i] for i in dict.fromkeys(best) if i is not None], unanswered


def joint_fit(
    choice: tuple[int | None, ...],
    margins: np.ndarray,
    parts: Sequence[Part],
    scored: list[Scored],
    after: list[set[str]],
    valued: Sequence[bool] = (),
) -> float:
    """How well one sentence per part answers them together: their `margins` (fit above the
    evidence threshold: a part left unanswered counts nothing), more when they come
    from one source and when a part pointing back gets the sentence after another. Two
    sentences saying the same, or a part pointing back ("when does she start?")
    answered from another document than the rest do not count (minus one). One sentence may
    answer a later part that asks for a value it states ("down when, and for how long?":
    "down for 95 minutes on 3 November"), but not one that asks "why?" as well as "what?"."""
    chosen = [(p, i) for p, i in enumerate(choice) if i is not None]
    firsts = {i: p for p, i in reversed(chosen)}
    if any(firsts[i] != p and not (valued and valued[p]) for p, i in chosen):
        return -1.0
    items = [scored[i] for i in dict.fromkeys(i for _, i in chosen)]
    if any(near_duplicate(item, items[:n]) for n, item in enumerate(items)):
        return -1.0
    sources = [item[1].source for item in items]
    per_part = [scored[i][1].source for _, i in chosen]
    if any(parts[p].points_back and elsewhere(n, per_part) for n, (p, _) in enumerate(chosen)):
        return -1.0
    follows = sum(
        parts[p].points_back and any(scored[i][1].text in after[j] for _, j in chosen if j != i)
        for p, i in chosen
    )
    return (
        sum(float(margins[p, i]) for p, i in chosen)
        + SAME_SOURCE_WEIGHT * (len(items) - len(set(sources)))
        + NEXT_WEIGHT * follows
    )


def elsewhere(n: int, sources: list[str]) -> bool:
    """Whether the n-th chosen sentence comes from none of the other chosen sentences' sources
    (and there are others): what a part points back to was answered somewhere else."""
    others = sources[:n] + sources[n + 1 :]
    return bool(others) and sources[n] not in others


def part_fit(
    question: str,
    part: Part,
    scored: list[Scored],
    hits: list[NodeWithScore],
    kind: str | None = None,
) -> list[float]:
    """How well each sentence answers one part: scored as against a question of its own (half
    of it without its names), blended with its fit to the whole question; stating a name or
    figure counts, so does the document kind asked of; a sentence without the value asked for
    ("by when?"), or a passage about another company or not about what is counted, does not
    answer."""
    wanted = np.asarray(part.embedding)
    ask = np.asarray(part.unnamed) if part.unnamed is not None else wanted
    asked = set(tokens(part.text))
    rare = rarity(asked, [sentence.text for _, sentence, _ in scored])
    value = wanted_value(part.asked)
    count = counted(part.asked)
    months = asked_months(part.asked)
    return [
        PART_WEIGHT
        * (
            SENTENCE_WEIGHT * ((1 - ASK_SHARE) * float(vec @ wanted) + ASK_SHARE * float(vec @ ask))
            + (1 - SENTENCE_WEIGHT) * float(hits[sentence.hit].score or 0.0)
            + LEXICAL_WEIGHT * shared_terms(asked, sentence.text, rare)
            + KIND_WEIGHT * (kind is not None and sentence.kind == kind)
        )
        + (1 - PART_WEIGHT) * score
        + FACT_WEIGHT * states_new_facts(sentence.text, question)
        - OFF_TOPIC * (not states_value(value, part.text, sentence.text))
        + FACT_WEIGHT * bool(months and of_months(months, sentence, hits[sentence.hit]))
        - OFF_TOPIC * (not part.is_about(sentence, hits[sentence.hit]))
        - OFF_TOPIC * (count is not None and not mentions(hits[sentence.hit], count))
        for score, sentence, vec in scored
    ]


def of_months(months: set[str], sentence: Sentence, hit: NodeWithScore) -> bool:
    """Whether a sentence is of the months a part names ("what changed in June")."""
    return dated_in(months, sentence.text, str(hit.node.metadata.get("published", "")))


def mentions(hit: NodeWithScore, term: str) -> bool:
    """Whether a passage uses a term: "how many seats" is answered where seats are counted."""
    return term in term_set(hit.node.get_content())


def adds_facts(item: Scored, chosen: list[Scored], question: str) -> bool:
    """Whether a sentence names or quantifies something neither the question nor the
    sentences already chosen do: a headline restating them adds nothing."""
    return states_new_facts(item[1].text, " ".join([question, *(c[1].text for c in chosen)]))


def next_sentences(scored: list[Scored], hits: list[NodeWithScore]) -> list[set[str]]:
    """For each scored sentence, the sentences right after it (after any copy of it that an
    overlapping chunk holds): next in the same passage, or first in the document's next
    chunk when it ends its passage."""
    at = {(item[1].hit, item[1].position): item[1].text for item in scored}
    chunk = {
        (str(h.node.metadata.get("source")), h.node.metadata.get("chunk")): i
        for i, h in enumerate(hits)
    }
    firsts: dict[int, int] = {}
    for hit, position in sorted(at):
        firsts.setdefault(hit, position)
    after: dict[str, set[str]] = {}
    for (hit, position), text in at.items():
        nexts = after.setdefault(text, set())
        if (hit, position + 1) in at:
            nexts.add(at[(hit, position + 1)])
            continue
        meta = hits[hit].node.metadata
        index = meta.get("chunk")
        following = (
            chunk.get((str(meta.get("source")), index + 1)) if isinstance(index, int) else None
        )
        if following is not None and following in firsts:
            nexts.add(at[(following, firsts[following])])
    return [after[item[1].text] for item in scored]
