"""Readers for each supported format: a file becomes sections of text with citable locators."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from assistant.core.front_matter import split_front_matter
from assistant.core.safe_yaml import parse_yaml_safely
from ingest.metadata import latest_dated, parse_date, stated_date


class LoadError(Exception):
    """A file that cannot be read; the message is the reason shown to the user."""


@dataclass(frozen=True)
class Section:
    """A run of text with the unit a citation points at.

    kind is "lines" or "paragraphs" (number = the first one; the chunker counts from it),
    "page" (PDF page), "row" (spreadsheet row, header = row 1) or "line" (JSONL line).
    """

    text: str
    kind: str
    number: int
    by_line: bool = False  # chunk on line boundaries only (YAML, where a line is a unit)


@dataclass
class LoadedFile:
    sections: list[Section]
    title: str | None = None
    published: date | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    # The decoded text of a table or YAML file, and a YAML file's data with its node tree, so
    # its records are read without reading or parsing the file again.
    raw_text: str | None = None
    yaml_tree: tuple[Any, yaml.Node | None] | None = None


FULL_LINE_PERCENTILE = 0.8  # a page's full line width: most lines of running text reach it
WRAPPED_SHARE = 0.75  # a line this close to full width wraps into the next


def decode_text(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM), else cp1252; binary content is refused."""
    if b"\x00" in data[:8192]:
        raise LoadError("binary content, not text: save it as UTF-8 text and drop it again")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_text_file(path: Path) -> str:
    text = decode_text(path.read_bytes())
    if not text.strip():
        raise LoadError("empty file: nothing to index")
    return text


def load_text(path: Path) -> LoadedFile:
    """Markdown and plain text, with optional YAML front matter; cited by line range."""
    front, body = split_front_matter(read_text_file(path))
    if not body.strip():
        raise LoadError("no text after the front matter")
    title = front.fields.get("title")
    if not title:
        first = next((line.strip() for line in body.splitlines() if line.strip()), "")
        if path.suffix.lower() == ".md" and first.startswith("#"):
            title = first.lstrip("#").strip()
        elif path.suffix.lower() == ".txt" and len(first) <= 120:
            title = first
    return LoadedFile(
        sections=[Section(body, "lines", front.line_count + 1)],
        title=str(title) if title else None,
        published=stated_date(body, front.fields),
        fields=front.fields,
    )


BLOCK_TAGS = [
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "li",
    "pre",
    "blockquote",
    "td",
    "th",
    "dd",
    "dt",
    "figcaption",
]
NON_CONTENT_TAGS = ["script", "style", "noscript", "template", "iframe", "object", "svg", "head"]
DATE_META = ("date", "dc.date", "article:published_time", "published", "pubdate")


def load_html(path: Path) -> LoadedFile:
    """HTML without scripts or styles; each block (paragraph, heading, item) is one paragraph."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(read_text_file(path), "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    published = None
    for meta in soup.find_all("meta"):
        key = str(meta.get("name") or meta.get("property") or "").lower()
        if key in DATE_META and published is None:
            published = parse_date(meta.get("content"))
    for tag in soup.find_all(NON_CONTENT_TAGS):
        tag.decompose()
    blocks = [
        tag.get_text(" ", strip=True)
        for tag in soup.find_all(BLOCK_TAGS)
        if not tag.find(BLOCK_TAGS)  # innermost blocks only, so no text is counted twice
    ]
    paragraphs = [" ".join(b.split()) for b in blocks if b.strip()]
    if not paragraphs:  # a page of bare text without block tags
        paragraphs = [line.strip() for line in soup.get_text("\n").splitlines() if line.strip()]
    if not paragraphs:
        raise LoadError("no readable text in the HTML page")
    return LoadedFile([Section("\n".join(paragraphs), "paragraphs", 1)], title, published)


def load_pdf(path: Path) -> LoadedFile:
    """PDF text layer, one section per page (pages numbered from 1, as viewers show them)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError("encrypted PDF: remove the password and drop it again")
        pages = [(i + 1, page.extract_text() or "") for i, page in enumerate(reader.pages)]
        info = reader.metadata
    except LoadError:
        raise
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


def load_docx(path: Path) -> LoadedFile:
    """Word document paragraphs and table rows, in reading order, cited by paragraph (a
    table row counts as one)."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, ValueError, KeyError, OSError) as exc:
        raise LoadError(
            f"not a readable .docx ({exc}); re-save it from Word and drop it again"
        ) from exc
    except Exception as exc:  # python-docx surfaces zip and XML errors of many kinds
        raise LoadError(f"not a readable .docx ({type(exc).__name__}: {exc})") from exc
    paragraphs = docx_blocks(document)
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


def docx_blocks(document: Any) -> list[str]:
    """The non-empty paragraphs and table rows ('a | b') of a Word document, in reading
    order, so a table stays beside the text that introduces it."""
    from docx.table import Table

    blocks: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells = [c.text.strip() for c in row.cells if c.text.strip()]
                if cells:
                    blocks.append(" | ".join(cells))
        elif item.text.strip():
            blocks.append(item.text.strip())
    return blocks


def record_text(record: dict[str, Any]) -> str:
    """One table row as 'column: value; ...', empty cells left out."""
    return "; ".join(f"{k}: {v}" for k, v in record.items() if v not in (None, "") and k)


def load_csv(path: Path) -> LoadedFile:
    """CSV rows, one section per row; malformed rows are reported and skipped."""
    text = read_text_file(path)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:4096], delimiters=",;\t|"
        )
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise LoadError(f"no header row ({exc})") from exc
    sections: list[Section] = []
    records: list[dict[str, Any]] = []
    problems: list[str] = []
    row_number = 1
    while True:
        row_number += 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(f"row {row_number}: {exc}; skipped")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(
                f"row {row_number}: expected {len(header)} fields, found {len(row)}; row skipped"
            )
            continue
        record = dict(zip(header, row, strict=True))
        records.append(record)
        sections.append(Section(record_text(record), "row", row_number))
    if not sections:
        raise LoadError("no valid data rows" + (f" ({problems[0]})" if problems else ""))
    return LoadedFile(sections, problems=problems, raw_text=text, published=latest_dated(records))


def load_jsonl(path: Path) -> LoadedFile:
    """JSON Lines, one section per object; malformed lines are reported and skipped."""
    sections: list[Section] = []
    records: list[dict[str, Any]] = []
    problems: list[str] = []
    text = read_text_file(path)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not valid JSON ({exc.msg}); line skipped")
            continue
        if not isinstance(record, dict):
            problems.append(f"line {number}: not a JSON object; line skipped")
            continue
        sections.append(Section(record_text(record), "line", number))
        records.append(record)
    if not sections:
        raise LoadError("no valid JSON lines" + (f" ({problems[0]})" if problems else ""))
    return LoadedFile(sections, problems=problems, raw_text=text, published=latest_dated(records))


def load_yaml(path: Path) -> LoadedFile:
    """YAML (safe loading only: no tags that run code), cited by line range."""
    text = read_text_file(path)
    try:
        data, root = parse_yaml_safely(text)
    except yaml.YAMLError as exc:
        raise LoadError(f"not valid YAML ({' '.join(str(exc).split())})") from exc
    title = data.get("title") if isinstance(data, dict) else None
    return LoadedFile(
        [Section(text, "lines", 1, by_line=True)],
        title=str(title) if title else None,
        published=stated_date(text, data if isinstance(data, dict) else None),
        raw_text=text,
        yaml_tree=(data, root),
    )


LOADERS: dict[str, Callable[[Path], LoadedFile]] = {
    ".md": load_text,
    ".markdown": load_text,
    ".txt": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".csv": load_csv,
    ".jsonl": load_jsonl,
    ".yaml": load_yaml,
    ".yml": load_yaml,
}


def load_file(path: Path) -> LoadedFile:
    """Read one file with the loader for its extension; raises LoadError with the reason."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(f"unsupported format {path.suffix or '(no extension)'}")
    if path.stat().st_size == 0:
        raise LoadError("empty file: nothing to index")
    return loader(path)
