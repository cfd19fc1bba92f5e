"""Grounded generation without a provider: sources put in the prompt as delimited data, and a
model's reply checked against them before anyone sees it.

A reply keeps only sentences that cite a source it was given, whose figures and model ids that
source states; citations are renumbered in order of use, and narrowed to the quoted lines.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from string import Template
from typing import TYPE_CHECKING

from assistant.answering.candidates import Sentence, candidate_sentences
from assistant.answering.extractive import quote_locator
from assistant.core.models import Answer, Citation

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from llama_index.core.schema import NodeWithScore

logger = logging.getLogger(__name__)
PROMPTS = ("system", "answer", "records", "rewrite", "checkpoint")
INSUFFICIENT = "INSUFFICIENT_EVIDENCE"

# [2], [1, 3], [source 2]: a citation marker as a model writes it.
MARKER = re.compile(r"\[\s*(?:sources?\s*)?(\d+(?:\s*[,;]\s*(?:sources?\s*)?\d+)*)\s*\]", re.I)
OPEN_MARKER = re.compile(r"\[[\w ,;]*")  # the start of what may become a marker
CITED = re.compile(r"\[(\d+)\]")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?!\[)|(?<=\])\s+(?=[A-Z])")
# Figures and model ids a sentence states: 1,200 / 0.91 / 34% / FY2025 / gpt-4o / 2026-05-01.
FIGURE = re.compile(
    r"(?<![\w.])(?:\d{4}-\d\d-\d\d|\d+(?:,\d{3})*(?:\.\d+)?%?|"
    r"[A-Za-z][\w.]*-[\w.-]*\d[\w.-]*|[A-Za-z]+\d[\w.]*)"
)
# Model ids without digits ("qwen-max"), which a reply built on the records must keep.
MODEL_ID = re.compile(r"(?<![\w-])[a-z][a-z0-9.]*(?:-[a-z0-9.]+)+(?![\w-])")
# A sentence saying what the sources do not cover may stand without a citation.
GAP = re.compile(
    r"\b(?:sources?|documents?|records?|evidence)\b[^.]*\b(?:do(?:es)? not|don't|doesn't|no)\b|"
    r"\bnot (?:stated|mentioned|covered|given|available|specified)\b",
    re.I,
)
WORDS = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Source:
    """One numbered source of a prompt: a retrieved passage, or a record row cited as it is."""

    source: str
    title: str
    doc_type: str
    published: str
    locator: str
    text: str
    score: float
    hit: NodeWithScore | None = None
    citation: Citation | None = None

    @classmethod
    def from_hit(cls, hit: NodeWithScore) -> Source:
        meta = hit.node.metadata
        return cls(
            source=str(meta.get("source", "")),
            title=str(meta.get("title", "")),
            doc_type=str(meta.get("doc_type", "note")),
            published=str(meta.get("published", "")),
            locator=str(meta.get("locator", "")),
            text=hit.node.get_content(),
            score=float(hit.score or 0.0),
            hit=hit,
        )

    @classmethod
    def from_citation(cls, citation: Citation) -> Source:
        return cls(
            source=citation.source,
            title=citation.title,
            doc_type=citation.doc_type,
            published=citation.published,
            locator=citation.locator,
            text=citation.quote,
            score=citation.score,
            citation=citation,
        )

    @property
    def haystack(self) -> str:
        return normalise(f"{self.title} {self.published} {self.text}")


def select_sources(
    candidates: list[Source], budget_tokens: int, count: Callable[[str], int]
) -> list[Source]:
    """Distinct sources in order, as many as fit the token budget (always at least one)."""
    chosen: list[Source] = []
    seen: set[tuple[str, str]] = set()
    used = 0
    for source in candidates:
        key = (source.source, source.locator)
        if key in seen:
            continue
        cost = count(source.text)
        if chosen and used + cost > budget_tokens:
            break
        seen.add(key)
        chosen.append(source)
        used += cost
    return chosen


def render_sources(sources: list[Source]) -> str:
    """Each source between <source> tags that its own text cannot close or forge."""
    blocks = []
    for n, s in enumerate(sources, start=1):
        attributes = {
            "id": str(n),
            "file": s.source,
            "location": s.locator,
            "type": s.doc_type,
            "date": s.published,
            "title": s.title,
        }
        header = " ".join(f'{k}="{attribute(v)}"' for k, v in attributes.items())
        blocks.append(f"<source {header}>\n{defuse(s.text)}\n</source>")
    return "\n\n".join(blocks)


def attribute(value: str) -> str:
    return re.sub(r'[\s"<>]+', " ", value).strip()


def defuse(text: str) -> str:
    """Source text cannot open or close a source, nor a draft: '<' of such a tag is escaped."""
    return re.sub(r"<(?=\s*/?\s*(?:source|draft)\b)", "&lt;", text, flags=re.I)


def load_prompts(folder: Path) -> dict[str, Template]:
    """The prompt templates ($placeholders), one file each under prompts/llm/."""
    templates = {}
    for name in PROMPTS:
        path = folder / "llm" / f"{name}.md"
        if not path.exists():
            raise FileNotFoundError(
                f"Missing prompt {path}: restore it, or set VENDORINTEL_PROMPTS_DIR to a folder "
                "with llm/system.md, answer.md, records.md, rewrite.md and checkpoint.md."
            )
        templates[name] = Template(path.read_text("utf-8"))
    return templates


class CitationMarks:
    """Renumbers [n] markers in order of first use and drops those naming no source.

    Works on a stream: a possible marker is held back until its closing bracket arrives, so an
    invalid citation never reaches the reader, even mid-stream.
    """

    HOLD = 24  # characters after "[" before it is taken as ordinary text

    def __init__(self, sources: int) -> None:
        self.sources = sources
        self.used: list[int] = []  # 0-based source index behind each output number
        self._pending = ""

    def feed(self, text: str) -> str:
        self._pending += text
        out: list[str] = []
        while self._pending:
            start = self._pending.find("[")
            if start < 0:
                out.append(self._pending)
                self._pending = ""
                break
            out.append(self._pending[:start])
            self._pending = self._pending[start:]
            end = self._pending.find("]")
            if end < 0:
                if len(self._pending) < self.HOLD and OPEN_MARKER.fullmatch(self._pending):
                    break  # wait for the rest of the marker
                out.append(self._pending[0])
                self._pending = self._pending[1:]
                continue
            out.append(self._rewrite(self._pending[: end + 1]))
            self._pending = self._pending[end + 1 :]
        return "".join(out)

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return "" if OPEN_MARKER.fullmatch(rest) else rest

    def _rewrite(self, bracket: str) -> str:
        match = MARKER.fullmatch(bracket)
        if match is None:
            return bracket
        marks = []
        for number in (int(n) for n in re.findall(r"\d+", match.group(1))):
            if 1 <= number <= self.sources:
                if number - 1 not in self.used:
                    self.used.append(number - 1)
                marks.append(f"[{self.used.index(number - 1) + 1}]")
        return "".join(dict.fromkeys(marks))


def normalise(text: str) -> str:
    """Lower case, hyphens as spaces, no thousands separators: how figures are compared."""
    return re.sub(r"(?<=\d),(?=\d{3})", "", text.lower()).replace("-", " ")


def mentioned(term: str, haystack: str) -> bool:
    wanted = normalise(term).rstrip("%")
    return re.search(rf"(?<![\w.]){re.escape(wanted)}(?!\d)", haystack) is not None


def figures(sentence: str) -> list[str]:
    return FIGURE.findall(CITED.sub("", sentence))


def checked_sentences(text: str, sources: list[Source]) -> tuple[str, bool]:
    """The reply without uncited sentences and sentences stating what their sources do not;
    also whether anything was dropped. `sources` are in the reply's (renumbered) order."""
    lines, dropped = [], False
    for line in text.splitlines():
        kept = []
        for sentence in SENTENCE_END.split(line.strip()):
            if not sentence.strip():
                continue
            numbers = {int(n) for n in CITED.findall(sentence)}
            if not numbers:
                if GAP.search(sentence) and not figures(sentence):
                    kept.append(sentence)
                else:
                    dropped = True
                continue
            haystack = " ".join(sources[n - 1].haystack for n in numbers)
            unsupported = [f for f in figures(sentence) if not mentioned(f, haystack)]
            if unsupported:
                logger.warning("dropped a sentence stating %s; its sources do not", unsupported)
                dropped = True
                continue
            kept.append(sentence)
        if kept:
            lines.append(" ".join(kept))
    body = "\n".join(lines)
    body = re.sub(r"[ \t]+([.,;:!?])", r"\1", body)  # where a dropped marker stood
    return re.sub(r"[ \t]{2,}", " ", body).strip(), dropped


def grounded_answer(
    reply: str, sources: list[Source], marks: CitationMarks, draft: Answer | None = None
) -> Answer | None:
    """The checked answer with its citations, or None when nothing cited survives.

    With a draft from the records, the reply must name every model the draft names and drop
    no sentence (its figures being checked like any other); otherwise the draft itself is the
    answer, exact.
    """
    if INSUFFICIENT in reply:
        return draft
    in_use = [sources[i] for i in marks.used]
    body, dropped = checked_sentences(reply, in_use)
    if not CITED.search(body):
        return draft
    if draft is not None:
        kept = normalise(body)
        lost = [m for m in dict.fromkeys(MODEL_ID.findall(draft.answer)) if not mentioned(m, kept)]
        if dropped or lost:
            logger.warning("the reply lost %s of the records; answering with the records", lost)
            return draft
    return cite(body, in_use)


def cite(body: str, sources: list[Source]) -> Answer:
    """Renumber the markers still in the body 1..n and build their citations."""
    order: list[int] = []
    for n in CITED.findall(body):
        if int(n) not in order:
            order.append(int(n))
    renumbered = CITED.sub(lambda m: f"[{order.index(int(m.group(1))) + 1}]", body)
    statements = [s for line in renumbered.splitlines() for s in SENTENCE_END.split(line)]
    citations = []
    for new, old in enumerate(order, start=1):
        citing = [s for s in statements if f"[{new}]" in s]
        citations.append(citation(sources[old - 1], new, citing))
    return Answer(answer=renumbered, status="answered", citations=citations)


def citation(source: Source, n: int, statements: list[str]) -> Citation:
    """A record row as it is; a passage narrowed to the sentences the statements rest on."""
    if source.citation is not None:
        return source.citation.model_copy(update={"n": n})
    locator, quote = source.locator, source.text
    if source.hit is not None:
        spans = candidate_sentences([source.hit])
        chosen = {best.position: best for s in statements if (best := best_span(s, spans))}
        if chosen:
            in_order = sorted(chosen.values(), key=lambda span: span.position)
            locator = quote_locator(source.hit.node.metadata, in_order)
            quote = " … ".join(span.text for span in in_order)
    return Citation(
        n=n,
        source=source.source,
        title=source.title,
        doc_type=source.doc_type,
        published=source.published,
        locator=locator,
        quote=quote,
        score=round(source.score, 3),
    )


def best_span(statement: str, spans: list[Sentence]) -> Sentence | None:
    """The passage sentence sharing the most words with the statement (two at least)."""
    wanted = set(WORDS.findall(CITED.sub("", statement).lower()))
    scored = [(len(wanted & set(WORDS.findall(s.text.lower()))), s) for s in spans]
    best = max(scored, key=lambda item: item[0], default=(0, None))
    return best[1] if best[0] >= 2 else None
