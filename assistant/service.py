"""The service functions every shell (CLI, API, chat) calls: ingest, ask, documents, uploads."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, ParamSpec, TypeVar

import yaml

from assistant.answering import Answering
from assistant.conversation import standalone_question
from assistant.embedding_cache import CachingEmbedding, EmbeddingCache
from assistant.embeddings import MODEL_NAME, model_for, vector_space
from assistant.errors import DataDirError, StoreUnavailableError
from assistant.events import EventLog
from assistant.fact_answers import FactAnswerer
from assistant.feedback import FeedbackStore
from assistant.generation import GroundedAnswerer
from assistant.grounded import load_prompts
from assistant.llm import LLMUnavailableError, ProviderChain
from assistant.models import Answer, DocumentInfo, FileOutcome, Health, Restart, Token
from assistant.store import ChunkStore
from ingest.disk import INGEST_AGAIN, data_dir_writes
from ingest.facts import EvalResult, Workflow
from ingest.metadata import VendorCatalog
from ingest.pipeline import Ingestor, is_within
from ingest.uploads import UploadError, save_upload
from ingest.watcher import InboxWatcher

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

    from assistant.settings import Settings

from ingest.report import IngestReport

P = ParamSpec("P")
R = TypeVar("R")


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


def exclusive(lock_name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run a method holding one of the service's locks (see VendorIntel)."""

    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        @wraps(method)
        def locked(*args: P.args, **kwargs: P.kwargs) -> R:
            with getattr(args[0], lock_name):
                return method(*args, **kwargs)

        return locked

    return decorate


store_access = exclusive("_store_lock")
ingestion = exclusive("_ingest_lock")


def writes_index(retry: str = INGEST_AGAIN) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run a method that writes the index: a full or read-only disk raises a DataDirError
    (saying how to retry), which health reports until the index is saved again."""

    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        @wraps(method)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            intel = args[0]
            assert isinstance(intel, VendorIntel)
            try:
                with data_dir_writes(intel.settings.data_dir, retry):
                    saves = intel.ingestor.saves
                    result = method(*args, **kwargs)
            except DataDirError as exc:
                intel.write_error = str(exc)
                raise
            if intel.ingestor.saves > saves:  # a call that wrote nothing proves nothing
                intel.write_error = None
            return result

        return guarded

    return decorate


class VendorIntel:
    """One instance per process: owns the store, and loads the embedding model on first use.

    Two locks: `_store_lock` is held briefly around every read or write of the store (the
    embedded store is not safe across threads, and a reader must never see a document half
    replaced); `_ingest_lock` lets one ingestion run at a time, while questions go on.
    """

    def __init__(self, settings: Settings, embed_model: BaseEmbedding | None = None) -> None:
        self.settings = settings
        self._embed_model = embed_model
        self._store_lock = threading.RLock()
        self._ingest_lock = threading.Lock()
        self.store = ChunkStore(settings, vector_space(settings.embedding_backend))
        self.catalog = VendorCatalog.load()
        self.messages = load_messages(settings.prompts_dir)
        self.events = EventLog()
        self.write_error: str | None = None  # why the last write to the index failed, if it did
        self.answering = Answering(self)
        _ = self.generator  # a missing package or prompt file is reported at start

    @property
    def embed_model(self) -> BaseEmbedding:
        if self._embed_model is None:
            self._embed_model = model_for(self.settings)
        return self._embed_model

    @cached_property
    def generator(self) -> GroundedAnswerer | None:
        """The language-model answerer, or None when answers are extractive."""
        if self.settings.llm == "extractive":
            return None
        return GroundedAnswerer(
            ProviderChain(self.settings.llm_providers),
            load_prompts(self.settings.prompts_dir),
            self.settings.answer_sentences,
            self.settings.llm_source_tokens,
        )

    @cached_property
    def feedback(self) -> FeedbackStore:
        return FeedbackStore(self.settings.data_dir / "feedback.sqlite3")

    @cached_property
    def embedding_cache(self) -> EmbeddingCache:
        space = vector_space(self.settings.embedding_backend)
        return EmbeddingCache(self.settings.data_dir / "embeddings.sqlite3", space)

    def cached_embed_model(self) -> BaseEmbedding:
        """The model behind the content cache: text embedded once (a chunk at ingestion, a
        sentence when it is first scored for an answer) is never embedded again."""
        return CachingEmbedding(self.embed_model, self.embedding_cache)

    @cached_property
    def ingestor(self) -> Ingestor:
        ingestor = Ingestor(
            self.settings, self.store, self.cached_embed_model, self.catalog, self._store_lock
        )
        _ = ingestor.facts  # the registry's vendor aliases, known from the last run
        return ingestor

    @ingestion
    @writes_index()
    def ingest(self, paths: list[Path] | None = None, progress: bool | None = None) -> IngestReport:
        """Bring the index in line with the given files and folders (default: the inbox)."""
        return self.ingestor.ingest(paths, progress=progress)

    @ingestion
    @writes_index()
    def apply_changes(self, changed: list[Path], deleted: list[Path]) -> IngestReport:
        """What the inbox watcher saw: ingest changed files, drop the chunks of deleted ones."""
        return self.ingestor.apply_changes(changed, deleted)

    async def watch_inbox(self, stop: asyncio.Event) -> None:
        """Reconcile the index with the inbox, then follow its changes until `stop` is set.

        Files added, changed or deleted while nothing was watching, and files whose ingestion
        was cut short by a crash, are handled by the reconcile.
        """

        async def reconcile() -> None:
            await self.announce(await asyncio.to_thread(self.ingest, None, False))

        settings = self.settings
        watcher = InboxWatcher(
            settings.inbox_dir,
            self.apply_changes,
            self.announce,
            settings.settle_seconds,
            settings.retry_seconds,
        )
        await watcher.run(stop, on_start=reconcile)

    async def announce(self, report: IngestReport) -> None:
        headline = report.headline()
        if headline:
            await self.events.publish(headline)

    def ask(self, question: str, vendor: str | None = None, top_k: int | None = None) -> Answer:
        """A short answer where every sentence cites its source, or a plain 'no evidence'.

        Registry and eval questions are answered from the records first, then supported by
        passages; with a language model configured, it writes the answer from the same
        evidence, and its reply is checked against the sources (assistant/grounded.py).
        """
        events = self.answering.events(question, vendor, top_k, stream=False)
        return [e for e in events if isinstance(e, Answer)][-1]

    def ask_stream(
        self, question: str, vendor: str | None = None, top_k: int | None = None
    ) -> Iterator[Token | Restart | Answer]:
        """The answer as it is written: tokens, a Restart if a provider fails mid-answer (the
        tokens so far are void), and last the checked Answer, which is what counts."""
        return self.answering.events(question, vendor, top_k, stream=True)

    def extract(
        self,
        question: str,
        embedding: list[float],
        vendor: str | None,
        top_k: int,
        doc_type: str | None = None,
    ) -> Answer:
        """The extractive answer from the passages a search finds."""
        hits = self.answering.search(question, embedding, vendor, top_k, doc_type)
        return self.answering.extract(question, embedding, hits, vendor)

    def workflows(self, vendor: str | None = None, workflow: str | None = None) -> list[Workflow]:
        """Registry records, optionally those involving a vendor or matching a workflow name."""
        canonical = self.catalog.canonical(vendor) if vendor else None
        return [
            w
            for w in self.ingestor.facts.workflows()
            if (canonical is None or canonical in (w.primary_vendor, w.fallback_vendor))
            and (workflow is None or workflow.lower() in w.name.lower())
        ]

    def evals(self, vendor: str | None = None, workflow: str | None = None) -> list[EvalResult]:
        """Eval records, optionally for one vendor or workflow (a part of its name)."""
        canonical = self.catalog.canonical(vendor) if vendor else None
        return [
            e
            for e in self.ingestor.facts.evals()
            if (canonical is None or e.vendor == canonical)
            and (workflow is None or workflow.lower() in (e.workflow or "").lower())
        ]

    def fact_answerer(self) -> FactAnswerer:
        """Answers from the registry and eval records as they are now."""
        docstore = self.ingestor.docstore

        def document(source: str) -> dict[str, str]:
            doc = docstore.get_document(source, raise_error=False)
            return {k: str(v) for k, v in doc.metadata.items()} if doc else {}

        facts = self.ingestor.facts
        return FactAnswerer(
            facts.workflows(),
            facts.evals(),
            document,
            self.catalog.detect,
            self.cached_embed_model().get_text_embedding_batch,
            self.settings.regression_drop,
        )

    def standalone_question(self, previous: str | None, question: str) -> str:
        """A follow-up ("and for Anthropic?") rewritten with the previous question, by the
        language model when there is one, else by rules."""
        if previous and self.generator is not None:
            try:
                rewritten = self.generator.rewrite(previous, question)
            except LLMUnavailableError:
                rewritten = None
            if rewritten:
                return rewritten
        return standalone_question(previous, question, self.catalog)

    @store_access
    def documents(self) -> list[DocumentInfo]:
        """Indexed documents and files that failed, with status and reasons, by source."""
        stats = self.store.document_stats()
        infos = {}
        for doc in self.ingestor.indexed_documents():
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
        for problem in self.ingestor.problems.all():
            indexed = infos.get(problem.source)
            if indexed is None:
                infos[problem.source] = DocumentInfo.failed(problem.source, problem.reasons)
            else:
                indexed.status = "partial" if problem.partial else "stale"
                indexed.reasons = problem.reasons
        return sorted(infos.values(), key=lambda d: d.source)

    def add_files(
        self, uploads: Sequence[tuple[str, BinaryIO]], folder: str | None = None
    ) -> list[FileOutcome]:
        """Save uploads into the inbox and ingest them; one outcome per file, in order."""
        inbox = self.settings.inbox_dir
        limit = self.settings.max_upload_mb << 20
        saved: list[tuple[str, Path | None, str | None]] = []
        for name, data in uploads:
            try:
                saved.append((name, save_upload(inbox, name, data, limit, folder), None))
            except UploadError as exc:
                saved.append((name, None, str(exc)))
        paths = [path for _, path, _ in saved if path is not None]
        report = self.ingest(paths, progress=False) if paths else None
        outcomes = []
        for name, path, refusal in saved:
            if path is None or report is None:
                outcomes.append(FileOutcome(source=name, status="refused", reason=refusal))
                continue
            source = path.relative_to(inbox).as_posix()
            status, reason = report.outcome(source)
            outcomes.append(FileOutcome(source=source, status=status, reason=reason))
        return outcomes

    @ingestion
    @writes_index(retry="delete it again")
    def remove_document(self, source: str) -> bool:
        """Delete a document's file from the inbox and its chunks from the index."""
        inbox = self.settings.inbox_dir.resolve()
        path = (inbox / source).resolve()
        if not is_within(path, inbox) or path == inbox:
            raise ValueError(f"{source!r} is not a path inside the inbox")
        known = self.ingestor.docstore.document_exists(source)
        if path.is_file():
            path.unlink()
        if known:
            self.ingestor.remove([source])
        return known

    @store_access
    def health(self) -> Health:
        """Whether the store answers and the model is loaded, with what is indexed."""
        mode = "server" if self.settings.qdrant_url else "embedded"
        try:
            chunks = self.store.count()
            documents = len(self.ingestor.indexed_documents())
            error = None
        except StoreUnavailableError as exc:
            chunks, documents, error = 0, 0, str(exc)
        model_loaded = self._embed_model is not None
        healthy = error is None and model_loaded and self.write_error is None
        return Health(
            status="ok" if healthy else "degraded",
            store={"mode": mode, "reachable": error is None, "error": error},
            embedding_model={
                "name": MODEL_NAME,
                "backend": self.settings.embedding_backend,
                "loaded": model_loaded,
            },
            documents=documents,
            chunks=chunks,
            ingest_error=self.write_error,
        )

    def message(self, key: str, **values: Any) -> str:
        """A reply template from prompts/answers.yaml, filled in."""
        return self.messages[key].format(inbox=self.settings.inbox_dir, **values)

    def close(self) -> None:
        for name in ("feedback", "embedding_cache"):
            if name in self.__dict__:
                getattr(self, name).close()
        if "ingestor" in self.__dict__ and "facts" in self.ingestor.__dict__:
            self.ingestor.facts.close()
        self.store.close()
