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
    stubs = run(["check", "07_iris", "--hint"], kit)   # the checks' verdicts, then the first hint
    assert stubs.returncode == 1
    assert "still to write (raise NotImplementedError): load_iris_data" in stubs.stdout
    assert "0/1 exercises done" in stubs.stdout
    assert "Traceback" not in stubs.stdout + stubs.stderr
    assert course.exercise("07_iris").hints[0][:40] in stubs.stdout.replace("\n", " ")
    shutil.copy(course_root / "solutions" / "07_iris" / "iris.py", kit / "exercises" / "07_iris" / "iris.py")
    solved = run(["check", "07_iris"], kit)
    assert solved.returncode == 0, solved.stdout
    assert "1/1 exercises done" in solved.stdout


# --- no grade of record without the sandbox -------------------------------------------------------------------

@pytest.fixture
def no_bwrap(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process sees no usable bubblewrap, and no isolation level chosen in its environment."""
    from autograder.sandbox import detect

    monkeypatch.setattr(detect, "bwrap_problem", lambda: "the bwrap executable is not installed")
    monkeypatch.delenv(detect.ENV_VAR, raising=False)


def test_grade_and_grade_all_refuse_to_grade_unisolated_unless_told(no_bwrap: None, course_root: Path,
                                                                    tmp_path: Path) -> None:
    from click.testing import CliRunner

    from autograder.cli import main

    submission = course_root / "tests" / "submissions" / "sample"
    for args in (["grade", str(submission)], ["grade-all", str(submission), "--out", str(tmp_path / "out")]):
        refused = CliRunner().invoke(main, [*args, "--exercise", "01_numpy_regression", "--course", str(course_root)])
        assert refused.exit_code == 3, refused.output
        words = " ".join(refused.output.split())
        assert "a grade of record needs the bubblewrap sandbox" in words
        assert "apt-get install -y bubblewrap" in words and "pass --isolation process" in words
    assert not (tmp_path / "out" / "students").exists() or not any((tmp_path / "out" / "students").iterdir())


@pytest.mark.slow
def test_grade_with_isolation_process_says_so_in_results_json_and_check_falls_back(no_bwrap: None, course_root: Path,
                                                                                   tmp_path: Path) -> None:
    from click.testing import CliRunner

    from autograder.cli import main

    results = tmp_path / "results.json"
    done = CliRunner().invoke(main, ["grade", str(course_root / "tests" / "submissions" / "sample"), "--exercise",
                                     "01_numpy_regression", "--isolation", "process", "--results", str(results),
                                     "--quiet", "--course", str(course_root)])
    assert done.exit_code == 0, done.output
    extra = json.loads(results.read_text())["extra_data"]
    assert extra["isolation_level"] == "process" and "practice mode" in extra["isolation"]
    kit = tmp_path / "kit"
    shutil.copytree(course_root / "exercises" / "01_numpy_regression", kit / "exercises" / "01_numpy_regression")
    shutil.copy(course_root / "course.yml", kit / "course.yml")
    checked = CliRunner().invoke(main, ["check", "01_numpy_regression", "--course", str(kit)])
    assert checked.exit_code == 1, checked.output  # the stubs: checks ran, in practice mode, and it says so
    assert "practice mode: bubblewrap cannot be used here" in " ".join(checked.output.split())
