"""The service functions every shell (CLI, API, chat) calls: ingest, ask, documents."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from llama_index.core.schema import QueryBundle

from assistant.answer import ExtractiveAnswerer
from assistant.embeddings import load_embedding_model
from assistant.models import Answer, DocumentInfo
from assistant.retrieval import retrieve
from assistant.store import ChunkStore
from ingest.metadata import VendorCatalog
from ingest.pipeline import Ingestor

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

    from assistant.settings import Settings
    from ingest.report import IngestReport


def load_messages(prompts_dir: Path) -> dict[str, str]:
    """Reply templates kept as files, so wording changes need no code change."""
    path = prompts_dir / "answers.yaml"
    if not path.exists():
        raise FileNotFoundError(
            f"Missing {path}: set VENDORINTEL_PROMPTS_DIR to the prompts folder."
        )
    return {
        key: str(value) for key, value in (yaml.safe_load(path.read_text("utf-8")) or {}).items()
    }


class VendorIntel:
    """One instance per process: owns the store, and loads the embedding model on first use."""

    def __init__(self, settings: Settings, embed_model: BaseEmbedding | None = None) -> None:
        self.settings = settings
        self._embed_model = embed_model
        self.store = ChunkStore(settings)
        self.catalog = VendorCatalog.load()
        self.messages = load_messages(settings.prompts_dir)

    @property
    def embed_model(self) -> BaseEmbedding:
        if self._embed_model is None:
            self._embed_model = load_embedding_model(self.settings.embed_batch_size)
        return self._embed_model

    @cached_property
    def ingestor(self) -> Ingestor:
        return Ingestor(self.settings, self.store, lambda: self.embed_model, self.catalog)

    def ingest(self, paths: list[Path] | None = None, progress: bool | None = None) -> IngestReport:
        """Bring the index in line with the given files and folders (default: the inbox)."""
        return self.ingestor.ingest(paths, progress=progress)

    def ask(self, question: str, vendor: str | None = None, top_k: int | None = None) -> Answer:
        """A short answer where every sentence cites its source, or a plain 'no evidence'."""
        question = " ".join(question.split())
        if not question:
            return Answer(answer=self._message("empty_question"), status="insufficient_evidence")
        canonical = self.catalog.canonical(vendor) if vendor else None
        if not self.store.exists():
            return Answer(answer=self._message("empty_index"), status="insufficient_evidence")
        query = QueryBundle(question, embedding=self.embed_model.get_query_embedding(question))
        hits = retrieve(
            self.store, self.embed_model, query, top_k or self.settings.top_k, canonical
        )
        answerer = ExtractiveAnswerer(
            self.embed_model,
            self.settings.min_evidence_score,
            self.settings.answer_sentences,
            self.catalog.names_for,
        )

        def no_evidence(missing: list[str]) -> str:
            reply = self._message(
                "insufficient_evidence_vendor" if canonical else "insufficient_evidence",
                question=question,
                vendor=canonical or "",
            )
            if missing:
                terms = ", ".join(f'"{t}"' for t in missing)
                reply += " " + self._message("missing_terms", terms=terms)
            return reply

        assert query.embedding is not None
        return answerer.answer(question, query.embedding, hits, no_evidence)

    def documents(self) -> list[DocumentInfo]:
        """Indexed documents with their chunk counts, newest ingestion first."""
        stats = self.store.document_stats()
        infos = []
        for doc in self.ingestor.indexed_documents():
            meta = doc.metadata
            chunks, ingested_at = stats.get(doc.doc_id, (0, None))
            infos.append(
                DocumentInfo(
                    source=meta["source"],
                    title=meta["title"],
                    doc_type=meta["doc_type"],
                    published=meta["published"],
                    vendors=list(meta.get("vendors", [])),
                    chunks=chunks,
                    ingested_at=ingested_at,
                )
            )
        return sorted(infos, key=lambda d: d.source)

    def _message(self, key: str, **values: Any) -> str:
        return self.messages[key].format(inbox=self.settings.inbox_dir, **values)

    def close(self) -> None:
        self.store.close()
