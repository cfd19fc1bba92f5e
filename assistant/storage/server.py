"""A Qdrant server or cluster through qdrant-client: the same plan as the embedded engine,
sent over the network. Collections keep llama-index's Qdrant layout (vector names and payload),
so those it made before stay readable."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from qdrant_client import QdrantClient
from qdrant_client.http import models as rest
from qdrant_client.http.exceptions import UnexpectedResponse

from assistant.core.errors import StoreUnavailableError
from assistant.storage.plan import (
    DENSE,
    INDEXED_KEYS,
    RRF_K,
    SPARSE,
    Hit,
    Match,
    Plan,
    StoredPoint,
    hit_from,
    pages,
)

BATCH = 256  # points per upsert request
FACET_LIMIT = 10_000_000  # every document: more than any inbox holds
Method = TypeVar("Method", bound=Callable[..., Any])


def reachable(method: Method) -> Method:
    """Report any failure to reach the server as the store being unavailable (503)."""

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except StoreUnavailableError:
            raise
        except Exception as exc:  # qdrant-client raises its own and httpx's errors
            raise unreachable(exc) from exc

    return cast(Method, call)


class ServerEngine:
    """One collection on a Qdrant server (or any qdrant-client location)."""

    def __init__(
        self,
        client: QdrantClient,
        collection: str,
        shards: int | None = None,
        replicas: int | None = None,
    ) -> None:
        self.client = client
        self.collection = collection
        self.shards = shards
        self.replicas = replicas

    @reachable
    def exists(self) -> bool:
        return bool(self.client.collection_exists(self.collection))

    @reachable
    def create(self, dimensions: int) -> None:
        self.client.create_collection(
            self.collection,
            vectors_config={DENSE: rest.VectorParams(size=dimensions, distance="Cosine")},
            sparse_vectors_config={SPARSE: rest.SparseVectorParams(modifier=rest.Modifier.IDF)},
            shard_number=self.shards,
            replication_factor=self.replicas,
        )
        for key in INDEXED_KEYS:
            self.client.create_payload_index(self.collection, key, rest.PayloadSchemaType.KEYWORD)

    @reachable
    def upsert(self, points: list[StoredPoint]) -> None:
        for start in range(0, len(points), BATCH):
            batch = [
                rest.PointStruct(
                    id=p.id,
                    vector={
                        DENSE: p.dense,
                        SPARSE: rest.SparseVector(indices=p.sparse.indices, values=p.sparse.values),
                    },
                    payload=p.payload,
                )
                for p in points[start : start + BATCH]
            ]
            self.client.upsert(self.collection, batch)

    @reachable
    def delete(self, condition: Match) -> None:
        where = _filter((condition,))
        assert where is not None
        self.client.delete(self.collection, points_selector=rest.FilterSelector(filter=where))

    @reachable
    def query(self, plan: Plan) -> list[Hit]:
        where = _filter(plan.conditions)
        sparse = None
        if plan.sparse is not None:
            sparse = rest.SparseVector(indices=plan.sparse.indices, values=plan.sparse.values)
        if plan.dense is None or sparse is None:
            response = self.client.query_points(
                self.collection,
                query=plan.dense if sparse is None else sparse,
                using=DENSE if sparse is None else SPARSE,
                query_filter=where,
                limit=plan.limit,
                with_payload=True,
                with_vectors=[DENSE],
            )
            return [_hit(point) for point in response.points]
        response = self.client.query_points(
            self.collection,
            prefetch=[
                rest.Prefetch(
                    query=plan.dense, using=DENSE, filter=where, limit=plan.dense_prefetch
                ),
                rest.Prefetch(query=sparse, using=SPARSE, filter=where, limit=plan.sparse_limit),
            ],
            query=_fusion(plan),
            limit=plan.limit,
            with_payload=True,
            with_vectors=[DENSE],
        )
        return [_hit(point) for point in response.points]

    @reachable
    def scroll(
        self,
        keys: list[str],
        offset: Any,
        limit: int,
        vectors: bool = False,
        conditions: tuple[Match, ...] = (),
    ) -> tuple[list[Hit], Any]:
        records, following = self.client.scroll(
            self.collection,
            scroll_filter=_filter(conditions),
            limit=limit,
            offset=offset,
            with_payload=rest.PayloadSelectorInclude(include=keys) if keys else True,
            with_vectors=[DENSE, SPARSE] if vectors else False,
        )
        return [_hit(record) for record in records], following

    @reachable
    def count(self) -> int:
        if not self.exists():
            return 0
        return int(self.client.count(self.collection, exact=True).count)

    @reachable
    def values(self, key: str) -> set[str]:
        """Every value of a payload key: from its index where the server has one, else read
        from every point (a collection made before the index was)."""
        if not self.exists():
            return set()
        try:
            found = self.client.facet(self.collection, key, limit=FACET_LIMIT, exact=True)
            return {str(hit.value) for hit in found.hits}
        except UnexpectedResponse:  # no index on the key
            return {str(hit.payload.get(key)) for page in pages(self, [key]) for hit in page}

    @reachable
    def has_sparse(self) -> bool:
        sparse = self.client.get_collection(self.collection).config.params.sparse_vectors
        return bool(sparse) and SPARSE in (sparse or {})

    @reachable
    def metadata(self) -> dict[str, Any]:
        return dict(self.client.get_collection(self.collection).config.metadata or {})

    @reachable
    def set_metadata(self, values: dict[str, Any]) -> None:
        self.client.update_collection(self.collection, metadata=values)

    def optimize(self) -> bool:
        return False  # the server optimises in its own time

    @reachable
    def drop(self) -> None:
        self.client.delete_collection(self.collection)

    def flush(self) -> None:
        """A server acknowledges a write once it is in its log."""

    def close(self) -> None:
        self.client.close()


def _fusion(plan: Plan) -> rest.FusionQuery | rest.RrfQuery:
    if plan.fusion == "dbsf":
        return rest.FusionQuery(fusion=rest.Fusion.DBSF)
    return rest.RrfQuery(rrf=rest.Rrf(k=RRF_K, weights=plan.weights))


def _filter(conditions: tuple[Match, ...]) -> rest.Filter | None:
    if not conditions:
        return None
    return rest.Filter(must=[_condition(c) for c in conditions])


def _condition(condition: Match) -> rest.FieldCondition:
    values = list(condition.values)
    match: rest.MatchValue | rest.MatchAny = (
        rest.MatchValue(value=values[0]) if len(values) == 1 else rest.MatchAny(any=values)
    )
    return rest.FieldCondition(key=condition.key, match=match)


def _hit(point: rest.ScoredPoint | rest.Record) -> Hit:
    return hit_from(point.id, point.payload, point.vector)


def unreachable(exc: Exception) -> StoreUnavailableError:
    return StoreUnavailableError(
        f"Qdrant is not reachable ({exc}); check VENDORINTEL_QDRANT_URL or the server."
    )


def open_server(url: str, api_key: str | None) -> QdrantClient:
    return QdrantClient(url=url, api_key=api_key, timeout=30)
