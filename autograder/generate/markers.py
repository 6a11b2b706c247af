"""nbgrader-style markers: pure text functions turning solutions into stubs and visible tests.

``### BEGIN SOLUTION`` / ``### END SOLUTION`` surround what students write (inside function
bodies); ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS`` surround the hidden tests.
"""

from __future__ import annotations

import ast
import io
import re
from dataclasses import dataclass
from typing import NoReturn

SOLUTION = "SOLUTION"
HIDDEN_TESTS = "HIDDEN TESTS"

_MARKER = re.compile(r"(?P<indent>[ \t]*)### (?P<edge>BEGIN|END) (?P<kind>SOLUTION|HIDDEN TESTS)[ \t]*\r?\n?")
_LOOKS_LIKE_MARKER = re.compile(r"#.*\b(BEGIN|END)\s*(SOLUTION|HIDDEN)", re.IGNORECASE)
_PLACEHOLDER = "raise NotImplementedError"


class GenerateError(Exception):
    """The solutions cannot be turned into exercises; ``problems`` holds one ``file:line: what`` each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Region:
    """Lines ``begin``..``end`` (0-based, marker lines included) between a BEGIN and END marker."""

    begin: int
    end: int
    indent: str


def strip_solutions(text: str, filename: str) -> str:
    """The student stub: each solution region becomes one ``raise NotImplementedError("<qualname>: ...")``."""
    lines = _lines(text)
    regions = find_regions(lines, SOLUTION, filename)
    _parse(text, filename, "the solution")
    stub: list[str] = []
    raise_lines: dict[int, Region] = {}  # 1-based stub line -> region it replaces
    position = 0
    for region in regions:
        stub += lines[position : region.begin]
        stub.append(f"{region.indent}{_PLACEHOLDER}{_line_ending(lines[region.end])}")
        raise_lines[len(stub)] = region
        position = region.end + 1
    stub += lines[position:]

    qualnames = _enclosing_functions(_parse("".join(stub), filename, "the generated stub"), set(raise_lines))
    for line, region in raise_lines.items():
        if line not in qualnames:
            _fail(f"{filename}:{region.begin + 1}: solution region is not inside a function body")
        message = f'raise NotImplementedError("{qualnames[line]}: not implemented yet")'
        stub[line - 1] = stub[line - 1].replace(_PLACEHOLDER, message, 1)
    return "".join(stub)


def strip_hidden_tests(text: str, filename: str) -> str:
    """The visible test file: hidden regions removed, at most two consecutive blank lines left."""
    lines = _lines(text)
    hidden = {
        index for region in find_regions(lines, HIDDEN_TESTS, filename) for index in range(region.begin, region.end + 1)
    }
    kept: list[str] = []
    blanks = 0
    for index, line in enumerate(lines):
        if index in hidden:
            continue
        blanks = blanks + 1 if not line.strip() else 0
        if blanks <= 2:
            kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    visible = "".join(kept)
    _parse(visible, filename, "the visible tests")
    return visible


def test_functions(text: str, filename: str = "<tests>") -> dict[str, int]:
    """Module-level functions pytest collects as tests (name starts with ``test``), with their lines."""
    tree = _parse(text, filename, "the test file")
    return {
        node.name: node.lineno
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test")
        and not any(_is_fixture(decorator) for decorator in node.decorator_list)
    }


test_functions.__test__ = False  # type: ignore[attr-defined]  # tells pytest this is no test


def hidden_test_functions(text: str, filename: str = "<tests>") -> set[str]:
    """Names of the test functions defined inside HIDDEN TESTS regions."""
    regions = find_regions(_lines(text), HIDDEN_TESTS, filename)
    return {
        name
        for name, line in test_functions(text, filename).items()
        if any(region.begin < line - 1 < region.end for region in regions)
    }


def find_regions(lines: list[str], kind: str, filename: str) -> list[Region]:
    """Balanced, non-nested regions of one kind; GenerateError on any malformed or foreign marker."""
    regions: list[Region] = []
    opened: Region | None = None
    for index, line in enumerate(lines):
        where = f"{filename}:{index + 1}"
        begin, end = f"'### BEGIN {kind}'", f"'### END {kind}'"
        match = _MARKER.fullmatch(line)
        if match is None:
            if _LOOKS_LIKE_MARKER.search(line):
                _fail(f"{where}: malformed marker {line.strip()!r}; write {begin} or {end} alone on its line")
            continue
        if match["kind"] != kind:
            _fail(
                f"{where}: '### {match['edge']} {match['kind']}' does not belong in this file (only {kind} markers do)"
            )
        indent = match["indent"]
        if match["edge"] == "BEGIN":
            if opened is not None:
                _fail(f"{where}: nested {begin} (the region opened at line {opened.begin + 1} is not closed)")
            opened = Region(index, index, indent)
        elif opened is None:
            _fail(f"{where}: {end} without a matching {begin}")
        elif indent != opened.indent:
            _fail(f"{where}: {end} is indented differently from its {begin} at line {opened.begin + 1}")
        else:
            regions.append(Region(opened.begin, index, indent))
            opened = None
    if opened is not None:
        _fail(f"{filename}:{opened.begin + 1}: '### BEGIN {kind}' is never closed by '### END {kind}'")
    return regions


def _fail(problem: str) -> NoReturn:
    raise GenerateError([problem])


def _lines(text: str) -> list[str]:
    """Lines with their original endings, split the way Python counts source lines."""
    return io.StringIO(text, newline="").readlines()


def _line_ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :] or "\n"


def _parse(text: str, filename: str, what: str) -> ast.Module:
    try:
        return ast.parse(text, filename=filename)
    except SyntaxError as error:
        raise GenerateError([f"{filename}:{error.lineno}: {what} does not parse: {error.msg}"]) from None


def _is_fixture(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name == "fixture"


def _enclosing_functions(tree: ast.Module, lines: set[int]) -> dict[int, str]:
    """For each statement line in ``lines`` directly inside a function body (its innermost
    scope being a function, not a class), the dotted name of that function, e.g. ``Model.forward``."""
    found: dict[int, str] = {}
    Scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef

    def visit(node: ast.AST, scope: list[Scope]) -> None:
        for child in ast.iter_child_nodes(node):
            if (
                isinstance(child, ast.stmt)
                and child.lineno in lines
                and scope
                and isinstance(scope[-1], ast.FunctionDef | ast.AsyncFunctionDef)
            ):
                found[child.lineno] = ".".join(owner.name for owner in scope)
            if isinstance(child, Scope):
                visit(child, [*scope, child])
            else:
                visit(child, scope)

    visit(tree, [])
    return found
