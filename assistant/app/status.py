"""What is indexed and whether the service is healthy, as the shells show it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.core.errors import StoreUnavailableError
from assistant.core.models import DocumentInfo, Health
from assistant.providers.embeddings import MODEL_NAME

if TYPE_CHECKING:
    from assistant.core.settings import Settings
    from assistant.storage.chunks import ChunkStore
    from ingest.pipeline import Ingestor


def document_infos(store: ChunkStore, ingestor: Ingestor) -> list[DocumentInfo]:
    """Indexed documents and files that failed, with status and reasons, by source."""
    stats = store.document_stats()
    infos = {}
    for doc in ingestor.indexer.indexed_documents():
        meta = doc.metadata
        chunks, ingested_at = stats.get(doc.doc_id, (0, None))
        infos[doc.doc_id] = DocumentInfo(
            source=meta["source"],
            title=meta["title"],
            doc_type=meta["doc_type"],
            published=meta["published"],
            vendors=list(meta.get("vendors", [])),
            chunks=chunks,
            ingested_at=ingested_at,
        )
    for problem in ingestor.problems.all():
        indexed = infos.get(problem.source)
        if indexed is None:
            infos[problem.source] = DocumentInfo.failed(problem.source, problem.reasons)
        else:
            indexed.status = "partial" if problem.partial else "stale"
            indexed.reasons = problem.reasons
    return sorted(infos.values(), key=lambda d: d.source)


def health_of(
    settings: Settings,
    store: ChunkStore,
    ingestor: Ingestor,
    model_loaded: bool,
    write_error: str | None,
) -> Health:
    """Whether the store answers and the model is loaded, with what is indexed."""
    mode = "server" if settings.store.qdrant_url else "embedded"
    try:
        chunks = store.count()
        documents = len(ingestor.indexer.indexed_documents())
        error = None
    except StoreUnavailableError as exc:
        chunks, documents, error = 0, 0, str(exc)
    healthy = error is None and model_loaded and write_error is None
    return Health(
        status="ok" if healthy else "degraded",
        store={"mode": mode, "reachable": error is None, "error": error},
        embedding_model={
            "name": MODEL_NAME,
            "backend": settings.embedding.embedding_backend,
            "loaded": model_loaded,
        },
        documents=documents,
        chunks=chunks,
        ingest_error=write_error,
    )
