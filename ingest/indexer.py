"""Writing documents into the index: split and embed outside the lock, then swap each batch
into the chunk store and the document store in one step for readers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from functools import cached_property
from typing import TYPE_CHECKING

from llama_index.core import Document
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.storage.docstore import SimpleDocumentStore

from assistant.core.errors import IngestionStoppedError
from assistant.core.report import IngestReport
from assistant.storage.disk import replacing
from ingest.chunking import LocatedSplitter
from ingest.problems import ProblemLog

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.schema import BaseNode

    from assistant.core.settings import Settings
    from assistant.storage.chunks import ChunkStore

EMBED_SLICE = 64  # chunks embedded between checks for a stop (a few seconds on a CPU)
SPARE_BYTES = 1 << 20  # beyond a batch's own estimate: SQLite journals, status files


class Indexer:
    """The chunk store and the llama-index document store, kept in step.

    Splitting and embedding happen outside `lock`; each batch's chunks are then swapped in
    under it, so a reader holding the lock sees every document whole, old or new.
    """

    def __init__(
        self,
        settings: Settings,
        store: ChunkStore,
        embed_model: Callable[[], BaseEmbedding],
        lock: AbstractContextManager[object] | None = None,
        stopping: threading.Event | None = None,
    ) -> None:
        """embed_model is called when something needs embedding: listing needs no model."""
        self.settings = settings
        self.stopping = stopping or threading.Event()
        self.store = store
        self.lock = lock or threading.RLock()
        self.docstore_path = settings.docstore_path
        self.docstore = (
            SimpleDocumentStore.from_persist_path(str(self.docstore_path))
            if self.docstore_path.exists() and not store.rebuilt
            else SimpleDocumentStore()  # a rebuilt store starts empty: every file is new
        )
        self.problems = ProblemLog(settings.data_dir / "problems.json")
        self._embed_model = embed_model
        self.saves = 0  # times the docstore was saved: a call that saved wrote the index
        self.unsaved = False  # the docstore changed in memory since it was last saved

    @cached_property
    def splitting(self) -> IngestionPipeline:
        """Split one document into located chunks."""
        chunking = self.settings.embedding
        splitter = LocatedSplitter(
            chunk_size=chunking.chunk_size, chunk_overlap=chunking.chunk_overlap
        )
        return IngestionPipeline(transformations=[splitter], disable_cache=True)

    @cached_property
    def embedding(self) -> IngestionPipeline:
        """Embed a batch's chunks; writing to the store is done by commit, under the lock."""
        # Unchanged files never get here (Ingestor skips them): no pipeline cache.
        return IngestionPipeline(transformations=[self._embed_model()], disable_cache=True)

    def is_unchanged(self, source: str, sha: str) -> bool:
        indexed = self.docstore.get_document(source, raise_error=False)
        return indexed is not None and indexed.metadata.get("file_sha256") == sha

    def write(self, documents: list[Document], report: IngestReport) -> dict[str, str]:
        """Split each document on its own, then embed and swap in the batch; a document that
        cannot be split fails alone. Returns why, by source, for those that failed."""
        chunks: list[BaseNode] = []
        split: list[Document] = []
        failed: dict[str, str] = {}
        for document in documents:
            stop_if_asked(self.stopping)
            try:
                chunks += self.splitting.run(documents=[document])
            except Exception as exc:  # whatever the splitter raises fails this file only
                failed[document.doc_id] = (
                    f"could not be split into chunks ({type(exc).__name__}: {str(exc)[:200]}); "
                    "split the file into smaller ones and drop them again"
                )
                continue
            split.append(document)
        if split:
            self.commit(split, self.embedded(chunks), report)
        return failed

    def embedded(self, chunks: list[BaseNode]) -> list[BaseNode]:
        """The chunks embedded a slice at a time, so a stop is seen within seconds."""
        done: list[BaseNode] = []
        for start in range(0, len(chunks), EMBED_SLICE):
            stop_if_asked(self.stopping)
            done += self.embedding.run(nodes=chunks[start : start + EMBED_SLICE])
        return done

    def commit(
        self, documents: list[Document], chunks: Sequence[BaseNode], report: IngestReport
    ) -> None:
        """Swap in a batch: old chunks out, new chunks in, docstore saved; one step for readers.

        Deleting first also clears chunks left by an ingestion that was killed before it
        recorded its documents, so a redone file is never duplicated. A batch that would not
        fit on the disk is refused before anything is deleted.
        """
        self.store.ensure_room(self._bytes_needed(documents, chunks))
        with self.lock:
            self.unsaved = True
            for doc in documents:
                outcome = "updated" if self.docstore.document_exists(doc.doc_id) else "added"
                report.outcomes[doc.doc_id] = outcome
                report.added += outcome == "added"
                report.updated += outcome == "updated"
            self.store.delete_documents([doc.doc_id for doc in documents])
            self.store.add_chunks(chunks)
            self.docstore.set_document_hashes({doc.doc_id: doc.hash for doc in documents})
            self.docstore.add_documents(documents, allow_update=True)
            self.persist()  # a crash loses at most the batch in flight

    def _bytes_needed(self, documents: list[Document], chunks: Sequence[BaseNode]) -> int:
        """A generous estimate of what a batch writes here: each chunk's cached vector and, in
        embedded mode, its point (the vectors in the log, in a segment and when the segment is
        rewritten, the text twice), and the docstore rewritten whole."""
        docstore = self.docstore_path.stat().st_size if self.docstore_path.exists() else 0
        texts = sum(len(doc.text) for doc in documents)
        embedded = not self.settings.store.qdrant_url  # a server keeps points on its own disk
        points = 0
        for chunk in chunks:
            floats = len(chunk.embedding or [])
            points += 4 * floats  # the cached vector
            if embedded:
                points += 12 * floats + 3 * len(chunk.get_content())
        return 2 * (docstore + texts) + points + SPARE_BYTES

    def optimize(self) -> None:
        """Index the chunks written since the last time (the embedded engine's segments)."""
        with self.lock:
            self.store.optimize()

    def drop_orphans(self) -> None:
        """Chunks whose document the docstore does not know (left by a killed ingestion)."""
        with self.lock:
            orphans = self.store.document_ids() - set(self.docstore.docs)
            self.store.delete_documents(sorted(orphans))

    def remove(self, doc_ids: list[str]) -> None:
        """Remove documents from the store and the docstore."""
        if not doc_ids:
            return
        with self.lock:
            self.unsaved = True
            self.store.delete_documents(doc_ids)
            for doc_id in doc_ids:
                self.docstore.delete_document(doc_id, raise_error=False)
                self.problems.clear(doc_id)
            self.persist()

    def metadata_of(self, source: str) -> dict[str, str]:
        """An indexed document's metadata as text (empty when it is not indexed)."""
        doc = self.docstore.get_document(source, raise_error=False)
        return {k: str(v) for k, v in doc.metadata.items()} if doc else {}

    def indexed_documents(self) -> list[Document]:
        with self.lock:
            return [doc for doc in self.docstore.docs.values() if isinstance(doc, Document)]

    def persist(self) -> None:
        """Make the chunks written durable, then write the docstore atomically, so a crash
        never leaves a torn file nor a document recorded whose chunks were not kept."""
        self.store.flush()
        self.docstore_path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(self.docstore_path) as partial:
            self.docstore.persist(str(partial))
        self.problems.persist()
        self.unsaved = False
        self.saves += 1


def stop_if_asked(stopping: threading.Event) -> None:
    """End an ingestion that the service's stop cut short: what it saved stays saved, and
    the next start redoes the rest."""
    if stopping.is_set():
        raise IngestionStoppedError(
            "ingestion stopped because the service is stopping; it resumes at the next start"
        )
