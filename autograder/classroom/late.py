"""Late submissions: what the course.yml deadlines charge a submission, the same for grade-all, Gradescope and nbgrader.

A submission after its deadline's `due` (or the student's extension) loses the penalty's percent of the points it
earned for each started day or hour, at most the cap; after the late window it is not accepted and scores 0.
An exercise's own deadline comes before the course's.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from autograder.course.schema import Course, Deadline

_UNIT_SECONDS = {"day": 86400.0, "hour": 3600.0}


@dataclass(frozen=True)
class Charge:
    """What lateness cost one exercise."""

    exercise: str
    late_by: timedelta
    due: datetime
    fraction: float          # of the points earned: 0 on time, 1 after the late window
    points: float            # deducted
    accepted: bool


def late_fraction(deadline: Deadline, seconds_late: float) -> float:
    """The share of its points a submission this many seconds late loses under `deadline`."""
    if seconds_late <= 0:
        return 0.0
    if seconds_late > deadline.late_hours * 3600:
        return 1.0
    if deadline.penalty is None:
        return 0.0
    penalty = deadline.penalty
    started = math.ceil(seconds_late / _UNIT_SECONDS[penalty.per])
    return min(penalty.cap, penalty.percent * started) / 100


def deadline_for(course: Course, exercise_id: str) -> Deadline | None:
    """The exercise's own deadline, else the course's, else None."""
    return course.exercise(exercise_id).deadline or course.deadline


def read_extensions(path: Path) -> dict[tuple[str, str], datetime]:
    """(student_id, exercise or "") → the student's own due date, from a CSV with `student_id,exercise,due`.

    `due` is an ISO date-time with its offset (2026-03-08T23:59:00+00:00); an empty exercise means every exercise.
    """
    extensions = {}
    with path.open(newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            try:
                due = datetime.fromisoformat(row["due"].strip())
                student = row["student_id"].strip()
            except (KeyError, AttributeError, ValueError) as exc:
                raise ValueError(f"{path}, line {line}: expected student_id,exercise,due with an ISO date-time "
                                 f"such as 2026-03-08T23:59:00+00:00 ({exc})") from None
            if due.tzinfo is None:
                raise ValueError(f"{path}, line {line}: the due date {row['due']!r} needs its offset, e.g. +00:00")
            extensions[(student, (row.get("exercise") or "").strip())] = due
    return extensions


def charges(course: Course, scores: dict[str, float], submitted_at: datetime, *, student: str = "",
            extensions: dict[tuple[str, str], datetime] | None = None,
            course_deadline: Deadline | None = None) -> list[Charge]:
    """What lateness costs each exercise in `scores` (exercise id → points earned) submitted at `submitted_at`.

    `course_deadline` replaces course.yml's whole-submission deadline (Gradescope's own dates do).
    """
    extensions = extensions or {}
    found = []
    for exercise_id, score in scores.items():
        deadline = course.exercise(exercise_id).deadline or course_deadline or course.deadline
        if deadline is None:
            continue
        due = extensions.get((student, exercise_id)) or extensions.get((student, "")) or deadline.due
        late_by = submitted_at - due
        fraction = late_fraction(deadline, late_by.total_seconds())
        if late_by.total_seconds() > 0:
            found.append(Charge(exercise_id, late_by, due, fraction, round(score * fraction, 6),
                                late_by.total_seconds() <= deadline.late_hours * 3600))
    return found


def describe(late_by: timedelta) -> str:
    """`2 days 3 h 5 min` (minutes dropped beyond a day)."""
    minutes = math.ceil(late_by.total_seconds() / 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes and not days else []
    return " ".join(parts) or "0 min"


def late_note(found: list[Charge], source: str) -> str:
    """The lines a student's report starts with: how late, and what it cost, per exercise."""
    if not found:
        return ""
    lines = [f"Late submission (submission time from {source}):"]
    for charge in found:
        cost = (f"not accepted after the late window: -{charge.points:g} points" if not charge.accepted
                else f"-{100 * charge.fraction:g} % of its points: -{charge.points:g} points")
        lines.append(f"  {charge.exercise}: {describe(charge.late_by)} after {charge.due.isoformat()}; {cost}")
    return "\n".join(lines)


def apply_charges(results: dict[str, Any], found: list[Charge], source: str) -> dict[str, Any]:
    """Gradescope results with the penalty taken off `score` and the late note at the top of `output`."""
    if not found:
        return results
    penalty = round(sum(c.points for c in found), 6)
    note = late_note(found, source)
    extra = {**results.get("extra_data", {}), "late": {"raw_score": results["score"], "penalty": penalty,
                                                       "late_seconds": max(c.late_by.total_seconds() for c in found)}}
    return {**results, "score": round(results["score"] - penalty, 6), "extra_data": extra,
            "output": f"{note}\nScore before the penalty: {results['score']:g}; after: "
                      f"{results['score'] - penalty:g}.\n\n{results.get('output', '')}"}
