"""OpenAI-compatible chat completions under /v1, so any OpenAI client (the SDK, Open WebUI,
LibreChat, a company bot) gets the same cited answers as /api/ask.

The model `vendorintel` answers over every document; `vendorintel-<vendor>` sets the vendor
filter. The content is the cited answer with a "Sources" list; the whole Answer rides along
in the response's `vendorintel` field, which OpenAI clients ignore.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator, Mapping
from itertools import chain
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from assistant.app import VendorIntel
from assistant.core.errors import SERVICE_ERRORS, VendorIntelError
from assistant.core.models import Answer, Restart, Token
from assistant.shells.http import Intel, StrictJSONRoute, require_api_key
from assistant.shells.plain import answer_with_sources

logger = logging.getLogger(__name__)

MODEL = "vendorintel"
CREATED = 1_767_225_600  # 2026-01-01: model ids carry no date of their own
# Earlier user messages a follow-up is read with: each may cost a language-model rewrite.
FOLLOW_UP_TURNS = 3
CHANGED_BY_CHECKS = "\n\n(The checks changed the answer written above; the checked answer is:)\n\n"


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorBody(BaseModel):
    """OpenAI's error shape, which its clients turn into their own exceptions."""

    error: ErrorDetail


class ChatMessage(BaseModel):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: Annotated[str, Field(max_length=100_000)] | list[dict[str, Any]] | None = Field(
        None, description="Text, or content parts of which the `text` ones are read."
    )

    model_config = {"extra": "allow"}

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        parts = self.content or []
        return "\n".join(str(p["text"]) for p in parts if p.get("type") == "text" and "text" in p)


class ChatRequest(BaseModel):
    model: str = Field(MODEL, description="vendorintel, or vendorintel-<vendor> (GET /v1/models).")
    messages: list[ChatMessage] = Field(
        min_length=1,
        max_length=1_000,
        description="The last user message is the question; earlier user messages are the "
        "conversation a follow-up ('and for Anthropic?') is read with.",
    )
    stream: bool = False
    temperature: float | None = Field(None, description="Ignored: answers are checked quotes.")
    user: str | None = Field(None, max_length=1_000, description="Ignored.")

    # Clients send many more fields (top_p, max_tokens, stream_options, ...): none changes
    # a cited answer, so they are accepted and ignored.
    model_config = {
        "extra": "ignore",
        "json_schema_extra": {
            "examples": [
                {
                    "model": MODEL,
                    "messages": [
                        {"role": "user", "content": "What is our fallback for contract review?"}
                    ],
                }
            ]
        },
    }


def error_response(
    status: int,
    message: str,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    kind = "server_error" if status >= 500 else "invalid_request_error"
    body = ErrorBody(error=ErrorDetail(message=message, type=kind, code=code))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def validation_message(exc: RequestValidationError) -> str:
    problems = [
        f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body') or 'body'}: {e.get('msg')}"
        for e in exc.errors()
    ]
    return "Invalid request: " + "; ".join(problems[:5])


class OpenAIRoute(StrictJSONRoute):
    """Errors in OpenAI's shape: the key check, bad bodies (400, not FastAPI's 422) and the
    service's own errors (503 when the store is down)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def shaped(request: Request) -> Response:
            try:
                return await handle(request)
            except HTTPException as exc:
                code = "invalid_api_key" if exc.status_code == 401 else None
                return error_response(exc.status_code, str(exc.detail), code, exc.headers)
            except RequestValidationError as exc:
                return error_response(400, validation_message(exc))
            except VendorIntelError as exc:
                retry = getattr(exc, "retry_after", None)
                headers = {"Retry-After": str(retry)} if retry else None
                return error_response(exc.http_status, str(exc), None, headers)

        return shaped


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in [
        (400, "No user message, or a malformed request"),
        (401, "Missing or wrong API key"),
        (404, "No such model"),
        (503, "The store or the embedding model is unavailable"),
    ]
}

router = APIRouter(prefix="/v1", dependencies=[Depends(require_api_key)], route_class=OpenAIRoute)


def slug(vendor: str) -> str:
    """'Alibaba Cloud' -> 'alibaba-cloud'."""
    return re.sub(r"[^a-z0-9]+", "-", vendor.lower()).strip("-")


def model_ids(intel: VendorIntel) -> list[str]:
    return [MODEL, *(f"{MODEL}-{slug(v)}" for v in intel.vendors())]


def vendor_of(intel: VendorIntel, model: str) -> str | None:
    """The vendor filter a model id sets; an unknown id is a 404 in OpenAI's words."""
    if model == MODEL:
        return None
    named = model.removeprefix(f"{MODEL}-")
    vendors = intel.vendors()
    for vendor in vendors:
        if slug(vendor) == named:
            return vendor
    alias = intel.catalog.canonical(named.replace("-", " "))  # vendorintel-qwen, say
    if named != model and alias in vendors:
        return alias
    raise HTTPException(
        status_code=404,
        detail=f"The model '{model}' does not exist: GET /v1/models lists "
        f"{', '.join(model_ids(intel))}.",
    )


def model_card(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": CREATED, "owned_by": "vendorintel"}


@router.get(
    "/models", summary="The models: vendorintel and one per registry vendor", responses=ERRORS
)
async def models(intel: Intel) -> dict[str, Any]:
    ids = await run_in_threadpool(model_ids, intel)
    return {"object": "list", "data": [model_card(m) for m in ids]}


@router.get("/models/{model}", summary="One model", responses=ERRORS)
async def model(intel: Intel, model: str) -> dict[str, Any]:
    await run_in_threadpool(vendor_of, intel, model)
    return model_card(model)


def question_of(intel: VendorIntel, messages: list[ChatMessage]) -> str:
    """The last user message, made standalone with the few user messages before it."""
    asked = [m.text().strip() for m in messages if m.role == "user"]
    asked = [text for text in asked if text][-FOLLOW_UP_TURNS - 1 :]
    if not asked:
        raise HTTPException(
            status_code=400,
            detail="No user message with text: the last message with role 'user' is the question.",
        )
    standalone: str | None = None
    for text in asked:
        standalone = intel.standalone_question(standalone, text)
    assert standalone is not None
    return standalone


@router.post(
    "/chat/completions",
    summary="A cited answer as an OpenAI chat completion (streamed with stream: true)",
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "A completion or chunks"},
        **ERRORS,
    },
)
async def chat_completions(body: ChatRequest, intel: Intel) -> Response:
    vendor = await run_in_threadpool(vendor_of, intel, body.model)
    question = await run_in_threadpool(question_of, intel, body.messages)
    reply = Reply(body.model)
    if not body.stream:
        answer = await run_in_threadpool(intel.ask, question, vendor)
        return JSONResponse(reply.completion(answer))
    events = intel.ask_stream(question, vendor)
    # The first event comes after retrieval: a store that is down is still a 503 here.
    first = await run_in_threadpool(next, events, None)
    return StreamingResponse(
        reply.chunks(first, events, lambda exc: internal_error(intel, question, exc)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache"},
    )


def internal_error(intel: VendorIntel, question: str, exc: Exception) -> str:
    if isinstance(exc, SERVICE_ERRORS):
        return str(exc)
    logger.error("answering %r failed", question, exc_info=exc)
    return intel.message("internal_error")


class Reply:
    """One completion's id, time and model, as a whole or as chunks."""

    def __init__(self, model: str) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.model = model

    def head(self, kind: str) -> dict[str, Any]:
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model}

    def completion(self, answer: Answer) -> dict[str, Any]:
        message = {"role": "assistant", "content": answer_with_sources(answer)}
        choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
        return {**self.head("chat.completion"), "choices": [choice], "vendorintel": dumped(answer)}

    def chunk(self, delta: dict[str, str], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return sse({**self.head("chat.completion.chunk"), "choices": [choice]})

    def chunks(
        self,
        first: Token | Restart | Answer | None,
        events: Iterator[Token | Restart | Answer],
        failed: Callable[[Exception], str],
    ) -> Iterator[str]:
        """Role, text as it is written, the rest of the checked answer, then [DONE]."""
        yield self.chunk({"role": "assistant", "content": ""})
        draft = ""  # text sent since the answer was last started
        try:
            for event in chain([first] if first is not None else [], events):
                if isinstance(event, Token):
                    draft += event.text
                    yield self.chunk({"content": event.text})
                elif isinstance(event, Restart):
                    draft = ""
                    void = f"\n\n(What is above is void: {event.reason}. The answer follows.)\n\n"
                    yield self.chunk({"content": void})
                else:
                    yield from self.finish(draft, event)
        except Exception as exc:  # the stream has begun: the error goes in OpenAI's shape
            yield sse(ErrorBody(error=ErrorDetail(message=failed(exc), type="server_error")))
        yield "data: [DONE]\n\n"

    def finish(self, draft: str, answer: Answer) -> Iterator[str]:
        """The rest of the checked answer with its sources, then the last chunk, with the
        Answer; when the checks changed what was streamed, it says so and gives it whole."""
        full = answer_with_sources(answer)
        rest = remainder(full, draft)
        if rest is None:
            rest = CHANGED_BY_CHECKS + full
        if rest:
            yield self.chunk({"content": rest})
        choice = {"index": 0, "delta": {}, "finish_reason": "stop", "logprobs": None}
        last = {**self.head("chat.completion.chunk"), "choices": [choice]}
        yield sse({**last, "vendorintel": dumped(answer)})


def remainder(full: str, draft: str) -> str | None:
    """What of `full` follows the words streamed so far, or None when they are not its first
    words (spacing aside: a model's reply and its checked form may space words differently)."""
    shown = draft.split()
    if not shown:
        return full
    words = list(re.finditer(r"\S+", full))
    if [w.group() for w in words[: len(shown)]] != shown:
        return None
    return full[words[len(shown) - 1].end() :]


def dumped(answer: Answer) -> dict[str, Any]:
    return answer.model_dump(mode="json")


def sse(payload: dict[str, Any] | BaseModel) -> str:
    data = payload.model_dump() if isinstance(payload, BaseModel) else payload
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"
