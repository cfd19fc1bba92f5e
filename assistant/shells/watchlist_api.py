"""The watchlist under /api/watchlist: follow a question (or the checkpoint briefing), list
what is followed with its last change, read one's history, stop following it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.core.errors import RequestError
from assistant.core.watchlist import Followed, FollowedHistory
from assistant.shells.http import Intel, StrictJSONRoute, require_api_key


class FollowRequest(BaseModel):
    question: str | None = Field(
        None, min_length=1, max_length=100_000, description="The question to follow."
    )
    vendor: str | None = Field(None, description="Only evidence about this vendor (or alias).")
    checkpoints: bool = Field(
        False, description="Follow the 90-day checkpoint briefing (of `vendor`, or all) instead."
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": "What is our fallback for contract clause extraction?"},
                {"checkpoints": True, "vendor": "Alibaba Cloud"},
            ]
        },
    )

    @model_validator(mode="after")
    def _one_thing_followed(self) -> FollowRequest:
        if (self.question is None) == (not self.checkpoints):
            raise ValueError("give either a question or checkpoints: true, not both")
        return self


router = APIRouter(
    prefix="/api/watchlist",
    dependencies=[Depends(require_api_key)],
    route_class=StrictJSONRoute,
    tags=["watchlist"],
)
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No followed question has this id"}
}


@router.post(
    "",
    status_code=201,
    response_model=Followed,
    summary="Follow a question: its answer is re-checked after every ingestion",
)
async def follow(body: FollowRequest, intel: Intel) -> Followed:
    watchlist = intel.watchlist
    if body.checkpoints:
        return await run_in_threadpool(watchlist.follow_checkpoints, body.vendor)
    question = (body.question or "").strip()
    if not question:
        raise RequestError("The question is blank: send the question to follow.")
    return await run_in_threadpool(watchlist.follow, question, body.vendor)


@router.get("", response_model=list[Followed], summary="Followed questions and their last change")
async def followed(intel: Intel) -> list[Followed]:
    return await run_in_threadpool(intel.watchlist.followed)


@router.get(
    "/{followed_id}",
    response_model=FollowedHistory,
    summary="A followed question with every change of its answer, newest first",
    responses=NOT_FOUND,
)
async def history(followed_id: int, intel: Intel) -> FollowedHistory:
    return await run_in_threadpool(intel.watchlist.history, followed_id)


@router.delete(
    "/{followed_id}", status_code=204, summary="Stop following a question", responses=NOT_FOUND
)
async def unfollow(followed_id: int, intel: Intel) -> Response:
    await run_in_threadpool(intel.watchlist.unfollow, followed_id)
    return Response(status_code=204)
