"""The generator, on the fake course in tests/fixtures/course (fast, no torch)."""

import ast
import importlib.util
import shutil
from pathlib import Path

import pytest

from autograder.course import Course, load_course
from autograder.generate import (
    GenerateError,
    build_all,
    build_exercise,
    diff_exercises,
    markers,
    strip_hidden_tests,
    strip_solutions,
    write_exercises,
)

FIXTURE = Path(__file__).parent / "fixtures" / "course"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A writable copy of the fake course."""
    shutil.copytree(FIXTURE, tmp_path / "course")
    return tmp_path / "course"


@pytest.fixture
def course(root: Path) -> Course:
    return load_course(root / "course.yml")


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def import_file(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- stubs -----------------------------------------------------------------------------


def test_stub_keeps_everything_outside_the_regions(root: Path, course: Course) -> None:
    solution = (root / "solutions/01_basics/basics.py").read_text()
    stub = build_exercise(root, course.exercise("01_basics"))["basics.py"]
    assert 'raise NotImplementedError("add: not implemented yet")' in stub
    assert 'raise NotImplementedError("Counter.step: not implemented yet")' in stub
    assert "return a + b" not in stub and "### " not in stub
    for kept in (
        "def add(a: float, b: float) -> float:",
        '"""Increment the count and return it."""',
        "# TODO: add the two numbers",
        "import math",
        "return math.fabs(self.count)",
    ):
        assert kept in stub
    # byte for byte: the stub is the banner naming its source, then the solution with each region collapsed to one line
    banner, *stub_lines = stub.splitlines()
    assert banner.startswith("# Generated from solutions/01_basics/basics.py by `autograder generate`"), banner
    solution_lines = solution.splitlines()
    assert [line for line in stub_lines if "NotImplementedError" not in line] == [
        line
        for line in solution_lines
        if line
        not in {
            "    ### BEGIN SOLUTION",
            "    return a + b",
            "    ### END SOLUTION",
            "        ### BEGIN SOLUTION",
            "        self.count += 1",
            "        return self.count",
            "        ### END SOLUTION",
        }
    ]


def test_stub_imports_and_raises_with_the_qualname(root: Path, course: Course, tmp_path: Path) -> None:
    files = build_all(root, course)
    (tmp_path / "basics_stub.py").write_text(files["01_basics/basics.py"])
    (tmp_path / "closures_stub.py").write_text(files["02_closures/closures.py"])
    basics = import_file(tmp_path / "basics_stub.py", "basics_stub")
    closures = import_file(tmp_path / "closures_stub.py", "closures_stub")
    with pytest.raises(NotImplementedError, match=r"^add: not implemented yet$"):
        basics.add(1, 2)
    with pytest.raises(NotImplementedError, match=r"^Counter\.step: "):
        basics.Counter().step()
    assert basics.Counter(-3).norm() == 3  # code outside regions still works
    with pytest.raises(NotImplementedError, match=r"^make_adder\.adder: "):
        closures.make_adder(1)(2)
    with pytest.raises(NotImplementedError, match=r"^slow: "):  # region inside a for loop
        closures.slow(3)


def test_stub_keeps_crlf_line_endings() -> None:
    text = "def f():\r\n    # TODO: do it\r\n    ### BEGIN SOLUTION\r\n    return 1\r\n    ### END SOLUTION\r\n"
    assert strip_solutions(text, "f.py") == (
        'def f():\r\n    # TODO: do it\r\n    raise NotImplementedError("f: not implemented yet")\r\n'
    )


# --- malformed markers -------------------------------------------------------------------

BODY = "def f():\n    x = 1\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "m.py:1: solution region is not inside a function body"),
        (
            "class C:\n    ### BEGIN SOLUTION\n    x = 1\n    ### END SOLUTION\n",
            "m.py:2: solution region is not inside a function body",
        ),
        (BODY + "    ### BEGIN SOLUTION\n    return x\n", "m.py:3: '### BEGIN SOLUTION' is never closed"),
        (BODY + "    return x\n    ### END SOLUTION\n", "m.py:4: '### END SOLUTION' without a matching"),
        (
            BODY + "    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n",
            "m.py:4: nested '### BEGIN SOLUTION' (the region opened at line 3",
        ),
        (
            BODY + "    ### BEGIN SOLUTION\n    return x\n### END SOLUTION\n",
            "m.py:5: '### END SOLUTION' is indented differently",
        ),
        (BODY + "    ## BEGIN SOLUTION\n    return x\n", "m.py:3: malformed marker '## BEGIN SOLUTION'"),
        (BODY + "    ### BEGIN HIDDEN TESTS\n", "m.py:3: '### BEGIN HIDDEN TESTS' does not belong in this file"),
        ("def f(:\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION\n", "m.py:1: the solution does not parse"),
    ],
)
def test_malformed_solution_markers(text: str, expected: str) -> None:
    with pytest.raises(GenerateError) as caught:
        strip_solutions(text, "m.py")
    assert str(caught.value).startswith(expected), str(caught.value)


def test_stub_must_parse() -> None:
    # the region is the whole body of an `if`: one raise at the BEGIN indentation is fine ...
    ok = "def f(x):\n    if x:\n        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION\n    return 0\n"
    ast.parse(strip_solutions(ok, "m.py"))
    # ... but a region that takes the `if` header away from its body leaves an unparsable stub
    bad = "def f(x):\n    ### BEGIN SOLUTION\n    if x:\n    ### END SOLUTION\n        return 1\n"
    ast.parse(bad)
    with pytest.raises(GenerateError, match=r"^m.py:3: the generated stub does not parse: unexpected indent"):
        strip_solutions(bad, "m.py")


def test_malformed_hidden_markers() -> None:
    with pytest.raises(GenerateError, match=r"^t.py:3: '### BEGIN HIDDEN TESTS' is never closed"):
        strip_hidden_tests("def test_a():\n    pass\n### BEGIN HIDDEN TESTS\n", "t.py")
    with pytest.raises(GenerateError, match=r"^t.py:1: '### BEGIN SOLUTION' does not belong"):
        strip_hidden_tests("### BEGIN SOLUTION\n", "t.py")


# --- hidden tests --------------------------------------------------------------------------


def test_hidden_tests_are_stripped(root: Path, course: Course) -> None:
    files = build_all(root, course)
    basics = files["01_basics/test_basics.py"]
    assert "HIDDEN" not in basics and "test_add_negative" not in basics
    assert "\n\n\n\n" not in basics
    assert basics == (
        "# Generated from solutions/01_basics/test_basics.py by `autograder generate`: edit there.\n"
        "from basics import Counter, add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\n"
        "def test_counter_step():\n    counter = Counter()\n    assert counter.step() == 1\n"
    )
    closures = files["02_closures/test_closures.py"]
    assert closures.endswith("assert make_adder(2)(3) == 5\n") and "test_speed" not in closures


def test_test_functions_and_hidden_ones() -> None:
    text = (FIXTURE / "solutions/01_basics/test_basics.py").read_text()
    assert markers.test_functions(text) == {"test_add": 4, "test_add_negative": 9, "test_counter_step": 14}
    assert markers.hidden_test_functions(text) == {"test_add_negative"}
    fixture = "import pytest\n\n@pytest.fixture\ndef test_data():\n    return 1\n\ndef testing():\n    pass\n"
    assert markers.test_functions(fixture) == {"testing": 7}  # what pytest collects, fixtures aside


# --- consistency with course.yml -------------------------------------------------------------


def test_consistency_errors(root: Path) -> None:
    tests = root / "solutions/01_basics/test_basics.py"
    replace_in(tests, "def test_counter_step():", "def test_counter_steps():")
    replace_in(
        root / "course.yml",
        "        points: 1.5\n        visibility: hidden",
        "        points: 1.5\n        visibility: visible",
    )
    replace_in(root / "course.yml", "visibility: after_due_date", "visibility: visible")
    course = load_course(root / "course.yml")
    with pytest.raises(GenerateError) as caught:
        build_all(root, course)
    assert caught.value.problems == [
        "solutions/01_basics/test_basics.py: no function test_counter_step for check 'counter_step' of 01_basics in course.yml",
        "solutions/01_basics/test_basics.py:9: test_add_negative is between HIDDEN TESTS markers but its visibility in course.yml is 'visible'",
        "solutions/01_basics/test_basics.py:14: test_counter_steps is not a check of 01_basics in course.yml (add it, or rename the function)",
        "solutions/02_closures/test_closures.py:9: test_speed is between HIDDEN TESTS markers but its visibility in course.yml is 'visible'",
    ]


def test_hidden_check_outside_markers(root: Path, course: Course) -> None:
    tests = root / "solutions/01_basics/test_basics.py"
    replace_in(tests, "### BEGIN HIDDEN TESTS\n", "")
    replace_in(tests, "### END HIDDEN TESTS\n", "")
    with pytest.raises(
        GenerateError,
        match=r"test_basics.py:8: test_add_negative has visibility 'hidden' in course.yml but is not between",
    ):
        build_exercise(root, course.exercise("01_basics"))


def test_missing_solution_file(root: Path, course: Course) -> None:
    (root / "solutions/02_closures/closures.py").unlink()
    with pytest.raises(GenerateError, match=r"^solutions/02_closures/closures.py: missing"):
        build_all(root, course)


# --- README ------------------------------------------------------------------------------------


def test_readme(root: Path, course: Course) -> None:
    readme = build_exercise(root, course.exercise("01_basics"))["README.md"]
    assert readme.startswith("<!-- Generated") and "# 01_basics: Functions and methods" in readme
    assert "- write a method" in readme and "Edit `basics.py`" in readme
    assert "autograder check 01_basics\n" in readme and "autograder check 01_basics --hint" in readme
    assert "- add adds two numbers (1 point)" in readme and "- Counter.step counts (2 points)" in readme
    assert "1 hidden check (1.5 points)" in readme and "negative" not in readme
    assert "Total: 4.5 points." in readme


# --- writing and diffing -------------------------------------------------------------------------


def test_write_then_diff_round_trip(root: Path, course: Course) -> None:
    assert "exercises/01_basics/basics.py: missing (the generator makes it)" in diff_exercises(root, course)
    (root / "exercises").mkdir()
    (root / "exercises/README.md").write_text("the course's own notes\n")
    written = write_exercises(root, course)
    assert len(written) == 7 and root / "exercises" / "conftest.py" in written  # 2 exercises x 3 files + conftest.py
    assert diff_exercises(root, course) == []
    assert write_exercises(root, course) == []  # nothing to do the second time

    stub = root / "exercises/01_basics/basics.py"
    replace_in(stub, '    raise NotImplementedError("add: not implemented yet")', "    return a + b")
    (root / "exercises/01_basics/notes.txt").write_text("old\n")
    (root / "exercises/01_basics/__pycache__").mkdir()
    (root / "exercises/01_basics/__pycache__/basics.cpython-311.pyc").write_bytes(b"\0")
    differences = diff_exercises(root, course)
    assert len(differences) == 2
    assert differences[0].startswith("exercises/01_basics/basics.py: differs from the generated file\n--- ")
    assert '-    return a + b\n+    raise NotImplementedError("add: not implemented yet")' in differences[0]
    assert differences[1] == "exercises/01_basics/notes.txt: not made by the generator (stale)"

    write_exercises(root, course)
    assert diff_exercises(root, course) == []
    assert not (root / "exercises/01_basics/notes.txt").exists()
    assert (root / "exercises/README.md").read_text() == "the course's own notes\n"


def test_write_to_another_folder_and_nothing_on_error(root: Path, course: Course, tmp_path: Path) -> None:
    write_exercises(root, course, out_dir=tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.py")) == [
        "01_basics/basics.py",
        "01_basics/test_basics.py",
        "02_closures/closures.py",
        "02_closures/test_closures.py",
        "conftest.py",
    ]
    (root / "solutions/02_closures/test_closures.py").write_text("def test_other():\n    pass\n")
    with pytest.raises(GenerateError):
        write_exercises(root, course)
    assert not (root / "exercises").exists()
