"""The 90-day checkpoint briefing: statuses the documents support, citations, changes, formats."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.app import VendorIntel
from assistant.briefing.checkpoints import Briefing
from assistant.briefing.render import render
from assistant.core.settings import Settings
from assistant.shells.api import create_app
from tests.builders import markdown, write

REGISTRY = """\
vendors:
  - name: Alibaba Cloud
    aliases: [Qwen]
  - name: Google
    aliases: [Gemini]
  - name: Baidu
    aliases: [ERNIE]
workflows:
  - name: support ticket summarization
    criticality: critical
    primary: {vendor: Alibaba Cloud, model: qwen-max}
    fallback: {vendor: Google, model: gemini-2.5-flash}
  - name: enterprise search answers
    criticality: critical
    primary: {vendor: Google, model: gemini-2.5-pro}
"""
TODAY = date(2026, 11, 29)  # staleness is judged against this day, not the clock
EVALS = """\
date,vendor,model,version,workflow,metric,score,latency_p95_ms,cost_per_1k_tokens
2026-06-20,Alibaba Cloud,qwen-max,2026-06,support ticket summarization,rubric,0.87,1800,0.0028
2026-08-25,Alibaba Cloud,qwen-max,2026-08,support ticket summarization,rubric,0.81,1700,0.0028
2026-09-22,Google,gemini-2.5-pro,ga-2025-06,enterprise search answers,accuracy,0.89,2700,0.0034
"""


def build(inbox: Path) -> None:
    write(inbox / "registry" / "workflows.yaml", REGISTRY)
    write(inbox / "evals" / "q3.csv", EVALS)
    write(
        inbox / "roadmaps" / "qwen.md",
        markdown(
            "Qwen roadmap",
            "Alibaba Cloud plans a new Qwen flagship model milestone in 2027 Q1. "
            "Alibaba Cloud plans agent tooling milestones for Model Studio in 2027 Q2.",
            doc_type="roadmap",
            published="2026-10-20",
            vendors=["Alibaba Cloud"],
        ),
    )
    write(
        inbox / "articles" / "qwen-open.md",
        markdown(
            "Qwen open weights",
            "Open weights Qwen models served in-house could cut inference cost by two thirds "
            "without losing quality on summarization.",
            published="2026-05-02",
        ),
    )
    write(
        inbox / "articles" / "ernie-open.md",
        markdown(
            "ERNIE open weights",
            "Open weights ERNIE models served in-house could cut inference cost without losing "
            "quality on Chinese-language tasks.",
            published="2025-07-05",
        ),
    )


@pytest.fixture
def briefed(intel: VendorIntel, inbox: Path) -> VendorIntel:
    build(inbox)
    assert intel.ingest(progress=False).ok
    return intel


def statuses(briefing: Briefing) -> dict[str, list[str]]:
    return {v.vendor: [c.status for c in v.checkpoints] for v in briefing.vendors}


def checkpoint(briefing: Briefing, vendor: str, number: int):  # type: ignore[no-untyped-def]
    (found,) = [
        c for v in briefing.vendors if v.vendor == vendor for c in v.checkpoints if c.id == number
    ]
    return found


def test_statuses_follow_what_the_documents_support(briefed: VendorIntel) -> None:
    briefing = briefed.run_checkpoints(today=TODAY)

    assert statuses(briefing) == {
        "Alibaba Cloud": ["evidence", "evidence", "evidence", "evidence"],
        "Google": ["gap", "gap", "partial", "gap"],
        "Baidu": ["gap", "evidence", "gap", "evidence"],
    }
    roadmap = checkpoint(briefing, "Alibaba Cloud", 1)
    assert [c.source for c in roadmap.citations] == ["roadmaps/qwen.md"]
    assert "2027 Q1" in roadmap.answer
    assert checkpoint(briefing, "Baidu", 1).answer == (
        "No evidence: no roadmap document from Baidu in the inbox (add one under roadmaps/)."
    )
    no_fallback = checkpoint(briefing, "Google", 2)
    assert no_fallback.answer.startswith(
        "Enterprise search answers (critical) runs on gemini-2.5-pro with no fallback [1]."
    )
    assert no_fallback.citations[0].locator.startswith("lines ")
    evals = checkpoint(briefing, "Alibaba Cloud", 3)
    assert (
        "versions 2026-06, 2026-08" in evals.answer
        and "2026-06 is a tested rollback target" in evals.answer
    )


def test_every_statement_is_cited(briefed: VendorIntel) -> None:
    for vendor in briefed.run_checkpoints(today=TODAY).vendors:
        for c in vendor.checkpoints:
            if c.status != "gap":
                assert c.citations, (vendor.vendor, c.id)
                assert all(f"[{n.n}]" in c.answer for n in c.citations)


def test_evidence_older_than_the_limit_is_flagged_stale(briefed: VendorIntel) -> None:
    briefing = briefed.run_checkpoints(today=TODAY)
    old = checkpoint(briefing, "Baidu", 4)
    assert (old.newest_source_date, old.stale) == ("2025-07-05", True)
    assert checkpoint(briefing, "Alibaba Cloud", 1).stale is False


def test_a_second_run_lists_exactly_what_changed(briefed: VendorIntel, inbox: Path) -> None:
    first = briefed.run_checkpoints(today=TODAY)
    assert first.changes == ["First briefing: nothing to compare with."]
    assert briefed.run_checkpoints(today=TODAY).changes == [
        "No change since the previous briefing."
    ]

    write(
        inbox / "roadmaps" / "ernie.md",
        markdown("ERNIE roadmap", "Baidu plans ERNIE 5 model milestones in 2027 Q2.",
                 doc_type="roadmap", published="2026-11-01", vendors=["Baidu"]),
    )  # fmt: skip
    briefed.ingest(progress=False)

    assert briefed.run_checkpoints(today=TODAY).changes == [
        "Baidu, checkpoint 1: gap -> partial.",  # one dated milestone: not yet a roadmap
        "Baidu, checkpoint 1: new source(s) roadmaps/ernie.md.",
    ]


def test_json_markdown_and_html(briefed: VendorIntel) -> None:
    briefing = briefed.run_checkpoints(["Qwen"], today=TODAY)

    data = json.loads(render(briefing, "json"))
    assert set(data) == {"generated_at", "vendors", "changes"}
    (vendor,) = data["vendors"]
    assert set(vendor) == {"vendor", "checkpoints", "metrics", "summary", "signals"}
    assert vendor["vendor"] == "Alibaba Cloud"
    assert vendor["summary"] is None  # written only by a language model
    assert [c["id"] for c in vendor["checkpoints"]] == [1, 2, 3, 4]
    assert set(vendor["checkpoints"][0]) == {
        "id", "question", "status", "answer", "citations", "newest_source_date", "stale"
    }  # fmt: skip
    assert vendor["metrics"][0]["name"] == "qwen-max on support ticket summarization"
    assert vendor["metrics"][0]["citation"]["locator"] == "row 3"

    text = render(briefing, "md")
    assert (
        "| Alibaba Cloud | 🟢 evidence | 🟢 evidence | 🟢 evidence | 🟢 evidence (stale) |" in text
    )
    assert "- [1] Qwen roadmap — roadmaps/qwen.md" in text

    page = render(briefing, "html")
    assert page.startswith("<!doctype html>") and "@media print" in page
    assert "<script" not in page and "src=" not in page and "href=" not in page


def test_the_api_and_the_cli_run_the_same_briefing(
    make_intel: Callable[[Settings], VendorIntel], settings: Settings, briefed: VendorIntel
) -> None:
    with TestClient(create_app(settings, with_chat=False, intel=briefed)) as client:
        response = client.get("/api/checkpoints", params={"vendor": "Baidu", "format": "json"})
        assert response.status_code == 200
        assert [v["vendor"] for v in response.json()["vendors"]] == ["Baidu"]
        html = client.get("/api/checkpoints", params={"format": "html"})
        assert html.headers["content-type"].startswith("text/html")
