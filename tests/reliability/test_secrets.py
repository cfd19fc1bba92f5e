"""Secrets stay secret: a language-model provider's key and the API key are used, but never
appear in what `serve` logs (even at DEBUG), in error messages or in API responses."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx

from tests.conftest import SAMPLE_DOCUMENTS, SAMPLES, serving
from tests.fake_llm import FakeLLM, Reply, Running

PROVIDER_KEY = "sk-provider-SECRET-7731"
API_KEY = "api-SECRET-5190"
QUESTION = {"question": "What uptime does Alibaba give for qwen-max?"}


def test_keys_never_reach_logs_errors_or_responses(tmp_path: Path) -> None:
    provider = FakeLLM("refusing").always(Reply(status=401))  # as a revoked key would be
    shutil.copytree(SAMPLES, tmp_path / "inbox")
    env = {
        "VENDORINTEL_LOG_LEVEL": "DEBUG",
        "VENDORINTEL_API_KEY": API_KEY,
        "VENDORINTEL_LLM": "openai",
        "VENDORINTEL_LLM_PROVIDERS": json.dumps([provider.provider(api_key_env="PROVIDER_KEY")]),
        "PROVIDER_KEY": PROVIDER_KEY,
    }
    with Running(provider), serving(tmp_path, SAMPLE_DOCUMENTS, env) as served:
        signed = {"Authorization": f"Bearer {API_KEY}"}
        responses = [
            httpx.post(f"{served.url}/api/ask", json=QUESTION, headers=signed, timeout=60),
            httpx.post(f"{served.url}/api/ask/stream", json=QUESTION, headers=signed, timeout=60),
            httpx.post(f"{served.url}/api/ask", json=QUESTION, headers={"X-API-Key": "guess"}),
            httpx.get(f"{served.url}/api/healthz", headers=signed),
            httpx.get(f"{served.url}/api/documents", headers=signed),
            httpx.get(f"{served.url}/openapi.json"),
        ]
    log = (tmp_path / "serve.log").read_text()

    assert provider.received and provider.received[0].authorization == f"Bearer {PROVIDER_KEY}"
    assert " DEBUG " in log and "API key refused (HTTP 401)" in log  # logged, but not the key
    assert [r.status_code for r in responses] == [200, 200, 401, 200, 200, 200]
    assert "99.9%" in responses[0].json()["answer"]  # answered from the evidence instead
    for text in [log, *(r.text for r in responses)]:
        assert PROVIDER_KEY not in text and API_KEY not in text
