"""The engine holds no course content: no file under autograder/ names an exercise, its module or its functions."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from autograder.course import load_course

# Words that are also the engine's own vocabulary (a module named data.py is an exercise's, "train" a verb of ours)
GENERIC = {"accuracy", "autograd", "checkpoint", "data", "evaluate", "loop", "models", "modules", "regression",
           "train", "validation", "embed", "reconstruct"}


def course_names(course_root: Path) -> set[str]:
    """Each exercise's id, topic, module name and public functions and classes."""
    names = set()
    for exercise in load_course(course_root / "course.yml").exercises:
        names |= {exercise.id, exercise.id[3:], exercise.module_name}
        tree = ast.parse((course_root / "solutions" / exercise.id / exercise.module).read_text())
        names |= {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))
                  and not node.name.startswith("_")}
    return names - GENERIC


def test_no_engine_file_names_an_exercise(course_root: Path) -> None:
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(course_names(course_root)))) + r")\b")
    found = [f"{path.relative_to(course_root)}:{number}: {line.strip()}"
             for path in sorted((course_root / "autograder").rglob("*")) if path.is_file() and path.suffix != ".pyc"
             for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1) if pattern.search(line)]
    assert not found, "\n".join(found)
