"""Document metadata: front matter, doc type, published date, title and vendors mentioned."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from ingest.safe_yaml import load_yaml_safely

DOC_TYPES = ("article", "earnings", "eval", "registry", "contract", "roadmap", "note")
# Folder names users are likely to drop files into, mapped to a doc type.
FOLDER_DOC_TYPES = {
    "articles": "article",
    "news": "article",
    "earnings": "earnings",
    "evals": "eval",
    "registry": "registry",
    "contracts": "contract",
    "roadmaps": "roadmap",
    "notes": "note",
}
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
VENDOR_FILE = Path(__file__).with_name("vendors.yaml")


@dataclass(frozen=True)
class FrontMatter:
    """YAML front matter of a text file, and how many lines it took."""

    fields: dict[str, Any] = field(default_factory=dict)
    line_count: int = 0


def split_front_matter(text: str) -> tuple[FrontMatter, str]:
    """Separate leading `---` YAML front matter from the body; malformed front matter stays text."""
    match = FRONT_MATTER.match(text)
    if not match:
        return FrontMatter(), text
    try:
        fields = load_yaml_safely(match.group(1))
    except yaml.YAMLError:
        return FrontMatter(), text
    if not isinstance(fields, dict):
        return FrontMatter(), text
    return FrontMatter(fields, match.group(0).count("\n")), text[match.end() :]


def doc_type_for(source: str, declared: object = None) -> str:
    """Declared type if valid, else the first folder under the inbox, else 'note'."""
    if isinstance(declared, str) and declared.strip().lower() in DOC_TYPES:
        return declared.strip().lower()
    parts = PurePosixPath(source).parts
    if len(parts) > 1:
        return FOLDER_DOC_TYPES.get(
            parts[0].lower(), FOLDER_DOC_TYPES.get(parts[0].lower() + "s", "note")
        )
    return "note"


def parse_date(value: object) -> date | None:
    """Read a date from front matter, HTML meta or PDF metadata; None when it is not a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.startswith("D:"):  # PDF date string: D:YYYYMMDDHHmmSS...
        text = text[2:10]
        return _parse_compact(text)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return _parse_compact(text[:10].replace("/", "-"))


def _parse_compact(text: str) -> date | None:
    for fmt in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def title_from_name(path: Path) -> str:
    """A readable title from a file name: 'model-evals_q3.csv' -> 'Model evals q3'."""
    words = re.sub(r"[-_]+", " ", path.stem).strip()
    return words[:1].upper() + words[1:] if words else path.name


CORPORATE_WORDS = {
    "inc", "inc.", "corp", "corp.", "corporation", "company", "co", "co.", "group", "holdings",
    "plc", "ltd", "ltd.", "limited", "resorts", "health", "international", "technologies",
}  # fmt: skip


def short_names(name: str) -> list[str]:
    """'MGM Resorts International' -> ['MGM']: the name without its corporate words."""
    words = name.split()
    while len(words) > 1 and words[-1].lower().strip(",") in CORPORATE_WORDS:
        words.pop()
    short = " ".join(words)
    return [short] if short != name and len(short) > 2 else []


class VendorCatalog:
    """Canonical vendor names and aliases; detects which vendors a text mentions."""

    def __init__(self, aliases: dict[str, list[str]]) -> None:
        self._build(aliases)

    def _build(self, aliases: dict[str, list[str]]) -> None:
        self._canonical: dict[str, str] = {}
        for name, names in aliases.items():
            for alias in [name, *names]:
                self._canonical[alias.lower()] = name
        # Longest alias first so "Azure OpenAI" wins over "OpenAI".
        ordered = sorted(self._canonical, key=len, reverse=True)
        self._pattern = re.compile(
            r"(?<![\w-])(" + "|".join(re.escape(a) for a in ordered) + r")(?![\w])", re.IGNORECASE
        )

    @classmethod
    def load(cls, path: Path = VENDOR_FILE) -> VendorCatalog:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls({v["name"]: list(v.get("aliases") or []) for v in data.get("vendors", [])})

    def extend(self, aliases: dict[str, list[str]]) -> None:
        """Add vendors and aliases (from the registry); known names keep their vendor."""
        merged: dict[str, list[str]] = {}
        for alias, name in self._canonical.items():
            merged.setdefault(name, []).append(alias)
        for name, names in aliases.items():
            vendor = self._canonical.get(name.lower(), name)
            merged.setdefault(vendor, []).extend(
                a for a in [name, *names] if a.lower() not in self._canonical
            )
        self._build(merged)

    def learn(self, names: list[str]) -> None:
        """Companies named in documents' front matter, with their short names ('MGM' for
        'MGM Resorts'), so questions naming them are recognised; known names are kept."""
        new = {n: short_names(n) for n in dict.fromkeys(names) if n.lower() not in self._canonical}
        if new:
            self.extend(new)

    def names_for(self, term: str) -> list[str]:
        """Every name that refers to the same vendor as term (just term when unknown)."""
        vendor = self._canonical.get(term.strip().lower())
        if vendor is None:
            return [term]
        return [alias for alias, name in self._canonical.items() if name == vendor]

    def canonical(self, name: str) -> str:
        """The canonical name for a vendor name or alias; unknown names are kept as given."""
        return self._canonical.get(name.strip().lower(), name.strip())

    def mentions(self, text: str) -> list[tuple[int, int, str]]:
        """Start, end and canonical name of each vendor mention, in order."""
        return [
            (m.start(), m.end(), self._canonical[m.group(1).lower()])
            for m in self._pattern.finditer(text)
        ]

    def names(self) -> list[str]:
        """Canonical vendor names, sorted."""
        return sorted(set(self._canonical.values()))

    def detect(self, text: str) -> list[str]:
        """Canonical names of the vendors a text mentions, in order of first mention."""
        return list(dict.fromkeys(name for _, _, name in self.mentions(text)))

    def declared(self, value: object) -> list[str]:
        """Vendors from front matter (`vendors: [..]` or a single name), canonicalised."""
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            return []
        return [self.canonical(str(v)) for v in value if str(v).strip()]
