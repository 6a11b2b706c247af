"""The score of record of `nbgrader autograde`, made outside any kernel by the kit's sandboxed engine.

The generated nbgrader_config.py adds :class:`RestoreCellRoles` to nbgrader's sanitizing and puts
:class:`GradeWithEngine` in place of nbgrader's ``Execute``. The latter reads the module cells of the sanitized
submission (each cell has its role and locked cells their source back from the gradebook), grades that
module with the same engine and sandbox as ``autograder grade``, and writes each test cell's verdict as the cell's
output, so that nbgrader's own ``SaveAutoGrades`` records exactly the engine's points. The student's code is never run
in a kernel, so nothing it does there can reach the grade, the kit or the gradebook.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, NoReturn

import nbformat
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Enum, Unicode

from autograder.cli_support import EXIT_GRADER_ERROR
from autograder.course import load_course
from autograder.results import CheckResult
from autograder.sandbox import SandboxUnavailable, record_isolation

from .grading import grade_module, module_source
from .recover import ExpectedCell, expected_from_gradebook, notes, recover_cells

# nbgrader's Autograde.sanitize_preprocessors with RestoreCellRoles before OverwriteCells.
SANITIZE_PREPROCESSORS = (
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "autograder.notebook.autograde.RestoreCellRoles",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
)
# nbgrader's Autograde.autograde_preprocessors with Execute replaced by GradeWithEngine.
AUTOGRADE_PREPROCESSORS = (
    "autograder.notebook.autograde.GradeWithEngine",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
)


def verdict_outputs(result: CheckResult, found: list[str] | None = None) -> list[NotebookNode]:
    """A test cell's outputs: a plain line when the check passed, an error with the check's message otherwise (and
    the notebook's notes: cells the grader could not use)."""
    if result.points == result.max_points:
        points = f"{result.max_points:g} point{'s' if result.max_points != 1 else ''}"
        return [nbformat.v4.new_output("stream", name="stdout", text=f"passed: {result.title} ({points})\n")]
    lines = [f"{result.status}: {result.title}", *result.message.splitlines(), *(f"note: {n}" for n in found or [])]
    return [nbformat.v4.new_output("error", ename="CheckFailed", evalue=result.title, traceback=lines)]


class RestoreCellRoles(NbGraderPreprocessor):
    """Give each nbgrader cell the role (grade, solution, task, locked) the gradebook knows it by; unknown cells none.

    nbgrader restores a locked cell's source but trusts the submitted flags: a test cell turned into an unlocked answer
    cell would join the graded module, or stop nbgrader with "Inconsistent checksums".
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        expected = _expected(resources)
        for line in recover_cells(nb, expected):  # cells another editor stripped, split or merged
            self.log.warning("%s", line)
        roles = {cell.grade_id: cell.role() for cell in expected}  # every nbgrader cell of the source notebook
        for cell in nb.cells:
            if "nbgrader" not in cell.metadata:
                continue
            role = roles.get(cell.metadata.nbgrader.get("grade_id"))
            if role is None:
                del cell.metadata["nbgrader"]
                continue
            cell.metadata.nbgrader.update({flag: role[flag] for flag in ("grade", "solution", "task", "locked")})
            if not role["grade"]:
                cell.metadata.nbgrader.pop("points", None)
        return nb, resources


def _expected(resources: ResourcesDict) -> list[ExpectedCell]:
    info = resources["nbgrader"]
    with Gradebook(info["db_url"]) as gradebook:
        return expected_from_gradebook(gradebook, info["notebook"], info["assignment"])


class GradeWithEngine(NbGraderPreprocessor):
    """Grade the notebook's module cells with the kit's sandboxed engine; write each test cell's verdict as output."""

    course = Unicode(
        "", help="The course kit (course.yml, solutions/) whose checks grade the notebooks: an absolute path."
    ).tag(config=True)

    isolation = Enum(
        ["bwrap", "process"], default_value=None, allow_none=True,
        help="The sandbox: bwrap (the default, required: without it autograding stops with exit status 3), or "
             "process, an UNISOLATED practice grade for a machine without bubblewrap."
    ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        if not self.course:
            raise ValueError("GradeWithEngine.course is not set: write `c.GradeWithEngine.course = '/path/to/kit'` "
                             "in nbgrader_config.py (autograder nbgrader build does)")
        root = Path(self.course)
        exercise = load_course(root / "course.yml").exercise(resources["nbgrader"]["notebook"])
        checks = {check.id: check for check in exercise.checks}
        try:
            level = record_isolation(self.isolation, opt_out="set c.GradeWithEngine.isolation = 'process' in "
                                                             "nbgrader_config.py")
        except SandboxUnavailable as exc:
            self._refuse(resources, exc)
        results = grade_module(exercise.id, module_source(nb), root, isolation=level.name)
        found = notes(nb, _expected(resources))
        for note in found:
            self.log.warning("%s", note)
        for cell in nb.cells:
            if not _is_test_cell(cell):
                continue
            grade_id = cell.metadata.nbgrader.grade_id
            check = checks.get(grade_id)
            result = results.get(grade_id) or CheckResult(
                exercise.id, grade_id, check.title if check else grade_id, check.points if check else 0.0, "error",
                "the grader returned no verdict for this check")
            cell.outputs, cell.execution_count = verdict_outputs(result, found), None
        self.log.info("%s graded by the engine: %g/%g", exercise.id, sum(r.points for r in results.values()),
                      sum(r.max_points for r in results.values()))
        return nb, resources

    def _refuse(self, resources: ResourcesDict, why: SandboxUnavailable) -> NoReturn:
        """Stop the whole run with exit status 3: no grade of record without the sandbox. The submission's autograded
        folder is removed, so that the next run grades it (nbgrader skips a submission that has one)."""
        self.log.error("autograding could not run: %s", why)
        info = resources["nbgrader"]
        coursedir = CourseDirectory(config=self.config)
        shutil.rmtree(coursedir.format_path(coursedir.autograded_directory, info["student"], info["assignment"]),
                      ignore_errors=True)
        raise SystemExit(EXIT_GRADER_ERROR)


def _is_test_cell(cell: Any) -> bool:
    return cell.get("cell_type") == "code" and bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade"))
