"""Real files of every supported format, written for tests."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import yaml
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=encoding)
    return path


def write_pdf(
    path: Path, pages: list[list[str]], title: str | None = None, password: str | None = None
) -> Path:
    """A PDF with a real text layer: one list of lines per page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = canvas.Canvas(str(path), pagesize=A4, encrypt=password)
    if title:
        pdf.setTitle(title)
    for lines in pages:
        y = 800
        for line in lines:
            pdf.drawString(60, y, line)
            y -= 16
        pdf.showPage()
    pdf.save()
    return path


def write_image_only_pdf(path: Path) -> Path:
    """A PDF whose page is a drawing with no text layer, like a scan."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.rect(100, 100, 300, 300, fill=1)
    pdf.showPage()
    pdf.save()
    return path


def write_docx(
    path: Path, heading: str, paragraphs: list[str], table: list[list[str]] | None = None
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = docx.Document()
    document.core_properties.title = heading
    document.add_heading(heading, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    document.save(str(path))
    return path


def write_jsonl(path: Path, records: list[dict[str, object] | str]) -> Path:
    """Records are dumped as JSON; strings are written as they are (to make bad lines)."""
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    return write(path, "\n".join(lines) + "\n")


def write_yaml(path: Path, data: object) -> Path:
    return write(path, yaml.safe_dump(data, sort_keys=False))


def markdown(title: str, body: str, **front: object) -> str:
    """Markdown with YAML front matter (title included)."""
    header = yaml.safe_dump({"title": title, **front}, sort_keys=False)
    return f"---\n{header}---\n# {title}\n\n{body}\n"


VENDORS = ["Alibaba Cloud", "OpenAI", "Anthropic", "Google", "Baidu", "DeepSeek"]


def build_corpus(inbox: Path, files: int) -> None:
    """Many small notes, each about one vendor, for tests that need an ingestion to take time."""
    for i in range(files):
        vendor = VENDORS[i % len(VENDORS)]
        body = "\n\n".join(
            f"Note {i}.{p}: {vendor} changed its price list for model family {i} in week {p}."
            for p in range(4)
        )
        write(inbox / f"notes/note-{i:03}.md", markdown(f"{vendor} note {i}", body))
