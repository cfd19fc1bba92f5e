"""The only module that knows Qdrant: embedded (local mode) by default, a server by URL."""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.schema import MetadataMode
from llama_index.core.vector_stores.types import (
    VectorStoreQuery,
    VectorStoreQueryMode,
    VectorStoreQueryResult,
)
from llama_index.vector_stores.qdrant import QdrantVectorStore
from qdrant_client import QdrantClient
from qdrant_client.http import models as rest

from assistant.core.errors import StoreUnavailableError
from assistant.storage.local_index import LocalIndex
from assistant.storage.sparse import encode_documents, encode_queries, fusion

if TYPE_CHECKING:
    from collections.abc import Sequence

    from llama_index.core.schema import BaseNode

    from assistant.core.settings import Settings

logger = logging.getLogger(__name__)
# Local mode has no payload indexes; llama-index asks for them anyway, and the warning is noise.
warnings.filterwarnings("ignore", message="Payload indexes have no effect in the local Qdrant")

# The payload key llama-index's Qdrant store writes with each chunk's document id.
DOC_ID_KEY = "doc_id"
VECTOR_SPACE_KEY = "vector_space"  # collection metadata: the model and backend of the vectors


def open_client(settings: Settings) -> QdrantClient:
    """Open the embedded store under the data dir, or connect to the configured server."""
    if settings.store.qdrant_url:
        api_key = (
            settings.store.qdrant_api_key.get_secret_value()
            if settings.store.qdrant_api_key
            else None
        )
        return QdrantClient(url=settings.store.qdrant_url, api_key=api_key, timeout=30)
    try:
        settings.qdrant_path.mkdir(parents=True, exist_ok=True)
        return QdrantClient(path=str(settings.qdrant_path))
    except OSError as exc:  # embedded Qdrant writes a lock file even to only read
        raise StoreUnavailableError(
            f"The embedded index at {settings.qdrant_path} cannot be opened ({exc.strerror}): "
            "the data directory must be writable, with free space. Make it so, or point "
            "VENDORINTEL_DATA_DIR at a writable copy of it."
        ) from exc
    except RuntimeError as exc:
        if "already accessed" not in str(exc):
            raise
        raise StoreUnavailableError(
            f"The embedded index at {settings.qdrant_path} is in use by another vendorintel "
            "process (for example `vendorintel serve`). Stop that process and retry, or set "
            "VENDORINTEL_QDRANT_URL to a Qdrant server so several processes can share it."
        ) from exc


def unreachable(exc: Exception) -> StoreUnavailableError:
    return StoreUnavailableError(
        f"Qdrant is not reachable ({exc}); check VENDORINTEL_QDRANT_URL or the server."
    )


class HybridStore(QdrantVectorStore):
    """llama-index's Qdrant store, hybrid; in embedded mode both halves of a hybrid query are
    answered by a LocalIndex (see there why), and fused the same way."""

    _local: Callable[[], LocalIndex] | None = PrivateAttr(default=None)

    # Keeps QdrantVectorStore's own signature for type checking: its pydantic fields would
    # otherwise all count as required arguments.
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    def use_local_index(self, local: Callable[[], LocalIndex]) -> None:
        self._local = local

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        hybrid = query.mode == VectorStoreQueryMode.HYBRID and bool(query.query_str)
        if self._local is None or not hybrid or not LocalIndex.handles(query.filters):
            return super().query(query, **kwargs)
        assert query.query_embedding is not None
        local = self._local()
        allowed = local.mask(query.filters)
        dense = local.dense_search(query.query_embedding, query.similarity_top_k, allowed)
        indices, values = encode_queries([str(query.query_str)])
        limit = query.sparse_top_k or query.similarity_top_k
        sparse = local.search((indices[0], values[0]), limit, allowed)
        payloads = self._payloads([point_id for point_id, _ in dense + sparse])
        assert self._hybrid_fusion_fn is not None  # set with enable_hybrid
        return self._hybrid_fusion_fn(
            self._as_result(dense, payloads),
            self._as_result(sparse, payloads),
            alpha=query.alpha if query.alpha is not None else 0.5,
            top_k=query.hybrid_top_k or query.similarity_top_k,
        )

    def _payloads(self, point_ids: list[str]) -> dict[str, dict[str, Any]]:
        records = self.client.retrieve(
            self.collection_name, ids=list(dict.fromkeys(point_ids)), with_payload=True
        )
        return {str(r.id): r.payload or {} for r in records}

    def _as_result(
        self, found: list[tuple[str, float]], payloads: dict[str, dict[str, Any]]
    ) -> VectorStoreQueryResult:
        points = [
            rest.ScoredPoint(id=point_id, version=0, score=score, payload=payloads[point_id])
            for point_id, score in found
            if point_id in payloads
        ]
        return self.parse_to_query_result(points)


class ChunkStore:
    """The collection of embedded chunks, seen through llama-index and through Qdrant directly."""

    def __init__(self, settings: Settings, vector_space: str, unlabelled_space: str) -> None:
        """`vector_space` names what made the dense vectors; a collection made by another
        model or backend is rebuilt, because its vectors and the questions' would not match.
        `unlabelled_space` made the vectors of collections from before spaces were named."""
        self.collection = settings.store.collection
        self.client = open_client(settings)
        self.vector_space = vector_space
        self.unlabelled_space = unlabelled_space
        try:
            self.rebuilt = self._drop_stale_collection()
        except StoreUnavailableError as exc:
            # Start anyway: questions get a clear 503 until the server is back, and work again
            # then without a restart. (The collection's vectors are checked at the next start.)
            logger.warning("%s Starting without it.", exc)
            self.rebuilt = False
        self._settings = settings
        self._vector_store: HybridStore | None = None
        self._local: LocalIndex | None = None
        self._space_recorded = False  # recorded (again: it is idempotent) on the first write
        with suppress(StoreUnavailableError):  # made on first use once the server is back
            _ = self.vector_store

    @property
    def vector_store(self) -> HybridStore:
        """llama-index's view of the collection; making it asks the server about the
        collection, so against a server that is down it is made on a later call."""
        if self._vector_store is None:
            try:
                self._vector_store = self._open_vector_store()
            except Exception as exc:  # qdrant-client raises its own and httpx's errors
                raise unreachable(exc) from exc
        return self._vector_store

    def _open_vector_store(self) -> HybridStore:
        settings = self._settings
        # Each chunk has a dense vector (the embedding) and a sparse one (keyword terms, which
        # Qdrant weighs by IDF); a hybrid query runs both and fuses the rankings.
        store = HybridStore(
            client=self.client,
            collection_name=self.collection,
            batch_size=256,
            shard_number=settings.store.qdrant_shards,
            replication_factor=settings.store.qdrant_replicas,
            enable_hybrid=True,
            sparse_config=rest.SparseVectorParams(modifier=rest.Modifier.IDF),
            sparse_doc_fn=encode_documents,
            sparse_query_fn=encode_queries,
            hybrid_fusion_fn=fusion(settings.answering.hybrid_fusion),
        )
        if not settings.store.qdrant_url:
            store.use_local_index(self.local_index)
        return store

    def local_index(self) -> LocalIndex:
        """The embedded store's search index, read from the collection on first use."""
        if self._local is None:
            local = LocalIndex(DOC_ID_KEY)
            sparse_name = self.vector_store.sparse_vector_name
            dense_name = self.vector_store.dense_vector_name
            keys = [DOC_ID_KEY, "vendors", "doc_type"]
            for point in self._points(keys, vectors=[sparse_name, dense_name]):
                vectors: Any = point.vector or {}
                sparse, dense = vectors.get(sparse_name), vectors.get(dense_name)
                if isinstance(sparse, rest.SparseVector) and isinstance(dense, list):
                    row = (sparse.indices, sparse.values)
                    local.add(str(point.id), point.payload or {}, row, dense)
            self._local = local
        return self._local

    def _drop_stale_collection(self) -> bool:
        """Drop a collection that cannot serve these questions, so the next ingest rebuilds it
        (the embedding cache makes that cheap): one from before keyword search, or one whose
        vectors another backend made. True if dropped."""
        if not self.exists():
            return False
        config = self.client.get_collection(self.collection).config
        made_by = (config.metadata or {}).get(VECTOR_SPACE_KEY, self.unlabelled_space)
        if config.params.sparse_vectors and made_by == self.vector_space:
            return False
        self.client.delete_collection(self.collection)
        return True

    def _record_vector_space(self) -> None:
        """Note what made the vectors, once, on the collection llama-index created."""
        if not self._space_recorded:
            metadata = {VECTOR_SPACE_KEY: self.vector_space}
            self.client.update_collection(self.collection, metadata=metadata)
            self._space_recorded = True

    def exists(self) -> bool:
        """Whether any chunk was ever written (the collection is created on first write)."""
        try:
            return bool(self.client.collection_exists(self.collection))
        except Exception as exc:
            raise unreachable(exc) from exc

    def delete_documents(self, doc_ids: list[str]) -> None:
        """Remove every chunk of these documents, in one pass over the collection."""
        if doc_ids and self.exists():
            self.client.delete(
                self.collection,
                points_selector=rest.Filter(
                    must=[rest.FieldCondition(key=DOC_ID_KEY, match=rest.MatchAny(any=doc_ids))]
                ),
            )
            if self._local is not None:
                self._local.remove_documents(doc_ids)

    def add_chunks(self, chunks: Sequence[BaseNode]) -> None:
        """Write embedded chunks (ids are stable, so writing one again replaces it)."""
        if not chunks:
            return
        self.vector_store.add(list(chunks))
        self._record_vector_space()
        if self._local is not None:
            texts = [chunk.get_content(metadata_mode=MetadataMode.EMBED) for chunk in chunks]
            indices, values = encode_documents(texts)
            for chunk, row in zip(chunks, zip(indices, values, strict=True), strict=True):
                payload = {**chunk.metadata, DOC_ID_KEY: chunk.ref_doc_id}
                assert chunk.embedding is not None  # embedded before it is written
                self._local.add(chunk.node_id, payload, row, chunk.embedding)

    def document_stats(self) -> dict[str, tuple[int, str | None]]:
        """Per document id: the number of chunks and when they were written."""
        counts: Counter[str] = Counter()
        written: dict[str, str | None] = {}
        for point in self._points([DOC_ID_KEY, "ingested_at"]):
            payload = point.payload or {}
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

    def _points(self, keys: list[str], vectors: list[str] | None = None) -> list[rest.Record]:
        """Every point, with these payload keys (and vectors)."""
        if not self.exists():
            return []
        records: list[rest.Record] = []
        offset: Any = None
        while True:
            points, offset = self.client.scroll(
                self.collection,
                limit=1024,
                offset=offset,
                with_payload=rest.PayloadSelectorInclude(include=keys),
                with_vectors=vectors or False,
            )
            records.extend(points)
            if offset is None:
                return records

    def close(self) -> None:
        self.client.close()
