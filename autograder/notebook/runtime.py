"""What the notebook's cells call inside the kernel: ``track_cells()`` in the setup cell, ``run_check`` in test cells.

``run_check`` grades the exercise's module cells (read from the notebook file beside the kernel, with the source each
cell last ran in this kernel) through the same engine and sandbox as ``autograder grade``. The whole exercise is graded
once per distinct module text and the verdicts are kept, so the other test cells of a run answer at once. This is
feedback in the student's own Jupyter; `nbgrader autograde` never runs it (see autograde.py for the score of record).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autograder.results import CheckResult

_executed: dict[str, str] = {}                                   # cell id -> the source it last ran
_verdicts: dict[tuple[str, str, str], dict[str, CheckResult]] = {}  # (root, exercise, module text) -> verdicts
_said: set[str] = set()                                          # what this kernel was told once already

PRACTICE_MODE = (
    "practice mode: there is no bubblewrap sandbox here (Jupyter on Colab, macOS or Windows, most containers), so "
    "the checks run your code as a plain process, with time and memory limits but no filesystem or network "
    "isolation. That is fine for practice. Your grade is made later by your instructor's grader, which runs these "
    "checks and hidden ones in a sandbox."
)


def _practice_mode_once() -> None:
    """Say once per kernel, in words, that checks run without the sandbox when bubblewrap is missing."""
    from autograder.sandbox import detect_isolation

    if "practice" not in _said and detect_isolation().name == "process":
        _said.add("practice")
        print(PRACTICE_MODE)


def _record(info: Any) -> None:
    if getattr(info, "cell_id", None):
        _executed[info.cell_id] = info.raw_cell


def track_cells() -> None:
    """Remember the source of every cell the kernel runs (so an unsaved edit is what gets checked)."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None and _record not in shell.events.callbacks["pre_run_cell"]:
        shell.events.register("pre_run_cell", _record)


def run_check(exercise: str, check: str) -> None:
    """Run one check of ``exercise`` on this notebook's code; AssertionError with the check's message if it fails."""
    __tracebackhide__ = True
    import nbformat

    from .grading import course_root, grade_module, module_source

    notebook_path = Path.cwd() / f"{exercise}.ipynb"
    if not notebook_path.is_file():
        raise AssertionError(f"{notebook_path.name} is not in {Path.cwd()}: keep the notebook's name, "
                             "the checks read its answer cells from it")
    source = module_source(nbformat.read(notebook_path, as_version=4), _executed)
    root = course_root()
    key = (str(root), exercise, source)
    if key not in _verdicts:
        _practice_mode_once()
        _verdicts[key] = grade_module(exercise, source, root)  # on the GPU when there is one (device "auto")
    result = _verdicts[key].get(check)
    if result is None:
        raise AssertionError(f"{exercise} has no check '{check}' in this course")
    if result.status == "skipped":
        print(f"skipped: {result.title}: {result.message}")
    elif result.status != "passed":
        printed = f"\nyour code printed (the end):\n{result.output}" if result.output else ""
        raise AssertionError(f"{result.title}\n{result.message}{printed}")
    else:
        print(f"passed: {result.title} ({result.max_points:g} point{'s' if result.max_points != 1 else ''})")
