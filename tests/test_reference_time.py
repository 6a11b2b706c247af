"""The reference's training time: measured in the grading process, reused while fresh, measured again when stale."""

from __future__ import annotations

from autograder.checks.reference_time import reference_seconds


def test_reference_time_is_reused_while_fresh_and_measured_again_when_stale() -> None:
    now, runs = [0.0], []

    def measure() -> float:
        runs.append(now[0])
        return 10.0 - len(runs)            # each run a little faster: the fastest fresh one is returned

    key = ("07_iris_test", 3000)
    assert reference_seconds(key, measure, clock=lambda: now[0]) == (8.0, 2)   # two runs to start with
    now[0] = 200.0
    assert reference_seconds(key, measure, clock=lambda: now[0]) == (8.0, 2) and len(runs) == 2   # still fresh
    now[0] = 400.0                                                              # both older than MAX_AGE
    assert reference_seconds(key, measure, clock=lambda: now[0]) == (6.0, 2) and runs[2:] == [400.0, 400.0]
