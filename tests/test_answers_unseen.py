"""Answers on an inbox the product was not written against: a CSV registry with a vendors
table beside it, eval sheets with their own column names on a 0-100 scale, a bake-off, news
with tables, and contracts for some vendors only. Each test asks in words of its own."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.app import VendorIntel
from tests.builders import markdown, write

REGISTRY_COLUMNS = (
    "workflow,title,criticality,owner,primary_vendor,primary_model,primary_hosting,"
    "backup_vendor,backup_model,backup_hosting,uptime_target,p95_target_ms,renewal,notice_days"
)
WORKFLOWS = "\n".join(
    [
        REGISTRY_COLUMNS,
        "parcel-eta-explainer,Parcel ETA explainer,critical,Ops,Mistral AI,mistral-large-3,api,"
        "Anthropic,claude-haiku-4-6,api,99.9,2500,2027-04-30,90",
        "customs-form-reader,Customs form reader,critical,Trade,Google,gemini-3-pro,api,,,,99.5,"
        "8000,2027-01-31,90",
        "driver-chat,Driver chat assistant,high,Fleet,OpenAI,gpt-5.1-mini,api,OpenAI,gpt-5.1-nano,"
        "api,99.5,3000,2026-12-31,120",
        "depot-notes,Depot note summaries,medium,Depots,Alibaba Cloud,qwen3.5-32b-instruct,"
        "self-hosted,Google,gemini-3-flash,api,99.0,6000,,",
    ]
)
VENDORS = """\
name,aliases,agreement
Mistral AI,Mistral;Le Chat,API agreement
Anthropic,Claude,API agreement
Google,Gemini;Vertex AI,Cloud commit
OpenAI,GPT,Enterprise API
Alibaba Cloud,Qwen;Tongyi,open weights
"""
JUNE = """\
run_day,supplier,model_id,build,process,kpi,outcome,latency_p95,usd_per_1k_tok
2026-06-10,Mistral AI,mistral-large-3,2605,parcel-eta-explainer,accuracy,88.0,2100,0.0027
2026-06-10,Anthropic,claude-haiku-4-6,20260301,parcel-eta-explainer,accuracy,86.5,1500,0.0018
2026-06-10,Google,gemini-3-pro,001,customs-form-reader,field_f1,91.0,7000,0.0065
2026-06-10,OpenAI,gpt-5.1-mini,2026-05-01,driver-chat,helpfulness,80.0,2000,0.0007
"""
JULY = """\
run_day,supplier,model_id,build,process,kpi,outcome,latency_p95,usd_per_1k_tok
2026-07-12,Mistral AI,mistral-large-3,2607,parcel-eta-explainer,accuracy,81.5,2900,0.0027
2026-07-12,Mistral AI,mistral-large-3,2605,parcel-eta-explainer,accuracy,87.9,2150,0.0027
2026-07-12,Anthropic,claude-haiku-4-6,20260301,parcel-eta-explainer,accuracy,86.8,1450,0.0018
2026-07-12,Google,gemini-3-pro,001,customs-form-reader,field_f1,90.6,7100,0.0052
2026-07-12,OpenAI,gpt-5.1-mini,2026-05-01,driver-chat,helpfulness,79.6,2050,0.0007
"""
BAKEOFF = [
    {"date": "2026-08-01", "workflow": "driver-chat", "model": "gpt-5.1-mini", "vendor": "OpenAI",
     "hosting": "api", "role": "incumbent", "metric": "helpfulness", "score": 80.2,
     "cost_per_1k_tokens": 0.0007, "parity_margin_pts": 1.0},
    {"date": "2026-08-01", "workflow": "driver-chat", "model": "qwen3.5-32b-instruct",
     "vendor": "Alibaba Cloud", "hosting": "self-hosted", "role": "candidate",
     "metric": "helpfulness", "score": 79.6, "cost_per_1k_tokens": 0.0003,
     "parity_margin_pts": 1.0},
]  # fmt: skip
PRICES = """\
Output prices moved little this quarter.

| Model | Input per million | Output per million |
|---|---|---|
| mistral-large-3 | $1.80 | $5.40 |
| claude-haiku-4-6 | $0.80 | $4.00 |
"""
DEAL = (
    "Harbourline Logistics signed a three-year agreement with Mistral AI for its parcel "
    "network. The contract is worth EUR 14 million over its term, according to two people "
    "familiar with it. Analysts expect other carriers to follow."
)
ROADMAP_DATED = (
    "Mistral AI model milestones for the next quarters: mistral-large-4 preview in 2027-02 and "
    "general availability in 2027-03. Tooling milestones: snapshot pinning in 2026-12 and a "
    "batch API in 2027-06."
)
ROADMAP_VAGUE = (
    "Google said it will keep improving Gemini for enterprises and will share more details "
    "about future models over the coming year, without giving dates."
)
CLAUDE_TERMS = (
    "Anthropic gives a 5% service credit below 99.9% monthly availability and 15% below 99.5%. "
    "Superseded snapshots stay callable for nine months after a successor ships."
)


@pytest.fixture
def unseen(intel: VendorIntel, inbox: Path) -> VendorIntel:
    write(inbox / "registry" / "workflows.csv", WORKFLOWS)
    write(inbox / "registry" / "vendors.csv", VENDORS)
    write(inbox / "evals" / "june.csv", JUNE)
    write(inbox / "evals" / "july.csv", JULY)
    write(inbox / "evals" / "bakeoff.jsonl", "\n".join(json.dumps(r) for r in BAKEOFF) + "\n")
    write(inbox / "news" / "prices.md", markdown("Q2 list prices", PRICES))
    write(inbox / "news" / "deal.md", markdown("Harbourline signs Mistral deal", DEAL))
    write(inbox / "roadmaps" / "mistral.md", markdown("Mistral AI roadmap briefing", ROADMAP_DATED))
    write(inbox / "roadmaps" / "google.md", markdown("Google on what comes next", ROADMAP_VAGUE))
    write(inbox / "contracts" / "anthropic.md", markdown("Anthropic terms", CLAUDE_TERMS))
    intel.ingest(progress=False)
    return intel


RAW_ROW = re.compile(r"\b\w+: [^;.]+; \w+: ")


def readable(text: str) -> bool:
    """No pasted 'key: value; key: value' row and no flattened YAML item."""
    return not RAW_ROW.search(text) and "- name:" not in text


def test_a_vendors_table_beside_the_registry_is_read_as_vendors(unseen: VendorIntel) -> None:
    assert sorted(w.name for w in unseen.workflows()) == [
        "customs-form-reader", "depot-notes", "driver-chat", "parcel-eta-explainer",
    ]  # fmt: skip
    assert unseen.catalog.canonical("Tongyi") == "Alibaba Cloud"


def test_eval_sheets_with_their_own_column_names_map_to_the_same_fields(
    unseen: VendorIntel,
) -> None:
    first = unseen.evals(workflow="customs-form-reader")[0]
    assert (first.version, first.metric, first.score, first.latency_p95_ms) == (
        "001", "field_f1", 91.0, 7000.0,
    )  # fmt: skip
    assert first.cost_per_1k_tokens == 0.0065


def test_a_paraphrased_fallback_question_names_the_backup(unseen: VendorIntel) -> None:
    answer = unseen.ask(
        "If Mistral stopped answering, which model would take over the parcel ETA explainer?"
    )
    assert "claude-haiku-4-6 from Anthropic" in answer.answer
    assert answer.citations[0].source == "registry/workflows.csv"
    assert readable(answer.answer)


def test_the_owner_asked_for_is_the_registrys(unseen: VendorIntel) -> None:
    answer = unseen.ask("Who owns the customs form reader, and what is its backup?")
    assert answer.answer.startswith("customs-form-reader is owned by Trade [1].")
    assert "No fallback model is recorded for customs-form-reader" in answer.answer
    listed = unseen.ask("Which critical workflows lack a backup model, and who owns them?")
    assert "has no fallback model; its owner is Trade" in listed.answer


def test_workflows_ranked_by_a_registry_term(unseen: VendorIntel) -> None:
    renews = unseen.ask("Which contract renews next?")
    assert renews.answer.startswith(
        "driver-chat (OpenAI) has the earliest contract renewal in the registry: on 2026-12-31 "
        "[1]. Next: customs-form-reader (Google), on 2027-01-31 [2]."
    )
    strict = unseen.ask("Which workflow has the strictest latency target?")
    assert strict.answer.startswith(
        "parcel-eta-explainer (Mistral AI) has the lowest p95 latency target in the registry: "
        "2500 ms [1]."
    )
    notice = unseen.ask("Which vendor gives us the longest deprecation notice?")
    assert notice.answer.startswith(
        "driver-chat (OpenAI) has the longest deprecation notice in the registry: 120 days [1]."
    )
    risk = unseen.ask("Which workflows are most at risk if Google goes down, and their uptime?")
    assert "in the registry:" not in risk.answer  # "most" ranks nothing here


def test_critical_workflows_without_a_backup_are_listed(unseen: VendorIntel) -> None:
    answer = unseen.ask("Which critical workflows lack a backup model?")
    assert "customs-form-reader" in answer.answer and "has no fallback model" in answer.answer
    assert "driver-chat" not in answer.answer  # high, not critical


def test_no_backup_at_all_and_a_same_vendor_backup_are_told_apart(unseen: VendorIntel) -> None:
    none = unseen.ask("Which workflows have no backup at all?")
    assert none.answer.startswith("customs-form-reader (Customs form reader, critical) runs on")
    assert "has no fallback model [1]. driver-chat" in none.answer
    assert "the same vendor as its primary: a lock-in risk" in none.answer
    same = unseen.ask("Which workflows fall back to a model from the same vendor?")
    assert "driver-chat" in same.answer and "customs-form-reader" not in same.answer


def test_an_outage_separates_lost_primaries_from_lost_fallbacks(unseen: VendorIntel) -> None:
    answer = unseen.ask("What happens to our workflows if Google goes down for a day?")
    assert "customs-form-reader (Customs form reader) (critical) loses its primary" in answer.answer
    assert (
        "depot-notes (Depot note summaries) (medium) would lose only its fallback" in answer.answer
    )


def test_an_outage_asked_for_critical_workflows_names_those_that_stop(
    unseen: VendorIntel,
) -> None:
    answer = unseen.ask("Which critical workflows would stop if Google went down?")
    assert answer.answer.startswith(
        "If Google is unavailable, customs-form-reader (Customs form reader) (critical) loses "
        "its primary gemini-3-pro and has no fallback, so it stops"
    )
    assert "depot-notes" not in answer.answer  # medium


def test_a_question_about_a_vendors_news_is_not_answered_from_the_registry(
    unseen: VendorIntel,
) -> None:
    answer = unseen.ask("How large is the Harbourline contract with Mistral AI?")
    assert "Harbourline Logistics signed" in answer.answer
    assert "parcel-eta-explainer" not in answer.answer
    assert [c.source for c in answer.citations] == ["news/deal.md"]


def test_a_regression_is_a_drop_between_two_versions_on_the_scale_of_the_metric(
    unseen: VendorIntel,
) -> None:
    answer = unseen.ask(
        "Did quality fall after the latest model update on the parcel ETA explainer?"
    )
    assert "Regression: mistral-large-3 fell by 6.4 after the update from version 2605 to 2607" in (
        answer.answer
    )
    # gemini-3-pro lost 0.4 points on one version, gpt-5.1-mini 0.4: neither is a regression
    assert answer.answer.count("Regression:") == 1


def test_the_same_version_is_never_a_regression(unseen: VendorIntel) -> None:
    answer = unseen.ask("Did quality drop for the customs form reader after its last update?")
    assert "Regression" not in answer.answer
    assert "91 on 2026-06-10 and 90.6 on 2026-07-12" in answer.answer


def test_rollback_names_the_last_good_version(unseen: VendorIntel) -> None:
    answer = unseen.ask(
        "The parcel ETA explainer got worse after its model update: can we roll back?"
    )
    assert "Version 2605 is the last good version to roll back to: it scored 87.9" in answer.answer


def test_a_month_that_names_a_version_is_not_a_period(unseen: VendorIntel) -> None:
    answer = unseen.ask(
        "Can we roll back the parcel ETA explainer to the June build of Mistral Large 3?"
    )
    assert "Version 2605 is the last good version to roll back to: it scored 87.9" in answer.answer
    # Mistral AI has no contract here: no other document's sentence stands in for its terms.
    assert answer.answer.endswith(
        "No contract in the inbox says how long Mistral AI keeps mistral-large-3-2605 callable."
    )


def test_asked_whether_a_score_rose_the_answer_says_it_fell(unseen: VendorIntel) -> None:
    answer = unseen.ask(
        "Did accuracy rise after the Mistral Large 3 update on the parcel ETA explainer?"
    )
    assert answer.answer.startswith("No rise after an update is recorded for mistral-large-3")
    assert "Regression: mistral-large-3 fell by 6.4" in answer.answer


def test_a_month_without_a_run_has_no_scores(unseen: VendorIntel) -> None:
    answer = unseen.ask("What did the customs form reader score in the March eval run?")
    assert answer.status == "insufficient_evidence"
    # ... and no other month's figures from the documents after it
    assert answer.answer == (
        "No eval run is recorded for 2026-03; the runs on record are from 2026-06-10 and "
        "2026-07-12."
    )


def test_a_price_change_between_runs_is_found(unseen: VendorIntel) -> None:
    answer = unseen.ask("Did any model get cheaper per 1k tokens between the June and July runs?")
    assert "gemini-3-pro on customs-form-reader went from USD 0.0065" in answer.answer
    assert "mistral-large-3" not in answer.answer


def test_primary_and_fallback_compared_in_one_run(unseen: VendorIntel) -> None:
    answer = unseen.ask(
        "How does the parcel ETA explainer's backup compare with its primary in July?"
    )
    assert "In the eval run of 2026-07-12 on parcel-eta-explainer (accuracy)" in answer.answer
    assert "claude-haiku-4-6 86.8" in answer.answer


def test_the_bake_off_says_whether_a_self_hosted_model_reaches_parity(unseen: VendorIntel) -> None:
    answer = unseen.ask("Could a self-hosted open-weights model replace the driver chat model?")
    assert "qwen3.5-32b-instruct at 79.6" in answer.answer
    assert "within the 1-point parity margin" in answer.answer


def test_a_table_row_is_said_as_a_sentence(unseen: VendorIntel) -> None:
    answer = unseen.ask(
        "What is the output price per million tokens of mistral-large-3 in the Q2 list prices?"
    )
    assert "For model mistral-large-3, input per million $1.80, output per million $5.40" in (
        answer.answer
    )
    assert "|" not in answer.answer


def test_every_part_of_a_compound_question_is_answered(unseen: VendorIntel) -> None:
    answer = unseen.ask("Who signed the agreement with Mistral AI, and what is the contract worth?")
    assert "Harbourline Logistics signed" in answer.answer
    assert "EUR 14 million" in answer.answer


def test_a_vendor_with_no_contract_gets_no_borrowed_terms(unseen: VendorIntel) -> None:
    answer = unseen.ask("What service credits does our Mistral AI contract give for downtime?")
    assert answer.status == "insufficient_evidence"
    assert "no contract document about Mistral AI" in answer.answer
    claude = unseen.ask("What service credits does our Claude contract give for downtime?")
    assert claude.status == "answered" and "15%" in claude.answer


def test_a_descriptive_hyphenated_word_does_not_cause_a_refusal(unseen: VendorIntel) -> None:
    answer = unseen.ask(
        "What is the per-1K-token output price of claude-haiku-4-6 in the list prices?"
    )
    assert answer.status == "answered"
    assert "$4.00" in answer.answer


def test_roadmap_checkpoints_weigh_dated_milestones(unseen: VendorIntel) -> None:
    briefing = unseen.run_checkpoints(["Mistral AI", "Google", "OpenAI"])
    roadmap = {v.vendor: v.checkpoints[0].status for v in briefing.vendors}
    assert roadmap == {"Mistral AI": "evidence", "Google": "partial", "OpenAI": "gap"}


def test_open_weights_checkpoint_from_the_bake_off_and_hosting(unseen: VendorIntel) -> None:
    briefing = unseen.run_checkpoints(["OpenAI", "Alibaba Cloud", "Google"])
    open_source = {v.vendor: v.checkpoints[3].status for v in briefing.vendors}
    assert open_source == {"OpenAI": "evidence", "Alibaba Cloud": "evidence", "Google": "gap"}


def test_a_model_the_records_do_not_hold_is_not_answered_from_another_version(
    unseen: VendorIntel,
) -> None:
    answer = unseen.ask("What will Mistral Large 4 cost per 1k tokens?")
    assert "mistral-large-3" not in answer.answer
    assert not any(c.source.startswith("evals/") for c in answer.citations)
