"""The `autograder` command line: exit codes, results.json, JUnit and the student's check."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autograder.course import load_course

CLI = [sys.executable, "-m", "autograder"]


def run(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def test_usage_errors_exit_2_with_a_message(course_root: Path, tmp_path: Path) -> None:
    missing = run(["grade", str(tmp_path / "nope")], course_root)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    unknown = run(["grade", str(course_root / "exercises"), "--exercise", "99_nothing"], course_root)
    assert unknown.returncode == 2 and "no exercise '99_nothing'" in unknown.stderr
    outside = run(["grade", str(tmp_path)], tmp_path)
    assert outside.returncode == 2 and "course.yml" in outside.stderr


@pytest.mark.slow
def test_grade_writes_gradescope_and_junit_and_gates_on_score(course_root: Path, tmp_path: Path) -> None:
    results, junit = tmp_path / "results.json", tmp_path / "junit.xml"
    done = run(["grade", str(course_root / "exercises"), "--exercise", "07_iris", "--results", str(results),
                "--junit", str(junit), "--fail-under", "50"], course_root)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "below --fail-under" in done.stderr
    data = json.loads(results.read_text())
    assert data["score"] == 0 and data["max_score"] > 0 and data["execution_time"] > 0
    for test in data["tests"]:
        assert test["name"].startswith("07_iris › ")
        assert set(test) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert test["status"] == "failed" and "not implemented yet" in test["output"]
    hidden = [t for t in data["tests"] if t["visibility"] != "visible"]
    assert hidden, "hidden checks are graded and marked"
    suite = ET.parse(junit).getroot()
    assert int(suite.get("tests")) == len(data["tests"]) == int(suite.get("failures"))
    passing = run(["grade", str(course_root / "exercises"), "--exercise", "01_numpy_regression", "--quiet"],
                  course_root)
    assert passing.returncode == 0 and passing.stdout.startswith("0/")


@pytest.mark.slow
def test_student_check_fails_on_stubs_and_passes_when_done(course_root: Path, tmp_path: Path) -> None:
    course = load_course(course_root / "course.yml")
    kit = tmp_path / "kit"
    shutil.copytree(course_root / "exercises", kit / "exercises")
    shutil.copy(course_root / "course.yml", kit / "course.yml")
    stubs = run(["check", "07_iris"], kit)
    assert stubs.returncode == 1
    assert "still to write (raise NotImplementedError): load_iris_data" in stubs.stdout
    assert "0/1 exercises done" in stubs.stdout
    assert "Traceback" not in stubs.stdout + stubs.stderr
    hint = run(["check", "07_iris", "--hint"], kit)
    assert course.exercise("07_iris").hints[0][:40] in hint.stdout.replace("\n", " ")
    shutil.copy(course_root / "solutions" / "07_iris" / "iris.py", kit / "exercises" / "07_iris" / "iris.py")
    solved = run(["check", "07_iris"], kit)
    assert solved.returncode == 0, solved.stdout
    assert "1/1 exercises done" in solved.stdout
