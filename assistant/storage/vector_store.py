"""llama-index's view of the chunk store: a vector store whose hybrid query is one plan,
fused in the engine, for the embedded engine and a server alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.schema import BaseNode, MetadataMode
from llama_index.core.vector_stores.types import (
    BasePydanticVectorStore,
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
    VectorStoreQueryResult,
)
from llama_index.core.vector_stores.utils import metadata_dict_to_node, node_to_metadata_dict

from assistant.storage.plan import (
    DOC_ID_KEY,
    Engine,
    Fusion,
    Hit,
    Match,
    Plan,
    Sparse,
    StoredPoint,
    pages,
)
from assistant.storage.sparse import encode_documents, encode_queries


class HybridVectorStore(BasePydanticVectorStore):
    """Chunks with a dense and a sparse vector each; a hybrid query is a dense and a sparse
    prefetch fused by the engine. Each hit's score is its cosine similarity to the question,
    which the answerer's thresholds are calibrated on; the fusion decides only the order."""

    stores_text: bool = True
    is_embedding_query: bool = True
    fusion: Fusion = "rrf"
    _engine: Engine = PrivateAttr()

    def __init__(self, engine: Engine, fusion: Fusion = "rrf") -> None:
        super().__init__(stores_text=True, fusion=fusion)
        self._engine = engine

    @classmethod
    def class_name(cls) -> str:
        return "HybridVectorStore"

    @property
    def client(self) -> Engine:
        return self._engine

    def add(self, nodes: Sequence[BaseNode], **add_kwargs: Any) -> list[str]:
        """Write embedded chunks (an id written again replaces its chunk)."""
        if not nodes:
            return []
        if not self._engine.exists():
            self._engine.create(len(nodes[0].get_embedding()))
        texts = [node.get_content(metadata_mode=MetadataMode.EMBED) for node in nodes]
        indices, values = encode_documents(texts)
        points = [
            StoredPoint(
                id=node.node_id,
                dense=node.get_embedding(),
                sparse=Sparse(terms, weights),
                payload=node_to_metadata_dict(node, remove_text=False, flat_metadata=False),
            )
            for node, terms, weights in zip(nodes, indices, values, strict=True)
        ]
        self._engine.upsert(points)
        return [point.id for point in points]

    def delete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        if self._engine.exists():
            self._engine.delete(Match(DOC_ID_KEY, (ref_doc_id,)))

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        if query.query_embedding is None:
            raise ValueError("The chunk store is queried by embedding: embed the question first.")
        if not self._engine.exists():
            return VectorStoreQueryResult(nodes=[], similarities=[], ids=[])
        hits = self._engine.query(self.plan(query))
        return as_result(hits, query.query_embedding)

    def plan(self, query: VectorStoreQuery) -> Plan:
        assert query.query_embedding is not None
        limit = query.similarity_top_k
        hybrid = query.mode == VectorStoreQueryMode.HYBRID and bool(query.query_str)
        if not hybrid:
            return Plan(dense=query.query_embedding, limit=limit, conditions=conditions(query))
        indices, values = encode_queries([str(query.query_str)])
        return Plan(
            dense=query.query_embedding,
            limit=query.hybrid_top_k or limit,
            dense_limit=limit,
            sparse=Sparse(indices[0], values[0]),
            sparse_limit=query.sparse_top_k or limit,
            conditions=conditions(query),
            fusion=self.fusion,
            alpha=query.alpha if query.alpha is not None else 0.5,
        )

    def get_nodes(
        self, node_ids: list[str] | None = None, filters: MetadataFilters | None = None
    ) -> list[BaseNode]:
        """Every chunk (llama-index's interface; only the whole store is asked for here)."""
        if node_ids is not None or filters is not None:
            raise NotImplementedError("The chunk store lists all chunks; filter them after.")
        return [metadata_dict_to_node(hit.payload) for hit in self.hits([])]

    def hits(
        self, keys: list[str], vectors: bool = False, where: tuple[Match, ...] = ()
    ) -> list[Hit]:
        """Every point (meeting the conditions), with these payload keys (all when none) and,
        if asked, its vectors."""
        if not self._engine.exists():
            return []
        return [hit for page in pages(self._engine, keys, vectors, where) for hit in page]

    def nodes_of(self, doc_ids: list[str]) -> list[BaseNode]:
        """These documents' chunks, in document order."""
        found = self.hits([], where=(Match(DOC_ID_KEY, tuple(doc_ids)),)) if doc_ids else []
        nodes = [metadata_dict_to_node(hit.payload) for hit in found]
        return sorted(nodes, key=lambda n: (n.ref_doc_id or "", n.metadata.get("chunk", 0)))


def conditions(query: VectorStoreQuery) -> tuple[Match, ...]:
    """The query's metadata filters as conditions that must all hold: equals, or is one of."""
    filters = query.filters
    if filters is None or not filters.filters:
        return ()
    if filters.condition not in (None, FilterCondition.AND):
        raise ValueError("The chunk store combines filters with AND only.")
    found = []
    for f in filters.filters:
        if not isinstance(f, MetadataFilter) or f.operator not in (
            FilterOperator.EQ,
            FilterOperator.IN,
        ):
            raise ValueError(f"The chunk store filters by equality or membership, not {f!r}.")
        values = f.value if isinstance(f.value, list) else [f.value]
        found.append(Match(f.key, tuple(str(v) for v in values)))
    return tuple(found)


def as_result(hits: list[Hit], question: list[float]) -> VectorStoreQueryResult:
    """The hits as llama-index nodes, each scored by its cosine similarity to the question."""
    nodes = [metadata_dict_to_node(hit.payload) for hit in hits]
    return VectorStoreQueryResult(
        nodes=nodes, similarities=cosines(hits, question), ids=[hit.id for hit in hits]
    )


def cosines(hits: list[Hit], question: list[float]) -> list[float]:
    if not hits:
        return []
    vectors = np.asarray([hit.dense for hit in hits], dtype=np.float32)
    query = np.asarray(question, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1) * (np.linalg.norm(query) or 1.0)
    return [float(s) for s in (vectors @ query) / np.where(norms > 0, norms, 1.0)]
