"""Splitting a large file into chunks, without embedding: seconds per megabyte of prose and of
a Markdown table, at two sizes side by side, so a split that grows faster than the file shows
as a rising ratio.

Usage: .venv/bin/python bench/splitting.py [--megabytes 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from common import print_table, save  # bench/ is the script's folder, first on the path
from llama_index.core import Document

from ingest.chunking import LocatedSplitter
from ingest.documents import SectionSpan

HERE = Path(__file__).resolve().parent
WORDS = [
    *("the", "vendor", "review", "repeats", "its", "findings"),
    *("on", "pricing", "fallback", "models", "and", "terms"),
]


def prose(megabytes: float) -> str:
    rng = random.Random(7)
    paragraphs, size = [], 0
    while size < megabytes * (1 << 20):
        paragraph = " ".join(rng.choice(WORDS) for _ in range(60)) + "."
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
    return "\n\n".join(paragraphs)


def table(megabytes: float) -> str:
    rows = ["| Metric | Q3 2026 | Q3 2025 | Change |", "|---|---|---|---|"]
    size, n = 0, 0
    while size < megabytes * (1 << 20):
        rows.append(f"| Segment {n} | ${n}.{n % 10}bn | ${n + 1}.5bn | +{n % 40}.2% |")
        size += len(rows[-1]) + 1
        n += 1
    return "\n".join(rows)


def seconds_to_split(text: str, repeats: int) -> float:
    """Median seconds to split the text as one section of one document."""
    section = SectionSpan(0, len(text), "lines", 1, [], False)
    meta = {"source": "bench.md", "title": "Bench", "doc_type": "note"}
    document = Document(text=text, metadata={**meta, "sections": [section.to_metadata()]})
    splitter = LocatedSplitter()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        splitter([document])
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    seconds_to_split("Warm up the sentence tokenizer.", 1)
    report: dict[str, float] = {}
    for kind, make in (("prose", prose), ("table", table)):
        small = seconds_to_split(make(args.megabytes / 4), args.repeats)
        large = seconds_to_split(make(args.megabytes), args.repeats)
        report[f"{kind}_{args.megabytes / 4:g}MB_s"] = round(small, 2)
        report[f"{kind}_{args.megabytes:g}MB_s"] = round(large, 2)
        report[f"{kind}_time_ratio_for_4x_size"] = round(large / small, 2)
    goals = {k: "about 4 (linear)" for k in report if k.endswith("ratio_for_4x_size")}
    print_table(report, "splitting", goals)
    save(report, HERE / "results" / "splitting.json")


if __name__ == "__main__":
    main()
