"""The trust boundary shows in the imports: code that runs in the sandbox next to student code
(autograder/inside/, and every exercise's probes.py) and code that judges in the grader's process (everything
else: autograder/judge/, checks/, the course, the commands, and every exercise's check file) share only
autograder/contract/, which imports neither. Read from the source (ast), every import counted: at the top, in a
function, or under TYPE_CHECKING."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "autograder"
CONTRACT, INSIDE = "autograder.contract", "autograder.inside"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path, source: str) -> list[tuple[int, str]]:
    """(line, module) of every import of autograder in a file, relative ones resolved; `from autograder import x`
    names x (a module or a name in one: either way that module is imported)."""
    package = _package(path)
    found = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]) if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            found += [(node.lineno, f"{module}.{alias.name}" if module == "autograder" or not node.module else module)
                      for alias in node.names]
    return [(line, name) for line, name in found if name == "autograder" or name.startswith("autograder.")]


def _package(path: Path) -> str:
    """The package a file's relative imports start from ('' outside the kit's package)."""
    if not path.is_relative_to(PACKAGE):
        return ""
    name = _module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _side(path: Path) -> str:
    """contract, inside or judge: which rule a file of the package or of the course is held to."""
    if path.name == "probes.py" and path.parent.parent.name == "solutions":
        return "inside"
    if path.is_relative_to(PACKAGE):
        name = _module_name(path)
        return "contract" if _within(name, CONTRACT) else "inside" if _within(name, INSIDE) else "judge"
    return "judge"  # a check file


def _allowed(side: str, imported: str) -> bool:
    if side == "contract":
        return _within(imported, CONTRACT)
    if side == "inside":
        return _within(imported, CONTRACT) or _within(imported, INSIDE)
    return not _within(imported, INSIDE)


def crossings(sources: dict[Path, str]) -> list[str]:
    """Every import in these files (path: source) that crosses the boundary, as `file:line: side imports module`."""
    return [f"{path.relative_to(ROOT)}:{line}: {_side(path)} code imports {name}"
            for path, source in sources.items() for line, name in _imported(path, source)
            if not _allowed(_side(path), name)]


def _course_sources() -> dict[Path, str]:
    files = [*PACKAGE.rglob("*.py"), *ROOT.glob("solutions/*/probes.py"), *ROOT.glob("solutions/*/test_*.py")]
    return {path: path.read_text(encoding="utf-8") for path in sorted(files)}


def test_no_import_crosses_the_boundary() -> None:
    found = crossings(_course_sources())
    assert not found, "imports that cross the trust boundary:\n" + "\n".join(found)


def test_every_side_is_read_and_the_inside_speaks_the_contract() -> None:
    sources = _course_sources()
    assert {_side(path) for path in sources} == {"contract", "inside", "judge"}
    assert any(_within(name, CONTRACT) for path, source in sources.items() if _side(path) == "inside"
               for _, name in _imported(path, source))


@pytest.mark.parametrize(("side", "module", "planted", "imported"), [
    ("inside", "autograder/inside/child.py", "import autograder.judge.session", "autograder.judge.session"),
    ("inside", "autograder/inside/server.py", "from autograder.course import load_course", "autograder.course"),
    ("inside", "autograder/inside/observe/devices.py", "from ...judge import session", "autograder.judge"),
    ("inside", "solutions/07_iris/probes.py", "from autograder.checks import expect", "autograder.checks"),
    ("judge", "autograder/judge/grader.py", "from autograder.inside import probes", "autograder.inside"),
    ("judge", "solutions/07_iris/test_iris.py", "from autograder.inside.observe import plain",
     "autograder.inside.observe"),
    ("contract", "autograder/contract/codec.py", "from autograder import judge", "autograder.judge"),
    ("contract", "autograder/contract/codec.py", "from . import plan", "autograder.contract.plan"),
])
def test_a_planted_cross_import_is_found(side: str, module: str, planted: str, imported: str) -> None:
    source = (ROOT / module).read_text(encoding="utf-8") + f"\n\ndef planted():\n    {planted}\n"
    found = crossings({ROOT / module: source})
    if imported.startswith("autograder.contract"):
        assert found == [], "the contract may import itself"
    else:
        assert found == [f"{module}:{len(source.splitlines())}: {side} code imports {imported}"]
