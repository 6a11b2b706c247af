"""Cut a solution module into notebook-sized parts: given code, and one answer per function or class."""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass, replace

_SECTION = re.compile(r"^\s*(Args|Arguments|Attributes|Returns|Raises|Yields|Examples?):\s*$")


@dataclass(frozen=True)
class Part:
    """Consecutive top-level statements of the module that become one code cell (given code: statements, or definitions)."""

    source: str
    names: tuple[str, ...]        # the functions and classes it defines
    solution: bool                # True: the student writes it (it holds ### BEGIN SOLUTION)
    docstring: str | None = None  # of its single function or class, for the markdown above it


def split_module(text: str) -> tuple[str | None, list[Part]]:
    """The module docstring, and its parts in order: each solution function or class alone, the rest grouped."""
    tree = ast.parse(text)
    lines = text.splitlines()
    body = list(tree.body)
    module_doc = ast.get_docstring(tree)
    if module_doc is not None:
        body = body[1:]
    parts: list[Part] = []
    previous_end = tree.body[0].end_lineno if module_doc is not None else 0
    for node in body:
        end = _body_end(lines, node.end_lineno)
        raw = "\n".join(lines[previous_end:end])
        previous_end = end
        names = (node.name,) if isinstance(node, ast.FunctionDef | ast.ClassDef) else ()
        solution = "### BEGIN SOLUTION" in raw
        if not solution and parts and not parts[-1].solution and bool(parts[-1].names) == bool(names):
            parts[-1] = replace(parts[-1], source=f"{parts[-1].source}\n{raw}", names=parts[-1].names + names)
        else:
            parts.append(Part(raw, names, solution, ast.get_docstring(node) if solution else None))
    return module_doc, [replace(part, source=part.source.strip("\n")) for part in parts]


def _body_end(lines: list[str], end: int) -> int:
    """The last line of a statement, counting the indented comments (e.g. ``### END SOLUTION``) that close it."""
    last = end
    for number in range(end, len(lines)):
        line = lines[number]
        if line.strip() and not line[:1].isspace():
            break
        if line.strip():
            last = number + 1
    return last


def description(docstring: str | None) -> str:
    """The prose of a docstring, without its Args/Returns/... sections."""
    if not docstring:
        return ""
    kept: list[str] = []
    for line in inspect.cleandoc(docstring).splitlines():
        if _SECTION.match(line):
            break
        kept.append(line)
    return "\n".join(kept).strip()
