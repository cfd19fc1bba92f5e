"""The ingestion run: scan folders, load changed files, index them, drop the gone, and keep the
vendor records in step; returns what it did and the vendor names it learned."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from llama_index.core.schema import BaseNode
from tqdm import tqdm

from assistant.core.catalog import LearnedVendors, VendorCatalog
from assistant.core.doc_types import doc_type_for
from assistant.core.records import Facts
from assistant.core.report import FileIssue, IngestReport
from ingest.documents import Candidate, build_document
from ingest.fact_readers import read_facts
from ingest.fact_sync import READ_ERRORS, FactSync, holds_facts
from ingest.indexer import Indexer, stop_if_asked
from ingest.loaders import LimitError, LoadedFile, LoadError, ReadLimits, load_file
from ingest.scanner import Scanner, file_sha256, is_within, resolved, unreadable

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

    from assistant.core.settings import Settings
    from assistant.storage.chunks import ChunkStore

logger = logging.getLogger(__name__)


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


@dataclass
class Pending:
    """A changed file, read once: its text for the index and, for tables and YAML, its records."""

    candidate: Candidate
    loaded: LoadedFile
    sha: str
    facts: Facts | None


class Ingestor:
    """Keeps the index and the vendor records in line with files on disk, re-embedding only
    what changed. It never changes the catalog it is given: each run returns what it learned."""

    def __init__(
        self,
        settings: Settings,
        store: ChunkStore,
        embed_model: Callable[[], BaseEmbedding],
        lock: AbstractContextManager[object] | None = None,
        stopping: threading.Event | None = None,
    ) -> None:
        """embed_model is called when something needs embedding: listing needs no model.
        When `stopping` is set, an ingestion in progress ends at its next step."""
        self.settings = settings
        self.stopping = stopping or threading.Event()
        self.scanner = Scanner(settings.inbox_dir)
        self.limits = ReadLimits(settings.limits.max_text_mb, settings.limits.max_unpacked_mb)
        self.indexer = Indexer(settings, store, embed_model, lock, self.stopping)
        self.fact_sync = FactSync(settings.facts_path)
        self.problems = self.indexer.problems
        # What earlier runs learned: the registry's vendors as the fact store holds them, and
        # the companies indexed documents declare. Read here, before anything else can reach
        # this docstore, and without the store lock: a reader holding that lock may be waiting
        # for this ingestor to be built.
        self.known_vendors = self.fact_sync.known_vendors()
        self.known_vendors.add(companies_in(self.indexer.docstore.docs.values()))

    def ingest(
        self, catalog: VendorCatalog, paths: list[Path] | None = None, progress: bool | None = None
    ) -> IngestReport:
        """Ingest files and folders (default: the whole inbox, removing files that are gone)."""
        report = IngestReport()
        if not paths:
            self.settings.inbox_dir.mkdir(parents=True, exist_ok=True)  # first run: make the inbox
        targets = [p.expanduser() for p in paths] if paths else [self.settings.inbox_dir]
        pending: list[Pending] = []
        seen: set[str] = set()
        for target in targets:
            for candidate in self.scanner.candidates(target, report):
                stop_if_asked(self.stopping)
                if candidate.source not in seen:
                    seen.add(candidate.source)
                    pending += self._load_if_changed(candidate, report)
            located = self.scanner.located(target)
            if located.is_dir() and not located.is_symlink():
                self._remove_vanished(located, report)
        if not paths:
            self.indexer.drop_orphans()
        self._index(pending, catalog, report, progress)
        with self.indexer.lock:
            self.indexer.persist()
        if report.changed:
            self.indexer.optimize()
        # The store file exists as soon as it is opened, so it cannot tell whether it was filled.
        if report.changed or not self.fact_sync.read_whole:
            self._sync_facts(pending, report)
        return report

    def _load_if_changed(self, candidate: Candidate, report: IngestReport) -> list[Pending]:
        """The file read once, unless its bytes are unchanged since it was indexed."""
        source = candidate.source
        sha = self._sha_within_limit(candidate, report)
        if sha is None:
            return []
        if self.indexer.is_unchanged(source, sha):
            report.unchanged += 1
            report.outcomes[source] = "unchanged"
            known = self.problems.get(source)
            if known and known.partial:  # rows skipped when it was indexed still count
                report.failed.extend(FileIssue(source=source, reason=r) for r in known.reasons)
            return []
        refused = self.problems.refused(source, sha, self.limits.key)
        if refused is not None:  # the same bytes past the same limits: not read again
            again = "refused before, not read again until the file or the limit changes"
            report.failed.extend(
                FileIssue(source=source, reason=f"{r} ({again})") for r in refused.reasons
            )
            return []
        try:
            loaded = load_file(candidate.path, self.limits)
        except Exception as exc:  # whatever a reader library raises, one file fails, not the run
            self._failed(candidate, failure_reason(exc), report, isinstance(exc, LimitError), sha)
            return []
        report.failed.extend(FileIssue(source=source, reason=p) for p in loaded.problems)
        if loaded.problems:
            self.problems.record(candidate, loaded.problems, partial=True)
        else:
            self.problems.clear(source)
        return [Pending(candidate, loaded, sha, self._facts(candidate, loaded, report))]

    def _failed(
        self, candidate: Candidate, reason: str, report: IngestReport, limit: bool, sha: str
    ) -> None:
        """One file failed: reported and logged; a refusal at a limit is kept with its hash."""
        if self.indexer.docstore.document_exists(candidate.source):
            reason += "; the previously indexed version is kept"
        report.failed.append(FileIssue(source=candidate.source, reason=reason))
        refused = (sha, self.limits.key) if limit else None
        self.problems.record(candidate, [reason], partial=False, refused=refused)
        if limit:  # kept at once: a run cut short must not unpack the bomb again
            self.problems.persist()

    def _sha_within_limit(self, candidate: Candidate, report: IngestReport) -> str | None:
        """The file's hash; None, with the reason reported, when it cannot be read or is
        over the size limit (refused before reading: a huge file must not stall the rest)."""
        limit_mb = self.settings.limits.max_file_mb
        try:
            too_large = candidate.path.stat().st_size > limit_mb * (1 << 20)
            sha = "" if too_large else file_sha256(candidate.path)
        except OSError as exc:
            reason = f"cannot read: {exc.strerror}"
            report.failed.append(FileIssue(source=candidate.source, reason=reason))
            return None
        if too_large:
            reason = (
                f"larger than the {limit_mb} MB limit: split it, or raise VENDORINTEL_MAX_FILE_MB"
            )
            report.failed.append(FileIssue(source=candidate.source, reason=reason))
            self.problems.record(candidate, [reason], partial=False)
            return None
        return sha

    @staticmethod
    def _facts(candidate: Candidate, loaded: LoadedFile, report: IngestReport) -> Facts | None:
        """The records of a registry or eval file, from the text its loader read."""
        if not holds_facts(candidate.path):
            return None
        doc_type = doc_type_for(candidate.source, loaded.fields.get("doc_type"))
        try:
            return read_facts(candidate.path, candidate.source, doc_type, loaded)
        except READ_ERRORS as exc:
            reason = f"facts not read: {exc}"
            report.warnings.append(FileIssue(source=candidate.source, reason=reason))
            return Facts()

    def _index(
        self,
        pending: list[Pending],
        catalog: VendorCatalog,
        report: IngestReport,
        progress: bool | None,
    ) -> None:
        """Index the changed files in batches, tagging them with the catalog as this run
        learns it: registry aliases first, then the companies each batch declares."""
        registries = LearnedVendors()
        for p in pending:
            if p.facts:
                registries.add(LearnedVendors(aliases=p.facts.vendor_aliases))
        catalog = catalog.extended(registries.aliases)
        show = sys.stderr.isatty() if progress is None else progress
        batch_size = self.settings.ingestion.ingest_batch_files
        with tqdm(total=len(pending), desc="Indexing", unit="file", disable=not show) as bar:
            for start in range(0, len(pending), batch_size):
                stop_if_asked(self.stopping)
                batch = pending[start : start + batch_size]
                documents = [build_document(p.candidate, p.loaded, p.sha, catalog) for p in batch]
                failed = self.indexer.write(documents, report)
                for p in batch:
                    if p.candidate.source in failed:
                        self._failed(p.candidate, failed[p.candidate.source], report, False, p.sha)
                documents = [d for d in documents if d.doc_id not in failed]
                learned = companies_in(documents)
                catalog = catalog.learned(learned.companies)
                report.learned.add(learned)
                bar.update(len(batch))

    def _sync_facts(self, pending: list[Pending], report: IngestReport) -> None:
        # Only files whose new version was indexed: a failed one keeps its previous records.
        parsed = {
            p.candidate.source: p.facts
            for p in pending
            if p.facts is not None and p.candidate.source in report.outcomes
        }
        removed = [s for s, outcome in report.outcomes.items() if outcome == "removed"]
        documents = self.indexer.indexed_documents()
        report.learned.add(self.fact_sync.sync(documents, parsed, removed, report))

    def apply_changes(
        self, catalog: VendorCatalog, changed: list[Path], deleted: list[Path]
    ) -> IngestReport:
        """Ingest changed files and drop documents of deleted files or folders.

        A rename is a deletion plus an addition; the addition's chunks come from the embedding
        cache, so identical content is not embedded again.
        """
        existing = [path for path in changed if path.exists()]
        report = self.ingest(catalog, existing, progress=False) if existing else IngestReport()
        for path in deleted:
            self._remove_vanished(self.scanner.located(path), report)  # persists when it removes
        if self.indexer.unsaved:  # an earlier save failed (a full disk): this is its retry
            with self.indexer.lock:
                self.indexer.persist()
        if deleted and report.removed:
            self._sync_facts([], report)
        return report

    def _remove_vanished(self, folder: Path, report: IngestReport) -> None:
        """Drop documents whose file at or under this path is gone, or may no longer be read
        (replaced by a link out of the inbox, a pipe, or put in a linked folder)."""
        inbox = self.settings.inbox_dir.resolve()
        gone = [
            doc_id
            for doc_id, doc in list(self.indexer.docstore.docs.items())
            if is_within(Path(doc.metadata.get("path", "")), folder)
            and gone_from(Path(doc.metadata.get("path", "")), inbox)
        ]
        for problem in self.problems.all():
            if is_within(Path(problem.path), folder) and not Path(problem.path).exists():
                self.problems.clear(problem.source)
        self.indexer.remove(gone)
        report.removed += len(gone)
        report.outcomes.update((source, "removed") for source in gone)

    def delete(self, source: str) -> bool:
        """Delete an indexed document: its file, where it lies in the inbox, and its chunks.
        Only a source exactly as indexed is acted on; anything else touches nothing."""
        document = self.indexer.docstore.get_document(source, raise_error=False)
        if document is None:
            return False
        path = Path(str(document.metadata.get("path", "")))
        parent = resolved(path.parent)
        # unlink removes a link itself; a file indexed from outside the inbox stays where it is.
        inside = parent is not None and is_within(parent, self.settings.inbox_dir.resolve())
        if inside and (path.is_file() or path.is_symlink()):
            path.unlink()
        self.remove([source])
        return True

    def remove(self, sources: list[str]) -> None:
        """Drop documents from the index and their records (a file deleted on request)."""
        self.indexer.remove(sources)
        self.fact_sync.store.replace({}, sources)

    def close(self) -> None:
        self.fact_sync.close()


def gone_from(path: Path, inbox: Path) -> bool:
    """A file no longer there, or in the inbox (resolved) no longer to be read."""
    if not path.exists():
        return True
    return is_within(path, inbox) and unreadable(path, inbox) is not None


def companies_in(documents: Iterable[BaseNode]) -> LearnedVendors:
    """Companies declared in front matter, recognised in questions from then on."""
    return LearnedVendors(
        companies=[v for doc in documents for v in doc.metadata.get("declared", [])]
    )
