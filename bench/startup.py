"""Start-up costs: the command line for commands that need no model, and `vendorintel serve`
until its first answered question (model load included).

Runs over a copy of samples/inbox, already ingested, in a temporary folder. Usage:
    .venv/bin/python bench/startup.py [--repeats 5] [--out bench/results/startup.json]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from common import free_port, print_table, save  # bench/ is the script's folder

from assistant.core.settings import PROJECT_ROOT

QUESTION = "What is our fallback for contract clause extraction?"


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def loads_a_model_runtime(args: list[str], env: dict[str, str]) -> bool:
    """Whether the command imports torch or onnxruntime (read from -X importtime)."""
    command = [sys.executable, "-X", "importtime", "-m", "assistant.shells.cli", *args]
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    return bool(imported & {"torch", "onnxruntime"})


def serve_to_first_answer(cli: list[str], env: dict[str, str]) -> float:
    port = free_port()
    url = f"http://127.0.0.1:{port}/api/ask"
    started = time.perf_counter()
    process = subprocess.Popen(
        [*cli, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < 300:
            try:
                if httpx.post(url, json={"question": QUESTION}, timeout=60).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("serve did not answer within 300 s")
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench/results/startup.json")
    args = parser.parse_args()
    cli = [sys.executable, "-m", "assistant.shells.cli"]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        shutil.copytree(PROJECT_ROOT / "samples" / "inbox", root / "inbox")
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "VENDORINTEL_DATA_DIR": str(root / "data"),
            "VENDORINTEL_INBOX": str(root / "inbox"),
            "VENDORINTEL_WATCH_INBOX": "false",
        }
        subprocess.run([*cli, "ingest"], env=env, check=True, capture_output=True)
        runs = {
            "help_s": [timed([*cli, "--help"], env) for _ in range(args.repeats)],
            "documents_s": [timed([*cli, "documents"], env) for _ in range(args.repeats)],
            "ask_cli_s": [timed([*cli, "ask", QUESTION], env) for _ in range(args.repeats)],
            "serve_to_first_answer_s": [serve_to_first_answer(cli, env) for _ in range(3)],
        }
        report: dict[str, object] = {
            name: round(statistics.median(values), 2) for name, values in runs.items()
        }
        for command in ("--help", "documents"):
            report[f"{command.strip('-')}_loads_torch_or_onnxruntime"] = loads_a_model_runtime(
                [command], env
            )
    goals = {
        "help_loads_torch_or_onnxruntime": "False",
        "documents_loads_torch_or_onnxruntime": "False",
    }
    print_table(report, "measure (median seconds)", goals)
    save(report, args.out)


if __name__ == "__main__":
    main()
