"""The `vendorintel` command, run as a user runs it: a real process, real exit codes, real JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from assistant.app import VendorIntel
from assistant.core.settings import Settings
from tests.builders import markdown, write
from tests.conftest import Served

CITATION_KEYS = {"n", "source", "title", "doc_type", "published", "locator", "quote", "score"}


def vendorintel(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "VENDORINTEL_DATA_DIR": str(settings.data_dir),
        "VENDORINTEL_INBOX": str(settings.inbox_dir),
    }
    command = [sys.executable, "-m", "assistant.shells.cli", *args]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_ingest_ask_documents_end_to_end(settings: Settings, inbox: Path) -> None:
    write(
        inbox / "contracts" / "qwen.md",
        markdown(
            "Qwen terms",
            "The fallback for support ticket summarization is the in-house qwen3-235b model.",
            published="2026-07-15",
            vendors=["Alibaba Cloud"],
        ),
    )
    write(inbox / "empty.txt", "")

    ingest = vendorintel(settings, "ingest", "--json")
    assert ingest.returncode == 3, ingest.stderr
    summary = json.loads(ingest.stdout)
    assert summary == {
        "added": 1,
        "updated": 0,
        "unchanged": 0,
        "removed": 0,
        "failed": [{"source": "empty.txt", "reason": "empty file: nothing to index"}],
        "skipped": [],
    }

    ask = vendorintel(
        settings, "ask", "What is the fallback for support ticket summarization?", "--json"
    )
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    assert set(answer) == {"answer", "status", "citations", "answered_by", "notice"}
    assert answer["answered_by"] == "extractive" and answer["notice"] is None
    assert answer["status"] == "answered"
    assert "qwen3-235b" in answer["answer"] and "[1]" in answer["answer"]
    (citation,) = answer["citations"]
    assert set(citation) == CITATION_KEYS
    assert citation | {"score": None} == {
        "n": 1,
        "source": "contracts/qwen.md",
        "title": "Qwen terms",
        "doc_type": "contract",
        "published": "2026-07-15",
        "locator": "line 9",  # front matter 1-6, heading 7, blank 8
        "score": None,
        "quote": "The fallback for support ticket summarization is the in-house qwen3-235b model.",
    }

    listing = vendorintel(settings, "documents", "--json")
    assert listing.returncode == 0, listing.stderr
    doc, failed = json.loads(listing.stdout)
    assert (
        doc["source"] == "contracts/qwen.md"
        and doc["vendors"] == ["Alibaba Cloud"]
        and doc["chunks"] == 1
        and doc["status"] == "indexed"
    )
    assert (failed["source"], failed["status"]) == ("empty.txt", "failed")
    assert failed["reasons"] == ["empty file: nothing to index"]

    table = vendorintel(settings, "documents").stdout
    assert "STATUS" in table.splitlines()[0]
    assert "empty.txt" in table and "failed" in table and "empty file: nothing to index" in table

    text = vendorintel(settings, "ask", "What is the fallback for support ticket summarization?")
    assert (
        "Sources:" in text.stdout
        and "[1] Qwen terms (contract, 2026-07-15) - contracts/qwen.md, line 9" in text.stdout
    )


def test_a_second_process_gets_a_clear_message_when_the_store_is_in_use(
    intel: VendorIntel, settings: Settings
) -> None:
    result = vendorintel(settings, "documents")
    assert result.returncode == 2
    assert "in use by another vendorintel process" in result.stderr
    assert "VENDORINTEL_QDRANT_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_talks_to_the_running_server_that_holds_the_store(served: Served) -> None:
    settings = Settings(data_dir=served.data_dir, inbox=served.inbox, _env_file=None)  # type: ignore[call-arg]

    result = vendorintel(settings, "ask", "Under what licence was DeepSeek-R1 released?", "--json")

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["status"] == "answered" and "MIT" in answer["answer"]
    listing = json.loads(vendorintel(settings, "documents", "--json").stdout)
    assert len(listing) >= 11
    refused = vendorintel(settings, "ingest", str(served.inbox / "evals"))
    assert refused.returncode == 2 and "holds the index" in refused.stderr


def test_commands_that_need_no_model_never_import_torch_or_onnxruntime(
    settings: Settings,
) -> None:
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from assistant.shells.cli import app\n"
        "heavy = ('torch', 'llama_index.core', 'qdrant_client')\n"
        "light = not any(m in sys.modules for m in heavy)\n"
        "result = CliRunner().invoke(app, ['documents'])\n"
        "model = any(m in sys.modules for m in ('torch', 'onnxruntime'))\n"
        "print(light, model, result.exit_code)\n"
    )
    env = {
        **os.environ,
        "VENDORINTEL_DATA_DIR": str(settings.data_dir),
        "VENDORINTEL_INBOX": str(settings.inbox_dir),
    }
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120
    )

    # Importing the command line loads neither the model nor the index; `documents` opens
    # the index but never the model.
    assert done.stdout.split() == ["True", "False", "0"], done.stderr
