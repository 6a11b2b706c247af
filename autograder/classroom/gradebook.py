"""The gradebook: a CSV with one row per student, one column per exercise, and the total (points)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from autograder.classroom.store import write_atomic


def write_gradebook(path: Path, exercises: list[str], graded: dict[str, tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """Write `student_id,<exercise>...,total,max_total` (the id first, as LMS imports expect), sorted by id.

    `graded` maps student id → (manifest, results) as the store returns them.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student_id", *exercises, "total", "max_total"])
    for student in sorted(graded):
        manifest, results = graded[student]
        writer.writerow([student, *(f"{manifest['exercises'].get(e, 0):g}" for e in exercises),
                         f"{results['score']:g}", f"{results['max_score']:g}"])
    write_atomic(path, buffer.getvalue())
