"""What a check's `student` and `reference` fixtures are: one exercise of one submission, probed remotely."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.checks.problems import StudentProblem, Unobserved, problem_from_response
from autograder.contract import codec
from autograder.contract.wire import Failure, Phase, Request, Response, Status
from autograder.course.schema import Exercise
from autograder.judge.errors import GraderError
from autograder.judge.probe_results import ResultTypeError, probe_file
from autograder.judge.session import Session


BUDGET_FACTOR = 3.0
_SHORTEST_LIMIT = 1.0


def time_limit(exercise: Exercise, *, override: float | None = None, probe: float | None = None) -> float:
    """Seconds a probe may run: the grading's override (GradeOptions.timeout), else the probe's own, else the
    exercise's (course.yml). Also an exercise's budget's unit (ExerciseBudget.limit), with no probe's own."""
    return override or probe or exercise.timeout


@dataclass
class ExerciseBudget:
    """One submission's wall time on one exercise, shared by the checks of that exercise.

    A hang costs one time limit per exercise: a function that timed out is not run again (later calls
    fail at once), and the exercise's probes together get two time limits plus BUDGET_FACTOR times the
    time its probes took when they succeeded: one hang takes one limit, the second is slack for the
    probes that follow it, and hangs in further functions share it. A correct submission never runs
    short. Time is the parent's own clock (a response's "elapsed"), never what the sandbox reports; a
    fork server that died or stopped answering while it ran a probe (the code stopped or killed it)
    counts as that probe's time-out, charged in full, and is counted in `deaths`. `tampered` is set
    once a probe found the grader's instruments changed.
    """

    limit: float
    ok_seconds: float = 0.0
    spent: float = 0.0
    timed_out: dict[str, float] = field(default_factory=dict)
    deaths: int = 0
    tampered: str | None = None

    def remaining(self) -> float:
        return 2 * self.limit + BUDGET_FACTOR * self.ok_seconds - self.spent

    def charge(self, response: Response) -> None:
        if response.get("phase") == Phase.IMPORT and response.get("status") != Status.OK:
            return  # the session answers later probes with this same failure, without running them
        seconds = float(response.get("elapsed") or 0.0)
        if response.get("died"):
            self.deaths += 1
            seconds = max(seconds, float(response.get("limit") or self.limit))
        self.spent += seconds
        if response.get("status") == Status.OK:
            self.ok_seconds += seconds
        elif response.get("status") == Status.TIMEOUT and response.get("calling"):
            for name in response.get("callers") or [response["calling"]]:  # the innermost one the module defines
                self.timed_out.setdefault(name, float(response["limit"]))

    def spent_message(self) -> str:
        """Why a probe of this exercise is not run: its budget is spent."""
        cause = ("an earlier check's code stopped or killed the grader's process that runs it" if self.deaths
                 else "an earlier check waited for code that never returned")
        return (f"skipped: this exercise's time budget (2 × {self.limit:.0f} s plus {BUDGET_FACTOR:g}× the time of "
                f"the checks that ran) is spent: {cause}")


class ExerciseHandle:
    """Runs probes of one exercise against one submission's sandboxed fork server."""

    def __init__(self, session: Session, exercise: Exercise, probes: Path, device: str, *, label: str,
                 memo: dict[str, Any] | None = None, timing: dict[str, float] | None = None,
                 timeout: float | None = None, log: list[dict[str, Any]] | None = None,
                 curves: dict[str, dict[str, list[float]]] | None = None,
                 budget: ExerciseBudget | None = None) -> None:
        self.session = session
        self.exercise = exercise
        self.probes = probes
        self.device = device
        self.label = label
        self.seeds: list[int] = []
        self.last_duration: float | None = None
        self.outputs: list[str] = []  # what the code printed in each probe, in order (shown when a check fails)
        self._memo = memo
        self._timeout = timeout
        self._log = log if log is not None else []
        self._timing = timing if timing is not None else {}
        self._curves = curves if curves is not None else {}
        self._budget = budget

    def probe(self, name: str, *, timeout: float | None = None, cache: bool = True, **kwargs: Any) -> Any:
        """Run probe `name` of the exercise's probe file in a fresh child and return its observations.

        Raises StudentProblem when the student's code could not be observed (not implemented,
        crashed, timed out, ...). The `device` argument is always passed to the probe.
        """
        kwargs = {"device": self.device, **kwargs}
        if "seed" in kwargs and kwargs["seed"] not in self.seeds:
            self.seeds.append(kwargs["seed"])
        limit = time_limit(self.exercise, override=self._timeout, probe=timeout)
        request: Request = {"probe": name, "probes": str(self.probes), "kwargs": kwargs,
                   "exercise": self.exercise.id, "module": self.exercise.module,
                   "timeout": limit, "seed": kwargs.get("seed", 0)}
        budget = self._budget
        if budget is not None:
            if budget.tampered:
                raise StudentProblem(Failure.TAMPERED, budget.tampered)
            if budget.timed_out:
                request["timed_out"] = dict(budget.timed_out)
            if budget.remaining() < _SHORTEST_LIMIT:
                raise StudentProblem(Unobserved.TIMEOUT, budget.spent_message())
            request["timeout"] = min(limit, budget.remaining())
        memo = self._memo if cache else None
        key = codec.encode(request).decode() if memo is not None else ""  # exact, arrays included
        if memo is not None and key in memo:
            return memo[key]
        response = self.session.run(request)
        self.last_duration = response.get("duration")
        if response.get("output"):
            self.outputs.append(response["output"])
        self._log.append({"who": self.label, "request": request, "duration": self.last_duration,
                          "elapsed": response.get("elapsed"), "status": response.get("status")})
        if budget is not None:
            budget.charge(response)
        if response.get("status") == Status.GRADER_ERROR:
            raise GraderError(response["message"])
        if response.get("status") == Status.OK:
            try:  # what the sandbox sends back is held to the probe's declared type here, where it cannot reach
                probe_file(self.probes).check(name, response["value"])
            except ResultTypeError as exc:
                raise GraderError(f"a result that does not match its declared type came back from the sandbox: "
                                  f"{exc}") from None
            if memo is not None:
                memo[key] = response["value"]
            return response["value"]
        problem = problem_from_response(response, memory_mb=self.session.limits.memory_mb)
        if self.label == "reference":
            raise GraderError(f"the reference solution failed probe {request['probe']}: {problem}")
        if budget is not None and problem.kind == Failure.TAMPERED:
            budget.tampered = f"{problem} (this exercise scores 0)"
            problem = StudentProblem(Failure.TAMPERED, budget.tampered)
        if problem.kind == Unobserved.TIMEOUT and request["timeout"] < limit:
            problem = StudentProblem(Unobserved.TIMEOUT,
                                     f"{problem} (all that was left of this exercise's time budget)")
        raise problem

    def report_timing(self, **figures: float) -> None:
        """Record training-time figures (ratio, seconds, ...) for the report."""
        self._timing.update({f"{self.exercise.id}.{k}": float(v) for k, v in figures.items()})

    def report_curve(self, name: str, values: list[float] | None) -> None:
        """Record a loss history (e.g. "train", "validation") for the report's plots; None or empty is ignored."""
        if values:
            self._curves.setdefault(self.exercise.id, {})[f"{self.label}.{name}"] = [float(v) for v in values]
