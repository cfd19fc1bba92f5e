"""The vendor signals wired to the service: read from each changed document after every
ingestion (the signals file always follows the index), listed with filters, and asked."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from assistant.core.errors import RequestError
from assistant.core.signals import SIGNAL_KINDS, Signal, SignalFilter
from assistant.signals.extract import DocumentText, EventReader
from assistant.signals.kinds import EventKinds
from assistant.signals.timeline import signals_from
from assistant.storage.signals import SignalStore
from ingest.metadata import parse_date

if TYPE_CHECKING:
    from llama_index.core.schema import BaseNode, Document

    from assistant.core.catalog import VendorCatalog
    from assistant.core.settings import Settings
    from assistant.storage.chunks import ChunkStore
    from ingest.pipeline import Ingestor

READ_BATCH = 64  # documents whose sentences are embedded together
Embed = Callable[[list[str]], list[list[float]]]


class Signals:
    def __init__(
        self,
        settings: Settings,
        chunks: ChunkStore,
        ingestor: Ingestor,
        store_lock: threading.RLock,
        embed: Embed,
        catalog: Callable[[], VendorCatalog],
    ) -> None:
        self.store = SignalStore(settings.data_dir / "signals.sqlite3")
        self.chunks = chunks
        self.ingestor = ingestor
        self.store_lock = store_lock
        self.catalog = catalog
        self.reader = EventReader(
            EventKinds(settings.prompts_dir, embed), embed, lambda text: catalog().detect(text)
        )
        self._sync_lock = threading.Lock()

    def sync(self) -> int:
        """Read the events of documents added or changed since the last sync and drop those
        of documents gone; returns how many documents were read."""
        with self._sync_lock:
            with self.store_lock:
                indexed = {d.doc_id: d for d in self.ingestor.indexer.indexed_documents()}
            read = self.store.read()
            self.store.remove([source for source in read if source not in indexed])
            changed = [
                doc
                for source, doc in indexed.items()
                if read.get(source) != str(doc.metadata.get("file_sha256", ""))
            ]
            for start in range(0, len(changed), READ_BATCH):
                self.read_documents(changed[start : start + READ_BATCH])
            return len(changed)

    def read_documents(self, docs: list[Document]) -> None:
        """Read these documents' events (their sentences embedded together) and store them."""
        with self.store_lock:
            chunks = self.chunks.chunks_of([doc.doc_id for doc in docs])
        by_document: dict[str, list[BaseNode]] = {}
        for chunk in chunks:
            by_document.setdefault(chunk.ref_doc_id or "", []).append(chunk)
        texts = [document_text(doc, by_document.get(doc.doc_id, [])) for doc in docs]
        for doc, mentions in zip(docs, self.reader.read(texts), strict=True):
            self.store.replace(doc.doc_id, str(doc.metadata.get("file_sha256", "")), mentions)

    def listed(
        self, vendor: str | None = None, since: date | None = None, kind: str | None = None
    ) -> list[Signal]:
        """The signals in time order: of a vendor (any of its names), since a date, of a kind."""
        if kind is not None and kind not in SIGNAL_KINDS:
            raise RequestError(f"unknown kind {kind!r}: use one of {', '.join(SIGNAL_KINDS)}")
        canonical = self.catalog().canonical(vendor) if vendor else None
        return self.matching(SignalFilter(canonical, since, kind))

    def matching(self, wanted: SignalFilter) -> list[Signal]:
        return [s for s in signals_from(self.store.mentions()) if wanted.keeps(s)]

    def close(self) -> None:
        self.store.close()


def document_text(doc: Document, chunks: list[BaseNode]) -> DocumentText:
    meta = doc.metadata
    return DocumentText(
        source=doc.doc_id,
        doc_type=str(meta.get("doc_type", "note")),
        published=parse_date(meta.get("published")),
        vendors=list(meta.get("vendors", [])),
        chunks=chunks,
        title=str(meta.get("title", "")),
    )
