"""What one grading runs: which exercises, whose tests, on which device, with which time limit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TestSource = Literal["solutions", "submission"]


@dataclass(frozen=True)
class GradeOptions:
    """One grading's choices.

    tests="solutions": the instructor's checks (visible and hidden) from solutions/, with the reference solution
    available to hidden checks; tests="submission": the visible tests found in the submission itself (a student's
    own exercises/ folder), without the reference. `timeout` (seconds) overrides every check's time limit. Checks
    whose id is in `skip` are not run and reported as skipped. first_failure=True stops at the first failed check
    (the rest are reported as skipped): enough to tell whether a submission passes everything.
    """

    exercises: tuple[str, ...] | None = None  # None: every exercise of the course
    tests: TestSource = "solutions"
    device: str = "auto"
    timeout: float | None = None
    skip: tuple[str, ...] = ()
    first_failure: bool = False
