"""Answers: short, every sentence cited with its locator, or a plain 'no evidence'."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.answering.sentences import split_passage
from assistant.answering.terms import key_terms
from assistant.app import VendorIntel
from tests.builders import markdown, write, write_pdf


def cited_numbers(answer: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", answer)}


def test_fallback_question_is_answered_from_the_registry_then_the_contract(
    sample_intel: VendorIntel,
) -> None:
    result = sample_intel.ask(
        "What is our fallback for contract clause extraction if Claude is unavailable?"
    )

    assert result.status == "answered"
    assert result.answer.startswith(
        "The fallback for contract clause extraction is qwen-max from Alibaba Cloud; "
        "the primary is claude-sonnet-4 from Anthropic [1]."
    )
    registry = result.citations[0]
    assert (registry.source, registry.locator) == ("registry/workflows.yaml", "lines 19-33")
    assert "fallback:\n      vendor: Alibaba Cloud\n      model: qwen-max" in registry.quote
    contract = [c for c in result.citations if c.source == "contracts/anthropic-msa-notes.docx"]
    assert contract and re.fullmatch(r"paragraphs? \d+(-\d+)?", contract[0].locator)
    assert "fails over to Alibaba Cloud's qwen-max" in contract[0].quote


def test_a_kind_of_document_a_named_vendor_lacks_is_said_to_be_missing(
    sample_intel: VendorIntel,
) -> None:
    # The names in a question weigh on how well it fits a kind of document; who is asked
    # about does not change that it asks for earnings or a roadmap.
    earnings = sample_intel.ask("What did Anthropic report in its quarterly earnings?")
    assert (earnings.status, earnings.answer) == (
        "insufficient_evidence",
        "The indexed documents hold no earnings document about Anthropic, so they do not "
        "answer this.",
    )
    roadmap = sample_intel.ask("What did OpenAI's roadmap say about GPT-6 dates?")
    assert "no roadmap document about OpenAI" in roadmap.answer


def test_every_sentence_carries_a_citation_that_exists(sample_intel: VendorIntel) -> None:
    result = sample_intel.ask(
        "How fast did Alibaba Cloud revenue grow in the September 2025 quarter?"
    )

    assert result.status == "answered"
    assert "34%" in result.answer
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", result.answer) if s]
    assert all(re.search(r"\[\d+\][.!?]?$", s) for s in sentences), result.answer
    assert cited_numbers(result.answer) == {c.n for c in result.citations}
    pdf = [c for c in result.citations if c.source == "earnings/alibaba-cloud-q2-fy2026.pdf"]
    assert pdf and pdf[0].locator == "page 1"
    # Each quote is text from the cited passage, not a paraphrase.
    for citation in result.citations:
        for quoted in citation.quote.split(" … "):
            assert quoted.rstrip(".") in result.answer


def test_eval_rows_are_cited_by_row(sample_intel: VendorIntel) -> None:
    result = sample_intel.ask(
        "Which gpt-5 eval scores were recorded for the code review assistant?"
    )
    rows = [c for c in result.citations if c.source == "evals/model-evals-2026-q3.csv"]
    assert rows, result
    assert all(re.fullmatch(r"row \d+", c.locator) for c in rows)
    assert all("gpt-5" in c.quote for c in rows)


@pytest.mark.parametrize(
    "question",
    ["What is the boiling point of mercury?", "What is the recipe for a classic margherita pizza?"],
)
def test_unrelated_questions_get_insufficient_evidence(
    sample_intel: VendorIntel, question: str
) -> None:
    result = sample_intel.ask(question)
    assert result.status == "insufficient_evidence"
    assert result.answer.startswith(f'No evidence in the indexed documents for "{question}"')
    assert result.citations == []


def test_a_name_no_document_mentions_is_not_answered_from_lookalikes(
    sample_intel: VendorIntel,
) -> None:
    result = sample_intel.ask("How many employees does Northwind have in Brazil?")
    assert result.status == "insufficient_evidence"
    assert 'None of the closest passages mentions "Brazil"' in result.answer


def test_vendor_filter_only_cites_documents_about_that_vendor(sample_intel: VendorIntel) -> None:
    result = sample_intel.ask("What did the vendor announce about open weights?", vendor="Wenxin")
    assert result.status == "answered"
    docs = {d.source: d for d in sample_intel.documents()}
    assert all("Baidu" in docs[c.source].vendors for c in result.citations)
    assert any(c.source == "articles/baidu-ernie-open-source.md" for c in result.citations)


def test_vendor_with_no_documents_says_so(sample_intel: VendorIntel) -> None:
    result = sample_intel.ask("What is the uptime commitment?", vendor="Zhipu AI")
    assert result.status == "insufficient_evidence"
    assert "about Zhipu AI" in result.answer


def test_empty_index_says_what_to_do(intel: VendorIntel) -> None:
    result = intel.ask("What is our fallback for search?")
    assert result.status == "insufficient_evidence"
    assert "The index is empty" in result.answer and "vendorintel ingest" in result.answer


def test_blank_question_asks_for_a_question(sample_intel: VendorIntel) -> None:
    result = sample_intel.ask("  \n ")
    assert result.status == "insufficient_evidence"
    assert result.answer.startswith("Ask a question about your AI vendors")


def test_answer_reflects_a_changed_document(intel: VendorIntel, inbox: Path) -> None:
    write(
        inbox / "contracts" / "deepseek.md",
        markdown("DeepSeek terms", "The DeepSeek renewal date is 2027-01-15."),
    )
    intel.ingest(progress=False)
    assert "2027-01-15" in intel.ask("When is the DeepSeek renewal date?").answer

    write(
        inbox / "contracts" / "deepseek.md",
        markdown("DeepSeek terms", "The DeepSeek renewal date is 2027-05-30."),
    )
    intel.ingest(progress=False)
    answer = intel.ask("When is the DeepSeek renewal date?")
    assert "2027-05-30" in answer.answer and "2027-01-15" not in answer.answer


def test_pdf_citation_points_at_the_page_holding_the_fact(intel: VendorIntel, inbox: Path) -> None:
    write_pdf(
        inbox / "earnings" / "baidu.pdf",
        [
            ["Baidu AI Cloud revenue grew 27% in the quarter."],
            ["Baidu plans to cut ERNIE API prices by half next year."],
        ],
    )
    intel.ingest(progress=False)
    result = intel.ask("Will Baidu cut ERNIE API prices?")
    assert result.citations[0].source == "earnings/baidu.pdf"
    assert result.citations[0].locator == "page 2"


def test_sentence_splitting_keeps_abbreviations_and_versions_whole() -> None:
    text = (
        "Dr. Chen said qwen-max (v. 2026-06) is pinned. U.S. prices fell 5%. Next, rollback.\n"
        "- A list item here"
    )
    assert [span.text for span in split_passage(text)] == [
        "Dr. Chen said qwen-max (v. 2026-06) is pinned.",
        "U.S. prices fell 5%.",
        "Next, rollback.",
        "A list item here",
    ]


def test_a_quotation_of_several_sentences_stays_whole() -> None:
    text = (
        '"We learned something this morning," said Mira Stoll, an analyst. "A fallback on the '
        'same platform is not a fallback. It is a second name for the same risk." Stoll said '
        "firms with a second vendor coped."
    )
    assert [span.text for span in split_passage(text)] == [
        '"We learned something this morning," said Mira Stoll, an analyst.',
        '"A fallback on the same platform is not a fallback. It is a second name for the same '
        'risk."',
        "Stoll said firms with a second vendor coped.",
    ]


def test_a_table_of_labels_with_a_blank_header_is_said_label_by_label() -> None:
    text = (
        "| | |\n"
        "|---|---|\n"
        "| Horizon | 2026-Q4 to 2027-Q3 (twelve months) |\n"
        "| Presented by | Ines Duarte, account director |\n"
    )
    assert [span.text for span in split_passage(text)] == [
        "Horizon: 2026-Q4 to 2027-Q3 (twelve months).",
        "Presented by: Ines Duarte, account director.",
    ]


def test_hard_wrapped_paragraphs_rejoin_and_keep_their_lines() -> None:
    text = (
        "# Renewal terms\n"
        "\n"
        "The Anthropic agreement renews on 31 March 2027 unless either party gives notice\n"
        "ninety days before that date. Pricing is fixed.\n"
        "- Uptime commitment: 99.9 percent\n"
    )
    spans = [(s.text, s.first, s.last) for s in split_passage(text)]
    assert spans == [
        ("Renewal terms", 0, 0),
        (
            "The Anthropic agreement renews on 31 March 2027 unless either party gives notice "
            "ninety days before that date.",
            2,
            3,
        ),
        ("Pricing is fixed.", 3, 3),
        ("Uptime commitment: 99.9 percent", 4, 4),
    ]


def test_a_quote_is_located_by_its_own_lines_not_the_whole_chunk(
    intel: VendorIntel, inbox: Path
) -> None:
    body = (
        "Mistral AI opened an office in Singapore in 2026 and hired a regional sales lead.\n"
        "Mistral AI prices its medium model at USD 0.4 per million input tokens, which\n"
        "undercuts most closed competitors by a wide margin.\n"
        "Mistral AI also sponsors a developer conference in Paris every spring."
    )
    write(inbox / "articles" / "mistral.md", markdown("Mistral notes", body))
    intel.ingest(progress=False)
    result = intel.ask("What does Mistral AI charge per million input tokens?")
    first = result.citations[0]
    assert first.source == "articles/mistral.md"
    assert first.quote.startswith("Mistral AI prices its medium model at USD 0.4 per million input")
    # Front matter is lines 1-3, the heading line 4, a blank line 5: the price sentence is 7-8.
    assert first.locator == "lines 7-8"


def test_key_terms_are_names_figures_and_model_ids() -> None:
    assert key_terms("What did Baidu say about ERNIE pricing in FY2025?") == [
        "Baidu",
        "ERNIE",
        "FY2025",
    ]
    assert key_terms("is qwen-max cheaper than 3 models?") == ["qwen-max"]
    assert key_terms("What is our fallback for search?") == []
