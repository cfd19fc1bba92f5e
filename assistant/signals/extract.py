"""A document's events: the sentences of its prose that report one (by meaning, against the
described kinds), grouped per vendor, kind and date, dated by the text where it states a
date and else by the report's own date."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
from llama_index.core.schema import NodeWithScore

from assistant.answering.candidates import candidate_sentences
from assistant.answering.extractive import quote_locator
from assistant.core.signals import Mention
from assistant.signals.dates import STATED, stated_date
from assistant.signals.kinds import EventKinds
from assistant.signals.timeline import SAME_EVENT_DAYS

if TYPE_CHECKING:
    from llama_index.core.schema import BaseNode

    from assistant.answering.candidates import Sentence

Embed = Callable[[list[str]], list[list[float]]]
RECORD_TYPES = ("eval", "registry")  # tables of our own results and workflows: no news
LEAD = 3  # a report's first sentences say its main event and its date, dated or not
MARGIN = 0.15  # how much closer to its kind than to reporting no event a sentence must be
LEAD_WEIGHT = 0.05  # a sentence of the lead, or stating its date, says the event best
DATED_WEIGHT = 0.05
PER_DOCUMENT = 3  # events one document reports, at most
# A sentence saying what did not happen reports no event ("No new models were released",
# "prices are unchanged", "is not being withdrawn").
NEGATED = re.compile(r"\b(?:no|not|never|neither|nor|unchanged|without)\b|n't\b", re.I)
TABLE_ROW = re.compile(r"^\s*\|")  # a table's rows are reference data, not reports


@dataclass(frozen=True)
class DocumentText:
    """What event reading needs of one indexed document."""

    source: str
    doc_type: str
    published: date | None
    vendors: Sequence[str]
    chunks: Sequence[BaseNode]
    title: str = ""


@dataclass(frozen=True)
class Found:
    """A sentence reporting an event: of which vendor and kind, the date it states, its
    order in the document and how clearly it reports it."""

    sentence: Sentence
    order: int
    vendor: str
    named: bool  # the sentence names its vendor (by any of its names)
    kind: str
    day: date | None
    weight: float


class EventReader:
    def __init__(self, kinds: EventKinds, embed: Embed, detect: Callable[[str], list[str]]) -> None:
        self.kinds = kinds
        self.embed = embed
        self.detect = detect

    def read(self, documents: Sequence[DocumentText]) -> list[list[Mention]]:
        """The events each document reports, at most PER_DOCUMENT each, clearest first. The
        documents' sentences are embedded in one call: one batch runs faster than many."""
        prepared = [sentences_of(d) for d in documents]
        texts = [s.text for _, sentences in prepared for _, s in sentences]
        vectors = np.asarray(self.embed(texts), dtype=np.float32) if texts else None
        kinds = self.kinds.classify(vectors) if vectors is not None else []
        out, start = [], 0
        for document, (hits, sentences) in zip(documents, prepared, strict=True):
            end = start + len(sentences)
            out.append(self.events(document, hits, sentences, kinds[start:end]))
            start = end
        return out

    def events(
        self,
        document: DocumentText,
        hits: list[NodeWithScore],
        sentences: list[tuple[int, Sentence]],
        kinds: list[tuple[str, float, float]],
    ) -> list[Mention]:
        if not sentences:
            return []
        in_lead = lead_date(sentences, document.published)
        reported_on = in_lead or document.published  # the report's own date
        found = [
            f
            for (order, s), (kind, _, margin) in zip(sentences, kinds, strict=True)
            if (f := self.found(document, order, s, kind, margin)) is not None
        ]
        events = grouped(found, reported_on)[:PER_DOCUMENT]
        stated = in_lead is not None
        return [as_mention(document.source, hits, e, reported_on, stated) for e in events]

    def found(
        self,
        document: DocumentText,
        order: int,
        sentence: Sentence,
        kind: str,
        margin: float,
    ) -> Found | None:
        if margin < MARGIN or NEGATED.search(sentence.text):
            return None
        named = self.detect(sentence.text)
        vendor = named[0] if named else self.subject(document)
        if vendor is None:
            return None
        day = stated_date(sentence.text, document.published)
        # A sentence reports an event by dating it, or in the lead by naming who did it:
        # without either, it is commentary ("customers switched over within minutes").
        if day is None and (order >= LEAD or not named):
            return None
        weight = margin + LEAD_WEIGHT * (order < LEAD) + DATED_WEIGHT * (day is not None)
        return Found(sentence, order, vendor, bool(named), kind, day, weight)

    def subject(self, document: DocumentText) -> str | None:
        """The vendor a document is about, when it is about one: the one its title names,
        else its only one. A sentence naming none reports that vendor's events."""
        titled = self.detect(document.title)
        if len(titled) == 1:
            return titled[0]
        return document.vendors[0] if len(document.vendors) == 1 else None


def sentences_of(
    document: DocumentText,
) -> tuple[list[NodeWithScore], list[tuple[int, Sentence]]]:
    """A document's chunks as passages, and the sentences of them that could report an
    event (none for records)."""
    if document.doc_type in RECORD_TYPES:
        return [], []
    hits = [NodeWithScore(node=chunk, score=1.0) for chunk in document.chunks]
    return hits, reported(hits)


def reported(hits: list[NodeWithScore]) -> list[tuple[int, Sentence]]:
    """The prose sentences that could report an event, with their order in the document:
    the lead's, and later ones stating a date (each once, though overlapping chunks hold
    it twice)."""
    seen: set[str] = set()
    out = []
    for sentence in candidate_sentences(hits):
        if sentence.text in seen or in_table(hits[sentence.hit], sentence):
            continue
        seen.add(sentence.text)
        if len(seen) <= LEAD or STATED.search(sentence.text):
            out.append((len(seen) - 1, sentence))
    return out


def in_table(hit: NodeWithScore, sentence: Sentence) -> bool:
    lines = hit.node.get_content().splitlines()
    first = sentence.span.first
    return first < len(lines) and bool(TABLE_ROW.match(lines[first]))


def lead_date(sentences: list[tuple[int, Sentence]], published: date | None) -> date | None:
    """The first date a report's lead states (a byline, "on 2026-04-22"), if any."""
    for order, sentence in sentences:
        day = stated_date(sentence.text, published) if order < LEAD else None
        if day is not None:
            return day
    return None


def grouped(found: list[Found], reported_on: date | None) -> list[list[Found]]:
    """The events: sentences of one vendor, kind and stated date together; an undated one
    (of the lead) joins a dated event of its vendor and kind near the report's date, else
    is an event of that date. Clearest first."""
    groups: dict[tuple[str, str, date | None], list[Found]] = {}
    for f in found:
        groups.setdefault((f.vendor, f.kind, f.day), []).append(f)
    for vendor, kind, day in [key for key in groups if key[2] is None]:
        near = [
            key
            for key in groups
            if key[:2] == (vendor, kind)
            and key[2] is not None
            and reported_on is not None
            and abs((key[2] - reported_on).days) <= SAME_EVENT_DAYS
        ]
        if near:
            groups[near[0]] += groups.pop((vendor, kind, day))
    events = list(groups.values())
    return sorted(events, key=lambda g: max(f.weight for f in g), reverse=True)


def as_mention(
    source: str,
    hits: list[NodeWithScore],
    event: list[Found],
    reported_on: date | None,
    stated: bool,
) -> Mention:
    """An event in its first sentence that states its date or names its vendor, dated by
    the text (its own sentences, else the report's `stated` date) or by its document."""
    said = min(event, key=lambda f: (f.day is None, not f.named, f.order))
    day = next((f.day for f in event if f.day is not None), None)
    when = day or reported_on
    return Mention(
        source=source,
        vendor=said.vendor,
        date=when.isoformat() if when else "",
        dated=day is not None or stated,
        kind=said.kind,
        quote=said.sentence.text,
        locator=quote_locator(hits[said.sentence.hit].node.metadata, [said.sentence]),
        score=round(max(f.weight for f in event), 4),
    )
