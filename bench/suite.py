"""Every benchmark in one run, each printing its figures beside their goals (what `make bench`
runs). Sizes:
- small (default, a few minutes): about 2,000 chunks for ingestion and queries, the chunk
  store at 10,000; the backends' speed; the backend rule uses the FinanceBench figures of the
  last full run, if any.
- both end with answer quality on vendorbench (about five minutes), when its corpus is there.
- full (about an hour and a half): about 10,000 chunks, FinanceBench with every embedding
  backend, and the chunk store at 10,000 and 100,000 chunks beside local mode.

Usage: .venv/bin/python bench/suite.py [--size small|full]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import get_args

from assistant.core.settings import EmbeddingBackend

HERE = Path(__file__).resolve().parent
FILES = {"small": 160, "full": 800}


def run(script: str, *args: str) -> None:
    print(f"\n=== {script} {' '.join(args)}".rstrip(), flush=True)
    subprocess.run([sys.executable, str(HERE / script), *args], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(FILES), default="small")
    size = parser.parse_args().size
    files = str(FILES[size])
    if size == "full":
        for backend in get_args(EmbeddingBackend):
            run("financebench.py", "--backend", backend)
    run("embedding.py")
    run("ingestion.py", "--files", files)
    run("splitting.py")
    run("query.py", "--files", files)
    if size == "full":
        run("store.py", "--chunks", "10000", "100000", "--engine", "edge", "local")
    else:
        run("store.py", "--chunks", "10000")
    run("startup.py")
    run("watchlist.py")
    run("signals.py")
    run("answers.py")


if __name__ == "__main__":
    main()
