"""Retrieval and citation quality on a question set, through the product's own pipeline, with
a plain dense baseline (LlamaIndex defaults) measured side by side in the same process."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.schema import NodeWithScore

    from assistant.answering.pipeline import Answering

METRICS = ("hit@1", "hit@5", "hit@10", "mrr@10", "recall_all@10", "citation_precision")
POOL = 3  # chunks retrieved per source ranked, so that k distinct sources come back


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    gold_sources: list[str]
    answers: list[str] = field(default_factory=list)


@dataclass
class Run:
    """What one system returned: ranked sources per question, cited sources, timings."""

    ranked: list[list[str]] = field(default_factory=list)
    cited: list[list[str] | None] = field(default_factory=list)
    answered: list[str | None] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)


def load_dataset(path: Path) -> list[EvalQuestion]:
    """Questions, one JSON object a line; a bad line is an error naming the line."""
    questions = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            questions.append(
                EvalQuestion(
                    id=str(data["id"]),
                    question=str(data["question"]),
                    gold_sources=[str(s) for s in data["gold_sources"]],
                    answers=[str(a) for a in data.get("answers") or []],
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(
                f"{path}, line {number}: expected a JSON object with id, question and "
                f"gold_sources (a list of inbox-relative paths): {exc}"
            ) from exc
    if not questions:
        raise ValueError(f"{path} holds no questions.")
    return questions


def distinct_sources(hits: list[NodeWithScore], k: int) -> list[str]:
    """The first k distinct source files of ranked chunks."""
    sources = dict.fromkeys(str(hit.node.metadata.get("source", "")) for hit in hits)
    return list(sources)[:k]


def run_product(answering: Answering, questions: list[EvalQuestion], k: int) -> Run:
    """Retrieval as `ask` does it (hybrid, with the question's companies and years), then the
    answer itself for its citations; latency is the retrieval's, embedding included."""
    run = Run()
    for q in questions:
        started = time.perf_counter()
        embedding = answering.embed_query(q.question)
        focus = answering.focus(q.question)
        hits = answering.search(q.question, embedding, None, k * POOL, focus=focus)
        run.latency_ms.append((time.perf_counter() - started) * 1000)
        run.ranked.append(distinct_sources(hits, k))
        answer = answering.ask(q.question)
        run.cited.append([c.source for c in answer.citations])
        run.answered.append(answer.answer if answer.status == "answered" else None)
    return run


def run_dense_baseline(
    inbox: Path, embed_model: BaseEmbedding, questions: list[EvalQuestion], k: int
) -> Run:
    """Plain LlamaIndex over the files' text (front matter left out): SentenceSplitter
    1024/128, an in-memory VectorStoreIndex of the same embedding model, top k * POOL chunks."""
    from llama_index.core import Document, SimpleDirectoryReader, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter

    from assistant.core.front_matter import split_front_matter

    def relative(name: str) -> dict[str, str]:
        return {"source": Path(name).resolve().relative_to(inbox.resolve()).as_posix()}

    read = SimpleDirectoryReader(
        str(inbox), recursive=True, file_metadata=relative, exclude_hidden=True
    ).load_data()
    # The file name is kept for scoring, not embedded: it would tell the model the answer.
    documents = [
        Document(
            text=split_front_matter(d.text)[1],
            metadata=d.metadata,
            excluded_embed_metadata_keys=["source"],
            excluded_llm_metadata_keys=["source"],
        )
        for d in read
    ]
    splitter = SentenceSplitter(chunk_size=1024, chunk_overlap=128)
    index = VectorStoreIndex.from_documents(
        documents, embed_model=embed_model, transformations=[splitter]
    )
    retriever = index.as_retriever(similarity_top_k=k * POOL)
    run = Run()
    for q in questions:
        started = time.perf_counter()
        hits = retriever.retrieve(q.question)
        run.latency_ms.append((time.perf_counter() - started) * 1000)
        run.ranked.append(distinct_sources(hits, k))
        run.cited.append(None)
        run.answered.append(None)
    return run


def score(run: Run, questions: list[EvalQuestion]) -> dict[str, float | None]:
    """Rates between 0 and 1 over the questions, and the median latency."""

    def mean(values: list[float]) -> float:
        return round(statistics.fmean(values), 3) if values else 0.0

    def hit(n: int) -> float:
        return mean([float(bool(set(r[:n]) & set(q.gold_sources))) for r, q in pairs])

    pairs = list(zip(run.ranked, questions, strict=True))
    reciprocal = [
        next((1 / rank for rank, s in enumerate(r[:10], 1) if s in q.gold_sources), 0.0)
        for r, q in pairs
    ]
    cited = [
        (c, q) for c, q in zip(run.cited, questions, strict=True) if c is not None and len(c) > 0
    ]
    precision = [sum(s in q.gold_sources for s in c) / len(c) for c, q in cited]
    answers = [(a, q) for a, q in zip(run.answered, questions, strict=True) if q.answers]
    result: dict[str, float | None] = {
        "hit@1": hit(1),
        "hit@5": hit(5),
        "hit@10": hit(10),
        "mrr@10": mean(reciprocal),
        "recall_all@10": mean([float(set(q.gold_sources) <= set(r[:10])) for r, q in pairs]),
        "citation_precision": mean(precision) if any(c is not None for c in run.cited) else None,
        "median_ms": round(statistics.median(run.latency_ms), 1),
    }
    if answers and any(a is not None for a, _ in answers):
        result["answer_contains"] = mean(
            [
                float(a is not None and any(x.lower() in a.lower() for x in q.answers))
                for a, q in answers
            ]
        )
    return result


def evaluate(
    answering: Answering,
    inbox: Path,
    questions: list[EvalQuestion],
    k: int = 10,
    compare: bool = False,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """{"n", "product": {metrics}, "baseline": {metrics} (with compare)}."""
    progress(f"Answering {len(questions)} questions through the product...")
    report: dict[str, Any] = {"n": len(questions), "k": k}
    report["product"] = score(run_product(answering, questions, k), questions)
    if compare:
        progress("Indexing the inbox for the plain dense baseline...")
        baseline = run_dense_baseline(inbox, answering.embed_model, questions, k)
        report["baseline"] = score(baseline, questions)
    return report


def render_table(report: dict[str, Any]) -> str:
    systems = [name for name in ("product", "baseline") if name in report]
    keys = [*METRICS, "median_ms"]
    lines = [f"{report['n']} questions, k={report['k']}", ""]
    lines.append(f"{'metric':20}" + "".join(f"{name:>12}" for name in systems))
    for key in keys:
        cells = [report[name].get(key) for name in systems]
        lines.append(f"{key:20}" + "".join(f"{'-' if c is None else c:>12}" for c in cells))
    return "\n".join(lines)
