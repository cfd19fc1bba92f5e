"""The ingestion run: scan folders, load changed files, embed them into the store, drop the gone."""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from llama_index.core import Document
from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline
from llama_index.core.storage.docstore import SimpleDocumentStore
from tqdm import tqdm

from ingest.chunking import LocatedSplitter
from ingest.loaders import LOADERS, LoadedFile, LoadError, load_file
from ingest.metadata import VendorCatalog, doc_type_for, title_from_name
from ingest.report import FileIssue, IngestReport

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

    from assistant.settings import Settings
    from assistant.store import ChunkStore

IGNORED_PREFIXES = (".", "~$", "~")  # dotfiles, Office lock files, editor backups


@dataclass(frozen=True)
class Candidate:
    """A file found by a scan, with the id it is indexed under."""

    path: Path
    source: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


class Ingestor:
    """Keeps the chunk store in line with files on disk, re-embedding only what changed."""

    def __init__(
        self,
        settings: Settings,
        store: ChunkStore,
        embed_model: Callable[[], BaseEmbedding],
        catalog: VendorCatalog | None = None,
    ) -> None:
        """embed_model is called when something needs embedding: listing needs no model."""
        self.settings = settings
        self.store = store
        self.catalog = catalog or VendorCatalog.load()
        self.docstore_path = settings.docstore_path
        self.docstore = (
            SimpleDocumentStore.from_persist_path(str(self.docstore_path))
            if self.docstore_path.exists()
            else SimpleDocumentStore()
        )
        self._embed_model = embed_model

    @cached_property
    def pipeline(self) -> IngestionPipeline:
        return IngestionPipeline(
            transformations=[
                LocatedSplitter(
                    chunk_size=self.settings.chunk_size, chunk_overlap=self.settings.chunk_overlap
                ),
                self._embed_model(),
            ],
            vector_store=self.store.vector_store,
            docstore=self.docstore,
            docstore_strategy=DocstoreStrategy.UPSERTS,
            disable_cache=True,  # unchanged files never reach the pipeline; see _is_unchanged
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
                report.removed += self._remove_vanished(target.resolve())
        self._index(pending, report, progress)
        self.persist()
        return report

    def _candidates(self, target: Path, report: IngestReport) -> Iterator[Candidate]:
        if not target.exists():
            report.failed.append(FileIssue(source=str(target), reason="no such file or folder"))
            return
        if target.is_file():
            yield Candidate(
                target.resolve(), self._source_for(target.resolve(), target.resolve().parent)
            )
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
        if path.name.startswith(IGNORED_PREFIXES):
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
        try:
            sha = file_sha256(candidate.path)
        except OSError as exc:
            report.failed.append(
                FileIssue(source=candidate.source, reason=f"cannot read: {exc.strerror}")
            )
            return None
        if self._is_unchanged(candidate.source, sha):
            report.unchanged += 1
            report.outcomes[candidate.source] = "unchanged"
            return None
        try:
            loaded = load_file(candidate.path)
        except LoadError as exc:
            reason = str(exc)
            if self.docstore.document_exists(candidate.source):
                reason += "; the previously indexed version is kept"
            report.failed.append(FileIssue(source=candidate.source, reason=reason))
            return None
        except OSError as exc:
            report.failed.append(FileIssue(source=candidate.source, reason=f"cannot read: {exc}"))
            return None
        report.failed.extend(FileIssue(source=candidate.source, reason=p) for p in loaded.problems)
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
                documents = [self._document(c, loaded, sha) for c, loaded, sha in batch]
                for doc in documents:
                    outcome = "updated" if self.docstore.document_exists(doc.doc_id) else "added"
                    report.outcomes[doc.doc_id] = outcome
                    report.added += outcome == "added"
                    report.updated += outcome == "updated"
                self.pipeline.run(documents=documents)
                self.persist()  # a crash loses at most the batch in flight
                bar.update(len(batch))

    def _document(self, candidate: Candidate, loaded: LoadedFile, sha: str) -> Document:
        """One llama-index Document per file; its sections carry the citation units."""
        fields = loaded.fields
        title = str(fields.get("title") or loaded.title or title_from_name(candidate.path))
        declared = self.catalog.declared(fields.get("vendors"))
        texts = [s.text for s in loaded.sections]
        doc_vendors = _merge(declared, self.catalog.detect(title + "\n" + "\n".join(texts)))
        tabular = loaded.sections[0].kind in ("row", "line")
        sections, offset = [], 0
        for section in loaded.sections:
            vendors = (
                _merge(declared, self.catalog.detect(section.text)) if tabular else doc_vendors
            )
            sections.append(
                [
                    offset,
                    offset + len(section.text),
                    section.kind,
                    section.number,
                    vendors,
                    section.by_line,
                ]
            )
            offset += len(section.text) + 2
        published = loaded.published or _mtime_date(candidate.path)
        return Document(
            id_=candidate.source,
            text="\n\n".join(texts),
            metadata={
                "source": candidate.source,
                "title": title,
                "doc_type": doc_type_for(candidate.source, fields.get("doc_type")),
                "published": published.isoformat(),
                "vendors": doc_vendors,
                "path": str(candidate.path),
                "file_sha256": sha,
                "sections": sections,
            },
        )

    # -- removal and persistence -------------------------------------------------------

    def _remove_vanished(self, folder: Path) -> int:
        """Drop documents whose file under this folder no longer exists."""
        removed = 0
        for doc_id, doc in list(self.docstore.docs.items()):
            path = Path(doc.metadata.get("path", ""))
            if is_within(path, folder) and not path.exists():
                self.remove(doc_id)
                removed += 1
        return removed

    def remove(self, doc_id: str) -> None:
        """Remove one document from the store and the docstore."""
        self.store.delete_document(doc_id)
        self.docstore.delete_document(doc_id, raise_error=False)

    def indexed_documents(self) -> list[Document]:
        return [doc for doc in self.docstore.docs.values() if isinstance(doc, Document)]

    def persist(self) -> None:
        """Write the docstore atomically, so a crash never leaves a torn file."""
        self.docstore_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.docstore_path.with_suffix(".json.tmp")
        self.docstore.persist(str(tmp))
        os.replace(tmp, self.docstore_path)


def _merge(first: list[str], second: list[str]) -> list[str]:
    return list(dict.fromkeys([*first, *second]))


def _mtime_date(path: Path) -> date:
    return date.fromtimestamp(path.stat().st_mtime)
