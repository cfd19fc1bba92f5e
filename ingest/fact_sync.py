"""Keeping the vendor records (registry workflows, eval results) in line with the index."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

import yaml
from llama_index.core import Document

from assistant.core.catalog import LearnedVendors
from assistant.core.records import Facts
from assistant.core.report import FileIssue, IngestReport
from assistant.storage.facts import FactStore
from ingest.fact_readers import read_facts

FACT_SUFFIXES = (".yaml", ".yml", ".csv", ".jsonl")  # where registries and eval tables live
READ_ERRORS = (OSError, ValueError, yaml.YAMLError, csv.Error)


def holds_facts(path: Path) -> bool:
    return path.suffix.lower() in FACT_SUFFIXES


def facts_of(document: Document) -> Facts:
    """The records of an indexed document's file, read from disk."""
    meta = document.metadata
    return read_facts(Path(meta["path"]), meta["source"], meta["doc_type"])


class FactSync:
    """The fact store under the data dir: read whole from the files once per process (it may
    predate them), then kept in step file by file with what each ingestion parsed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.read_whole = False

    @cached_property
    def store(self) -> FactStore:
        return FactStore(self.path)

    def known_vendors(self) -> LearnedVendors:
        """The registry's vendors and aliases as the store last recorded them."""
        return LearnedVendors(aliases=self.store.vendor_aliases())

    def sync(
        self,
        indexed: Iterable[Document],
        parsed: dict[str, Facts],
        removed: list[str],
        report: IngestReport,
    ) -> LearnedVendors:
        """Record the facts parsed in this run (and, the first time, of every indexed fact
        file); returns the vendor aliases they name."""
        found = parsed if self.read_whole else self._read_all(indexed, parsed, report)
        for source, facts in found.items():
            report.warnings.extend(FileIssue(source=source, reason=p) for p in facts.problems)
        kept = {s: f for s, f in found.items() if f.workflows or f.evals or f.vendor_aliases}
        if self.read_whole:
            self.store.replace(kept, [*removed, *(s for s in found if s not in kept)])
        else:
            self.store.replace_all(kept)
            self.read_whole = True
        learned = LearnedVendors()  # two files may name one vendor: their aliases add up
        for facts in found.values():
            learned.add(LearnedVendors(aliases=facts.vendor_aliases))
        return learned

    @staticmethod
    def _read_all(
        indexed: Iterable[Document], parsed: dict[str, Facts], report: IngestReport
    ) -> dict[str, Facts]:
        found: dict[str, Facts] = {}
        for doc in indexed:
            source = doc.metadata["source"]
            if not holds_facts(Path(doc.metadata["path"])):
                continue
            if source in parsed:
                found[source] = parsed[source]
                continue
            try:
                found[source] = facts_of(doc)
            except READ_ERRORS as exc:
                report.warnings.append(FileIssue(source=source, reason=f"facts not read: {exc}"))
        return found

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
