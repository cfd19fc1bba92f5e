"""The HTTP service on one port: the JSON API under /api, OpenAI-compatible chat completions
under /v1, the MCP tools at /mcp and the Chainlit chat at /."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Depends,
    FastAPI,
    File,
    Form,
    HTTPException,
    Query,
    Request,
    UploadFile,
)
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field

from assistant.app import VendorIntel
from assistant.core.errors import SERVICE_ERRORS, StoreUnavailableError, VendorIntelError
from assistant.core.models import Answer, DocumentInfo, FileOutcome, Health, Restart, Token
from assistant.core.report import IngestReport
from assistant.core.settings import PROJECT_ROOT, Settings
from assistant.shells.guards import Access, ChatPage, inline_script_hashes, protect
from assistant.shells.http import Intel, StrictJSONRoute, require_api_key
from assistant.shells.mcp_server import mount_mcp
from assistant.shells.openai_compat import router as openai_router
from assistant.shells.signals_api import router as signals_router
from assistant.shells.watchlist_api import router as watchlist_router

logger = logging.getLogger(__name__)


class AskRequest(BaseModel):
    # Longer than VENDORINTEL_MAX_QUESTION_CHARS is shortened with a notice; this bound only
    # keeps a request's size sane.
    question: str = Field(min_length=1, max_length=100_000)
    vendor: str | None = Field(None, description="Only evidence about this vendor (name or alias).")
    top_k: int | None = Field(None, ge=1, le=100, description="Passages to retrieve.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"question": "What is our fallback for contract clause extraction?"},
                {
                    "question": "How much deprecation notice do we get?",
                    "vendor": "Qwen",
                    "top_k": 8,
                },
            ]
        }
    }


# The routes that write the index answer 507 when the data directory cannot be written.
NO_ROOM: dict[int | str, dict[str, Any]] = {
    507: {"description": "The data directory is full or read-only; nothing was lost"}
}


router = APIRouter(
    prefix="/api", dependencies=[Depends(require_api_key)], route_class=StrictJSONRoute
)


@router.post("/ask", response_model=Answer, summary="Answer a question with citations")
async def ask(body: AskRequest, intel: Intel) -> Answer:
    return await run_in_threadpool(intel.ask, body.question, body.vendor, body.top_k)


@router.post(
    "/ask/stream",
    response_class=EventSourceResponse,
    summary="Answer a question, streamed as server-sent events",
    description="Events: `token` ({text}) as the answer is written; `restart` ({reason}) "
    "when a language-model provider failed mid-answer, so the tokens so far are void; "
    "`answer` (the Answer, as from /api/ask) last, which is what counts: the checked "
    "answer with its citations; `error` ({detail}) if it could not be answered.",
)
def ask_stream(body: AskRequest, intel: Intel) -> Iterator[ServerSentEvent]:
    # A plain generator: FastAPI iterates it in a worker thread, as answering blocks.
    try:
        for event in intel.ask_stream(body.question, body.vendor, body.top_k):
            yield answer_event(event)
    except SERVICE_ERRORS as exc:
        yield ServerSentEvent(event="error", data={"detail": str(exc)})
    except Exception:
        logger.exception("answering %r failed", body.question)
        detail = intel.message("internal_error")
        yield ServerSentEvent(event="error", data={"detail": detail})


@router.get("/documents", response_model=list[DocumentInfo], summary="List indexed documents")
async def documents(intel: Intel) -> list[DocumentInfo]:
    return await run_in_threadpool(intel.documents)


@router.post(
    "/documents",
    response_model=list[FileOutcome],
    summary="Upload files into the inbox and ingest them",
    description="Each file is saved into the inbox (replacing a file of the same name) and "
    "ingested; the response gives each file's outcome and, if it failed, why.",
    responses=NO_ROOM,
)
async def upload(
    intel: Intel,
    files: Annotated[list[UploadFile], File(description="One or more documents.")],
    folder: Annotated[
        str | None, Form(description="Inbox folder, e.g. contracts (sets the doc type).")
    ] = None,
) -> list[FileOutcome]:
    uploads = [(f.filename or "upload", f.file) for f in files]
    return await run_in_threadpool(intel.add_files, uploads, folder)


@router.delete(
    "/documents/{source:path}",
    summary="Delete a document from the inbox and the index",
    responses={404: {"description": "No such document"}, **NO_ROOM},
)
async def delete(intel: Intel, source: str) -> dict[str, str]:
    try:
        removed = await run_in_threadpool(intel.remove_document, source)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    if not removed:
        raise HTTPException(
            status_code=404,
            detail=f"No indexed document {source!r}: GET /api/documents lists their sources "
            "(a file that failed to index is removed from the inbox folder itself).",
        )
    return {"removed": source}


@router.post(
    "/ingest",
    response_model=IngestReport,
    summary="Sync the index with the inbox",
    responses=NO_ROOM,
)
async def ingest(intel: Intel) -> IngestReport:
    return await run_in_threadpool(intel.ingest, None, False)


@router.get(
    "/checkpoints",
    summary="The 90-day checkpoint briefing",
    description="Runs the executive checklist for the vendors asked for (default: all in the "
    "registry); format json (the briefing object), md or html.",
    response_class=PlainTextResponse,
)
async def checkpoints(
    intel: Intel,
    vendor: Annotated[list[str] | None, Query()] = None,
    format: Annotated[str, Query(pattern="^(json|md|html)$")] = "json",
) -> Response:
    text = await run_in_threadpool(intel.checkpoints, vendor or None, format)
    media = {"json": "application/json", "md": "text/markdown", "html": "text/html"}[format]
    return Response(text, media_type=f"{media}; charset=utf-8")


@router.get("/healthz", response_model=Health, summary="Store, model and index status")
async def healthz(intel: Intel) -> JSONResponse:
    health = await run_in_threadpool(intel.health)
    code = 200 if health.status == "ok" else 503
    return JSONResponse(health.model_dump(), status_code=code)


def answer_event(event: Token | Restart | Answer) -> ServerSentEvent:
    if isinstance(event, Token):
        return ServerSentEvent(event="token", data={"text": event.text})
    if isinstance(event, Restart):
        return ServerSentEvent(event="restart", data={"reason": event.reason})
    return ServerSentEvent(event="answer", data=event.model_dump())


def report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("the inbox watcher stopped", exc_info=task.exception())


def create_app(
    settings: Settings,
    *,
    with_chat: bool = True,
    intel: VendorIntel | None = None,
    host: str | None = None,
) -> FastAPI:
    """The application; tests build their own with their settings (and no chat if not needed).

    With `host`, the address `serve` listens on, it answers only to the Host names of this
    machine and the configured ones (in-process test clients leave it out).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        running = app.state.intel = intel or VendorIntel(settings)
        running.events.bind(asyncio.get_running_loop())  # changes found in threads reach it
        await run_in_threadpool(running.prepare_to_serve)
        stop = asyncio.Event()
        watching = None
        if settings.ingestion.watch_inbox:
            watching = asyncio.create_task(running.watch_inbox(stop))
            watching.add_done_callback(report_crash)
        async with mcp.session_manager.run():
            yield
        stop.set()
        running.interrupt()  # an ingestion in progress ends at its next step, not its last
        if watching is not None:
            await asyncio.wait([watching], timeout=30)
        app.state.intel = None
        if intel is None:
            running.close()
        if with_chat:
            shutil.rmtree(chat_files(settings), ignore_errors=True)

    app = FastAPI(
        title="vendorintel",
        summary="Questions about AI vendors, answered with cited evidence.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.intel = None
    app.include_router(router)
    app.include_router(watchlist_router)
    app.include_router(signals_router)
    app.include_router(openai_router)
    mcp = mount_mcp(app, settings, lambda: serving(app))

    @app.exception_handler(VendorIntelError)
    async def reported(_: Request, exc: Exception) -> JSONResponse:
        status = exc.http_status if isinstance(exc, VendorIntelError) else 500
        retry = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry)} if retry else None
        return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)

    chat = mount_chat(app, settings, lambda: serving(app)) if with_chat else None
    protect(app, Access.of(settings.serving, host), chat)
    return app


def serving(app: FastAPI) -> VendorIntel:
    """The service of a started app (the chat and the MCP tools ask for it on each call)."""
    intel: VendorIntel | None = app.state.intel
    if intel is None:
        raise StoreUnavailableError(
            "The service is not running; start it with `vendorintel serve`."
        )
    return intel


def mount_chat(app: FastAPI, settings: Settings, intel: Callable[[], VendorIntel]) -> ChatPage:
    """Build the Chainlit chat over this app's service and mount it at /."""
    # Chainlit reads its config (.chainlit/config.toml) and keeps uploads under this root, which
    # it reads once, when it is first imported: set it before.
    os.environ.setdefault("CHAINLIT_APP_ROOT", str(PROJECT_ROOT))
    if settings.serving.chat_users:  # Chainlit signs its login sessions with this secret
        os.environ["CHAINLIT_AUTH_SECRET"] = chat_session_secret(settings)
    import chainlit.config
    import chainlit.server
    from chainlit.config import config
    from chainlit.server import SOCKET_IO_PATH, get_html_template
    from chainlit.utils import mount_chainlit

    # Files dropped in the chat are kept per session under the data dir, not the working
    # directory; what a server that stopped left there is cleared.
    files = chat_files(settings)
    shutil.rmtree(files, ignore_errors=True)
    files.mkdir(parents=True, exist_ok=True)
    chainlit.config.FILES_DIRECTORY = chainlit.server.FILES_DIRECTORY = files

    from assistant.shells.chat import CHAT_MODULE, build_chat

    build_chat(intel, settings)
    mount_chainlit(app=app, target=str(CHAT_MODULE), path="/")
    # Chainlit's own CORS middleware holds this very list (every origin, by default). The
    # app's grants the configured origins on every path, so Chainlit's must grant none.
    config.project.allow_origins.clear()
    # Mounted at /, the socket's path in the app is Chainlit's own; the page's inline scripts
    # do not depend on the root path it is given.
    return ChatPage(SOCKET_IO_PATH, inline_script_hashes(get_html_template("/")))


def chat_files(settings: Settings) -> Path:
    return settings.data_dir / "chat-files"


def chat_session_secret(settings: Settings) -> str:
    """A random secret kept in the data dir (readable by its owner only), so chat logins
    outlive a restart."""
    path = settings.data_dir / "chat-session-secret"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
