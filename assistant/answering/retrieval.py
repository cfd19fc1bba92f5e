"""Find the chunks that best match a question: hybrid search (embedding and keywords), with
chunks about the companies and periods the question names ranked up."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from llama_index.core import VectorStoreIndex
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

    from assistant.storage.chunks import ChunkStore

# 2023, FY2023, FY 2023, fiscal 2023, FY23.
YEAR = re.compile(r"\b(?:fy\s?|fiscal\s(?:year\s)?)?((?:19|20)\d\d)\b|\bfy\s?(\d\d)\b", re.I)
POOL = 2  # candidates searched per chunk returned, for the boosts to choose from
RRF_K = 60  # the usual rank constant of reciprocal rank fusion


@dataclass(frozen=True)
class Focus:
    """What a question is about beyond its words: companies (canonical names) and years."""

    vendors: list[str] = field(default_factory=list)
    years: list[str] = field(default_factory=list)


def years_in(question: str) -> list[str]:
    found = (m.group(1) or f"20{m.group(2)}" for m in YEAR.finditer(question))
    return list(dict.fromkeys(found))


def chunk_filter(
    vendor: str | list[str] | None, doc_type: str | None = None
) -> MetadataFilters | None:
    """Chunks whose `vendors` list contains the vendor (or one of them), of one doc type."""
    filters: list[MetadataFilter | MetadataFilters] = []
    if isinstance(vendor, list):
        filters.append(MetadataFilter(key="vendors", value=vendor, operator=FilterOperator.IN))
    elif vendor:
        filters.append(MetadataFilter(key="vendors", value=vendor, operator=FilterOperator.EQ))
    if doc_type:
        filters.append(MetadataFilter(key="doc_type", value=doc_type, operator=FilterOperator.EQ))
    return MetadataFilters(filters=filters) if filters else None


def retrieve(
    store: ChunkStore,
    embed_model: BaseEmbedding,
    query: QueryBundle,
    top_k: int,
    vendor: str | list[str] | None = None,
    doc_type: str | None = None,
    focus: Focus | None = None,
    alpha: float = 0.5,
    rerank: int = 0,
) -> list[NodeWithScore]:
    """Top chunks by hybrid search; an empty list when nothing is indexed yet.

    With a focus, a second search keeps to the companies named, and chunks of the years named
    rank higher; when the focused search finds little, the plain one still fills the list.
    With `rerank`, that many candidates are reordered by their best sentence (see rerank).
    """
    if not store.exists():
        return []
    index = VectorStoreIndex.from_vector_store(store.vector_store, embed_model=embed_model)
    pool = top_k * POOL

    def search(filters: MetadataFilters | None) -> list[NodeWithScore]:
        retriever = index.as_retriever(
            similarity_top_k=pool,
            sparse_top_k=pool,
            hybrid_top_k=pool,
            vector_store_query_mode="hybrid",
            alpha=alpha,
            filters=filters,
        )
        return retriever.retrieve(query)

    ranked = [search(chunk_filter(vendor, doc_type))]
    if focus is not None and focus.vendors and vendor is None:
        ranked.append(search(chunk_filter(focus.vendors, doc_type)))
    if focus is not None and focus.years:
        seen = {hit.node.node_id: hit for hits in ranked for hit in hits}
        ranked.append([hit for hit in seen.values() if of_years(hit, focus.years)])
    if rerank:
        return by_best_sentence(fuse(ranked, max(rerank, top_k)), query, embed_model)[:top_k]
    return fuse(ranked, top_k)


def by_best_sentence(
    hits: list[NodeWithScore], query: QueryBundle, embed_model: BaseEmbedding
) -> list[NodeWithScore]:
    """Chunks reordered as the answerer scores sentences: the best sentence's similarity to
    the question, mixed with the chunk's. Finer than chunk similarity; every sentence of every
    candidate is embedded, so it is slow on a CPU (off by default, see the README)."""
    from assistant.answering.candidates import SENTENCE_WEIGHT, candidate_sentences

    sentences = candidate_sentences(hits)
    if not sentences or query.embedding is None:
        return hits
    vectors = np.asarray(embed_model.get_text_embedding_batch([s.text for s in sentences]))
    similarity = vectors @ np.asarray(query.embedding)
    best = [0.0] * len(hits)
    for sentence, value in zip(sentences, similarity, strict=True):
        best[sentence.hit] = max(best[sentence.hit], float(value))
    score = [
        SENTENCE_WEIGHT * b + (1 - SENTENCE_WEIGHT) * (hit.score or 0.0)
        for b, hit in zip(best, hits, strict=True)
    ]
    order = sorted(range(len(hits)), key=score.__getitem__, reverse=True)
    return [hits[i] for i in order]


def of_years(hit: NodeWithScore, years: list[str]) -> bool:
    """Whether a chunk's period (or else its title) names one of the years."""
    meta = hit.node.metadata
    label = str(meta.get("period") or meta.get("title") or "")
    return any(year in label for year in years)


def fuse(ranked: list[list[NodeWithScore]], top_k: int) -> list[NodeWithScore]:
    """Reciprocal rank fusion of result lists; each chunk keeps its own score."""
    if len(ranked) == 1:
        return ranked[0][:top_k]
    hits = {hit.node.node_id: hit for hits in ranked for hit in hits}
    ids = [[hit.node.node_id for hit in hits_] for hits_ in ranked]
    return [hits[node_id] for node_id in reciprocal_rank(ids, [1.0] * len(ids))[:top_k]]


def reciprocal_rank(ranked: list[list[str]], weights: list[float]) -> list[str]:
    """Ids of several ranked lists, ordered by the weighted sum of 1 / (RRF_K + rank)."""
    fused: defaultdict[str, float] = defaultdict(float)
    for ids, weight in zip(ranked, weights, strict=True):
        for rank, node_id in enumerate(ids):
            fused[node_id] += weight / (RRF_K + rank + 1)
    return sorted(fused, key=fused.__getitem__, reverse=True)
