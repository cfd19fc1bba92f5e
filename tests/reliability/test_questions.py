"""Questions that are empty, very long, full of control characters, in another language or
carrying markup: each gets a clear reply, never a crash or an echo of raw markup."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from assistant.answering.evidence import clean_question
from assistant.app import VendorIntel
from assistant.shells.api import create_app


@pytest.fixture(scope="module")
def client(sample_intel: VendorIntel) -> Iterator[TestClient]:
    app = create_app(sample_intel.settings, with_chat=False, intel=sample_intel)
    with TestClient(app) as test_client:
        yield test_client


def ask(client: TestClient, question: str) -> dict[str, object]:
    response = client.post("/api/ask", json={"question": question})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


@pytest.mark.parametrize("question", [" ", "\x00\x07\x1b", "\n\t\r", "\u200b\x00 ", "?!"])
def test_an_empty_question_gets_a_prompt_for_one(client: TestClient, question: str) -> None:
    body = ask(client, question)
    assert str(body["answer"]).startswith("Ask a question about your AI vendors")
    assert body["citations"] == []


def test_control_characters_are_dropped_before_answering(client: TestClient) -> None:
    body = ask(client, "What uptime does\x00 Alibaba\x1b[31m Cloud\x07 commit to for qwen-max?")
    assert "99.9%" in str(body["answer"])
    assert not any(ord(c) < 32 for c in str(body["answer"]))


def test_a_very_long_question_is_shortened_with_a_notice(client: TestClient) -> None:
    question = "What uptime does Alibaba Cloud commit to for qwen-max? " + "please " * 2000
    body = ask(client, question)
    assert body["notice"] == "Your question was shortened to its first 1,000 characters."
    assert "99.9%" in str(body["answer"])
    streamed = client.post("/api/ask/stream", json={"question": question})
    assert streamed.status_code == 200 and "shortened to its first 1,000" in streamed.text


def test_a_question_in_another_language_gets_a_clear_reply(client: TestClient) -> None:
    body = ask(client, "合同条款抽取的备用模型是什么?")
    assert body["status"] in {"answered", "insufficient_evidence"}
    assert body["answer"]
    for citation in body["citations"]:  # type: ignore[attr-defined]
        assert citation["source"] and citation["locator"]


def test_markup_in_a_question_is_not_echoed_as_markup(client: TestClient) -> None:
    body = ask(client, '<script>alert("x")</script> <img src=x onerror=alert(1)> zebra pricing?')
    assert body["status"] == "insufficient_evidence"
    assert "<script>" not in str(body["answer"]) and "<img" not in str(body["answer"])


def test_cleaning_keeps_words_and_cuts_at_a_word_boundary() -> None:
    assert clean_question("  fallback\x00for\tsearch  ", 100) == ("fallback for search", False)
    text, cut = clean_question("word " * 100, 52)
    assert cut and text.endswith("word") and len(text) <= 52
    assert clean_question("غير‌ممكن", 100) == ("غير‌ممكن", False)  # a joiner inside a word stays
