"""A loaded file becomes one llama-index Document with its metadata and citable sections."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from llama_index.core import Document
from llama_index.core.schema import BaseNode

from assistant.core.catalog import VendorCatalog
from assistant.core.doc_types import doc_type_for
from ingest.loaders import LoadedFile
from ingest.metadata import title_from_name


@dataclass(frozen=True)
class SectionSpan:
    """Where one citable section lies in a document's text, what a citation calls it, and
    the vendors it is tagged with; kept in the document's metadata for the chunker."""

    start: int
    end: int
    kind: str
    number: int
    vendors: list[str]
    by_line: bool

    def to_metadata(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_metadata(cls, value: dict[str, Any] | list[Any]) -> SectionSpan:
        """Read a span back; docstores written before spans had names hold positional lists."""
        if isinstance(value, list):
            start, end, kind, number, vendors, by_line = value
            return cls(start, end, kind, number, vendors, by_line)
        return cls(**value)


def section_spans(document: BaseNode) -> list[SectionSpan]:
    return [SectionSpan.from_metadata(v) for v in document.metadata["sections"]]


@dataclass(frozen=True)
class Candidate:
    """A file found by a scan, with the id it is indexed under."""

    path: Path
    source: str


def build_document(
    candidate: Candidate, loaded: LoadedFile, sha: str, catalog: VendorCatalog
) -> Document:
    """One Document per file; its `sections` carry the units citations point at."""
    fields = loaded.fields
    title = str(fields.get("title") or loaded.title or title_from_name(candidate.path))
    declared = catalog.declared(fields.get("vendors"))
    texts = [s.text for s in loaded.sections]
    doc_vendors = merge(declared, catalog.detect(title + "\n" + "\n".join(texts)))
    tabular = loaded.sections[0].kind in ("row", "line")
    sections, offset = [], 0
    for section in loaded.sections:
        # A table row is tagged with the vendors it names; prose with the document's.
        vendors = merge(declared, catalog.detect(section.text)) if tabular else doc_vendors
        end = offset + len(section.text)
        span = SectionSpan(offset, end, section.kind, section.number, vendors, section.by_line)
        sections.append(span.to_metadata())
        offset = end + 2  # the "\n\n" joining sections
    published = loaded.published or date.fromtimestamp(candidate.path.stat().st_mtime)
    return Document(
        id_=candidate.source,
        text="\n\n".join(texts),
        metadata={
            "source": candidate.source,
            "title": title,
            "doc_type": doc_type_for(candidate.source, fields.get("doc_type")),
            "published": published.isoformat(),
            "vendors": doc_vendors,
            "declared": declared,
            "period": str(fields.get("period") or ""),
            "path": str(candidate.path),
            "file_sha256": sha,
            "sections": sections,
        },
    )


def merge(first: list[str], second: list[str]) -> list[str]:
    return list(dict.fromkeys([*first, *second]))
