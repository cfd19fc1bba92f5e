"""What the benchmark scripts share: a free loopback port, and saving and printing a report."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def print_table(report: dict[str, Any], heading: str, goals: dict[str, str] | None = None) -> None:
    """One line per figure, with its goal when it has one."""
    goals = goals or {}
    width = max(len(heading), *(len(name) for name in report)) + 4
    print(f"{heading:{width}}{'value':>12}  {'goal' if goals else ''}".rstrip())
    for name, value in report.items():
        print(f"{name:{width}}{value!s:>12}  {goals.get(name, '')}".rstrip())


def save(report: dict[str, Any], out: Path) -> None:
    """Write the report as JSON (the folder is made when missing) and say where."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print(f"\nwritten to {out}")
