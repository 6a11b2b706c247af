"""The reference solution's training time, measured in this grading process and reused while it is fresh.

A class-grading worker grades student after student in one process: timing the reference twice for every student
costs as much as timing the student. Instead each worker keeps its own recent measurements of the reference (made in
its own reference sandbox, on the same cores and under the same number of busy workers as its students) and measures
again whenever fewer than `FRESH` of them are younger than `MAX_AGE` seconds, so a change in the machine's load is
followed within minutes. The student's time is still measured on every grading, and compared with the fastest fresh
reference time: both are the fastest of at least two runs made on this worker under the run's load.
"""

from __future__ import annotations

import time
from collections.abc import Callable

MAX_AGE = 300.0   # seconds a reference measurement is trusted to stand for the machine's load
FRESH = 2         # at least this many fresh measurements

_MEASURED: dict[tuple[str, int], list[tuple[float, float]]] = {}   # (exercise, epochs) → [(monotonic time, seconds)]


def reference_seconds(key: tuple[str, int], measure: Callable[[], float], *, max_age: float = MAX_AGE,
                      fresh: int = FRESH, clock: Callable[[], float] = time.monotonic) -> tuple[float, int]:
    """(the fastest fresh reference time for `key`, how many runs it was chosen from), measuring when needed."""
    now = clock()
    kept = [(at, seconds) for at, seconds in _MEASURED.get(key, []) if now - at <= max_age]
    while len(kept) < fresh:
        kept.append((clock(), measure()))
    _MEASURED[key] = kept
    return min(seconds for _, seconds in kept), len(kept)
