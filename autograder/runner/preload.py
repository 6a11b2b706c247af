"""What a fork server imports before it forks children, in stages.

The libraries an exercise's code imports (torch, scikit-learn, matplotlib, ...) take a second or more
each to import. The fork server imports them once, so that every child starts with them loaded. The
plan is read from the course's own files (the reference solution, else the released stub), never from
a submission. The first stage is what the first exercise to grade needs, imported before the server
says it is ready; each later stage is imported by a successor process while the checks run, which
takes over once it is done (see server.py).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the fork server imports this module: keep it light
    from autograder.course import Exercise

BASE = ("numpy", "torch")
# The first optimizer.step() imports torch._dynamo (over a second): import it once, in the server
TRAINING = ("torch._dynamo",)

Plan = list[list[str]]


def module_imports(path: Path) -> list[str]:
    """The absolute imports of a course file, in order, that this environment can import (no local modules)."""
    try:
        tree = ast.parse(path.read_text(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return []
    local = {p.stem for p in path.parent.glob("*.py")}
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
    return [name for name in dict.fromkeys(found)
            if name.split(".")[0] not in local and importlib.util.find_spec(name.split(".")[0]) is not None]


def _course_file(course_root: Path, exercise: Exercise) -> Path:
    solution = course_root / "solutions" / exercise.id / exercise.module
    return solution if solution.is_file() else course_root / "exercises" / exercise.id / exercise.module


def plan(course_root: Path, exercises: list[Exercise]) -> Plan:
    """The preload stages for grading `exercises` in this order: what the first exercise needs, then
    torch._dynamo if that is not in it, then what the others need."""
    needs = [module_imports(_course_file(course_root, e)) for e in exercises] or [[]]
    first = [*BASE, *needs[0]]
    if any(name == "torch" or name.startswith("torch.") for name in needs[0]):
        first += TRAINING
    stages = [list(dict.fromkeys(first)), [name for name in TRAINING if name not in first]]
    stages.append([name for name in dict.fromkeys(n for names in needs[1:] for n in names)
                   if name not in first and name not in TRAINING])
    return [stage for stage in stages if stage]


def import_modules(names: list[str]) -> None:
    """Import each module; one that fails here is left to the child that needs it (which reports why)."""
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S112 - preloading is only an optimisation
            continue
