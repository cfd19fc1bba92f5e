"""Split documents into chunks that fit the embedding model and know where they came from."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.node_parser.text.utils import split_by_sentence_tokenizer
from llama_index.core.schema import (
    BaseNode,
    MetadataMode,
    NodeRelationship,
    RelatedNodeInfo,
    TextNode,
    TransformComponent,
)
from pydantic import PrivateAttr

from assistant.core.locators import LineBreaks, chunk_location
from assistant.core.tables import table_headers
from ingest.documents import section_spans

# Metadata that helps the embedding find a chunk (the rest is bookkeeping and citation data).
EMBEDDED_KEYS = ("title", "doc_type", "vendors", "table_header")
CITATION_KEYS = ("source", "title", "doc_type", "published", "period", "vendors", "locator")
TABLE_ROW = re.compile(r"^[ \t]*\|.*(?:\n|$)", re.M)
# Where a sentence too long for one chunk is cut: a table row whole, else at a line end or
# after punctuation and a space (a CJK full stop needs none), never inside a figure
# ("$14.2bn", "version 2.0").
PIECES = r"(?s)[^\n]*\|[^\n]*(?:\n|$)|.+?(?:\n|[,.;!?](?=\s)|[\u3002\uff1f\uff01]|$)"
SENTENCE_BLOCK = 20_000  # characters the sentence tokenizer reads at once
# NLTK bounds each match of its sentence tokenizer's own (fixed) patterns by wall-clock time,
# 5 s by default. The matching releases the GIL at each step and waits to take it back, so
# another busy thread (questions answered while a file is ingested) slows a block of
# SENTENCE_BLOCK characters from milliseconds to seconds and a legitimate file failed at 5 s.
# Blocks are bounded, so a longer limit still ends any match.
MATCH_TIMEOUT = 60.0
CHUNK_NAMESPACE = uuid.UUID("6f1c2b1e-6a57-4b8e-9a43-0f9e3c1d7a10")


def chunk_id(doc_id: str, index: int) -> str:
    """Stable chunk ids, so re-ingesting a document overwrites its chunks instead of duplicating."""
    return str(uuid.uuid5(CHUNK_NAMESPACE, f"{doc_id}\x00{index}"))


def carried_header(headers: list[str | None], line: int) -> dict[str, str]:
    """For a chunk that starts inside a table (on `line` of its section, whose lines' table
    `headers` are given), the table's header row, which lies in an earlier chunk: without it
    the chunk's rows are figures without names."""
    header = headers[line] if line < len(headers) else None
    return {"table_header": header} if header else {}


def sentences_keeping_rows(text: str) -> list[str]:
    """The text's sentences for the splitter, each table row one of them: a chunk never
    ends inside a row, which would cut its figures from their names."""
    out: list[str] = []
    cursor = 0
    for row in TABLE_ROW.finditer(text):
        if row.start() > cursor:
            out.extend(sentences_of(text[cursor : row.start()]))
        out.append(row.group())
        cursor = row.end()
    if cursor < len(text):
        out.extend(sentences_of(text[cursor:]))
    return out


def sentences_of(text: str) -> list[str]:
    """Sentences of prose, the tokenizer given a block of at most SENTENCE_BLOCK characters
    at a time (cut at a paragraph, a line or a space): its time grows with what it is given,
    and a large file given whole would run into its time guard."""
    # Imported here: NLTK takes over a second to import, and most commands split nothing.
    import nltk.redos

    nltk.redos.DEFAULT_TIMEOUT = MATCH_TIMEOUT
    sentences = split_by_sentence_tokenizer()
    out: list[str] = []
    start = 0
    while start < len(text):
        end = len(text)
        if end - start > SENTENCE_BLOCK:
            window = text[start : start + SENTENCE_BLOCK]
            cut = next((c for sep in ("\n\n", "\n", " ") if (c := window.rfind(sep)) > 0), -1)
            end = start + (cut + 1 if cut > 0 else SENTENCE_BLOCK)
        out.extend(sentences(text[start:end]))
        start = end
    return out


class LocatedSplitter(TransformComponent):
    """Chunks each section of a document with a sentence splitter and records its locator."""

    chunk_size: int = 180
    chunk_overlap: int = 30
    _prose: SentenceSplitter = PrivateAttr()
    _lines: SentenceSplitter = PrivateAttr()

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        cuts: dict[str, Any] = {
            "chunking_tokenizer_fn": sentences_keeping_rows,
            "secondary_chunking_regex": PIECES,
        }
        self._prose = SentenceSplitter(
            chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap, **cuts
        )
        # Every line is a "paragraph", so a line is only ever split when it alone is too long.
        self._lines = SentenceSplitter(
            chunk_size=self.chunk_size, chunk_overlap=0, paragraph_separator="\n", **cuts
        )

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> list[BaseNode]:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        chunks: list[BaseNode] = []
        for doc in nodes:
            chunks.extend(self._split_document(doc, stamp))
        return chunks

    def _split_document(self, doc: BaseNode, ingested_at: str) -> list[TextNode]:
        text = doc.get_content(metadata_mode=MetadataMode.NONE)
        base = {key: doc.metadata[key] for key in CITATION_KEYS if key in doc.metadata}
        base["ingested_at"] = ingested_at
        chunks: list[TextNode] = []
        source = doc.as_related_node_info()  # hashes the whole document: once, not per chunk
        for span in section_spans(doc):
            section = text[span.start : span.end]
            metadata = {**base, "vendors": span.vendors}
            header = "\n".join(f"{k}: {metadata[k]}" for k in EMBEDDED_KEYS if metadata.get(k))
            cursor = 0
            headers = table_headers(section.split("\n"))  # once per section, in one pass
            breaks = LineBreaks(section)
            splitter = self._lines if span.by_line else self._prose
            for piece in splitter.split_text_metadata_aware(section, header):
                found = section.find(piece, cursor)
                if found < 0:
                    found = section.find(piece[:40], cursor)
                begin = found if found >= 0 else cursor
                stop = begin + len(piece)
                cursor = begin + 1
                location = chunk_location(span.kind, span.number, breaks, begin, stop)
                table = carried_header(headers, breaks.before(begin + 1))
                extra = {**metadata, **location, **table}
                chunks.append(self._make_chunk(doc.node_id, source, len(chunks), piece, extra))
        return chunks

    @staticmethod
    def _make_chunk(
        doc_id: str, source: RelatedNodeInfo, index: int, text: str, metadata: dict[str, Any]
    ) -> TextNode:
        chunk = TextNode(
            id_=chunk_id(doc_id, index),
            text=text,
            metadata={**metadata, "chunk": index},
            excluded_embed_metadata_keys=[
                k for k in [*metadata, "chunk"] if k not in EMBEDDED_KEYS
            ],
            excluded_llm_metadata_keys=["ingested_at", "chunk", "vendors", "unit", "first"],
        )
        chunk.relationships[NodeRelationship.SOURCE] = source
        return chunk
