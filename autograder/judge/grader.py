"""The Grader: grade submissions with one course's checks (pytest + the grading plugin), each into a GradeReport.

A Grader owns its sandboxes. warm=True keeps them across grade() calls (`autograder check --watch`, the corpus, a
grade-all worker, an `nbgrader autograde` run): the fork server never runs submitted code, and every probe imports
the submission afresh in a new child, so each grading meets the server as a fresh sandbox would start it (one that
kills the server gets a new one), and torch's import is paid once. grade_copy() grades in the grader's own folder,
emptied (never replaced: its sandbox keeps it in view) and refilled for each submission.
"""

from __future__ import annotations

import ast
import atexit
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable
from unittest import mock

import pytest

from autograder.contract.probe_files import PROBE_FILE
from autograder.course import Exercise, load_course
from autograder.judge import planning
from autograder.judge.errors import GraderError
from autograder.judge.options import GradeOptions, TestSource
from autograder.judge.plugin import CheckListener, GradingPlugin, GradingRun
from autograder.judge.pool import SessionPool
from autograder.judge.session import Session
from autograder.results import CheckResult, ExerciseResult, GradeReport
from autograder.sandbox import Limits, detect_isolation

# --noconftest: a conftest.py shipped in a submission must never be imported into the grader's process
# (with tests="submission" the test files sit in the submission folder, next to any conftest.py).
# --capture=no: a listener prints each check's line as it finishes (student code runs in the sandbox, not here).
# no:unraisableexception: its forced garbage collections cost a quarter of a second per run (`check --watch`);
# the other builtin plugins named here serve no check and cost time on every run.
_PYTEST_ARGS = ["-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:warnings", "-p", "no:unraisableexception",
                "-p", "no:threadexception", "-p", "no:logging", "-p", "no:faulthandler", "-p", "no:doctest",
                "-p", "no:junitxml", "-p", "no:pastebin", "-p", "no:stepwise", "-p", "no:setuponly", "-p", "no:setupplan",
                "--noconftest", "--capture=no", "--import-mode=importlib", "-c", "/dev/null"]


# No pytest11 plugin of the environment joins the checks' run (pytest-randomly would reseed and reorder them, a rerun
# plugin would retry failed checks): only the grading plugin does.
_NO_PLUGIN_AUTOLOAD = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def uses_fixture(test_file: Path, name: str) -> bool:
    """Whether any test function in the file takes the fixture `name` as a parameter."""
    tree = ast.parse(test_file.read_text(), filename=str(test_file))
    return any(isinstance(node, ast.FunctionDef) and node.name.startswith("test")
               and any(arg.arg == name for arg in node.args.args) for node in tree.body)


def _missing(exercise: Exercise, submission: Path) -> str | None:
    if not (submission / exercise.id).is_dir():
        return f"the folder {exercise.id}/ is missing from the submission: nothing to grade for this exercise"
    if not (submission / exercise.id / exercise.module).is_file():
        return f"{exercise.id}/{exercise.module} is missing from the submission: nothing to grade for this exercise"
    return None


def _checks_of(exercise: Exercise, tests: TestSource) -> list:
    return list(exercise.checks) if tests == "solutions" else list(exercise.visible_checks)


def _forget_check_modules(files: Iterable[Path]) -> None:
    """Take the check files pytest imported out of sys.modules. pytest's importlib mode names a module by its path
    under the rootdir (`solutions.NN_topic.test_topic`), so a later grading in this process with another kit would
    otherwise be handed this kit's module, with its checks."""
    paths = {str(Path(path).resolve()) for path in files}
    for name, module in list(sys.modules.items()):
        filename = getattr(module, "__file__", None)
        if filename and str(Path(filename).resolve()) in paths:
            del sys.modules[name]


class Grader:
    """Grades submissions with the checks of the course at `course_root` (course.yml, solutions/ or exercises/).

    `isolation`: the level required (default: the strongest available). warm=False: each grade() closes the
    sandboxes it started; warm=True: they, the reference's sandbox and its memoized observations, last until close().
    """

    def __init__(self, course_root: Path, *, isolation: str | None = None, limits: Limits = Limits(),
                 warm: bool = False) -> None:
        self.course_root = course_root
        self.course = load_course(course_root / "course.yml")
        self.level = detect_isolation(isolation)
        self.limits = limits
        self.warm = warm
        self._pool = SessionPool(self.level, limits) if warm else None
        self._memo: dict[str, Any] = {}
        self._copies: Path | None = None  # grade_copy's folder, made on first use

    @property
    def sessions(self) -> dict[Path, Session]:
        """The sandboxes kept warm, by folder (none when warm=False)."""
        return dict(self._pool.sessions) if self._pool is not None else {}

    def grade(self, submission: Path, options: GradeOptions = GradeOptions(), *,
              listener: CheckListener | None = None) -> GradeReport:
        """Grade `submission` (a folder laid out like exercises/); `listener` hears of each check as it starts and
        finishes."""
        pool = self._pool or SessionPool(self.level, self.limits)
        try:
            return self._grade(submission, options, listener, pool, self._memo if self.warm else {})
        finally:
            if pool is not self._pool:
                pool.close()

    def grade_copy(self, folder: Path, options: GradeOptions = GradeOptions(), *,
                   listener: CheckListener | None = None) -> GradeReport:
        """Grade a copy of `folder` (laid out like exercises/), made in this grader's own folder (emptied first)."""
        if self._copies is None:
            self._copies = Path(tempfile.mkdtemp(prefix="autograder-warm-"))
        for path in list(self._copies.iterdir()):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        shutil.copytree(folder, self._copies, symlinks=True, dirs_exist_ok=True)
        return self.grade(self._copies, options, listener=listener)

    def close(self) -> None:
        """Close the sandboxes kept warm and remove grade_copy's folder."""
        if self._pool is not None:
            self._pool.close()
        self._memo.clear()
        if self._copies is not None:
            shutil.rmtree(self._copies, ignore_errors=True)
            self._copies = None

    def __enter__(self) -> "Grader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _grade(self, submission: Path, options: GradeOptions, listener: CheckListener | None, pool: SessionPool,
               memo: dict[str, Any]) -> GradeReport:
        start = time.perf_counter()
        submission = submission.resolve()
        course_root, tests, skip, first_failure = self.course_root, options.tests, options.skip, options.first_failure
        chosen = self.course.select(list(options.exercises) if options.exercises else None)
        reference = course_root / "solutions" if tests == "solutions" else None
        results: dict[str, ExerciseResult] = {e.id: ExerciseResult(e.id, e.title) for e in chosen}
        test_files: dict[str, Path] = {}
        for exercise in chosen:
            problem = _missing(exercise, submission)
            if problem:
                results[exercise.id].checks = [CheckResult(exercise.id, c.id, c.title, c.points, "failed", problem,
                                                           c.visibility, c.hint) for c in _checks_of(exercise, tests)]
                continue
            folder = course_root / "solutions" if tests == "solutions" else submission
            test_files[exercise.id] = folder / exercise.id / exercise.test_file
        graded = [e for e in chosen if e.id in test_files]
        compared = [e for e in graded if reference is not None and uses_fixture(test_files[e.id], "reference")]
        if compared and reference is not None:  # a warm reference sandbox serves every later selection too
            pool.plan(reference, planning.plan(course_root, list(self.course.exercises) if self.warm else compared))
        probe_files = [path for path in (test_files[e.id].parent / PROBE_FILE for e in graded) if path.is_file()]
        pool.plan(submission, planning.plan(course_root, graded), probe_files)  # wins when it is the reference
        plugin = GradingPlugin(GradingRun(course=self.course, submission=submission, reference=reference,
                                          options=options, pool=pool, memo=memo, listener=listener))
        if test_files:  # started early, so that torch imports overlap with pytest's collection
            for folder in [submission, *([reference] if compared and reference is not None else [])]:
                pool.get(folder).forget_import_failures()  # the module may have been edited since it failed
            keyword = ["-k", "not (" + " or ".join(f"test_{c}" for c in skip) + ")"] if skip else []
            keyword += ["-x"] if first_failure else []
            # --confcutdir: pytest collects every folder from there down to each test file, listing each one's
            # entries (by default from the filesystem's root: all of /tmp, or of a student's home folder).
            confcutdir = os.path.commonpath([str(path.parent) for path in test_files.values()])
            with mock.patch.dict(os.environ, _NO_PLUGIN_AUTOLOAD):
                code = pytest.main([*_PYTEST_ARGS, "--rootdir", str(course_root), "--confcutdir", confcutdir,
                                    *keyword, *map(str, test_files.values())], plugins=[plugin])
            _forget_check_modules(test_files.values())
            if code in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
                raise GraderError(f"the check runner stopped ({code.name}); run with pytest directly to see why")
        by_check = {(r.exercise, r.check): r for r in plugin.results.values()}
        for exercise in chosen:
            if results[exercise.id].checks:
                continue
            for check in _checks_of(exercise, tests):
                found = by_check.get((exercise.id, check.id))
                if found is None and (check.id in skip or first_failure):
                    found = CheckResult(exercise.id, check.id, check.title, check.points, "skipped",
                                        "not run: left out of this grading", check.visibility, check.hint)
                results[exercise.id].checks.append(found or CheckResult(
                    exercise.id, check.id, check.title, check.points, "error",
                    "grader error: this check did not run (its test function is missing or could not be imported)",
                    check.visibility, check.hint))
            tampered = plugin.tampered(exercise.id)
            if tampered:
                results[exercise.id].checks = [replace(c, status="failed", message=tampered)
                                               if c.status == "passed" else c for c in results[exercise.id].checks]
        return GradeReport(submission=str(submission), exercises=[results[e.id] for e in chosen],
                           device=plugin.device or options.device, isolation=self.level.describe(self.limits),
                           isolation_level=self.level.name,
                           torch_version=plugin.torch_version, execution_time=time.perf_counter() - start,
                           timing=dict(plugin.timing), probes=list(plugin.probe_log),
                           curves=dict(plugin.curves))


_PROCESS_GRADERS: dict[tuple[Path, str | None], Grader] = {}


def process_grader(course_root: Path, isolation: str | None = None) -> Grader:
    """This process's warm grader for the course (a grade-all worker, an `nbgrader autograde` run): made on first
    use, closed when the process exits."""
    key = (course_root.resolve(), isolation)
    if key not in _PROCESS_GRADERS:
        _PROCESS_GRADERS[key] = Grader(key[0], isolation=isolation, warm=True)
        atexit.register(_PROCESS_GRADERS[key].close)
    return _PROCESS_GRADERS[key]
