"""Server mode against a real Qdrant server that is down at start, comes up, goes away and comes
back: questions get a clear 503 while it is away, `healthz` says so, and the service works again
each time it is back, without a restart.

It needs Qdrant's server binary, which none of the package registries this project installs from
carries: set QDRANT_BINARY to one (a release from github.com/qdrant/qdrant), or put `qdrant` on
PATH; without it the test is skipped (tests/reliability/test_unavailable.py covers a server
that is down without one).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from assistant.core.settings import Settings
from assistant.shells.api import create_app
from tests.conftest import SAMPLE_DOCUMENTS, SAMPLES, free_port, wait_for

QDRANT = os.environ.get("QDRANT_BINARY") or shutil.which("qdrant")
pytestmark = pytest.mark.skipif(
    QDRANT is None, reason="needs a Qdrant server binary: set QDRANT_BINARY or put qdrant on PATH"
)
UPTIME = {"question": "What uptime does Alibaba give for qwen-max?"}


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def qdrant_server(root: Path, port: int) -> Iterator[None]:
    """Run Qdrant on loopback with its storage under root (kept between runs), then stop it."""
    env = {
        **os.environ,
        "QDRANT__SERVICE__HOST": "127.0.0.1",
        "QDRANT__SERVICE__HTTP_PORT": str(port),
        "QDRANT__SERVICE__GRPC_PORT": str(free_port()),
        "QDRANT__STORAGE__STORAGE_PATH": str(root / "storage"),
        "QDRANT__STORAGE__SNAPSHOTS_PATH": str(root / "snapshots"),
        "QDRANT__TELEMETRY_DISABLED": "true",
    }
    assert QDRANT is not None
    with (root / "qdrant.log").open("a") as log:
        process = subprocess.Popen([QDRANT], cwd=root, env=env, stdout=log, stderr=log)
        try:
            wait_for(lambda: ready(f"http://127.0.0.1:{port}"), 60)
            yield
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_the_service_follows_a_qdrant_server_that_comes_and_goes(tmp_path: Path) -> None:
    port = free_port()
    root = tmp_path / "qdrant"
    root.mkdir()
    settings = Settings(
        data_dir=tmp_path / "data",
        inbox=SAMPLES,
        qdrant_url=f"http://127.0.0.1:{port}",
        watch_inbox=False,
        _env_file=None,
    )  # type: ignore[call-arg]
    with TestClient(create_app(settings, with_chat=False), raise_server_exceptions=False) as client:
        assert client.post("/api/ask", json=UPTIME).status_code == 503  # not started yet

        with qdrant_server(root, port):
            report = client.post("/api/ingest")
            first = client.post("/api/ask", json=UPTIME)
            assert report.status_code == 200 and report.json()["added"] == SAMPLE_DOCUMENTS
            assert first.status_code == 200 and "99.9%" in first.json()["answer"]

        away = client.post("/api/ask", json=UPTIME)
        health = client.get("/api/healthz")
        assert away.status_code == 503 and "Qdrant is not reachable" in away.json()["detail"]
        assert health.status_code == 503 and health.json()["store"]["reachable"] is False

        with qdrant_server(root, port):  # back, with the data it had
            again = client.post("/api/ask", json=UPTIME)
            health = client.get("/api/healthz")
            assert again.status_code == 200
            assert again.json()["citations"] == first.json()["citations"]
            assert health.status_code == 200 and health.json()["chunks"] > 0
