"""Uploads through the API and the chat of a real `serve`: a size limit, an allow-list of types,
names that cannot leave the inbox, and no partial file left behind; each refused file says why
while the others are indexed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.core.settings import PROJECT_ROOT
from tests.builders import markdown, write
from tests.conftest import Served, serving
from tests.test_chat_browser import CHROMIUM, ask, chat_page

LIMIT = {"VENDORINTEL_MAX_UPLOAD_MB": "1"}
OVERSIZE = b"# Big\n\n" + b"Qwen pricing line that repeats.\n" * 60_000  # about 1.9 MB
NOTE = markdown("Kimi pilot", "Northwind's Kimi pilot with Moonshot AI ends on 2027-02-14.")


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server accepting uploads of up to 1 MB, over an inbox of one note."""
    root = tmp_path_factory.mktemp("uploads")
    write(root / "inbox" / "seed.md", markdown("Seed", "Alibaba Cloud keeps qwen-max."))
    with serving(root, documents=1, env=LIMIT) as served:
        yield served


def inbox_files(served: Served) -> set[str]:
    return {p.relative_to(served.inbox).as_posix() for p in served.inbox.rglob("*") if p.is_file()}


def test_the_api_refuses_what_it_must_and_indexes_the_rest(limited: Served) -> None:
    files = [
        ("files", ("big.md", OVERSIZE)),
        ("files", ("setup.exe", b"MZ\x90\x00 not a document")),
        ("files", ("../../etc/passwd.md", NOTE.encode())),
        ("files", ("/etc/cron.d/evil.md", NOTE.encode())),
        ("files", ("..", NOTE.encode())),
    ]
    response = httpx.post(f"{limited.url}/api/documents", files=files, timeout=120)

    outcomes = [(o["source"], o["status"], o["reason"] or "") for o in response.json()]
    assert response.status_code == 200
    assert outcomes[0][1] == "refused" and "larger than the 1 MB upload limit" in outcomes[0][2]
    assert outcomes[1][1] == "refused" and "unsupported format .exe" in outcomes[1][2]
    assert outcomes[2][:2] == ("passwd.md", "added")  # the bare name, inside the inbox
    assert outcomes[3][:2] == ("evil.md", "added")
    assert outcomes[4][1] == "refused" and "not a usable file name" in outcomes[4][2]
    assert inbox_files(limited) == {"seed.md", "passwd.md", "evil.md"}  # no partial file either
    assert not (limited.inbox.parent / "etc").exists()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed")
def test_the_chat_says_which_dropped_files_were_refused_and_why(
    limited: Served, tmp_path: Path
) -> None:
    big = tmp_path / "big-notes.md"
    big.write_bytes(OVERSIZE)
    tool = tmp_path / "tool.exe"
    tool.write_bytes(b"MZ\x90\x00 not a document")
    note = write(tmp_path / "kimi-pilot.md", NOTE)

    working_files = set((PROJECT_ROOT / ".files").glob("*"))
    with chat_page(limited.url) as page:
        page.locator("#upload-button-input").set_input_files([str(big), str(tool), str(note)])
        ask(page, "three files")
        reply = page.locator(".ai-message").filter(has_text="Indexed 1 of 3 file(s)").last
        reply.wait_for()
        text = reply.inner_text()

    assert "big-notes.md: refused (larger than the 1 MB upload limit" in text
    assert "tool.exe: refused (unsupported format .exe" in text
    assert "kimi-pilot.md: added" in text
    assert "kimi-pilot.md" in inbox_files(limited) and "big-notes.md" not in inbox_files(limited)
    # The dropped files were kept under the data dir, never the working directory.
    assert set((PROJECT_ROOT / ".files").glob("*")) == working_files
    assert (limited.data_dir / "chat-files").is_dir()
