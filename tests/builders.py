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


def write_docx_bomb(path: Path, megabytes: int) -> Path:
    """A small .docx whose document part unpacks to `megabytes` of text."""
    import zipfile

    path.parent.mkdir(parents=True, exist_ok=True)
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    paragraph = "<w:p><w:r><w:t>" + "Qwen pricing " * 700 + "</w:t></w:r></w:p>"
    count = megabytes * (1 << 20) // len(paragraph)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
            'package.relationships+xml"/><Override PartName="/word/document.xml" ContentType="'
            'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            "</Relationships>",
        )
        with archive.open("word/document.xml", "w") as part:
            part.write(f'<?xml version="1.0"?><w:document xmlns:w="{ns}"><w:body>'.encode())
            for _ in range(count):
                part.write(paragraph.encode())
            part.write(b"</w:body></w:document>")
    return path


def write_pdf_bomb(path: Path, megabytes: int) -> Path:
    """A small PDF whose one page's content stream unpacks to `megabytes` of text operators."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    fonts = DictionaryObject({NameObject("/F1"): writer._add_object(font)})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    line = b"BT /F1 12 Tf 72 720 Td (Qwen pricing line) Tj ET\n"
    stream = DecodedStreamObject()
    stream.set_data(line * (megabytes * (1 << 20) // len(line)))
    page[NameObject("/Contents")] = writer._add_object(stream.flate_encode())
    with path.open("wb") as out:
        writer.write(out)
    return path
