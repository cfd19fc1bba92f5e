"""Shared fixtures: the real bundled embedding model, real embedded Qdrant, small real inboxes."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.app import VendorIntel
from assistant.core.settings import PROJECT_ROOT, Settings
from assistant.providers.embeddings import model_for

SAMPLES = PROJECT_ROOT / "samples" / "inbox"
SAMPLE_DOCUMENTS = 11
# Every test, and every server or CLI a test starts, shares one folder of ONNX exports, so the
# model is exported once, not once per data dir (it is deterministic for a given version).
os.environ.setdefault("VENDORINTEL_MODEL_CACHE_DIR", str(PROJECT_ROOT / "data" / "test-models"))


@pytest.fixture(scope="session")
def embed_model() -> BaseEmbedding:
    """The default backend, loaded once per test session: loading takes seconds, embedding is
    what we test."""
    return model_for(Settings(_env_file=None))  # type: ignore[call-arg]


class EmbedCounter:
    """Counts the texts the real model embeds for documents (queries are not counted)."""

    def __init__(self, model: BaseEmbedding, monkeypatch: pytest.MonkeyPatch) -> None:
        self.texts: list[str] = []
        cls = type(model)
        original = cls._get_text_embeddings

        def counting(instance: BaseEmbedding, texts: list[str]) -> Any:
            self.texts.extend(texts)
            return original(instance, texts)

        # Patched on the class: pydantic models refuse new attributes on instances.
        monkeypatch.setattr(cls, "_get_text_embeddings", counting)

    def reset(self) -> None:
        self.texts.clear()


@pytest.fixture
def embed_counter(embed_model: BaseEmbedding, monkeypatch: pytest.MonkeyPatch) -> EmbedCounter:
    return EmbedCounter(embed_model, monkeypatch)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The inbox watcher is off unless a test is about it: tests here ingest explicitly.
    return Settings(
        data_dir=tmp_path / "data", inbox=tmp_path / "inbox", watch_inbox=False, _env_file=None
    )  # type: ignore[call-arg]


@pytest.fixture
def inbox(settings: Settings) -> Path:
    settings.inbox_dir.mkdir(parents=True, exist_ok=True)
    return settings.inbox_dir


@pytest.fixture
def make_intel(embed_model: BaseEmbedding) -> Iterator[Callable[[Settings], VendorIntel]]:
    """Open services on given settings; each is closed (releasing the store lock) afterwards."""
    opened: list[VendorIntel] = []

    def make(settings: Settings) -> VendorIntel:
        intel = VendorIntel(settings, embed_model=embed_model)
        opened.append(intel)
        return intel

    yield make
    for intel in opened:
        intel.close()


@pytest.fixture
def intel(
    make_intel: Callable[[Settings], VendorIntel], settings: Settings, inbox: Path
) -> VendorIntel:
    return make_intel(settings)


@pytest.fixture(scope="session")
def sample_intel(
    embed_model: BaseEmbedding, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VendorIntel]:
    """The sample inbox, ingested once for the answer tests."""
    data = tmp_path_factory.mktemp("sample-data")
    intel = VendorIntel(
        Settings(data_dir=data, inbox=SAMPLES, _env_file=None), embed_model=embed_model
    )  # type: ignore[call-arg]
    report = intel.ingest(progress=False)
    assert report.ok, report.summary()
    yield intel
    intel.close()


@dataclass(frozen=True)
class Served:
    url: str
    data_dir: Path
    inbox: Path
    process: subprocess.Popen[bytes] | None = None
    key: str | None = None  # its VENDORINTEL_API_KEY, if it has one


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A real `vendorintel serve` on a free loopback port, over a copy of the sample inbox."""
    with serving_samples(tmp_path_factory.mktemp("served")) as served:
        yield served


@pytest.fixture(scope="session")
def keyed_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The same over its own copy, with an API key (Served.key): for the clients of others."""
    env = {"VENDORINTEL_API_KEY": "clients-KEY-7731"}
    with serving_samples(tmp_path_factory.mktemp("keyed"), env) as served:
        yield served


@contextmanager
def serving_samples(root: Path, env: dict[str, str] | None = None) -> Iterator[Served]:
    """`vendorintel serve` over a copy of the sample inbox in root/inbox, all of it indexed."""
    shutil.copytree(SAMPLES, root / "inbox")
    with serving(root, documents=SAMPLE_DOCUMENTS, env=env) as served:
        yield served


@contextmanager
def serving(root: Path, documents: int, env: dict[str, str] | None = None) -> Iterator[Served]:
    """Run `vendorintel serve` over root/inbox until it has indexed that many documents."""
    inbox, data_dir = root / "inbox", root / "data"
    port = free_port()
    env = {
        **os.environ,
        "VENDORINTEL_DATA_DIR": str(data_dir),
        "VENDORINTEL_INBOX": str(inbox),
        **(env or {}),
    }
    log_path = root / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant.shells.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=root,
        )
        url = f"http://127.0.0.1:{port}"
        key = env.get("VENDORINTEL_API_KEY")
        headers = {"X-API-Key": key} if key else {}
        try:
            wait_until_up(url, process, log_path, headers)
            # serve reconciles the index with the inbox when it starts.
            listed = f"{url}/api/documents"
            wait_for(lambda: len(httpx.get(listed, headers=headers).json()) == documents, 300)
            yield Served(url, data_dir, inbox, process, key)
        finally:
            process.terminate()
            process.wait(timeout=30)


def cli_env(data: Path, inbox: Path) -> dict[str, str]:
    """The environment of a `vendorintel` command over this data dir and inbox."""
    return {**os.environ, "VENDORINTEL_DATA_DIR": str(data), "VENDORINTEL_INBOX": str(inbox)}


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run `vendorintel ARGS` as a user would, in its own process."""
    command = [sys.executable, "-m", "assistant.shells.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def wait_for(condition: Callable[[], bool], seconds: float, step: float = 0.25) -> None:
    """Poll until the condition holds; fail after `seconds` (tests stay bounded in time)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not true within {seconds} s"
        time.sleep(step)


def wait_until_up(
    url: str, process: subprocess.Popen[bytes], log: Path, headers: dict[str, str] | None = None
) -> None:
    deadline = time.monotonic() + 180
    while True:
        assert process.poll() is None, log.read_text()
        try:
            health = httpx.get(f"{url}/api/healthz", timeout=2, headers=headers)
            if health.status_code in (200, 503):
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "serve did not start within 180 s"
        time.sleep(0.5)
