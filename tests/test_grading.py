"""Grading behaviour of the engine: stubs, missing folders, syntax errors, wrong signatures."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.judge.grader import GradeOptions, Grader
from tests.conftest import reference_source

pytestmark = pytest.mark.slow
SLOW_CHECKS = ("training_time",)  # minutes of training: only the reference's full-marks test runs it


def test_stubs_score_zero_and_say_not_implemented(course_root: Path) -> None:
    report = Grader(course_root).grade(course_root / "exercises")
    assert report.score == 0
    assert report.max_score > 0
    for check in report.checks:
        assert check.status == "failed", (check.name, check.message)
        assert "not implemented yet" in check.message, (check.name, check.message)
        assert "Traceback" not in check.message


def test_missing_exercise_folders_score_zero_with_a_message(course_root: Path, make_submission) -> None:
    submission = make_submission({"07_iris": None})
    report = Grader(course_root).grade(submission, GradeOptions(skip=SLOW_CHECKS))
    by_id = {e.id: e for e in report.exercises}
    for exercise_id, result in by_id.items():
        if exercise_id == "07_iris":
            continue
        assert result.score == 0
        assert all("missing from the submission" in c.message for c in result.checks)
    iris = by_id["07_iris"].checks
    assert {c.status for c in iris if c.check not in SLOW_CHECKS} == {"passed"}, [(c.check, c.message) for c in iris]


def test_syntax_error_is_reported_with_file_and_line(course_root: Path, make_submission) -> None:
    source = reference_source("07_iris", "iris.py").replace("def accuracy(", "def accuracy(:", 1)
    submission = make_submission({"07_iris": source})
    report = Grader(course_root).grade(submission, GradeOptions(exercises=("07_iris",)))
    line = next(i for i, text in enumerate(source.splitlines(), 1) if "def accuracy(:" in text)
    assert report.score == 0
    for check in report.checks:
        assert "could not be imported" in check.message and "SyntaxError" in check.message
        assert f"iris.py line {line}" in check.message


def test_wrong_signature_names_the_function_and_the_call(course_root: Path, make_submission) -> None:
    source = reference_source("07_iris", "iris.py").replace(
        "def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor)", "def accuracy(model, data)", 1)
    submission = make_submission({"07_iris": source})
    report = Grader(course_root).grade(submission, GradeOptions(exercises=("07_iris",), skip=SLOW_CHECKS))
    accuracy = next(c for c in report.checks if c.check == "accuracy_value")
    assert accuracy.status == "failed"
    assert "accuracy(model, data)" in accuracy.message and "cannot be called" in accuracy.message
    evaluate = next(c for c in report.checks if c.check == "evaluate_no_grad_eval_mode")
    assert evaluate.status == "passed"


def test_reference_solutions_get_full_marks(course_root: Path) -> None:
    report = Grader(course_root).grade(course_root / "solutions")
    failed = [(c.name, c.message) for c in report.checks if c.status != "passed"]
    assert not failed
    assert report.score == report.max_score
    assert report.timing, "the training-time comparison ran"


def test_first_failure_stops_at_the_first_failed_check(course_root: Path) -> None:
    options = GradeOptions(exercises=("04_data",), first_failure=True)
    report = Grader(course_root).grade(course_root / "exercises", options)
    statuses = [c.status for c in report.checks]
    assert statuses[0] == "failed" and "not implemented yet" in report.checks[0].message
    assert len(statuses) > 1 and set(statuses[1:]) == {"skipped"}, statuses


def test_a_later_grading_in_the_same_process_uses_its_own_kits_checks(tmp_path: Path, course_root: Path) -> None:
    """pytest names a check module by its path under the rootdir: a kit copy's module (here without one check) must not
    be handed to the next grading with another kit (it was, and that grading's check 'did not run')."""
    import ast
    import shutil

    kit = tmp_path / "kit"
    shutil.copytree(course_root / "solutions" / "02_autograd", kit / "solutions" / "02_autograd")
    shutil.copy(course_root / "course.yml", kit / "course.yml")
    checks = kit / "solutions" / "02_autograd" / "test_autograd_basics.py"
    lines = checks.read_text().splitlines(keepends=True)
    first = next(n for n in ast.parse("".join(lines)).body if getattr(n, "name", "").startswith("test_"))
    del lines[first.lineno - 1:first.end_lineno]
    checks.write_text("".join(lines))
    copy = Grader(kit).grade(kit / "solutions", GradeOptions(exercises=("02_autograd",)))
    real = Grader(course_root).grade(course_root / "solutions", GradeOptions(exercises=("02_autograd",)))
    assert "error" in {c.status for c in copy.checks}
    assert {c.status for c in real.checks} == {"passed"}, [(c.check, c.message) for c in real.checks]
