"""The reference's timed runs: made in the grading process, reused while fresh, made again when stale."""

from __future__ import annotations

from autograder.checks.reference_time import fresh_reference_runs


def test_reference_runs_are_reused_while_fresh_and_made_again_when_stale() -> None:
    now, made = [0.0], []

    def run(seed: int) -> dict:
        made.append((now[0], seed))
        return {"seconds": 10.0 - len(made)}

    key = ("07_iris_test", 3000)
    assert [r["seconds"] for r in fresh_reference_runs(key, run, clock=lambda: now[0])] == [9.0, 8.0]
    now[0] = 200.0
    assert [r["seconds"] for r in fresh_reference_runs(key, run, clock=lambda: now[0])] == [9.0, 8.0]
    assert made == [(0.0, 0), (0.0, 1)]                                  # still fresh: nothing run again
    now[0] = 400.0                                                       # both older than MAX_AGE
    assert [r["seconds"] for r in fresh_reference_runs(key, run, clock=lambda: now[0])] == [7.0, 6.0]
    assert made[2:] == [(400.0, 0), (400.0, 1)]
