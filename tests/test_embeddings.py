"""The embedding backends: ONNX exports of the bundled model that reproduce torch's vectors,
exported once and reused, and an index that is rebuilt when its vectors came from another."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from llama_index.core.node_parser import SentenceSplitter

from assistant.app import VendorIntel
from assistant.core.settings import Settings
from assistant.providers.embeddings import (
    bundled_model_dir,
    exported_model,
    load_embedding_model,
    model_for,
)
from tests.conftest import SAMPLES


@pytest.fixture(scope="module")
def sample_chunks() -> list[str]:
    """The sample inbox cut as ingestion cuts it: contracts, registries, news, eval tables."""
    splitter = SentenceSplitter(chunk_size=180, chunk_overlap=0)
    texts: list[str] = []
    for path in sorted(SAMPLES.rglob("*")):
        if path.suffix in {".md", ".txt", ".csv", ".yaml", ".html", ".jsonl"}:
            texts += splitter.split_text(path.read_text("utf-8"))
    texts += ["", "x", "qwen-max", "word " * 400]  # empty, tiny, an id, longer than the model
    return texts


def backend(name: str) -> Settings:
    return Settings(embedding_backend=name, _env_file=None)  # type: ignore[call-arg]


def vectors(settings: Settings, texts: list[str]) -> np.ndarray:
    return np.array(model_for(settings).get_text_embedding_batch(texts))


def test_onnx_reproduces_torchs_vectors_and_int8_stays_close(sample_chunks: list[str]) -> None:
    torch = vectors(backend("torch"), sample_chunks)
    fp32 = (vectors(backend("onnx"), sample_chunks) * torch).sum(axis=1)
    int8 = (vectors(backend("onnx-int8"), sample_chunks) * torch).sum(axis=1)

    assert len(sample_chunks) > 40
    assert fp32.min() >= 0.999
    assert int8.min() >= 0.95 and int8.mean() >= 0.98
    # A question is embedded as text is, so it matches its own passage best.
    model = model_for(backend("onnx-int8"))
    question = np.array(model.get_query_embedding("What is the fallback for contract review?"))
    scores = np.array(model.get_text_embedding_batch(sample_chunks)) @ question
    assert "fallback" in sample_chunks[int(scores.argmax())].lower()


def test_the_export_is_made_once_and_a_damaged_one_is_made_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shared = backend("onnx").models_dir
    made = exported_model(bundled_model_dir(), shared, "onnx")
    stamp = made.stat().st_mtime_ns
    with caplog.at_level(logging.WARNING):
        assert exported_model(bundled_model_dir(), shared, "onnx") == made
    assert made.stat().st_mtime_ns == stamp and not caplog.records

    # A cache file cut short by a full disk is replaced, not fatal.
    cache = tmp_path / "models"
    cache.mkdir()
    shutil.copy(made, cache / made.name)
    (cache / made.name).write_bytes(made.read_bytes()[:1000])
    with caplog.at_level(logging.WARNING):
        model = load_embedding_model("onnx", cache, 16)
    assert "does not load" in caplog.text
    assert len(model.get_text_embedding("still works")) == 384
    assert not list(cache.glob("tmp*")), "no half-written export is left behind"


def test_an_index_built_by_another_backend_is_rebuilt_and_still_cites(
    make_intel: Callable[[Settings], VendorIntel], tmp_path: Path
) -> None:
    default = Settings(data_dir=tmp_path / "data", inbox=SAMPLES, _env_file=None)  # type: ignore[call-arg]
    other = "onnx-int8" if default.embedding.embedding_backend != "onnx-int8" else "torch"
    first = make_intel(default)
    assert first.ingest(progress=False).added == 11
    first.close()

    switched = default.model_copy(
        update={"embedding": default.embedding.model_copy(update={"embedding_backend": other})}
    )
    intel = VendorIntel(switched, embed_model=model_for(switched))
    try:
        assert intel.store.rebuilt
        report = intel.ingest(progress=False)
        answer = intel.ask("What uptime does Alibaba Cloud commit to for qwen-max?")
        health = intel.health()
    finally:
        intel.close()

    # Every document is embedded again by the new backend, and answers cite as before.
    assert report.added == 11 and report.ok
    assert "99.9%" in answer.answer
    assert answer.citations[0].source == "contracts/alibaba-cloud-sla.md"
    assert health.embedding_model["backend"] == other

    # Opening it again with the same backend keeps the index.
    again = VendorIntel(switched, embed_model=model_for(switched))
    try:
        assert not again.store.rebuilt
        assert again.ingest(progress=False).unchanged == 11
    finally:
        again.close()


def test_the_onnx_backend_embeds_without_loading_torch() -> None:
    probe = (
        "import sys\n"
        "from assistant.providers.embeddings import model_for\n"
        "from assistant.core.settings import Settings\n"
        "model = model_for(Settings(embedding_backend='onnx', _env_file=None))\n"
        "print(len(model.get_query_embedding('fallback')), 'torch' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )

    # The export, when one is needed, runs in a child process; torch never enters this one.
    assert done.stdout.split() == ["384", "False"], done.stderr
