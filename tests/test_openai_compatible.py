"""Any OpenAI client gets vendorintel's cited answers: OpenAI's own Python package, called as a
user's code would call it, against a real `vendorintel serve` on loopback with an API key."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from tests.conftest import Served

FALLBACK = "What is our fallback for contract clause extraction?"


def client_for(served: Served, key: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{served.url}/v1", api_key=key or served.key, max_retries=0, timeout=120
    )


@pytest.fixture(scope="module")
def client(keyed_served: Served) -> openai.OpenAI:
    return client_for(keyed_served)


def ask_api(served: Served, question: str, vendor: str | None = None) -> dict[str, Any]:
    body = {"question": question, "vendor": vendor}
    headers = {"X-API-Key": served.key or ""}
    response = httpx.post(f"{served.url}/api/ask", json=body, headers=headers, timeout=120)
    answer: dict[str, Any] = response.json()
    return answer


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def test_a_completion_is_the_cited_answer_with_its_sources(
    client: openai.OpenAI, keyed_served: Served
) -> None:
    completion = client.chat.completions.create(model="vendorintel", messages=[user(FALLBACK)])

    content = completion.choices[0].message.content or ""
    answer, _, sources = content.partition("\n\nSources:\n")
    assert "qwen-max" in answer and "[1]" in answer
    assert "[1] registry/workflows.yaml, lines " in sources
    assert completion.choices[0].finish_reason == "stop"
    # The same answer as the JSON API's, with its structured citations alongside.
    assert answer == ask_api(keyed_served, FALLBACK)["answer"]
    extra = (completion.model_extra or {})["vendorintel"]
    assert extra["status"] == "answered" and extra["answer"] == answer
    assert extra["citations"][0]["source"] == "registry/workflows.yaml"
    assert "qwen-max" in extra["citations"][0]["quote"]
    assert len(sources.splitlines()) == len(extra["citations"])


def test_a_streamed_answer_reads_the_same_as_the_whole_one(client: openai.OpenAI) -> None:
    whole = client.chat.completions.create(model="vendorintel", messages=[user(FALLBACK)])
    chunks = list(
        client.chat.completions.create(model="vendorintel", messages=[user(FALLBACK)], stream=True)
    )

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert len(chunks) > 10  # written as it comes, not in one piece
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    last = (chunks[-1].model_extra or {})["vendorintel"]
    assert last["citations"][0]["source"] == "registry/workflows.yaml"
    assert {c.id for c in chunks} == {chunks[0].id}


def test_a_vendor_model_answers_from_that_vendors_documents(
    client: openai.OpenAI, keyed_served: Served
) -> None:
    ids = [m.id for m in client.models.list()]
    assert ids[0] == "vendorintel"
    assert {"vendorintel-alibaba-cloud", "vendorintel-anthropic", "vendorintel-in-house"} <= set(
        ids
    )

    question = [user("What does the roadmap say?")]
    alibaba = client.chat.completions.create(model="vendorintel-alibaba-cloud", messages=question)
    anthropic = client.chat.completions.create(model="vendorintel-anthropic", messages=question)

    alibaba_answer = (alibaba.model_extra or {})["vendorintel"]
    assert alibaba_answer["status"] == "answered"
    assert {c["source"] for c in alibaba_answer["citations"]} == {
        "roadmaps/qwen-roadmap-briefing.md"
    }
    assert (
        alibaba_answer["answer"]
        == ask_api(keyed_served, "What does the roadmap say?", "Qwen")["answer"]
    )
    assert (anthropic.model_extra or {})["vendorintel"]["status"] == "insufficient_evidence"
    assert "no roadmap document about Anthropic" in (anthropic.choices[0].message.content or "")


def test_a_follow_up_is_read_with_the_conversation_before_it(client: openai.OpenAI) -> None:
    first = "How much deprecation notice does Alibaba Cloud give?"
    earlier = client.chat.completions.create(model="vendorintel", messages=[user(first)])
    conversation = [
        {"role": "system", "content": "You are a helpful assistant."},
        user(first),
        {"role": "assistant", "content": earlier.choices[0].message.content},
        {"role": "user", "content": [{"type": "text", "text": "and Anthropic?"}]},
    ]

    follow_up = client.chat.completions.create(model="vendorintel", messages=conversation)

    assert "60 days" in (earlier.choices[0].message.content or "")
    content = follow_up.choices[0].message.content or ""
    assert "90 days' notice before deprecating or retiring any Claude model" in content
    assert "contracts/anthropic-msa-notes.docx" in content


def test_without_the_api_key_a_client_is_refused_in_openais_words(keyed_served: Served) -> None:
    with pytest.raises(openai.AuthenticationError) as refused:
        client_for(keyed_served, "wrong-key").chat.completions.create(
            model="vendorintel", messages=[user(FALLBACK)]
        )
    assert refused.value.status_code == 401
    assert refused.value.code == "invalid_api_key"
    assert "VENDORINTEL_API_KEY" in refused.value.message
    with pytest.raises(openai.AuthenticationError):
        client_for(keyed_served, "wrong-key").models.list()


def test_a_malformed_request_gets_a_400_that_says_what_is_wrong(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as no_user:
        client.chat.completions.create(
            model="vendorintel", messages=[{"role": "system", "content": "Be brief."}]
        )
    assert "the last message with role 'user' is the question" in no_user.value.message
    with pytest.raises(openai.BadRequestError) as no_messages:
        client.chat.completions.create(model="vendorintel", messages=[])
    assert "messages" in no_messages.value.message
    with pytest.raises(openai.BadRequestError) as bad_role:
        client.chat.completions.create(
            model="vendorintel",
            messages=[{"role": "oracle", "content": FALLBACK}],  # type: ignore[misc, list-item]
        )
    assert bad_role.value.body["type"] == "invalid_request_error"  # type: ignore[index]
    with pytest.raises(openai.NotFoundError) as no_model:
        client.chat.completions.create(model="gpt-4o", messages=[user(FALLBACK)])
    assert "GET /v1/models lists vendorintel" in no_model.value.message
