"""What a citation calls a place in a file: 'page 2', 'row 7', 'lines 3-9', 'paragraph 4'."""

from __future__ import annotations

from typing import Any


def span_label(unit: str, first: int, last: int) -> str:
    """'line 4', 'lines 4-9', 'paragraph 2'."""
    return f"{unit} {first}" if first == last else f"{unit}s {first}-{last}"


def chunk_location(kind: str, number: int, text: str, start: int, end: int) -> dict[str, Any]:
    """Citation fields of text[start:end] in a section: its locator ('page 2', 'row 7',
    'lines 3-9') and, where lines or paragraphs are counted, the unit and the first one, so a
    quote inside the chunk can be located more precisely."""
    if kind == "page":
        return {"locator": f"page {number}"}
    if kind in ("row", "line"):
        return {"locator": f"{kind} {number}"}
    unit = kind.rstrip("s")  # "lines" -> "line", "paragraphs" -> "paragraph"
    first = number + text.count("\n", 0, start)
    last = number + text.count("\n", 0, max(start, end - 1))
    return {"locator": span_label(unit, first, last), "unit": unit, "first": first}
