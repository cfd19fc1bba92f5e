"""Standing questions: a followed answer is re-checked when its evidence changes, and each
change names its kind and the document that caused it; other questions cost nothing."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.app import VendorIntel
from assistant.core.errors import NotFoundError
from assistant.core.models import Answer
from assistant.core.settings import Settings
from tests.builders import markdown, write
from tests.conftest import SAMPLES

FALLBACK = "What is our fallback for contract clause extraction?"
REGRESSION = "Did quality drop for support ticket summarization after the last model update?"
NOT_YET = "How much does Mistral charge for Mistral Large per 1K tokens?"

RETIREMENT = markdown(
    "Alibaba Cloud notice: qwen-max retirement",
    "Alibaba Cloud notified Northwind that the qwen-max model is retired on 2027-01-31, after "
    "which the qwen-max API stops answering.\n\nAlibaba Cloud recommends qwen3-max as its "
    "replacement.",
    doc_type="contract",
    published="2026-11-25",
    vendors=["Alibaba Cloud"],
)
NOVEMBER_EVALS = (
    "date,vendor,model,version,workflow,metric,score,latency_p95_ms,cost_per_1k_tokens,notes\n"
    "2026-11-20,Alibaba Cloud,qwen-max,2026-11,support ticket summarization,rubric_score,"
    "0.72,1700,0.0028,after the November update\n"
)
MISTRAL_PRICES = markdown(
    "Mistral cuts prices",
    "Mistral charges USD 0.002 per 1K tokens for Mistral Large since November 2026, down from "
    "USD 0.006.",
    published="2026-11-26",
    vendors=["Mistral AI"],
)
OFFICE_MOVE = markdown(
    "Office move",
    "Northwind's London office moves to Canary Wharf in March. The new office has room for 400 "
    "staff and a larger cafeteria.",
    published="2026-11-20",
)


def northwind_inbox(inbox: Path) -> None:
    """The sample registry, eval sheet and Alibaba Cloud contract, and two articles."""
    for source in (
        "registry/workflows.yaml",
        "evals/model-evals-2026-q3.csv",
        "contracts/alibaba-cloud-sla.md",
        "articles/deepseek-r1-pricing.md",
        "articles/qwen3-open-weights.md",
    ):
        (inbox / source).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLES / source, inbox / source)


@pytest.fixture
def followed(intel: VendorIntel, inbox: Path) -> VendorIntel:
    northwind_inbox(inbox)
    assert intel.ingest(progress=False).ok
    for question in (FALLBACK, REGRESSION, NOT_YET):
        intel.watchlist.follow(question)
    return intel


def drop(intel: VendorIntel, inbox: Path, source: str, text: str) -> None:
    path = write(inbox / source, text)
    assert intel.ingest([path], progress=False).ok


def last_change(intel: VendorIntel, question: str) -> tuple[list[str], list[str], str]:
    (found,) = [f for f in intel.watchlist.followed() if f.question == question]
    assert found.last_change is not None, f"no change recorded for {question!r}"
    change = found.last_change
    return list(change.kinds), [c.source for c in change.causes], change.summary


def count_answers(intel: VendorIntel, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The questions the watchlist re-answers from now on."""
    asked: list[str] = []
    reader = intel.watchlist.reader

    def counted(question: str, vendor: str | None) -> Answer:
        asked.append(question)
        return reader.ask(question, vendor)

    monkeypatch.setattr(intel.watchlist, "reader", replace(reader, ask=counted))
    return asked


def test_a_followed_answer_keeps_its_answer_and_citations(followed: VendorIntel) -> None:
    fallback, regression, not_yet = followed.watchlist.followed()

    assert "qwen-max" in fallback.answer.answer and fallback.answer.citations
    assert "0.87" in regression.answer.answer and "0.81" in regression.answer.answer
    assert not_yet.answer.status == "insufficient_evidence"
    assert all(f.last_change is None for f in (fallback, regression, not_yet))


def test_each_causing_document_changes_its_answer_and_an_unrelated_one_costs_nothing(
    followed: VendorIntel, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = count_answers(followed, monkeypatch)
    drop(followed, inbox, "articles/office-move.md", OFFICE_MOVE)
    assert asked == [] and all(f.last_change is None for f in followed.watchlist.followed())

    drop(followed, inbox, "contracts/qwen-max-retirement.md", RETIREMENT)
    kinds, causes, summary = last_change(followed, FALLBACK)
    assert "figure" in kinds and "citation" in kinds
    assert causes == ["contracts/qwen-max-retirement.md"]
    assert "retired on 2027-01-31" in summary and "contracts/qwen-max-retirement.md" in summary

    drop(followed, inbox, "evals/support-evals-2026-11.csv", NOVEMBER_EVALS)
    kinds, causes, summary = last_change(followed, REGRESSION)
    assert "figure" in kinds and causes == ["evals/support-evals-2026-11.csv"]
    assert "0.72" in summary and "row 2" in summary

    drop(followed, inbox, "articles/mistral-prices.md", MISTRAL_PRICES)
    kinds, causes, summary = last_change(followed, NOT_YET)
    assert "figure" in kinds and causes == ["articles/mistral-prices.md"]
    assert "USD 0.002 per 1K tokens" in summary
    history = followed.watchlist.history(followed.watchlist.followed()[0].id)
    assert [c.causes[0].source for c in history.changes] == ["contracts/qwen-max-retirement.md"]


def test_deleting_the_causing_document_changes_the_answer_back(
    followed: VendorIntel, inbox: Path
) -> None:
    drop(followed, inbox, "contracts/qwen-max-retirement.md", RETIREMENT)
    before = followed.watchlist.followed()[0].answer

    assert followed.remove_document("contracts/qwen-max-retirement.md")

    (fallback, *_) = followed.watchlist.followed()
    assert fallback.last_change is not None
    assert fallback.last_change.before == before
    assert "2027-01-31" not in fallback.answer.answer
    (cause,) = fallback.last_change.causes
    assert (cause.source, cause.change) == ("contracts/qwen-max-retirement.md", "deleted")
    assert "Deleted: contracts/qwen-max-retirement.md" in fallback.last_change.summary


def test_what_is_followed_survives_a_restart_and_a_missed_recheck_runs_at_the_next(
    make_intel: Callable[[Settings], VendorIntel], settings: Settings, inbox: Path
) -> None:
    northwind_inbox(inbox)
    first = make_intel(settings)
    first.ingest(progress=False)
    first.watchlist.follow(FALLBACK)
    # The index changes with nothing re-checking it (as when the process dies in between).
    write(inbox / "contracts" / "qwen-max-retirement.md", RETIREMENT)
    first.ingestor.ingest(first.catalog, None, progress=False)
    first.close()

    second = make_intel(settings)
    second.ingest(progress=False)  # nothing new to index; the re-check still runs

    (fallback,) = second.watchlist.followed()
    assert fallback.question == FALLBACK and fallback.last_change is not None
    assert [c.source for c in fallback.last_change.causes] == ["contracts/qwen-max-retirement.md"]


def test_a_followed_briefing_changes_when_a_roadmap_closes_its_gap(
    intel: VendorIntel, inbox: Path
) -> None:
    northwind_inbox(inbox)
    intel.ingest(progress=False)
    briefing = intel.watchlist.follow_checkpoints("Alibaba Cloud")
    assert briefing.kind == "checkpoints" and briefing.statuses
    roadmap = SAMPLES / "roadmaps" / "qwen-roadmap-briefing.md"
    drop(intel, inbox, "roadmaps/qwen-roadmap-briefing.md", roadmap.read_text("utf-8"))

    (after,) = intel.watchlist.followed()
    assert after.last_change is not None and "status" in after.last_change.kinds
    assert any("roadmap" in line.lower() and "gap ->" in line for line in after.last_change.details)
    assert "roadmaps/qwen-roadmap-briefing.md" in after.last_change.summary


def test_unfollowing_an_unknown_id_says_how_to_list_them(intel: VendorIntel) -> None:
    with pytest.raises(NotFoundError, match="watchlist list"):
        intel.watchlist.unfollow(99)
