"""The preload plan of a fork server, read from the course's own files.

The libraries an exercise's code imports (torch, scikit-learn, matplotlib, ...) take a second or more
each to import. The fork server imports them once, so that every child starts with them loaded, together
with the exercise's probe file (named in the plan by its absolute path). The plan is read from the
course's own files (the reference solution, else the released stub, and the probe file), never from
a submission. The first stage is what the first exercise to grade needs, imported before the server
says it is ready; each later stage is imported by a successor process while the checks run, which
takes over once it is done (see autograder/inside/server.py).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.contract.plan import BASE, TRAINING, Plan
from autograder.contract.probe_files import PROBE_FILE

if TYPE_CHECKING:
    from autograder.course import Exercise


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


def course_file(course_root: Path, exercise: Exercise, name: str) -> Path:
    """A file of the exercise's folder in solutions/, else in the released exercises/."""
    solution = course_root / "solutions" / exercise.id / name
    return solution if solution.is_file() else course_root / "exercises" / exercise.id / name


def _needs(course_root: Path, exercise: Exercise) -> list[str]:
    """What one exercise's module and probe file import, then the probe file itself."""
    probes = course_file(course_root, exercise, PROBE_FILE)
    needs = module_imports(course_file(course_root, exercise, exercise.module)) + module_imports(probes)
    return [*dict.fromkeys(name for name in needs if name.split(".")[0] not in ("autograder", "__future__")),
            *([str(probes.resolve())] if probes.is_file() else [])]


def plan(course_root: Path, exercises: list[Exercise]) -> Plan:
    """The preload stages for grading `exercises` in this order: what the first exercise needs, then
    torch._dynamo if that is not in it, then what the others need."""
    needs = [_needs(course_root, e) for e in exercises] or [[]]
    first = [*BASE, *needs[0]]
    if any(name == "torch" or name.startswith("torch.") for name in needs[0]):
        first += TRAINING
    stages = [list(dict.fromkeys(first)), [name for name in TRAINING if name not in first]]
    stages.append([name for name in dict.fromkeys(n for names in needs[1:] for n in names)
                   if name not in first and name not in TRAINING])
    return [stage for stage in stages if stage]
