"""What the benchmark scripts share: a free loopback port, and saving and printing a report."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.app import VendorIntel
from assistant.core.settings import Settings

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding


def open_service(root: Path, model: BaseEmbedding | None = None) -> VendorIntel:
    """The service over root/inbox and root/data, without the inbox watcher."""
    settings = Settings(data_dir=root / "data", inbox=root / "inbox", watch_inbox=False)
    return VendorIntel(settings, embed_model=model)


def timed(action: Callable[[], object]) -> float:
    """Seconds the action took."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


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
