"""Answers written by a language model from numbered sources, checked before they are shown
(see answering/grounding.py for the checks, providers/llm.py for the providers)."""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator, Sequence
from typing import TYPE_CHECKING

from assistant.answering.grounding import (
    CITED,
    CitationMarks,
    Source,
    defuse,
    grounded_answer,
    render_sources,
    select_sources,
)
from assistant.core.models import Answer, Citation, Restart, Token
from assistant.providers.llm import Generation, Message, ProviderChain, count_tokens

if TYPE_CHECKING:
    from string import Template

    from llama_index.core.schema import NodeWithScore

Stream = Generator[Token | Restart, None, Answer]
WORD = re.compile(r"\S+\s*")
MAX_QUESTION_CHARS = 400  # a rewritten question longer than this is not a question


class GroundedAnswerer:
    """Builds the prompt from the prompt files, asks the provider chain, checks the reply.

    Raises LLMUnavailableError when every provider fails; the caller falls back.
    """

    def __init__(
        self,
        chain: ProviderChain,
        prompts: dict[str, Template],
        max_sentences: int,
        source_tokens: int,
    ) -> None:
        self.chain = chain
        self.prompts = prompts
        self.max_sentences = max_sentences
        self.source_tokens = source_tokens

    def prepare(
        self, question: str, passages: list[NodeWithScore], draft: Answer | None
    ) -> tuple[list[Message], list[Source]]:
        """The messages and their numbered sources: the draft's record rows first, as numbered
        in the draft, then the passages, as many as the token budget allows."""
        candidates = [Source.from_citation(c) for c in draft.citations] if draft else []
        candidates += [Source.from_hit(hit) for hit in passages]
        sources = select_sources(candidates, self.source_tokens, count_tokens)
        records = ""
        if draft is not None:
            records = self.prompts["records"].safe_substitute(draft=defuse(draft.answer))
        system = self.prompts["system"].safe_substitute(max_sentences=self.max_sentences)
        user = self.prompts["answer"].safe_substitute(
            question=question, records=records, sources=render_sources(sources)
        )
        return [("system", system), ("user", user)], sources

    def stream(
        self,
        question: str,
        passages: list[NodeWithScore],
        draft: Answer | None,
        no_evidence: str,
    ) -> Stream:
        """Yields the reply's tokens (citations already checked and renumbered), returns the
        checked Answer."""
        messages, sources = self.prepare(question, passages, draft)
        marks = CitationMarks(len(sources))
        shown: list[str] = []
        generation: Generation | None = None
        for event in self.chain.stream(messages):
            if isinstance(event, Token):
                shown.append(marks.feed(event.text))
                if shown[-1]:
                    yield Token(shown[-1])
            elif isinstance(event, Restart):
                marks, shown = CitationMarks(len(sources)), []
                yield event
            else:
                generation = event
        shown.append(marks.flush())
        if shown[-1]:
            yield Token(shown[-1])
        assert generation is not None  # the chain ends with one or raises
        answer = self.finish(generation, sources, draft, no_evidence)
        if answer.answer.split() != "".join(shown).split():
            # The checks changed the reply: what was shown is void, the checked answer follows.
            yield Restart("the reply was corrected against its sources")
            yield from words(answer)
        return answer

    def answer(
        self,
        question: str,
        passages: list[NodeWithScore],
        draft: Answer | None,
        no_evidence: str,
    ) -> Answer:
        messages, sources = self.prepare(question, passages, draft)
        return self.finish(self.chain.complete(messages), sources, draft, no_evidence)

    @staticmethod
    def finish(
        generation: Generation, sources: list[Source], draft: Answer | None, no_evidence: str
    ) -> Answer:
        marks = CitationMarks(len(sources))
        reply = marks.feed(generation.text) + marks.flush()
        checked = grounded_answer(reply, sources, marks, draft)
        if checked is None:
            return Answer(
                answer=no_evidence, status="insufficient_evidence", answered_by=generation.label
            )
        if checked is draft:
            return checked.model_copy(update={"answered_by": "records"})
        return checked.model_copy(update={"answered_by": generation.label})

    def summarise(
        self, vendor: str, findings: Sequence[tuple[str, str, str, list[Citation]]]
    ) -> Answer | None:
        """An executive summary of a vendor's checkpoints (question, status, answer, its
        citations), citing their sources; None when nothing cited is left after the checks."""
        sources: list[Source] = []
        numbers: dict[tuple[str, str], int] = {}
        lines = []
        for question, status, answer, citations in findings:
            local = {}
            for c in citations:
                key = (c.source, c.locator)
                if key not in numbers:
                    sources.append(Source.from_citation(c))
                    numbers[key] = len(sources)
                local[c.n] = numbers[key]
            lines.append(f"- {question} ({status}): {defuse(renumbered(answer, local))}")
        if not sources:
            return None
        prompt = self.prompts["checkpoint"].safe_substitute(
            vendor=vendor, findings="\n".join(lines), sources=render_sources(sources)
        )
        system = self.prompts["system"].safe_substitute(max_sentences=self.max_sentences)
        generation = self.chain.complete([("system", system), ("user", prompt)])
        summary = self.finish(generation, sources, None, "")
        return summary if summary.status == "answered" else None

    def rewrite(self, previous: str, question: str) -> str | None:
        """The follow-up as a standalone question, or None when the reply is not one."""
        prompt = self.prompts["rewrite"].safe_substitute(previous=previous, question=question)
        text = self.chain.complete([("user", prompt)]).text.strip().strip('"').strip()
        if not text or "\n" in text or len(text) > MAX_QUESTION_CHARS:
            return None
        return text


def words(answer: Answer) -> Iterator[Token]:
    """An answer already written, streamed word by word."""
    for piece in WORD.findall(answer.answer):
        yield Token(piece)


def renumbered(text: str, numbers: dict[int, int]) -> str:
    """[n] markers mapped to other numbers (0 for one that has none, which the checks drop)."""
    return CITED.sub(lambda m: f"[{numbers.get(int(m.group(1)), 0)}]", text)
