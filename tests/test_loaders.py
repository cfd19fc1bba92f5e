"""Each format becomes text with the locator a citation points at; bad files say why."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ingest.loaders import LoadError, load_file
from tests.builders import markdown, write, write_docx, write_image_only_pdf, write_jsonl, write_pdf


def test_markdown_front_matter_sets_title_date_and_body_line_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.md", markdown("Qwen pricing", "Line one.\nLine two.", published="2026-03-04")
    )
    loaded = load_file(path)
    assert loaded.title == "Qwen pricing"
    assert loaded.published == date(2026, 3, 4)
    (section,) = loaded.sections
    # Front matter takes lines 1-4, so the body starts at line 5 of the file.
    assert section.kind == "lines" and section.number == 5
    assert section.text.startswith("# Qwen pricing")


def test_plain_text_title_is_its_first_line(tmp_path: Path) -> None:
    loaded = load_file(write(tmp_path / "n.txt", "Baidu opens ERNIE\n\nBody sentence here."))
    assert loaded.title == "Baidu opens ERNIE"


def test_html_drops_scripts_reads_meta_date_and_marks_headings(tmp_path: Path) -> None:
    html = """<html><head><title>GPT-5 ships</title><meta name="date" content="2025-08-12">
    <script>alert('x'); var secret = "do not index";</script><style>p{color:red}</style></head>
    <body><h1>GPT-5 ships</h1><p>OpenAI released <b>GPT-5</b> in August.</p>
    <ul><li>Three sizes in the API.</li></ul><script>track()</script></body></html>"""
    loaded = load_file(write(tmp_path / "a.html", html))
    assert loaded.title == "GPT-5 ships"
    assert loaded.published == date(2025, 8, 12)
    text = loaded.sections[0].text
    assert text.splitlines() == [
        "# GPT-5 ships",  # a heading, as in Markdown: never cited as a sentence
        "OpenAI released GPT-5 in August.",
        "Three sizes in the API.",
    ]
    assert "alert" not in text and "secret" not in text and "color" not in text


def test_html_keeps_every_visible_text_once_in_reading_order(tmp_path: Path) -> None:
    html = """<html><body>
    <div>Text directly in a div.<p>A paragraph inside it.</p>Text between blocks.</div>
    <ul><li>An item with a nested list<ul><li>The nested item.</li></ul></li></ul>
    <table><tr><td><p>A cell holding a paragraph.</p></td><td>A plain cell.</td></tr></table>
    <div hidden>Hidden text.</div><p style="display: none">Also hidden.</p>
    Line one of an address<br>line two of it.
    </body></html>"""
    loaded = load_file(write(tmp_path / "blocks.html", html))
    (section,) = loaded.sections
    assert section.kind == "paragraphs" and section.number == 1
    assert section.text.splitlines() == [
        "Text directly in a div.",
        "A paragraph inside it.",
        "Text between blocks.",
        "An item with a nested list",
        "The nested item.",
        "A cell holding a paragraph.",
        "A plain cell.",
        "Line one of an address",
        "line two of it.",
    ]


def test_pdf_has_one_section_per_page_numbered_from_one(tmp_path: Path) -> None:
    path = write_pdf(
        tmp_path / "e.pdf",
        [
            ["Cloud revenue grew 34% in the quarter."],
            ["Capex plan: RMB 380 billion", "over three years."],
        ],
        title="Earnings note",
    )
    loaded = load_file(path)
    assert loaded.title == "Earnings note"
    assert [(s.kind, s.number) for s in loaded.sections] == [("page", 1), ("page", 2)]
    # Visual line breaks are joined so sentences stay whole.
    assert "RMB 380 billion over three years." in loaded.sections[1].text


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: write(p, "%PDF-1.4\n" + "garbage " * 50), "not a readable PDF"),
        (lambda p: write_image_only_pdf(p), "no extractable text"),
        (lambda p: write_pdf(p, [["secret terms"]], password="pw"), "encrypted PDF"),
        (lambda p: p.write_bytes(b""), "empty file"),
    ],
    ids=["corrupt", "scanned", "encrypted", "empty"],
)
def test_unreadable_pdfs_give_a_reason(tmp_path: Path, make, reason: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.pdf"
    make(path)
    with pytest.raises(LoadError, match=reason):
        load_file(path)


def test_docx_paragraphs_and_tables_in_reading_order(tmp_path: Path) -> None:
    path = write_docx(
        tmp_path / "c.docx",
        "Anthropic MSA",
        ["Renewal is due on 2027-03-31.", "Uptime commitment is 99.9%."],
        table=[["Term", "Value"], ["Notice", "90 days"]],
    )
    loaded = load_file(path)
    assert loaded.title == "Anthropic MSA"
    lines = loaded.sections[0].text.splitlines()
    assert lines == [
        "Anthropic MSA",
        "Renewal is due on 2027-03-31.",
        "Uptime commitment is 99.9%.",
        "Term | Value",
        "Notice | 90 days",
    ]
    assert loaded.sections[0].kind == "paragraphs"


def test_docx_that_is_not_a_docx_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "fake.docx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip archive" * 10)
    with pytest.raises(LoadError, match=r"not a readable \.docx"):
        load_file(path)


def test_csv_rows_keep_spreadsheet_numbers_and_skip_malformed_rows(tmp_path: Path) -> None:
    csv_text = (
        "date,vendor,model,score\n"
        "2026-06-20,Alibaba Cloud,qwen-max,0.87\n"
        "2026-08-25,Alibaba Cloud,qwen-max,0.81,unexpected\n"
        "2026-09-01,OpenAI,gpt-5,0.90\n"
    )
    loaded = load_file(write(tmp_path / "evals.csv", csv_text))
    assert [(s.kind, s.number) for s in loaded.sections] == [("row", 2), ("row", 4)]
    assert (
        loaded.sections[0].text
        == "date: 2026-06-20; vendor: Alibaba Cloud; model: qwen-max; score: 0.87"
    )
    assert loaded.problems == ["row 3: expected 4 fields, found 5; row skipped"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_in_common_encodings(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path / "e.csv", "vendor,note\nBaidu,ERNIE café pricing\n", encoding=encoding)
    assert load_file(path).sections[0].text == "vendor: Baidu; note: ERNIE café pricing"


def test_jsonl_bad_lines_are_reported_by_line_number(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "e.jsonl",
        [{"model": "gpt-5", "score": 0.9}, "{not json", [1, 2], {"model": "qwen-max"}],
    )
    loaded = load_file(path)
    assert [(s.kind, s.number) for s in loaded.sections] == [("line", 1), ("line", 4)]
    assert [p.split(":")[0] for p in loaded.problems] == ["line 2", "line 3"]


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    path = write(tmp_path / "r.yaml", "workflows: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(LoadError, match="not valid YAML"):
        load_file(path)
    ok = load_file(write(tmp_path / "ok.yaml", "title: Registry\nworkflows:\n  - name: search\n"))
    assert ok.title == "Registry" and ok.sections[0].by_line


def test_binary_garbage_with_a_text_extension_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(LoadError, match="binary content"):
        load_file(path)


def test_unsupported_format(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match=r"unsupported format \.xlsx"):
        load_file(write(tmp_path / "a.xlsx", "x"))
