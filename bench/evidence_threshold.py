"""Calibrate the insufficient-evidence threshold on the sample inbox.

Prints the best sentence score for questions the samples answer and for questions they do not,
so `min_evidence_score` can sit between the two groups. Usage:
    .venv/bin/python bench/evidence_threshold.py [--out bench/results/evidence_threshold.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.terms import missing_terms
from assistant.app import VendorIntel
from assistant.core.settings import PROJECT_ROOT, Settings

ANSWERABLE = [
    line
    for line in (PROJECT_ROOT / "prompts" / "sample_questions.txt").read_text().splitlines()
    if line and not line.startswith("#")
] + [
    "What uptime does the Anthropic agreement guarantee?",
    "When does the Anthropic contract renew?",
    "Which model is primary for the code review assistant?",
    "What did Alibaba say about capital expenditure on AI infrastructure?",
    "Where is Northwind's data stored under the Alibaba Cloud terms?",
]
UNANSWERABLE = [
    "What is the boiling point of mercury?",
    "Who won the 2018 football world cup?",
    "How many employees does Northwind have in Brazil?",
    "What is the recipe for a classic margherita pizza?",
    "What is Nvidia's gross margin guidance for next year?",
    "Which office plants need the least light?",
    "What did the board decide about the parking garage?",
]


def best_scores(intel: VendorIntel, questions: list[str]) -> list[dict[str, object]]:
    """Best sentence score per question, and the key terms no retrieved passage mentions."""
    answerer = ExtractiveAnswerer(intel.embed_model, min_score=0.0, max_sentences=1)
    rows = []
    for question in questions:
        embedding = intel.embed_model.get_query_embedding(question)
        focus = intel.answering.focus(question)
        hits = intel.answering.search(question, embedding, None, 8, focus=focus)
        scored = answerer.score(embedding, hits, question)
        rows.append(
            {
                "score": round(scored[0][0], 3) if scored else 0.0,
                "missing_terms": missing_terms(question, hits, intel.catalog.names_for),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("bench/results/evidence_threshold.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), inbox=PROJECT_ROOT / "samples" / "inbox")
        intel = VendorIntel(settings)
        intel.ingest(progress=False)
        result = {
            "answerable": dict(zip(ANSWERABLE, best_scores(intel, ANSWERABLE), strict=True)),
            "unanswerable": dict(zip(UNANSWERABLE, best_scores(intel, UNANSWERABLE), strict=True)),
            "threshold": settings.answering.min_evidence_score,
        }
        intel.close()
    for group in ("answerable", "unanswerable"):
        print(f"\n{group}:  score  missing terms  question")
        for question, row in result[group].items():
            print(f"  {row['score']:5.3f}  {row['missing_terms'] or '-'}  {question}")
    low = min(float(r["score"]) for r in result["answerable"].values())
    high = max(float(r["score"]) for r in result["unanswerable"].values() if not r["missing_terms"])
    print(
        f"\nlowest answerable {low:.3f}; highest unanswerable not caught by missing terms "
        f"{high:.3f}; threshold {result['threshold']}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
