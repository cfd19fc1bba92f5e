"""Each part of a compound question searched on its own ("..., and by when?"), so every part
has passages that can answer it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.answering.evidence import merged
from assistant.answering.intents import Ask, split_parts
from assistant.answering.parts import Part
from assistant.answering.retrieval import Focus
from assistant.answering.terms import wanted_value, without_names

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore

    from assistant.core.catalog import VendorCatalog

Vendor = str | list[str] | None
# A search: the text, its embedding, the vendor filter, how many passages, the focus.
Search = Callable[[str, list[float], Vendor, int, Focus], list["NodeWithScore"]]


@dataclass(frozen=True)
class PartSearch:
    search: Search
    embed: Callable[[str], list[float]]
    catalog: VendorCatalog

    def parts_found(
        self, question: str, vendor: Vendor, top_k: int, focus: Focus
    ) -> tuple[list[Part], list[NodeWithScore]]:
        """The parts of a compound question (none for a simple one), each with the passages
        its own search found."""
        asks = split_parts(question)
        if len(asks) < 2:
            return [], []
        parts: list[Part] = []
        found: list[NodeWithScore] = []
        for ask in asks:
            part, hits = self.part_found(ask, vendor, top_k, focus)
            parts.append(part)
            found = merged(found, hits)
        return parts, found

    def part_found(
        self, ask: Ask, vendor: Vendor, top_k: int, focus: Focus
    ) -> tuple[Part, list[NodeWithScore]]:
        """One part, embedded as sentences are matched against it (and without its names),
        with the passages its search found."""
        searched = self.embed(ask.searched)
        named = self.catalog.detect(ask.asked)  # "... for Claude" keeps to Anthropic
        part_focus = Focus(named, focus.years) if named else focus
        hits = self.passages(ask, searched, vendor, top_k, part_focus)
        matched = searched if ask.matched == ask.searched else self.embed(ask.matched)
        bare = without_names(ask.matched)
        part = Part(
            ask.matched,
            matched,
            frozenset(h.node.node_id for h in hits),
            ask.asked,
            tuple(named),
            tuple(n for v in named for n in self.catalog.names_for(v)),
            ask.points_back,
            self.embed(bare) if bare and bare != ask.matched else None,
        )
        return part, hits

    def passages(
        self, ask: Ask, embedding: list[float], vendor: Vendor, top_k: int, focus: Focus
    ) -> list[NodeWithScore]:
        """The passages for one part: for a part asking a date or a figure ("and when?"), the
        best of those that state one, from a wider search."""
        value = wanted_value(ask.asked)
        if value is None:
            return self.search(ask.searched, embedding, vendor, top_k // 2, focus)
        hits = self.search(ask.searched, embedding, vendor, top_k * 2, focus)
        return [h for h in hits if value.search(h.node.get_content())][:top_k]
