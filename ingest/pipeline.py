"""The ingestion run: scan folders, load changed files, embed them into the store, drop the gone."""

from __future__ import annotations

import csv
import hashlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, suppress
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from llama_index.core import Document
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.storage.docstore import SimpleDocumentStore
from tqdm import tqdm

from ingest.chunking import LocatedSplitter
from ingest.disk import ensure_room, replacing
from ingest.documents import Candidate, build_document
from ingest.fact_store import FactStore
from ingest.facts import Facts, read_facts
from ingest.loaders import LOADERS, LoadedFile, LoadError, load_file
from ingest.metadata import VendorCatalog
from ingest.report import FileIssue, IngestReport
from ingest.status import ProblemLog

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.schema import BaseNode

    from assistant.settings import Settings
    from assistant.store import ChunkStore

logger = logging.getLogger(__name__)
FACT_SUFFIXES = (".yaml", ".yml", ".csv", ".jsonl")  # where registries and eval tables live
IGNORED_PREFIXES = (".", "~$", "~")  # dotfiles, Office lock files, editor backups
IGNORED_SUFFIXES = (".tmp", ".part", ".crdownload", ".swp", ".swx", "~")  # files being written
SPARE_BYTES = 1 << 20  # beyond a batch's own estimate: SQLite journals, status files


def failure_reason(exc: Exception) -> str:
    """Why a file could not be read, in words for the report."""
    if isinstance(exc, LoadError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"cannot read: {exc}"
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    logger.warning("reading a file failed unexpectedly", exc_info=exc)
    return f"could not be read ({type(exc).__name__}: {exc})"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def is_ignored(name: str) -> bool:
    """Hidden, lock, backup and partial-download files are never ingested."""
    return name.startswith(IGNORED_PREFIXES) or name.lower().endswith(IGNORED_SUFFIXES)


class Ingestor:
    """Keeps the chunk store in line with files on disk, re-embedding only what changed.

    Splitting and embedding happen outside `lock`; each batch's chunks are then swapped in
    under it, so a reader holding the lock sees every document whole, old or new.
    """

    def __init__(
        self,
        settings: Settings,
        store: ChunkStore,
        embed_model: Callable[[], BaseEmbedding],
        catalog: VendorCatalog | None = None,
        lock: AbstractContextManager[object] | None = None,
    ) -> None:
        """embed_model is called when something needs embedding: listing needs no model."""
        self.settings = settings
        self.store = store
        self.catalog = catalog or VendorCatalog.load()
        self.lock = lock or threading.RLock()
        self.docstore_path = settings.docstore_path
        self.docstore = (
            SimpleDocumentStore.from_persist_path(str(self.docstore_path))
            if self.docstore_path.exists() and not store.rebuilt
            else SimpleDocumentStore()  # a rebuilt store starts empty: every file is new
        )
        self.problems = ProblemLog(settings.data_dir / "problems.json")
        self._learn_companies(self.docstore.docs.values())
        self._embed_model = embed_model
        self._facts_read = False  # the fact store is re-read from the files once per process
        self.saves = 0  # times the docstore was saved: a call that saved wrote the index
        self._unsaved = False  # the docstore changed in memory since it was last saved

    @cached_property
    def pipeline(self) -> IngestionPipeline:
        """Split and embed; writing to the store is done by _commit, under the lock."""
        return IngestionPipeline(
            transformations=[
                LocatedSplitter(
                    chunk_size=self.settings.chunk_size, chunk_overlap=self.settings.chunk_overlap
                ),
                self._embed_model(),
            ],
            disable_cache=True,  # unchanged files never get here (_is_unchanged)
        )

    # -- the run -------------------------------------------------------------------------

    def ingest(self, paths: list[Path] | None = None, progress: bool | None = None) -> IngestReport:
        """Ingest files and folders (default: the whole inbox, removing files that are gone)."""
        report = IngestReport()
        if not paths:
            self.settings.inbox_dir.mkdir(parents=True, exist_ok=True)  # first run: make the inbox
        targets = [p.expanduser() for p in paths] if paths else [self.settings.inbox_dir]
        pending: list[tuple[Candidate, LoadedFile, str]] = []
        seen: set[str] = set()
        for target in targets:
            for candidate in self._candidates(target, report):
                if candidate.source in seen:
                    continue
                seen.add(candidate.source)
                loaded = self._load_if_changed(candidate, report)
                if loaded is not None:
                    pending.append((candidate, *loaded))
            if target.is_dir():
                self._remove_vanished(target.resolve(), report)
        if not paths:
            self._drop_orphans()
        self._learn_vendors(pending)
        self._index(pending, report, progress)
        with self.lock:
            self.persist()
        # The store file exists as soon as it is opened, so it cannot tell whether it was filled.
        if report.changed or not self._facts_read:
            self.rebuild_facts(report)
        return report

    def _candidates(self, target: Path, report: IngestReport) -> Iterator[Candidate]:
        if not target.exists():
            report.failed.append(FileIssue(source=str(target), reason="no such file or folder"))
            return
        if target.is_file():
            path = target.resolve()
            yield Candidate(path, self._source_for(path, path.parent))
            return
        root = target.resolve()
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                path = Path(folder) / name
                source = self._source_for(path, root)
                reason = self._skip_reason(path, root)
                if reason:
                    report.skipped.append(FileIssue(source=source, reason=reason))
                else:
                    yield Candidate(path, source)

    def _source_for(self, path: Path, root: Path) -> str:
        """Sources are relative to the inbox, or to the folder given when outside the inbox."""
        inbox = self.settings.inbox_dir.resolve()
        base = inbox if is_within(path, inbox) else root
        return path.relative_to(base).as_posix()

    @staticmethod
    def _skip_reason(path: Path, root: Path) -> str | None:
        if is_ignored(path.name):
            return "hidden, temporary or lock file"
        if path.is_symlink() and not is_within(path.resolve(), root):
            return "symbolic link to a file outside the folder; not followed"
        if path.suffix.lower() not in LOADERS:
            supported = " ".join(sorted(LOADERS))
            return f"unsupported format {path.suffix or '(no extension)'}; supported: {supported}"
        return None

    def _load_if_changed(
        self, candidate: Candidate, report: IngestReport
    ) -> tuple[LoadedFile, str] | None:
        """Load a file unless its bytes are unchanged since it was indexed."""
        source = candidate.source
        limit_mb = self.settings.max_file_mb
        try:
            too_large = candidate.path.stat().st_size > limit_mb * (1 << 20)
            sha = "" if too_large else file_sha256(candidate.path)
        except OSError as exc:
            report.failed.append(FileIssue(source=source, reason=f"cannot read: {exc.strerror}"))
            return None
        if too_large:  # refused before reading: a huge file must not stall the rest
            reason = (
                f"larger than the {limit_mb} MB limit: split it, or raise VENDORINTEL_MAX_FILE_MB"
            )
            report.failed.append(FileIssue(source=source, reason=reason))
            self.problems.record(candidate, [reason], partial=False)
            return None
        if self._is_unchanged(source, sha):
            report.unchanged += 1
            report.outcomes[source] = "unchanged"
            known = self.problems.get(source)
            if known and known.partial:  # rows skipped when it was indexed still count
                report.failed.extend(FileIssue(source=source, reason=r) for r in known.reasons)
            return None
        try:
            loaded = load_file(candidate.path)
        except Exception as exc:  # whatever a reader library raises, one file fails, not the run
            reason = failure_reason(exc)
            if self.docstore.document_exists(source):
                reason += "; the previously indexed version is kept"
            report.failed.append(FileIssue(source=source, reason=reason))
            self.problems.record(candidate, [reason], partial=False)
            return None
        report.failed.extend(FileIssue(source=source, reason=p) for p in loaded.problems)
        if loaded.problems:
            self.problems.record(candidate, loaded.problems, partial=True)
        else:
            self.problems.clear(source)
        return loaded, sha

    def _is_unchanged(self, source: str, sha: str) -> bool:
        indexed = self.docstore.get_document(source, raise_error=False)
        return indexed is not None and indexed.metadata.get("file_sha256") == sha

    def _index(
        self,
        pending: list[tuple[Candidate, LoadedFile, str]],
        report: IngestReport,
        progress: bool | None,
    ) -> None:
        show = sys.stderr.isatty() if progress is None else progress
        batch_size = self.settings.ingest_batch_files
        with tqdm(total=len(pending), desc="Indexing", unit="file", disable=not show) as bar:
            for start in range(0, len(pending), batch_size):
                batch = pending[start : start + batch_size]
                documents = [build_document(c, f, sha, self.catalog) for c, f, sha in batch]
                chunks = self.pipeline.run(documents=documents)
                self._commit(documents, chunks, report)
                bar.update(len(batch))

    def _commit(
        self, documents: list[Document], chunks: Sequence[BaseNode], report: IngestReport
    ) -> None:
        """Swap in a batch: old chunks out, new chunks in, docstore saved; one step for readers.

        Deleting first also clears chunks left by an ingestion that was killed before it
        recorded its documents, so a redone file is never duplicated. A batch that would not
        fit on the disk is refused before anything is deleted.
        """
        ensure_room(self.settings.data_dir, self._bytes_needed(documents, chunks))
        with self.lock:
            self._unsaved = True
            for doc in documents:
                outcome = "updated" if self.docstore.document_exists(doc.doc_id) else "added"
                report.outcomes[doc.doc_id] = outcome
                report.added += outcome == "added"
                report.updated += outcome == "updated"
            self.store.delete_documents([doc.doc_id for doc in documents])
            self.store.add_chunks(chunks)
            self.docstore.set_document_hashes({doc.doc_id: doc.hash for doc in documents})
            self.docstore.add_documents(documents, allow_update=True)
            self.persist()  # a crash loses at most the batch in flight
        self._learn_companies(documents)

    def _bytes_needed(self, documents: list[Document], chunks: Sequence[BaseNode]) -> int:
        """A generous estimate of what a batch writes here: each chunk's cached vector and, in
        embedded mode, its point (the vector pickled as floats, the text twice), and the
        docstore rewritten whole."""
        docstore = self.docstore_path.stat().st_size if self.docstore_path.exists() else 0
        texts = sum(len(doc.text) for doc in documents)
        embedded = not self.settings.qdrant_url  # a server keeps the points on its own disk
        points = 0
        for chunk in chunks:
            floats = len(chunk.embedding or [])
            points += 4 * floats  # the cached vector
            if embedded:
                points += 12 * floats + 3 * len(chunk.get_content())
        return 2 * (docstore + texts) + points + SPARE_BYTES

    # -- removal and persistence -------------------------------------------------------

    def apply_changes(self, changed: list[Path], deleted: list[Path]) -> IngestReport:
        """Ingest changed files and drop documents of deleted files or folders.

        A rename is a deletion plus an addition; the addition's chunks come from the embedding
        cache, so identical content is not embedded again.
        """
        existing = [path for path in changed if path.exists()]
        report = self.ingest(existing, progress=False) if existing else IngestReport()
        for path in deleted:
            self._remove_vanished(path.resolve(), report)  # persists when it removes
        if self._unsaved:  # an earlier save failed (a full disk): this is its retry
            with self.lock:
                self.persist()
        if deleted and report.removed:
            self.rebuild_facts(report)
        return report

    @cached_property
    def facts(self) -> FactStore:
        store = FactStore(self.settings.facts_path)
        self.catalog.extend(store.vendor_aliases())
        return store

    def _learn_companies(self, documents: Iterable[BaseNode]) -> None:
        """Companies declared in front matter are recognised in questions from now on."""
        self.catalog.learn([v for doc in documents for v in doc.metadata.get("declared", [])])

    def _learn_vendors(self, pending: list[tuple[Candidate, LoadedFile, str]]) -> None:
        """Registry aliases name vendors in the documents of the same run too."""
        for candidate, _, _ in pending:
            if candidate.path.suffix.lower() in (".yaml", ".yml"):
                with suppress(OSError, ValueError, yaml.YAMLError):
                    self.catalog.extend(
                        read_facts(candidate.path, candidate.source, "").vendor_aliases
                    )

    def rebuild_facts(self, report: IngestReport) -> None:
        """Re-read the registry and eval files into the fact store; their aliases name vendors."""
        found: dict[str, Facts] = {}
        for doc in self.indexed_documents():
            meta = doc.metadata
            path, source = Path(meta["path"]), meta["source"]
            if path.suffix.lower() not in FACT_SUFFIXES:
                continue
            try:
                facts = read_facts(path, source, meta["doc_type"])
            except (OSError, ValueError, yaml.YAMLError, csv.Error) as exc:
                report.warnings.append(FileIssue(source=source, reason=f"facts not read: {exc}"))
                continue
            report.warnings.extend(FileIssue(source=source, reason=p) for p in facts.problems)
            if facts.workflows or facts.evals or facts.vendor_aliases:
                found[source] = facts
        self.facts.replace_all(found)
        self._facts_read = True
        for facts in found.values():
            self.catalog.extend(facts.vendor_aliases)

    def _remove_vanished(self, folder: Path, report: IngestReport) -> None:
        """Drop documents whose file at or under this path no longer exists."""
        gone = [
            doc_id
            for doc_id, doc in list(self.docstore.docs.items())
            if is_within(Path(doc.metadata.get("path", "")), folder)
            and not Path(doc.metadata.get("path", "")).exists()
        ]
        for problem in self.problems.all():
            if is_within(Path(problem.path), folder) and not Path(problem.path).exists():
                self.problems.clear(problem.source)
        self.remove(gone)
        report.removed += len(gone)
        report.outcomes.update((source, "removed") for source in gone)

    def _drop_orphans(self) -> None:
        """Chunks whose document the docstore does not know (left by a killed ingestion)."""
        with self.lock:
            orphans = set(self.store.document_stats()) - set(self.docstore.docs)
            self.store.delete_documents(sorted(orphans))

    def remove(self, doc_ids: list[str]) -> None:
        """Remove documents from the store and the docstore."""
        if not doc_ids:
            return
        with self.lock:
            self._unsaved = True
            self.store.delete_documents(doc_ids)
            for doc_id in doc_ids:
                self.docstore.delete_document(doc_id, raise_error=False)
                self.problems.clear(doc_id)
            self.persist()

    def indexed_documents(self) -> list[Document]:
        with self.lock:
            return [doc for doc in self.docstore.docs.values() if isinstance(doc, Document)]

    def persist(self) -> None:
        """Write the docstore atomically, so a crash never leaves a torn file."""
        self.docstore_path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(self.docstore_path) as partial:
            self.docstore.persist(str(partial))
        self.problems.persist()
        self._unsaved = False
        self.saves += 1
