"""Answer latency on a generated index, and the HTTP API under concurrent load.

In one warm process: the bare Qdrant query of a question's vector, the query embedding,
retrieval (hybrid, with focus), and a full extractive `ask`, median and p95 over the questions.
Goals: ask within 5x (bare query + one query embedding), median under 300 ms at 10,000 chunks.
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
import threading
import time
from pathlib import Path

import httpx
from common import free_port, save  # bench/ is the script's folder
from corpus import TOPICS, VENDORS, build

from assistant.service import VendorIntel
from assistant.settings import PROJECT_ROOT, Settings

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


def in_process(settings: Settings) -> dict[str, object]:
    intel = VendorIntel(settings)
    intel.ingest(progress=False)
    model, client = intel.embed_model, intel.store.client
    intel.ask(QUESTIONS[0])  # warm: model, keyword index, caches
    times: dict[str, list[float]] = {"embed": [], "bare_query": [], "retrieval": [], "ask": []}
    for question in QUESTIONS:
        started = time.perf_counter()
        vector = model.get_query_embedding(question)
        times["embed"].append(ms(started))
        started = time.perf_counter()
        client.query_points(
            intel.store.collection,
            query=vector,
            using=intel.store.vector_store.dense_vector_name,
            limit=settings.top_k,
            with_payload=True,
        )
        times["bare_query"].append(ms(started))
        started = time.perf_counter()
        focus = intel.answering.focus(question)
        intel.answering.search(question, vector, None, settings.top_k, focus=focus)
        times["retrieval"].append(ms(started))
        started = time.perf_counter()
        intel.ask(question)
        times["ask"].append(ms(started))
    chunks = intel.store.count()
    intel.close()
    report: dict[str, object] = {"chunks": chunks}
    report.update({name: summary(values) for name, values in times.items()})
    floor = statistics.median(times["bare_query"]) + statistics.median(times["embed"])
    report["ask_over_bare_plus_embedding"] = round(statistics.median(times["ask"]) / floor, 2)
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
    command = [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)]
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
    report = {"in_process": in_process(settings)}
    report["http_load"] = under_load(settings, args.clients, args.seconds)
    print(json.dumps(report, indent=2))
    print("goals: ask median < 300 ms; ask_over_bare_plus_embedding <= 5; errors = 0")
    save(report, args.out)


if __name__ == "__main__":
    main()
