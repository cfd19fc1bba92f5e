"""One inbox holding every kind of bad file beside good ones: each bad file is reported with its
reason, every good one is indexed and answerable, and no file in the inbox is changed."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.app import VendorIntel
from assistant.core.report import IngestReport
from assistant.core.settings import Settings
from tests.builders import markdown, write, write_image_only_pdf, write_pdf

BOMB = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
title: *h
"""


def fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.fixture
def bad_inbox(inbox: Path, tmp_path: Path) -> Path:
    good = "Baidu must give 90 days notice before retiring ernie-4.5 in the {} edition."
    write(inbox / "good.md", markdown("Baidu terms", good.format("plain")))
    write(inbox / "empty.md", "")
    (inbox / "garbage.pdf").write_bytes(os.urandom(4096))
    (inbox / "garbage.docx").write_bytes(b"PK\x03\x04" + os.urandom(4096))
    write_pdf(inbox / "locked.pdf", [["Secret pricing."]], password="s3cret")
    write_image_only_pdf(inbox / "scanned.pdf")
    with (inbox / "huge.txt").open("wb") as huge:  # 200 MB, sparse: nothing is written
        huge.truncate(200 * 1024 * 1024)
    deep = inbox.joinpath(*(f"level-{n}" for n in range(12)))
    write(deep / "deep.md", markdown("Deep note", good.format("deeply nested")))
    for name in ("with spaces.md", "ünïcødé 报告.md", "-leading-dash.md"):
        write(inbox / "names" / name, markdown(name, good.format(name)))
    outside = write(tmp_path / "outside" / "secret.md", "Outside secret: zebra-7731 pricing.")
    (inbox / "link.md").symlink_to(outside)
    rows = "vendor,model,note\nBaidu,ernie-4.5,café tier costs 5 €\n"
    write(inbox / "csv" / "utf8.csv", rows)
    (inbox / "csv" / "bom.csv").write_bytes(b"\xef\xbb\xbf" + rows.encode())
    (inbox / "csv" / "cp1252.csv").write_bytes(rows.encode("cp1252"))
    write(inbox / "bomb.yaml", BOMB)
    pwned = tmp_path / "pwned"
    write(inbox / "tagged.yaml", f'title: !!python/object/apply:os.system ["touch {pwned}"]\n')
    html = "<html><body><p>Baidu ERNIE page.</p><script>alert('zebra-0001')</script></body></html>"
    write(inbox / "page.html", html)
    return inbox


def test_bad_files_are_reported_and_the_rest_is_indexed(
    make_intel: Callable[[Settings], VendorIntel],
    settings: Settings,
    bad_inbox: Path,
    tmp_path: Path,
) -> None:
    before = fingerprint(bad_inbox)
    intel = make_intel(settings)
    report: IngestReport = intel.ingest(progress=False)

    failed = {issue.source: issue.reason for issue in report.failed}
    skipped = {issue.source: issue.reason for issue in report.skipped}
    assert "empty file" in failed["empty.md"]
    assert "not a readable PDF" in failed["garbage.pdf"]
    assert "garbage.docx" in failed
    assert "encrypted PDF" in failed["locked.pdf"]
    assert "no extractable text" in failed["scanned.pdf"]
    assert "larger than the 100 MB limit" in failed["huge.txt"]
    assert "YAML bomb" in failed["bomb.yaml"]
    assert "not valid YAML" in failed["tagged.yaml"]
    assert "not followed" in skipped["link.md"]
    assert not (tmp_path / "pwned").exists(), "a YAML tag ran code"

    listed = {d.source: d.status for d in intel.documents()}
    indexed = {source for source, status in listed.items() if status == "indexed"}
    assert listed["bomb.yaml"] == listed["huge.txt"] == "failed"  # listed, with their reason
    assert {
        "good.md",
        "level-0/level-1/level-2/level-3/level-4/level-5/level-6/level-7/level-8/level-9/"
        "level-10/level-11/deep.md",
        "names/with spaces.md",
        "names/ünïcødé 报告.md",
        "names/-leading-dash.md",
        "csv/utf8.csv",
        "csv/bom.csv",
        "csv/cp1252.csv",
        "page.html",
    } <= indexed
    assert not indexed & {"link.md", "huge.txt", "bomb.yaml", "tagged.yaml", "locked.pdf"}

    # Every encoding reads the same words; scripts and files outside the inbox are not indexed.
    for name in ("utf8", "bom", "cp1252"):
        answer = intel.ask(f"What does the café tier cost? ({name})")
        assert any("5 €" in c.quote for c in answer.citations), answer
    outside = intel.ask("What is the zebra-7731 pricing?")
    assert outside.status == "insufficient_evidence" and not outside.citations
    assert intel.ask("What does alert zebra-0001 do?").status == "insufficient_evidence"
    assert fingerprint(bad_inbox) == before, "ingestion changed a file in the inbox"
