"""Answer quality on vendorbench: runs its `score.py` against the CLI and prints the pass rate
of each question type beside its goal, and the checkpoint statuses.

The corpus lives outside the repository (default ../shared/bench/vendorbench, or
VENDORBENCH_DIR); without it this prints why and exits 0, as the other measurements do not
depend on it.

Usage: .venv/bin/python bench/answers.py [--only TYPE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GOALS = {"fallback": 1.0, "eval": 1.0, "rag": 0.9, "abstain": 1.0, "checkpoint": 0.85}
STATUS_GOAL = 0.9


def corpus() -> Path:
    return Path(os.environ.get("VENDORBENCH_DIR", ROOT.parent / "shared" / "bench" / "vendorbench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(GOALS), default=None)
    only = parser.parse_args().only
    score = corpus() / "score.py"
    if not score.exists():
        print(f"vendorbench is not at {score.parent} (set VENDORBENCH_DIR): skipped")
        return
    cli = Path(sys.executable).parent / "vendorintel"
    command = [sys.executable, str(score), "--cli", str(cli), "--json"]
    if only:
        command += ["--only", only]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    report = json.loads(done.stdout)
    print_rates(report)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "answers.json").write_text(json.dumps(report, indent=1), "utf-8")


def print_rates(report: dict[str, Any]) -> None:
    by_type = report.get("questions", {}).get("by_type", {})
    print(f"{'type':<11} {'passed':>9} {'rate':>6} {'goal':>6}")
    for kind, goal in GOALS.items():
        graded = by_type.get(kind)
        if not graded:
            continue
        passed, total = graded["passed"], graded["total"]
        mark = "ok" if passed / total >= goal else "below"
        print(f"{kind:<11} {passed:>4}/{total:<4} {passed / total:>6.0%} {goal:>6.0%}  {mark}")
    questions = report.get("questions", {})
    print(f"{'all':<11} {questions.get('passed')}/{questions.get('total')}")
    statuses = report.get("checkpoints")
    if isinstance(statuses, dict) and statuses.get("max"):
        rate = statuses["score"] / statuses["max"]
        print(f"checkpoint statuses {statuses['score']}/{statuses['max']} {rate:.0%} "
              f"(goal {STATUS_GOAL:.0%})")  # fmt: skip


if __name__ == "__main__":
    main()
