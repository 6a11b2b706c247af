"""Gradescope's autograder package (run end to end on a fake /autograder) and the CI workflow template."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from autograder.cli import main
from autograder.course import load_course

CLI = [sys.executable, "-m", "autograder"]
KIT = ("autograder/cli.py", "solutions/07_iris/test_iris.py", "course.yml", "pyproject.toml", "constraints.txt",
       "README.md", "autograder/reports/templates/report.html.j2")


def build_zip(course_root: Path, out: Path) -> zipfile.ZipFile:
    done = subprocess.run([*CLI, "gradescope", "build", str(out)], cwd=course_root, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return zipfile.ZipFile(out)


def test_gradescope_zip_holds_the_scripts_and_the_kit(course_root: Path, tmp_path: Path) -> None:
    with build_zip(course_root, tmp_path / "autograder.zip") as archive:
        names = set(archive.namelist())
        assert {"setup.sh", "run_autograder", *KIT} <= names
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        for script in ("setup.sh", "run_autograder"):
            assert archive.getinfo(script).external_attr >> 16 & 0o111, f"{script} is executable"
            archive.extract(script, tmp_path)
            assert subprocess.run(["bash", "-n", str(tmp_path / script)]).returncode == 0


def test_run_autograder_reports_a_grader_that_cannot_run(tmp_path: Path) -> None:
    (tmp_path / "source").mkdir()
    script = Path(__file__).parents[1] / "autograder" / "integrations" / "templates" / "run_autograder"
    env = {**os.environ, "AUTOGRADER_ROOT": str(tmp_path), "AUTOGRADER_PYTHON": "false"}
    assert subprocess.run(["bash", str(script)], env=env, capture_output=True, timeout=60).returncode == 0
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert results["score"] == 0 and "could not run (exit status 1)" in results["output"]


@pytest.mark.slow
def test_run_autograder_grades_a_fake_autograder_folder(course_root: Path, tmp_path: Path) -> None:
    """Gradescope's layout under AUTOGRADER_ROOT: source/ (the zip), submission/, results/; the current venv
    stands in for the one setup.sh installs."""
    root = tmp_path / "autograder"
    with build_zip(course_root, tmp_path / "autograder.zip") as archive:
        archive.extractall(root / "source")
    exercises = ["01_numpy_regression", "04_data"]
    for exercise in exercises:
        shutil.copytree(course_root / "tests" / "submissions" / "sample" / exercise,
                        root / "submission" / "exercises" / exercise)  # uploaded as a repository with exercises/
    # a late submission: Gradescope's dates (30 h after the due date, 48 h late window), course.yml's penalty
    manifest = yaml.safe_load((root / "source" / "course.yml").read_text())
    manifest["deadline"] = {"due": "2026-01-01T00:00:00+00:00", "late_hours": 24,
                            "penalty": {"per": "day", "percent": 10, "cap": 50}}
    (root / "source" / "course.yml").write_text(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True))
    (root / "submission_metadata.json").write_text(json.dumps({
        "id": 1, "created_at": "2026-03-11T05:00:00.000000-07:00", "submission_method": "upload",
        "assignment": {"due_date": "2026-03-09T23:00:00.000000-07:00", "late_due_date": "2026-03-11T23:00:00-07:00",
                       "title": "PyTorch step by step"},
        "users": [{"email": "student@example.com", "id": 1234, "name": "Student User"}], "previous_submissions": []}))
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable,
           "AUTOGRADER_EXERCISES": " ".join(exercises)}
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    course = load_course(course_root / "course.yml")
    expected = {f"{e} › {c.title}": c.visibility for e in exercises for c in course.exercise(e).checks}
    assert {t["name"]: t["visibility"] for t in results["tests"]} == expected
    assert "hidden" in expected.values() and "visible" in expected.values()
    failed = {t["name"]: t["output"] for t in results["tests"] if t["status"] == "failed"}
    assert failed and all(name.startswith("04_data") for name in failed), "the sample's 01 is right, 04 is not"
    assert any("shuffle=False" in output for output in failed.values())
    raw = results["extra_data"]["late"]["raw_score"]
    assert 0 < raw < results["max_score"] == sum(c.points for e in exercises for c in course.exercise(e).checks)
    assert raw == sum(t["score"] for t in results["tests"])
    assert results["score"] == pytest.approx(0.8 * raw)       # 1 day 6 h late: two started days, 10 % each
    assert "1 day 6 h after 2026-03-09T23:00:00-07:00; -20 % of its points" in results["output"]


def _autograder_commands(workflow: dict) -> list[list[str]]:
    """Every `autograder ...` command line in the workflow's run steps."""
    commands = []
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            script = step.get("run", "").replace("\\\n", " ")
            commands += [shlex.split(line.split("|")[0].strip().removeprefix(".venv/bin/"))
                         for line in script.splitlines() if re.match(r"\s*(\.venv/bin/)?autograder ", line)]
    return commands


def test_ci_template_is_valid_and_runs_commands_that_exist(tmp_path: Path) -> None:
    runner = CliRunner()
    written = runner.invoke(main, ["ci-template", str(tmp_path / ".github" / "workflows" / "autograder.yml")])
    assert written.exit_code == 0, written.output
    text = (tmp_path / ".github" / "workflows" / "autograder.yml").read_text()
    assert runner.invoke(main, ["ci-template"]).output == text
    workflow = yaml.safe_load(text)
    assert set(workflow) >= {"name", "jobs"} and (True in workflow or "on" in workflow)  # YAML 1.1 reads `on` as True
    commands = _autograder_commands(workflow)
    assert [c[1] for c in commands] == ["check"], "it runs the visible checks only"
    assert text.startswith("# PRACTICE GRADE ONLY") and "grade of record" in text
    assert "KIT_REPOSITORY" not in text and "solutions" not in text, "it never reaches for the instructor's kit"
    assert '"$GITHUB_STEP_SUMMARY"' in text, "the summary is published in the job summary"
    for command in commands:
        subcommand = [word for word in command[1:] if not word.startswith("-")][:1]
        shown = runner.invoke(main, [*subcommand, "--help"])
        assert shown.exit_code == 0, f"`autograder {' '.join(subcommand)}` does not exist"
        for option in (word.split("=")[0] for word in command if word.startswith("--")):
            assert option in shown.output, f"`autograder {' '.join(subcommand)}` has no {option}"


def test_run_autograder_refuses_to_grade_without_the_sandbox(course_root: Path, tmp_path: Path) -> None:
    """No bwrap on PATH and no isolation level chosen: `autograder grade` exits 3, and the student is told that the
    autograder could not run rather than given an unisolated grade."""
    (tmp_path / "source").symlink_to(course_root)
    shutil.copytree(course_root / "tests" / "submissions" / "sample" / "01_numpy_regression",
                    tmp_path / "submission" / "01_numpy_regression")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "mkdir").symlink_to(shutil.which("mkdir"))
    env = {key: value for key, value in os.environ.items() if key != "AUTOGRADER_ISOLATION"}
    env.update({"AUTOGRADER_ROOT": str(tmp_path), "AUTOGRADER_PYTHON": sys.executable, "PATH": str(tmp_path / "bin"),
                "AUTOGRADER_EXERCISES": "01_numpy_regression"})
    done = subprocess.run([shutil.which("bash"), str(course_root / "autograder/integrations/templates/run_autograder")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "a grade of record needs the bubblewrap sandbox" in done.stderr
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert results["score"] == 0 and "could not run (exit status 3)" in results["output"]

