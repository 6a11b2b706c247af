"""What a check's `student` and `reference` fixtures are: one exercise of one submission, probed remotely."""

from __future__ import annotations

import json
from typing import Any

from autograder.checks.problems import describe
from autograder.course.models import Exercise
from autograder.runner.session import GraderError, Session


class ExerciseHandle:
    """Runs probes of one exercise against one submission's sandboxed fork server."""

    def __init__(self, session: Session, exercise: Exercise, device: str, *, label: str,
                 memo: dict[str, Any] | None = None, timing: dict[str, float] | None = None,
                 timeout: float | None = None, log: list[dict[str, Any]] | None = None,
                 curves: dict[str, dict[str, list[float]]] | None = None) -> None:
        self.session = session
        self.exercise = exercise
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

    def probe(self, name: str, *, timeout: float | None = None, cache: bool = True, **kwargs: Any) -> Any:
        """Run probe `<module>.<name>` in a fresh child and return its observations.

        Raises StudentProblem when the student's code could not be observed (not implemented,
        crashed, timed out, ...). The `device` argument is always passed to the probe.
        """
        kwargs = {"device": self.device, **kwargs}
        if "seed" in kwargs and kwargs["seed"] not in self.seeds:
            self.seeds.append(kwargs["seed"])
        request = {"probe": f"{self.exercise.module_name}.{name}", "kwargs": kwargs,
                   "exercise": self.exercise.id, "module": self.exercise.module,
                   "timeout": self._timeout or timeout or self.exercise.timeout, "seed": kwargs.get("seed", 0)}
        key = json.dumps(request, sort_keys=True, default=str)
        if self._memo is not None and cache and key in self._memo:
            return self._memo[key]
        response = self.session.run(request)
        self.last_duration = response.get("duration")
        if response.get("output"):
            self.outputs.append(response["output"])
        self._log.append({"who": self.label, "request": request, "duration": self.last_duration})
        if response.get("status") == "ok":
            if self._memo is not None and cache:
                self._memo[key] = response["value"]
            return response["value"]
        problem = describe(response, memory_mb=self.session.limits.memory_mb)
        if self.label == "reference":
            raise GraderError(f"the reference solution failed probe {request['probe']}: {problem}")
        raise problem

    def report_timing(self, **figures: float) -> None:
        """Record training-time figures (ratio, seconds, ...) for the report."""
        self._timing.update({f"{self.exercise.id}.{k}": float(v) for k, v in figures.items()})

    def report_curve(self, name: str, values: list[float] | None) -> None:
        """Record a loss history (e.g. "train", "validation") for the report's plots; None or empty is ignored."""
        if values:
            self._curves.setdefault(self.exercise.id, {})[f"{self.label}.{name}"] = [float(v) for v in values]
