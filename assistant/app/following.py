"""The watchlist wired to the service: what it reads of the index and the answers, where its
changes are announced and sent."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from assistant.core.watchlist import Change
from assistant.storage.watchlist import Seen, WatchlistStore
from assistant.watching import Notifier, Reader, Watchlist

if TYPE_CHECKING:
    from assistant.answering.pipeline import Answering
    from assistant.briefing.checkpoints import Briefing
    from assistant.core.events import EventLog
    from assistant.core.settings import Settings
    from ingest.pipeline import Ingestor


def build_watchlist(
    settings: Settings,
    answering: Answering,
    ingestor: Ingestor,
    store_lock: threading.RLock,
    brief: Callable[[str | None], Briefing],
    events: EventLog,
) -> tuple[Watchlist, Notifier | None]:
    """The watchlist of the data dir, and its webhook sender when one is configured (started:
    it sends what an earlier run still owed)."""
    store = WatchlistStore(settings.data_dir / "watchlist.sqlite3")
    chunks = answering.store

    def similarities(embedding: list[float], n: int) -> list[float]:
        with store_lock:
            return chunks.similarities(embedding, n)

    def vectors_of(doc_ids: list[str]) -> np.ndarray:
        with store_lock:
            return chunks.vectors_of(doc_ids)

    reader = Reader(
        ask=answering.ask,
        brief=brief,
        embed=answering.embed_query,
        similarities=similarities,
        vectors_of=vectors_of,
        index=lambda: index_seen(ingestor, store_lock),
        vendors_in=lambda text: answering.catalog().detect(text),
        evidence_size=settings.answering.top_k,
    )
    notifier = None
    url = settings.watchlist.notify_url
    if url is not None:
        notifier = Notifier(
            store,
            url.get_secret_value(),
            settings.watchlist.notify_timeout_seconds,
            settings.watchlist.notify_attempts,
            settings.watchlist.notify_backoff_seconds,
        )
        notifier.start()

    def announce(change: Change) -> None:
        events.post(change.summary, "Watchlist")
        if notifier is not None:
            notifier.wake()

    return Watchlist(store, reader, announce, owes_delivery=notifier is not None), notifier


def index_seen(ingestor: Ingestor, store_lock: threading.RLock) -> Seen:
    """The indexed documents (file hash and vendors) and those holding records, now."""
    with store_lock:
        documents = {
            doc.doc_id: (
                str(doc.metadata.get("file_sha256", "")),
                list(doc.metadata.get("vendors", [])),
            )
            for doc in ingestor.indexer.indexed_documents()
        }
        facts = ingestor.fact_sync.store
        records = {w.source for w in facts.workflows()} | {e.source for e in facts.evals()}
    return Seen(documents, records)
