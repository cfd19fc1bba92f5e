"""Agents reach vendorintel by the Model Context Protocol: the official `mcp` SDK's own client,
over streamable HTTP against a real `vendorintel serve` and over stdio, spawning
`vendorintel mcp` as a desktop agent does."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent, TextResourceContents
from pydantic import AnyUrl

from tests.conftest import SAMPLES, Served, cli_env

TOOLS = {"ask", "fallbacks", "eval_trend", "checkpoints", "documents", "follow", "watchlist"}
BRIEFING = AnyUrl("vendorintel://briefing/latest")


@asynccontextmanager
async def over_http(served: Served) -> AsyncIterator[ClientSession]:
    headers = {"Authorization": f"Bearer {served.key}"}
    async with (
        httpx.AsyncClient(headers=headers, timeout=120) as http,
        streamable_http_client(f"{served.url}/mcp", http_client=http) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def run(session: Callable[[], Any], check: Callable[[ClientSession], Awaitable[None]]) -> None:
    async def main() -> None:
        async with session() as opened:
            await check(opened)

    anyio.run(main)


def text_of(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


async def call(session: ClientSession, tool: str, **arguments: Any) -> CallToolResult:
    result = await session.call_tool(tool, arguments)
    assert not result.isError, text_of(result)
    return result


async def lists_the_tools_for_an_agent(session: ClientSession) -> None:
    tools = {t.name: t for t in (await session.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description and len(tool.description) > 40, tool.name
        assert tool.inputSchema["type"] == "object"
    assert tools["ask"].inputSchema["required"] == ["question"]
    assert "vendor" in tools["fallbacks"].inputSchema["properties"]
    assert tools["ask"].outputSchema and "citations" in tools["ask"].outputSchema["properties"]


async def answers_with_citations(session: ClientSession) -> None:
    asked = await call(
        session, "ask", question="What is our fallback for contract clause extraction?"
    )
    answer = asked.structuredContent or {}
    assert answer["status"] == "answered" and "qwen-max" in answer["answer"]
    first = answer["citations"][0]
    assert first["source"] == "registry/workflows.yaml" and first["locator"].startswith("lines ")
    assert f"[1] registry/workflows.yaml, {first['locator']}" in text_of(asked)


async def gives_the_records(session: ClientSession) -> None:
    fallbacks = await call(session, "fallbacks", vendor="Claude")  # an alias of Anthropic
    workflows = (fallbacks.structuredContent or {})["workflows"]
    by_name = {w["name"]: w for w in workflows}
    assert set(by_name) == {"code review assistant", "contract clause extraction"}
    contract = by_name["contract clause extraction"]
    assert (contract["primary_model"], contract["fallback_model"]) == (
        "claude-sonnet-4",
        "qwen-max",
    )
    assert contract["source"] == "registry/workflows.yaml"
    assert "fallback qwen-max (Alibaba Cloud). [registry/workflows.yaml, lines" in text_of(
        fallbacks
    )

    trend = await call(session, "eval_trend", workflow="contract", model="qwen")
    results = (trend.structuredContent or {})["results"]
    assert [(r["model"], r["score"], r["locator"]) for r in results] == [
        ("qwen-max", 0.88, "row 3")
    ]
    assert "[evals/model-evals-2026-q3.csv, row 3]" in text_of(trend)


async def gives_the_briefing_and_the_documents(session: ClientSession) -> None:
    briefing = (await call(session, "checkpoints", vendor="Anthropic")).structuredContent or {}
    [vendor] = briefing["vendors"]
    assert vendor["vendor"] == "Anthropic" and vendor["checkpoints"]
    assert any(c["citations"] for c in vendor["checkpoints"])

    latest = (await session.read_resource(BRIEFING)).contents[0]
    assert isinstance(latest, TextResourceContents) and latest.mimeType == "text/markdown"
    assert latest.text.startswith("# 90-day vendor checkpoint briefing")
    assert "## Anthropic" in latest.text

    documents = (await call(session, "documents")).structuredContent or {}
    statuses = {d["source"]: d["status"] for d in documents["documents"]}
    assert statuses["registry/workflows.yaml"] == "indexed" and len(statuses) == 11


async def follows_a_question(session: ClientSession) -> None:
    question = "How much notice does Alibaba Cloud give before deprecating a qwen-max snapshot?"
    followed = (await call(session, "follow", question=question)).structuredContent or {}
    assert followed["question"] == question and "60 days" in followed["answer"]["answer"]
    listed = (await call(session, "watchlist")).structuredContent or {}
    assert [f["id"] for f in listed["followed"] if f["question"] == question] == [followed["id"]]


async def refuses_bad_arguments_and_stays_up(session: ClientSession) -> None:
    missing = await session.call_tool("ask", {})
    assert missing.isError and "question" in text_of(missing) and "required" in text_of(missing)
    wrong_type = await session.call_tool("eval_trend", {"workflow": ["contract"]})
    assert wrong_type.isError and "workflow" in text_of(wrong_type)
    nothing = await session.call_tool("fallbacks", {"workflow": "payroll"})
    assert nothing.isError and "No workflow matching 'payroll'" in text_of(nothing)
    # The same session goes on.
    assert {t.name for t in (await session.list_tools()).tools} == TOOLS


def test_over_http_an_agent_lists_and_calls_every_tool(keyed_served: Served) -> None:
    async def every_tool(session: ClientSession) -> None:
        await lists_the_tools_for_an_agent(session)
        await answers_with_citations(session)
        await gives_the_records(session)
        await gives_the_briefing_and_the_documents(session)
        await follows_a_question(session)
        await refuses_bad_arguments_and_stays_up(session)

    run(lambda: over_http(keyed_served), every_tool)


def test_over_http_the_mcp_endpoint_needs_the_api_key(keyed_served: Served) -> None:
    hello = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    refused = httpx.post(f"{keyed_served.url}/mcp", json=hello)
    assert refused.status_code == 401 and "VENDORINTEL_API_KEY" in refused.json()["detail"]


def test_over_stdio_a_desktop_agent_spawns_it_over_its_own_inbox(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLES / "registry", inbox / "registry")
    shutil.copytree(SAMPLES / "contracts", inbox / "contracts")
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "assistant.shells.cli", "mcp"],
        env=cli_env(tmp_path / "data", inbox),
        cwd=tmp_path,
    )

    async def spawned(session: ClientSession) -> None:
        await lists_the_tools_for_an_agent(session)
        # It brings the index in line with the inbox as it starts.
        with anyio.fail_after(120):
            while len(await listed(session)) < 3:
                await anyio.sleep(0.5)
        asked = await call(
            session, "ask", question="How much deprecation notice does Anthropic give?"
        )
        answer = asked.structuredContent or {}
        assert "90 days' notice" in answer["answer"]
        assert "contracts/anthropic-msa-notes.docx" in {c["source"] for c in answer["citations"]}
        fallbacks = await call(session, "fallbacks", workflow="support ticket")
        [support] = (fallbacks.structuredContent or {})["workflows"]
        assert support["fallback_model"] == "qwen3-235b"
        missing = await session.call_tool("checkpoints", {"vendor": 7})
        assert missing.isError
        assert len(await listed(session)) == 3

    run(lambda: over_stdio(server, tmp_path / "stderr.log"), spawned)


def test_over_stdio_while_serve_holds_the_index_it_relays_to_the_server(
    keyed_served: Served, tmp_path: Path
) -> None:
    env = {**cli_env(keyed_served.data_dir, keyed_served.inbox)}
    env["VENDORINTEL_API_KEY"] = keyed_served.key or ""
    server = StdioServerParameters(
        command=sys.executable, args=["-m", "assistant.shells.cli", "mcp"], env=env, cwd=tmp_path
    )

    async def relayed(session: ClientSession) -> None:
        await lists_the_tools_for_an_agent(session)
        await answers_with_citations(session)
        await refuses_bad_arguments_and_stays_up(session)
        assert len(await listed(session)) == 11
        [resource] = (await session.list_resources()).resources
        assert resource.uri == BRIEFING

    run(lambda: over_stdio(server, tmp_path / "stderr.log"), relayed)


@asynccontextmanager
async def over_stdio(server: StdioServerParameters, log: Path) -> AsyncIterator[ClientSession]:
    with log.open("w") as errlog:
        async with (
            stdio_client(server, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session


async def listed(session: ClientSession) -> list[dict[str, Any]]:
    result = await call(session, "documents")
    documents: list[dict[str, Any]] = json.loads(text_of(result))["documents"]
    return documents
