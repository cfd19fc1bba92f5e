"""The watched inbox: drops, changes, deletes and renames reach the index on their own."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.app import VendorIntel
from tests.builders import build_corpus, markdown, write
from tests.conftest import EmbedCounter, Served, wait_for

SETTLE = 0.6  # seconds a file must stay unchanged before it is ingested (fast for tests)


class Watching:
    """The service's inbox watcher, run in its own event loop on a thread, with its events."""

    def __init__(self, intel: VendorIntel) -> None:
        self.intel = intel
        self.events: list[str] = []
        self.loop = asyncio.new_event_loop()
        self.stop = asyncio.Event()
        self.started = threading.Event()

        async def record(message: str) -> None:
            self.events.append(message)

        intel.events.subscribe(record)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._watch())

    async def _watch(self) -> None:
        self.started.set()
        await self.intel.watch_inbox(self.stop)

    def sources(self) -> set[str]:
        return {d.source for d in self.intel.documents() if d.status != "failed"}

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(timeout=30)


@pytest.fixture
def watching(intel: VendorIntel) -> Iterator[Watching]:
    intel.settings.ingestion.settle_seconds = SETTLE
    watcher = Watching(intel)
    watcher.thread.start()
    watcher.started.wait(10)
    time.sleep(0.5)  # let the reconcile of the empty inbox finish and the watch begin
    yield watcher
    watcher.close()


def note(title: str, body: str) -> str:
    return markdown(title, body, doc_type="note")


def test_a_dropped_file_is_indexed_and_announced(watching: Watching, inbox: Path) -> None:
    write(
        inbox / "news" / "kimi.md", note("Kimi pricing", "Moonshot AI cut Kimi API prices by 40%.")
    )

    wait_for(lambda: "news/kimi.md" in watching.sources(), 20)

    assert "40%" in watching.intel.ask("How much did Moonshot AI cut Kimi API prices?").answer
    wait_for(lambda: any("Indexed 1 new document: news/kimi.md" in e for e in watching.events), 5)


def test_changes_and_deletions_follow_the_folder(watching: Watching, inbox: Path) -> None:
    path = write(inbox / "terms.md", note("Terms", "The Mistral AI renewal date is 2027-01-15."))
    wait_for(lambda: "terms.md" in watching.sources(), 20)

    write(path, note("Terms", "The Mistral AI renewal date is 2027-09-30."))
    wait_for(
        lambda: "2027-09-30" in watching.intel.ask("When is the Mistral AI renewal?").answer, 20
    )

    path.unlink()
    wait_for(lambda: "terms.md" not in watching.sources(), 20)
    assert watching.intel.store.count() == 0
    assert watching.intel.ask("When is the Mistral AI renewal?").citations == []


def test_a_rename_embeds_nothing_again(
    watching: Watching, inbox: Path, embed_counter: EmbedCounter
) -> None:
    write(inbox / "draft.md", note("Zhipu GLM pilot", "The Zhipu AI GLM pilot ends in March 2027."))
    wait_for(lambda: "draft.md" in watching.sources(), 20)
    embed_counter.reset()

    (inbox / "draft.md").rename(inbox / "zhipu-pilot.md")

    wait_for(lambda: watching.sources() == {"zhipu-pilot.md"}, 20)
    assert embed_counter.texts == []
    citation = watching.intel.ask("When does the Zhipu AI GLM pilot end?").citations[0]
    assert citation.source == "zhipu-pilot.md"


def test_a_file_written_slowly_is_ingested_once_complete(watching: Watching, inbox: Path) -> None:
    text = note(
        "Long memo",
        "\n\n".join(f"Part {i} notes that Amazon Bedrock pricing moved." for i in range(6)),
    )
    path = inbox / "memo.md"
    with path.open("w") as out:
        for start in range(0, len(text), len(text) // 5 + 1):
            out.write(text[start : start + len(text) // 5 + 1])
            out.flush()
            time.sleep(SETTLE / 3)  # never still for as long as the settle time

    wait_for(lambda: "memo.md" in watching.sources(), 20)
    time.sleep(SETTLE * 2)
    indexed = [e for e in watching.events if "memo.md" in e]
    assert indexed == ["Inbox: Indexed 1 new document: memo.md."]
    (doc,) = watching.intel.ingestor.indexer.indexed_documents()
    assert "Part 5 notes" in doc.text


def test_temporary_and_lock_files_are_ignored(watching: Watching, inbox: Path) -> None:
    write(inbox / "~$contract.docx", "lock")
    write(inbox / ".draft.md.swp", "swap")
    write(inbox / "report.pdf.part", "partial download")
    write(inbox / "real.md", note("Real", "A note about DeepSeek pricing."))
    wait_for(lambda: "real.md" in watching.sources(), 20)
    time.sleep(SETTLE * 2)
    assert {d.source for d in watching.intel.documents()} == {"real.md"}


def test_a_failed_file_stays_in_place_with_its_reason(watching: Watching, inbox: Path) -> None:
    broken = write(inbox / "contracts" / "broken.pdf", "%PDF-1.7 cut short")

    wait_for(lambda: any("broken.pdf" in e for e in watching.events), 20)

    assert "Could not index contracts/broken.pdf: not a readable PDF" in watching.events[-1]
    (listed,) = watching.intel.documents()
    assert (listed.source, listed.status) == ("contracts/broken.pdf", "failed")
    assert "not a readable PDF" in listed.reasons[0]
    assert broken.read_text() == "%PDF-1.7 cut short"


def test_reconcile_on_start_catches_up_with_the_folder(intel: VendorIntel, inbox: Path) -> None:
    write(inbox / "old.md", note("Old", "A note about Baidu ERNIE pricing."))
    intel.ingest(progress=False)
    (inbox / "old.md").unlink()
    write(inbox / "new.md", note("New", "A note about Google Gemini pricing."))

    watcher = Watching(intel)
    watcher.thread.start()
    try:
        wait_for(lambda: watcher.sources() == {"new.md"}, 30)
    finally:
        watcher.close()


def test_serve_answers_from_a_copied_file_within_10_seconds_and_forgets_it_when_deleted(
    served: Served,
) -> None:
    question = {"question": "Which region hosts the Mistral AI Le Chat Enterprise pilot?"}

    def cited() -> set[str]:
        answer = httpx.post(f"{served.url}/api/ask", json=question, timeout=30).json()
        return {c["source"] for c in answer["citations"]}

    path = write(
        served.inbox / "news" / "le-chat.md",
        note(
            "Le Chat pilot", "The Mistral AI Le Chat Enterprise pilot runs in the Frankfurt region."
        ),
    )
    wait_for(lambda: "news/le-chat.md" in cited(), 10)

    path.unlink()
    wait_for(lambda: "news/le-chat.md" not in cited(), 10)


def test_a_file_dropped_during_the_reconcile_is_not_missed(intel: VendorIntel, inbox: Path) -> None:
    build_corpus(inbox / "bulk", 40)  # a reconcile that takes a few seconds
    intel.settings.ingestion.settle_seconds = SETTLE
    watcher = Watching(intel)
    watcher.thread.start()
    try:
        wait_for(lambda: intel.settings.docstore_path.exists(), 60, 0.05)  # reconcile under way
        write(inbox / "late.md", note("Late", "The Amazon Bedrock pilot starts in January 2027."))
        wait_for(lambda: "late.md" in watcher.sources(), 60)
    finally:
        watcher.close()
