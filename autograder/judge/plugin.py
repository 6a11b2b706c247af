"""The pytest plugin that runs checks: fixtures `student`, `reference`, `exercise`, and result collection.

The grader (judge/grader.py) registers a GradingPlugin that knows its :class:`GradingRun`; a student who runs plain
``pytest exercises/NN_topic`` gets one configured from the test file's location, through the generated
``exercises/conftest.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Protocol

import pytest

from autograder.checks.failures import CheckFailed
from autograder.checks.problems import StudentProblem
from autograder.contract.probe_files import PROBE_FILE
from autograder.contract.wire import Failure
from autograder.course.schema import Check, Course, Exercise
from autograder.judge import planning
from autograder.judge.errors import GraderError
from autograder.judge.handles import ExerciseBudget, ExerciseHandle, time_limit
from autograder.judge.options import GradeOptions
from autograder.judge.pool import SessionPool
from autograder.judge.session import Session
from autograder.results import CheckResult
from autograder.sandbox import Limits, detect_isolation

PLUGIN_NAME = "autograder-grading"
# a function that is not written, or not there as the exercise specifies: the check's failure shows no output
STRUCTURAL_PROBLEMS = {Failure.NOT_IMPLEMENTED, Failure.MISSING, Failure.MISSING_FILE, Failure.SIGNATURE,
                       Failure.IMPORT_ERROR}
OUTPUT_LINES = 20      # a failed check shows the last lines the student's code printed ...
OUTPUT_LINE_CHARS = 200  # ... each cut to this length


class CheckListener(Protocol):
    """Told about each check as it starts and as it finishes (live output)."""

    def started(self, exercise: Exercise, check: Check) -> None: ...

    def finished(self, result: CheckResult) -> None: ...


def output_tail(outputs: list[str]) -> str:
    """The last OUTPUT_LINES lines of what the code printed, long lines cut."""
    lines = "".join(o if o.endswith("\n") else o + "\n" for o in outputs).rstrip().splitlines()
    tail = [line if len(line) <= OUTPUT_LINE_CHARS else line[:OUTPUT_LINE_CHARS] + " …"
            for line in lines[-OUTPUT_LINES:]]
    if len(lines) > OUTPUT_LINES:
        tail.insert(0, f"… ({len(lines) - OUTPUT_LINES} earlier lines not shown)")
    return "\n".join(tail)


@dataclass
class GradingRun:
    """What one grading run is: the course, the folders graded and compared with, its options and sandboxes."""

    course: Course
    submission: Path | None            # None: the folder above each test file's exercise folder
    reference: Path | None             # the reference solutions folder, when the grader has it
    options: GradeOptions
    pool: SessionPool                  # closed by its maker: the Grader, or the plugin of a plain `pytest` run
    memo: dict[str, Any] = field(default_factory=dict)  # the reference's observations, by exact request
    listener: CheckListener | None = None


def resolve_device(requested: str, info: dict[str, Any]) -> str:
    """`auto` → cuda, then mps, then cpu, from what the sandboxed torch reports."""
    if requested != "auto":
        return requested
    return "cuda" if info.get("cuda") else "mps" if info.get("mps") else "cpu"


class GradingPlugin:
    """Fixtures for checks and a verdict per check, keyed by pytest node id."""

    def __init__(self, run: GradingRun | None = None, *, device: str = "auto") -> None:
        self._run = run
        self._owns_pool = run is None  # configured from a plain `pytest` run: its sandbox is closed at the end
        self._default_device = device
        self.results: dict[str, CheckResult] = {}
        self.device: str | None = None
        self.torch_version = ""
        self.timing: dict[str, float] = {}
        self.curves: dict[str, dict[str, list[float]]] = {}
        self.probe_log: list[dict[str, Any]] = []
        self._handles: dict[str, list[ExerciseHandle]] = {}
        self._budgets: dict[tuple[Path, str], ExerciseBudget] = {}

    @property
    def run(self) -> GradingRun:
        assert self._run is not None, "GradingPlugin used before it knew its course"
        return self._run

    def _ensure_run(self, test_path: Path) -> None:
        """For plain `pytest` runs: find course.yml above the test file."""
        if self._run is None:
            from autograder.course import find_course_root, load_course

            root = find_course_root(test_path.parent)
            course = load_course(root / "course.yml")
            first = course.exercise(test_path.parent.name)
            order = [first, *(e for e in course.exercises if e.id != first.id)]
            pool = SessionPool(detect_isolation(), Limits())
            pool.plan(test_path.parent.parent, planning.plan(root, order))
            self._run = GradingRun(course=course, submission=None, reference=None,
                                   options=GradeOptions(device=self._default_device), pool=pool)

    def submission_for(self, test_path: Path) -> Path:
        return self.run.submission or test_path.parent.parent

    def _exercise(self, test_path: Path) -> Exercise:
        self._ensure_run(test_path)
        return self.run.course.exercise(test_path.parent.name)

    def _device(self, session: Session) -> str:
        if self.device is None:
            info = session.ready()
            self.torch_version = info.get("torch", "")
            self.device = resolve_device(self.run.options.device, info)
        return self.device

    def _handle(self, request: pytest.FixtureRequest, folder: Path, label: str,
                memo: dict[str, Any] | None = None) -> ExerciseHandle:
        exercise = self._exercise(request.path)
        session = self.run.pool.get(folder)
        override = self.run.options.timeout
        budget = None
        if label == "student":
            budget = self._budgets.setdefault((folder.resolve(), exercise.id),
                                              ExerciseBudget(limit=time_limit(exercise, override=override)))
        handle = ExerciseHandle(session, exercise, (request.path.parent / PROBE_FILE).resolve(),
                                self._device(session), label=label, memo=memo,
                                timing=self.timing, timeout=override, log=self.probe_log,
                                curves=self.curves, budget=budget)
        self._handles.setdefault(request.node.nodeid, []).append(handle)
        return handle

    def tampered(self, exercise_id: str) -> str | None:
        """Why the submission's exercise scores 0 (its code modified the grader's instruments), or None."""
        return next((b.tampered for (_, e), b in self._budgets.items() if e == exercise_id and b.tampered), None)

    @pytest.fixture
    def exercise(self, request: pytest.FixtureRequest) -> Exercise:
        """The course.yml entry of the test's exercise."""
        return self._exercise(request.path)

    @pytest.fixture
    def student(self, request: pytest.FixtureRequest) -> ExerciseHandle:
        """The submission's code for this exercise, run in the sandbox."""
        self._ensure_run(request.path)
        return self._handle(request, self.submission_for(request.path), "student")

    @pytest.fixture
    def reference(self, request: pytest.FixtureRequest) -> ExerciseHandle:
        """The reference solution for this exercise (instructor grading only)."""
        self._ensure_run(request.path)
        if self.run.reference is None:
            pytest.skip("this check compares with the reference solution, which only the instructor's grader has")
        return self._handle(request, self.run.reference, "reference", memo=self.run.memo)

    def _check_of(self, item: pytest.Item) -> tuple[Exercise, Check] | None:
        try:
            exercise = self._exercise(item.path)
        except (KeyError, FileNotFoundError):
            return None
        check_id = getattr(item, "originalname", item.name).removeprefix("test_")
        check = next((c for c in exercise.checks if c.id == check_id), None)
        return None if check is None else (exercise, check)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if self._run is not None and self._run.listener is not None:
            found = self._check_of(item)
            if found is not None:
                self._run.listener.started(*found)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
        outcome = yield
        report = outcome.get_result()
        if report.when == "call" or (report.when == "setup" and not report.passed):
            result = self._verdict(item, call, report)
            if result is not None:
                self.results[item.nodeid] = result
                if result.status in ("failed", "error"):
                    printed = f"\nyour code printed (the end):\n{result.output}" if result.output else ""
                    report.longrepr = result.message + printed
                if self.run.listener is not None:
                    self.run.listener.finished(result)

    def _verdict(self, item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> CheckResult | None:
        found = self._check_of(item)
        if found is None:
            return None
        exercise, check = found
        status, message = "passed", ""
        if report.skipped:
            status, message = "skipped", str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
        elif call.excinfo is not None:
            exc = call.excinfo.value
            if isinstance(exc, (CheckFailed, StudentProblem)):
                status, message = "failed", str(exc)
            elif isinstance(exc, GraderError):
                status, message = "error", f"grader error: {exc}"
            elif isinstance(exc, AssertionError):
                status, message = "failed", str(exc) or "assertion failed"
            else:
                status, message = "error", f"grader error in this check: {type(exc).__name__}: {exc}"
        handles = [h for h in self._handles.get(item.nodeid, []) if h.label == "student"]
        problem = call.excinfo.value if call.excinfo and isinstance(call.excinfo.value, StudentProblem) else None
        structural = problem is not None and problem.kind in STRUCTURAL_PROBLEMS
        failed = status == "failed" and not structural
        return CheckResult(exercise=exercise.id, check=check.id, title=check.title, max_points=check.points,
                           status=status, message=message, visibility=check.visibility, hint=check.hint,
                           duration=report.duration,
                           output=output_tail([o for h in handles for o in h.outputs]) if failed else "",
                           seeds=sorted({s for h in handles for s in h.seeds}) if failed else [],
                           unwritten=[problem.function] if problem is not None and problem.function else [])

    def pytest_sessionfinish(self) -> None:
        if self._owns_pool and self._run is not None:
            self._run.pool.close()


# --- plain `pytest exercises/...` runs by students -------------------------------------------------------
# Not a pytest11 entry point (that would add these fixtures and options to every pytest run in the
# environment): the generated exercises/conftest.py imports these two hooks, so they act below exercises/ only.

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("autograder")
    group.addoption("--autograder-device", dest="autograder_device", default="auto",
                    help="the device the checks give your code: cpu, cuda, mps or auto")


def pytest_configure(config: pytest.Config) -> None:
    """Register a self-configuring GradingPlugin unless the grader registered its own."""
    if not any(isinstance(p, GradingPlugin) for p in config.pluginmanager.get_plugins()):
        device = config.getoption("autograder_device", default="auto")
        config.pluginmanager.register(GradingPlugin(device=device), PLUGIN_NAME)
