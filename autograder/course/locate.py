"""Map a location in the manifest data (a pydantic ``loc``) to a YAML line and to words."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

Loc = tuple[str | int, ...]


def line_of(root: yaml.Node | None, loc: Loc) -> int:
    """1-based line of the deepest node of ``loc`` present in the composed YAML tree.

    A mapping entry is located at its key, so a missing field points at the mapping
    that lacks it and an unknown field at its own key.
    """
    if root is None:
        return 1
    node, line = root, root.start_mark.line + 1
    for part in loc:
        step = _child(node, part)
        if step is None:
            break
        key, node = step
        line = (key or node).start_mark.line + 1
    return line


def describe_location(loc: Loc, data: Any) -> str:
    """Plain-words path, e.g. ``exercises[1] (02_topic) → checks[0] → points``."""
    parts: list[str] = []
    value = data
    for part in loc:
        if isinstance(part, int):
            label = f"{parts.pop() if parts else ''}[{part}]"
            value = value[part] if isinstance(value, list) and 0 <= part < len(value) else None
            if label.startswith("exercises[") and isinstance(value, dict) and "id" in value:
                label += f" ({value['id']})"
            parts.append(label)
        else:
            value = value.get(part) if isinstance(value, dict) else None
            parts.append(str(part))
    return " → ".join(parts) or "(top level)"


def duplicate_keys(root: yaml.Node | None, loc: Loc = ()) -> Iterator[tuple[Loc, int, int]]:
    """Yield ``(loc, line, first_line)`` for each mapping key given twice (YAML keeps the last)."""
    if isinstance(root, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in root.value:
            line = key.start_mark.line + 1
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    yield (*loc, key.value), line, seen[key.value]
                seen.setdefault(key.value, line)
                yield from duplicate_keys(value, (*loc, key.value))
    elif isinstance(root, yaml.SequenceNode):
        for index, item in enumerate(root.value):
            yield from duplicate_keys(item, (*loc, index))


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    """(key node or None, value node) for one step of a loc, or None when absent."""
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in reversed(node.value):  # YAML keeps the last of duplicate keys
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return None, node.value[part]
    return None
