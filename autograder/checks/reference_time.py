"""The reference solution's timed training runs, made in this grading process and reused while they are fresh.

A class-grading worker grades student after student in one process: timing the reference twice for every student
costs as much as timing the student. Instead each worker keeps its own recent runs of the reference (made in its own
reference sandbox, on the same cores and under the same number of busy workers as its students) and runs it again
whenever fewer than `FRESH` of them are younger than `MAX_AGE` seconds, so a change in the machine's load is followed
within minutes. The student is still timed on every grading, and compared with the fastest fresh reference run: both
are the fastest of at least two runs made on this worker under the run's load.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

MAX_AGE = 300.0   # seconds a reference run is trusted to stand for the machine's load
FRESH = 2         # at least this many fresh runs

_RUNS: dict[tuple[str, int], list[tuple[float, dict[str, Any]]]] = {}   # (exercise, epochs) → [(monotonic, run)]


def fresh_reference_runs(key: tuple[str, int], run: Callable[[int], dict[str, Any]], *, max_age: float = MAX_AGE,
                         fresh: int = FRESH, clock: Callable[[], float] = time.monotonic) -> list[dict[str, Any]]:
    """The fresh reference runs for `key` (at least `fresh`), calling `run(seed)` for the missing ones."""
    now = clock()
    kept = [(at, result) for at, result in _RUNS.get(key, []) if now - at <= max_age]
    while len(kept) < fresh:
        kept.append((clock(), run(len(kept) % 2)))
    _RUNS[key] = kept
    return [result for _, result in kept]
