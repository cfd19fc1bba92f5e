"""Passages that add to an answer from the records: up to a few cited sentences after it,
about what the records answer is about."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.answering.extractive import NUMBER
from assistant.answering.records import asks_beyond
from assistant.core.models import Answer
from assistant.core.records import Workflow

Keep = Callable[[str], bool]


def support_question(records: Answer, message: Callable[..., str]) -> str:
    """What is searched to add to an answer from the records: what the question asks beyond
    them ("has the vendor behind our fallback had an incident?" asks "has Google had an
    incident?"), or, when the records answer it whole ("what is our fallback for X?"), what
    puts that fallback at risk."""
    serving = [vendor for vendor, _ in records.in_service]
    if records.focus and serving and not asks_beyond(records.beyond, serving):
        vendor, model = records.in_service[0]
        return message("fallback_risk_query", vendor=vendor, model=model)
    return records.beyond


def on_topic(
    main: Answer, detect: Callable[[str], list[str]], workflows: Sequence[Workflow]
) -> Keep:
    """Whether a sentence may follow the records answer `main`: it names one of the vendors
    the answer is about, when it is about some (by any of their names: "Gemini" for Google),
    and no workflow the answer does not. A sentence about another workflow's terms, or one
    that names no one ("this workflow", an analyst's general point), does not belong."""
    # A listing of workflows is about the vendors it names; eval results across all models
    # (the question named none) are about no vendor in particular.
    vendors = set(main.focus) or (set() if main.trend else set(detect(main.answer)))
    said = main.answer.lower()
    others = [w.name.lower() for w in workflows if w.name.lower() not in said]

    def keep(sentence: str) -> bool:
        text = sentence.lower()
        named = not vendors or bool(vendors & set(detect(sentence)))
        return named and not any(n in text for n in others)

    return keep


def with_support(
    main: Answer, support: Answer, limit: int = 2, keep: Keep = lambda sentence: True
) -> Answer:
    """An answer from the records, followed by up to `limit` cited sentences from retrieval,
    those it `keep`s."""
    if support.status != "answered" or main.complete:
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
        # A sentence from a row the answer already cites says what the answer says.
        if len(extra) < limit and not cited & said and keep(sentence):
            extra.append(NUMBER.sub(renumber, sentence))
    return main.model_copy(
        update={"answer": " ".join([main.answer, *extra]), "citations": citations}
    )
