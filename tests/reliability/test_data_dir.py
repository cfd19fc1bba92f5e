"""A data directory that fills up or turns read-only while ingesting: a clear error that says
what to do, the index as it was still answers, the inbox is untouched, and ingestion carries on
once the disk is fixed.

The faults are the operating system's own: a size-limited tmpfs that really runs out of space,
and the immutable attribute, which refuses writes even to root (the tests run as root).
"""

from __future__ import annotations

import errno
import hashlib
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.app import VendorIntel
from assistant.core.errors import DataDirError
from assistant.core.settings import Settings
from assistant.shells.api import create_app
from assistant.storage.chunks import ChunkStore
from tests.builders import markdown, write
from tests.conftest import SAMPLE_DOCUMENTS, SAMPLES, cli_env, run_cli, wait_for

NEW_NOTE = markdown(
    "Baidu ERNIE capacity note",
    "Baidu reserved 42 dedicated GPU clusters for ERNIE enterprise customers in 2027.",
    vendors=["Baidu"],
    published="2026-11-20",
)
UPTIME = "What uptime does Alibaba give for qwen-max?"


def inbox_digest(inbox: Path) -> dict[str, str]:
    return {
        p.relative_to(inbox).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(inbox.rglob("*"))
        if p.is_file()
    }


def privileged(command: list[str], what: str) -> None:
    """Run a command that needs root's capabilities, or skip: the fault cannot be made here."""
    try:
        done = subprocess.run(command, capture_output=True, text=True)
    except FileNotFoundError:
        pytest.skip(f"cannot {what} here: {command[0]} is not installed")
    if done.returncode != 0:
        pytest.skip(f"cannot {what} here ({done.stderr.strip()}); needs root")


def index_once(data: Path, inbox: Path, embed_model: BaseEmbedding) -> None:
    """The index as it was before the fault (made in this process: quicker than the CLI)."""
    intel = VendorIntel(Settings(data_dir=data, inbox=inbox, _env_file=None), embed_model)  # type: ignore[call-arg]
    assert intel.ingest(progress=False).ok
    intel.close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A data dir on its own 24 MB ext4 filesystem (a disk image), which can really be filled.

    Not tmpfs: there, reading a memory-mapped file's unwritten pages allocates them, so the
    embedded engine's preallocated files fill the disk as soon as they are opened."""
    image, mount = tmp_path / "disk.img", tmp_path / "data"
    with image.open("wb") as disk:
        disk.truncate(24 << 20)
    mount.mkdir()
    privileged(["mkfs.ext4", "-q", "-F", "-m", "0", "-b", "4096", str(image)], "make a filesystem")
    privileged(["mount", "-o", "loop", str(image), str(mount)], "mount a disk image")
    (mount / "lost+found").rmdir()  # the filesystem's own: an empty folder like any other
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Write until the filesystem refuses: no byte is left for anyone."""
    filler = folder / "filler.bin"
    with suppress(OSError), filler.open("wb") as out:
        while True:
            out.write(b"\0" * (1 << 20))
    with suppress(OSError), filler.open("ab") as out:  # the last partial megabyte
        while True:
            out.write(b"\0" * 4096)
            out.flush()
    with pytest.raises(OSError) as refused:
        (folder / "probe").write_bytes(b"\0" * 8192)
    assert refused.value.errno == errno.ENOSPC
    (folder / "probe").unlink()
    return filler


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make the folder and everything in it immutable: no new file, rename or deletion."""
    try:
        privileged(["chattr", "-R", "+i", str(folder)], "set the immutable attribute")
        yield
    finally:  # also after a partial failure, so the folder can be cleaned up
        with suppress(FileNotFoundError):
            subprocess.run(["chattr", "-R", "-i", str(folder)], check=False)


def test_a_full_disk_stops_ingestion_clearly_and_the_index_still_answers(
    tmp_path: Path, small_disk: Path, embed_model: BaseEmbedding
) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLES, inbox)
    index_once(small_disk, inbox, embed_model)
    env = cli_env(small_disk, inbox)
    filler = fill(small_disk)
    write(inbox / "news" / "baidu-capacity.md", NEW_NOTE)
    before = inbox_digest(inbox)

    refused = run_cli(env, "ingest")
    answer = run_cli(env, "ask", UPTIME)

    # The user sees one line saying what happened and what to do, not a traceback.
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    message = refused.stderr.strip().splitlines()[-1]
    assert message.startswith(f"error: Cannot write to {small_disk}")
    assert "the disk is full; free some space" in message
    assert "run `vendorintel ingest` again" in message
    # The index as it was answers, with its citations.
    assert answer.returncode == 0, answer.stderr
    assert "99.9%" in answer.stdout and "contracts/alibaba-cloud-sla.md" in answer.stdout
    assert inbox_digest(inbox) == before  # the user's files are never touched

    filler.unlink()
    resumed = run_cli(env, "ingest")
    asked = run_cli(env, "ask", "How many GPU clusters did Baidu reserve for ERNIE?")

    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.startswith("1 added, 0 updated")
    assert "42 dedicated GPU clusters" in asked.stdout and "news/baidu-capacity.md" in asked.stdout
    assert not list(small_disk.rglob("*.partial")), "a cut-short write left a temporary file"


def test_a_data_dir_that_turns_read_only_under_the_server_recovers_without_a_restart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLES, inbox)
    data = tmp_path / "data"
    settings = Settings(
        data_dir=data, inbox=inbox, retry_seconds=0.5, settle_seconds=0.2, _env_file=None
    )  # type: ignore[call-arg]
    with TestClient(create_app(settings, with_chat=False)) as client:
        wait_for(lambda: len(client.get("/api/documents").json()) == SAMPLE_DOCUMENTS, 120)
        assert client.post("/api/ingest").json()["unchanged"] == SAMPLE_DOCUMENTS  # synced
        with read_only(data):
            write(inbox / "news" / "baidu-capacity.md", NEW_NOTE)
            refused = client.post("/api/ingest")
            upload = client.post(
                "/api/documents",
                files={"files": ("deepseek-note.md", b"# DeepSeek note\n\nDeepSeek-V4 ships.")},
                data={"folder": "news"},
            )
            answer = client.post("/api/ask", json={"question": UPTIME})
            health = client.get("/api/healthz")
            nothing_written = client.delete("/api/documents/news/no-such.md")
            wait_for(lambda: "retrying in" in caplog.text, 10)  # the watcher failed as well

            for response in (refused, upload):
                assert response.status_code == 507, response.text
                detail = response.json()["detail"]
                assert detail.startswith(f"Cannot write to {data}")
                assert "read-only or not writable; make it writable" in detail
            assert answer.status_code == 200, answer.text
            assert "99.9%" in answer.json()["answer"]
            assert "contracts/alibaba-cloud-sla.md" in {
                c["source"] for c in answer.json()["citations"]
            }
            assert health.status_code == 503, health.text
            assert "read-only or not writable" in health.json()["ingest_error"]
            assert nothing_written.status_code == 404  # and, having saved nothing, proves nothing:
            assert (
                client.get("/api/healthz").json()["ingest_error"] == health.json()["ingest_error"]
            )
            assert (inbox / "news" / "deepseek-note.md").exists()  # kept for the retry

        # Writable again: the watcher's retry indexes both files, with no restart or command.
        def indexed() -> set[str]:
            return {d["source"] for d in client.get("/api/documents").json()}

        def healthy() -> bool:
            return client.get("/api/healthz").json()["ingest_error"] is None

        wait_for(lambda: {"news/baidu-capacity.md", "news/deepseek-note.md"} <= indexed(), 60)
        wait_for(healthy, 30)  # chattr clears file by file: a retry meanwhile may fail once
        assert len(indexed()) == SAMPLE_DOCUMENTS + 2


def test_a_read_only_data_dir_at_start_is_named_with_the_fix(
    tmp_path: Path, embed_model: BaseEmbedding
) -> None:
    index_once(tmp_path / "data", SAMPLES, embed_model)
    env = cli_env(tmp_path / "data", SAMPLES)
    with read_only(tmp_path / "data"):
        done = run_cli(env, "ask", UPTIME)

    assert done.returncode == 2 and "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: The embedded index at {tmp_path / 'data' / 'qdrant'}")
    assert "the data directory must be writable" in last


def test_a_disk_that_fills_after_the_check_for_room_changes_nothing_until_the_next_run(
    tmp_path: Path,
    small_disk: Path,
    make_intel: Callable[[Settings], VendorIntel],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLES, inbox)
    intel = make_intel(
        Settings(data_dir=small_disk, inbox=inbox, watch_inbox=False, _env_file=None)  # type: ignore[call-arg]
    )
    assert intel.ingest(progress=False).ok
    indexed = intel.store.document_stats()
    filler = fill(small_disk)
    sla = inbox / "contracts" / "alibaba-cloud-sla.md"
    sla.write_text(sla.read_text() + "\nAlibaba Cloud adds a 99.95% tier for qwen-max in 2027.\n")
    write(inbox / "news" / "baidu-capacity.md", NEW_NOTE)
    # Another program takes the last bytes after the batch's check for room: the writes
    # themselves are refused (the embedded engine checks again before each one).
    monkeypatch.setattr(ChunkStore, "ensure_room", lambda store, needed: None)

    with pytest.raises(DataDirError, match=r"full.*free some space"):
        intel.ingest(progress=False)
    answer = intel.ask(UPTIME)
    briefing = intel.run_checkpoints(["Alibaba Cloud"])

    assert intel.store.document_stats() == indexed  # not a chunk lost, changed or added
    assert "99.9%" in answer.answer
    assert "contracts/alibaba-cloud-sla.md" in {c.source for c in answer.citations}
    # The briefing is still produced, and says it could not be kept for the next comparison.
    assert briefing.vendors and "This briefing was not saved (No space left" in briefing.changes[-1]

    filler.unlink()
    report = intel.ingest(progress=False)
    fresh = make_intel(
        Settings(data_dir=tmp_path / "fresh", inbox=inbox, watch_inbox=False, _env_file=None)  # type: ignore[call-arg]
    )
    fresh.ingest(progress=False)

    assert (report.added, report.updated) == (1, 1)
    counts = {doc: n for doc, (n, _) in intel.store.document_stats().items()}
    assert counts == {doc: n for doc, (n, _) in fresh.store.document_stats().items()}


def test_an_upload_into_a_full_inbox_is_refused_with_the_reason(
    tmp_path: Path, small_disk: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "index", inbox=small_disk, watch_inbox=False, _env_file=None
    )  # type: ignore[call-arg]
    fill(small_disk)
    with TestClient(create_app(settings, with_chat=False)) as client:
        response = client.post("/api/documents", files={"files": ("note.md", NEW_NOTE.encode())})

    [outcome] = response.json()
    assert (outcome["source"], outcome["status"]) == ("note.md", "refused")
    assert outcome["reason"].startswith(
        "not saved: the inbox refused the write (No space left on device)"
    )
    assert [p.name for p in small_disk.iterdir()] == ["filler.bin"]  # no partial upload
