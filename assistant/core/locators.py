"""What a citation calls a place in a file: 'page 2', 'row 7', 'lines 3-9', 'paragraph 4'."""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any


def span_label(unit: str, first: int, last: int) -> str:
    """'line 4', 'lines 4-9', 'paragraph 2'."""
    return f"{unit} {first}" if first == last else f"{unit}s {first}-{last}"


class LineBreaks:
    """Where a text's line breaks are, so the line of any offset is found without counting
    from the start each time (a long file has thousands of chunks)."""

    def __init__(self, text: str) -> None:
        self.offsets = [match.start() for match in re.finditer("\n", text)]

    def before(self, offset: int) -> int:
        """How many line breaks come before `offset`: text.count("\\n", 0, offset)."""
        return bisect_left(self.offsets, offset)


def chunk_location(
    kind: str, number: int, breaks: LineBreaks, start: int, end: int
) -> dict[str, Any]:
    """Citation fields of text[start:end] in a section (whose line breaks are given): its
    locator ('page 2', 'row 7', 'lines 3-9') and, where lines or paragraphs are counted, the
    unit and the first one, so a quote inside the chunk can be located more precisely."""
    if kind == "page":
        return {"locator": f"page {number}"}
    if kind in ("row", "line"):
        return {"locator": f"{kind} {number}"}
    unit = kind.rstrip("s")  # "lines" -> "line", "paragraphs" -> "paragraph"
    first = number + breaks.before(start)
    last = number + breaks.before(max(start, end - 1))
    return {"locator": span_label(unit, first, last), "unit": unit, "first": first}
