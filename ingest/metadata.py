"""Document metadata read from files: published dates and titles."""

from __future__ import annotations

import re
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
