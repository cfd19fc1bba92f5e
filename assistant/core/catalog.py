"""The vendor catalog: canonical vendor names and their aliases, and which vendors a text names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

VENDOR_FILE = Path(__file__).with_name("vendors.yaml")


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


@dataclass
class LearnedVendors:
    """Vendor names found while ingesting: the registry's vendors with their aliases, and the
    companies documents declare in front matter."""

    aliases: dict[str, list[str]] = field(default_factory=dict)
    companies: list[str] = field(default_factory=list)

    def add(self, other: LearnedVendors) -> None:
        for name, names in other.aliases.items():
            self.aliases.setdefault(name, []).extend(names)
        self.companies.extend(other.companies)


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

    def extended(self, aliases: dict[str, list[str]]) -> VendorCatalog:
        """A catalog with these vendors and aliases (from the registry) added; known names
        keep their vendor. Catalogs are never changed in place, so readers need no lock."""
        merged: dict[str, list[str]] = {}
        for alias, name in self._canonical.items():
            merged.setdefault(name, []).append(alias)
        for name, names in aliases.items():
            vendor = self._canonical.get(name.lower(), name)
            merged.setdefault(vendor, []).extend(
                a for a in [name, *names] if a.lower() not in self._canonical
            )
        return VendorCatalog(merged)

    def learned(self, names: list[str]) -> VendorCatalog:
        """A catalog that also knows companies named in documents' front matter, with their
        short names ('MGM' for 'MGM Resorts'), so questions naming them are recognised."""
        new = {n: short_names(n) for n in dict.fromkeys(names) if n.lower() not in self._canonical}
        return self.extended(new) if new else self

    def with_vendors(self, learned: LearnedVendors) -> VendorCatalog:
        """This catalog with what an ingestion learned: registry aliases, then companies."""
        return self.extended(learned.aliases).learned(learned.companies)

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
