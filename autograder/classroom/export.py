"""Grades in an LMS's own gradebook import format: Canvas's CSV, or Moodle's "Import grades from CSV".

The roster is the LMS's own gradebook export (or any CSV with its columns) plus a `student_id` column, the
student's folder name in the class. Canvas needs `Student, ID, SIS User ID, SIS Login ID, Section`, then one
column per assignment (its name, or "Name (assignment id)" for an existing one) and a "Points Possible" row;
Moodle needs one identifier column (email address, username or ID number) and one grade column per grade item.
Both read UTF-8 with a comma between fields; points are written as plain decimals (at most two places, never in
exponent form), as both LMSs' own exports write them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from autograder.classroom.store import Store

CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_IDENTIFIERS = ("Email address", "Username", "ID number", "User ID")


@dataclass
class Export:
    """The CSV text, and the students found on only one side."""

    text: str
    not_on_roster: list[str] = field(default_factory=list)   # graded, but the roster does not know them
    not_graded: list[str] = field(default_factory=list)      # on the roster, but no grading for them


@dataclass(frozen=True)
class Grades:
    """Final points (after late penalties) per student: the total, and per exercise."""

    totals: dict[str, float]
    exercises: dict[str, dict[str, float]]
    max_total: float
    max_exercises: dict[str, float]


def read_grades(graded: Path) -> Grades:
    """Every student graded into `graded` (a grade-all --out folder), with the late penalties taken off."""
    students = sorted(p.name for p in (graded / "students").iterdir() if p.is_dir()) \
        if (graded / "students").is_dir() else []
    stored = Store(graded).outcomes(students) if students else {}
    if not stored:
        raise ValueError(f"{graded} holds no graded students (run `autograder grade-all ... --out {graded}` first)")
    totals, exercises, max_total, max_exercises = {}, {}, 0.0, {}
    for student, (manifest, results) in stored.items():
        totals[student] = results["score"]
        late = manifest.get("late_exercises", {})
        exercises[student] = {e: round(p - late.get(e, 0.0), 6) for e, p in manifest["exercises"].items()}
        max_total = max(max_total, results["max_score"])
        max_exercises.update(manifest["max_exercises"])
    return Grades(totals, exercises, max_total, max_exercises)


def read_roster(path: Path, needed: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """student_id → the roster's row; ValueError naming the missing columns."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = [c for c in ("student_id", *needed) if c not in (reader.fieldnames or [])]
        if missing:
            columns = ", ".join(reader.fieldnames or [])
            raise ValueError(f"{path} has no column {', '.join(missing)} (its columns: {columns})")
        return {row["student_id"].strip(): row for row in reader
                if row["student_id"].strip() and row.get(needed[0], "") != "Points Possible"}


def _columns(grades: Grades, assignment: str, per_exercise: bool) -> list[tuple[str, str | None, float]]:
    """(header, exercise or None for the total, points possible)."""
    if per_exercise:
        return [(e, e, m) for e, m in sorted(grades.max_exercises.items())]
    return [(assignment, None, grades.max_total)]


def _number(points: float) -> str:
    """Points as a plain decimal with at most two places: 8, 7.5, 8.33 (never 1e-05 or 8.33333)."""
    text = f"{points:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _score(grades: Grades, student: str, exercise: str | None) -> str:
    return _number(grades.totals[student] if exercise is None else grades.exercises[student].get(exercise, 0.0))


def _write(header: list[str], rows: list[list[str]], grades: Grades, roster: dict[str, dict[str, str]]) -> Export:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Export(buffer.getvalue(), sorted(set(grades.totals) - set(roster)), sorted(set(roster) - set(grades.totals)))


def canvas_csv(grades: Grades, roster: dict[str, dict[str, str]], *, assignment: str,
               per_exercise: bool = False) -> Export:
    """Canvas's gradebook import CSV for the students on both sides."""
    columns = _columns(grades, assignment, per_exercise)
    rows = [["    Points Possible", "", "", "", "", *(_number(m) for _, _, m in columns)]]
    for student in sorted(set(grades.totals) & set(roster)):
        person = roster[student]
        rows.append([person[c] for c in CANVAS_IDENTITY] + [_score(grades, student, e) for _, e, _ in columns])
    return _write([*CANVAS_IDENTITY, *(h for h, _, _ in columns)], rows, grades, roster)


def moodle_csv(grades: Grades, roster: dict[str, dict[str, str]], *, identifier: str, assignment: str,
               per_exercise: bool = False) -> Export:
    """Moodle's grade import CSV: the identifier column, then the grade column(s)."""
    columns = _columns(grades, assignment, per_exercise)
    rows = [[roster[s][identifier], *(_score(grades, s, e) for _, e, _ in columns)]
            for s in sorted(set(grades.totals) & set(roster))]
    return _write([identifier, *(h for h, _, _ in columns)], rows, grades, roster)


def export_summary(export: Export) -> str:
    """One line per side: who is missing from it."""
    lines = []
    if export.not_on_roster:
        lines.append(f"graded but not on the roster (left out): {', '.join(export.not_on_roster)}")
    if export.not_graded:
        lines.append(f"on the roster but not graded (left out): {', '.join(export.not_graded)}")
    return "\n".join(lines)

