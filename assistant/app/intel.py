"""VendorIntel: the one place that wires the parts together, and the facade every shell (CLI,
API, chat) calls: ingest, ask, documents, uploads, records, briefings, evaluation, health."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from assistant.answering.evaluation import evaluate, load_dataset, render_table
from assistant.answering.generation import GroundedAnswerer
from assistant.answering.grounding import load_prompts
from assistant.answering.intents import Intents
from assistant.answering.model_events import ModelEvents
from assistant.answering.pipeline import Answering
from assistant.answering.records import FactAnswerer
from assistant.app.following import build_watchlist
from assistant.app.guards import ingestion, rechecks_followed, store_access, writes_index
from assistant.app.signals import Signals
from assistant.app.status import document_infos, health_of
from assistant.app.uploads import add_files
from assistant.briefing.asked import ChecklistQuestions
from assistant.briefing.checkpoints import Briefing, Checklist, previous_briefing, run_briefing
from assistant.briefing.render import render
from assistant.briefing.scope import vendors_to_brief
from assistant.core.catalog import VendorCatalog
from assistant.core.events import EventLog
from assistant.core.messages import Messages
from assistant.core.models import Answer, DocumentInfo, FileOutcome, Health, Restart, Token
from assistant.core.records import EvalResult, Workflow
from assistant.core.report import IngestReport
from assistant.providers.embeddings import model_for, vector_space
from assistant.providers.llm import ProviderChain
from assistant.signals.asked import SignalQuestions
from assistant.storage.chunks import ChunkStore
from assistant.storage.embedding_cache import CachingEmbedding, EmbeddingCache
from assistant.storage.feedback import FeedbackStore
from ingest.pipeline import Ingestor
from ingest.uploads import remove_stale_uploads
from ingest.watcher import InboxWatcher

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

    from assistant.core.settings import Settings
    from assistant.watching import Notifier, Watchlist


class VendorIntel:
    """One instance per process: owns the store, and loads the embedding model on first use.

    Two locks: `_store_lock` is held briefly around every read or write of the store (a
    reader must never see a document half replaced: a batch's deletions and writes are one
    step for it); `_ingest_lock` lets one ingestion run at a time, while questions go on.
    """

    def __init__(self, settings: Settings, embed_model: BaseEmbedding | None = None) -> None:
        self.settings = settings
        self._embed_model = embed_model
        self._store_lock = threading.RLock()
        self._ingest_lock = threading.Lock()
        self.ingest_wait = settings.ingestion.ingest_wait_seconds  # then: retry later (503)
        self.stopping = threading.Event()  # set when the service stops: ingestion ends early
        # Collections from before the space was recorded were all made by the torch model.
        self.store = ChunkStore(
            settings, vector_space(settings.embedding.embedding_backend), vector_space("torch")
        )
        self._catalog = VendorCatalog.load()
        self.message = Messages(settings.prompts_dir, settings.inbox_dir)
        self.events = EventLog()
        self.write_error: str | None = None  # why the last write to the index failed, if it did
        self.answering = Answering(
            settings.answering,
            self.store,
            self._store_lock,
            embed_model=lambda: self.embed_model,
            sentence_model=self.cached_embed_model,
            catalog=lambda: self.catalog,
            records=self.fact_answerer,
            messages=self.message,
            generator=self.generator(),  # a missing package or prompt file is reported at start
            max_question_chars=settings.limits.max_question_chars,
        )
        self.answering.model_events = ModelEvents(
            settings.prompts_dir,
            lambda texts: self.cached_embed_model().get_text_embedding_batch(texts),
        )
        checklist = Checklist.load(settings.prompts_dir)
        self.answering.routes = [
            ChecklistQuestions(self.answering, checklist, self.vendors, lambda: self.intents),
            SignalQuestions(
                lambda: self.intents,
                self.answering.embed_query,
                lambda: self.catalog,
                lambda wanted: self.signals.matching(wanted),
                lambda source: self.ingestor.indexer.metadata_of(source),
            ),
        ]

    # -- the parts, made on first use ------------------------------------------------------

    @property
    def embed_model(self) -> BaseEmbedding:
        if self._embed_model is None:
            self._embed_model = model_for(self.settings)
        return self._embed_model

    def generator(self) -> GroundedAnswerer | None:
        """The language-model answerer, or None when answers are extractive."""
        generation = self.settings.generation
        if generation.llm == "extractive":
            return None
        return GroundedAnswerer(
            ProviderChain(generation.llm_providers),
            load_prompts(self.settings.prompts_dir),
            self.settings.answering.answer_sentences,
            generation.llm_source_tokens,
        )

    @cached_property
    def feedback(self) -> FeedbackStore:
        return FeedbackStore(self.settings.data_dir / "feedback.sqlite3")

    @cached_property
    def embedding_cache(self) -> EmbeddingCache:
        space = vector_space(self.settings.embedding.embedding_backend)
        return EmbeddingCache(self.settings.data_dir / "embeddings.sqlite3", space)

    def cached_embed_model(self) -> BaseEmbedding:
        """The model behind the content cache: text embedded once (a chunk at ingestion, a
        sentence when it is first scored for an answer) is never embedded again."""
        return CachingEmbedding(self.embed_model, self.embedding_cache)

    @cached_property
    def ingestor(self) -> Ingestor:
        ingestor = Ingestor(
            self.settings, self.store, self.cached_embed_model, self._store_lock, self.stopping
        )
        self._catalog = self._catalog.with_vendors(ingestor.known_vendors)
        return ingestor

    @property
    def catalog(self) -> VendorCatalog:
        """The vendor names: the bundled catalog and what ingestion learned. A new catalog
        replaces the old one after each ingestion, so readers never see one half changed."""
        _ = self.ingestor  # what earlier runs learned, from the document and fact stores
        return self._catalog

    def fact_answerer(self) -> FactAnswerer:
        """Answers from the registry and eval records as they are now."""
        facts = self.ingestor.fact_sync.store
        catalog = self.catalog
        return FactAnswerer(
            facts.workflows(),
            facts.evals(),
            self.ingestor.indexer.metadata_of,
            catalog.detect,
            self.cached_embed_model().get_text_embedding_batch,
            self.settings.answering.regression_drop,
            self.intents,
            catalog.canonical,
        )

    @cached_property
    def intents(self) -> Intents:
        """The described intents of prompts/intents.yaml, embedded on first use."""
        return Intents(
            self.settings.prompts_dir, self.cached_embed_model().get_text_embedding_batch
        )

    @cached_property
    def _following(self) -> tuple[Watchlist, Notifier | None]:
        def brief(vendor: str | None) -> Briefing:
            return self.run_checkpoints([vendor] if vendor else None, save=False)

        parts = (self.answering, self.ingestor, self._store_lock, brief, self.events)
        return build_watchlist(self.settings, *parts)

    @cached_property
    def signals(self) -> Signals:
        """The events documents report, per vendor (see assistant/signals/)."""
        embed = self.cached_embed_model().get_text_embedding_batch
        parts = (self.store, self.ingestor, self._store_lock, embed, lambda: self.catalog)
        return Signals(self.settings, *parts)

    @property
    def watchlist(self) -> Watchlist:
        """Followed questions, re-checked after each ingestion (see watching/watchlist.py)."""
        return self._following[0]

    # -- ingestion -------------------------------------------------------------------------

    @rechecks_followed
    @ingestion
    @writes_index()
    def ingest(self, paths: list[Path] | None = None, progress: bool | None = None) -> IngestReport:
        """Bring the index in line with the given files and folders (default: the inbox)."""
        return self._learned(self.ingestor.ingest(self.catalog, paths, progress=progress))

    @rechecks_followed
    @ingestion
    @writes_index()
    def apply_changes(self, changed: list[Path], deleted: list[Path]) -> IngestReport:
        """What the inbox watcher saw: ingest changed files, drop the chunks of deleted ones."""
        return self._learned(self.ingestor.apply_changes(self.catalog, changed, deleted))

    def _learned(self, report: IngestReport) -> IngestReport:
        self._catalog = self._catalog.with_vendors(report.learned)
        return report

    def recheck_followed(self) -> None:
        """Read the signals of changed documents, then re-check the followed answers an
        ingestion may have changed; a failure is logged and never fails the ingestion (the
        next one does what this one missed)."""
        try:
            self.signals.sync()
        except Exception:
            logger.exception("Reading signals failed; the next ingestion retries")
        try:
            self.watchlist.recheck()
        except Exception:
            logger.exception("Re-checking followed answers failed; the next ingestion retries")

    async def watch_inbox(self, stop: asyncio.Event) -> None:
        """Reconcile the index with the inbox, then follow its changes until `stop` is set.

        Files added, changed or deleted while nothing was watching, and files whose ingestion
        was cut short by a crash, are handled by the reconcile.
        """

        self.events.bind(asyncio.get_running_loop())  # where changes found in threads go

        async def reconcile() -> None:
            await self.announce(await asyncio.to_thread(self.ingest, None, False))

        timing = self.settings.ingestion
        watcher = InboxWatcher(
            self.settings.inbox_dir,
            self.apply_changes,
            self.announce,
            timing.settle_seconds,
            timing.retry_seconds,
        )
        await watcher.run(stop, on_start=reconcile)

    async def announce(self, report: IngestReport) -> None:
        headline = report.headline()
        if headline:
            await self.events.publish(headline)

    @rechecks_followed
    @ingestion
    @writes_index(retry="delete it again")
    def remove_document(self, source: str) -> bool:
        """Delete an indexed document, its file in the inbox and its chunks (see Ingestor)."""
        return self.ingestor.delete(source)

    def add_files(
        self, uploads: Sequence[tuple[str, BinaryIO]], folder: str | None = None
    ) -> list[FileOutcome]:
        """Save uploads into the inbox and ingest them; one outcome per file, in order."""
        limit = self.settings.limits.max_upload_mb << 20
        metadata_of = self.ingestor.indexer.metadata_of
        ingest = lambda paths: self.ingest(paths, progress=False)  # noqa: E731
        return add_files(self.settings.inbox_dir, limit, uploads, folder, ingest, metadata_of)

    @store_access
    def documents(self) -> list[DocumentInfo]:
        """Indexed documents and files that failed, with status and reasons, by source."""
        return document_infos(self.store, self.ingestor)

    @store_access
    def health(self) -> Health:
        """Whether the store answers and the model is loaded, with what is indexed."""
        loaded = self._embed_model is not None
        return health_of(self.settings, self.store, self.ingestor, loaded, self.write_error)

    def prepare_to_serve(self) -> None:
        """Before serving: clear what uploads cut short left behind (this process holds the
        data dir, so none is running), and load the model, so the first question is fast."""
        if self.settings.inbox_dir.is_dir():
            remove_stale_uploads(self.settings.inbox_dir)
        _ = self.embed_model
        _ = self.watchlist  # its webhook sender delivers what an earlier run still owed

    # -- questions -------------------------------------------------------------------------

    def ask(self, question: str, vendor: str | None = None, top_k: int | None = None) -> Answer:
        """A short answer where every sentence cites its source, or a plain 'no evidence'.

        Registry and eval questions are answered from the records first, then supported by
        passages; with a language model configured, it writes the answer from the same
        evidence, and its reply is checked against the sources (answering/grounding.py).
        """
        return self.answering.ask(question, vendor, top_k)

    def ask_stream(
        self, question: str, vendor: str | None = None, top_k: int | None = None
    ) -> Iterator[Token | Restart | Answer]:
        """The answer as it is written: tokens, a Restart if a provider fails mid-answer (the
        tokens so far are void), and last the checked Answer, which is what counts."""
        return self.answering.events(question, vendor, top_k, stream=True)

    def standalone_question(self, previous: str | None, question: str) -> str:
        """A follow-up ("and for Anthropic?") made standalone with the previous question."""
        return self.answering.standalone_question(previous, question)

    def workflows(self, vendor: str | None = None, workflow: str | None = None) -> list[Workflow]:
        """Registry records, optionally those involving a vendor or matching a workflow name."""
        canonical = self.catalog.canonical(vendor) if vendor else None
        return [
            w
            for w in self.ingestor.fact_sync.store.workflows()
            if (canonical is None or canonical in (w.primary_vendor, w.fallback_vendor))
            and (workflow is None or workflow.lower() in w.name.lower())
        ]

    def evals(self, vendor: str | None = None, workflow: str | None = None) -> list[EvalResult]:
        """Eval records, optionally for one vendor or workflow (a part of its name)."""
        canonical = self.catalog.canonical(vendor) if vendor else None
        return [
            e
            for e in self.ingestor.fact_sync.store.evals()
            if (canonical is None or e.vendor == canonical)
            and (workflow is None or workflow.lower() in (e.workflow or "").lower())
        ]

    # -- briefings and measurements --------------------------------------------------------

    def run_checkpoints(
        self, vendors: list[str] | None = None, today: date | None = None, save: bool = True
    ) -> Briefing:
        """The 90-day checkpoint briefing for these vendors (default: the registry's, else
        those the documents name), compared with and saved beside the previous one."""
        asked, keep = vendors_to_brief(vendors, self.vendors(), self.catalog.canonical)
        checklist = Checklist.load(self.settings.prompts_dir)
        folder = self.settings.data_dir / "briefings"
        signals = self.signals.matching
        return run_briefing(self.answering, checklist, asked, folder, today, keep and save, signals)

    def checkpoints(self, vendors: list[str] | None = None, fmt: str = "md") -> str:
        """The briefing rendered as md, html or json."""
        return render(self.run_checkpoints(vendors or None), fmt)

    def latest_briefing(self, fmt: str = "md") -> str | None:
        """The last briefing saved, as it was run (None before the first); nothing is run."""
        saved = previous_briefing(self.settings.data_dir / "briefings")
        return render(saved, fmt) if saved else None

    def vendors(self) -> list[str]:
        """Registry vendors, else the vendors the documents mention (those briefed on)."""
        named = self.ingestor.fact_sync.store.vendor_aliases()
        if named:
            return list(named)
        return sorted({v for d in self.documents() for v in d.vendors})

    def evaluate(
        self,
        dataset: Path,
        k: int = 10,
        compare: bool = False,
        progress: Callable[[str], None] = lambda _: None,
    ) -> dict[str, Any]:
        """Retrieval and citation metrics on a question set (see answering/evaluation.py)."""
        questions = load_dataset(dataset)
        return evaluate(
            self.answering, self.settings.inbox_dir, questions, k, compare, progress=progress
        )

    @staticmethod
    def metrics_table(report: dict[str, Any]) -> str:
        return render_table(report)

    def interrupt(self) -> None:
        """End an ingestion at its next step; what it had not saved is redone at next start."""
        self.stopping.set()

    def close(self) -> None:
        if "_following" in self.__dict__:
            watchlist, notifier = self._following
            if notifier is not None:
                notifier.stop()
            watchlist.store.close()
        for name in ("feedback", "embedding_cache", "signals"):
            if name in self.__dict__:
                getattr(self, name).close()
        if "ingestor" in self.__dict__:
            self.ingestor.close()
        self.store.close()
