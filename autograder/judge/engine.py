"""Grade a submission: run each exercise's checks (pytest + the grading plugin) and collect a GradeReport."""

from __future__ import annotations

import ast
import atexit
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Literal
from unittest import mock

import pytest

from autograder.contract.plan import Plan
from autograder.contract.probe_files import PROBE_FILE
from autograder.course import Exercise, load_course
from autograder.judge import planning
from autograder.judge.errors import GraderError
from autograder.judge.plugin import CheckListener, GradingPlugin, GradingSetup
from autograder.judge.pool import SharedReference
from autograder.judge.session import Session
from autograder.results import CheckResult, ExerciseResult, GradeReport
from autograder.sandbox import IsolationLevel, Limits, detect_isolation

TestSource = Literal["solutions", "submission"]

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


def grade(submission: Path, course_root: Path, *, exercises: list[str] | None = None, device: str = "auto",
          tests: TestSource = "solutions", isolation: str | None = None, limits: Limits = Limits(),
          timeout: float | None = None, shared_reference: SharedReference | None = None,
          skip: tuple[str, ...] = (), listener: CheckListener | None = None,
          sessions: dict[Path, Session] | None = None, first_failure: bool = False) -> GradeReport:
    """Grade `submission` (a folder laid out like exercises/) and return the report.

    tests="solutions": the instructor's checks (visible and hidden) from solutions/, with the reference
    solution available to hidden checks. tests="submission": the visible tests found in the submission
    itself (a student's own exercises/ folder), without the reference. `shared_reference` (see
    `reference_session`) lets many grade() calls share one reference sandbox and its observations.
    Checks whose id is in `skip` are not run and reported as skipped. `listener` hears of each check as it
    starts and finishes. `sessions` keeps the sandboxes warm across calls (`autograder check --watch`):
    the ones this call needs are started in it and left open; each probe still imports the student's
    module afresh in a new child, so edits between calls are seen.
    first_failure=True stops at the first failed check (the rest are reported as skipped): enough to tell
    whether a submission passes everything.
    """
    start = time.perf_counter()
    submission = submission.resolve()
    course = load_course(course_root / "course.yml")
    chosen = course.select(exercises)
    level = detect_isolation(isolation)
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
    plans = {reference: planning.plan(course_root, compared)} if compared and reference else {}
    plans[submission] = planning.plan(course_root, graded)  # wins when the submission is the reference
    probe_files = [path for path in (test_files[e.id].parent / PROBE_FILE for e in graded) if path.is_file()]
    kept = _keep_warm(sessions, plans, level, limits, probe_files) if sessions is not None else {}
    plugin = GradingPlugin(GradingSetup(course=course, submission=submission, reference=reference,
                                        device=device, level=level, limits=limits, timeout=timeout,
                                        shared_reference=shared_reference, preload=plans, probe_files=probe_files,
                                        sessions=kept, listener=listener))
    if test_files:
        plugin.start(submission, reference=bool(compared))
        keyword = ["-k", "not (" + " or ".join(f"test_{c}" for c in skip) + ")"] if skip else []
        keyword += ["-x"] if first_failure else []
        # --confcutdir: pytest collects every folder from there down to each test file, listing each one's
        # entries (by default from the filesystem's root: all of /tmp, or of a student's home folder).
        confcutdir = os.path.commonpath([str(path.parent) for path in test_files.values()])
        with mock.patch.dict(os.environ, _NO_PLUGIN_AUTOLOAD):
            code = pytest.main([*_PYTEST_ARGS, "--rootdir", str(course_root), "--confcutdir", confcutdir, *keyword,
                                *map(str, test_files.values())], plugins=[plugin])
        _forget_check_modules(test_files.values())
        if code in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
            plugin.pool.close()
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
            results[exercise.id].checks = [replace(c, status="failed", message=tampered) if c.status == "passed" else c
                                           for c in results[exercise.id].checks]
    return GradeReport(submission=str(submission), exercises=[results[e.id] for e in chosen],
                       device=plugin.device or device, isolation=plugin.level.describe(limits),
                       isolation_level=plugin.level.name,
                       torch_version=plugin.torch_version, execution_time=time.perf_counter() - start,
                       timing=dict(plugin.timing), probes=list(plugin.probe_log),
                       curves=dict(plugin.curves))


def _keep_warm(sessions: dict[Path, Session], plans: dict[Path, Plan], level: IsolationLevel,
               limits: Limits, probe_files: list[Path]) -> dict[Path, Session]:
    """The sessions in `sessions` for the folders in `plans`, started there when missing."""
    for folder, plan in plans.items():
        if folder not in sessions:
            sessions[folder] = Session(folder, level=level, limits=limits, preload=plan, probe_files=probe_files)
            sessions[folder].start()
        sessions[folder].forget_import_failures()
    return {folder: sessions[folder] for folder in plans}


def close_sessions(sessions: dict[Path, Session]) -> None:
    """Close the sandboxes kept warm by grade(sessions=...)."""
    for session in sessions.values():
        session.close()
    sessions.clear()


_PROCESS_REFERENCES: dict[tuple[Path, str | None], SharedReference] = {}


def process_reference(course_root: Path, *, isolation: str | None = None) -> SharedReference:
    """This process's reference sandbox for the course: started on first use, shared by every later grade() call
    here (a class-grading worker, one `nbgrader autograde` run), closed when the process exits."""
    key = (course_root.resolve(), isolation)
    if key not in _PROCESS_REFERENCES:
        _PROCESS_REFERENCES[key] = reference_session(key[0], isolation=isolation)
        atexit.register(_PROCESS_REFERENCES[key].close)
    return _PROCESS_REFERENCES[key]


def reference_session(course_root: Path, *, isolation: str | None = None, limits: Limits = Limits()) -> SharedReference:
    """A reference-solution sandbox to pass to several grade() calls (close it when done)."""
    course = load_course(course_root / "course.yml")
    session = Session(course_root / "solutions", level=detect_isolation(isolation), limits=limits,
                      preload=planning.plan(course_root, list(course.exercises)))
    session.start()
    return SharedReference(session)
