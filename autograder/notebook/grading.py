"""Grade the code of a notebook: its module cells written out as the exercise's module, graded by the engine."""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

from autograder.contract.probe_files import PROBE_FILE
from autograder.course import find_course_root, load_course
from autograder.judge.grader import GradeOptions, Grader, process_grader
from autograder.results import CheckResult

GIVEN_PREFIX = "given_"            # grade_id of the locked cells of given code that belong to the module


def is_module_cell(cell: Any) -> bool:
    """An answer cell (nbgrader ``solution``) or a cell of given code: together they are the exercise's module."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and (
        bool(meta.get("solution")) or str(meta.get("grade_id", "")).startswith(GIVEN_PREFIX))


def module_source(notebook: Any, executed: dict[str, str] | None = None) -> str:
    """The module a notebook defines: its module cells in order; a cell's last executed source wins over the file's."""
    executed = executed or {}
    sources = [executed.get(cell.get("id", ""), cell["source"]) for cell in notebook["cells"] if is_module_cell(cell)]
    return "\n\n\n".join(source.strip("\n") for source in sources) + "\n"


def course_root() -> Path:
    """The course kit of a kernel's run_check (a student's own checks): found from here, else from this package."""
    try:
        return find_course_root(Path.cwd())
    except FileNotFoundError:
        return find_course_root(Path(__file__).resolve().parent)


def grade_module(exercise_id: str, source: str, root: Path, *, isolation: str | None = None) -> dict[str, CheckResult]:
    """Grade one exercise's module text with the engine: every check, in the sandbox, as `autograder grade` does.

    With the instructor's solutions/ at hand the hidden checks and the reference run too, in this process's warm
    sandboxes (process_grader: one for the reference and one for the students, for every notebook an
    `nbgrader autograde` run grades); a student's kit (no solutions/) runs the visible tests of exercises/.
    `isolation`: the level required (default: the strongest available, as `autograder check`). Nothing is written
    to stdout or stderr.
    """
    exercise = load_course(root / "course.yml").exercise(exercise_id)
    instructor = (root / "solutions" / exercise.id / exercise.test_file).is_file()
    with tempfile.TemporaryDirectory(prefix="autograder-nb-") as tmp:
        folder = Path(tmp) / exercise.id
        folder.mkdir()
        (folder / exercise.module).write_text(source, encoding="utf-8")
        if not instructor:  # a student's kit: its visible checks and the probes they call
            for name in (exercise.test_file, PROBE_FILE):
                shutil.copy(root / "exercises" / exercise.id / name, folder / name)
        quiet = io.StringIO()
        with warnings.catch_warnings(), contextlib.redirect_stderr(quiet), contextlib.redirect_stdout(quiet):
            warnings.simplefilter("ignore")
            if instructor:
                report = process_grader(root, isolation).grade_copy(Path(tmp), GradeOptions(exercises=(exercise.id,)))
            else:
                with Grader(root, isolation=isolation) as grader:
                    report = grader.grade(Path(tmp), GradeOptions(exercises=(exercise.id,), tests="submission"))
    return {check.check: check for check in report.checks}
