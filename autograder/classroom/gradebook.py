"""The gradebook: a CSV with one row per student, one column per exercise, and the total (points)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from autograder.classroom.store import write_atomic


def write_gradebook(path: Path, exercises: list[str], graded: dict[str, tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """Write `student_id,<exercise>...,raw_total,late_penalty,total,max_total,submitted_at` sorted by id.

    The exercise columns and raw_total are the points earned, total is after the late penalty (the id comes
    first, as LMS imports expect). `graded` maps student id → (manifest, results) as the store returns them.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student_id", *exercises, "raw_total", "late_penalty", "total", "max_total", "submitted_at"])
    for student in sorted(graded):
        manifest, results = graded[student]
        penalty = manifest.get("late_penalty", 0.0)
        writer.writerow([student, *(f"{manifest['exercises'].get(e, 0):g}" for e in exercises),
                         f"{results['score'] + penalty:g}", f"{penalty:g}", f"{results['score']:g}",
                         f"{results['max_score']:g}", manifest.get("submitted_at", "")])
    write_atomic(path, buffer.getvalue())
