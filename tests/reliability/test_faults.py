"""Processes killed with SIGKILL at awkward moments: a checkpoint run, and a server in the middle
of an upload. After a restart the product works, and the index equals the inbox."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.conftest import SAMPLES, cli_env, run_cli, serving


def test_a_checkpoint_run_killed_midway_leaves_the_next_one_working(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "data", SAMPLES)
    assert run_cli(env, "ingest").returncode == 0
    assert run_cli(env, "checkpoints", "--vendor", "Alibaba Cloud").returncode == 0
    briefings = tmp_path / "data" / "briefings"
    first = sorted(briefings.glob("*.json"))

    # Killed at several points of a run: loading, answering, or writing its file.
    for delay in (1.5, 4.0):
        command = [sys.executable, "-m", "assistant.shells.cli", "checkpoints"]
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    # A briefing cut short by an older writer must not break the comparison either.
    (briefings / "29991231T000000Z.json").write_text('{"generated_at": "2999-12-31', "utf-8")

    done = run_cli(env, "checkpoints", "--vendor", "Alibaba Cloud", "--format", "json")

    assert done.returncode == 0, done.stderr
    assert '"changes"' in done.stdout and "First briefing" not in done.stdout
    assert set(first) < set(briefings.glob("*.json"))  # the earlier runs kept, this one added


def test_a_server_killed_during_an_upload_loses_nothing(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES / "contracts", tmp_path / "inbox" / "contracts")
    big = ("Vendor note line about qwen-max pricing and fallback terms.\n" * 400_000).encode()
    # Indexing a 24 MB note would take minutes: above the file limit it is listed as failed.
    limit = {"VENDORINTEL_MAX_FILE_MB": "1"}
    with serving(tmp_path, documents=2, env=limit) as served:
        before = sorted(p.name for p in served.inbox.rglob("*") if p.is_file())
        pid = int(json.loads((served.data_dir / "server.json").read_text())["pid"])

        def upload() -> None:
            files = [("files", ("big-note.md", big, "text/markdown"))]
            with contextlib.suppress(httpx.HTTPError):  # the server dies under it
                httpx.post(f"{served.url}/api/documents", files=files, timeout=60)

        sender = threading.Thread(target=upload)
        sender.start()
        time.sleep(0.5)
        os.kill(pid, signal.SIGKILL)
        sender.join(timeout=60)

    # The inbox holds what it held, or the whole upload; never a part of it.
    after = {p.name: p for p in served.inbox.rglob("*") if p.is_file()}
    assert set(before) <= set(after)
    if "big-note.md" in after:
        assert after["big-note.md"].read_bytes() == big
    files = [name for name in after if not name.startswith(".")]
    with serving(tmp_path, documents=len(files), env=limit) as again:
        listed = {
            d["source"].rsplit("/", 1)[-1]: d["status"]
            for d in httpx.get(f"{again.url}/api/documents").json()
        }
        assert set(listed) == set(files)
        assert {listed[name] for name in before} == {"indexed"}
        # A temporary file the killed upload left behind is cleared when serving starts.
        assert not list(again.inbox.rglob(".upload-*"))
