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


def header_above(lines: list[str], index: int) -> str | None:
    """The header row of the table that line `index` is a row of, when it lies above that
    line: the row above the table's rule, or else the table's first row when it has no
    figures. None when the line is not a table row or its table has no header."""
    cells = table_cells(lines[index]) if index < len(lines) else None
    if cells is None or TABLE_RULE.match(lines[index]):
        return None
    row = index - 1
    while row >= 0 and (found := table_cells(lines[row])) is not None:
        if TABLE_RULE.match(lines[row]):
            return lines[row - 1].strip() if row and table_cells(lines[row - 1]) else None
        if len(found) != len(cells):
            break
        row -= 1
    first = lines[row + 1]
    return first.strip() if row + 1 < index and not any(c.isdigit() for c in first) else None


def record_fields(text: str) -> list[tuple[str, str]] | None:
    """'date: 2026-10-15; model: m-3' -> [('date', '2026-10-15'), ('model', 'm-3')]; None for
    text that is not a record row."""
    fields = [f.split(":", 1) for f in " ".join(text.split()).split("; ")]
    if not all(len(f) == 2 for f in fields):
        return None
    return [(key.strip(), value.strip()) for key, value in fields]
