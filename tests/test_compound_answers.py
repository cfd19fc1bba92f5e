"""Answers that take more than one sentence to get right: questions in several parts, two
vendors compared, tables read across chunks and formats, evidence that says a fact is not
known, and questions for the checkpoint list itself. The inbox is a health insurer's, written
for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.app import VendorIntel
from tests.builders import markdown, write, write_docx, write_pdf

REGISTRY = """\
# Tidewater Health AI workflow registry. Owner: AI Office. Last reviewed 2026-11-12.
workflows:
  - name: claim-letter-drafting
    criticality: critical
    primary: {vendor: Anthropic, model: claude-sonnet-4-6}
    fallback: {vendor: Google, model: gemini-3-flash}
  - name: triage-notes
    criticality: high
    primary: {vendor: OpenAI, model: gpt-5.1}
"""
EVALS = """\
date,vendor,model,version,workflow,metric,score,latency_p95_ms
2026-10-05,Anthropic,claude-sonnet-4-6,20260611,claim-letter-drafting,accuracy,80.0,3000
2026-11-05,Anthropic,claude-sonnet-4-6,20260611,claim-letter-drafting,accuracy,80.4,3050
2026-11-05,Anthropic,claude-sonnet-4-6,20260903,claim-letter-drafting,accuracy,84.0,2900
2026-11-05,OpenAI,gpt-5.1,2026-07-22,triage-notes,accuracy,90.0,2000
2026-11-05,OpenAI,gpt-5.1,2026-10-01,triage-notes,accuracy,84.0,1900
"""
ANTHROPIC_TERMS = """\
Service credits are a share of that month's fees.

| Monthly availability | Service credit |
|---|---|
| 99.5% to below 99.9% | 5% |
| 99.0% to below 99.5% | 15% |
| below 99.0% | 30% |
"""
GOOGLE_TERMS = """\
Service credits are a share of the monthly Vertex AI charges in the affected region.

| Monthly uptime | Service credit |
|---|---|
| 99.0% to below 99.5% | 10% |
| below 99.0% | 25% |
"""
OPENAI_TERMS = """\
OpenAI gives 120 days' written notice before it retires a model family.

| Snapshot | Callable until |
|---|---|
| gpt-5.1-2026-07-22 | 2027-03-30 |
| gpt-5.1-mini-2026-07-22 | no successor announced |
"""
OUTAGE = (
    "Gemini 3 Flash was unavailable in europe-west1 for 95 minutes on 2026-11-03, Google said. "
    "Customers covered by the Vertex AI agreement can claim service credits for the month. "
    "Claims must be filed by 2026-12-31. "
    "Google's incident report is due by 2026-11-17."
)
PRICING = (
    "Google showed Gemini 4 Ultra to enterprise customers in Zurich this week. "
    "Pricing for Gemini 4 Ultra was not shared. "
    "Gemini 3 Pro costs $12.00 per million output tokens."
)
DEAL = (
    "Harrow Mutual signed a four-year agreement with Cohere for claims search. "
    "The contract is worth GBP 9 million over its term. "
    "Cohere said the deployment runs in its London region."
)
MISTRAL_ROADMAP = (
    "Mistral AI milestones for the next quarters: a Large 4 preview in 2027-02, general "
    "availability in 2027-04, and batch inference in 2027-06."
)
COHERE_ROADMAP = (
    "Cohere will keep improving Command for regulated industries and will share more about "
    "future models over the coming year."
)
PRICE_ROWS = 40  # a table long enough to run over several chunks


def price_table() -> str:
    rows = [
        f"| tw-model-{i:02d} | ${i / 10:.2f} | ${i / 5:.2f} |" for i in range(1, PRICE_ROWS + 1)
    ]
    return "List prices in US dollars per million tokens.\n\n" + "\n".join(
        ["| Model | Input price | Output price |", "|---|---|---|", *rows]
    )


@pytest.fixture
def tidewater(intel: VendorIntel, inbox: Path) -> VendorIntel:
    write(inbox / "registry" / "workflows.yaml", REGISTRY)
    write(inbox / "evals" / "nov.csv", EVALS)
    write(inbox / "contracts" / "anthropic.md", markdown("Anthropic terms", ANTHROPIC_TERMS))
    write(inbox / "contracts" / "google.md", markdown("Google Vertex AI terms", GOOGLE_TERMS))
    write(inbox / "contracts" / "openai.md", markdown("OpenAI terms", OPENAI_TERMS))
    write(inbox / "news" / "outage.md", markdown("Gemini outage in Belgium", OUTAGE))
    write(inbox / "news" / "ultra.md", markdown("Gemini 4 Ultra preview", PRICING))
    write(inbox / "news" / "deal.md", markdown("Harrow Mutual picks Cohere", DEAL))
    write(inbox / "news" / "prices.md", markdown("Model list prices", price_table()))
    write(inbox / "roadmaps" / "mistral.md", markdown("Mistral AI roadmap", MISTRAL_ROADMAP))
    write(inbox / "roadmaps" / "cohere.md", markdown("Cohere on the road ahead", COHERE_ROADMAP))
    write_docx(
        inbox / "contracts" / "cohere-terms.docx",
        "Cohere terms",
        ["Cohere commits to 99.9% monthly availability.", "Service credits for a month:"],
        table=[
            ["Monthly availability", "Service credit"],
            ["99.5% to below 99.9%", "5%"],
            ["below 99.5%", "20%"],
        ],
    )
    write_pdf(
        inbox / "news" / "mistral-paris.pdf",
        [
            [
                "CLOUD WIRE · Models · 5 May 2026",
                "Mistral opens Paris inference",
                "What changed",
                "Mistral AI moved inference for Large 3 to its new Paris data centre on 4 May, "
                "and it said",
                "that response times in Europe fell by a third after the move to the new "
                "cluster there.",
            ]
        ],
    )
    report = intel.ingest(progress=False)
    assert report.ok, report.summary()
    return intel


def test_each_part_gets_the_sentence_with_the_value_it_asks_for(tidewater: VendorIntel) -> None:
    answer = tidewater.ask("What happened to Gemini in November, and by when must claims be filed?")
    assert "unavailable in europe-west1 for 95 minutes" in answer.answer
    assert "Claims must be filed by 2026-12-31" in answer.answer


def test_one_sentence_that_answers_every_part_is_the_whole_answer(tidewater: VendorIntel) -> None:
    answer = tidewater.ask("When was Gemini 3 Flash down, and for how long?")
    assert answer.answer == (
        "Gemini 3 Flash was unavailable in europe-west1 for 95 minutes on 2026-11-03, "
        "Google said [1]."
    )


def test_a_part_that_nothing_answers_is_named(tidewater: VendorIntel) -> None:
    answer = tidewater.ask(
        "Who signed the agreement with Cohere, and how many seats does the agreement cover?"
    )
    assert "Harrow Mutual signed" in answer.answer
    assert 'The passages found do not answer "how many seats does the agreement cover"' in (
        answer.answer
    )


def test_two_vendors_compared_are_each_answered_from_their_own_terms(
    tidewater: VendorIntel,
) -> None:
    answer = tidewater.ask(
        "How do the service credits in our Anthropic and Google contracts compare for a month "
        "with uptime between 99.0% and 99.5%?"
    )
    assert "99.0% to below 99.5%, service credit 15%" in answer.answer
    assert "99.0% to below 99.5%, service credit 10%" in answer.answer
    assert {c.source for c in answer.citations} >= {"contracts/anthropic.md", "contracts/google.md"}


def test_a_row_far_down_a_long_table_is_said_with_its_column_names(
    tidewater: VendorIntel,
) -> None:
    answer = tidewater.ask("What is the output price of tw-model-37 in the list prices?")
    assert "For model tw-model-37, input price $3.70, output price $7.40" in answer.answer
    assert "|" not in answer.answer


def test_a_word_table_is_read_with_its_header(tidewater: VendorIntel) -> None:
    answer = tidewater.ask("What service credit does Cohere give below 99.5% availability?")
    assert "For monthly availability below 99.5%, service credit 20%" in answer.answer


def test_a_sentence_announcing_a_table_is_followed_by_its_rows(tidewater: VendorIntel) -> None:
    answer = tidewater.ask("What service credits does Cohere give?")
    assert answer.answer == (
        "Service credits for a month [1]. "
        "For monthly availability 99.5% to below 99.9%, service credit 5% [1]. "
        "For monthly availability below 99.5%, service credit 20% [1]."
    )


def test_a_pdf_masthead_and_headings_stay_out_of_the_sentences(tidewater: VendorIntel) -> None:
    answer = tidewater.ask("What did Mistral AI change for Large 3 inference in May?")
    assert "Mistral AI moved inference for Large 3 to its new Paris data centre" in answer.answer
    assert "CLOUD WIRE" not in answer.answer and "What changed" not in answer.answer


def test_evidence_saying_a_fact_is_not_known_is_an_abstention(tidewater: VendorIntel) -> None:
    answer = tidewater.ask("What will Gemini 4 Ultra cost per million tokens?")
    assert answer.status == "insufficient_evidence"
    assert "Pricing for Gemini 4 Ultra was not shared [1]." in answer.answer
    assert answer.citations[0].source == "news/ultra.md"


def test_an_improvement_is_measured_in_the_run_that_scored_both_versions(
    tidewater: VendorIntel,
) -> None:
    answer = tidewater.ask("Which model update made claim letter drafting better, and by how much?")
    assert (
        "Improvement: claude-sonnet-4-6 rose by 3.6 after the update from version 20260611 to "
        "20260903 (accuracy on claim-letter-drafting: 80.4 on 2026-11-05, 84 on 2026-11-05)"
    ) in answer.answer


def test_rollback_says_until_when_that_snapshot_stays_callable(tidewater: VendorIntel) -> None:
    answer = tidewater.ask("Triage notes got worse after the model update: can we roll back?")
    assert "Version 2026-07-22 is the last good version to roll back to" in answer.answer
    assert "2027-03-30" in answer.answer
    assert any(c.source == "contracts/openai.md" for c in answer.citations)


def test_support_for_a_fallback_answer_is_about_the_fallback_vendor(
    tidewater: VendorIntel,
) -> None:
    answer = tidewater.ask(
        "Has the vendor behind our claim letter drafting fallback had an outage lately, and when?"
    )
    assert answer.answer.startswith("The fallback for claim-letter-drafting is gemini-3-flash")
    assert "2026-11-03" in answer.answer
    # Asked about the vendor, the workflow's evals and terms are not what the user wants.
    assert "eval run" not in answer.answer
    assert [c.source for c in answer.citations] == ["registry/workflows.yaml", "news/outage.md"]


def test_a_fallback_answer_is_followed_by_what_puts_the_fallback_at_risk(
    tidewater: VendorIntel,
) -> None:
    answer = tidewater.ask("What is the fallback for claim letter drafting?")
    assert answer.answer.startswith(
        "The fallback for claim-letter-drafting is gemini-3-flash from Google; the primary is "
        "claude-sonnet-4-6 from Anthropic [1]. Gemini 3 Flash was unavailable in europe-west1 "
        "for 95 minutes on 2026-11-03, Google said [2]."
    )


def test_the_checkpoint_list_for_a_vendor_comes_from_the_checklist(tidewater: VendorIntel) -> None:
    answer = tidewater.ask("Give me the 90-day checkpoint list for Anthropic.")
    assert "**Anthropic, checkpoint 2 (fallbacks): evidence.**" in answer.answer
    assert "claim-letter-drafting (critical) falls back to gemini-3-flash from Google" in (
        answer.answer
    )
    assert "No evidence for checkpoint 1 (roadmap) from Anthropic" in answer.answer


def test_the_checklist_asked_for_in_other_words_is_the_checklist(tidewater: VendorIntel) -> None:
    for question in ("What is on the Anthropic checklist?", "Show me Anthropic's checklist"):
        answer = tidewater.ask(question)
        assert "**Anthropic, checkpoint 2 (fallbacks): evidence.**" in answer.answer, question


def test_which_vendor_has_a_roadmap_to_plan_on_is_answered_across_vendors(
    tidewater: VendorIntel,
) -> None:
    answer = tidewater.ask("Which vendor has given us a roadmap with dates we can plan around?")
    mistral = answer.answer.index("**Mistral AI, checkpoint 1 (roadmap): evidence.**")
    cohere = answer.answer.index("**Cohere, checkpoint 1 (roadmap): partial.**")
    assert mistral < cohere
    assert "Its roadmap gives no dated milestones." in answer.answer


def test_a_registry_and_an_eval_sheet_are_dated_by_their_own_contents(
    tidewater: VendorIntel,
) -> None:
    published = {d.source: d.published for d in tidewater.documents()}
    assert published["registry/workflows.yaml"] == "2026-11-12"  # its "Last reviewed" note
    assert published["evals/nov.csv"] == "2026-11-05"  # its newest run


def test_the_vendor_filter_keeps_to_that_vendors_records(tidewater: VendorIntel) -> None:
    question = "What is our fallback for claim letter drafting?"
    on_google = tidewater.ask(question, vendor="Gemini")
    assert on_google.answer.startswith("The fallback for claim-letter-drafting is gemini-3-flash")
    on_openai = tidewater.ask(question, vendor="OpenAI")
    assert "claim-letter-drafting" not in on_openai.answer
    assert all(c.source != "registry/workflows.yaml" for c in on_openai.citations)
