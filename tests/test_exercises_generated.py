"""What is committed under exercises/ is exactly what the generator makes from solutions/ and course.yml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from autograder.course import load_course
from autograder.generate import diff_exercises


def test_committed_exercises_match_the_generator(course_root: Path) -> None:
    course = load_course(course_root / "course.yml")
    differences = diff_exercises(course_root, course)
    assert not differences, "exercises/ is stale; run `autograder generate`:\n" + "\n".join(differences)


def test_every_exercise_of_the_course_is_generated(course_root: Path) -> None:
    course = load_course(course_root / "course.yml")
    for exercise in course.exercises:
        assert (course_root / "exercises" / exercise.id / exercise.module).is_file()
        assert (course_root / "exercises" / exercise.id / exercise.test_file).is_file()


def test_stubs_import_and_raise_not_implemented(course_root: Path) -> None:
    """Importing a stub never fails (checked in a fresh interpreter, one import of torch for all)."""
    course = load_course(course_root / "course.yml")
    paths = [str(course_root / "exercises" / e.id / e.module) for e in course.exercises]
    program = (
        "import importlib.util, sys\n"
        "for path in sys.argv[1:]:\n"
        "    spec = importlib.util.spec_from_file_location('stub', path)\n"
        "    spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "print('imported', len(sys.argv) - 1)\n"
    )
    out = subprocess.run([sys.executable, "-c", program, *paths], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"imported {len(paths)}" in out.stdout


def test_hidden_tests_are_not_in_exercises(course_root: Path) -> None:
    course = load_course(course_root / "course.yml")
    for exercise in course.exercises:
        text = (course_root / "exercises" / exercise.id / exercise.test_file).read_text()
        assert "HIDDEN TESTS" not in text
        for check in exercise.hidden_checks:
            assert f"def {check.test_name}(" not in text
        stub = (course_root / "exercises" / exercise.id / exercise.module).read_text()
        assert "BEGIN SOLUTION" not in stub
