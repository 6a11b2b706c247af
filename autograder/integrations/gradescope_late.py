"""Deadlines on Gradescope: the submission time and due dates Gradescope writes to submission_metadata.json.

Gradescope's `due_date` (the student's own, with an extension, when the metadata has one) and `late_due_date`
replace course.yml's whole-submission deadline; its penalty, and exercises' own deadlines, come from course.yml.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from autograder.classroom.late import Charge, charges
from autograder.course.schema import Course, Deadline

SOURCE = "Gradescope's submission_metadata.json"


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def gradescope_deadline(metadata: dict[str, Any], course: Course) -> Deadline | None:
    """The whole-submission deadline from Gradescope's dates, with course.yml's penalty; None without a due date."""
    assignment = metadata.get("assignment") or {}
    users = metadata.get("users") or [{}]
    own = users[0].get("assignment") or {}
    due = _when(own.get("due_date")) or _when(assignment.get("due_date"))
    if due is None:
        return None
    late_due = _when(own.get("late_due_date")) or _when(assignment.get("late_due_date"))
    base = course.deadline
    late_hours = (late_due - due).total_seconds() / 3600 if late_due else (base.late_hours if base else 0.0)
    return Deadline(due=due, late_hours=max(late_hours, 0.0), penalty=base.penalty if base else None)


def metadata_charges(path: Path, course: Course, scores: dict[str, float]) -> list[Charge]:
    """What lateness costs each exercise of a submission Gradescope describes in `path`."""
    metadata = json.loads(path.read_text(encoding="utf-8"))
    submitted = _when(metadata.get("created_at"))
    if submitted is None:
        raise ValueError(f"{path} has no created_at (the submission time)")
    return charges(course, scores, submitted, course_deadline=gradescope_deadline(metadata, course))
