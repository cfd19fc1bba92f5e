"""Document types: declared in front matter, or named by the inbox folder a file is in."""

from __future__ import annotations

from pathlib import PurePosixPath

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
