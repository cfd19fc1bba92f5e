"""HTML pages as paragraphs: every visible text node once, in reading order, each block of
text (a paragraph, an item, a cell, the text between blocks) one paragraph; headings are
marked as in Markdown."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.loaded import LoadedFile, LoadError, ReadLimits, Section, read_text_file
from ingest.metadata import parse_date

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, NavigableString, Tag

# Elements that start a block of their own: the text directly inside one (beside its child
# blocks) is a paragraph of its own, in its place.
BLOCKS = frozenset(
    re.split(
        r"\s+",
        "address article aside blockquote body caption dd details dialog div dl dt fieldset "
        "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main nav ol "
        "p pre section summary table tbody td tfoot th thead tr ul",
    )
)
HEADINGS = {f"h{level}": level for level in range(1, 7)}
NON_CONTENT_TAGS = ["script", "style", "noscript", "template", "iframe", "object", "svg", "head"]
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
DATE_META = ("date", "dc.date", "article:published_time", "published", "pubdate")


def load_html(path: Path, limits: ReadLimits) -> LoadedFile:
    """HTML without scripts, styles or hidden elements, cited by paragraph."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(read_text_file(path, limits, markup=True), "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    published = published_date(soup)
    for tag in soup.find_all(NON_CONTENT_TAGS):
        tag.decompose()
    for tag in soup.find_all(hidden):
        tag.decompose()
    paragraphs = html_blocks(soup, limits)
    if not paragraphs:
        raise LoadError("no readable text in the HTML page")
    return LoadedFile([Section("\n".join(paragraphs), "paragraphs", 1)], title, published)


def published_date(soup: BeautifulSoup) -> date | None:
    for meta in soup.find_all("meta"):
        key = str(meta.get("name") or meta.get("property") or "").lower()
        if key in DATE_META:
            found = parse_date(meta.get("content"))
            if found is not None:
                return found
    return None


def hidden(tag: Tag) -> bool:
    """An element the page does not show: `hidden`, or styled out of view."""
    return tag.has_attr("hidden") or bool(HIDDEN_STYLE.search(str(tag.get("style") or "")))


def html_blocks(soup: BeautifulSoup, limits: ReadLimits) -> list[str]:
    """The page's text in reading order, a paragraph for each run of text inside one block;
    a line break ends a paragraph too. Counted against the text limit as it is read."""
    from bs4 import NavigableString, Tag
    from bs4.element import PreformattedString

    paragraphs: list[str] = []
    run: list[str] = []
    owner: Tag | None = None
    chars = 0

    def close() -> None:
        nonlocal chars
        text = " ".join("".join(run).split())
        run.clear()
        if text:
            # A heading stays one, as in Markdown: it names a section, it is not a sentence.
            level = HEADINGS.get(owner.name, 0) if owner is not None else 0
            paragraphs.append(f"{'#' * level} {text}" if level else text)
            chars += len(text)
            limits.check_text(chars)

    for node in soup.descendants:
        if isinstance(node, Tag):
            if node.name == "br":
                close()
            continue
        if not isinstance(node, NavigableString) or isinstance(node, PreformattedString):
            continue  # comments, doctypes, processing instructions
        block = nearest_block(node)
        if block is not owner:
            close()
            owner = block
        run.append(str(node))
    close()
    return paragraphs


def nearest_block(node: NavigableString) -> Tag | None:
    return next((parent for parent in node.parents if parent.name in BLOCKS), None)
