"""YAML front matter at the top of a text file (`---` ... `---`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from assistant.core.safe_yaml import load_yaml_safely

FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


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
