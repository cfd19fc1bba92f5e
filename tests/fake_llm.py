"""A local OpenAI-compatible chat-completions server for tests: it records every request and
answers from a script (plain or streamed), or fails the way real providers fail."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.conftest import free_port

SOURCE = re.compile(r'<source id="(\d+)" file="([^"]*)"[^>]*>\n(.*?)\n</source>', re.S)


@dataclass
class Reply:
    """One scripted reply: text (or a function of the request), or a failure."""

    content: str | Callable[[dict[str, Any]], str] = ""
    status: int = 200
    delay: float = 0.0
    break_after: int | None = None  # streamed: drop the connection after this many chunks


@dataclass
class Received:
    body: dict[str, Any]
    authorization: str

    @property
    def system(self) -> str:
        return next((m["content"] for m in self.body["messages"] if m["role"] == "system"), "")

    @property
    def user(self) -> str:
        return next(m["content"] for m in self.body["messages"] if m["role"] == "user")


@dataclass
class FakeLLM:
    name: str
    model: str = "test-model"
    port: int = field(default_factory=free_port)
    script: deque[Reply] = field(default_factory=deque)
    default: Reply = field(default_factory=lambda: Reply(status=500))
    received: list[Received] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def provider(self, **extra: Any) -> dict[str, Any]:
        """This server as a VENDORINTEL_LLM_PROVIDERS entry."""
        return {"name": self.name, "base_url": self.base_url, "model": self.model, **extra}

    def then(self, *replies: Reply) -> FakeLLM:
        self.script.extend(replies)
        return self

    def always(self, reply: Reply) -> FakeLLM:
        self.default = reply
        return self

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def completions(request: Request) -> Response:
            body = await request.json()
            self.received.append(Received(body, request.headers.get("authorization", "")))
            reply = self.script.popleft() if self.script else self.default
            if reply.delay:
                await asyncio.sleep(reply.delay)
            if reply.status != 200:
                error = {"message": f"scripted failure {reply.status}", "type": "server_error"}
                return JSONResponse({"error": error}, status_code=reply.status)
            text = reply.content(body) if callable(reply.content) else reply.content
            if body.get("stream"):
                return StreamingResponse(self.chunks(text, reply), media_type="text/event-stream")
            return JSONResponse(self.completion(text))

        return app

    def completion(self, text: str) -> dict[str, Any]:
        return {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    async def chunks(self, text: str, reply: Reply) -> AsyncIterator[bytes]:
        # Small pieces, so citation markers arrive split across chunks as they do for real.
        pieces = [text[i : i + 3] for i in range(0, len(text), 3)]
        for sent, piece in enumerate(pieces):
            if reply.break_after is not None and sent == reply.break_after:
                raise ConnectionResetError("scripted break mid-stream")
            yield self.chunk({"role": "assistant", "content": piece}, None)
            await asyncio.sleep(0)
        yield self.chunk({}, "stop")
        yield b"data: [DONE]\n\n"

    def chunk(self, delta: dict[str, str], finish: str | None) -> bytes:
        data = {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(data)}\n\n".encode()


class Running:
    """A FakeLLM served by uvicorn in a thread, on loopback."""

    def __init__(self, fake: FakeLLM) -> None:
        config = uvicorn.Config(fake.app(), host="127.0.0.1", port=fake.port, log_level="error")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Running:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake language-model server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def sources(body: dict[str, Any]) -> dict[int, tuple[str, str]]:
    """The numbered sources of a prompt: {n: (file, text)}."""
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    return {int(n): (file, text) for n, file, text in SOURCE.findall(user)}


def quoting(file: str, containing: str, *, extra: str = "") -> Callable[[dict[str, Any]], str]:
    """A model that answers with the sentence of `file` containing a phrase, cited by its
    number in this prompt (then `extra`, verbatim)."""

    def reply(body: dict[str, Any]) -> str:
        for n, (source, text) in sources(body).items():
            if source == file and containing in text:
                sentence = next(s for s in re.split(r"(?<=\.)\s+|\n+", text) if containing in s)
                return f"{sentence.rstrip('.')} [{n}].{extra}"
        raise AssertionError(f"no source {file} containing {containing!r} in the prompt")

    return reply
