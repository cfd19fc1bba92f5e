"""Readers for each supported format: a file becomes sections of text with citable locators."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from assistant.core.front_matter import split_front_matter
from assistant.core.safe_yaml import parse_yaml_safely
from ingest.loaded import (
    LimitError,
    LoadedFile,
    LoadError,
    ReadLimits,
    Section,
    decode_text,
    read_text_file,
)
from ingest.metadata import latest_dated, stated_date
from ingest.packed import load_docx, load_pdf
from ingest.web_pages import load_html

__all__ = [
    "LOADERS",
    "LimitError",
    "LoadError",
    "LoadedFile",
    "ReadLimits",
    "Section",
    "decode_text",
    "load_file",
]


def load_text(path: Path, limits: ReadLimits) -> LoadedFile:
    """Markdown and plain text, with optional YAML front matter; cited by line range."""
    front, body = split_front_matter(read_text_file(path, limits))
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


def record_text(record: dict[str, Any]) -> str:
    """One table row as 'column: value; ...', empty cells left out."""
    return "; ".join(f"{k}: {v}" for k, v in record.items() if v not in (None, "") and k)


def load_csv(path: Path, limits: ReadLimits) -> LoadedFile:
    """CSV rows, one section per row; malformed rows are reported and skipped."""
    text = read_text_file(path, limits)
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


def load_jsonl(path: Path, limits: ReadLimits) -> LoadedFile:
    """JSON Lines, one section per object; malformed lines are reported and skipped."""
    sections: list[Section] = []
    records: list[dict[str, Any]] = []
    problems: list[str] = []
    text = read_text_file(path, limits)
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


def load_yaml(path: Path, limits: ReadLimits) -> LoadedFile:
    """YAML (safe loading only: no tags that run code), cited by line range."""
    text = read_text_file(path, limits)
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


LOADERS: dict[str, Callable[[Path, ReadLimits], LoadedFile]] = {
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


def load_file(path: Path, limits: ReadLimits | None = None) -> LoadedFile:
    """Read one file with the loader for its extension, within the limits; raises LoadError
    (LimitError past a limit) with the reason."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(f"unsupported format {path.suffix or '(no extension)'}")
    if path.stat().st_size == 0:
        raise LoadError("empty file: nothing to index")
    return loader(path, limits or ReadLimits())
