"""The JSON API: ask, documents (list, upload, delete), ingest and health, as a client sees them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.app import VendorIntel
from assistant.core.settings import Settings
from assistant.shells.api import create_app
from tests.builders import markdown, write, write_pdf

QWEN_TERMS = markdown(
    "Qwen terms",
    "Alibaba Cloud must give 60 days notice before retiring a pinned qwen-max snapshot.",
    vendors=["Alibaba Cloud"],
)


@pytest.fixture
def client(
    make_intel: Callable[[Settings], VendorIntel], settings: Settings, inbox: Path
) -> Iterator[TestClient]:
    app = create_app(settings, with_chat=False, intel=make_intel(settings))
    with TestClient(app) as test_client:
        yield test_client


def test_ask_on_an_empty_index_says_what_to_do(client: TestClient) -> None:
    response = client.post("/api/ask", json={"question": "What is our fallback for search?"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "insufficient_evidence"
    assert "The index is empty" in body["answer"] and body["citations"] == []


def test_upload_then_ask_then_delete(client: TestClient, inbox: Path) -> None:
    response = client.post(
        "/api/documents",
        files=[
            ("files", ("qwen terms.md", QWEN_TERMS.encode(), "text/markdown")),
            ("files", ("broken.pdf", b"%PDF-1.7 not really", "application/pdf")),
            ("files", ("deck.pptx", b"slides", "application/octet-stream")),
        ],
        data={"folder": "contracts"},
    )
    assert response.status_code == 200
    outcomes = {o["source"]: o for o in response.json()}
    assert outcomes["contracts/qwen terms.md"]["status"] == "added"
    assert outcomes["contracts/broken.pdf"]["status"] == "failed"
    assert "not a readable PDF" in outcomes["contracts/broken.pdf"]["reason"]
    assert outcomes["deck.pptx"]["status"] == "refused"
    assert "unsupported format .pptx" in outcomes["deck.pptx"]["reason"]
    assert (inbox / "contracts" / "qwen terms.md").read_text() == QWEN_TERMS
    assert not (inbox / "deck.pptx").exists()

    answer = client.post(
        "/api/ask", json={"question": "How much notice before retiring qwen-max?", "vendor": "Qwen"}
    ).json()
    assert answer["status"] == "answered"
    assert answer["citations"][0]["source"] == "contracts/qwen terms.md"
    assert "60 days" in answer["answer"]

    listed = {d["source"]: d for d in client.get("/api/documents").json()}
    assert listed["contracts/qwen terms.md"]["status"] == "indexed"
    # A file that failed is listed with its reason, and stays where it was put.
    assert listed["contracts/broken.pdf"]["status"] == "failed"
    assert "not a readable PDF" in listed["contracts/broken.pdf"]["reasons"][0]
    assert (inbox / "contracts" / "broken.pdf").exists()

    deleted = client.delete("/api/documents/contracts/qwen terms.md")
    assert deleted.status_code == 200
    assert not (inbox / "contracts" / "qwen terms.md").exists()
    assert [d["source"] for d in client.get("/api/documents").json()] == ["contracts/broken.pdf"]
    assert client.delete("/api/documents/contracts/qwen terms.md").status_code == 404


def test_upload_replaces_a_file_of_the_same_name(client: TestClient, inbox: Path) -> None:
    old = markdown("Renewal", "The DeepSeek renewal is due on 2027-01-15.")
    new = markdown("Renewal", "The DeepSeek renewal is due on 2027-06-30.")
    client.post("/api/documents", files=[("files", ("renewal.md", old.encode(), "text/plain"))])
    again = client.post(
        "/api/documents", files=[("files", ("renewal.md", new.encode(), "text/plain"))]
    )
    assert again.json() == [{"source": "renewal.md", "status": "updated", "reason": None}]
    answer = client.post("/api/ask", json={"question": "When is the DeepSeek renewal due?"}).json()
    assert "2027-06-30" in answer["answer"] and "2027-01-15" not in answer["answer"]


@pytest.mark.parametrize("name", ["../../etc/passwd.md", "/etc/cron.d/evil.md", "..\\..\\win.md"])
def test_upload_names_cannot_escape_the_inbox(client: TestClient, inbox: Path, name: str) -> None:
    content = markdown("Note", "A note about Baidu ERNIE pricing.").encode()
    response = client.post("/api/documents", files=[("files", (name, content, "text/plain"))])
    (outcome,) = response.json()
    assert outcome["status"] == "added"
    saved = inbox / outcome["source"]
    assert saved.parent == inbox and saved.is_file()


def test_delete_refuses_paths_outside_the_inbox(client: TestClient, tmp_path: Path) -> None:
    victim = write(tmp_path / "outside.md", "keep me")
    response = client.delete("/api/documents/..%2Foutside.md")  # the server sees ../outside.md
    assert response.status_code == 404
    assert victim.exists()


def test_ingest_syncs_the_inbox(client: TestClient, inbox: Path) -> None:
    write_pdf(inbox / "earnings" / "q3.pdf", [["Baidu AI Cloud revenue grew 27%."]])
    report = client.post("/api/ingest").json()
    assert report["added"] == 1 and report["failed"] == []


def test_healthz_reports_store_model_and_counts(client: TestClient, inbox: Path) -> None:
    write(inbox / "a.md", QWEN_TERMS)
    client.post("/api/ingest")
    response = client.get("/api/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "store": {"mode": "embedded", "reachable": True, "error": None},
        "embedding_model": {"name": "all-MiniLM-L6-v2", "backend": "onnx", "loaded": True},
        "documents": 1,
        "chunks": 1,
        "ingest_error": None,
    }


def test_openapi_documents_every_endpoint_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/api/ask", "/api/documents", "/api/documents/{source}", "/api/healthz"} <= set(
        spec["paths"]
    )
    ask_schema = spec["components"]["schemas"]["AskRequest"]
    assert ask_schema["examples"][0]["question"].startswith("What is our fallback")
    assert client.get("/docs").status_code == 200


def test_questions_are_validated(client: TestClient) -> None:
    assert client.post("/api/ask", json={"question": ""}).status_code == 422
    assert client.post("/api/ask", json={"question": "x", "top_k": 0}).status_code == 422
