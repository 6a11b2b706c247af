"""The student's loop in `autograder check`: text printed as written, progressive hints, live and collapsed
output, what the code printed on a failure, "done" only when no stub remains, and warm re-checks."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import hints_seen
from autograder.course import load_course
from autograder.generate.markers import strip_solutions
from autograder.judge.grader import GradeOptions, Grader
from autograder.judge.plugin import OUTPUT_LINES, output_tail
from autograder.reports.terminal import LiveCheck, make_console, print_grade, print_hints
from autograder.results import CheckResult, ExerciseResult, GradeReport

BRACKETS = "x[index], then x[idx[n_train:]] and y[idx[n_train:]], not [1, 2]"


def _course(course_root: Path):
    return load_course(course_root / "course.yml")


def _printed(course_root: Path, results: list[CheckResult], *, verbose: bool = False) -> str:
    """What LiveCheck prints for 07_iris when these results come in, piped."""
    course = _course(course_root)
    exercise = course.exercise("07_iris")
    out = io.StringIO()
    live = LiveCheck(make_console(out), [exercise], verbose=verbose)
    by_id = {c.id: c for c in exercise.checks}
    for result in results:
        live.started(exercise, by_id[result.check])
        live.finished(result)
    live.finish(GradeReport("sub", [ExerciseResult("07_iris", exercise.title, results)], "cpu", "process"))
    return out.getvalue()


def _result(check: str, status: str = "passed", **fields) -> CheckResult:
    return CheckResult("07_iris", check, f"title of {check}", 1, status, **fields)


def test_text_from_the_course_checks_and_student_output_prints_as_written(course_root: Path) -> None:
    failed = _result("classifier_structure", "failed", message=f"expected: {BRACKETS}", hint=f"hint {BRACKETS}",
                     output=f"print {BRACKETS}")
    printed = _printed(course_root, [failed])
    assert printed.count(BRACKETS) == 3, printed
    exercise = _course(course_root).exercise("07_iris").model_copy(update={"hints": [f"use {BRACKETS}"]})
    out = io.StringIO()
    print_hints(make_console(out), exercise, hints_seen.all_hints(exercise))
    assert f"use {BRACKETS}" in out.getvalue()
    out = io.StringIO()
    print_grade(GradeReport(f"sub[{BRACKETS}]", [ExerciseResult("07_iris", f"t {BRACKETS}", [failed])], "cpu", "p"),
                make_console(out))
    assert out.getvalue().count(BRACKETS) >= 4, out.getvalue()


def test_no_hard_wrap_when_piped(course_root: Path) -> None:
    long_message = "expected: " + " ".join(f"word{i}" for i in range(60))
    printed = _printed(course_root, [_result("classifier_structure", "failed", message=long_message)])
    assert long_message in printed, printed


def test_passed_checks_collapse_and_seeds_only_when_verbose(course_root: Path) -> None:
    results = [_result("load_iris_data_split"), _result("classifier_structure"),
               _result("accuracy_value", "failed", message="expected: 0.9\nobserved: 0.1", seeds=[3])]
    quiet = _printed(course_root, results)
    assert "✓ 2 checks passed" in quiet and "title of load_iris_data_split" not in quiet
    assert "title of accuracy_value" in quiet and "seed" not in quiet
    assert "✗ 07_iris: 2/" in quiet and "1/1 exercises done" not in quiet
    loud = _printed(course_root, results, verbose=True)
    assert "title of load_iris_data_split" in loud and "seed of this check: 3" in loud


def test_stubs_are_listed_once_and_the_exercise_is_not_done(course_root: Path) -> None:
    results = [_result("load_iris_data_split"),
               _result("time_training_returns", "failed", message="not implemented yet: `time_training` ...",
                       unwritten=["time_training"])]
    printed = _printed(course_root, results)
    assert "still to write (raise NotImplementedError): time_training" in printed
    assert "not implemented yet" not in printed and "0/1 exercises done" in printed


def test_a_done_exercise_says_what_hidden_checks_grade_later(course_root: Path) -> None:
    exercise = _course(course_root).exercise("07_iris")
    printed = _printed(course_root, [_result(c.id) for c in exercise.visible_checks])
    hidden = sum(c.points for c in exercise.hidden_checks)
    assert f"✓ 07_iris done: all {len(exercise.visible_checks)} visible checks pass" in printed
    assert f"{hidden:g} of its {exercise.max_points:g} points come from hidden checks" in printed


def test_output_tail_keeps_the_last_lines_and_cuts_long_ones() -> None:
    tail = output_tail(["\n".join(f"line {i}" for i in range(50)) + "\n", "x" * 1000])
    lines = tail.splitlines()
    assert lines[0] == f"… ({51 - OUTPUT_LINES} earlier lines not shown)" and len(lines) == OUTPUT_LINES + 1
    assert lines[-2] == "line 49" and lines[-1].endswith("…") and len(lines[-1]) < 300


def test_hints_are_shown_one_at_a_time_and_remembered(course_root: Path, tmp_path: Path) -> None:
    exercise = _course(course_root).exercise("07_iris")
    assert len(exercise.hints) >= 2
    shown = [hints_seen.next_hint(tmp_path, exercise) for _ in range(len(exercise.hints) + 1)]
    assert [s[0][0] for s in shown] == [*range(1, len(exercise.hints) + 1), len(exercise.hints)]
    assert shown[0][0][1] == exercise.hints[0]
    assert json.loads((tmp_path / hints_seen.STATE_FILE).read_text()) == {"07_iris": len(exercise.hints)}
    assert hints_seen.shown(tmp_path, _course(course_root).exercise("01_numpy_regression")) == 0
    assert [n for n, _ in hints_seen.all_hints(exercise)] == list(range(1, len(exercise.hints) + 1))
    (tmp_path / hints_seen.STATE_FILE).write_text("not json")
    assert hints_seen.next_hint(tmp_path, exercise)[0][0] == 1


def test_no_hint_is_the_solution_verbatim(course_root: Path) -> None:
    """A hint may show the shape of a line, never a whole line of the reference solution's code."""
    course = _course(course_root)
    for exercise in course.exercises:
        source = (course_root / "solutions" / exercise.id / exercise.module).read_text()
        code = {line.strip() for line in source.splitlines() if len(line.strip()) > 25
                and not line.strip().startswith(("#", '"', "def ", "class "))}
        for hint in exercise.hints:
            copied = [line for line in code if line in hint]
            assert not copied, f"{exercise.id}: a hint holds the solution's line {copied[0]!r}"


# --- through the grader ---------------------------------------------------------------------------------

def _kit(course_root: Path, tmp_path: Path) -> Path:
    kit = tmp_path / "kit"
    shutil.copytree(course_root / "exercises", kit / "exercises")
    shutil.copy(course_root / "course.yml", kit / "course.yml")
    return kit


def _unmarked(source: str) -> str:
    lines = source.splitlines(keepends=True)
    return "".join(line for line in lines if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def _solution(course_root: Path, exercise_id: str, module: str) -> str:
    return _unmarked((course_root / "solutions" / exercise_id / module).read_text())


@pytest.mark.slow
def test_not_done_while_a_stub_remains(course_root: Path, tmp_path: Path) -> None:
    kit = _kit(course_root, tmp_path)
    source = (course_root / "solutions" / "07_iris" / "iris.py").read_text()
    last = source.index("def time_training(")  # the module's last function: only its region stays marked
    assert "def " not in source[last + 1:].replace("    def ", "")
    stubbed = strip_solutions(_unmarked(source[:last]) + source[last:], "iris.py")
    (kit / "exercises" / "07_iris" / "iris.py").write_text(stubbed)
    with Grader(kit) as grader:
        report = grader.grade(kit / "exercises", GradeOptions(exercises=("07_iris",), tests="submission"))
    assert not report.exercises[0].done
    unwritten = [name for c in report.checks for name in c.unwritten]
    assert unwritten == ["time_training"], [(c.check, c.status, c.message) for c in report.checks]


@pytest.mark.slow
def test_failed_check_shows_what_the_code_printed_and_warm_rechecks_see_edits(course_root: Path,
                                                                             tmp_path: Path) -> None:
    kit = _kit(course_root, tmp_path)
    module = kit / "exercises" / "01_numpy_regression" / "regression.py"
    good = _solution(course_root, "01_numpy_regression", "regression.py")
    split = "idx[:n_train], idx[n_train:]"
    assert split in good
    chatty = "\n    for i in range(30):\n        print('debug line', i, '[n_train:]')\n"
    wrong = good.replace(split, "idx[:n_train], idx[n_train - 1:]" + chatty, 1)
    module.write_text(wrong)
    options = GradeOptions(exercises=("01_numpy_regression",), tests="submission")
    with Grader(kit, warm=True) as grader:
        first = grader.grade(kit / "exercises", options)
        failed = [c for c in first.checks if c.status == "failed"]
        assert [c.check for c in failed] == ["train_val_split_partition"], [(c.check, c.message) for c in failed]
        output = failed[0].output.splitlines()
        assert output[-1] == "debug line 29 [n_train:]" and len(output) == OUTPUT_LINES + 1, output
        server = next(iter(grader.sessions.values()))
        module.write_text("def broken(:\n")
        assert not grader.grade(kit / "exercises", options).exercises[0].done
        module.write_text(good)
        fixed = grader.grade(kit / "exercises", options)
        assert fixed.exercises[0].done, [(c.check, c.message) for c in fixed.checks]
        assert next(iter(grader.sessions.values())) is server and server.restarts == 0


@pytest.mark.slow
def test_check_prints_live_and_gives_the_next_hint(course_root: Path, tmp_path: Path) -> None:
    kit = _kit(course_root, tmp_path)
    course = _course(course_root)
    first_hint = course.exercise("01_numpy_regression").hints[0]
    args = [sys.executable, "-m", "autograder", "check", "01_numpy_regression"]
    one = subprocess.run([*args, "--hint"], cwd=kit, capture_output=True, text=True, timeout=600)
    assert one.returncode == 1 and "Traceback" not in one.stdout + one.stderr
    assert "still to write (raise NotImplementedError): generate_data" in one.stdout
    assert f"Hint 1 of 4 for 01_numpy_regression:\n  {first_hint}\n" in one.stdout
    two = subprocess.run([*args, "--hint"], cwd=kit, capture_output=True, text=True, timeout=600)
    assert "Hint 2 of 4" in two.stdout and first_hint not in two.stdout
    every = subprocess.run([*args, "--hint", "all"], cwd=kit, capture_output=True, text=True, timeout=600)
    assert all(f"Hint {n} of 4" in every.stdout for n in range(1, 5))


def test_instructor_reports_keep_seeds_and_printed_output(course_root: Path, tmp_path: Path) -> None:
    from autograder.reports.gradescope import to_gradescope
    from autograder.reports.html import write_html

    failed = _result("accuracy_value", "failed", message="expected: 0.9", seeds=[7], output="epoch 3 [debug]")
    report = GradeReport("sub", [ExerciseResult("07_iris", "Iris", [failed])], "cpu", "process")
    write_html(report, tmp_path / "r.html", _course(course_root))
    page = (tmp_path / "r.html").read_text()
    assert "seed: 7" in page and "epoch 3 [debug]" in page
    out = io.StringIO()
    print_grade(report, make_console(out))
    assert "seed of this check: 7" in out.getvalue() and "epoch 3 [debug]" in out.getvalue()
    assert "epoch 3 [debug]" in to_gradescope(report)["tests"][0]["output"]


def test_a_float_subclass_is_a_float() -> None:
    import numpy as np
    import torch

    from autograder.inside.observe.plain import float_list, number

    class Loss(float):
        pass

    assert number(Loss(0.5))["is_float"] and number(np.float64(0.5))["is_float"] and number(0.5)["is_float"]
    assert not number(torch.tensor(0.5))["is_float"] and not number(1)["is_float"]
    assert float_list([Loss(1.0), np.float64(2.0), 3.0])["ok"] and not float_list([torch.tensor(1.0)])["ok"]


def test_a_tensor_returned_for_a_float_is_named() -> None:
    from autograder.checks.training import number_fix, returned_number, why_loss_did_not_fall

    assert returned_number(None, "Tensor") == "a Tensor, not a Python number" and ".item()" in number_fix(None, "Tensor")
    assert returned_number(0.25, "float") == "0.25" and number_fix(0.25, "float") is None
    cause, fix = why_loss_did_not_fall({"grad": {"accumulated": 99, "backwards": 100}, "steps": {"n_optimizers": 1}},
                                       per="epoch")
    assert "99 of 100 backward passes" in cause and "optimizer.zero_grad() once per epoch" in fix
    cause, fix = why_loss_did_not_fall({"grad": {"accumulated": 0}, "steps": {"n_optimizers": 5}})
    assert "5 optimizers" in cause and "once, before the loop" in fix


def test_a_terminal_shows_the_running_check_and_its_seconds(course_root: Path) -> None:
    import time

    from rich.console import Console

    exercise = _course(course_root).exercise("07_iris")
    out = io.StringIO()
    live = LiveCheck(Console(file=out, force_terminal=True, width=200), [exercise])
    live.started(exercise, exercise.checks[0])
    time.sleep(1.3)
    live.finished(_result(exercise.checks[0].id))
    live.finish(GradeReport("sub", [ExerciseResult("07_iris", exercise.title, [])], "cpu", "process"))
    assert f"running: {exercise.checks[0].title}  1 s" in out.getvalue()


def test_piped_output_says_which_check_is_still_running(course_root: Path) -> None:
    import time

    exercise = _course(course_root).exercise("07_iris")
    out = io.StringIO()
    live = LiveCheck(make_console(out), [exercise])
    live.remind_every = 0.2
    live.started(exercise, exercise.checks[0])
    time.sleep(0.5)
    live.finished(_result(exercise.checks[0].id))
    reminders = out.getvalue().count(f"  … still running: {exercise.checks[0].title} (")
    time.sleep(0.5)
    assert reminders >= 1 and out.getvalue().count("still running") == reminders, out.getvalue()
