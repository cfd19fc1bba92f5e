"""Answers built from records: sentences, each ending in the numbers of the records it rests on."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.core.models import Answer, Citation
from assistant.core.records import EvalResult, Workflow


@dataclass
class Cited:
    """Sentences and their citations, numbered in order of first use."""

    records: list[tuple[str, str]] = field(default_factory=list)  # (source, locator)
    quotes: dict[tuple[str, str], str] = field(default_factory=dict)
    sentences: list[str] = field(default_factory=list)
    rollback: list[tuple[str, str]] = field(default_factory=list)  # (vendor, snapshot)

    def cite(self, source: str, locator: str, quote: str) -> int:
        key = (source, locator)
        if key not in self.records:
            self.records.append(key)
            self.quotes[key] = quote
        return self.records.index(key) + 1

    def record(self, record: Workflow | EvalResult) -> int:
        return self.cite(record.source, record.locator, record.quote)

    def say(self, sentence: str, *numbers: int) -> None:
        marks = "".join(f"[{n}]" for n in dict.fromkeys(numbers))
        first_word = sentence.split(" ", 1)[0]
        if not re.search(r"[\d-]", first_word):  # "qwen-max" and "gpt-5" keep their case
            sentence = sentence[:1].upper() + sentence[1:]
        self.sentences.append(f"{sentence.rstrip('.')} {marks}.".replace(" .", "."))


def citations(out: Cited, document: Callable[[str], dict[str, str]]) -> list[Citation]:
    """The cited records as citations, with their documents' titles and dates."""
    cited = []
    for n, (source, locator) in enumerate(out.records, start=1):
        meta = document(source)
        cited.append(
            Citation(
                n=n,
                source=source,
                title=meta.get("title", source),
                doc_type=meta.get("doc_type", "note"),
                published=meta.get("published", ""),
                locator=locator,
                quote=out.quotes[(source, locator)],
                score=1.0,
            )
        )
    return cited


def answered(out: Cited, document: Callable[[str], dict[str, str]]) -> Answer:
    return Answer(
        answer=" ".join(out.sentences),
        status="answered",
        citations=citations(out, document),
        rollback=out.rollback,
    )


def fmt(value: float | None) -> str:
    """0.8100 -> '0.81', 3400.0 -> '3400'."""
    if value is None:
        return "?"
    return f"{value:.5f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))


def listed(items: list[str]) -> str:
    """['a', 'b', 'c'] -> 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
