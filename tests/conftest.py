"""Shared fixtures: the real bundled embedding model, real embedded Qdrant, small real inboxes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.embeddings import load_embedding_model
from assistant.service import VendorIntel
from assistant.settings import PROJECT_ROOT, Settings

SAMPLES = PROJECT_ROOT / "samples" / "inbox"


@pytest.fixture(scope="session")
def embed_model() -> BaseEmbedding:
    """Loaded once per test session: loading takes seconds, embedding is what we test."""
    return load_embedding_model(32)


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
    return Settings(data_dir=tmp_path / "data", inbox=tmp_path / "inbox", _env_file=None)  # type: ignore[call-arg]


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
