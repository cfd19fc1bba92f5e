"""The Model Context Protocol server: the product's questions, records and briefings as tools
an agent can call (Claude Desktop, Cursor, Copilot), over stdio (`vendorintel mcp`) or over
streamable HTTP at /mcp on `serve`, behind the same API key as the API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Annotated, Any, Literal

import anyio
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field
from starlette.datastructures import Headers
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.app import VendorIntel
from assistant.core.models import Citation, DocumentInfo
from assistant.core.records import EvalResult, Workflow
from assistant.core.settings import Settings
from assistant.core.watchlist import Followed
from assistant.shells.http import MISSING_KEY, key_is_valid
from assistant.shells.plain import answer_with_sources, eval_sentence, workflow_sentence

BRIEFING_URI = "vendorintel://briefing/latest"
INSTRUCTIONS = (
    "vendorintel answers questions about the company's AI vendors from its indexed documents: "
    "workflow registry (primary and fallback models), eval results, contracts and SLAs, "
    "roadmaps, news. Every statement of an answer cites its source as [n]; keep the citations "
    "when you repeat it. Use `ask` for questions, `fallbacks` and `eval_trend` for the "
    "records themselves, `checkpoints` for the 90-day vendor checklist, `documents` for what "
    "is indexed, `follow` to be told when an answer changes and `watchlist` for what changed."
)

Vendor = Annotated[
    str | None,
    Field(description="A vendor name or alias, e.g. 'Anthropic' or 'Qwen'; leave out for all."),
]


class AskResult(BaseModel):
    answer: str = Field(description="The answer; [n] refers to citations[n-1].")
    status: Literal["answered", "insufficient_evidence"]
    citations: list[Citation]
    answered_by: str = Field(description="'extractive', or the language model that wrote it.")
    notice: str | None = None


class Fallbacks(BaseModel):
    workflows: list[Workflow] = Field(description="Registry records, each with source, locator.")


class EvalTrend(BaseModel):
    results: list[EvalResult] = Field(
        description="Eval results by workflow, metric, model and date, each with its locator."
    )


class Documents(BaseModel):
    documents: list[DocumentInfo]


class Watchlist(BaseModel):
    followed: list[Followed] = Field(description="Each followed question with its last change.")


def build_mcp(intel: Callable[[], VendorIntel]) -> FastMCP:
    """The tools and the briefing resource over the service `intel()` gives."""
    # The HTTP guards (Host, Origin, key) are the app's own, on every route, /mcp included.
    unguarded = TransportSecuritySettings(enable_dns_rebinding_protection=False)
    mcp = FastMCP(
        "vendorintel",
        instructions=INSTRUCTIONS,
        log_level="WARNING",
        stateless_http=True,
        json_response=True,
        transport_security=unguarded,
    )
    tools = Tools(intel)
    mcp.add_tool(tools.ask, title="Ask a cited question")
    mcp.add_tool(tools.fallbacks, title="Workflow fallbacks")
    mcp.add_tool(tools.eval_trend, title="Eval trend")
    mcp.add_tool(tools.checkpoints, title="90-day checkpoints")
    mcp.add_tool(tools.documents, title="Indexed documents")
    mcp.add_tool(tools.follow, title="Follow a question")
    mcp.add_tool(tools.watchlist, title="Followed questions and their changes")
    mcp.resource(
        BRIEFING_URI,
        name="latest-briefing",
        title="Latest 90-day checkpoint briefing",
        description="The last briefing run, as Markdown.",
        mime_type="text/markdown",
    )(tools.latest_briefing)
    return mcp


class Tools:
    """The tools, each a call of the service in a worker thread (answering blocks)."""

    def __init__(self, intel: Callable[[], VendorIntel]) -> None:
        self.intel = intel

    async def ask(
        self,
        question: Annotated[str, Field(min_length=1, max_length=100_000)],
        vendor: Vendor = None,
    ) -> Annotated[CallToolResult, AskResult]:
        """Answer a question about the AI vendors from the indexed documents. Every statement
        cites its source ([n], listed with file and locator); 'insufficient_evidence' means
        the documents do not say."""
        answer = await anyio.to_thread.run_sync(self.intel().ask, question, vendor)
        result = AskResult.model_validate(answer.model_dump())
        text = TextContent(type="text", text=answer_with_sources(answer))
        return CallToolResult(content=[text], structuredContent=result.model_dump(mode="json"))

    async def fallbacks(
        self,
        workflow: Annotated[
            str | None, Field(description="Part of a workflow's name, e.g. 'contract'.")
        ] = None,
        vendor: Vendor = None,
    ) -> Annotated[CallToolResult, Fallbacks]:
        """The registry's workflows with their primary and fallback models, criticality, SLA
        and contract terms: those of one workflow, or those that depend on one vendor."""
        found = await anyio.to_thread.run_sync(self.intel().workflows, vendor, workflow)
        if not found:
            raise ToolError(nothing_found("workflow", workflow, vendor, "fallbacks"))
        lines = [workflow_sentence(w) for w in found]
        return records_result(lines, Fallbacks(workflows=found))

    async def eval_trend(
        self,
        workflow: Annotated[
            str | None, Field(description="Part of a workflow's name, e.g. 'support'.")
        ] = None,
        model: Annotated[
            str | None, Field(description="Part of a model id or version, e.g. 'qwen-max'.")
        ] = None,
        vendor: Vendor = None,
    ) -> Annotated[CallToolResult, EvalTrend]:
        """Eval results over time, for a workflow or a model: score, p95 latency and cost per
        run, so a drop after a model update shows. Each result cites its table row."""
        found = await anyio.to_thread.run_sync(self.intel().evals, vendor, workflow)
        if model:
            wanted = model.lower()
            found = [e for e in found if wanted in f"{e.model} {e.version or ''}".lower()]
        if not found:
            raise ToolError(nothing_found("eval result", workflow or model, vendor, "eval_trend"))
        found.sort(key=lambda e: (e.workflow or "", e.metric or "", e.model, e.date))
        return records_result([eval_sentence(e) for e in found], EvalTrend(results=found))

    async def checkpoints(self, vendor: Vendor = None) -> dict[str, Any]:
        """Run the 90-day executive checklist for one vendor (or all in the registry): each
        checkpoint's status, evidence with citations, gaps and what changed since last run."""
        vendors = [vendor] if vendor else None
        text = await anyio.to_thread.run_sync(self.intel().checkpoints, vendors, "json")
        briefing: dict[str, Any] = json.loads(text)
        return briefing

    async def documents(self) -> Documents:
        """The documents in the index with their status (indexed, partial, stale, failed) and,
        when not indexed, why."""
        return Documents(documents=await anyio.to_thread.run_sync(self.intel().documents))

    async def follow(
        self,
        question: Annotated[str, Field(min_length=1, max_length=100_000)],
        vendor: Vendor = None,
    ) -> Followed:
        """Follow a question: its answer is kept, re-checked after every ingestion that could
        change it, and each change is recorded with the document that caused it."""
        return await anyio.to_thread.run_sync(self.intel().watchlist.follow, question, vendor)

    async def watchlist(self) -> Watchlist:
        """The followed questions, each with its answer now and its last change (what
        changed, why, and the causing documents with their locators)."""
        found = await anyio.to_thread.run_sync(self.intel().watchlist.followed)
        return Watchlist(followed=found)

    async def latest_briefing(self) -> str:
        saved = await anyio.to_thread.run_sync(self.intel().latest_briefing, "md")
        return saved or "No briefing has been run yet: call the `checkpoints` tool to run one."


def records_result(lines: list[str], records: BaseModel) -> CallToolResult:
    text = TextContent(type="text", text="\n".join(lines))
    return CallToolResult(content=[text], structuredContent=records.model_dump(mode="json"))


def nothing_found(kind: str, named: str | None, vendor: str | None, tool: str) -> str:
    asked = " and ".join(
        filter(None, [f"matching {named!r}" if named else "", f"of {vendor!r}" if vendor else ""])
    )
    return (
        f"No {kind} {asked or 'is recorded'}: call `{tool}` with no arguments to see them all, "
        "or `documents` to check the registry and eval files are indexed."
    )


class KeyRequired:
    """The API key check of the JSON API, for the MCP endpoint."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        scheme, _, token = headers.get("authorization", "").partition(" ")
        given = headers.get("x-api-key") or (token.strip() if scheme.lower() == "bearer" else "")
        if not key_is_valid(self.settings, given):
            refusal = JSONResponse(
                {"detail": MISSING_KEY}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)


def mount_mcp(app: FastAPI, settings: Settings, intel: Callable[[], VendorIntel]) -> FastMCP:
    """Serve the tools at /mcp; the app's lifespan must run the returned server's
    session_manager."""
    mcp = build_mcp(intel)
    mcp.streamable_http_app()  # makes the session manager this route hands requests to
    endpoint = KeyRequired(mcp.session_manager.handle_request, settings)
    app.router.routes.append(Route("/mcp", endpoint=endpoint, methods=["GET", "POST", "DELETE"]))
    return mcp


async def serve_stdio(intel: VendorIntel) -> None:
    """Serve over stdin and stdout, keeping the index in line with the inbox meanwhile."""
    stop = asyncio.Event()
    watching = None
    if intel.settings.ingestion.watch_inbox:
        watching = asyncio.create_task(intel.watch_inbox(stop))
    try:
        await build_mcp(lambda: intel).run_stdio_async()
    finally:
        stop.set()
        intel.interrupt()
        if watching is not None:
            await asyncio.wait([watching], timeout=30)
