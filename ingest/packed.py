"""Readers for formats that pack their text (PDF streams, a Word file's zip), read within the
limits: what they unpack to is checked while reading, so a decompression bomb is refused
before it fills the memory."""

from __future__ import annotations

import re
import zipfile
from itertools import pairwise
from pathlib import Path
from typing import Any

from ingest.loaded import MB, LimitError, LoadedFile, LoadError, ReadLimits, Section
from ingest.metadata import parse_date

FULL_LINE_PERCENTILE = 0.8  # a page's full line width: most lines of running text reach it
WRAPPED_SHARE = 0.75  # a line this close to full width wraps into the next
PDF_TOKENS_PER_STREAM = 200_000  # a dense page of text has tens of thousands


def load_pdf(path: Path, limits: ReadLimits) -> LoadedFile:
    """PDF text layer, one section per page (pages numbered from 1, as viewers show them)."""
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError, PdfReadError

    stream_cap = limits.unpacked_mb * MB
    caps: dict[str, Any] = {
        name: stream_cap
        for name in (
            "maximum_declared_stream_length",
            "array_based_stream_maximum_output_length",
            "zlib_maximum_output_length",
            "lzw_maximum_output_length",
            "run_length_maximum_output_length",
            "brotli_maximum_output_length",
            "jbig2_maximum_output_length",
            "stream_decoding_work_maximum_length",
        )
    }
    try:
        with apply_configuration(stream_parsing_work_maximum_count=PDF_TOKENS_PER_STREAM, **caps):
            reader = PdfReader(path)
            if reader.is_encrypted and not reader.decrypt(""):
                raise LoadError("encrypted PDF: remove the password and drop it again")
            pages = pdf_pages(reader, limits)
            info = reader.metadata
    except LoadError:
        raise
    except LimitReachedError as exc:
        raise LimitError(
            f"a page unpacks past the reading limits ({exc}): a decompression bomb, or a page "
            "too large to read; re-export it, or raise VENDORINTEL_MAX_UNPACKED_MB"
        ) from exc
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(f"not a readable PDF ({exc}); re-export it and drop it again") from exc
    sections = [
        Section(unwrap_lines(text), "page", number) for number, text in pages if text.strip()
    ]
    if not sections:
        raise LoadError("no extractable text (a scanned PDF?): run OCR on it and drop it again")
    title = str(info.title).strip() if info and info.title else None
    published = parse_date(info.get("/CreationDate")) if info else None
    return LoadedFile(sections, title or None, published)


def pdf_pages(reader: Any, limits: ReadLimits) -> list[tuple[int, str]]:
    """Each page's text, the pages' content and text counted against the limits as they
    are read."""
    pages: list[tuple[int, str]] = []
    unpacked = chars = 0
    for number, page in enumerate(reader.pages, start=1):
        contents = page.get_contents()
        unpacked += len(contents.get_data()) if contents is not None else 0
        limits.check_unpacked(unpacked)
        text = page.extract_text() or ""
        chars += len(text)
        limits.check_text(chars)
        pages.append((number, text))
    return pages


def unwrap_lines(text: str) -> str:
    """Join the visual line breaks of a PDF page so sentences are whole; a line well short
    of the page's full width (a masthead, a title, a heading, a paragraph's last line) keeps
    its break, so it does not run into the sentence after it. Blank lines stay."""
    text = re.sub(r"(\w-)\n(?=\w)", r"\1", text)  # a word hyphenated at a line end
    lines = [line.strip() for line in text.split("\n")]
    widths = sorted(len(line) for line in lines if line)
    if not widths:
        return ""
    full = widths[int(len(widths) * FULL_LINE_PERCENTILE)]
    out = lines[:1]
    for previous, line in pairwise(lines):
        if previous and line and len(previous) >= full * WRAPPED_SHARE:
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return "\n".join(out)


def check_zip(path: Path, limits: ReadLimits) -> None:
    """A zip-based file's parts, by what they declare they unpack to, within the limits
    before anything is unpacked (the zip reader stops a part at its declared size)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise LoadError(
            f"not a readable .docx ({exc}); re-save it from Word and drop it again"
        ) from exc
    if len(members) > limits.max_members:
        raise LimitError(f"more than {limits.max_members:,} parts in the file: a zip bomb?")
    limits.check_unpacked(sum(member.file_size for member in members))


def load_docx(path: Path, limits: ReadLimits) -> LoadedFile:
    """Word document paragraphs and table rows, in reading order, cited by paragraph (a
    table row counts as one)."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    check_zip(path, limits)
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, ValueError, KeyError, OSError) as exc:
        raise LoadError(
            f"not a readable .docx ({exc}); re-save it from Word and drop it again"
        ) from exc
    except Exception as exc:  # python-docx surfaces zip and XML errors of many kinds
        raise LoadError(f"not a readable .docx ({type(exc).__name__}: {exc})") from exc
    paragraphs = docx_blocks(document, limits)
    if not paragraphs:
        raise LoadError("no text in the document")
    props = document.core_properties
    heading = next(
        (
            p.text.strip()
            for p in document.paragraphs
            if p.style is not None
            and p.style.name.startswith(("Heading", "Title"))
            and p.text.strip()
        ),
        None,
    )
    return LoadedFile(
        [Section("\n".join(paragraphs), "paragraphs", 1)],
        title=(props.title or "").strip() or heading,
        published=props.created.date() if props.created else None,
    )


def docx_blocks(document: Any, limits: ReadLimits) -> list[str]:
    """The non-empty paragraphs and table rows ('a | b') of a Word document, in reading
    order, so a table stays beside the text that introduces it; their text is counted
    against the limit as it is read."""
    from docx.table import Table

    blocks: list[str] = []
    chars = 0
    for item in document.iter_inner_content():
        before = len(blocks)
        if isinstance(item, Table):
            for row in item.rows:
                cells = [c.text.strip() for c in row.cells if c.text.strip()]
                if cells:
                    blocks.append(" | ".join(cells))
        elif item.text.strip():
            blocks.append(item.text.strip())
        chars += sum(len(b) for b in blocks[before:])
        limits.check_text(chars)
    return blocks
