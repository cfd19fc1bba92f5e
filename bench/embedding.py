"""The embedding backends side by side, in one run on the same chunk texts, and the default
backend chosen by the rule: the fastest (chunks per second; within 5%, the faster question
embedding) whose FinanceBench hit@10 and MRR@10 stay within one point of torch's.

Per backend: chunks per second (median over repeats), one question's embedding and the
answerer's 24 sentences (median ms), cosine of its vectors against torch's (min and mean), and
the time to load it (the ONNX export included on first use). Quality comes from
bench/results/financebench-BACKEND.json, written by `bench/financebench.py --backend BACKEND`.

Usage: .venv/bin/python bench/embedding.py [--chunks 400] [--repeats 3]
    [--out bench/results/embedding.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, get_args

import numpy as np
from common import print_table, save  # bench/ is the script's folder, first on the path
from corpus import build
from llama_index.core.node_parser import SentenceSplitter

from assistant.core.settings import PROJECT_ROOT, EmbeddingBackend, EmbeddingSettings, Settings
from assistant.providers.embeddings import load_embedding_model

QUESTION = "What is our fallback for contract clause extraction if qwen-max is unavailable?"
RESULTS = PROJECT_ROOT / "bench" / "results"
TOLERANCE = 0.01  # one point of hit@10 and MRR@10
SAME_SPEED = 0.05


def chunk_texts(count: int) -> list[str]:
    """Chunk-sized texts: the sample inbox's real notes, then the generated corpus."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    splitter = SentenceSplitter(chunk_size=settings.embedding.chunk_size, chunk_overlap=0)
    with tempfile.TemporaryDirectory() as folder:
        generated = build(Path(folder), max(count // 5, 10))
        files = sorted((PROJECT_ROOT / "samples" / "inbox").rglob("*.*")) + generated
        texts: list[str] = []
        for path in files:
            if path.suffix in {".md", ".txt", ".csv", ".jsonl", ".html", ".yaml"}:
                texts += splitter.split_text(path.read_text("utf-8", errors="replace"))
    return texts[:count]


def median_s(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(
    backend: str, texts: list[str], reference: np.ndarray | None, args: Any
) -> dict[str, Any]:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    started = time.perf_counter()
    model = load_embedding_model(backend, args.models, settings.embedding.embed_batch_size)  # type: ignore[arg-type]
    load_s = time.perf_counter() - started
    model.get_text_embedding_batch(texts[:8])  # the first run allocates
    vectors = np.array(model.get_text_embedding_batch(texts))
    chunks_s = median_s(lambda: model.get_text_embedding_batch(texts), args.repeats)
    sentences = [text[:160] for text in texts[:24]]
    row: dict[str, Any] = {
        "load_s": round(load_s, 2),
        "chunks_per_s": round(len(texts) / chunks_s, 1),
        "question_ms": round(1000 * median_s(lambda: model.get_query_embedding(QUESTION), 15), 1),
        "sentences_24_ms": round(
            1000 * median_s(lambda: model.get_text_embedding_batch(sentences), 7), 1
        ),
    }
    if reference is not None:
        cosines = (vectors * reference).sum(axis=1)
        row["cosine_min"] = round(float(cosines.min()), 5)
        row["cosine_mean"] = round(float(cosines.mean()), 5)
    row["vectors"] = vectors
    return row


def batch_sizes(texts: list[str], args: Any) -> dict[str, float]:
    """Chunks per second of the default backend with each number of texts per model run."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    rates = {}
    for size in (8, 16, 32, 64):
        model = load_embedding_model(settings.embedding.embedding_backend, args.models, size)
        seconds = median_s(partial(model.get_text_embedding_batch, texts), args.repeats)
        marker = " (default)" if size == settings.embedding.embed_batch_size else ""
        rates[f"{size}{marker}"] = round(len(texts) / seconds, 1)
    return rates


def quality(backend: str) -> dict[str, float] | None:
    path = RESULTS / f"financebench-{backend}.json"
    if not path.exists():
        return None
    product = json.loads(path.read_text("utf-8"))["product"]
    return {"hit@10": product["hit@10"], "mrr@10": product["mrr@10"]}


def choose(rows: dict[str, dict[str, Any]]) -> tuple[str | None, str]:
    """The fastest backend whose quality is within one point of torch's, and why."""
    base = rows["torch"].get("quality")
    if base is None:
        return None, "torch's FinanceBench figures are missing"
    qualifying = [
        name
        for name, row in rows.items()
        if row.get("quality")
        and all(row["quality"][m] >= base[m] - TOLERANCE for m in ("hit@10", "mrr@10"))
    ]
    # Throughputs within SAME_SPEED of the best are a tie (repeats vary by about that much),
    # broken by how fast a question is embedded, which every answer waits for.
    best = max(rows[name]["chunks_per_s"] for name in qualifying)
    tied = [name for name in qualifying if rows[name]["chunks_per_s"] >= best * (1 - SAME_SPEED)]
    fastest = min(tied, key=lambda name: rows[name]["question_ms"])
    unmeasured = [name for name, row in rows.items() if row.get("quality") is None]
    note = (
        f"not measured on FinanceBench: {', '.join(unmeasured)}" if unmeasured else "all measured"
    )
    return fastest, note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", type=Path, help="where ONNX exports go (default: a temp dir)")
    parser.add_argument("--out", type=Path, default=RESULTS / "embedding.json")
    args = parser.parse_args()
    texts = chunk_texts(args.chunks)
    rows: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as folder:
        args.models = (args.models or Path(folder)).resolve()
        reference = None
        for backend in get_args(EmbeddingBackend):
            rows[backend] = measure(backend, texts, reference, args)
            reference = rows["torch"]["vectors"]
        batches = batch_sizes(texts, args)
    for name, row in rows.items():
        del row["vectors"]
        row["speedup"] = round(row["chunks_per_s"] / rows["torch"]["chunks_per_s"], 2)
        row["quality"] = quality(name)
    chosen, note = choose(rows)
    default = str(EmbeddingSettings.model_fields["embedding_backend"].default)
    print(f"{len(texts)} chunk texts, {args.repeats} repeats\n")
    for name, row in rows.items():
        flat = {k: v for k, v in row.items() if k != "quality"} | {
            f"financebench_{k}": v for k, v in (row["quality"] or {}).items()
        }
        print_table(flat, name, {"cosine_min": ">= 0.999 (fp32)"} if name == "onnx" else {})
        print()
    print_table(batches, "default backend, texts per model run")
    print(f"\nrule's choice: {chosen} ({note}); product default: {default}")
    if chosen and chosen != default:
        print("!! the product default is not the rule's choice")
    save(
        {"chunks": len(texts), "backends": rows, "rule_choice": chosen, "default": default},
        args.out,
    )


if __name__ == "__main__":
    main()
