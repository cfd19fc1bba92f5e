"""Split retrieved passages into citable sentences, remembering the lines each one spans."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from assistant.core.tables import TABLE_RULE, table_cells

# A sentence ends at . ! or ? (maybe closed by a quote or bracket) before a capital or a quote.
# A bold lead-in ("**Service credit.** October has ...") ends a sentence of its own.
SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]”])|(?<=[.!?]\*\*))\s+(?=[A-Z\"“(*])")
INITIAL = re.compile(r"(?:^|[\s(])[A-Z]\.$")  # "K. Pölzl": an initial does not end a sentence
ABBREVIATIONS = ("Dr.", "Mr.", "Ms.", "Mrs.", "St.", "No.", "Inc.", "Co.", "Ltd.", "vs.", "approx.")
BLOCK_START = re.compile(r"^\s*(?:#+|[-*•]|\d+[.)]|\|)\s+")  # headings, list items, table rows
HEADING = re.compile(r"^\s*#+\s")
LONGEST_QUOTE = 600  # characters: a quotation mark left open longer than this is a stray one
WRAP_WIDTH = 60  # a line at least this long without a full stop probably wraps into the next


@dataclass(frozen=True)
class Span:
    """A sentence and the first and last line (0-based, within the passage) it stands on."""

    text: str
    first: int
    last: int
    heading: bool = False  # a section's heading: it names the section, it says nothing


def in_quotation(text: str) -> bool:
    """Whether the text ends inside a quotation it opened: '"A fallback ... is not a fallback.'"""
    return text.count('"') % 2 == 1 or text.count("“") > text.count("”")


def sentence_pieces(text: str) -> list[tuple[int, int]]:
    """Start and end offsets of the sentences of one block of text; a quotation of several
    sentences stays whole (a quote cut in two says half of what was said)."""
    cuts = [0]
    for match in SENTENCE_END.finditer(text):
        before = text[cuts[-1] : match.start()]
        quoted = in_quotation(before) and len(before) < LONGEST_QUOTE
        if not before.endswith(ABBREVIATIONS) and not INITIAL.search(before) and not quoted:
            cuts.extend([match.start(), match.end()])
    cuts.append(len(text))
    return [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]


def blocks_of(text: str, line_per_block: bool) -> list[list[tuple[int, str]]]:
    """Group lines into blocks (paragraphs); hard-wrapped lines rejoin their paragraph."""
    blocks: list[list[tuple[int, str]]] = []
    previous = ""
    for index, raw in enumerate(text.splitlines()):
        line = raw.strip()
        if not line:
            previous = ""
            continue
        wrapped = (
            not line_per_block
            and previous
            and not BLOCK_START.match(raw)
            and not previous.startswith("#")
            and not previous.endswith((".", "!", "?", ":", ";"))
            and (len(previous) >= WRAP_WIDTH or line[0].islower())
        )
        if wrapped:
            blocks[-1].append((index, line))
        else:
            blocks.append([(index, BLOCK_START.sub("", line).strip() or line)])
        previous = line
    return blocks


def row_sentence(header: list[str] | None, cells: list[str]) -> str:
    """A table row said with its column names: 'For model m-3, input $1.80, output $5.40.'
    A header of blank cells names nothing: its rows are said as they are."""
    if header and any(header) and len(header) == len(cells):
        names = [h[:1].lower() + h[1:] if h[1:2].islower() else h for h in header]
        rest = [f"{h} {c}" for h, c in zip(names[1:], cells[1:], strict=True) if c]
        return f"For {names[0]} {cells[0]}, " + ", ".join(rest) + "."
    if len(cells) == 2:
        return f"{cells[0]}: {cells[1]}."
    return ", ".join(c for c in cells if c) + "."


def said_tables(text: str, header_line: str | None = None) -> str:
    """The passage with each table row written as a sentence from its header (the passage's
    own, or `header_line` for a passage that starts inside a table); header and separator
    lines become blank, so each row is a block of its own."""
    out: list[str] = []
    header = table_cells(header_line) if header_line else None
    lines = text.splitlines()
    for index, line in enumerate(lines):
        cells = table_cells(line)
        ruled = index + 1 < len(lines) and bool(TABLE_RULE.match(lines[index + 1]))
        if cells is None:
            header = None
            out.append(line)
        elif TABLE_RULE.match(line):
            out.append("")
        elif ruled or (
            not any(ch.isdigit() for ch in line) and (header is None or len(cells) != len(header))
        ):
            header = cells  # the row above a rule, or a row without figures, is a header
            out.append("")
        else:
            out.append(row_sentence(header, cells))
    return "\n".join(out)


def split_passage(
    text: str, line_per_block: bool = False, table_header: str | None = None
) -> list[Span]:
    """Sentences of a passage with their line span; a heading or list item is its own block,
    and a table row is said as a sentence."""
    spans: list[Span] = []
    said = said_tables(text, table_header)
    lines = said.splitlines()
    for block in blocks_of(said, line_per_block):
        heading = bool(HEADING.match(lines[block[0][0]]))
        joined, starts = "", []
        for _, line in block:
            starts.append(len(joined) + (1 if joined else 0))
            joined = f"{joined} {line}" if joined else line
        for start, end in sentence_pieces(joined):
            sentence = joined[start:end].strip()
            if sentence:
                first = block[bisect_right(starts, start) - 1][0]
                last = block[bisect_right(starts, max(start, end - 1)) - 1][0]
                spans.append(Span(sentence, first, last, heading))
    return spans


def split_yaml_blocks(text: str) -> list[Span]:
    """A YAML passage as its list items and its comments (comments are often the prose)."""
    spans: list[Span] = []
    current: list[tuple[int, str]] = []

    def flush() -> None:
        if current:
            spans.append(Span(" ".join(line for _, line in current), current[0][0], current[-1][0]))
            current.clear()

    for index, raw in enumerate(text.splitlines()):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            flush()
            spans.append(Span(line.lstrip("#").strip(), index, index))
        else:
            if line.startswith("- "):
                flush()
            current.append((index, line))
    flush()
    return [span for span in spans if span.text]
