"""Which sentences make an answer: the kind of document a question asks of comes first, a part
asking "when?" takes a sentence with a date (when something happened, not a deadline) or is
named as unanswered, a sentence that points back ("Both are ...") keeps the sentence it points
to, headings are never cited, and a table row is never cut between chunks. The inbox is a
freight forwarder's, written for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from llama_index.core import Document
from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.answering.records import beyond
from assistant.answering.slots import SlotFinder
from assistant.answering.support import on_topic
from assistant.app import VendorIntel
from assistant.core.catalog import VendorCatalog
from assistant.core.models import Answer
from assistant.core.records import Workflow
from ingest.chunking import LocatedSplitter
from ingest.documents import SectionSpan
from tests.builders import markdown, write

CONTRACT_NOTE = """\
Prepared by Vendor Management. Internal.

## 1. Service level

Northwind commits to a monthly availability of at least 99.5% for its hosted models.

| Monthly availability | Service credit |
|---|---|
| 99.0% to below 99.5% | 10% |
| below 99.0% | 25% |

## 3. The 2026-03-09 incident (Northwind reference NW-0309)

Hosted models were unavailable in the Rotterdam region for 300 minutes.

**Service credit.** March has 44,640 minutes. If Northwind confirms 300 minutes of downtime,
March availability is 99.33%, which falls in the 99.0% to below 99.5% tier: a 10% credit on
March charges. Northwind's incident report is due by 2026-03-23. The claim must be filed by
2026-04-30.
"""
OUTAGE_NEWS = (
    "Northwind's hosted models went down across the Rotterdam region on 9 March, and its "
    "customers were told they could claim service credits in the usual way. Asked about the "
    "March outage, Northwind said service credits for the outage would be immaterial to its "
    "results. Several logistics firms said their route-planning assistants stopped for hours."
)
RELEASE_NEWS = (
    "Kestrel Labs released its third model family on 2026-05-12. The release includes two "
    "models. Kestrel-3 is a large mixture-of-experts model for complex planning. "
    "Kestrel-3-Mini is a small dense model for a single GPU. Both are published under the "
    "Apache 2.0 licence, which allows commercial use."
)
HIRING_NEWS = (
    "Kestrel Labs has hired Ingrid Solberg to lead its new research lab in Oslo. Solberg "
    "previously ran applied research at a Nordic telecoms group."
)


@pytest.fixture
def forwarder(intel: VendorIntel, inbox: Path) -> VendorIntel:
    write(inbox / "contracts" / "northwind-sla.md", markdown("Northwind SLA note", CONTRACT_NOTE))
    write(inbox / "news" / "northwind-outage.md", markdown("Northwind outage", OUTAGE_NEWS))
    write(inbox / "news" / "kestrel-release.md", markdown("Kestrel 3 is out", RELEASE_NEWS))
    write(inbox / "news" / "kestrel-hire.md", markdown("Kestrel hires a lab head", HIRING_NEWS))
    report = intel.ingest(progress=False)
    assert report.ok, report.summary()
    return intel


def test_a_question_about_our_terms_is_answered_from_our_contract_first(
    forwarder: VendorIntel,
) -> None:
    answer = forwarder.ask(
        "What service credit can we claim from Northwind for the March outage, and by when?"
    )
    assert "a 10% credit on March charges [1]" in answer.answer
    assert "The claim must be filed by 2026-04-30 [1]" in answer.answer
    assert answer.citations[0].source == "contracts/northwind-sla.md"


def test_a_part_asking_when_needs_a_date_or_is_named_as_unanswered(
    forwarder: VendorIntel,
) -> None:
    answer = forwarder.ask("Who will lead the Kestrel Labs research lab, and when does she start?")
    assert "hired Ingrid Solberg to lead its new research lab" in answer.answer
    assert 'The passages found do not answer "when does she start"' in answer.answer


def test_asked_when_something_happened_a_deadline_is_not_its_date(
    forwarder: VendorIntel,
) -> None:
    answer = forwarder.ask("Was Northwind unavailable, and when?")
    assert "went down across the Rotterdam region on 9 March" in answer.answer
    assert "due by 2026-03-23" not in answer.answer
    answer = forwarder.ask("Has Northwind had an incident, and when?")
    assert "went down across the Rotterdam region on 9 March" in answer.answer


def test_asked_when_the_sentence_with_the_date_comes_first(forwarder: VendorIntel) -> None:
    answer = forwarder.ask("When were Northwind's hosted models unavailable in Rotterdam?")
    assert answer.answer.startswith(
        "Northwind's hosted models went down across the Rotterdam region on 9 March"
    )


def test_a_sentence_pointing_back_keeps_the_sentence_it_points_to(forwarder: VendorIntel) -> None:
    answer = forwarder.ask("What did Kestrel Labs release in May, and under which licence?")
    said = answer.answer
    assert "Both are published under the Apache 2.0 licence" in said
    assert said.index("Kestrel-3-Mini is a small dense model") < said.index("Both are published")


def test_a_section_heading_is_never_cited_as_a_sentence(forwarder: VendorIntel) -> None:
    answer = forwarder.ask("When was the Northwind incident, and what was its reference?")
    assert "incident (Northwind reference NW-0309)" not in answer.answer


CLAIMS_TRIAGE = {
    "name": "claims-triage",
    "criticality": "critical",
    "owner": None,
    "primary_vendor": "Anthropic",
    "primary_model": "claude-sonnet-4-6",
    "fallback_vendor": "Google",
    "fallback_model": "gemini-3-flash",
    "uptime": None,
    "latency_p95_ms": None,
    "renewal": None,
    "deprecation_notice_days": None,
    "aliases": [],
    "source": "registry/workflows.csv",
    "locator": "row 1",
    "quote": "",
}


def test_the_vendor_behind_a_workflow_is_asked_about_by_its_name() -> None:
    workflow = Workflow(**CLAIMS_TRIAGE)
    question = "Has the vendor behind our claims triage fallback had any recent incident?"
    assert beyond(question, workflow, ["Google"]) == "Has Google had any recent incident?"


def test_what_follows_an_answer_from_the_registry_is_about_its_vendors() -> None:
    registry = [
        Workflow(**{**CLAIMS_TRIAGE, "name": name, "locator": f"row {n}"})
        for n, name in enumerate(["claims-triage", "fraud-notes"], start=1)
    ]
    main = Answer(
        answer="The fallback for claims-triage is gemini-3-flash from Google [1].",
        status="answered",
        focus=["Google"],
    )
    keep = on_topic(main, VendorCatalog.load().detect, registry)
    assert keep("Gemini 3 Flash was unavailable for 95 minutes on 2026-11-03 [2].")
    assert not keep("Analysts said every insurer should test its fallbacks twice a year [3].")
    assert not keep("Google moved fraud-notes to a new region last week [4].")  # another one


def test_a_word_several_workflows_share_names_none_of_them(embed_model: BaseEmbedding) -> None:
    registry = [
        Workflow(**{**CLAIMS_TRIAGE, "name": name, "display_name": title})
        for name, title in [
            ("knowledge-assistant", "Employee knowledge assistant"),
            ("broker-wording-assistant", "Broker policy-wording assistant"),
        ]
    ]
    finder = SlotFinder(registry, [], lambda text: [], embed_model.get_text_embedding_batch)

    def named(question: str) -> str | None:
        found, _ = finder.match_workflow(question, embed_model.get_query_embedding(question))
        return found.name if found else None

    assert named("What is the fallback for the payroll assistant?") is None
    assert named("What is the fallback for the knowledge assistant?") == "knowledge-assistant"


def test_a_table_row_is_never_cut_between_chunks() -> None:
    rows = [f"| Segment {i} | ${i}.{i}bn | ${i + 1}.5bn | +{i}.2% |" for i in range(1, 60)]
    table = "\n".join(["| Metric | Q3 2026 | Q3 2025 | Change |", "|---|---|---|---|", *rows])
    text = f"Results for the quarter, in v2.0 of the note.\n\n{table}\n"
    section = SectionSpan(0, len(text), "lines", 1, ["Alphabet"], False)
    meta = {"source": "earnings/note.md", "title": "Note", "doc_type": "earnings"}
    document = Document(text=text, metadata={**meta, "sections": [section.to_metadata()]})
    chunks = LocatedSplitter()([document])
    assert len(chunks) > 2
    for chunk in chunks:
        lines = [line.strip() for line in chunk.get_content().splitlines() if "|" in line]
        assert all(line.startswith("|") and line.endswith("|") for line in lines), lines
