"""The course as a real nbgrader course, end to end with nbgrader's own command line.

Release notebooks are checked for every exercise. Autograding uses 05_training_loop and 07_iris (the mistakes:
validation without no_grad, no zero_grad, no ReLU) from a copy of the kit without 07's 3000-epoch timing check,
the one check that would take minutes here.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from click.testing import CliRunner

from autograder.cli import main
from autograder.course import load_course
from autograder.generate.markers import SOLUTION, find_regions

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
GRADED = ("05_training_loop", "07_iris")
STUDENTS = ("ada", "bob", "cy")    # ada and cy: the reference solutions; bob: typical mistakes
PARALLEL = "05_training_loop"      # the assignment all three submit, autograded serially and then in parallel
MISTAKES = {                       # answer cell -> (the reference's text, bob's)
    "answer_validation": ("    with torch.no_grad():\n", "    if True:\n"),
    "answer_train_loop": ("            optimizer.zero_grad()\n", ""),
    "answer_IrisClassifier": ("x = F.relu(self.fc1(x))", "x = self.fc1(x)"),
}
BROKEN = {  # the checks bob's mistakes break, and nothing else
    "05_training_loop": {"validation_modes", "train_mode_every_epoch", "gradients_zeroed", "matches_reference"},
    "07_iris": {"classifier_structure"},
}


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def build(kit: Path, folder: Path) -> None:
    result = CliRunner().invoke(main, ["nbgrader", "build", str(folder), "--course", str(kit)])
    assert result.exit_code == 0, result.output


def reduced_kit(folder: Path) -> Path:
    """A kit with the two graded exercises, without 07's training_time check."""
    folder.mkdir(parents=True)
    data = yaml.safe_load((ROOT / "course.yml").read_text())
    data["exercises"] = [e for e in data["exercises"] if e["id"] in GRADED]
    iris = data["exercises"][1]
    del iris["timing"]
    iris["checks"] = [c for c in iris["checks"] if c["id"] != "training_time"]
    (folder / "course.yml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    for exercise in GRADED:
        shutil.copytree(ROOT / "solutions" / exercise, folder / "solutions" / exercise)
    tests = folder / "solutions" / "07_iris" / "test_iris.py"
    text = tests.read_text()
    node = next(n for n in ast.parse(text).body if getattr(n, "name", "") == "test_training_time")
    lines = text.splitlines(keepends=True)
    tests.write_text("".join(lines[: node.lineno - 1] + lines[node.end_lineno:]))
    return folder


def submission(course: Path, exercise: str, mistakes: bool) -> nbformat.NotebookNode:
    """The release notebook filled in with the source notebook's answers (and bob's mistakes)."""
    answers = {c.id: c.source for c in nbformat.read(course / "source" / exercise / f"{exercise}.ipynb", 4).cells}
    notebook = nbformat.read(course / "release" / exercise / f"{exercise}.ipynb", 4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[cell.id]
            if mistakes and cell.id in MISTAKES:
                before, after = MISTAKES[cell.id]
                assert before in cell.source
                cell.source = cell.source.replace(before, after)
    return notebook


def scores(course: Path, exercise: str) -> dict[str, dict[str, float]]:
    """{student: {grade_id: score}} from gradebook.db, for every student who submitted ``exercise``."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {s.student.id: {g.name: g.score for g in s.notebooks[0].grades}
                for s in gradebook.find_assignment(exercise).submissions}


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course folder: released, submitted by three students, autograded serially by nbgrader."""
    folder = tmp_path_factory.mktemp("nbgrader")
    kit = reduced_kit(folder / "kit")
    course = folder / "course"
    build(kit, course)
    for exercise in GRADED:
        nbgrader(course, "generate_assignment", exercise)
        students = STUDENTS if exercise == PARALLEL else STUDENTS[:2]
        for student in students:
            target = course / "submitted" / student / exercise / f"{exercise}.ipynb"
            target.parent.mkdir(parents=True)
            nbformat.write(submission(course, exercise, mistakes=student == "bob"), target)
        for student in students:
            nbgrader(course, "autograde", exercise, f"--student={student}")
    return course


def test_release_notebooks_hold_no_solutions_and_no_hidden_tests(tmp_path: Path) -> None:
    course = tmp_path / "course"
    build(ROOT, course)
    nbgrader(course, "generate_assignment", "*")
    for exercise in load_course(ROOT / "course.yml").exercises:
        notebook = nbformat.read(course / "release" / exercise.id / f"{exercise.id}.ipynb", 4)
        text = "\n".join(cell.source for cell in notebook.cells)
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
        assert 'raise NotImplementedError("not implemented yet")' in text
        lines = (ROOT / "solutions" / exercise.id / exercise.module).read_text().splitlines(keepends=True)
        stub = (ROOT / "exercises" / exercise.id / exercise.module).read_text()
        answers = {lines[i].strip() for region in find_regions(lines, SOLUTION, exercise.module)
                   for i in range(region.begin + 1, region.end)}
        leaked = [line for line in answers if len(line) > 8 and line not in stub and line in text]
        assert not leaked, (exercise.id, leaked)
        for check in exercise.checks:
            call = f'run_check("{exercise.id}", "{check.id}")'
            assert (call in text) != check.hidden and (check.title in text) != check.hidden, (exercise.id, check.id)


def test_reference_gets_full_marks_and_mistakes_lose_exactly_their_checks(course: Path) -> None:
    for exercise in GRADED:
        graded = scores(course, exercise)
        checks = load_course(course.parent / "kit" / "course.yml").exercise(exercise).checks
        full = {c.id: c.points for c in checks}
        assert all(graded[student] == full for student in graded if student != "bob")
        assert graded["bob"] == {c: 0.0 if c in BROKEN[exercise] else p for c, p in full.items()}


def test_autograded_notebooks_show_figures_and_write_nothing_to_stderr(course: Path) -> None:
    notebook = nbformat.read(course / "autograded" / "ada" / "07_iris" / "07_iris.ipynb", 4)
    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("name") == "stderr" or o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)


def test_feedback_shows_the_failed_checks_message(course: Path) -> None:
    nbgrader(course, "generate_feedback", "07_iris", "--student=bob")
    html = (course / "feedback" / "bob" / "07_iris" / "07_iris.html").read_text()
    assert "the ReLU between the layers is missing" in html
    assert "student.probe" not in html and "expect(" not in html


def test_parallel_autograde_gives_the_serial_scores(course: Path) -> None:
    serial = scores(course, PARALLEL)
    assert len(serial) == 3
    result = CliRunner().invoke(main, ["nbgrader", "autograde", PARALLEL, "--jobs", "3", "--force",
                                       "--course", str(course)])
    assert result.exit_code == 0, result.output
    assert all(re.search(rf"^{s}: ok", result.output, re.M) for s in STUDENTS), result.output
    assert scores(course, PARALLEL) == serial


def test_grading_a_filled_release_notebook_gives_nbgraders_scores(course: Path) -> None:
    notebook = course / "submitted" / "bob" / "07_iris" / "07_iris.ipynb"
    result = CliRunner().invoke(main, ["nbgrader", "grade", str(notebook), "--json",
                                       "--course", str(course.parent / "kit")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == scores(course, "07_iris")["bob"]


def test_build_refuses_a_course_folder_with_student_data(course: Path) -> None:
    result = CliRunner().invoke(main, ["nbgrader", "build", str(course), "--course", str(course.parent / "kit")])
    assert result.exit_code != 0 and "student data" in result.output
