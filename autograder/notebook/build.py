"""Build one nbgrader source notebook per exercise from solutions/ and course.yml, and the course folder around them."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

from autograder.course import Check, Course, Exercise
from autograder.generate import GenerateError
from autograder.generate.build import consistency_problems

from .autograde import AUTOGRADE_PREPROCESSORS, SANITIZE_PREPROCESSORS
from .grading import GIVEN_PREFIX
from .split import Part, description, split_module

STUDENT_DATA = ("submitted", "autograded", "feedback", "gradebook.db")
SCHEMA_VERSION = 3
CODE_STUB = 'raise NotImplementedError("not implemented yet")'

SETUP_CELL = """\
# Setup (do not edit): one torch thread, figures shown in the notebook, and the course's checks.
import os
os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch
torch.set_num_threads(1)
%matplotlib inline
from autograder.notebook import run_check, track_cells
track_cells()"""

CONFIG = '''\
"""nbgrader configuration of the course "{title}", written by `autograder nbgrader build`."""

c = get_config()  # noqa: F821 (provided by nbgrader)
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "pytorch-step-by-step"
# The score of record: `nbgrader autograde` does not run the notebook in a kernel. In place of nbgrader's Execute,
# the kit's GradeWithEngine grades the submitted answer cells with the sandboxed engine of `autograder grade` and
# writes each check's verdict as its test cell's output, which SaveAutoGrades then records.
# RestoreCellRoles gives every cell back the role the gradebook knows it by before OverwriteCells restores them.
c.Autograde.sanitize_preprocessors = {sanitize!r}
c.Autograde.autograde_preprocessors = {autograde!r}
# The course kit whose checks, hidden checks and reference grade the notebooks (never read from the environment).
c.GradeWithEngine.course = {kit!r}
# Late submissions (nbgrader's timestamp, duedate and extensions) lose what course.yml's deadline penalty says.
c.AssignLatePenalties.plugin_class = "autograder.notebook.late.CourseLatePenalty"
c.CourseLatePenalty.course = {kit!r}
# A test cell a student deleted is put back (and graded) rather than left without a score.
c.OverwriteCells.add_missing_cells = True
# The kit's stub style: the `# TODO:` line above the answer stays, the answer becomes this line.
c.ClearSolutions.code_stub = {{"python": {stub!r}}}
'''


class BuildRefused(Exception):
    """The target folder holds student data and --force was not given."""


def _nbgrader(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False,
              points: float | None = None) -> dict:
    meta = {"schema_version": SCHEMA_VERSION, "grade": grade, "solution": solution, "locked": locked,
            "grade_id": grade_id}
    if points is not None:
        meta["points"] = points
    return meta


def _markdown(text: str, cell_id: str) -> NotebookNode:
    cell = nbformat.v4.new_markdown_cell(text)
    cell.id = cell_id
    return cell


def _code(source: str, cell_id: str, nbgrader: dict | None = None) -> NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.id = cell_id
    if nbgrader is not None:
        cell.metadata["nbgrader"] = nbgrader
    return cell


def _test_cell(exercise: Exercise, check: Check) -> NotebookNode:
    call = f'run_check("{exercise.id}", "{check.id}")'
    points = f"{check.points:g} point{'s' if check.points != 1 else ''}"
    if check.hidden:
        source = (f"# Hidden check ({points}): graded after you submit, its result is in your feedback.\n"
                  f"### BEGIN HIDDEN TESTS\n# {check.title}\n{call}\n### END HIDDEN TESTS")
    else:
        source = f"# Check ({points}): {check.title}\n{call}"
    return _code(source, check.id, _nbgrader(check.id, grade=True, locked=True, points=check.points))


def _place_checks(exercise: Exercise, parts: list[Part]) -> dict[int, list[Check]]:
    """Each check after the last answer it names (in its title or as its id's prefix); -1: at the end."""
    placed: dict[int, list[Check]] = {}
    for check in exercise.checks:
        where = -1
        for index, part in enumerate(parts):
            if part.solution and any(re.search(rf"\b{re.escape(name)}\b", check.title)
                                     or check.id.startswith(f"{name.lower()}_") for name in part.names):
                where = index
        placed.setdefault(where, []).append(check)
    return placed


def _intro(exercise: Exercise, module_doc: str | None) -> str:
    goals = "\n".join(f"- {goal}" for goal in exercise.goals)
    doc = description(module_doc)
    return (f"# {exercise.id}: {exercise.title}\n\n{doc}\n\n## Goals\n\n{goals}\n\n## How to work\n\n"
            "Run the setup cell first. Write your code in the answer cells, in place of "
            "`raise NotImplementedError(...)` (the `# TODO:` line above it says what to do), and keep every helper "
            "you write inside an answer cell: the answer cells and the given code are what gets graded, as the "
            f"module `{exercise.module}`. Each check cell runs one of the course's checks on your code in a "
            "sandbox; hidden checks run when your notebook is graded.")


def build_notebook(exercise: Exercise, module_text: str) -> NotebookNode:
    """The nbgrader source notebook of one exercise."""
    module_doc, parts = split_module(module_text)
    placed = _place_checks(exercise, parts)
    demos = {demo.after: demo for demo in exercise.demos}
    cells = [_markdown(_intro(exercise, module_doc), "intro"),
             _code(SETUP_CELL, "setup", _nbgrader("setup", locked=True))]
    for index, part in enumerate(parts):
        if part.solution:
            name = part.names[0]
            cells.append(_markdown(f"## `{name}`\n\n{description(part.docstring)}", f"about_{name}"))
            cells.append(_code(part.source, f"answer_{name}", _nbgrader(f"answer_{name}", solution=True)))
        else:
            what = (f"Given code (run it, do not change it): {', '.join(f'`{n}`' for n in part.names)}."
                    if part.names else "The imports and constants of the module (run this cell).")
            cells.append(_markdown(what, f"about_{GIVEN_PREFIX}{index}"))
            cells.append(_code(part.source, f"{GIVEN_PREFIX}{index}", _nbgrader(f"{GIVEN_PREFIX}{index}", locked=True)))
        cells += [_test_cell(exercise, check) for check in placed.get(index, [])]
        demo = demos.get(part.names[0]) if part.names else None
        if demo is not None:
            cells.append(_markdown(demo.markdown, f"about_demo_{index}"))
            cells.append(_code(demo.code, f"demo_{index}", _nbgrader(f"demo_{index}", locked=True)))
    if placed.get(-1):
        cells.append(_markdown("## More checks\n\nChecks that look at several of your functions together.", "more"))
        cells += [_test_cell(exercise, check) for check in placed[-1]]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata.update({
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "autograder": {"exercise": exercise.id, "module": exercise.module},
    })
    nbformat.validate(notebook)
    return notebook


def build_course(kit_root: Path, course: Course, target: Path, *, exercises: list[Exercise] | None = None,
                 force: bool = False) -> list[Path]:
    """Write ``target``/nbgrader_config.py and source/<exercise>/<exercise>.ipynb; return the files written.

    Raises BuildRefused when ``target`` holds student data (submitted/, autograded/, feedback/, gradebook.db)
    and ``force`` is False, GenerateError when solutions/ and course.yml disagree.
    """
    target = target.resolve()
    found = [name for name in STUDENT_DATA if (target / name).exists()]
    if found and not force:
        raise BuildRefused(f"{target} holds student data ({', '.join(found)}); pass --force to rebuild it anyway")
    chosen = exercises or list(course.exercises)
    notebooks: dict[Path, NotebookNode] = {}
    problems: list[str] = []
    for exercise in chosen:
        folder = kit_root / "solutions" / exercise.id
        tests_text = (folder / exercise.test_file).read_text(encoding="utf-8")
        problems += consistency_problems(exercise, tests_text, f"solutions/{exercise.id}/{exercise.test_file}")
        module_text = (folder / exercise.module).read_text(encoding="utf-8")
        notebooks[target / "source" / exercise.id / f"{exercise.id}.ipynb"] = build_notebook(exercise, module_text)
    if problems:
        raise GenerateError(problems)
    target.mkdir(parents=True, exist_ok=True)
    config = target / "nbgrader_config.py"
    config.write_text(CONFIG.format(title=course.title, kit=str(kit_root.resolve()), root=str(target),
                                    sanitize=list(SANITIZE_PREPROCESSORS), autograde=list(AUTOGRADE_PREPROCESSORS),
                                    stub=CODE_STUB), encoding="utf-8")
    for path, notebook in notebooks.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, path)
    return [config, *notebooks]
