"""Access control: with VENDORINTEL_API_KEY set, the API answers only requests carrying the key;
the key never shows in a reply; the command line passes it to a running server; and serving
on an address other machines can reach says what is left open."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from assistant.app import VendorIntel
from assistant.core.settings import Settings
from assistant.shells.api import create_app
from assistant.shells.cli import exposure_warning
from tests.builders import markdown, write
from tests.conftest import Served

KEY = "vi-test-9f8e7d6c5b4a"
QUESTION = {"question": "How much notice before retiring a pinned qwen-max snapshot?"}
CHAT = {"model": "vendorintel", "messages": [{"role": "user", "content": QUESTION["question"]}]}


@pytest.fixture
def locked(
    make_intel: Callable[[Settings], VendorIntel], settings: Settings, inbox: Path
) -> Iterator[TestClient]:
    write(
        inbox / "qwen.md",
        markdown("Qwen terms", "Alibaba Cloud must give 60 days notice before retiring qwen-max."),
    )
    keyed = settings.model_copy(update={"serving": Settings(api_key=KEY).serving})
    intel = make_intel(keyed)
    intel.ingest(progress=False)
    with TestClient(create_app(keyed, with_chat=False, intel=intel)) as client:
        yield client


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-Key": "wrong"},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {KEY}"},
        {"X-API-Key": KEY[:-1]},
    ],
)
def test_every_api_route_refuses_a_missing_or_wrong_key(
    locked: TestClient, headers: dict[str, str]
) -> None:
    calls = [
        locked.post("/api/ask", json=QUESTION, headers=headers),
        locked.post("/api/ask/stream", json=QUESTION, headers=headers),
        locked.get("/api/documents", headers=headers),
        locked.post("/api/ingest", headers=headers),
        locked.get("/api/healthz", headers=headers),
        locked.get("/api/checkpoints", headers=headers),
        locked.get("/v1/models", headers=headers),
        locked.post("/v1/chat/completions", json=CHAT, headers=headers),
        locked.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=headers),
    ]
    for response in calls:
        assert response.status_code == 401, response.request.url
        assert response.headers["www-authenticate"] == "Bearer"
        assert "X-API-Key" in response.text  # in OpenAI's shape on /v1
        assert KEY not in response.text


def test_the_right_key_opens_the_api_either_way(locked: TestClient) -> None:
    for headers in ({"X-API-Key": KEY}, {"Authorization": f"Bearer {KEY}"}):
        response = locked.post("/api/ask", json=QUESTION, headers=headers)
        assert response.status_code == 200
        assert "60 days" in response.json()["answer"]
        assert KEY not in response.text
    # The schema says how to authenticate, so generated clients send the key.
    schemes = locked.get("/openapi.json").json()["components"]["securitySchemes"]
    assert {"APIKeyHeader", "HTTPBearer"} <= set(schemes)


def test_without_a_key_the_api_stays_open(
    make_intel: Callable[[Settings], VendorIntel], settings: Settings, inbox: Path
) -> None:
    assert Settings(api_key="", _env_file=None).serving.api_key is None  # type: ignore[call-arg]
    with TestClient(create_app(settings, with_chat=False, intel=make_intel(settings))) as client:
        assert client.get("/api/documents").status_code == 200


def test_the_command_line_passes_the_key_to_a_running_server(keyed_served: Served) -> None:
    refused = httpx.get(f"{keyed_served.url}/api/documents")
    env = {
        **os.environ,
        "VENDORINTEL_DATA_DIR": str(keyed_served.data_dir),
        "VENDORINTEL_INBOX": str(keyed_served.inbox),
        "VENDORINTEL_API_KEY": keyed_served.key or "",
    }
    command = [
        sys.executable,
        "-m",
        "assistant.shells.cli",
        "ask",
        "What uptime does Alibaba give?",
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    env["VENDORINTEL_API_KEY"] = "wrong"
    wrong = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    assert refused.status_code == 401
    assert done.returncode == 0, done.stderr
    assert "99.9%" in done.stdout and "contracts/alibaba-cloud-sla.md" in done.stdout
    assert wrong.returncode != 0 and "Missing or wrong API key" in wrong.stderr
    assert "wrong" not in wrong.stderr.replace("Missing or wrong API key", "")


def test_serving_beyond_this_machine_warns_what_is_open() -> None:
    open_settings = Settings(_env_file=None)  # type: ignore[call-arg]
    keyed = Settings(api_key=KEY, _env_file=None)  # type: ignore[call-arg]

    assert exposure_warning("127.0.0.1", open_settings) is None
    warning = exposure_warning("0.0.0.0", open_settings)
    assert warning and "VENDORINTEL_API_KEY" in warning and "no login" in warning
    keyed_warning = exposure_warning("0.0.0.0", keyed)
    assert keyed_warning and "VENDORINTEL_API_KEY" not in keyed_warning
    assert KEY not in keyed_warning
