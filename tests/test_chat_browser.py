"""The chat in a real browser (Debian's Chromium, headless) against a real `vendorintel serve`."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from assistant.core.settings import PROJECT_ROOT
from tests.builders import markdown, write
from tests.conftest import SAMPLES, Served, serving
from tests.fake_llm import FakeLLM, Reply, Running, quoting

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's Chromium is not installed (`make test` installs it with apt when run as root)",
)


@pytest.fixture
def page(served: Served) -> Iterator[object]:
    with chat_page(served.url) as page:
        yield page


@contextmanager
def chat_page(url: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS[1:]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(60_000)
        page.goto(url + "/")
        # The settings button comes with the chat session (on_chat_start): the socket is up.
        page.locator("#chat-settings-open-modal").wait_for()
        yield page
        browser.close()


def ask(page, question: str) -> None:  # type: ignore[no-untyped-def]
    """Type and send; the send button is enabled once the chat's socket is connected."""
    page.locator("#chat-input").fill(question)
    page.locator("#chat-submit").click()


def test_a_question_gets_a_cited_answer_whose_citation_opens_the_passage(page) -> None:  # type: ignore[no-untyped-def]
    # The welcome screen offers the executive checkpoint questions.
    page.get_by_text("Fallback per critical workflow").wait_for()

    ask(page, "What is our fallback for contract clause extraction if Claude is unavailable?")

    answer = page.locator(".ai-message").filter(has_text="is qwen-max from Alibaba Cloud").last
    answer.wait_for()
    answer.get_by_role("link", name="[1]").first.click()
    panel = page.get_by_text("Source: registry/workflows.yaml")
    panel.wait_for()
    assert page.get_by_text("Location: lines 19-33").count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-citation.png"))

    # A follow-up keeps the context: it is rewritten into a standalone question.
    ask(page, "and for Qwen?")
    rewritten = (
        "What is our fallback for contract clause extraction if Alibaba Cloud is unavailable?"
    )
    page.get_by_text(f"Searching for: {rewritten}").wait_for()


def test_the_side_panel_shows_only_the_latest_answers_sources(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, "What is our fallback for contract clause extraction if Claude is unavailable?")
    page.locator(".ai-message").filter(has_text="is qwen-max from Alibaba Cloud").last.wait_for()
    panel = page.get_by_text("Sources of the latest answer")
    panel.wait_for()
    registry = page.get_by_text("Source: registry/workflows.yaml")
    registry.first.wait_for()
    # The registry entry keeps its YAML lines, not one flattened line.
    assert page.get_by_text("criticality: critical").count() >= 1

    ask(page, "Under what licence was DeepSeek-R1 released?")
    page.locator(".ai-message").filter(has_text="MIT licence").last.wait_for()
    page.get_by_text("Source: articles/deepseek-r1-pricing.md").first.wait_for()
    deadline = time.monotonic() + 10
    while registry.count() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert registry.count() == 0, "the first answer's sources are still on screen"


def test_thumbs_up_is_stored_with_the_question_and_citations(page, served) -> None:  # type: ignore[no-untyped-def]
    ask(page, "Under what licence was DeepSeek-R1 released?")
    page.locator(".ai-message").filter(has_text="MIT licence").last.wait_for()
    page.locator("button.positive-feedback-off").last.click()
    submit = page.locator("#submit-feedback")
    if submit.count():
        submit.click()
    database = served.data_dir / "feedback.sqlite3"
    deadline = time.monotonic() + 20
    rows: list[tuple[str, str, str]] = []
    while time.monotonic() < deadline and not rows:
        with sqlite3.connect(database) as db:
            rows = db.execute("SELECT rating, question, citations FROM rated_answers").fetchall()
        time.sleep(0.3)
    assert rows, "no feedback stored"
    rating, question, citations = rows[0]
    assert (rating, question) == ("up", "Under what licence was DeepSeek-R1 released?")
    assert "articles/deepseek-r1-pricing.md" in citations


def test_a_file_dropped_into_the_chat_is_indexed_and_answerable(
    page, served: Served, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    note = write(
        tmp_path / "moonshot-note.md",
        markdown(
            "Kimi pilot",
            "Northwind's Kimi pilot with Moonshot AI ends on 2027-02-14.",
            doc_type="note",
        ),
    )
    page.locator("#upload-button-input").set_input_files(str(note))
    ask(page, "new pilot note")
    page.get_by_text("Indexed 1 of 1 file(s)").wait_for()
    assert (served.inbox / "moonshot-note.md").read_text() == note.read_text()

    ask(page, "When does the Kimi pilot with Moonshot AI end?")
    page.locator(".ai-message").filter(has_text="2027-02-14").last.wait_for()


def test_the_vendor_filter_in_chat_settings_limits_the_evidence(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("#chat-settings-open-modal").click()
    page.locator("#vendor").click()
    page.get_by_role("option", name="Baidu").click()
    page.locator("#confirm").click()

    ask(page, "What did the vendor announce about open weights?")

    answer = page.locator(".ai-message").filter(has_text="Vendor filter: Baidu").last
    answer.wait_for()
    assert "ERNIE" in answer.inner_text()
    answer.get_by_role("link", name="[1]").first.click()
    page.get_by_text("Source: articles/baidu-ernie-open-source.md").wait_for()


def test_the_chat_announces_documents_indexed_from_the_inbox(page, served: Served) -> None:  # type: ignore[no-untyped-def]
    write(
        served.inbox / "roadmaps" / "gemini-roadmap.md",
        markdown(
            "Gemini roadmap", "Google plans a Gemini enterprise tier in 2027.", doc_type="roadmap"
        ),
    )
    page.get_by_text("Inbox: Indexed 1 new document: roadmaps/gemini-roadmap.md.").wait_for()


def test_a_followed_answer_that_changes_is_announced_in_the_chat(page, served: Served) -> None:  # type: ignore[no-untyped-def]
    ask(page, "When will Baidu release ERNIE 6?")
    answer = page.locator(".ai-message").filter(has_text="Follow").last
    answer.get_by_role("button", name="Follow").click()
    page.get_by_text("Following #").wait_for()

    write(
        served.inbox / "articles" / "ernie-6.md",
        markdown(
            "ERNIE 6 date",
            "Baidu will release ERNIE 6 on 2027-03-15, its chief technology officer said.",
            vendors=["Baidu"],
            published="2026-11-28",
        ),
    )
    notice = page.get_by_text("Watchlist: The answer to “When will Baidu release ERNIE 6?”")
    notice.wait_for(timeout=20_000)
    assert "2027-03-15" in notice.inner_text() and "articles/ernie-6.md" in notice.inner_text()


def test_eval_trends_come_with_a_chart_and_fallbacks_with_a_table(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, "Did quality drop for support ticket summarization after the last qwen-max update?")
    trend = page.locator(".ai-message").filter(has_text="Regression: qwen-max fell by 0.06").last
    trend.wait_for()
    chart = trend.locator(".js-plotly-plot")
    chart.wait_for()
    assert "qwen-max" in chart.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-trend.png"))

    ask(page, "What is our fallback for code review assistant?")
    table = page.locator(".ai-message").filter(has_text="claude-sonnet-4 from Anthropic").last
    table.locator("table").wait_for()
    assert "fallback" in table.locator("table").inner_text()


def test_the_checkpoint_briefing_runs_from_its_starter(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_text("90-day checkpoint briefing").click()
    briefing = page.locator(".ai-message").filter(has_text="90-day vendor checkpoint briefing").last
    briefing.wait_for(timeout=120_000)
    summary = briefing.locator("table").first
    assert "Alibaba Cloud" in summary.inner_text() and "checkpoint 4" in summary.inner_text()
    assert "no fallback" in briefing.inner_text()


def test_a_language_model_answer_streams_into_the_chat_and_names_its_provider(
    tmp_path: Path,
) -> None:
    primary, backup = FakeLLM("primary"), FakeLLM("backup", model="qwen-plus")
    primary.always(Reply(status=500))
    backup.always(Reply(quoting("contracts/alibaba-cloud-sla.md", "99.9% monthly uptime")))
    (tmp_path / "inbox" / "contracts").mkdir(parents=True)
    shutil.copy(SAMPLES / "contracts" / "alibaba-cloud-sla.md", tmp_path / "inbox" / "contracts")
    providers = json.dumps([primary.provider(), backup.provider()])
    env = {"VENDORINTEL_LLM": "openai", "VENDORINTEL_LLM_PROVIDERS": providers}
    with (
        Running(primary),
        Running(backup),
        serving(tmp_path, 1, env) as served,
        chat_page(served.url) as page,
    ):
        ask(page, "What uptime does Alibaba Cloud commit to for qwen-max?")  # type: ignore[no-untyped-call]

        footer = page.get_by_text("Answered by backup (qwen-plus)")  # type: ignore[attr-defined]
        footer.wait_for()
        answer = page.locator(".ai-message").filter(has=footer).last  # type: ignore[attr-defined]
        assert "commits to 99.9% monthly uptime" in answer.inner_text()
        answer.get_by_role("link", name="[1]").first.click()
        page.get_by_text("Source: contracts/alibaba-cloud-sla.md").wait_for()  # type: ignore[attr-defined]
        assert page.get_by_text("Location: line 28").count() >= 1  # type: ignore[attr-defined]
    assert backup.received[-1].body["stream"] is True
    log = (tmp_path / "serve.log").read_text()
    assert "provider primary failed: HTTP 500" in log
    assert "answered by backup (qwen-plus) in" in log and "prompt tokens" in log


def test_news_of_the_vendors_comes_with_a_timeline(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, "What is the latest news about the vendors?")
    # Other tests here drop files into the same inbox: at least the sample's nine events.
    answer = page.locator(".ai-message").filter(has_text="The documents report").last
    answer.wait_for()
    assert "(Alibaba Cloud, release): Alibaba Cloud's account team briefed" in answer.inner_text()
    chart = answer.locator(".js-plotly-plot")
    chart.wait_for()
    drawn = chart.inner_text()
    assert "release" in drawn and "earnings" in drawn and "Anthropic" in drawn
    ARTIFACTS.mkdir(exist_ok=True)
    chart.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "chat-timeline.png"))
