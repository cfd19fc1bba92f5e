"""What the inbox may hold without harm, against a real `serve` and the real command line: a
link out of the inbox is never read (by the scan, the watcher or an upload), a pipe holds
nothing up, a file past the text limit fails alone, and a decompression bomb is refused at
its limit, in bounded memory, and not unpacked again at the next start."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.app import VendorIntel
from assistant.app import uploads as uploads_module
from ingest.chunking import LocatedSplitter
from tests.builders import markdown, write, write_docx_bomb, write_pdf_bomb
from tests.conftest import Served, cli_env, run_cli, serving, wait_for

SECRET = "Outside secret: zebra-7731 pricing for the board only."
LIMITS = {"VENDORINTEL_MAX_TEXT_MB": "1", "VENDORINTEL_SETTLE_SECONDS": "0.3"}
MEMORY_CAP_MB = 2500


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Path]]:
    """A server over an inbox of one note, with a folder outside the inbox beside it."""
    root = tmp_path_factory.mktemp("inbox-safety")
    write(root / "inbox" / "seed.md", markdown("Seed", "Alibaba Cloud keeps qwen-max."))
    outside = root / "outside"
    write(outside / "secret.md", markdown("Secret", SECRET))
    write(outside / "folder" / "other.md", markdown("Other", SECRET))
    with serving(root, documents=1, env=LIMITS) as served:
        yield served, outside


def sources(served: Served) -> set[str]:
    return {d["source"] for d in httpx.get(f"{served.url}/api/documents").json()}


def sync(served: Served) -> dict[str, list[dict[str, str]]]:
    response = httpx.post(f"{served.url}/api/ingest", timeout=60)
    assert response.status_code == 200, response.text
    body: dict[str, list[dict[str, str]]] = response.json()
    return body


def reasons(issues: list[dict[str, str]], source: str) -> str:
    return " ".join(i["reason"] for i in issues if i["source"] == source)


def test_links_out_of_the_inbox_are_never_read(guarded: tuple[Served, Path]) -> None:
    served, outside = guarded
    (served.inbox / "link.md").symlink_to(outside / "secret.md")
    (served.inbox / "linked").symlink_to(outside / "folder")
    write(served.inbox / "after-links.md", markdown("After", "Baidu keeps ernie-4.5."))
    wait_for(lambda: "after-links.md" in sources(served), 60)  # the watcher has been by
    time.sleep(1)
    assert not {"link.md", "linked/other.md"} & sources(served)
    report = sync(served)
    assert "leading outside the inbox" in reasons(report["skipped"], "link.md")
    assert "leading outside the inbox" in reasons(report["skipped"], "linked")
    answer = httpx.post(f"{served.url}/api/ask", json={"question": "What is zebra-7731?"}).json()
    assert answer["status"] == "insufficient_evidence"
    assert "pricing for the board" not in answer["answer"]


def test_a_file_replaced_by_a_link_out_is_dropped_at_the_next_sync(
    guarded: tuple[Served, Path],
) -> None:
    served, outside = guarded
    note = write(served.inbox / "swapped.md", markdown("Swapped", "Mistral keeps large-3."))
    wait_for(lambda: "swapped.md" in sources(served), 60)
    note.unlink()
    note.symlink_to(outside / "secret.md")
    sync(served)
    assert "swapped.md" not in sources(served)


def test_an_upload_into_a_linked_folder_is_refused(guarded: tuple[Served, Path]) -> None:
    served, outside = guarded
    if not (served.inbox / "linked").is_symlink():
        (served.inbox / "linked").symlink_to(outside / "folder")
    files = {"files": ("planted.md", markdown("Planted", "Planted text."), "text/markdown")}
    response = httpx.post(f"{served.url}/api/documents", files=files, data={"folder": "linked"})
    (outcome,) = response.json()
    assert outcome["status"] == "refused"
    assert "leads outside the inbox" in outcome["reason"]
    assert not (outside / "folder" / "planted.md").exists()


def test_a_pipe_in_the_inbox_holds_nothing_up(guarded: tuple[Served, Path]) -> None:
    served, _ = guarded
    os.mkfifo(served.inbox / "pipe.md")
    try:
        report = sync(served)  # would block on the pipe, holding the ingestion lock
        assert "not a regular file" in reasons(report["skipped"], "pipe.md")
        files = {"files": ("later.md", markdown("Later", "Cohere keeps command-a."), "text/md")}
        uploaded = httpx.post(f"{served.url}/api/documents", files=files, timeout=30).json()
        assert uploaded[0]["status"] == "added"
        deleted = httpx.delete(f"{served.url}/api/documents/later.md", timeout=30)
        assert deleted.status_code == 200
    finally:
        (served.inbox / "pipe.md").unlink()


def test_a_file_past_the_text_limit_fails_alone(guarded: tuple[Served, Path]) -> None:
    served, _ = guarded
    write(served.inbox / "big.md", "# Big\n\n" + "Qwen pricing line that repeats.\n" * 40_000)
    write(served.inbox / "small.md", markdown("Small", "DeepSeek keeps deepseek-v4."))
    report = sync(served)
    assert "more than 1 MB of text" in reasons(report["failed"], "big.md")
    assert "VENDORINTEL_MAX_TEXT_MB" in reasons(report["failed"], "big.md")
    assert "small.md" in sources(served)
    listed = {d["source"]: d for d in httpx.get(f"{served.url}/api/documents").json()}
    assert listed["big.md"]["status"] == "failed"


def peak_memory_mb(env: dict[str, str], *args: str) -> tuple[int, str]:
    """Run `vendorintel ARGS` in a fresh process and return its peak memory and output."""
    probe = (
        "import resource, subprocess, sys\n"
        f"done = subprocess.run({[sys.executable, '-m', 'assistant.shells.cli', *args]!r}, "
        "capture_output=True, text=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)\n"
        "print(done.stdout + done.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=600
    )
    peak, _, output = done.stdout.partition("\n")
    return int(peak), output


def test_decompression_bombs_are_refused_in_bounded_memory_and_not_retried(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "inbox"
    write(inbox / "good.md", markdown("Good", "Anthropic keeps claude-sonnet-4-6."))
    write_docx_bomb(inbox / "bomb.docx", 100)  # about 220 KB, unpacks to 100 MB
    write_pdf_bomb(inbox / "bomb.pdf", 70)  # about 210 KB, one 70 MB content stream
    env = cli_env(tmp_path / "data", inbox)

    peak, output = peak_memory_mb(env, "ingest", "--json")
    assert peak < MEMORY_CAP_MB, f"peak memory {peak} MB"
    report = json.loads(output[output.index("{") :])
    assert "VENDORINTEL_MAX_UNPACKED_MB" in reasons(report["failed"], "bomb.docx")
    assert "VENDORINTEL_MAX_UNPACKED_MB" in reasons(report["failed"], "bomb.pdf")
    assert report["added"] == 1

    again = run_cli(env, "ingest", "--json")
    second = json.loads(again.stdout[again.stdout.index("{") :])
    assert "not read again" in reasons(second["failed"], "bomb.docx")
    assert "not read again" in reasons(second["failed"], "bomb.pdf")


def test_delete_acts_only_on_an_indexed_documents_own_source(guarded: tuple[Served, Path]) -> None:
    served, _ = guarded
    note = write(served.inbox / "articles" / "kept.md", markdown("Kept", "Zhipu keeps glm-5."))
    hidden = write(served.inbox / ".my-notes.md", "private notes")
    tool = write(served.inbox / "tool.exe", "not a document")
    wait_for(lambda: "articles/kept.md" in sources(served), 60)
    for path in (
        ".my-notes.md",
        "tool.exe",
        "articles%2F..%2Farticles%2Fkept.md",
        "x" * 300 + ".md",
    ):
        response = httpx.delete(f"{served.url}/api/documents/{path}")
        assert response.status_code == 404, (path, response.text)
    assert hidden.exists() and tool.exists() and note.exists()
    assert "articles/kept.md" in sources(served)
    assert httpx.delete(f"{served.url}/api/documents/articles/kept.md").status_code == 200
    assert not note.exists() and "articles/kept.md" not in sources(served)


def test_long_upload_names_stay_distinct(guarded: tuple[Served, Path]) -> None:
    served, _ = guarded
    tail = "quarterly-vendor-review-" * 12 + "notes.md"  # the same last 180 characters
    notes = [("alpha-" + tail, "Alpha keeps model-a."), ("beta-" + tail, "Beta keeps model-b.")]
    saved = []
    for name, text in notes:
        files = {"files": (name, markdown(name[:20], text), "text/markdown")}
        (outcome,) = httpx.post(f"{served.url}/api/documents", files=files, timeout=60).json()
        assert outcome["status"] == "added", outcome
        saved.append(outcome["source"])
    assert saved[0] != saved[1]
    assert all(len(source.encode()) <= 255 for source in saved)
    assert saved[0].startswith("alpha-") and saved[1].startswith("beta-")
    long_folder = {"folder": "f" * 300}
    files = {"files": ("note.md", markdown("Note", "Folder note."), "text/markdown")}
    response = httpx.post(f"{served.url}/api/documents", files=files, data=long_folder)
    assert response.status_code == 200 and response.json()[0]["status"] == "added"


def test_a_file_that_cannot_be_split_fails_alone(
    intel: VendorIntel, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(inbox / "jam.md", markdown("Jam", "A file the splitter gives up on."))
    write(inbox / "fine.md", markdown("Fine", "Moonshot AI keeps kimi-k2."))
    split = LocatedSplitter._split_document

    def give_up_on_jam(self: LocatedSplitter, doc: object, ingested_at: str) -> object:
        if getattr(doc, "doc_id", "") == "jam.md":  # as the sentence tokenizer's time guard does
            raise TimeoutError("regex match exceeded its time limit")
        return split(self, doc, ingested_at)  # type: ignore[arg-type]

    monkeypatch.setattr(LocatedSplitter, "_split_document", give_up_on_jam)
    report = intel.ingest(progress=False)
    (failure,) = report.failed
    assert failure.source == "jam.md"
    assert "could not be split into chunks (TimeoutError" in failure.reason
    assert report.outcomes["fine.md"] == "added"
    listed = {d.source: d.status for d in intel.documents()}
    assert listed == {"fine.md": "indexed", "jam.md": "failed"}


def test_a_long_ingest_answers_others_503_and_stops_on_sigterm(tmp_path: Path) -> None:
    write(tmp_path / "inbox" / "seed.md", markdown("Seed", "Alibaba Cloud keeps qwen-max."))
    env = {"VENDORINTEL_INGEST_WAIT_SECONDS": "1", "VENDORINTEL_SETTLE_SECONDS": "0.3"}
    with serving(tmp_path, documents=1, env=env) as served:
        assert served.process is not None
        long_note = "# Long\n\n" + "Each quarter the vendor review repeats its findings.\n" * 12_000
        write(served.inbox / "long.md", long_note)  # about 600 KB: a minute of embedding
        note = {"files": ("later.md", markdown("Later", "Cohere keeps command-a."), "text/md")}
        deadline = time.monotonic() + 60
        while True:  # until the watcher is ingesting long.md
            busy = httpx.post(f"{served.url}/api/documents", files=note, timeout=30)
            if busy.status_code == 503 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert busy.status_code == 503, busy.text
        assert busy.headers["Retry-After"].isdigit()
        assert "another ingestion is running" in busy.json()["detail"]

        stopped_at = time.monotonic()
        served.process.terminate()
        served.process.wait(timeout=60)
        assert time.monotonic() - stopped_at < 15


def test_concurrent_uploads_of_one_name_are_told_what_became_of_them(
    intel: VendorIntel, monkeypatch: pytest.MonkeyPatch
) -> None:
    both_saved = threading.Barrier(2)
    save = uploads_module.save_upload

    def save_then_wait(*args: Any, **kwargs: Any) -> Any:
        saved = save(*args, **kwargs)
        both_saved.wait()  # the second upload overwrites the first before either is indexed
        return saved

    monkeypatch.setattr(uploads_module, "save_upload", save_then_wait)
    outcomes: dict[str, str] = {}

    def upload(text: str) -> None:
        data = io.BytesIO(markdown("Race", text).encode())
        (outcome,) = intel.add_files([("race.md", data)])
        outcomes[text] = outcome.status

    senders = [threading.Thread(target=upload, args=(f"Version {v}.",)) for v in "AB"]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    indexed = (
        "Version A."
        if "Version A." in (intel.settings.inbox_dir / "race.md").read_text()
        else "Version B."
    )
    other = ({"Version A.", "Version B."} - {indexed}).pop()
    assert outcomes[indexed] == "added"
    assert outcomes[other] == "replaced"


def test_html_text_outside_paragraphs_is_indexed_and_answerable(
    guarded: tuple[Served, Path],
) -> None:
    served, _ = guarded
    page = """<html><head><title>Kestrel terms</title></head><body>
    <div>Kestrel keeps the kx-9 snapshot callable until 2027-05-01.<p>Terms follow.</p></div>
    <ul><li>Kestrel credits 15% below 99.5% uptime.<ul><li>Claims within 30 days.</li></ul>
    </li></ul>
    <table><tr><td><p>Kestrel's support desk answers within 4 hours.</p></td></tr></table>
    </body></html>"""
    files = {"files": ("kestrel-terms.html", page, "text/html")}
    (outcome,) = httpx.post(f"{served.url}/api/documents", files=files, timeout=60).json()
    assert outcome["status"] == "added"
    for question, said in (
        ("Until when is the Kestrel kx-9 snapshot callable?", "callable until 2027-05-01"),
        ("What does Kestrel credit below 99.5% uptime?", "credits 15% below 99.5% uptime"),
        ("How fast does Kestrel's support desk answer?", "answers within 4 hours"),
    ):
        answer = httpx.post(f"{served.url}/api/ask", json={"question": question}, timeout=60)
        assert said in answer.json()["answer"], (question, answer.json()["answer"])


def test_linked_folders_link_loops_and_outside_folders_given_by_name(
    intel: VendorIntel, inbox: Path, tmp_path: Path
) -> None:
    write(inbox / "real" / "x.md", markdown("X", "Zhipu keeps glm-5."))
    write(inbox / "sub" / "s.md", markdown("S", "Baidu keeps ernie-4.5."))
    (inbox / "linkdir").symlink_to(inbox / "real")  # a second way to the same files
    (inbox / "loop-a.md").symlink_to(inbox / "loop-b.md")
    (inbox / "loop-b.md").symlink_to(inbox / "loop-a.md")
    report = intel.ingest(progress=False)
    skipped = {issue.source: issue.reason for issue in report.skipped}
    assert "linked folder" in skipped["linkdir"]
    assert "cannot be followed" in skipped["loop-a.md"]
    assert {d.source for d in intel.documents()} == {"real/x.md", "sub/s.md"}
    (outcome,) = intel.add_files(
        [("y.md", io.BytesIO(b"# Y\n\nMistral keeps large-3."))], "linkdir"
    )
    assert outcome.status == "refused" and not (inbox / "real" / "y.md").exists()

    outside = write(tmp_path / "elsewhere" / "docs" / "o.md", markdown("O", SECRET)).parent
    (tmp_path / "via-link").symlink_to(outside.parent)
    given = intel.ingest([tmp_path / "via-link" / "docs"], progress=False)  # asked for by name
    assert given.outcomes == {"o.md": "added"}

    for path in (inbox / "sub").iterdir():
        path.unlink()
    (inbox / "sub").rmdir()
    (inbox / "sub").symlink_to(outside)  # a folder replaced by a link out of the inbox
    intel.ingest(progress=False)
    assert "sub/s.md" not in {d.source for d in intel.documents()}
