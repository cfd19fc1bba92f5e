"""What a reader makes of a file (sections of text with citable locators), why it can refuse
one, and the limits every reader keeps to while it reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml


class LoadError(Exception):
    """A file that cannot be read; the message is the reason shown to the user."""


class LimitError(LoadError):
    """A file refused because it passes a size limit: retried only once it changes."""


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


MB = 1 << 20


@dataclass(frozen=True)
class ReadLimits:
    """How much a reader takes from one file, checked while it reads: the text it extracts,
    and what a compressed format (a Word file's zip, a PDF's streams) unpacks to."""

    text_mb: int = 20
    unpacked_mb: int = 64
    max_members: int = 10_000  # parts of a zip-based file

    def check_text(self, chars: int) -> None:
        if chars > self.text_mb * MB:
            raise LimitError(
                f"more than {self.text_mb} MB of text: split the file, or raise "
                "VENDORINTEL_MAX_TEXT_MB"
            )

    def check_unpacked(self, size: int) -> None:
        if size > self.unpacked_mb * MB:
            raise LimitError(
                f"unpacks to more than {self.unpacked_mb} MB (a decompression bomb?): split "
                "the file, or raise VENDORINTEL_MAX_UNPACKED_MB"
            )

    @property
    def key(self) -> str:
        """The limits in effect, kept with a refusal: raising one retries the file."""
        return f"text={self.text_mb}MB unpacked={self.unpacked_mb}MB"


def decode_text(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM), else cp1252; binary content is refused."""
    if b"\x00" in data[:8192]:
        raise LoadError("binary content, not text: save it as UTF-8 text and drop it again")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_text_file(path: Path, limits: ReadLimits, markup: bool = False) -> str:
    """The file decoded as text, its size checked before it is read: against the text
    limit, or for markup (whose text is less than the file) the unpacked one."""
    size = path.stat().st_size
    limits.check_unpacked(size) if markup else limits.check_text(size)
    text = decode_text(path.read_bytes())
    if not text.strip():
        raise LoadError("empty file: nothing to index")
    return text
