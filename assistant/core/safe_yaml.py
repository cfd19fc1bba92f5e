"""YAML from users' files, loaded safely: no tags that run code (safe loading), and no alias
bombs (a few lines whose aliases expand to billions of nodes when anything walks them)."""

from __future__ import annotations

from typing import Any

import yaml

MAX_NODES = 100_000  # far beyond any registry or front matter; a bomb is many orders beyond


class YAMLBombError(yaml.YAMLError):
    """Aliases that would expand past MAX_NODES."""


def load_yaml_safely(text: str) -> Any:
    """Parse like yaml.safe_load, refusing documents whose aliases expand past MAX_NODES."""
    return parse_yaml_safely(text)[0]


def parse_yaml_safely(text: str) -> tuple[Any, yaml.Node | None]:
    """The data and the node tree it was built from (which keeps line numbers), parsed once;
    documents whose aliases expand past MAX_NODES are refused."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        if expanded_size(root, {}) > MAX_NODES:
            raise YAMLBombError(
                f"its aliases expand to more than {MAX_NODES:,} values (a YAML bomb?); not read"
            )
        return loader.construct_document(root), root
    finally:
        loader.dispose()


def expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """Values the node stands for once every alias is expanded; each node is counted once
    (shared nodes are what aliases are), so this is fast however large the result."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = MAX_NODES + 1  # a node met again inside itself: an endless structure
    total = 1
    if isinstance(node, yaml.SequenceNode):
        total += sum(expanded_size(child, sizes) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        total += sum(expanded_size(k, sizes) + expanded_size(v, sizes) for k, v in node.value)
    sizes[id(node)] = total = min(total, MAX_NODES + 1)
    return total
