"""The chunk store: Qdrant Edge in the process by default, a Qdrant server by URL; the storage
package is the only one that knows Qdrant."""

from __future__ import annotations

import logging
from collections import Counter
from contextlib import suppress
from typing import TYPE_CHECKING

import numpy as np

from assistant.core.errors import StoreUnavailableError
from assistant.storage.disk import ensure_room
from assistant.storage.edge import EdgeEngine
from assistant.storage.plan import DOC_ID_KEY, Engine, Hit, Match, Plan, pages
from assistant.storage.vector_store import HybridVectorStore, cosines

if TYPE_CHECKING:
    from collections.abc import Sequence

    from llama_index.core.schema import BaseNode

    from assistant.core.settings import Settings

logger = logging.getLogger(__name__)
VECTOR_SPACE_KEY = "vector_space"  # store metadata: the model and backend of the vectors


def open_engine(settings: Settings) -> tuple[Engine, bool]:
    """The configured engine, and whether an old embedded store had to be dropped."""
    store = settings.store
    # qdrant-client is imported only for a server or an old store to move: it takes most of
    # a second, at every start of every command.
    if store.qdrant_url:
        from assistant.storage.server import ServerEngine, open_server

        key = store.qdrant_api_key.get_secret_value() if store.qdrant_api_key else None
        client = open_server(store.qdrant_url, key)
        shards, replicas = store.qdrant_shards, store.qdrant_replicas
        return ServerEngine(client, store.collection, shards, replicas), False
    target = settings.edge_path / store.collection
    migrated = None
    if settings.qdrant_path.exists():
        from assistant.storage.migration import migrate_local_mode

        migrated = migrate_local_mode(settings.qdrant_path, store.collection, target)
    return EdgeEngine(target), bool(migrated and migrated.stale)


class ChunkStore:
    """The collection of embedded chunks, seen through llama-index and directly."""

    def __init__(self, settings: Settings, vector_space: str, unlabelled_space: str) -> None:
        """`vector_space` names what made the dense vectors; a collection made by another
        model or backend is rebuilt, because its vectors and the questions' would not match.
        `unlabelled_space` made the vectors of collections from before spaces were named."""
        self.data_dir = settings.data_dir
        self.engine, dropped = open_engine(settings)
        self.vector_space = vector_space
        self.unlabelled_space = unlabelled_space
        try:
            self.rebuilt = self._drop_stale_collection() or dropped
        except StoreUnavailableError as exc:
            # Start anyway: questions get a clear 503 until the server is back, and work again
            # then without a restart. (The collection's vectors are checked at the next start.)
            logger.warning("%s Starting without it.", exc)
            self.rebuilt = False
        self.vector_store = HybridVectorStore(self.engine, settings.answering.hybrid_fusion)
        self._space_recorded = False  # recorded (again: it is idempotent) on the first write

    def _drop_stale_collection(self) -> bool:
        """Drop a collection that cannot serve these questions, so the next ingest rebuilds it
        (the embedding cache makes that cheap): one from before keyword search, or one whose
        vectors another backend made. True if dropped."""
        if not self.exists():
            return False
        made_by = self.engine.metadata().get(VECTOR_SPACE_KEY, self.unlabelled_space)
        if self.engine.has_sparse() and made_by == self.vector_space:
            return False
        self.engine.drop()
        return True

    def exists(self) -> bool:
        """Whether any chunk was ever written (the collection is made on the first write)."""
        return self.engine.exists()

    def add_chunks(self, chunks: Sequence[BaseNode]) -> None:
        """Write embedded chunks (ids are stable, so writing one again replaces it)."""
        if not chunks:
            return
        self.vector_store.add(list(chunks))
        if not self._space_recorded:
            self.engine.set_metadata({VECTOR_SPACE_KEY: self.vector_space})
            self._space_recorded = True

    def delete_documents(self, doc_ids: list[str]) -> None:
        """Remove every chunk of these documents, in one pass."""
        if doc_ids and self.exists():
            self.engine.delete(Match(DOC_ID_KEY, tuple(doc_ids)))

    def ensure_room(self, needed: int) -> None:
        """Refuse a write of about `needed` bytes under the data dir that would not fit."""
        if isinstance(self.engine, EdgeEngine):
            self.engine.ensure_room(needed)
        else:
            ensure_room(self.data_dir, needed)

    def flush(self) -> None:
        """Make what was written durable (the end of an ingestion batch)."""
        self.engine.flush()

    def optimize(self) -> bool:
        """Index what was written since the last time; True if there was anything to do."""
        return self.engine.optimize()

    def document_ids(self) -> set[str]:
        """The documents with chunks in the store, read from the document-id index."""
        return self.engine.values(DOC_ID_KEY)

    def document_stats(self) -> dict[str, tuple[int, str | None]]:
        """Per document id: the number of chunks and when they were written."""
        counts: Counter[str] = Counter()
        written: dict[str, str | None] = {}
        for hit in self.points([DOC_ID_KEY, "ingested_at"]):
            doc_id = str(hit.payload.get(DOC_ID_KEY))
            counts[doc_id] += 1
            written[doc_id] = max(
                filter(None, [written.get(doc_id), hit.payload.get("ingested_at")]), default=None
            )
        return {doc_id: (count, written[doc_id]) for doc_id, count in counts.items()}

    def points(self, keys: list[str], vectors: bool = False) -> list[Hit]:
        """Every chunk, with these payload keys (all when none) and, if asked, its vectors."""
        return self.vector_store.hits(keys, vectors)

    def similarities(self, embedding: list[float], limit: int) -> list[float]:
        """The cosine similarities of the `limit` chunks nearest the embedding, highest first."""
        if not self.exists():
            return []
        hits = self.engine.query(Plan(dense=embedding, limit=limit))
        return sorted(cosines(hits, embedding), reverse=True)

    def vectors_of(self, doc_ids: list[str]) -> np.ndarray:
        """The dense vectors of these documents' chunks, one row each, of unit length."""
        if not doc_ids or not self.exists():
            return np.zeros((0, 0), dtype=np.float32)
        condition = (Match(DOC_ID_KEY, tuple(doc_ids)),)
        rows = [
            hit.dense for page in pages(self.engine, [DOC_ID_KEY], True, condition) for hit in page
        ]
        vectors = np.asarray(rows, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True) if len(rows) else 1.0
        return vectors / np.where(norms > 0, norms, 1.0)

    def chunks_of(self, doc_ids: list[str]) -> list[BaseNode]:
        """These documents' chunks with their text and metadata, in document order."""
        return self.vector_store.nodes_of(doc_ids)

    def count(self) -> int:
        """Total number of chunks."""
        return self.engine.count()

    def close(self) -> None:
        with suppress(StoreUnavailableError):
            self.engine.flush()
        self.engine.close()
