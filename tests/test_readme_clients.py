"""The README's examples for other clients work as written: its OpenAI SDK snippet and its
Claude Desktop entry, run against a real `vendorintel serve` with only the address, the key
and the checkout's folder filled in."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from assistant.core.settings import PROJECT_ROOT
from tests.conftest import Served

README = (PROJECT_ROOT / "README.md").read_text("utf-8")
CHECKOUT = "/path/to/vendorintel"


def block(section: str, language: str) -> str:
    """The first code block of that language in the README section with this heading."""
    body = README.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(rf"```{language}\n(.*?)```", body, re.DOTALL)
    assert found, f"no {language} block in {section}"
    return found.group(1)


def test_the_openai_sdk_snippet_prints_a_cited_answer(keyed_served: Served) -> None:
    snippet = block("OpenAI-compatible clients", "python")
    assert 'base_url="http://127.0.0.1:8000/v1"' in snippet
    filled = snippet.replace("http://127.0.0.1:8000", keyed_served.url).replace(
        '"VENDORINTEL_API_KEY, or any text"', repr(keyed_served.key)
    )

    done = subprocess.run(
        [sys.executable, "-c", filled], capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stderr
    assert "qwen-max" in done.stdout and "\nSources:\n[1] registry/workflows.yaml" in done.stdout
    assert "'source': 'registry/workflows.yaml'" in done.stdout


def test_the_claude_desktop_entry_starts_the_tools(keyed_served: Served, tmp_path: Path) -> None:
    entry = json.loads(block("Agents (MCP)", "json"))["mcpServers"]["vendorintel"]
    command = entry["command"].replace(CHECKOUT, str(PROJECT_ROOT))
    assert Path(command).exists(), "make install makes it"
    env = {
        k: v.replace(f"{CHECKOUT}/data/demo", str(keyed_served.data_dir))
        for k, v in entry["env"].items()
    }
    env["VENDORINTEL_API_KEY"] = keyed_served.key or ""  # as the README says, for a keyed server
    server = StdioServerParameters(command=command, args=entry["args"], env=env, cwd=tmp_path)

    async def ask() -> str:
        async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            question = {"question": "Which critical workflow has no fallback model?"}
            result = await session.call_tool("ask", question)
            assert not result.isError
            return json.dumps(result.structuredContent)

    answered = anyio.run(ask)
    assert "enterprise search" in answered and "registry/workflows.yaml" in answered
