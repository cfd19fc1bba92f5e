"""What following questions costs ingestion, in one run over two copies of the sample index.

- ingesting one unrelated file with 100 followed questions, against ingesting one with none
  (the same kind of file, a different one each time, so neither is in the embedding cache):
  median ratio over repeats, taken in alternating order; goal: at most 1.10
- the followed questions re-answered for such a file (goal: 0)
- from the drop of a file that changes a followed answer to its change being recorded, in
  the process (`ingest` returns after the re-check); under `serve` the watcher adds its
  settle time (VENDORINTEL_SETTLE_SECONDS, 1 s)

Usage: .venv/bin/python bench/watchlist.py [--repeats 15] [--out bench/results/watchlist.json]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
from dataclasses import replace
from pathlib import Path

from common import open_service, print_table, save, timed  # bench/: first on the path

from assistant.app import VendorIntel
from assistant.core.models import Answer
from assistant.core.settings import PROJECT_ROOT

SAMPLES = PROJECT_ROOT / "samples" / "inbox"
FOLLOWED = 100
TEMPLATES = (
    "What is our fallback for {workflow}?",
    "Did quality drop for {workflow} after the last model update?",
    "Can we roll back {workflow} to an earlier model version?",
    "What does {vendor} commit to in its contract?",
    "What did {vendor} announce recently?",
    "How much does {vendor} charge per 1K tokens?",
    "Which workflows depend on {vendor}?",
    "Does {vendor} publish a roadmap we can plan on?",
    "What is the uptime target for {workflow}?",
    "Who owns {workflow} and how critical is it?",
    "How much deprecation notice does {vendor} give?",
    "Has {vendor} had an outage this year?",
    "Who leads AI at {vendor}?",
    "What are the latest eval results for {workflow}?",
    "Is {vendor} a safe bet for the next 90 days?",
    "What changed in {vendor}'s pricing?",
)
WORDS = (
    "office", "canteen", "parking", "badge", "elevator", "garden", "meeting", "room", "lease",
    "heating", "lighting", "desk", "shuttle", "bicycle", "locker", "reception", "catering",
)  # fmt: skip


def questions(intel: VendorIntel) -> list[str]:
    workflows = [w.name for w in intel.workflows()]
    vendors = intel.vendors()
    asked = [t.format(workflow=w, vendor=v) for t in TEMPLATES for w in workflows for v in vendors]
    return list(dict.fromkeys(asked))[:FOLLOWED]


def unrelated_note(seed: int) -> str:
    """A facilities note: no vendor, no model, nothing a followed question asks about."""
    rng = random.Random(seed)
    sentences = [
        f"The {rng.choice(WORDS)} on floor {rng.randint(1, 30)} gets a new {rng.choice(WORDS)} "
        f"in week {rng.randint(1, 52)}, for {rng.randint(2, 400)} staff."
        for _ in range(12)
    ]
    return f"---\ntitle: Facilities note {seed}\npublished: 2026-11-20\n---\n\n" + " ".join(
        sentences
    )


def ingest_one(intel: VendorIntel, seed: int) -> float:
    path = intel.settings.inbox_dir / "notes" / f"facilities-{seed}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(unrelated_note(seed), "utf-8")
    return timed(lambda: intel.ingest([path], progress=False))


def count_answers(intel: VendorIntel) -> list[str]:
    asked: list[str] = []
    reader = intel.watchlist.reader

    def counted(question: str, vendor: str | None) -> Answer:
        asked.append(question)
        return reader.ask(question, vendor)

    intel.watchlist.reader = replace(reader, ask=counted)
    return asked


def drop_to_change(intel: VendorIntel) -> float:
    """A notice retiring the fallback model of the first workflow: until its change."""
    workflow = intel.workflows()[0]
    note = intel.settings.inbox_dir / "contracts" / "retirement-notice.md"
    note.write_text(
        f"---\ntitle: Retirement notice\ndoc_type: contract\npublished: 2026-11-25\nvendors: "
        f"[{workflow.fallback_vendor}]\n---\n\n{workflow.fallback_vendor} retires the "
        f"{workflow.fallback_model} model on 2027-01-31; its API stops answering then.\n",
        "utf-8",
    )
    before = {f.id: f.last_change for f in intel.watchlist.followed()}
    elapsed = timed(lambda: intel.ingest([note], progress=False))
    after = {f.id: f.last_change for f in intel.watchlist.followed()}
    assert after != before, "the retirement notice changed no followed answer"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench/results/watchlist.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        plain_root, following_root = Path(folder) / "plain", Path(folder) / "following"
        shutil.copytree(SAMPLES, plain_root / "inbox")
        plain = open_service(plain_root)
        plain.ingest(progress=False)
        plain.close()
        shutil.copytree(plain_root, following_root)  # the same index, ingested once
        plain = open_service(plain_root)
        following = open_service(following_root, plain.embed_model)
        for question in questions(following):
            following.watchlist.follow(question)
        asked = count_answers(following)
        ingest_one(plain, -1), ingest_one(following, -2)  # warm: readers and splitter loaded

        ratios, times = [], {"plain": [], "following": []}
        for repeat in range(args.repeats):
            order = [("plain", plain), ("following", following)]
            for name, intel in order if repeat % 2 == 0 else order[::-1]:
                times[name].append(ingest_one(intel, 2 * repeat + (name == "following")))
            ratios.append(times["following"][-1] / times["plain"][-1])
        reanswered = len(asked) / args.repeats
        drop = drop_to_change(following)
        followed = len(following.watchlist.followed())
        plain.close()
        following.close()
    report = {
        "followed questions": followed,
        "unrelated file, none followed (median s)": round(statistics.median(times["plain"]), 4),
        "unrelated file, 100 followed (median s)": round(statistics.median(times["following"]), 4),
        "cost ratio (median)": round(statistics.median(ratios), 3),
        "re-answered per unrelated file": reanswered,
        "drop to recorded change (s)": round(drop, 3),
    }
    print_table(
        report,
        "watchlist",
        {"cost ratio (median)": "<= 1.10", "re-answered per unrelated file": "0"},
    )
    save(report, args.out)


if __name__ == "__main__":
    main()
