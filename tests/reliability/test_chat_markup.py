"""Markup inside documents reaches the chat as text: an answer quoting a passage with HTML in it
renders no element from it and runs none of its script, in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import markdown, write
from tests.conftest import serving
from tests.test_chat_browser import CHROMIUM, ask, chat_page

HOSTILE = (
    'The qwen-max API uptime commitment is 99.5% per month <img src="x" id="injected" '
    'onerror="window.injected = 1"> under the <b id="bolded">Alibaba Cloud</b> SLA.'
)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed")
def test_html_in_a_quoted_passage_is_shown_as_text(tmp_path: Path) -> None:
    write(tmp_path / "inbox" / "sla.md", markdown("Qwen SLA note", HOSTILE))
    with serving(tmp_path, documents=1) as served, chat_page(served.url) as page:
        ask(page, "What is the qwen-max API uptime commitment?")
        answer = page.locator(".ai-message").filter(has_text="99.5%").last
        answer.wait_for()

        # The reader sees the passage as written, tags included, as plain text.
        assert '<b id="bolded">Alibaba Cloud</b>' in answer.inner_text()
        assert page.locator("#injected").count() == 0
        assert page.locator("#bolded").count() == 0
        assert page.evaluate("window.injected") is None
