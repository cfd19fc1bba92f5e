"""Find the chunks that best match a question, optionally for one vendor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llama_index.core import VectorStoreIndex
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

    from assistant.store import ChunkStore


def chunk_filter(vendor: str | None, doc_type: str | None = None) -> MetadataFilters | None:
    """Chunks whose `vendors` list contains the vendor (a canonical name), of one doc type."""
    filters: list[MetadataFilter | MetadataFilters] = [
        MetadataFilter(key=key, value=value, operator=FilterOperator.EQ)
        for key, value in (("vendors", vendor), ("doc_type", doc_type))
        if value
    ]
    return MetadataFilters(filters=filters) if filters else None


def retrieve(
    store: ChunkStore,
    embed_model: BaseEmbedding,
    query: QueryBundle,
    top_k: int,
    vendor: str | None = None,
    doc_type: str | None = None,
) -> list[NodeWithScore]:
    """Top chunks by similarity; an empty list when nothing is indexed yet."""
    if not store.exists():
        return []
    index = VectorStoreIndex.from_vector_store(store.vector_store, embed_model=embed_model)
    retriever = index.as_retriever(similarity_top_k=top_k, filters=chunk_filter(vendor, doc_type))
    return retriever.retrieve(query)
