"""`autograder release OUT`: the student repository, with nothing a student must not see.

It holds the generated exercises (stubs, visible checks, READMEs, the probes those checks call), a public
course manifest (visible checks only; hidden ones appear as the points graded after submission), the
grading engine to install, a README with the two commands a student needs, and optionally a CI workflow
that runs the same visible checks as a practice grade. No solution code, no hidden check, no reference to
the instructor's kit.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

import autograder
from autograder.course import Course, Exercise
from autograder.generate import build_all
from autograder.integrations.ci import workflow_text
from autograder.integrations.gradescope import tree

ENGINE_FILES = ("pyproject.toml", "constraints.txt")  # beside the engine package in a checkout of the kit
WORKFLOW = ".github/workflows/practice.yml"
_MANIFEST_HEADER = (
    "# The course manifest of this student release: titles, goals, hints and points of the checks you can run.\n"
    "# hidden_points: points of checks graded after you submit (they look at the same behaviours on other data).\n"
)


class ReleaseError(Exception):
    """The release cannot be written (a missing engine file, an output folder in the way)."""


def public_exercise(exercise: Exercise, hints: bool) -> dict[str, Any]:
    """One exercise of the public manifest: visible checks only, hidden ones as a number of points."""
    entry: dict[str, Any] = {"id": exercise.id, "title": exercise.title, "module": exercise.module,
                             "goals": list(exercise.goals)}
    if hints and exercise.hints:
        entry["hints"] = list(exercise.hints)
    entry["timeout"] = exercise.timeout
    entry["checks"] = [{"id": c.id, "title": c.title, "points": c.points,
                        **({"hint": c.hint} if hints and c.hint else {})} for c in exercise.visible_checks]
    hidden = sum(c.points for c in exercise.hidden_checks)
    if hidden:
        entry["hidden_points"] = hidden
    return entry


def public_manifest(course: Course, hints: bool = True) -> str:
    """The release's course.yml."""
    data = {"title": course.title, "exercises": [public_exercise(e, hints) for e in course.exercises]}
    return _MANIFEST_HEADER + "\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)


def _template(name: str) -> str:
    return (resources.files("autograder.integrations") / "templates" / name).read_text("utf-8")


def release_files(course_root: Path, course: Course, *, hints: bool = True, ci: bool = False) -> dict[str, str]:
    """The text files of the release, by path (the engine package is copied beside them)."""
    files = {f"exercises/{name}": text for name, text in build_all(course_root, course).items()}
    files["course.yml"] = public_manifest(course, hints)
    files["README.md"] = _template("student-README.md").format(title=course.title, workflow=WORKFLOW)
    files[".gitignore"] = ".venv/\n__pycache__/\n*.egg-info/\n.pytest_cache/\n"
    if ci:
        files[WORKFLOW] = workflow_text()
    return files


def write_release(course_root: Path, course: Course, out: Path, *, hints: bool = True, ci: bool = False) -> list[str]:
    """Write the student repository to `out` (new or empty); return its files, relative to `out`."""
    if out.exists() and any(out.iterdir()):
        raise ReleaseError(f"{out} is not empty: write a release to a new folder")
    package = Path(autograder.__file__).resolve().parent
    engine = [(package.parent / name, name) for name in ENGINE_FILES]
    for source, _ in engine:
        if not source.is_file():
            raise ReleaseError(f"{source} is missing: release from a source checkout of the kit")
    files = release_files(course_root, course, hints=hints, ci=ci)
    for name, text in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text, encoding="utf-8")
    for source, name in [*tree(package, "autograder"), *engine]:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, out / name)
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
