"""A loaded file becomes one llama-index Document with its metadata and citable sections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from llama_index.core import Document

from ingest.loaders import LoadedFile
from ingest.metadata import VendorCatalog, doc_type_for, title_from_name


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
        sections.append([offset, end, section.kind, section.number, vendors, section.by_line])
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
