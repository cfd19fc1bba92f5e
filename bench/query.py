"""Answer latency on a generated index, and the HTTP API under concurrent load.

In one warm process, each in its own loop over the same questions (per question the median of
three passes; then median and p95 over the questions): the bare Qdrant query of a question's
vector, the query embedding, retrieval (hybrid, with focus), and a full extractive `ask`; and
`ask_first_time`, a single pass before the others on an empty cache of sentence vectors, as a
question over passages never answered from before. Goals: ask within 5x (bare query + one
query embedding), median under 300 ms at 10,000 chunks.
Then `vendorintel serve` over the same index, asked by concurrent clients from this process for
a fixed time: throughput, p95 and errors (goal: none).

Usage: .venv/bin/python bench/query.py [--files 160] [--clients 8] [--seconds 30]
(160 files make about 2,000 chunks; --files 800 about 10,000. The index is kept in
data/bench-query-<files>, so a second run does not embed again.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from common import free_port, save  # bench/ is the script's folder
from corpus import TOPICS, VENDORS, build
from llama_index.core.vector_stores.types import VectorStoreQuery

from assistant.app import VendorIntel
from assistant.core.settings import PROJECT_ROOT, Settings
from assistant.storage.embedding_cache import EmbeddingCache

QUESTIONS = [
    f"What is the {topic} of {vendor} in FY{2023 + n % 5}?"
    for n, (topic, vendor) in enumerate(
        (TOPICS[i % len(TOPICS)], VENDORS[i % len(VENDORS)]) for i in range(30)
    )
]


def ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 1),
    }


def timings(action: Callable[[str], object], repeats: int = 3) -> list[float]:
    """Milliseconds of the action on each question, the median over `repeats` passes."""
    passes = []
    for _ in range(repeats):
        passes.append([])
        for question in QUESTIONS:
            started = time.perf_counter()
            action(question)
            passes[-1].append(ms(started))
    return [statistics.median(values) for values in zip(*passes, strict=True)]


def in_process(settings: Settings, scratch: Path) -> dict[str, object]:
    """Each stage timed in its own loop over the same questions, in one warm process."""
    intel = VendorIntel(settings)
    intel.ingest(progress=False)
    # Answers embed the sentences they score and keep them in the embedding cache. An empty
    # cache of their own makes the first pass pay for that, as a new question does.
    space = intel.embedding_cache.space
    intel.__dict__["embedding_cache"] = EmbeddingCache(scratch / "sentences.sqlite3", space)
    model = intel.embed_model
    model.get_query_embedding("warm up")
    first_asks = timings(intel.ask, repeats=1)
    vectors = {question: model.get_query_embedding(question) for question in QUESTIONS}
    top_k = settings.answering.top_k

    def bare_query(question: str) -> object:
        dense = VectorStoreQuery(query_embedding=vectors[question], similarity_top_k=top_k)
        return intel.store.vector_store.query(dense)

    def retrieval(question: str) -> object:
        focus = intel.answering.focus(question)
        return intel.answering.search(
            question, vectors[question], None, settings.answering.top_k, focus=focus
        )

    times = {
        "embed": timings(model.get_query_embedding),
        "bare_query": timings(bare_query),
        "retrieval": timings(retrieval),
        "ask": timings(intel.ask),
        "ask_first_time": first_asks,
    }
    chunks = intel.store.count()
    intel.close()
    report: dict[str, object] = {"chunks": chunks}
    report.update({name: summary(values) for name, values in times.items()})
    floor = statistics.median(times["bare_query"]) + statistics.median(times["embed"])
    for name in ("ask", "ask_first_time"):
        report[f"{name}_over_bare_plus_embedding"] = round(
            statistics.median(times[name]) / floor, 2
        )
    return report


def under_load(settings: Settings, clients: int, seconds: float) -> dict[str, object]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "VENDORINTEL_DATA_DIR": str(settings.data_dir),
        "VENDORINTEL_INBOX": str(settings.inbox_dir),
        "VENDORINTEL_WATCH_INBOX": "false",
        "VENDORINTEL_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "assistant.shells.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        latencies: list[float] = []
        errors: list[str] = []
        stop = time.monotonic() + seconds

        def client(offset: int) -> None:
            with httpx.Client(base_url=url, timeout=60) as http:
                n = offset
                while time.monotonic() < stop:
                    started = time.perf_counter()
                    question = QUESTIONS[n % len(QUESTIONS)]
                    try:
                        response = http.post("/api/ask", json={"question": question})
                        if response.status_code != 200:
                            errors.append(f"HTTP {response.status_code}")
                    except httpx.HTTPError as exc:
                        errors.append(type(exc).__name__)
                    latencies.append(ms(started))
                    n += 1

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 2),
        **summary(latencies),
        "errors": len(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=160)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench/results/query.json")
    args = parser.parse_args()
    work = PROJECT_ROOT / "data" / f"bench-query-{args.files}"
    build(work / "inbox", args.files)
    settings = Settings(data_dir=work / "data", inbox=work / "inbox", watch_inbox=False)
    with tempfile.TemporaryDirectory() as scratch:
        report = {"in_process": in_process(settings, Path(scratch))}
    report["http_load"] = under_load(settings, args.clients, args.seconds)
    print(json.dumps(report, indent=2))
    print(
        "goals: ask and ask_first_time median < 300 ms; their share over bare query plus "
        "embedding <= 5; HTTP errors = 0"
    )
    save(report, args.out)


if __name__ == "__main__":
    main()
