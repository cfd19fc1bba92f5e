"""The store's operations in the product's own terms, which each engine (Qdrant Edge in the
process, a Qdrant server through qdrant-client) turns into its own request types.

A hybrid query is one plan for both: a dense prefetch and a sparse prefetch under the same
filter, fused by the engine (weighted reciprocal ranks, or Qdrant's distribution-based score
fusion), returning each hit with its dense vector so its cosine can be given as its score.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Fusion = Literal["rrf", "dbsf"]
RRF_K = 30  # chosen on FinanceBench among 10, 30 and 60: at 60, MRR@10 fell 2.4 points (README)
DENSE = "text-dense"  # llama-index's Qdrant names, so server collections it made stay readable
SPARSE = "text-sparse-new"
DOC_ID_KEY = "doc_id"  # the payload key with each chunk's document id
INDEXED_KEYS = (DOC_ID_KEY, "vendors", "doc_type")  # filtered on: keyword payload indexes
PAGE = 1024  # points per scroll request


@dataclass(frozen=True)
class Sparse:
    indices: list[int]
    values: list[float]


@dataclass(frozen=True)
class Match:
    """Payload `key` has one of `values` (for a list field: contains one of them)."""

    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class StoredPoint:
    id: str
    dense: list[float]
    sparse: Sparse
    payload: dict[str, Any]


@dataclass(frozen=True)
class Plan:
    """Chunks nearest `dense`, fused with those matching `sparse` when given (only those
    matching `sparse`, without `dense`); every condition must hold. `alpha` weighs the dense
    ranking in reciprocal rank fusion."""

    dense: list[float] | None
    limit: int
    dense_limit: int = 0  # of the dense prefetch (0: limit)
    sparse: Sparse | None = None
    sparse_limit: int = 0
    conditions: tuple[Match, ...] = ()
    fusion: Fusion = "rrf"
    alpha: float = 0.5

    @property
    def dense_prefetch(self) -> int:
        return self.dense_limit or self.limit

    @property
    def weights(self) -> list[float]:
        return [2 * self.alpha, 2 * (1 - self.alpha)]


@dataclass(frozen=True)
class Hit:
    id: str
    payload: dict[str, Any]
    dense: list[float] = field(default_factory=list)
    sparse: Sparse | None = None


class Engine(Protocol):
    """What the chunk store needs of a Qdrant engine."""

    def exists(self) -> bool: ...

    def create(self, dimensions: int) -> None: ...

    def upsert(self, points: list[StoredPoint]) -> None: ...

    def delete(self, condition: Match) -> None: ...

    def query(self, plan: Plan) -> list[Hit]: ...

    def scroll(
        self,
        keys: list[str],
        offset: Any,
        limit: int,
        vectors: bool = False,
        conditions: tuple[Match, ...] = (),
    ) -> tuple[list[Hit], Any]: ...

    def count(self) -> int: ...

    def values(self, key: str) -> set[str]: ...

    def metadata(self) -> dict[str, Any]: ...

    def set_metadata(self, values: dict[str, Any]) -> None: ...

    def has_sparse(self) -> bool: ...

    def optimize(self) -> bool: ...

    def drop(self) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


def hit_from(point_id: Any, payload: dict[str, Any] | None, vectors: Any) -> Hit:
    """A point as either engine returns it (its named vectors a dict, a sparse one with
    `indices` and `values`) as a Hit."""
    named = vectors if isinstance(vectors, dict) else {}
    found = named.get(SPARSE)
    sparse = Sparse(list(found.indices), list(found.values)) if found is not None else None
    return Hit(str(point_id), payload or {}, list(named.get(DENSE, [])), sparse)


def pages(
    engine: Engine, keys: list[str], vectors: bool = False, conditions: tuple[Match, ...] = ()
) -> Iterator[list[Hit]]:
    """Every point of the engine's store (that meets the conditions), a page at a time."""
    offset: Any = None
    while True:
        page, offset = engine.scroll(keys, offset, PAGE, vectors, conditions)
        yield page
        if offset is None:
            return
