"""Deadlines: course.yml's late policy, submission times, and the penalty grade-all, Gradescope and nbgrader apply."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from autograder.classroom.discover import student_id
from autograder.classroom.late import apply_charges, charges, late_fraction, read_extensions
from autograder.classroom.submitted import FROM_CSV, FROM_MTIME, FROM_NAME, submission_time
from autograder.course import load_course
from autograder.course.schema import Course, Deadline
from autograder.integrations.gradescope_late import gradescope_deadline

UTC = timezone.utc
DUE = datetime(2026, 3, 1, 23, 59, tzinfo=UTC)
POLICY = {"due": DUE.isoformat(), "late_hours": 72, "penalty": {"per": "day", "percent": 10, "cap": 25}}
EXERCISE = "05_training_loop"


def _course(root: Path, deadline: dict | None = None, exercise_deadline: dict | None = None) -> dict:
    data = yaml.safe_load((root / "course.yml").read_text())
    if deadline:
        data["deadline"] = deadline
    if exercise_deadline:
        next(e for e in data["exercises"] if e["id"] == EXERCISE)["deadline"] = exercise_deadline
    return data


def test_penalty_per_started_day_capped_and_zero_after_the_window() -> None:
    deadline = Deadline.model_validate(POLICY)
    assert late_fraction(deadline, 0) == 0
    assert late_fraction(deadline, 60) == pytest.approx(0.10)              # one minute: a started day
    assert late_fraction(deadline, 86400 + 1) == pytest.approx(0.20)
    assert late_fraction(deadline, 3 * 86400 - 1) == pytest.approx(0.25)   # 30 % capped at 25 %
    assert late_fraction(deadline, 3 * 86400 + 1) == 1.0                    # after the late window: not accepted
    hourly = Deadline.model_validate({**POLICY, "penalty": {"per": "hour", "percent": 2}})
    assert late_fraction(hourly, 2.5 * 3600) == pytest.approx(0.06)
    assert late_fraction(Deadline.model_validate({"due": DUE.isoformat()}), 1) == 1.0  # no window: on time only


def test_an_exercise_deadline_and_an_extension_come_before_the_course_deadline(course_root: Path,
                                                                                tmp_path: Path) -> None:
    course = Course.model_validate(_course(course_root, POLICY, {**POLICY, "due": "2026-03-05T23:59:00+00:00"}))
    submitted = DUE + timedelta(hours=30)
    found = {c.exercise: c for c in charges(course, {EXERCISE: 10.0, "07_iris": 8.0}, submitted)}
    assert set(found) == {"07_iris"} and found["07_iris"].points == pytest.approx(1.6)   # 2 started days: 20 %
    (tmp_path / "ext.csv").write_text("student_id,exercise,due\nann,,2026-03-04T00:00:00+00:00\n")
    extensions = read_extensions(tmp_path / "ext.csv")
    assert charges(course, {"07_iris": 8.0}, submitted, student="ann", extensions=extensions) == []
    assert charges(course, {"07_iris": 8.0}, submitted, student="ben", extensions=extensions)
    results = apply_charges({"score": 8.0, "max_score": 10, "output": "device: cpu", "tests": []},
                            list(found.values()), "the file name")
    assert results["score"] == pytest.approx(6.4) and results["extra_data"]["late"]["raw_score"] == 8.0
    assert "07_iris: 1 day 6 h after 2026-03-01T23:59:00+00:00; -20 % of its points: -1.6 points" in results["output"]


def test_submission_times_from_the_csv_the_file_name_then_the_modification_time(tmp_path: Path) -> None:
    blackboard = tmp_path / "Exercises_jdoe_attempt_2026-03-02-10-15-00"
    plain = tmp_path / "ann"
    for folder in (blackboard, plain):
        folder.mkdir()
        (folder / "x.py").write_text("")
    os.utime(plain / "x.py", (1e9, 1e9))
    assert student_id(blackboard.name) == "Exercises_jdoe"
    named = submission_time("Exercises_jdoe", blackboard, {}, "Europe/Berlin")
    assert (named.source, named.at) == (FROM_NAME, datetime(2026, 3, 2, 9, 15, tzinfo=UTC))
    assert submission_time("ann", plain, {}, "UTC").source == FROM_MTIME
    assert submission_time("ann", plain, {}, "UTC").at == datetime.fromtimestamp(1e9, UTC)
    assert submission_time("ann", plain, {"ann": DUE}, "UTC").source == FROM_CSV


def test_gradescope_dates_replace_the_course_deadline_and_keep_its_penalty(course_root: Path) -> None:
    course = Course.model_validate(_course(course_root, POLICY))
    metadata = {"created_at": "2026-03-10T12:00:00.000000-07:00",
                "assignment": {"due_date": "2026-03-09T23:00:00.000000-07:00",
                               "late_due_date": "2026-03-11T23:00:00.000000-07:00"},
                "users": [{"email": "s@example.com", "id": 1, "name": "S"}]}
    deadline = gradescope_deadline(metadata, course)
    assert deadline is not None and deadline.late_hours == 48 and deadline.penalty == course.deadline.penalty
    assert gradescope_deadline({"created_at": metadata["created_at"], "assignment": {}}, course) is None


def test_nbgrader_plugin_charges_the_notebooks_exercise_penalty(course_root: Path, tmp_path: Path) -> None:
    from nbgrader.preprocessors import AssignLatePenalties

    from autograder.notebook.late import CourseLatePenalty

    (tmp_path / "course.yml").write_text(yaml.safe_dump(_course(course_root, None, POLICY)))
    parent = AssignLatePenalties()
    parent.notebook_id = EXERCISE            # as AssignLatePenalties.preprocess sets it before asking the plugin
    plugin = CourseLatePenalty(course=str(tmp_path), parent=parent)
    assert plugin.late_submission_penalty("ann", 6.0, 2 * 86400 - 5) == pytest.approx(1.2)
    assert plugin.late_submission_penalty("ann", 6.0, 4 * 86400) == pytest.approx(6.0)
    parent.notebook_id = "07_iris"           # no deadline for it: no penalty
    assert plugin.late_submission_penalty("ann", 6.0, 4 * 86400) is None


def test_a_due_date_needs_its_time_zone(course_root: Path) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Course.model_validate(_course(course_root, {**POLICY, "due": "2026-03-01T23:59:00"}))
    with pytest.raises(ValidationError):
        Course.model_validate({**_course(course_root), "timezone": "Mars/Olympus"})


# --- a late class, graded end to end ----------------------------------------------------------------------------

def late_kit(course_root: Path, folder: Path) -> Path:
    """A kit with 05_training_loop only and a course deadline (POLICY)."""
    data = _course(course_root, POLICY)
    data["exercises"] = [e for e in data["exercises"] if e["id"] == EXERCISE]
    folder.mkdir(parents=True)
    (folder / "course.yml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    shutil.copytree(course_root / "solutions" / EXERCISE, folder / "solutions" / EXERCISE)
    return folder


@pytest.mark.slow
def test_grade_all_applies_the_deadline_to_each_submission_time(course_root: Path, tmp_path: Path) -> None:
    kit = late_kit(course_root, tmp_path / "kit")
    submissions = tmp_path / "submissions"
    late = (DUE + timedelta(hours=30)).isoformat()
    for name in ("ann", "ben", "Ex1_cy_attempt_2026-03-03-12-00-00", "dee"):
        shutil.copytree(course_root / "solutions" / EXERCISE, submissions / name / EXERCISE,
                        ignore=shutil.ignore_patterns("test_*", "probes.py", "__pycache__"))
    (tmp_path / "times.csv").write_text(f"student_id,submitted_at\nann,{late}\nben,{late}\n")
    (tmp_path / "ext.csv").write_text("student_id,exercise,due\nann,,2026-03-04T00:00:00+00:00\n")
    out = tmp_path / "graded"
    # one worker (its two sandboxes start once): grading on several is test_classroom's
    done = subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(submissions), "--out", str(out),
                           "--jobs", "1", "--course", str(kit), "--submitted-at", str(tmp_path / "times.csv"),
                           "--extensions", str(tmp_path / "ext.csv"), "--similarity"],
                          capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stdout + done.stderr
    # the four hand in the same code (the reference's): every pair flagged, next to the gradebook
    similar = list(csv.DictReader((out / "similarity" / "similarity.csv").open()))
    assert len(similar) == 6 and all(r["flagged"] == "yes" and float(r["score"]) == 1.0 for r in similar)
    assert "modification time" in done.stdout and "for: dee" in " ".join(done.stdout.split())
    rows = {r["student_id"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert list(next(iter(rows.values()))) == ["student_id", EXERCISE, "raw_total", "late_penalty", "total",
                                               "max_total", "submitted_at"]
    full = float(rows["ann"]["max_total"])
    expected = {"ann": 0.0, "ben": 0.2 * full, "Ex1_cy": 0.2 * full, "dee": full}   # dee: after the late window
    for student, penalty in expected.items():
        row = rows[student]
        assert float(row["raw_total"]) == full, student
        assert float(row["late_penalty"]) == pytest.approx(penalty), student
        assert float(row["total"]) == pytest.approx(full - penalty), student
    report = " ".join((out / "students" / "ben" / "report.txt").read_text().split())
    assert "Late submission (submission time from the submitted_at CSV)" in report
    assert "1 day 6 h after 2026-03-01T23:59:00+00:00; -20 % of its points" in report
    cy = json.loads((out / "students" / "Ex1_cy" / "results.json").read_text())
    assert "submission time from the file name" in cy["output"] and cy["extra_data"]["late"]["penalty"] > 0
    assert "not accepted after the late window" in (out / "students" / "dee" / "report.txt").read_text()
    assert "not accepted after the late window" in (out / "students" / "dee" / "report.html").read_text()
    # the late class into Canvas: final scores, and the student the roster does not know named
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,Student,ID,SIS User ID,SIS Login ID,Section\n"
                      "ann,\"Lee, Ann\",101,S1,alee,A\nben,\"Ng, Ben\",102,S2,bng,A\nEx1_cy,\"Cy, Cy\",103,S3,ccy,B\n")
    from click.testing import CliRunner

    from autograder.cli import main

    result = CliRunner().invoke(main, ["export", "canvas", str(out), "--roster", str(roster), "--out",
                                       str(tmp_path / "canvas.csv")])
    assert result.exit_code == 0 and "graded but not on the roster (left out): dee" in result.output
    canvas = list(csv.reader((tmp_path / "canvas.csv").open()))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert [(r[0], float(r[5])) for r in canvas[2:]] == [("Cy, Cy", pytest.approx(0.8 * full)), ("Lee, Ann", full),
                                                          ("Ng, Ben", pytest.approx(0.8 * full))]

    # a check changed mid-term (made impossible to pass), then the class regraded
    tests = kit / "solutions" / EXERCISE / "test_loop.py"
    tests.write_text(tests.read_text().replace("l1 < 0.5 * l0", "l1 < 0.0 * l0"))
    again = subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(submissions), "--out", str(out),
                            "--jobs", "1", "--course", str(kit), "--submitted-at", str(tmp_path / "times.csv"),
                            "--extensions", str(tmp_path / "ext.csv"), "--regrade"],
                           capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert again.returncode == 0, again.stdout + again.stderr
    check = next(c for c in load_course(kit / "course.yml").exercise(EXERCISE).checks if c.id == "train_loop_learns")
    points = check.points
    regrade = {r["student_id"]: r for r in csv.DictReader((out / "regrade.csv").open())}
    assert set(regrade) == {"ann", "ben", "Ex1_cy", "dee"}
    assert float(regrade["ann"]["change"]) == pytest.approx(-points)
    assert float(regrade["ben"]["change"]) == pytest.approx(-0.8 * points)   # its late penalty shrinks with it
    assert float(regrade["dee"]["change"]) == 0                            # not accepted either way
    assert all(r["checks_changed"] == f"{EXERCISE} › {check.title}: passed → failed" for r in regrade.values())
    summary = (out / "regrade.txt").read_text()
    assert f"solutions/{EXERCISE}/test_loop.py: changed" in summary and "4 student(s) changed" in summary
    assert (out / "previous" / "gradebook.csv").read_text() != (out / "gradebook.csv").read_text()
