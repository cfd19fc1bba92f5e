"""Ingestion: every format indexed with citable metadata, incremental, and nothing lost."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from assistant.app import VendorIntel
from assistant.core.settings import Settings
from tests.builders import markdown, write, write_docx, write_jsonl, write_pdf, write_yaml
from tests.conftest import EmbedCounter


def build_inbox(inbox: Path) -> None:
    """One small file of every supported format, in the folders users drop them into."""
    write(
        inbox / "articles" / "qwen.md",
        markdown(
            "Qwen3 goes open",
            "Alibaba released Qwen3 under Apache 2.0.\n\nTongyi models are popular.",
            published="2025-05-02",
        ),
    )
    write(
        inbox / "articles" / "claude.txt",
        "Claude in the enterprise\n\nAnthropic sells Claude to banks.\n",
    )
    write(
        inbox / "articles" / "gpt5.html",
        '<html><head><title>GPT-5 launch</title><meta name="date" content="2025-08-12"></head>'
        "<body><p>OpenAI shipped GPT-5 in three sizes.</p></body></html>",
    )
    write_pdf(
        inbox / "earnings" / "alibaba.pdf",
        [["Cloud revenue rose 34%."], ["Capex reached RMB 120 billion."]],
    )
    write_docx(
        inbox / "contracts" / "anthropic.docx",
        "Anthropic MSA",
        ["Uptime commitment is 99.9 percent."],
    )
    write(
        inbox / "evals" / "evals.csv",
        "vendor,model,score\nOpenAI,gpt-5,0.9\nDeepSeek,deepseek-r1,0.8\n",
    )
    write_jsonl(
        inbox / "evals" / "runs.jsonl",
        [{"vendor": "Google", "model": "gemini-2.5-pro", "score": 0.85}],
    )
    write_yaml(
        inbox / "registry" / "workflows.yaml",
        {"workflows": [{"name": "search", "primary": "Gemini"}]},
    )
    write(
        inbox / "memo.md",
        markdown("Board memo", "Budget review of the Baidu pilot.", doc_type="roadmap"),
    )


def payloads(intel: VendorIntel) -> list[dict[str, object]]:
    return [point.payload for point in intel.store.points([])]


def chunks_of(intel: VendorIntel, source: str) -> list[dict[str, object]]:
    return [p for p in payloads(intel) if p["source"] == source]


def test_every_format_is_indexed_with_citation_metadata(intel: VendorIntel, inbox: Path) -> None:
    build_inbox(inbox)
    report = intel.ingest(progress=False)
    assert report.ok, report.summary()
    assert (report.added, report.updated, report.unchanged, report.removed) == (9, 0, 0, 0)

    docs = {d.source: d for d in intel.documents()}
    assert set(docs) == {
        "articles/qwen.md",
        "articles/claude.txt",
        "articles/gpt5.html",
        "earnings/alibaba.pdf",
        "contracts/anthropic.docx",
        "evals/evals.csv",
        "evals/runs.jsonl",
        "registry/workflows.yaml",
        "memo.md",
    }
    assert all(d.chunks >= 1 and d.ingested_at for d in docs.values())
    assert docs["evals/evals.csv"].chunks == 2

    # doc_type: front matter wins, then the first folder, else "note".
    assert docs["memo.md"].doc_type == "roadmap"
    assert docs["earnings/alibaba.pdf"].doc_type == "earnings"
    assert docs["articles/gpt5.html"].doc_type == "article"
    # published: front matter, HTML meta, else the file's modification date.
    assert docs["articles/qwen.md"].published == "2025-05-02"
    assert docs["articles/gpt5.html"].published == "2025-08-12"
    mtime = time.strftime(
        "%Y-%m-%d", time.localtime((inbox / "evals" / "evals.csv").stat().st_mtime)
    )
    assert docs["evals/evals.csv"].published == mtime
    # vendors: aliases (Qwen, Tongyi, Claude, Gemini) map to canonical names.
    assert docs["articles/qwen.md"].vendors == ["Alibaba Cloud"]
    assert docs["articles/claude.txt"].vendors == ["Anthropic"]
    assert docs["registry/workflows.yaml"].vendors == ["Google"]

    pdf_locators = sorted(str(p["locator"]) for p in chunks_of(intel, "earnings/alibaba.pdf"))
    assert pdf_locators == ["page 1", "page 2"]
    csv_chunks = {str(p["locator"]): p for p in chunks_of(intel, "evals/evals.csv")}
    assert set(csv_chunks) == {"row 2", "row 3"}
    # Table rows carry the vendors named in that row only.
    assert csv_chunks["row 3"]["vendors"] == ["DeepSeek"]
    (md_chunk,) = chunks_of(intel, "articles/qwen.md")
    assert md_chunk["locator"] == "lines 5-9"  # front matter is lines 1-4; the heading is line 5
    assert md_chunk["title"] == "Qwen3 goes open"


def test_second_ingest_of_the_same_folder_embeds_nothing(
    intel: VendorIntel, inbox: Path, embed_counter: EmbedCounter
) -> None:
    build_inbox(inbox)
    intel.ingest(progress=False)
    chunks_before = intel.store.count()
    embed_counter.reset()

    report = intel.ingest(progress=False)

    assert (report.added, report.updated, report.unchanged, report.removed) == (0, 0, 9, 0)
    assert embed_counter.texts == []
    assert intel.store.count() == chunks_before


def test_touching_a_file_without_changing_it_embeds_nothing(
    intel: VendorIntel, inbox: Path, embed_counter: EmbedCounter
) -> None:
    build_inbox(inbox)
    intel.ingest(progress=False)
    embed_counter.reset()
    os.utime(inbox / "memo.md", (time.time() + 100, time.time() + 100))
    assert intel.ingest(progress=False).unchanged == 9
    assert embed_counter.texts == []


def test_editing_one_file_re_embeds_only_that_file(
    intel: VendorIntel, inbox: Path, embed_counter: EmbedCounter
) -> None:
    build_inbox(inbox)
    intel.ingest(progress=False)
    embed_counter.reset()
    write(
        inbox / "articles" / "claude.txt",
        "Claude in the enterprise\n\nAnthropic raised prices for Claude Opus.\n",
    )

    report = intel.ingest(progress=False)

    assert (report.added, report.updated, report.unchanged) == (0, 1, 8)
    # The edited file's one chunk, then its sentence, read once for the vendor signals.
    chunk_text, sentence = embed_counter.texts
    assert "raised prices" in chunk_text and sentence == "Anthropic raised prices for Claude Opus."
    (chunk,) = chunks_of(intel, "articles/claude.txt")
    assert "raised prices" in str(chunk["_node_content"])
    assert "banks" not in str(chunk["_node_content"])


def test_a_file_that_shrinks_leaves_no_stale_chunks(intel: VendorIntel, inbox: Path) -> None:
    long_body = "\n\n".join(
        f"Paragraph {i} says Qwen pricing changed in month {i}. " * 6 for i in range(12)
    )
    write(inbox / "long.md", markdown("Long", long_body))
    intel.ingest(progress=False)
    assert len(chunks_of(intel, "long.md")) > 3
    write(inbox / "long.md", markdown("Long", "Now a single short paragraph about Qwen."))
    intel.ingest(progress=False)
    assert len(chunks_of(intel, "long.md")) == 1


def test_removed_file_disappears_from_index_and_listing(intel: VendorIntel, inbox: Path) -> None:
    build_inbox(inbox)
    intel.ingest(progress=False)
    (inbox / "earnings" / "alibaba.pdf").unlink()
    shutil.rmtree(inbox / "evals")

    report = intel.ingest(progress=False)

    assert report.removed == 3 and report.unchanged == 6
    assert {d.source for d in intel.documents()}.isdisjoint(
        {"earnings/alibaba.pdf", "evals/evals.csv", "evals/runs.jsonl"}
    )
    hits = intel.store.document_stats().get("earnings/alibaba.pdf", (0, None))[0]
    assert hits == 0


def test_bad_files_are_reported_and_everything_else_is_ingested(
    intel: VendorIntel, inbox: Path
) -> None:
    build_inbox(inbox)
    (inbox / "empty.md").write_bytes(b"")
    write(inbox / "earnings" / "broken.pdf", "%PDF-1.7\nthis is not a pdf body\n" * 20)
    write(
        inbox / "evals" / "ragged.csv",
        "vendor,model,score\nOpenAI,gpt-5,0.9\nBaidu,ernie,0.7,extra\nGoogle,gemini,0.8\n",
    )
    write(inbox / "slides.pptx", "not supported")
    before = {p: p.read_bytes() for p in inbox.rglob("*") if p.is_file()}

    report = intel.ingest(progress=False)

    failed = {issue.source: issue.reason for issue in report.failed}
    assert set(failed) == {"empty.md", "earnings/broken.pdf", "evals/ragged.csv"}
    assert "empty file" in failed["empty.md"]
    assert "not a readable PDF" in failed["earnings/broken.pdf"]
    assert failed["evals/ragged.csv"] == "row 3: expected 3 fields, found 4; row skipped"
    assert [(i.source, i.reason.split(";")[0]) for i in report.skipped] == [
        ("slides.pptx", "unsupported format .pptx")
    ]
    assert report.added == 10  # the 9 good files and the CSV's good rows
    assert sorted(str(p["locator"]) for p in chunks_of(intel, "evals/ragged.csv")) == [
        "row 2",
        "row 4",
    ]
    # The user's files are never moved, changed or deleted.
    assert {p: p.read_bytes() for p in inbox.rglob("*") if p.is_file()} == before


def test_a_file_that_breaks_keeps_its_previous_version(intel: VendorIntel, inbox: Path) -> None:
    write_pdf(inbox / "note.pdf", [["Renewal with Baidu is due in March."]])
    intel.ingest(progress=False)
    write(inbox / "note.pdf", "%PDF-1.7 truncated")

    report = intel.ingest(progress=False)

    assert "previously indexed version is kept" in report.failed[0].reason
    assert [d.source for d in intel.documents()] == ["note.pdf"]
    assert len(chunks_of(intel, "note.pdf")) == 1


def test_first_run_creates_the_inbox(make_intel, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    report = make_intel(settings).ingest(progress=False)
    assert report.ok and report.added == 0
    assert settings.inbox_dir.is_dir()


def test_hidden_and_lock_files_are_skipped_not_failed(intel: VendorIntel, inbox: Path) -> None:
    write(inbox / ".DS_Store", "x")
    write(inbox / "~$contract.docx", "lock")
    write(inbox / "ok.md", "A note about DeepSeek pricing.")
    report = intel.ingest(progress=False)
    assert report.ok and report.added == 1
    assert {i.source for i in report.skipped} == {".DS_Store", "~$contract.docx"}


def test_explicit_paths_outside_the_inbox_are_ingested_without_touching_the_rest(
    make_intel,
    settings: Settings,
    inbox: Path,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    write(inbox / "kept.md", "A note about Baidu.")
    outside = tmp_path / "drop"
    write(outside / "news" / "extra.md", "A note about Mistral.")
    intel = make_intel(settings)
    intel.ingest(progress=False)

    report = intel.ingest([outside], progress=False)

    assert report.added == 1 and report.removed == 0
    assert {d.source for d in intel.documents()} == {"kept.md", "news/extra.md"}


def test_index_survives_a_restart(
    make_intel, settings: Settings, inbox: Path, embed_counter: EmbedCounter
) -> None:  # type: ignore[no-untyped-def]
    build_inbox(inbox)
    first = make_intel(settings)
    first.ingest(progress=False)
    first.close()
    embed_counter.reset()

    second = make_intel(settings)
    report = second.ingest(progress=False)

    assert report.unchanged == 9 and embed_counter.texts == []
    assert len(second.documents()) == 9


def test_documents_stored_with_positional_sections_chunk_as_before() -> None:
    from llama_index.core import Document

    from ingest.chunking import LocatedSplitter
    from ingest.documents import SectionSpan

    text = "Qwen keeps snapshots for a year.\n\nDeepSeek is the fallback."
    spans = [
        SectionSpan(0, 32, "lines", 5, ["Alibaba Cloud"], False),
        SectionSpan(34, 59, "lines", 7, ["DeepSeek"], False),
    ]
    meta = {"source": "notes/a.md", "title": "A", "doc_type": "note", "published": "2026-01-01"}
    named = Document(
        id_="a", text=text, metadata={**meta, "sections": [s.to_metadata() for s in spans]}
    )
    # As docstores written before spans had names hold them.
    positional = Document(
        id_="a",
        text=text,
        metadata={**meta, "sections": [[*s.to_metadata().values()] for s in spans]},
    )

    def chunks(doc: Document) -> list[tuple[str, str, list[str]]]:
        nodes = LocatedSplitter()([doc])
        return [(n.get_content(), n.metadata["locator"], n.metadata["vendors"]) for n in nodes]

    assert (
        chunks(positional)
        == chunks(named)
        == [
            ("Qwen keeps snapshots for a year.", "line 5", ["Alibaba Cloud"]),
            ("DeepSeek is the fallback.", "line 7", ["DeepSeek"]),
        ]
    )
