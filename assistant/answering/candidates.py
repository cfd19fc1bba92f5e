"""The sentences of retrieved passages that could be cited: what counts as a sentence (not a
heading, a byline or a broken title), a record row said from its fields, and how two
sentences compare."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from assistant.answering.sentences import Span, split_passage, split_yaml_blocks
from assistant.core.tables import record_fields
from assistant.storage.sparse import STOPWORDS, tokens

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore

MIN_WORDS = 4
MIN_HEADLINE_WORDS = 8
MAX_LABEL_WORDS, LABEL_SHARE = 12, 0.75  # a byline: short, and names and figures nearly all
NEAR_DUPLICATE = 0.92
FIGURE = re.compile(r"\d[\d.,]*")
LEXICAL_WEIGHT = 0.3  # what sharing the question's own terms (figures, ids, names) adds
SENTENCE_WEIGHT = 0.7  # the rest of the score is the whole chunk's similarity
KIND_WEIGHT = 0.1  # a sentence from the kind of document the question asks of (its contract)
ASK_SHARE = 0.5  # of a sentence's similarity: to the question without the names it gives


@dataclass(frozen=True)
class Sentence:
    span: Span
    hit: int  # index of the retrieved chunk it comes from
    position: int  # order within that chunk
    source: str = ""  # the file it comes from
    kind: str = ""  # and that file's kind of document

    @property
    def text(self) -> str:
        return self.span.text


Scored = tuple[float, Sentence, np.ndarray]  # a sentence's score, the sentence, its embedding


def candidate_sentences(hits: list[NodeWithScore]) -> list[Sentence]:
    """Sentences worth citing, the document's title apart; a table row is cited whole, YAML
    by item or comment."""
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
        title = plain(str(meta.get("title", "")))
        for position, span in enumerate(spans):
            # The title is shown with every citation; the text after it says it in full.
            if not span.heading and worth_citing(span.text) and plain(span.text) != title:
                source, kind = str(meta.get("source", "")), str(meta.get("doc_type", ""))
                candidates.append(Sentence(span, index, position, source, kind))
    return candidates


def plain(text: str) -> str:
    return " ".join(text.lower().strip(" .").split())


def said_row(text: str) -> str:
    """A record row ('date: 2026-10-15; model: m-3; score: 91') said as a sentence from its
    fields: 'date 2026-10-15, model m-3, score 91.'"""
    fields = record_fields(text)
    if fields is None:
        return " ".join(text.split())
    return ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in fields) + "."


def worth_citing(text: str) -> bool:
    """A sentence, not a heading: a line without a full stop needs more words to say
    something ("Tooling milestones" does not; a headline with its facts does), and must not
    stop mid-phrase (a title broken over lines: "... but keeps the")."""
    words = text.split()
    if len(words) < MIN_WORDS or is_label(words):
        return False
    if text.rstrip().endswith((".", "!", "?", ":", ")")):
        return True
    return len(words) >= MIN_HEADLINE_WORDS and words[-1].lower() not in STOPWORDS


def is_label(words: list[str]) -> bool:
    """A byline or a caption ("Vendor Management, AI Program Office, 2026-09-11."): short,
    and nearly every word a name or a figure."""
    named = sum(w[:1].isupper() or any(c.isdigit() for c in w) for w in words)
    return len(words) <= MAX_LABEL_WORDS and named >= LABEL_SHARE * len(words)


def near_duplicate(item: Scored, chosen: list[Scored]) -> bool:
    """The same sentence again (overlapping chunks repeat it) or one saying nearly the same
    with the same figures: two table rows alike but for their figures are both kept."""
    return any(
        item[1] is other[1]
        or item[1].text == other[1].text
        or (
            float(item[2] @ other[2]) >= NEAR_DUPLICATE
            and FIGURE.findall(item[1].text) == FIGURE.findall(other[1].text)
        )
        for other in chosen
    )


@lru_cache(maxsize=8192)
def term_set(text: str) -> frozenset[str]:
    """A sentence's search terms, once per sentence: answers score the same ones many times."""
    return frozenset(tokens(text))


def shared_terms(asked: set[str], text: str, rarity: dict[str, float] | None = None) -> float:
    """The share of the question's terms the sentence uses, figures and ids counting double,
    each term weighed by its rarity among the candidates when given."""
    if not asked:
        return 0.0
    weight = {
        t: (2.0 if any(ch.isdigit() for ch in t) else 1.0) * (rarity or {}).get(t, 1.0)
        for t in asked
    }
    found = asked & term_set(text)
    return sum(weight[t] for t in found) / sum(weight.values())


def rarity(asked: set[str], texts: list[str]) -> dict[str, float]:
    """How well each question term tells the candidate sentences apart: one that most of them
    use (the topic the search already found) counts for less than one that few use."""
    used = [term_set(text) for text in texts]
    return {
        term: 1.0 + math.log((len(used) + 1) / (1 + sum(term in u for u in used))) for term in asked
    }
