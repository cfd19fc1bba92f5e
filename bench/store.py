"""The chunk store at scale: the product's own store filled with synthetic chunks, then opened
in a fresh process and queried, for Qdrant Edge (the embedded default) and, with
`--engine local`, qdrant-client's local mode (the embedded store of earlier versions) running
the same query plan.

Each chunk has a random unit 384-d vector, about 800 characters of text drawn from a 20,000-word
vocabulary (about 60 keyword terms) and the product's payload (vendors, doc_type, doc_id).
Figures, medians over 30 queries (10 on local mode, whose keyword queries take seconds):
reopening the store (a process start), dense top-30, dense top-30 filtered by vendor, sparse
top-30, hybrid (both prefetches fused in the engine), the full retrieval through llama-index
(hybrid, nodes rebuilt, cosine scores), and the process's peak memory. Goals at 100,000 chunks:
open under 1 s, retrieval under 20 ms, memory under 1.2 GB.

Usage: .venv/bin/python bench/store.py [--chunks 10000 100000] [--engine edge local]
    [--work data/bench-store] [--out bench/results/store.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from common import print_table, save  # bench/ is the script's folder
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
)
from qdrant_client import QdrantClient

from assistant.core.settings import PROJECT_ROOT
from assistant.storage.edge import EdgeEngine
from assistant.storage.plan import Engine, Plan, Sparse
from assistant.storage.server import ServerEngine
from assistant.storage.sparse import encode_queries
from assistant.storage.vector_store import HybridVectorStore

VENDORS = [f"Vendor {n}" for n in range(20)]
DOC_TYPES = ["news", "earnings", "contract", "roadmap", "eval"]
WORDS = [f"w{n}" for n in range(20_000)]
BATCH = 1000
QUERIES = {"edge": 30, "local": 10}
GOALS = {"open_s": "< 1 s", "retrieval_ms": "< 20 ms", "peak_mb": "< 1200"}


def engine_at(kind: str, path: Path) -> Engine:
    if kind == "edge":
        return EdgeEngine(path / "edge")
    return ServerEngine(QdrantClient(path=str(path / "local")), "bench")


def chunks(count: int, seed: int = 0) -> Iterator[list[TextNode]]:
    """Batches of embedded chunks, the same for every engine."""
    rng = np.random.default_rng(seed)
    for start in range(0, count, BATCH):
        batch = []
        for n in range(start, min(count, start + BATCH)):
            vector = rng.normal(size=384).astype(np.float32)
            words = rng.choice(len(WORDS), 120)  # about 60 distinct terms once stop words go
            doc = f"doc-{n // 20}.md"
            node = TextNode(
                text=" ".join(WORDS[i] for i in words),
                embedding=(vector / np.linalg.norm(vector)).tolist(),
                metadata={
                    "vendors": [VENDORS[n % len(VENDORS)]],
                    "doc_type": DOC_TYPES[n % len(DOC_TYPES)],
                    "source": doc,
                    "chunk": n % 20,
                },
            )
            node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=doc)
            batch.append(node)
        yield batch


def fill(kind: str, path: Path, count: int) -> dict[str, float]:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    engine = engine_at(kind, path)
    store = HybridVectorStore(engine)
    started = time.perf_counter()
    for batch in chunks(count):
        store.add(batch)
    engine.flush()
    written = time.perf_counter() - started
    started = time.perf_counter()
    engine.optimize()
    indexed = time.perf_counter() - started
    engine.close()
    return {"write_s": round(written, 1), "index_s": round(indexed, 1)}


def median_ms(action: Callable[[int], object], queries: int) -> float:
    times = []
    for n in range(queries):
        started = time.perf_counter()
        action(n)
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def measure(kind: str, path: Path) -> dict[str, Any]:
    """In this (fresh) process: open the store, then time each kind of query."""
    started = time.perf_counter()
    engine = engine_at(kind, path)
    opened = time.perf_counter() - started
    store = HybridVectorStore(engine)
    rng = np.random.default_rng(1)
    queries = QUERIES[kind]
    questions = [rng.normal(size=384).tolist() for _ in range(queries)]
    texts = [" ".join(rng.choice(WORDS, 8)) for _ in range(queries)]
    keywords = [Sparse(*[v[0] for v in encode_queries([t])]) for t in texts]
    vendor = MetadataFilters(
        filters=[MetadataFilter(key="vendors", value=VENDORS[3], operator=FilterOperator.EQ)]
    )

    def plan(n: int, **kwargs: Any) -> Plan:
        return Plan(dense=questions[n], limit=30, **kwargs)

    def retrieval(n: int) -> object:
        query = VectorStoreQuery(
            query_embedding=questions[n],
            query_str=texts[n],
            similarity_top_k=30,
            sparse_top_k=30,
            hybrid_top_k=16,
            mode=VectorStoreQueryMode.HYBRID,
            alpha=0.7,
        )
        return store.query(query)

    filtered = store.plan(VectorStoreQuery(query_embedding=questions[0], filters=vendor))
    report = {
        "open_s": round(opened, 2),
        "dense_ms": median_ms(lambda n: engine.query(plan(n)), queries),
        "dense_filtered_ms": median_ms(
            lambda n: engine.query(plan(n, conditions=filtered.conditions)), queries
        ),
        "sparse_ms": median_ms(
            lambda n: engine.query(Plan(dense=None, limit=30, sparse=keywords[n])), queries
        ),
        "hybrid_ms": median_ms(
            lambda n: engine.query(plan(n, sparse=keywords[n], sparse_limit=30, alpha=0.7)),
            queries,
        ),
        "retrieval_ms": median_ms(retrieval, queries),
        "chunks": engine.count(),
    }
    report["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    engine.close()
    return report


def in_child(*args: str) -> dict[str, Any]:
    """One phase in its own process, so its open time and peak memory are its own."""
    done = subprocess.run(
        [sys.executable, __file__, "--phase", *args], check=True, capture_output=True, text=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--engine", nargs="+", choices=["edge", "local"], default=["edge"])
    parser.add_argument("--work", type=Path, default=PROJECT_ROOT / "data" / "bench-store")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench/results/store.json")
    parser.add_argument("--phase", nargs=3, help=argparse.SUPPRESS)  # fill|measure KIND N
    args = parser.parse_args()
    if args.phase:
        step, kind, count = args.phase
        path = args.work / f"{kind}-{count}"
        result = fill(kind, path, int(count)) if step == "fill" else measure(kind, path)
        print(json.dumps(result))
        return
    report: dict[str, Any] = {}
    for count in args.chunks:
        for kind in args.engine:
            figures = {
                **in_child("fill", kind, str(count)),
                **in_child("measure", kind, str(count)),
            }
            report[f"{kind} {count}"] = figures
            print_table(figures, f"{kind}, {count:,} chunks", GOALS if count >= 100_000 else {})
            print(flush=True)
    save(report, args.out)


if __name__ == "__main__":
    main()
