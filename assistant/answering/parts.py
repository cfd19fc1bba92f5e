"""Compound questions answered part by part: which sentence answers which part ("who signed,
and how large is it?" gets the buyer and the size), and the parts none answers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from assistant.answering.candidates import (
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
    wanted_value,
)
from assistant.storage.sparse import tokens

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore

PART_WEIGHT = 0.7  # a sentence for one part: its fit to that part and to the whole question
FACT_WEIGHT = 0.1  # a part's answer states a name or figure the question does not, or the
# kind of value the part asks for (a date for "by when?")
SAME_SOURCE_WEIGHT = 0.1  # later parts are most often answered where the first part was
NEXT_WEIGHT = 0.1  # a part that points back ("does that assume") is often the next sentence
OFF_TOPIC = 1.0  # a sentence about another company does not answer a part naming one


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


def per_part(
    question: str,
    parts: Sequence[Part],
    scored: list[Scored],
    hits: list[NodeWithScore],
    min_score: float,
) -> tuple[list[Scored], list[Part]]:
    """The sentence that best answers each part of a compound question, when one is
    good enough ("who signed, and how large is it?" gets the buyer and the size), and
    the parts that none answers. The best-fitting pair is taken first, so a sentence
    goes to the part it answers best."""
    fits = np.asarray([part_fit(question, part, scored, hits) for part in parts])
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
        if best < min_score:
            break
        taken[best_part] = scored[best_item]
    unanswered = [part for p, part in enumerate(parts) if p not in taken]
    return [taken[p] for p in sorted(taken)], unanswered


def part_fit(
    question: str, part: Part, scored: list[Scored], hits: list[NodeWithScore]
) -> list[float]:
    """How well each sentence answers one part: scored as against a question of its own,
    blended with its fit to the whole question; stating a name or figure counts, and a
    passage about another company or not about what is counted does not answer."""
    wanted = np.asarray(part.embedding)
    asked = set(tokens(part.text))
    rare = rarity(asked, [sentence.text for _, sentence, _ in scored])
    value = wanted_value(part.asked)
    count = counted(part.asked)
    months = asked_months(part.asked)
    return [
        PART_WEIGHT
        * (
            SENTENCE_WEIGHT * float(vec @ wanted)
            + (1 - SENTENCE_WEIGHT) * float(hits[sentence.hit].score or 0.0)
            + LEXICAL_WEIGHT * shared_terms(asked, sentence.text, rare)
        )
        + (1 - PART_WEIGHT) * score
        + FACT_WEIGHT * states_new_facts(sentence.text, question)
        + FACT_WEIGHT * bool(value and value.search(sentence.text))
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
