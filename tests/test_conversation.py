"""Follow-up questions become standalone questions before retrieval."""

from __future__ import annotations

import pytest

from assistant.answering.followups import standalone_question
from assistant.core.catalog import VendorCatalog

PREVIOUS = "What is our fallback for contract clause extraction if Claude is unavailable?"


@pytest.fixture(scope="module")
def catalog() -> VendorCatalog:
    return VendorCatalog.load()


@pytest.mark.parametrize(
    ("follow_up", "standalone"),
    [
        ("and for Qwen?", PREVIOUS.replace("Claude", "Alibaba Cloud")),
        ("What about OpenAI?", PREVIOUS.replace("Claude", "OpenAI")),
        ("Baidu?", PREVIOUS.replace("Claude", "Baidu")),
        ("and its renewal date?", PREVIOUS.rstrip("?") + ", its renewal date?"),
    ],
)
def test_follow_ups_are_rewritten(catalog: VendorCatalog, follow_up: str, standalone: str) -> None:
    assert standalone_question(PREVIOUS, follow_up, catalog) == standalone


@pytest.mark.parametrize(
    "question",
    [
        "Which critical workflow has no fallback model?",
        "Did quality drop?",
        "What is DeepSeek's licence?",
    ],
)
def test_new_questions_stand_as_asked(catalog: VendorCatalog, question: str) -> None:
    assert standalone_question(PREVIOUS, question, catalog) == question


def test_a_follow_up_to_a_question_without_vendor_adds_one(catalog: VendorCatalog) -> None:
    assert standalone_question("What is the uptime SLA?", "and for Anthropic?", catalog) == (
        "What is the uptime SLA for Anthropic?"
    )


def test_the_first_question_is_never_rewritten(catalog: VendorCatalog) -> None:
    assert standalone_question(None, "and for Qwen?", catalog) == "and for Qwen?"
