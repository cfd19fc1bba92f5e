"""Parts that are missing or unreachable: the embedding runtime not installed, the Qdrant server
down. Each gives a clear error that says what to do, never a traceback or a hang."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openai
import pytest
from fastapi.testclient import TestClient

from assistant.core.settings import Settings
from assistant.shells.api import create_app
from tests.conftest import SAMPLES, free_port


def test_a_missing_embedding_runtime_is_named_with_the_fix(tmp_path: Path) -> None:
    probe = (
        "import sys; sys.modules['onnxruntime'] = None\n"  # as if it were not installed
        "from assistant.shells.cli import app\n"
        "sys.argv = ['vendorintel', 'ingest']\n"
        "app()\n"
    )
    env = {
        **os.environ,
        "VENDORINTEL_DATA_DIR": str(tmp_path / "data"),
        "VENDORINTEL_INBOX": str(SAMPLES / "contracts"),
    }
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=300
    )

    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: The ONNX backends need onnxruntime")
    assert "make install" in last and "VENDORINTEL_EMBEDDING_BACKEND=torch" in last
    assert "Traceback" not in done.stderr


def test_an_unreachable_qdrant_server_gives_503_and_healthz_says_so(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = Settings(
        data_dir=tmp_path / "data", inbox=SAMPLES, qdrant_url=url, watch_inbox=False, _env_file=None
    )  # type: ignore[call-arg]
    app = create_app(settings, with_chat=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        health = client.get("/api/healthz").json()
        answer = client.post("/api/ask", json={"question": "What uptime does Alibaba give?"})
        # OpenAI's client, on this app, gets the same in OpenAI's shape, streamed or not.
        openai_client = openai.OpenAI(
            base_url="http://testserver/v1", api_key="-", http_client=client, max_retries=0
        )
        refusals = []
        for stream in (False, True):
            with pytest.raises(openai.InternalServerError) as refused:
                openai_client.chat.completions.create(
                    model="vendorintel",
                    messages=[{"role": "user", "content": "What uptime does Alibaba give?"}],
                    stream=stream,
                )
            refusals.append(refused.value)

    assert health["status"] == "degraded" and health["store"]["reachable"] is False
    assert "VENDORINTEL_QDRANT_URL" in health["store"]["error"]
    assert answer.status_code == 503
    assert "Qdrant is not reachable" in answer.json()["detail"]
    for error in refusals:
        assert error.status_code == 503 and error.type == "server_error"
        assert "Qdrant is not reachable" in error.message
