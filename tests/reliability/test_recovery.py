"""Crashes and concurrency: a killed ingestion is redone whole, readers never see half a swap."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.storage.docstore import SimpleDocumentStore

from assistant.app import VendorIntel
from assistant.core.settings import Settings
from tests.builders import build_corpus, markdown, write
from tests.conftest import wait_for


def index_contents(intel: VendorIntel) -> Counter[tuple[str, int, str]]:
    """Every chunk as (document, chunk number, text), counted: duplicates show as counts > 1."""
    contents: Counter[tuple[str, int, str]] = Counter()
    for point in intel.store.points([]):
        payload = point.payload
        node = TextNode.model_validate_json(str(payload["_node_content"]))
        contents[(str(payload["doc_id"]), int(payload["chunk"]), node.text)] += 1
    return contents


def recorded_documents(settings: Settings) -> int:
    """Documents the docstore holds on disk (it is replaced whole, so never read half-written)."""
    if not settings.docstore_path.exists():
        return 0
    return len(SimpleDocumentStore.from_persist_path(str(settings.docstore_path)).docs)


def test_killed_ingestion_is_redone_and_the_index_equals_the_folder(
    make_intel,
    settings: Settings,
    inbox: Path,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    build_corpus(inbox, 40)
    env = {
        **os.environ,
        "VENDORINTEL_DATA_DIR": str(settings.data_dir),
        "VENDORINTEL_INBOX": str(inbox),
        "VENDORINTEL_INGEST_BATCH_FILES": "4",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant.shells.cli", "ingest"], env=env, stdout=subprocess.DEVNULL
    )
    try:
        # Kill it once two batches are in: mid-way, between two commits or inside one. (A fixed
        # pause after the first commit raced the whole run, which takes about 1.5 s here.)
        wait_for(lambda: recorded_documents(settings) >= 8 or process.poll() is not None, 240, 0.02)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    recorded = SimpleDocumentStore.from_persist_path(str(settings.docstore_path)).docs
    assert 0 < len(recorded) < 40, "the kill should land mid-way; adjust the corpus size"

    restarted = make_intel(settings)
    report = restarted.ingest(progress=False)
    assert report.ok
    recovered = index_contents(restarted)
    restarted.close()

    clean_settings = Settings(
        data_dir=tmp_path / "clean", inbox=inbox, watch_inbox=False, _env_file=None
    )  # type: ignore[call-arg]
    clean = make_intel(clean_settings)
    clean.ingest(progress=False)
    expected = index_contents(clean)

    assert max(recovered.values()) == 1  # no chunk twice
    assert recovered == expected  # same documents, same chunks, nothing lost or stale
    assert {d for d, _, _ in recovered} == {f"notes/note-{i:03}.md" for i in range(40)}


def test_chunks_left_without_a_record_are_swept_on_the_next_sync(
    intel: VendorIntel, inbox: Path
) -> None:
    write(inbox / "kept.md", markdown("Kept", "A note about OpenAI pricing."))
    intel.ingest(progress=False)
    # What a kill between writing chunks and recording the document leaves behind.
    orphan = TextNode(id_="3c1c7c1e-0000-4000-8000-000000000001", text="orphan text")
    orphan.metadata = {"source": "gone.md", "chunk": 0}
    orphan.embedding = [0.0] * 383 + [1.0]
    orphan.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id="gone.md")
    intel.store.add_chunks([orphan])
    assert set(intel.store.document_stats()) == {"kept.md", "gone.md"}

    intel.ingest(progress=False)

    assert set(intel.store.document_stats()) == {"kept.md"}


def test_questions_are_answered_during_a_long_ingestion(intel: VendorIntel, inbox: Path) -> None:
    write(inbox / "small.md", markdown("Renewal", "The OpenAI renewal date is 2027-04-01."))
    intel.ingest(progress=False)
    build_corpus(inbox / "bulk", 120)
    ingesting = threading.Thread(target=intel.ingest, kwargs={"progress": False})
    ingesting.start()
    # Ask once the first batch is in (a fixed pause raced the whole run, about a second here).
    wait_for(lambda: len(intel.ingestor.indexer.indexed_documents()) > 1, 120, 0.01)

    started = time.monotonic()
    answer = intel.ask("When is the OpenAI renewal date?")
    waited = time.monotonic() - started

    still_ingesting = ingesting.is_alive()
    ingesting.join(timeout=300)
    assert "2027-04-01" in answer.answer
    assert still_ingesting, "the ingestion ended before the question: make the corpus larger"
    assert waited < 10


def test_readers_never_see_half_of_a_replaced_document(intel: VendorIntel, inbox: Path) -> None:
    path = inbox / "long.md"
    long_body = "\n\n".join(
        f"Paragraph {i}: Qwen pricing changed in month {i}. " * 5 for i in range(30)
    )
    write(path, markdown("Long", long_body))
    intel.ingest(progress=False)
    before = intel.store.document_stats()["long.md"][0]
    write(path, markdown("Long", long_body.replace("Qwen", "Tongyi Qianwen") + "\n\nOne more."))
    seen: set[int] = set()
    done = threading.Event()

    def watch_counts() -> None:
        while not done.is_set():
            stats = {d.source: d.chunks for d in intel.documents()}
            seen.add(stats.get("long.md", -1))

    reader = threading.Thread(target=watch_counts)
    reader.start()
    report = intel.ingest(progress=False)
    done.set()
    reader.join()
    after = intel.store.document_stats()["long.md"][0]

    assert report.updated == 1, report.summary()  # the reader slowed it, and failed nothing
    assert after != before
    assert seen <= {before, after}


def test_the_first_use_of_the_index_does_not_wait_for_a_reader(
    make_intel,
    settings: Settings,
    inbox: Path,  # type: ignore[no-untyped-def]
) -> None:
    # A status call holds the store lock while it first opens the index; an ingestion that
    # starts then builds the same parts. Building them must not need that lock.
    write(inbox / "small.md", markdown("Renewal", "The OpenAI renewal date is 2027-04-01."))
    intel = make_intel(settings)
    built = threading.Event()
    with intel._store_lock:  # as health() holds it
        builder = threading.Thread(target=lambda: (intel.ingestor, built.set()))
        builder.start()
        assert built.wait(timeout=30), "building the ingestor waited for the store lock"
    builder.join()
    assert intel.ingest(progress=False).added == 1
    assert intel.health().documents == 1
