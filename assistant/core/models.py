"""What the service returns: cited answers and indexed documents (shared by CLI and API)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from assistant.core.doc_types import doc_type_for
from assistant.core.signals import Signal


class Citation(BaseModel):
    n: int = Field(description="The number used as [n] in the answer.")
    source: str = Field(description="File path relative to the inbox.")
    title: str
    doc_type: str
    published: str = Field(description="ISO date of the document.")
    locator: str = Field(description="Where in the file: 'page 2', 'row 7', 'lines 3-9'.")
    quote: str = Field(description="The cited text.")
    score: float = Field(description="How well the quote matches the question (0-1).")


class FactTable(BaseModel):
    """A compact table of the records behind an answer (shown by the chat)."""

    columns: list[str]
    rows: list[list[str]]


class EvalPoint(BaseModel):
    """One eval result, for charting a model's score and latency over versions and dates."""

    model: str
    vendor: str | None
    workflow: str
    metric: str
    date: str
    version: str | None
    score: float
    latency_p95_ms: float | None


class Answer(BaseModel):
    answer: str
    status: Literal["answered", "insufficient_evidence"]
    citations: list[Citation] = Field(default_factory=list)
    answered_by: str = Field(
        "extractive",
        description="'extractive' (quoted sentences), or the language-model provider and model.",
    )
    notice: str | None = Field(None, description="Why the answer is not what was configured.")
    # For the chat's table and chart; not part of the JSON answer.
    table: FactTable | None = Field(None, exclude=True)
    trend: list[EvalPoint] = Field(default_factory=list, exclude=True)
    timeline: list[Signal] = Field(default_factory=list, exclude=True)  # events it says
    # The vendors an answer from the records is about: passages that support it come from them.
    focus: list[str] = Field(default_factory=list, exclude=True)
    # The snapshots it names to roll back to, as (vendor, snapshot id): their vendor's
    # terms say how long they stay callable.
    rollback: list[tuple[str, str]] = Field(default_factory=list, exclude=True)
    # The models it names in service, as (vendor, model): a document retiring one is said.
    in_service: list[tuple[str, str]] = Field(default_factory=list, exclude=True)
    # What passages could add to an answer from the records, as a question to search them.
    beyond: str = Field("", exclude=True)
    # An answer from the records that nothing may follow ("no eval run in March": another
    # month's figures from the documents would not answer it).
    complete: bool = Field(False, exclude=True)


@dataclass(frozen=True)
class Token:
    """A piece of an answer as it is written; the final Answer is what counts."""

    text: str


@dataclass(frozen=True)
class Restart:
    """The text streamed so far is void (its provider failed); the answer starts again."""

    reason: str


class DocumentInfo(BaseModel):
    source: str
    title: str
    doc_type: str
    published: str
    vendors: list[str]
    chunks: int
    ingested_at: str | None
    status: Literal["indexed", "partial", "stale", "failed"] = Field(
        "indexed",
        description="partial: indexed, some rows skipped; stale: the file changed and failed, "
        "its previous version is indexed; failed: not indexed.",
    )
    reasons: list[str] = Field(default_factory=list, description="Why, when not 'indexed'.")

    @classmethod
    def failed(cls, source: str, reasons: list[str]) -> DocumentInfo:
        return cls(
            source=source,
            title=source.rsplit("/", 1)[-1],
            doc_type=doc_type_for(source),
            published="",
            vendors=[],
            chunks=0,
            ingested_at=None,
            status="failed",
            reasons=reasons,
        )


class FileOutcome(BaseModel):
    source: str = Field(description="Where the file was saved, relative to the inbox.")
    status: Literal[
        "added", "updated", "unchanged", "replaced", "failed", "skipped", "refused", "missing"
    ]
    reason: str | None = Field(
        None, description="Why it failed, was skipped, refused or replaced by another upload."
    )


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    store: dict[str, str | bool | None]
    embedding_model: dict[str, str | bool]
    documents: int
    chunks: int
    ingest_error: str | None = Field(
        None, description="Why the last ingestion could not write the index, until one does."
    )
