"""Vendor facts: the registry and eval tables as records, and the questions they answer exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.app import VendorIntel
from ingest.fact_readers import read_facts
from tests.builders import markdown, write

REGISTRY = """\
# Workflow registry
vendors:
  - name: Tencent
    aliases: [Hunyuan]
  - name: Alibaba Cloud
    aliases: [Qwen]
workflows:
  - name: contract clause extraction
    aliases: [clause extraction]
    criticality: critical
    owner: Legal Ops
    primary: {vendor: Anthropic, model: claude-sonnet-4}
    fallback: {vendor: Alibaba Cloud, model: qwen-max}
    sla: {uptime: "99.9%", latency_p95_ms: 5000}
    contract: {renewal: "2027-03-31", deprecation_notice_days: 90}

  - name: support ticket summarization
    criticality: critical
    primary: {vendor: Alibaba Cloud, model: qwen-max}
    fallback: {vendor: Alibaba Cloud, model: qwen-plus}

  - name: enterprise search answers
    criticality: critical
    primary: {vendor: Google, model: gemini-2.5-pro}

  - name: vendor news digest
    criticality: medium
    primary: {vendor: Tencent, model: hunyuan-turbo}
"""

EVALS = """\
Date,Vendor,Model,Version,Task,Metric,Score,P95 Latency (ms),USD per 1K tokens,Reviewer
2026-06-20,Alibaba Cloud,qwen-max,2026-06,support ticket summarization,rubric,0.87,1800,0.0028,ana
2026-07-22,Alibaba Cloud,qwen-max,2026-07,support ticket summarization,rubric,0.86,1750,0.0028,ana
2026-08-25,Alibaba Cloud,qwen-max,2026-08,support ticket summarization,rubric,0.80,1700,0.0028,ana
2026-09-01,Anthropic,claude-sonnet-4,20250514,contract clause extraction,f1,0.92,3400,0.0060,li
2026-09-01,Alibaba Cloud,qwen-max,2026-08,contract clause extraction,f1,0.88,2900,0.0028,li
2026-09-02,Alibaba Cloud,qwen-max,2026-08,contract clause extraction,f1,not run,,,li
"""


@pytest.fixture
def facts_inbox(intel: VendorIntel, inbox: Path) -> VendorIntel:
    write(inbox / "registry" / "workflows.yaml", REGISTRY)
    write(inbox / "evals" / "q3.csv", EVALS)
    write(
        inbox / "contracts" / "qwen.md",
        markdown("Qwen terms", "Alibaba Cloud keeps each pinned qwen-max snapshot for 12 months."),
    )
    write(inbox / "news" / "hunyuan.md", markdown("Hunyuan update", "Hunyuan got cheaper in May."))
    report = intel.ingest(progress=False)
    assert [w.reason for w in report.warnings] == [
        "eval columns not recognised (ignored): Reviewer",
        "row 7: needs a date, a model and a numeric score",
    ]
    return intel


def test_registry_yaml_records_keep_their_lines(tmp_path: Path) -> None:
    facts = read_facts(write(tmp_path / "r.yaml", REGISTRY), "registry/r.yaml", "registry")
    by_name = {w.name: w for w in facts.workflows}
    first = by_name["contract clause extraction"]
    assert (first.locator, first.fallback_model, first.fallback_vendor) == (
        "lines 8-15",
        "qwen-max",
        "Alibaba Cloud",
    )
    assert first.aliases == ["clause extraction"] and first.deprecation_notice_days == 90
    assert by_name["enterprise search answers"].fallback_model is None
    assert facts.vendor_aliases["Tencent"] == ["Hunyuan"]


def test_registry_csv_with_its_own_headers(tmp_path: Path) -> None:
    table = "Workflow,Criticality,Primary Vendor,Primary Model,Fallback Vendor,Fallback Model\n"
    table += "code review assistant,high,OpenAI,gpt-5,Anthropic,claude-sonnet-4\n"
    facts = read_facts(write(tmp_path / "reg.csv", table), "registry/reg.csv", "registry")
    (workflow,) = facts.workflows
    assert (workflow.name, workflow.fallback_model, workflow.locator) == (
        "code review assistant",
        "claude-sonnet-4",
        "row 2",
    )


def test_eval_header_variants_and_bad_rows(tmp_path: Path) -> None:
    facts = read_facts(write(tmp_path / "e.csv", EVALS), "evals/e.csv", "eval")
    assert len(facts.evals) == 5
    first = facts.evals[0]
    assert (first.workflow, first.latency_p95_ms, first.cost_per_1k_tokens, first.locator) == (
        "support ticket summarization",
        1800.0,
        0.0028,
        "row 2",
    )
    assert facts.problems == [
        "eval columns not recognised (ignored): Reviewer",
        "row 7: needs a date, a model and a numeric score",
    ]


def test_an_eval_table_without_scores_is_reported(tmp_path: Path) -> None:
    facts = read_facts(
        write(tmp_path / "e.jsonl", '{"date": "2026-01-01", "model": "x"}\n'), "e", "eval"
    )
    assert facts.evals == []
    facts = read_facts(
        write(tmp_path / "e.csv", "date,model,reviewer\n2026-01-01,x,ana\n"), "e", "eval"
    )
    assert facts.evals == []


def test_fallback_for_every_workflow_is_named_and_cited(facts_inbox: VendorIntel) -> None:
    answer = facts_inbox.ask("What is our fallback for contract clause extraction?")
    assert answer.answer.startswith(
        "The fallback for contract clause extraction is qwen-max from Alibaba Cloud; "
        "the primary is claude-sonnet-4 from Anthropic [1]."
    )
    assert (answer.citations[0].source, answer.citations[0].locator) == (
        "registry/workflows.yaml",
        "lines 8-15",
    )
    eval_rows = {c.locator for c in answer.citations if c.source == "evals/q3.csv"}
    assert eval_rows == {"row 5", "row 6"}  # the latest eval of the primary and of the fallback
    assert "renews on 2027-03-31, with 90 days' deprecation notice" in answer.answer


@pytest.mark.parametrize(
    ("workflow", "fallback"),
    [
        ("contract clause extraction", "qwen-max from Alibaba Cloud"),
        ("support ticket summarization", "qwen-plus from Alibaba Cloud"),
        ("vendor news digest", None),
        ("enterprise search answers", None),
    ],
)
def test_every_workflow_gets_its_own_fallback(
    facts_inbox: VendorIntel, workflow: str, fallback: str | None
) -> None:
    answer = facts_inbox.ask(f"What is our fallback for {workflow}?")
    if fallback:
        assert answer.answer.startswith(f"The fallback for {workflow} is {fallback};")
    else:
        assert answer.answer.startswith(f"No fallback model is recorded for {workflow}")
    registry = answer.citations[0]
    assert registry.source == "registry/workflows.yaml"
    assert f"name: {workflow}" in registry.quote


def test_a_loose_workflow_name_is_matched(facts_inbox: VendorIntel) -> None:
    answer = facts_inbox.ask("What is our fallback for the contracts workflow?")
    assert "The fallback for contract clause extraction is qwen-max" in answer.answer


def test_same_vendor_fallback_is_called_a_lock_in_risk(facts_inbox: VendorIntel) -> None:
    answer = facts_inbox.ask("What is the fallback for support ticket summarization?")
    assert "qwen-plus from Alibaba Cloud" in answer.answer
    assert "same vendor as the primary" in answer.answer and "lock-in risk" in answer.answer


def test_critical_workflows_without_a_fallback(facts_inbox: VendorIntel) -> None:
    answer = facts_inbox.ask("Which critical workflows have no fallback?")
    assert answer.answer.startswith(
        "Enterprise search answers (critical) runs on gemini-2.5-pro from Google and has no "
        "fallback model [1]. Support ticket summarization (critical) runs on qwen-max from "
        "Alibaba Cloud and falls back to qwen-plus from Alibaba Cloud, the same vendor as its "
        "primary: a lock-in risk [2]."
    )
    assert "vendor news digest" not in answer.answer  # not critical


def test_what_depends_on_a_vendor(facts_inbox: VendorIntel) -> None:
    answer = facts_inbox.ask("What breaks if Qwen has an outage?")
    assert (
        "If Alibaba Cloud is unavailable, support ticket summarization (critical) loses its "
        "primary qwen-max and its fallback qwen-plus is from Alibaba Cloud too" in answer.answer
    )
    assert (
        "Contract clause extraction (critical) would lose only its fallback qwen-max; its "
        "primary claude-sonnet-4 from Anthropic keeps running" in answer.answer
    )
    assert "enterprise search" not in answer.answer.lower()


def test_a_regression_after_an_update_is_flagged(facts_inbox: VendorIntel) -> None:
    answer = facts_inbox.ask(
        "Did quality drop for support ticket summarization after the last model update?"
    )
    # 0.87 -> 0.86 is within the 0.03 threshold; 0.86 -> 0.80 is not.
    assert "Regression: qwen-max fell by 0.06 after the update from version 2026-07 to 2026-08" in (
        answer.answer
    )
    assert answer.answer.count("Regression:") == 1
    cited_rows = {c.locator for c in answer.citations if c.source == "evals/q3.csv"}
    assert {"row 3", "row 4"} <= cited_rows


def test_rollback_names_the_previous_version_and_the_vendor_terms(facts_inbox: VendorIntel) -> None:
    answer = facts_inbox.ask(
        "Can we roll back support ticket summarization after the quality drop?"
    )
    assert "Version 2026-07 is the last good version to roll back to: it scored 0.86" in (
        answer.answer
    )
    terms = [c for c in answer.citations if c.source == "contracts/qwen.md"]
    assert terms and "keeps each pinned qwen-max snapshot for 12 months" in terms[0].quote
    assert f"snapshot for 12 months [{terms[0].n}]." in answer.answer


def test_an_unknown_workflow_is_not_recorded_and_nothing_is_invented(
    facts_inbox: VendorIntel,
) -> None:
    answer = facts_inbox.ask("What is our fallback for payroll chatbot?")
    assert answer.status == "insufficient_evidence"
    assert answer.answer.startswith(
        "No workflow matching your question is recorded in the registry"
    )
    assert "The closest recorded workflows are" in answer.answer
    assert "qwen" not in answer.answer.split("closest")[0]


def test_registry_aliases_name_vendors_in_documents(facts_inbox: VendorIntel) -> None:
    docs = {d.source: d for d in facts_inbox.documents()}
    assert docs["news/hunyuan.md"].vendors == ["Tencent"]


def test_facts_cli_lists_records(facts_inbox: VendorIntel) -> None:
    workflows = facts_inbox.workflows(vendor="Qwen")
    assert [w.name for w in workflows] == [
        "contract clause extraction",
        "support ticket summarization",
    ]
    evals = facts_inbox.evals(workflow="contract")
    assert [(e.model, e.locator) for e in evals] == [
        ("claude-sonnet-4", "row 5"),
        ("qwen-max", "row 6"),
    ]


def test_facts_are_read_for_an_index_built_before_they_existed(
    make_intel,
    settings,
    inbox: Path,  # type: ignore[no-untyped-def]
) -> None:
    write(inbox / "registry" / "workflows.yaml", REGISTRY)
    first = make_intel(settings)
    first.ingest(progress=False)
    first.close()
    settings.facts_path.unlink()  # as left by a version that kept no facts

    reopened = make_intel(settings)
    report = reopened.ingest(progress=False)

    assert report.unchanged == 1 and not report.changed
    assert [w.name for w in reopened.workflows()][:1] == ["contract clause extraction"]


def test_an_edited_registry_replaces_its_own_records_and_keeps_the_evals(
    facts_inbox: VendorIntel, inbox: Path
) -> None:
    edited = REGISTRY.replace("name: contract clause extraction", "name: clause review")
    write(inbox / "registry" / "workflows.yaml", edited)

    facts_inbox.ingest(progress=False)

    names = [w.name for w in facts_inbox.workflows()]
    assert "clause review" in names and "contract clause extraction" not in names
    assert len(facts_inbox.evals()) == 5


def test_a_deleted_registry_takes_its_records_along(facts_inbox: VendorIntel) -> None:
    assert facts_inbox.remove_document("registry/workflows.yaml")

    assert facts_inbox.workflows() == []
    assert len(facts_inbox.evals()) == 5


def test_a_changed_registry_is_read_from_disk_once_per_ingestion(
    intel: VendorIntel, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = write(inbox / "registry" / "workflows.yaml", REGISTRY)
    reads: list[Path] = []
    read_bytes = Path.read_bytes

    def counted(path: Path) -> bytes:
        if path.name == registry.name:
            reads.append(path)
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", counted)
    report = intel.ingest(progress=False)

    assert report.added == 1 and len(reads) == 1
    assert report.learned.aliases["Tencent"] == ["Hunyuan"]
    assert intel.catalog.canonical("Hunyuan") == "Tencent"
