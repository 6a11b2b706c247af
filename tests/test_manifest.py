"""course.yml: loading, properties, and errors that name the right line and field."""

from pathlib import Path
from textwrap import dedent

import pytest

from autograder.course import ManifestError, find_course_root, load_course

FIXTURE = Path(__file__).parent / "fixtures" / "course"

# Line numbers below refer to this text (line 1 is "title: ...").
VALID = dedent(
    """\
    title: Test course
    exercises:
      - id: 01_numpy_regression
        title: Regression with numpy
        module: regression.py
        goals:
          - fit a line
        hints: []
        checks:
          - id: fits_line
            title: gradient descent fits the line
            points: 1
      - id: 02_autograd
        title: Autograd
        module: autograd_basics.py
        goals: [use autograd]
        timing:
          check: training_time
          max_ratio: 10
          n_epochs: 3000
        checks:
          - id: manual_step
            title: manual_step updates a and b
            points: 2
            visibility: visible
          - id: training_time
            title: training is not too slow
            points: 1
            visibility: hidden
    """
)


def problems_for(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "course.yml"
    path.write_text(text)
    with pytest.raises(ManifestError) as caught:
        load_course(path)
    return caught.value.problems


def edit(old: str, new: str) -> str:
    assert VALID.count(old) == 1, old
    return VALID.replace(old, new)


def test_valid_manifest_loads(tmp_path: Path) -> None:
    path = tmp_path / "course.yml"
    path.write_text(VALID)
    course = load_course(path)
    autograd = course.exercise("02_autograd")
    assert autograd.test_file == "test_autograd_basics.py"
    assert autograd.module_name == "autograd_basics"
    assert autograd.timeout == 60
    assert autograd.timing is not None and autograd.timing.check == "training_time"
    assert [check.hidden for check in autograd.checks] == [False, True]
    assert autograd.checks[0].test_name == "test_manual_step"
    assert autograd.max_points == 3
    assert course.max_points == 4


def test_fixture_course_loads() -> None:
    course = load_course(FIXTURE / "course.yml")
    assert [exercise.id for exercise in course.exercises] == ["01_basics", "02_closures"]
    assert course.exercise("02_closures").timeout == 10


def test_unknown_exercise_lists_the_ids(tmp_path: Path) -> None:
    path = tmp_path / "course.yml"
    path.write_text(VALID)
    with pytest.raises(KeyError, match="01_numpy_regression, 02_autograd"):
        load_course(path).exercise("03_modules")


def test_negative_points(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, edit("points: 2", "points: -2"))
    assert problems == [
        f"{tmp_path / 'course.yml'}:24: exercises[1] (02_autograd) → checks[0] → points: "
        "Input should be greater than or equal to 0"
    ]


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    where = f"{tmp_path / 'course.yml'}"
    problems = problems_for(tmp_path, edit("points: 1\n  - id", "pointz: 1\n  - id"))
    assert problems == [
        f"{where}:10: exercises[0] (01_numpy_regression) → checks[0] → points: required field is missing",
        f"{where}:12: exercises[0] (01_numpy_regression) → checks[0] → pointz: unknown field (did you mean 'points'?)",
    ]


def test_bad_visibility(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, edit("visibility: hidden", "visibility: secret"))
    assert any(
        ":29: exercises[1] (02_autograd) → checks[1] → visibility: Input should be 'visible'" in problem
        for problem in problems
    ), problems


def test_duplicate_check_id(tmp_path: Path) -> None:
    (problem,) = problems_for(tmp_path, edit("id: manual_step", "id: training_time"))
    assert ":26: exercises[1] (02_autograd) → checks[1] → id: duplicate check id 'training_time'" in problem


def test_timing_names_a_missing_check(tmp_path: Path) -> None:
    (problem,) = problems_for(tmp_path, edit("check: training_time", "check: trainig_time"))
    assert ":18: exercises[1] (02_autograd) → timing → check: 'trainig_time' is not a check" in problem


def test_yaml_syntax_error(tmp_path: Path) -> None:
    (problem,) = problems_for(tmp_path, edit("goals: [use autograd]", "goals: [use autograd"))
    assert problem.startswith(f"{tmp_path / 'course.yml'}:")
    assert "YAML syntax error" in problem
    line = int(problem.split(":")[1])
    assert 16 <= line <= 17  # the unclosed flow sequence, reported where PyYAML notices it


def test_missing_required_field(tmp_path: Path) -> None:
    (problem,) = problems_for(tmp_path, edit("    title: Autograd\n", ""))
    assert problem.endswith(":13: exercises[1] (02_autograd) → title: required field is missing")


def test_bad_exercise_id(tmp_path: Path) -> None:
    (problem,) = problems_for(tmp_path, edit("id: 02_autograd", "id: 2-Autograd"))
    assert ":13: exercises[1] (2-Autograd) → id: '2-Autograd' should look like NN_lowercase_words" in problem


def test_several_errors_are_all_listed_in_line_order(tmp_path: Path) -> None:
    text = edit("module: regression.py", "module: regression").replace("points: 2", "points: -2")
    problems = problems_for(tmp_path, text)
    assert [problem.split(":")[1] for problem in problems] == ["5", "24"]


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    (problem,) = problems_for(tmp_path, edit("    hints: []\n", "    hints: []\n    hints: [x]\n"))
    assert ":9: exercises[0] (01_numpy_regression) → hints: duplicate key (the first one, at line 8" in problem


def test_check_id_must_be_an_identifier(tmp_path: Path) -> None:
    (problem,) = problems_for(tmp_path, edit("id: fits_line", "id: fits-line"))
    assert ":10: exercises[0] (01_numpy_regression) → checks[0] → id: 'fits-line' is not a Python identifier" in problem


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="cannot read"):
        load_course(tmp_path / "course.yml")


def test_find_course_root() -> None:
    assert find_course_root(FIXTURE / "solutions" / "01_basics") == FIXTURE.resolve()
