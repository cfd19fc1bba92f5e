"""An embedded store from before Qdrant Edge (qdrant-client's local mode, under DATA_DIR/qdrant)
copied into an Edge shard at start: every point with its vectors and payload, so nothing is
embedded again and no document is lost. The copy is built beside the shard and put in place
only once it holds every point; the old store is removed after that, not before."""

from __future__ import annotations

import logging
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

from qdrant_client import QdrantClient

from assistant.core.errors import StoreUnavailableError
from assistant.storage.edge import EdgeEngine
from assistant.storage.plan import StoredPoint, pages
from assistant.storage.server import ServerEngine

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migrated:
    chunks: int  # copied
    stale: bool  # from before keyword search: not copied, the index is rebuilt from the inbox


def migrate_local_mode(local: Path, collection: str, target: Path) -> Migrated | None:
    """Copy the local-mode collection at `local` into a new Edge shard at `target`; None when
    there is no such collection."""
    if (target / "edge_config.json").exists():
        _remove(local)  # copied before; only the removal of the old store was cut short
        return None
    if not (local / "collection" / collection).is_dir():
        return None
    logger.info("Moving the embedded index of an earlier version into Qdrant Edge (once).")
    partial = target.with_name(target.name + ".migrating")
    copy = EdgeEngine(partial)
    copy.drop()  # what an interrupted copy left
    source = _open_local(local, collection)
    try:
        stale = source.exists() and not source.has_sparse()
        copied = 0 if stale or not source.exists() else _copy(source, copy)
    finally:
        source.close()
        copy.close()
        for own in (".lock", ".reserve"):  # the copy's, not the store's
            partial.with_name(partial.name + own).unlink(missing_ok=True)
    if copied:
        meta = partial.with_name(partial.name + ".json")
        meta.replace(target.with_name(target.name + ".json"))
        partial.replace(target)
    _remove(local)
    logger.info("Moved %d chunks from the old embedded store into %s.", copied, target)
    return Migrated(copied, stale)


def _copy(source: ServerEngine, copy: EdgeEngine) -> int:
    for hits in pages(source, [], vectors=True):  # a page at a time: the store may be large
        points = [StoredPoint(h.id, h.dense, h.sparse, h.payload) for h in hits if h.sparse]
        if points and not copy.exists():
            copy.create(len(points[0].dense))
        if points:
            copy.upsert(points)
    if not copy.exists():
        return 0  # an empty collection: nothing to keep
    if copy.count() != source.count():
        copy.drop()
        raise StoreUnavailableError(
            f"Copying the old embedded store into Qdrant Edge found {source.count()} chunks but "
            f"wrote {copy.count()}; nothing was removed. Restart to try again, or delete "
            "DATA_DIR/qdrant to rebuild the index from the inbox."
        )
    copy.set_metadata(source.metadata())
    copy.flush()
    return copy.count()


def _open_local(local: Path, collection: str) -> ServerEngine:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # local mode's notice that it is for prototypes
            return ServerEngine(QdrantClient(path=str(local)), collection)
    except RuntimeError as exc:
        raise StoreUnavailableError(
            f"The old embedded index at {local} is in use by another vendorintel process. "
            "Stop that process and retry."
        ) from exc


def _remove(local: Path) -> None:
    if local.is_dir():
        shutil.rmtree(local, ignore_errors=True)
