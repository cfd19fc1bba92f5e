"""Document metadata read from files: published dates and titles."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path


def parse_date(value: object) -> date | None:
    """Read a date from front matter, HTML meta or PDF metadata; None when it is not a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.startswith("D:"):  # PDF date string: D:YYYYMMDDHHmmSS...
        text = text[2:10]
        return _parse_compact(text)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return _parse_compact(text[:10].replace("/", "-"))


def _parse_compact(text: str) -> date | None:
    for fmt in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def title_from_name(path: Path) -> str:
    """A readable title from a file name: 'model-evals_q3.csv' -> 'Model evals q3'."""
    words = re.sub(r"[-_]+", " ", path.stem).strip()
    return words[:1].upper() + words[1:] if words else path.name


# A file's own date when it has no publication date: "Last reviewed 2026-10-31", "updated:
# 2026-11-02", "as of 2026-09-30" in its opening lines, or such a field.
STATED_DATE = re.compile(
    r"\b(?:last[ _-]?(?:updated|reviewed|revised|modified)|updated|reviewed|revised|as[ _]of)"
    r"\b[\s:=,-]*(?:on\s+)?(20\d\d-[01]\d-[0-3]\d)\b",
    re.I,
)
DATE_FIELDS = ("published", "date", "last_updated", "updated", "last_reviewed", "reviewed", "as_of")
DATED_COLUMN = re.compile(r"\b(?:last[ _-]?)?(?:updated|reviewed|revised|as[ _]of)\b", re.I)
DATE_COLUMN = re.compile(r"(?:^|[_ ])date$", re.I)
OPENING_LINES = 10


def stated_date(text: str, fields: dict[str, object] | None = None) -> date | None:
    """The date a file gives itself: a date field (front matter or top-level YAML keys), else a
    last-updated note in its opening lines."""
    lowered = {str(k).lower(): v for k, v in (fields or {}).items()}
    for key in DATE_FIELDS:
        found = parse_date(lowered.get(key))
        if found:
            return found
    opening = "\n".join(text.split("\n", OPENING_LINES)[:OPENING_LINES])  # not the whole file
    match = STATED_DATE.search(opening)
    return parse_date(match.group(1)) if match else None


def latest_dated(records: Sequence[Mapping[str, object]]) -> date | None:
    """A table's own date: the latest in its last-updated or last-reviewed column, else in its
    date column (an eval sheet is as new as its newest run)."""
    for column in (DATED_COLUMN, DATE_COLUMN):
        dates = [
            found
            for record in records
            for key, value in record.items()
            if column.search(str(key)) and (found := parse_date(value))
        ]
        if dates:
            return max(dates)
    return None
