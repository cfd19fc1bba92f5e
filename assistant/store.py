"""The only module that knows Qdrant: embedded (local mode) by default, a server by URL."""

from __future__ import annotations

import warnings
from collections import Counter
from typing import TYPE_CHECKING, Any

from qdrant_client import QdrantClient
from qdrant_client.http import models as rest

if TYPE_CHECKING:
    from collections.abc import Sequence

    from llama_index.core.schema import BaseNode
    from llama_index.vector_stores.qdrant import QdrantVectorStore

    from assistant.settings import Settings

# Local mode has no payload indexes; llama-index asks for them anyway, and the warning is noise.
warnings.filterwarnings("ignore", message="Payload indexes have no effect in the local Qdrant")

# The payload key llama-index's Qdrant store writes with each chunk's document id.
DOC_ID_KEY = "doc_id"


class StoreUnavailableError(RuntimeError):
    """The vector store cannot be opened or reached."""


def open_client(settings: Settings) -> QdrantClient:
    """Open the embedded store under the data dir, or connect to the configured server."""
    if settings.qdrant_url:
        api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        return QdrantClient(url=settings.qdrant_url, api_key=api_key, timeout=30)
    settings.qdrant_path.mkdir(parents=True, exist_ok=True)
    try:
        return QdrantClient(path=str(settings.qdrant_path))
    except RuntimeError as exc:
        if "already accessed" not in str(exc):
            raise
        raise StoreUnavailableError(
            f"The embedded index at {settings.qdrant_path} is in use by another vendorintel "
            "process (for example `vendorintel serve`). Stop that process and retry, or set "
            "VENDORINTEL_QDRANT_URL to a Qdrant server so several processes can share it."
        ) from exc


class ChunkStore:
    """The collection of embedded chunks, seen through llama-index and through Qdrant directly."""

    def __init__(self, settings: Settings) -> None:
        from llama_index.vector_stores.qdrant import QdrantVectorStore

        self.collection = settings.collection
        self.client = open_client(settings)
        self.vector_store: QdrantVectorStore = QdrantVectorStore(
            client=self.client,
            collection_name=self.collection,
            batch_size=256,
            shard_number=settings.qdrant_shards,
            replication_factor=settings.qdrant_replicas,
        )

    def exists(self) -> bool:
        """Whether any chunk was ever written (the collection is created on first write)."""
        try:
            return bool(self.client.collection_exists(self.collection))
        except Exception as exc:
            raise StoreUnavailableError(
                f"Qdrant is not reachable ({exc}); check VENDORINTEL_QDRANT_URL or the server."
            ) from exc

    def delete_document(self, doc_id: str) -> None:
        """Remove every chunk of one document."""
        self.delete_documents([doc_id])

    def delete_documents(self, doc_ids: list[str]) -> None:
        """Remove every chunk of these documents, in one pass over the collection."""
        if doc_ids and self.exists():
            self.client.delete(
                self.collection,
                points_selector=rest.Filter(
                    must=[rest.FieldCondition(key=DOC_ID_KEY, match=rest.MatchAny(any=doc_ids))]
                ),
            )

    def add_chunks(self, chunks: Sequence[BaseNode]) -> None:
        """Write embedded chunks (ids are stable, so writing one again replaces it)."""
        if chunks:
            self.vector_store.add(list(chunks))

    def document_stats(self) -> dict[str, tuple[int, str | None]]:
        """Per document id: the number of chunks and when they were written."""
        counts: Counter[str] = Counter()
        written: dict[str, str | None] = {}
        for payload in self._payloads([DOC_ID_KEY, "ingested_at"]):
            doc_id = str(payload.get(DOC_ID_KEY))
            counts[doc_id] += 1
            written[doc_id] = max(
                filter(None, [written.get(doc_id), payload.get("ingested_at")]), default=None
            )
        return {doc_id: (count, written[doc_id]) for doc_id, count in counts.items()}

    def count(self) -> int:
        """Total number of chunks."""
        if not self.exists():
            return 0
        return int(self.client.count(self.collection, exact=True).count)

    def _payloads(self, keys: list[str]) -> list[dict[str, Any]]:
        if not self.exists():
            return []
        payloads: list[dict[str, Any]] = []
        offset: Any = None
        while True:
            points, offset = self.client.scroll(
                self.collection,
                limit=1024,
                offset=offset,
                with_payload=rest.PayloadSelectorInclude(include=keys),
                with_vectors=False,
            )
            payloads.extend(point.payload or {} for point in points)
            if offset is None:
                return payloads

    def close(self) -> None:
        self.client.close()
