"""Retrieval quality on the FinanceBench development split, product and plain dense baseline
side by side (`vendorintel eval --compare`).

Turns the split into an inbox (one Markdown file per page at <doc_name>/page-<page>.md, with
company, document type and period in front matter) and a dataset in `vendorintel eval`'s form,
ingests it into its own data dir, checks how much of each chunk the embedding model reads, and
runs the evaluation. Each embedding backend gets its own index (torch's in WORK/data, the
others' in WORK/data-BACKEND), so backends are compared on indexes they built themselves. Usage:
    .venv/bin/python bench/financebench.py [--backend torch|onnx|onnx-int8]
        [--split ../shared/bench/financebench] [--work data/financebench]
        [--out bench/results/financebench-BACKEND.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import get_args

import yaml

from assistant.core.settings import PROJECT_ROOT, EmbeddingBackend, EmbeddingSettings

FILING = {"10k": "10-K", "10q": "10-Q", "8k": "8-K", "Earnings": "earnings release"}


def page_markdown(page: dict[str, object]) -> str:
    filing = FILING.get(str(page["doc_type"]), str(page["doc_type"]))
    front = {
        "title": f"{page['company']} {filing} {page['doc_period']}, page {page['page']}",
        "doc_type": "earnings",
        "vendors": [page["company"]],
        "period": str(page["doc_period"]),
    }
    header = yaml.safe_dump(front, sort_keys=False, allow_unicode=True)
    return f"---\n{header}---\n\n{page['text']}\n"


def write_if_changed(path: Path, text: str) -> None:
    """Unchanged files keep their bytes, so a second run re-embeds nothing."""
    if path.exists() and path.read_text("utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def build_inbox(split: Path, inbox: Path) -> int:
    count = 0
    for line in (split / "pages.jsonl").read_text("utf-8").splitlines():
        page = json.loads(line)
        write_if_changed(inbox / page["doc_name"] / f"page-{page['page']}.md", page_markdown(page))
        count += 1
    return count


def build_dataset(split: Path, dataset: Path) -> int:
    rows = []
    for line in (split / "dev.jsonl").read_text("utf-8").splitlines():
        q = json.loads(line)
        gold = [f"{g['doc_name']}/page-{g['page']}.md" for g in q["gold"]]
        rows.append(json.dumps({"id": q["id"], "question": q["question"], "gold_sources": gold}))
    write_if_changed(dataset, "\n".join(rows) + "\n")
    return len(rows)


def embedded_lengths(data_dir: Path, inbox: Path, backend: str) -> dict[str, float]:
    """What the embedding model actually reads of the indexed chunks (title and metadata
    included): token counts against its input limit."""
    from llama_index.core.schema import MetadataMode

    from assistant.app import VendorIntel
    from assistant.core.settings import Settings
    from assistant.providers.embeddings import model_token_counts

    # The backend that built the index: opened with another, the index would be rebuilt.
    settings = Settings(
        data_dir=data_dir, inbox=inbox, watch_inbox=False, embedding_backend=backend
    )
    intel = VendorIntel(settings)
    try:
        nodes = intel.store.vector_store.get_nodes()
        texts = [node.get_content(metadata_mode=MetadataMode.EMBED) for node in nodes]
        counts, limit = model_token_counts(texts)
    finally:
        intel.close()
    ordered = sorted(counts)
    return {
        "chunks": len(counts),
        "model_limit": limit,
        "median_tokens": ordered[len(ordered) // 2],
        "p95_tokens": ordered[int(len(ordered) * 0.95)],
        "truncated_share": round(sum(c > limit for c in counts) / len(counts), 3),
    }


def default_backend() -> str:
    return str(EmbeddingSettings.model_fields["embedding_backend"].default)


def vendorintel(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "assistant.shells.cli", *args]
    return subprocess.run(command, env=env, text=True, capture_output=True, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = PROJECT_ROOT.parent / "shared" / "bench" / "financebench"
    parser.add_argument("--split", type=Path, default=shared)
    parser.add_argument("--work", type=Path, default=PROJECT_ROOT / "data" / "financebench")
    parser.add_argument("--backend", choices=get_args(EmbeddingBackend), default=default_backend())
    parser.add_argument("--out", type=Path, help="default bench/results/financebench-BACKEND.json")
    args = parser.parse_args()
    out = args.out or PROJECT_ROOT / f"bench/results/financebench-{args.backend}.json"
    data_dir = args.work / ("data" if args.backend == "torch" else f"data-{args.backend}")
    inbox, dataset = args.work / "inbox", args.work / "dev.jsonl"
    pages = build_inbox(args.split, inbox)
    questions = build_dataset(args.split, dataset)
    print(f"{pages} pages in {inbox}, {questions} questions in {dataset}", flush=True)
    env = {
        **os.environ,
        "VENDORINTEL_DATA_DIR": str(data_dir),
        "VENDORINTEL_INBOX": str(inbox),
        "VENDORINTEL_WATCH_INBOX": "false",
        "VENDORINTEL_EMBEDDING_BACKEND": args.backend,
        "VENDORINTEL_MODEL_CACHE_DIR": str(args.work / "models"),
    }
    ingest = vendorintel(env, "ingest")
    print(ingest.stdout.strip(), ingest.stderr.strip()[-2000:], sep="\n", flush=True)
    lengths = embedded_lengths(data_dir, inbox, args.backend)
    print(f"what the model reads: {lengths}", flush=True)
    evaluation = vendorintel(env, "eval", "--dataset", str(dataset), "--compare", "--json")
    if evaluation.returncode != 0:
        sys.exit(evaluation.stderr)
    report = {"backend": args.backend, **json.loads(evaluation.stdout), "chunks": lengths}
    from common import save  # bench/ is the script's folder

    from assistant.answering.evaluation import render_table

    print(render_table(report))
    save(report, out)


if __name__ == "__main__":
    main()
