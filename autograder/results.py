"""Results of grading: one CheckResult per check, grouped per exercise, in one GradeReport."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["passed", "failed", "error", "skipped"]


@dataclass
class CheckResult:
    """The verdict on one check."""

    exercise: str
    check: str
    title: str
    max_points: float
    status: Status
    message: str = ""
    visibility: str = "visible"
    hint: str | None = None
    duration: float = 0.0
    output: str = ""                                       # the end of what the student's code printed
    seeds: list[int] = field(default_factory=list)         # the seeds of its probes, for reruns
    unwritten: list[str] = field(default_factory=list)     # functions that still raise NotImplementedError

    @property
    def points(self) -> float:
        return self.max_points if self.status == "passed" else 0.0

    @property
    def name(self) -> str:
        """Report name, e.g. ``NN_topic › evaluate runs under no_grad``."""
        return f"{self.exercise} › {self.title}"


@dataclass
class ExerciseResult:
    """All checks of one exercise."""

    id: str
    title: str
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(c.points for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(c.max_points for c in self.checks)

    @property
    def done(self) -> bool:
        return bool(self.checks) and all(c.status == "passed" for c in self.checks)


@dataclass
class GradeReport:
    """The result of grading one submission."""

    submission: str
    exercises: list[ExerciseResult]
    device: str
    isolation: str                                 # the isolation level described in words, for people
    torch_version: str = ""
    isolation_level: str = ""                      # its name: "bwrap", "process" (practice mode) or "none" (not run)
    execution_time: float = 0.0
    timing: dict[str, float] = field(default_factory=dict)
    # loss histories per exercise, keyed "student.train", "reference.validation", ...: the HTML report plots them
    curves: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    probes: list[dict] = field(default_factory=list, repr=False)  # every probe request that ran, for benchmarks

    @property
    def score(self) -> float:
        return sum(e.score for e in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(e.max_score for e in self.exercises)

    @property
    def checks(self) -> list[CheckResult]:
        return [c for e in self.exercises for c in e.checks]
