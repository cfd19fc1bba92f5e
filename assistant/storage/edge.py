"""The embedded engine: Qdrant Edge, Qdrant's own engine in this process, one shard under
the data dir (segments, a write-ahead log, payload indexes, prefetch and fusion).

The dense index is a plain (exact) scan over int8-quantized vectors, rescored with the
originals. Building an HNSW graph holds the interpreter for over a minute at 100,000 chunks,
and no question could be answered meanwhile; the quantized scan answers within the product's
latency goal at that size and builds in seconds (see bench/store.py).

The engine's files are memory-mapped and grow in place. A page first written on a full disk
kills the process (SIGBUS), so writes check for room first, and stored vectors are not read
into memory ahead of use, which on some filesystems would allocate whole preallocated files.
Opening the shard writes into its files: a 4 MB reserve file beside it is given up when the
disk is nearly full, so the index still opens and answers.
"""

from __future__ import annotations

import fcntl
import json
import logging
import shutil
from pathlib import Path
from typing import IO, Any

import qdrant_edge as qe

from assistant.core.errors import StoreUnavailableError
from assistant.storage.disk import ensure_room
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
)

logger = logging.getLogger(__name__)

# Segments of at most about 24 MB of vectors (16,000 chunks): each optimisation rebuilds one
# segment at a time, briefly, rather than the whole index at once.
OPTIMIZERS = qe.EdgeOptimizersConfig(default_segment_number=8, max_segment_size=24_000)
PLAIN = qe.HnswIndexConfig(m=0, ef_construct=100, full_scan_threshold=10_000)  # exact scan
QUANTIZED = qe.ScalarQuantizationConfig(type=qe.ScalarType.Int8, always_ram=True)
RESCORED = qe.SearchParams(quantization=qe.QuantizationSearchParams(rescore=True, oversampling=2.0))
COLD = qe.Memory.Cold  # read through the page cache, never preloaded
WITH: dict[str, Any] = {"with_payload": True, "with_vector": [DENSE]}  # every hit: its cosine
RESERVE_BYTES = 4 << 20
HEADROOM_BYTES = 8 << 20  # free space kept beyond a write's own size
FACET_LIMIT = 10_000_000  # every document: more than any inbox holds


class EdgeEngine:
    """One Qdrant Edge shard at `path`, with its own small metadata file beside it."""

    def __init__(self, path: Path) -> None:
        """Held by this process until closed: a second one is told who has it."""
        self.path = path
        self.meta_path = path.with_name(path.name + ".json")
        self._lock: IO[bytes] | None = _hold(path.with_name(path.name + ".lock"))
        self._shard: qe.EdgeShard | None = None
        if (path / "edge_config.json").exists():
            self._shard = self._load()

    def _load(self) -> qe.EdgeShard:
        if shutil.disk_usage(self.path).free < HEADROOM_BYTES:
            self.reserve.unlink(missing_ok=True)  # the disk is full: the index must still open
        try:
            return qe.EdgeShard.load(str(self.path))
        except Exception as exc:  # the engine raises one exception type for everything
            raise _unavailable(self.path, exc) from exc

    @property
    def reserve(self) -> Path:
        return self.path.with_name(self.path.name + ".reserve")

    def _keep_reserve(self) -> None:
        """Put the reserve back once there is room for it again."""
        if not self.reserve.exists():
            ensure_room(self.path.parent, HEADROOM_BYTES)
            self.reserve.write_bytes(b"\0" * RESERVE_BYTES)

    def ensure_room(self, needed: int) -> None:
        """Refuse a write of about `needed` bytes that the disk could not take whole."""
        self._keep_reserve()
        ensure_room(self.path.parent, needed + HEADROOM_BYTES)

    @property
    def shard(self) -> qe.EdgeShard:
        assert self._shard is not None, "created on the first write"
        return self._shard

    def exists(self) -> bool:
        return self._shard is not None

    def create(self, dimensions: int) -> None:
        config = qe.EdgeConfig(
            vectors={
                DENSE: qe.EdgeVectorParams(
                    size=dimensions, distance=qe.Distance.Cosine, memory=COLD
                )
            },
            sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
            hnsw_config=PLAIN,
            quantization_config=QUANTIZED,
            optimizers=OPTIMIZERS,
            payload_memory=COLD,
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._shard = qe.EdgeShard.create(str(self.path), config)
        except Exception as exc:
            raise _unavailable(self.path, exc) from exc
        keyword = qe.KeywordIndexParams(memory=COLD, enable_hnsw=False)
        for key in INDEXED_KEYS:
            self.shard.update(qe.UpdateOperation.create_field_index(key, keyword))

    def upsert(self, points: list[StoredPoint]) -> None:
        self.ensure_room(sum(_bytes_written(p) for p in points))
        edge_points = [
            qe.Point(
                p.id,
                {DENSE: p.dense, SPARSE: qe.SparseVector(p.sparse.indices, p.sparse.values)},
                p.payload,
            )
            for p in points
        ]
        self.shard.update(qe.UpdateOperation.upsert_points(edge_points))

    def delete(self, condition: Match) -> None:
        self.ensure_room(0)  # a deletion is written to the log too
        where = qe.Filter(must=[_condition(condition)])
        self.shard.update(qe.UpdateOperation.delete_points_by_filter(where))

    def query(self, plan: Plan) -> list[Hit]:
        """The plan's hits, best first, each with its dense vector."""
        where = _filter(plan.conditions)
        dense = None if plan.dense is None else qe.Query.Nearest(plan.dense, using=DENSE)
        keywords = None
        if plan.sparse is not None:
            terms = qe.SparseVector(plan.sparse.indices, plan.sparse.values)
            keywords = qe.Query.Nearest(terms, using=SPARSE)
        if dense is None or keywords is None:
            request = qe.QueryRequest(
                limit=plan.limit, query=dense or keywords, filter=where, params=RESCORED, **WITH
            )
            return [_hit(point) for point in self.shard.query(request)]
        prefetches = [
            qe.Prefetch(plan.dense_prefetch, query=dense, filter=where, params=RESCORED),
            qe.Prefetch(plan.sparse_limit, query=keywords, filter=where),
        ]
        fused = qe.QueryRequest(
            limit=plan.limit, prefetches=prefetches, query=_fusion(plan), **WITH
        )
        return [_hit(point) for point in self.shard.query(fused)]

    def scroll(
        self,
        keys: list[str],
        offset: Any,
        limit: int,
        vectors: bool = False,
        conditions: tuple[Match, ...] = (),
    ) -> tuple[list[Hit], Any]:
        request = qe.ScrollRequest(
            offset=offset,
            limit=limit,
            filter=_filter(conditions),
            with_payload=qe.PayloadSelector.Include(keys) if keys else True,
            with_vector=[DENSE, SPARSE] if vectors else False,
        )
        records, following = self.shard.scroll(request)
        return [_hit(record) for record in records], following

    def count(self) -> int:
        return int(self.shard.count(qe.CountRequest(exact=True))) if self.exists() else 0

    def values(self, key: str) -> set[str]:
        """Every value of an indexed payload key, from its index (no point is read)."""
        if not self.exists():
            return set()
        request = qe.FacetRequest(key, limit=FACET_LIMIT, exact=True)
        return {str(hit.value) for hit in self.shard.facet(request).hits}

    def has_sparse(self) -> bool:
        return True  # made with both vectors, always

    def metadata(self) -> dict[str, Any]:
        if not self.meta_path.exists():
            return {}
        loaded = json.loads(self.meta_path.read_text("utf-8"))
        return loaded if isinstance(loaded, dict) else {}

    def set_metadata(self, values: dict[str, Any]) -> None:
        partial = self.meta_path.with_suffix(".partial")
        partial.write_text(json.dumps({**self.metadata(), **values}), "utf-8")
        partial.replace(self.meta_path)

    def optimize(self) -> bool:
        """Index what was written since (merge, quantize, vacuum); True if anything was.
        Skipped, with questions still answered from the unindexed segments, when the disk
        could not hold a rewritten copy of the shard."""
        if not self.exists():
            return False
        try:
            self.ensure_room(_size(self.path))
        except OSError as exc:
            logger.warning("The embedded index is not optimised for now: %s", exc.strerror)
            return False
        return bool(self.shard.optimize())

    def drop(self) -> None:
        self._close_shard()
        shutil.rmtree(self.path, ignore_errors=True)
        self.meta_path.unlink(missing_ok=True)

    def flush(self) -> None:
        if self._shard is not None:
            self._shard.flush()

    def close(self) -> None:
        self._close_shard()
        if self._lock is not None:
            self._lock.close()  # which releases it
            self._lock = None

    def _close_shard(self) -> None:
        if self._shard is not None:
            self._shard.close()
            self._shard = None


def _bytes_written(point: StoredPoint) -> int:
    """A generous estimate: the vectors and payload in the log, in a segment and once more
    when the segment is rewritten, with the quantized copy."""
    payload = sum(len(str(value)) for value in point.payload.values())
    return 3 * (4 * len(point.dense) + 8 * len(point.sparse.indices) + payload) + len(point.dense)


def _size(folder: Path) -> int:
    """Bytes the folder's files take on disk (preallocated files count only what is used)."""
    return sum(f.stat().st_blocks * 512 for f in folder.rglob("*") if f.is_file())


def _hold(lock_path: Path) -> IO[bytes]:
    """An exclusive lock on the store for this process (the engine's own lock is taken only
    once the shard exists, and a store not yet written to must be owned too)."""
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = lock_path.open("ab")
    except OSError as exc:
        raise _unavailable(lock_path.parent, exc) from exc
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise _in_use(lock_path.parent) from exc
    return handle


def _fusion(plan: Plan) -> Any:  # the stubs type the fusions as Fusion's inner classes
    if plan.fusion == "dbsf":
        return qe.Fusion.Dbsf()
    return qe.Fusion.Rrf(k=RRF_K, weights=plan.weights)


def _filter(conditions: tuple[Match, ...]) -> qe.Filter | None:
    if not conditions:
        return None
    return qe.Filter(must=[_condition(c) for c in conditions])


def _condition(condition: Match) -> qe.FieldCondition:
    values = list(condition.values)
    match = qe.MatchValue(values[0]) if len(values) == 1 else qe.MatchAny(values)
    return qe.FieldCondition(key=condition.key, match=match)


def _hit(point: qe.ScoredPoint | qe.Record) -> Hit:
    return hit_from(point.id, point.payload, point.vector)


def _in_use(path: Path) -> StoreUnavailableError:
    return StoreUnavailableError(
        f"The embedded index at {path} is in use by another vendorintel process (for "
        "example `vendorintel serve`). Stop that process and retry, or set "
        "VENDORINTEL_QDRANT_URL to a Qdrant server so several processes can share it."
    )


def _unavailable(path: Path, exc: Exception) -> StoreUnavailableError:
    if "WouldBlock" in str(exc):  # the engine's own lock on its log
        return _in_use(path)
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    return StoreUnavailableError(
        f"The embedded index at {path} cannot be opened ({reason}): the data directory must be "
        "writable, with free space. Make it so, or point VENDORINTEL_DATA_DIR at a writable "
        "copy of it."
    )
