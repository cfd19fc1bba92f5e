"""A bounded soak: concurrent questions while files keep arriving and leaving the inbox of a
real `vendorintel serve`. No request fails, memory stays flat, and the index ends equal to the
inbox. 10 seconds in `make test` (SOAK_SECONDS sets it); ten minutes with `pytest -m long`."""

from __future__ import annotations

import json
import os
import random
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.builders import markdown, write
from tests.conftest import serving_samples, wait_for

SHORT = float(os.environ.get("SOAK_SECONDS", "10"))
QUESTIONS = [
    "What is our fallback for contract clause extraction?",
    "What uptime does Alibaba Cloud commit to for qwen-max?",
    "Which vendor has a roadmap we can plan on?",
    "Did quality drop after the last model update?",
    "What notice do we get before a model is retired?",
]


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.parametrize(
    "seconds", [SHORT, pytest.param(600.0, marks=pytest.mark.long)], ids=["short", "ten-minutes"]
)
def test_questions_and_file_drops_together_fail_nothing(tmp_path: Path, seconds: float) -> None:
    with serving_samples(tmp_path) as served:
        pid = int(json.loads((served.data_dir / "server.json").read_text())["pid"])
        for question in QUESTIONS:  # warm: model, indexes and caches
            httpx.post(f"{served.url}/api/ask", json={"question": question}, timeout=60)
        start_rss = rss_kb(pid)
        stop = time.monotonic() + seconds
        failures: list[str] = []
        answered = [0]

        def asker(seed: int) -> None:
            rng = random.Random(seed)
            with httpx.Client(base_url=served.url, timeout=60) as client:
                while time.monotonic() < stop:
                    response = client.post("/api/ask", json={"question": rng.choice(QUESTIONS)})
                    if response.status_code != 200 or not response.json()["answer"]:
                        failures.append(f"{response.status_code}: {response.text[:200]}")
                    answered[0] += 1

        def dropper() -> None:
            n = 0
            while time.monotonic() < stop:
                note = f"Soak note {n}: vendor zeta-{n} keeps qwen-max as primary."
                write(served.inbox / "soak" / f"note-{n}.md", markdown(f"Soak {n}", note))
                if n >= 3 and n % 3 == 0:  # and some leave again
                    (served.inbox / "soak" / f"note-{n - 3}.md").unlink()
                n += 1
                time.sleep(1.0)

        threads = [threading.Thread(target=asker, args=(i,)) for i in range(4)]
        threads.append(threading.Thread(target=dropper))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        end_rss = rss_kb(pid)

        files = {p.relative_to(served.inbox).as_posix() for p in served.inbox.rglob("*.*")}

        def index_equals_inbox() -> bool:
            listed = httpx.get(f"{served.url}/api/documents").json()
            return {d["source"] for d in listed} == files and all(
                d["status"] == "indexed" for d in listed
            )

        wait_for(index_equals_inbox, 120)
        listed = httpx.get(f"{served.url}/api/documents").json()
        health = httpx.get(f"{served.url}/api/healthz").json()

    print(f"soak: {answered[0]} answers in {seconds:.0f} s, RSS {start_rss} -> {end_rss} kB")
    assert not failures, failures[:5]
    assert answered[0] >= seconds  # about one answer a second at least, on two cores
    assert end_rss <= start_rss * 1.10, (start_rss, end_rss)
    # No chunk twice, none left behind by files that came and went.
    assert health["chunks"] == sum(d["chunks"] for d in listed)
