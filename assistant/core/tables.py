"""Tables in text: pipe tables ('| a | b |' rows under a '|---|' rule), how a row is read and
where its header is, shared by the chunker and the answerer; and a record row as ingestion
writes it ('column: value; column: value'), read back into its fields."""

from __future__ import annotations

import re

TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")


def table_cells(line: str) -> list[str] | None:
    """'| a | b |' or 'a | b' -> ['a', 'b']; None for a line that is not a table row."""
    if "|" not in line:
        return None
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    return cells if len(cells) >= 2 else None


def table_headers(lines: list[str]) -> list[str | None]:
    """For each line, the header row of the table it is a row of, when it lies above it: the
    row above the table's rule, or else the table's first row when it has no figures; None
    for other lines. One pass: a long table's chunks each need theirs."""
    headers: list[str | None] = []
    boundary, count = -1, None  # the line above the run of rows alike, their cell count
    for index, line in enumerate(lines):
        cells = table_cells(line)
        if cells is None or TABLE_RULE.match(line):
            headers.append(None)
            count = None
            continue
        if count != len(cells):
            boundary = index - 1
        count = len(cells)
        headers.append(header_at(lines, boundary, index))
    return headers


def header_at(lines: list[str], boundary: int, index: int) -> str | None:
    """The header of row `index`, whose run of rows alike starts below line `boundary`."""
    if boundary >= 0 and TABLE_RULE.match(lines[boundary]):
        above = boundary - 1
        return lines[above].strip() if above >= 0 and table_cells(lines[above]) else None
    first = lines[boundary + 1]
    return first.strip() if boundary + 1 < index and not any(c.isdigit() for c in first) else None


def record_fields(text: str) -> list[tuple[str, str]] | None:
    """'date: 2026-10-15; model: m-3' -> [('date', '2026-10-15'), ('model', 'm-3')]; None for
    text that is not a record row."""
    fields = [f.split(":", 1) for f in " ".join(text.split()).split("; ")]
    if not all(len(f) == 2 for f in fields):
        return None
    return [(key.strip(), value.strip()) for key, value in fields]
