"""Vendor signals: each news event becomes one dated, cited signal of its kind, an event two
documents report is one signal, and signals follow their documents; listed by the CLI and
the API with filters, asked in words, and shown in the briefing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.app import VendorIntel
from assistant.core.errors import RequestError
from assistant.core.settings import Settings
from assistant.shells.api import create_app
from tests.builders import markdown, write
from tests.conftest import cli_env, run_cli

ARTICLES = {
    "articles/openai-research-chief.md": markdown(
        "OpenAI's head of applied research resigns",
        "OpenAI's head of applied research, Dana Whitfield, resigned on 2026-08-11 after six "
        "years at the company and will join a robotics start-up.\n\nWhitfield led the teams "
        "that tuned the company's models for enterprise document work.",
        published="2026-08-12",
    ),
    "articles/qwen4-launch.txt": "Alibaba Cloud launches Qwen4-Max\n\nAlibaba Cloud released "
    "Qwen4-Max on 2026-07-02, its largest model so far, with a context window of one million "
    "tokens.\n\nThe model is available in the Frankfurt region from launch.\n",
    "articles/claude-haiku-price.md": markdown(
        "Anthropic cuts Claude Haiku 5 prices",
        "Anthropic cut the list price of Claude Haiku 5 by 25% on 2026-09-15, to $0.60 per "
        "million input tokens and $3.00 per million output tokens.\n\nAnalysts read the move "
        "as a response to cheaper open-weights models.",
        published="2026-09-16",
    ),
    "articles/mistral-api-down.html": "<html><head><title>Mistral AI API down for three hours"
    '</title><meta name="date" content="2026-10-04"></head><body><h1>Mistral AI API down for '
    "three hours</h1><p>Mistral AI's API was unavailable for three hours on 2026-10-03 in its "
    "European regions, and requests to Mistral Large failed with server errors.</p><p>"
    "Customers with a second model configured switched over within minutes.</p></body></html>",
    "contracts/mistral-sla-note.md": markdown(
        "Mistral AI service-level note",
        "Mistral AI commits to 99.9% monthly uptime for La Plateforme.\n\nThe outage of "
        "2026-10-03, when Mistral's API was down for three hours, counts against October's "
        "uptime.",
        doc_type="contract",
        published="2026-10-20",
        vendors=["Mistral AI"],
    ),
    "articles/gemini-2-flash-retirement.md": markdown(
        "Google to retire Gemini 2 Flash",
        "Google will retire Gemini 2 Flash on 2026-12-31, after which the model stops "
        "answering requests and callers must move to Gemini 3 Flash.",
        published="2026-11-02",
    ),
    "articles/baidu-chip-rules.md": markdown(
        "New export controls hit Baidu",
        "The US government imposed new export controls on 2026-06-20 that bar Baidu from "
        "buying the latest data-centre chips for training its ERNIE models.",
        published="2026-06-21",
    ),
    "articles/deepseek-breach.md": markdown(
        "DeepSeek discloses a data breach",
        "DeepSeek disclosed on 2026-05-14 that attackers had breached a database holding "
        "customer chat logs and API keys.",
        published="2026-05-15",
    ),
    "articles/cohere-rhine-mutual.md": markdown(
        "Rhine Mutual signs with Cohere",
        "Rhine Mutual signed a three-year contract with Cohere worth EUR 12 million on "
        "2026-04-09, its largest AI purchase so far.",
        published="2026-04-10",
    ),
    "articles/mistral-sap.md": markdown(
        "Mistral AI and SAP partner",
        "Mistral AI and SAP announced a partnership on 2026-03-18 to host Mistral models "
        "inside SAP's business cloud for European customers.",
        published="2026-03-19",
    ),
    "earnings/alibaba-q3.md": markdown(
        "Alibaba Cloud quarterly results",
        "Alibaba Cloud reported on 2026-11-14 that quarterly revenue rose 28% year on year to "
        "RMB 40bn, and its operating margin widened to 9%.",
        published="2026-11-15",
        vendors=["Alibaba Cloud"],
    ),
    # Commentary and records report no event.
    "articles/why-fallbacks-matter.md": markdown(
        "Why fallbacks matter",
        "A second model behind every critical workflow is cheap insurance.\n\nTeams that test "
        "their fallback every month find problems before their customers do.",
        published="2026-09-01",
    ),
    "registry/workflows.csv": "workflow,criticality,primary_vendor,primary_model,"
    "fallback_vendor,fallback_model\npolicy-summaries,critical,Anthropic,claude-haiku-5,"
    "Mistral AI,mistral-large-3\n",
}
EVENTS = {
    ("2026-03-18", "Mistral AI", "partnership"),
    ("2026-04-09", "Cohere", "deal"),
    ("2026-05-14", "DeepSeek", "security"),
    ("2026-06-20", "Baidu", "regulation"),
    ("2026-07-02", "Alibaba Cloud", "release"),
    ("2026-08-11", "OpenAI", "leadership"),
    ("2026-09-15", "Anthropic", "pricing"),
    ("2026-10-03", "Mistral AI", "outage"),
    ("2026-11-14", "Alibaba Cloud", "earnings"),
    ("2026-12-31", "Google", "deprecation"),
}


def write_inbox(inbox: Path) -> None:
    for name, text in ARTICLES.items():
        write(inbox / name, text)


@pytest.fixture(scope="module")
def harbour(
    tmp_path_factory: pytest.TempPathFactory, embed_model: BaseEmbedding
) -> Iterator[VendorIntel]:
    """One ingested inbox for the tests that only read it."""
    root = tmp_path_factory.mktemp("harbour")
    write_inbox(root / "inbox")
    settings = Settings(
        data_dir=root / "data", inbox=root / "inbox", watch_inbox=False, _env_file=None
    )  # type: ignore[call-arg]
    intel = VendorIntel(settings, embed_model=embed_model)
    intel.ingest(progress=False)
    yield intel
    intel.close()


def test_each_event_is_one_signal_of_its_kind_dated_and_cited(harbour: VendorIntel) -> None:
    signals = harbour.signals.listed()
    assert {(s.date, s.vendor, s.kind) for s in signals} == EVENTS
    assert [s.date for s in signals] == sorted(s.date for s in signals)  # in time order
    for signal in signals:
        cited = signal.citations[0]
        assert cited.quote == signal.summary and cited.locator and signal.dated
        assert not cited.source.startswith("registry/")
    resigned = next(s for s in signals if s.kind == "leadership")
    assert "Dana Whitfield, resigned on 2026-08-11" in resigned.summary
    assert resigned.citations[0].source == "articles/openai-research-chief.md"


def test_an_event_two_documents_report_is_one_signal_citing_both(harbour: VendorIntel) -> None:
    (outage,) = harbour.signals.listed(kind="outage")
    sources = [c.source for c in outage.citations]
    assert sources == ["articles/mistral-api-down.html", "contracts/mistral-sla-note.md"]
    assert outage.summary.startswith("Mistral AI's API was unavailable for three hours")
    assert "The outage of 2026-10-03" in outage.citations[1].quote


def test_filters_by_vendor_name_date_and_kind(harbour: VendorIntel) -> None:
    assert [s.kind for s in harbour.signals.listed(vendor="Claude")] == ["pricing"]
    since = harbour.signals.listed(since=date(2026, 9, 15))
    assert [s.date for s in since] == ["2026-09-15", "2026-10-03", "2026-11-14", "2026-12-31"]
    mistral = harbour.signals.listed(vendor="Mistral", kind="partnership")
    assert [s.date for s in mistral] == ["2026-03-18"]
    with pytest.raises(RequestError, match="use one of leadership, release"):
        harbour.signals.listed(kind="rumour")


def test_the_cli_and_the_api_list_the_same_signals(
    embed_model: BaseEmbedding, settings: Settings, inbox: Path
) -> None:
    write_inbox(inbox)
    intel = VendorIntel(settings, embed_model=embed_model)
    intel.ingest(progress=False)
    intel.close()  # the CLI opens the store itself
    env = cli_env(settings.data_dir, settings.inbox_dir)
    done = run_cli(env, "signals", "--vendor", "Mistral AI", "--since", "2026-06-01", "--json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)["signals"]
    assert [(s["date"], s["kind"]) for s in listed] == [("2026-10-03", "outage")]
    assert set(listed[0]) == {"vendor", "date", "kind", "summary", "citations"}
    assert set(listed[0]["citations"][0]) == {"source", "locator", "quote"}

    app = create_app(settings, with_chat=False)
    with TestClient(app) as client:
        body = client.get("/api/signals", params={"vendor": "Gemini", "since": "2026-11-01"})
        assert body.status_code == 200
        assert [(s["vendor"], s["kind"]) for s in body.json()["signals"]] == [
            ("Google", "deprecation")
        ]
        refused = client.get("/api/signals", params={"kind": "rumour"})
        assert refused.status_code == 400 and "use one of" in refused.json()["detail"]


@pytest.fixture
def harbour_copy(
    make_intel: Callable[[Settings], VendorIntel], settings: Settings, inbox: Path
) -> VendorIntel:
    write_inbox(inbox)
    intel = make_intel(settings)
    intel.ingest(progress=False)
    return intel


def test_signals_follow_edited_and_deleted_documents(harbour_copy: VendorIntel) -> None:
    intel, inbox = harbour_copy, harbour_copy.settings.inbox_dir
    price = ARTICLES["articles/claude-haiku-price.md"]
    write(
        inbox / "articles/claude-haiku-price.md",
        price.replace("25% on 2026-09-15", "30% on 2026-09-22"),
    )
    (inbox / "articles/deepseek-breach.md").unlink()
    (inbox / "articles/mistral-api-down.html").unlink()
    intel.ingest(progress=False)

    (pricing,) = intel.signals.listed(kind="pricing")
    assert pricing.date == "2026-09-22" and "by 30%" in pricing.summary
    assert intel.signals.listed(vendor="DeepSeek") == []
    (outage,) = intel.signals.listed(kind="outage")
    assert [c.source for c in outage.citations] == ["contracts/mistral-sla-note.md"]
    assert outage.summary.startswith("The outage of 2026-10-03")
    shutil.rmtree(inbox / "earnings")
    intel.ingest(progress=False)
    assert intel.signals.listed(kind="earnings") == []


def test_what_happened_at_a_vendor_is_answered_from_its_signals(harbour: VendorIntel) -> None:
    answer = harbour.ask("What happened at Mistral since June?")
    assert answer.status == "answered"
    assert answer.answer.startswith("The documents report 1 event for Mistral AI since 2026-06-01:")
    assert "2026-10-03 (outage): Mistral AI's API was unavailable for three hours" in answer.answer
    assert [c.source for c in answer.citations] == [
        "articles/mistral-api-down.html",
        "contracts/mistral-sla-note.md",
    ]
    assert [s.kind for s in answer.timeline] == ["outage"]
    nothing = harbour.ask("What happened at DeepSeek since July?")
    assert nothing.status == "insufficient_evidence" and "no events for DeepSeek" in nothing.answer
    # A question about the records is not one for the signals.
    fallback = harbour.ask("What is our fallback for policy summaries?")
    assert "mistral-large-3" in fallback.answer and fallback.timeline == []


def test_the_briefing_lists_signals_since_the_last_one_and_flags_silence(
    harbour: VendorIntel,
) -> None:
    today = date(2026, 11, 20)
    first = harbour.run_checkpoints(["Mistral AI", "DeepSeek", "Anthropic"], today=today)
    by_vendor = {v.vendor: v.signals for v in first.vendors}
    mistral, deepseek, anthropic = (by_vendor[v] for v in ("Mistral AI", "DeepSeek", "Anthropic"))
    assert mistral is not None and deepseek is not None and anthropic is not None
    assert mistral.since == "2026-08-22"  # no briefing before: the 90 days it looks ahead
    assert [s.kind for s in mistral.signals] == ["outage"]
    assert deepseek.stale == "No news on DeepSeek since 2026-05-14."  # over 120 days
    assert mistral.stale is None
    watch = {m.name: m for m in anthropic.watch}
    assert (
        "2026-09-15: Anthropic cut the list price of Claude Haiku 5"
        in watch["Cost per 1K tokens"].stated
    )
    assert watch["Cost per 1K tokens"].citations[0].source == "articles/claude-haiku-price.md"
    assert watch["Traction"].stated == "The documents report no deals."

    text = harbour.checkpoints(["Mistral AI"])
    assert "### Signals since the last briefing (from " in text
    assert "### Metrics to watch" in text and "Release cadence" in text
