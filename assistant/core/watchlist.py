"""Followed questions and the changes of their answers (shared by the CLI, API and chat)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from assistant.core.models import Answer

ChangeKind = Literal["status", "figure", "citation", "text"]
CHANGE_KINDS: tuple[ChangeKind, ...] = ("status", "figure", "citation", "text")
CHECKPOINTS = "checkpoints"  # the kind of a followed briefing


class Cause(BaseModel):
    """A document whose addition, change or deletion changed an answer."""

    source: str = Field(description="File path relative to the inbox.")
    change: Literal["added", "changed", "deleted"]
    locators: list[str] = Field(
        default_factory=list, description="Where in the file the answer cites (or cited) it."
    )


class Change(BaseModel):
    id: int
    followed_id: int
    at: str = Field(description="When the change was found (ISO 8601, UTC).")
    kinds: list[ChangeKind] = Field(
        description="status: answered <-> no evidence (or a checkpoint's status); figure: a "
        "figure or date; citation: a cited source added, removed or replaced; text: the "
        "answer's wording changed materially."
    )
    summary: str = Field(description="One paragraph saying what changed and which document.")
    details: list[str] = Field(
        default_factory=list, description="Checkpoint status changes, one line each."
    )
    causes: list[Cause]
    before: Answer
    after: Answer


class Followed(BaseModel):
    """A standing question: its answer is re-checked whenever its evidence may have changed."""

    id: int
    kind: Literal["question", "checkpoints"] = "question"
    question: str = Field(description="The question, or the briefing followed.")
    vendor: str | None = None
    followed_at: str
    checked_at: str = Field(description="When the answer was last re-checked.")
    answer: Answer = Field(description="The answer as it stands now.")
    statuses: dict[str, str] = Field(
        default_factory=dict, description="A followed briefing: each checkpoint's status."
    )
    last_change: Change | None = None


class FollowedHistory(BaseModel):
    followed: Followed
    changes: list[Change] = Field(description="Every change, newest first.")
