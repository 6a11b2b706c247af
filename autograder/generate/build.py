"""Build the student files of each exercise from solutions/ and course.yml (in memory)."""

from __future__ import annotations

from pathlib import Path

from autograder.course import Course, Exercise
from autograder.contract.probe_files import PROBE_FILE

from .markers import GenerateError, hidden_test_functions, strip_hidden_tests, strip_solutions, test_functions
from .probe_lint import called_probes, keep_probes, lint
from .readme import render_readme

SOLUTIONS = "solutions"
# exercises/conftest.py: plain `pytest exercises/NN_topic` runs get the checks' fixtures (and only there)
CONFTEST = "conftest.py"
CONFTEST_TEXT = (
    '"""Lets `pytest exercises/NN_topic` run the checks: the autograder\'s pytest plugin, below this folder only."""\n'
    "\n"
    "from autograder.judge.plugin import pytest_addoption, pytest_configure  # noqa: F401\n"
)


def build_exercise(course_root: Path, exercise: Exercise) -> dict[str, str]:
    """The files of one exercise folder: path relative to that folder -> content.

    Raises GenerateError listing every problem (missing files, malformed markers,
    tests that disagree with course.yml), each as ``file:line: what``.
    """
    folder = Path(SOLUTIONS) / exercise.id
    module_label, tests_label = f"{folder / exercise.module}", f"{folder / exercise.test_file}"
    probes_label = f"{folder / PROBE_FILE}"
    module_text = _read(course_root, module_label)
    tests_text = _read(course_root, tests_label)
    probes_text = _read(course_root, probes_label) if (course_root / probes_label).is_file() else None
    problems = consistency_problems(exercise, tests_text, tests_label)
    problems += lint(tests_text, tests_label, probes_text, probes_label)
    if problems:
        raise GenerateError(problems)
    visible_tests = strip_hidden_tests(tests_text, tests_label)
    files = {
        exercise.module: strip_solutions(module_text, module_label),
        exercise.test_file: visible_tests,
        "README.md": render_readme(exercise),
    }
    if probes_text is not None:  # only the probes the visible checks call
        wanted = {call.name for call in called_probes(visible_tests, tests_label)}
        files[PROBE_FILE] = keep_probes(probes_text, probes_label, wanted)
    return files


def build_all(course_root: Path, course: Course) -> dict[str, str]:
    """The files of every exercise: path relative to exercises/ -> content; all problems raised together."""
    files: dict[str, str] = {CONFTEST: CONFTEST_TEXT}
    problems: list[str] = []
    for exercise in course.exercises:
        try:
            built = build_exercise(course_root, exercise)
        except GenerateError as error:
            problems += error.problems
            continue
        files.update({f"{exercise.id}/{name}": content for name, content in built.items()})
    if problems:
        raise GenerateError(problems)
    return files


def consistency_problems(exercise: Exercise, tests_text: str, tests_label: str) -> list[str]:
    """Disagreements between course.yml's checks and the test functions (and their hidden markers)."""
    functions = test_functions(tests_text, tests_label)
    hidden = hidden_test_functions(tests_text, tests_label)
    problems = []
    for check in exercise.checks:
        line = functions.get(check.test_name)
        if line is None:
            problems.append(
                f"{tests_label}: no function {check.test_name} for check '{check.id}' of {exercise.id} in course.yml"
            )
        elif check.hidden and check.test_name not in hidden:
            problems.append(
                f"{tests_label}:{line}: {check.test_name} has visibility '{check.visibility}' in course.yml"
                " but is not between '### BEGIN HIDDEN TESTS' and '### END HIDDEN TESTS'"
            )
        elif not check.hidden and check.test_name in hidden:
            problems.append(
                f"{tests_label}:{line}: {check.test_name} is between HIDDEN TESTS markers"
                " but its visibility in course.yml is 'visible'"
            )
    listed = {check.test_name for check in exercise.checks}
    for name, line in functions.items():
        if name not in listed:
            problems.append(
                f"{tests_label}:{line}: {name} is not a check of {exercise.id} in course.yml"
                " (add it, or rename the function)"
            )
    return problems


def _read(course_root: Path, label: str) -> str:
    try:
        return (course_root / label).read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise GenerateError([f"{label}: missing (course.yml lists it)"]) from None
