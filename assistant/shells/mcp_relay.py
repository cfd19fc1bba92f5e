"""`vendorintel mcp` while `vendorintel serve` holds the index: the desktop agent's stdio
session relayed to the server's /mcp, so the same tools answer from the one index."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.server.lowlevel import Server
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.stdio import stdio_server
from mcp.types import CallToolResult, Resource, TextResourceContents, Tool
from pydantic import AnyUrl


@asynccontextmanager
async def server_session(url: str, api_key: str | None) -> AsyncIterator[ClientSession]:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    async with (
        httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(30, read=600)) as http,
        streamable_http_client(f"{url}/mcp", http_client=http) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        yield session


def relay_of(remote: ClientSession, name: str, instructions: str | None) -> Server[Any, Any]:
    """A stdio server whose every request is the remote server's answer."""
    relay: Server[Any, Any] = Server(name, instructions=instructions)

    @relay.list_tools()
    async def tools() -> list[Tool]:
        return (await remote.list_tools()).tools

    # The remote server validates the arguments, with its own messages.
    @relay.call_tool(validate_input=False)
    async def call(tool: str, arguments: dict[str, Any]) -> CallToolResult:
        return await remote.call_tool(tool, arguments)

    @relay.list_resources()
    async def resources() -> list[Resource]:
        return (await remote.list_resources()).resources

    @relay.read_resource()
    async def read(uri: AnyUrl) -> list[ReadResourceContents]:
        contents = (await remote.read_resource(uri)).contents
        return [
            ReadResourceContents(c.text, c.mimeType)
            for c in contents
            if isinstance(c, TextResourceContents)
        ]

    return relay


async def relay_stdio(url: str, api_key: str | None) -> None:
    """Serve over stdin and stdout what the server at `url` serves at /mcp."""
    async with server_session(url, api_key) as remote:
        hello = await remote.initialize()
        relay = relay_of(remote, hello.serverInfo.name, hello.instructions)
        async with stdio_server() as (read, write):
            await relay.run(read, write, relay.create_initialization_options())
