"""The course as a real nbgrader course, end to end with nbgrader's own command line.

Release notebooks are checked for every exercise. Autograding uses 05_training_loop and 07_iris (the mistakes:
validation without no_grad, no zero_grad) from a copy of the kit without 07's two slowest checks (the 3000-epoch
timing check takes minutes, the comparison with the reference's training seconds per student). 07_iris is also submitted by a corpus of hostile notebooks, each the honest mistake
(evaluate without no_grad) plus an attack on the grade, the kit or the gradebook; one `nbgrader autograde 07_iris`
grades them all.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
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
    "answer_evaluate": ("    with torch.no_grad():\n", "    if True:\n"),
}
BROKEN = {  # the checks bob's mistakes break, and nothing else
    "05_training_loop": {"validation_modes", "train_mode_every_epoch", "gradients_zeroed", "matches_reference"},
    "07_iris": {"evaluate_no_grad_eval_mode", "train_modes_every_epoch"},
}
LATE_POLICY = {"due": "2026-03-01T23:59:00+00:00", "late_hours": 72,
               "penalty": {"per": "day", "percent": 10, "cap": 50}}   # 05's deadline in the kit
LATE = ("cy", "2026-03-03 10:00:00.000000 UTC")   # cy submits 05 1 day 10 h late: two started days, 20 %
SECRET = "# SECRET-7f3a: only the instructor's kit holds this line"  # appended to 07's hidden checks and reference


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def build(kit: Path, folder: Path) -> None:
    result = CliRunner().invoke(main, ["nbgrader", "build", str(folder), "--course", str(kit)])
    assert result.exit_code == 0, result.output


LEFT_OUT = ("training_time", "train_matches_reference")  # 07's slowest checks: minutes, and seconds per student


def reduced_kit(folder: Path) -> Path:
    """A kit with the two graded exercises, without 07's slowest checks (LEFT_OUT)."""
    folder.mkdir(parents=True)
    data = yaml.safe_load((ROOT / "course.yml").read_text())
    data["exercises"] = [e for e in data["exercises"] if e["id"] in GRADED]
    data["exercises"][0]["deadline"] = LATE_POLICY
    iris = data["exercises"][1]
    del iris["timing"]
    iris["timeout"] = 15  # a notebook that never finishes importing costs one timeout (its checks take ~2 s each)
    iris["checks"] = [c for c in iris["checks"] if c["id"] not in LEFT_OUT]
    (folder / "course.yml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    for exercise in GRADED:
        shutil.copytree(ROOT / "solutions" / exercise, folder / "solutions" / exercise)
    tests = folder / "solutions" / "07_iris" / "test_iris.py"
    lines = tests.read_text().splitlines(keepends=True)
    for node in reversed([n for n in ast.parse("".join(lines)).body if getattr(n, "name", "")[5:] in LEFT_OUT]):
        del lines[node.lineno - 1 - len(node.decorator_list): node.end_lineno]
    tests.write_text("".join(lines))
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


def iris_checks(course: Path) -> list:
    return load_course(course.parent / "kit" / "course.yml").exercise("07_iris").checks


def scores(course: Path, exercise: str) -> dict[str, dict[str, float]]:
    """{student: {grade_id: score}} from gradebook.db, for every student who submitted ``exercise``."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {s.student.id: {g.name: g.score for g in s.notebooks[0].grades}
                for s in gradebook.find_assignment(exercise).submissions}


def submit(course: Path, exercise: str, student: str, notebook: nbformat.NotebookNode) -> None:
    target = course / "submitted" / student / exercise / f"{exercise}.ipynb"
    target.parent.mkdir(parents=True)
    nbformat.write(notebook, target)


def first_answer(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("solution"))


def cell(notebook: nbformat.NotebookNode, cell_id: str) -> nbformat.NotebookNode:
    return next(cell for cell in notebook.cells if cell.id == cell_id)


KERNEL_FORGERY = """\
# Forged: every check passes in the kernel that runs this notebook.
import builtins
import collections

try:
    from IPython import get_ipython
    shell = get_ipython()
except ImportError:
    shell = None


def forged_check(*args, **kwargs):
    print("passed")


try:
    import autograder.notebook as notebook_package
    from autograder.results import CheckResult
    from autograder.notebook import grading, runtime

    def forged_verdicts(*args, **kwargs):
        return collections.defaultdict(lambda: CheckResult("07_iris", "any", "any", 2.0, "passed"))

    class AllPassed(dict):
        def __contains__(self, key):
            return True

        def __getitem__(self, key):
            return forged_verdicts()

    runtime.run_check = notebook_package.run_check = forged_check
    grading.grade_module = forged_verdicts
    runtime._verdicts = AllPassed()
except ImportError:
    pass
if shell is not None:
    shell.user_ns["run_check"] = forged_check
    shell.input_transformers_post.append(lambda lines: ["pass\\n"] if any("run_check" in l for l in lines) else lines)
    shell.set_custom_exc((BaseException,), lambda *args, **kwargs: None)
builtins.AssertionError = type("AssertionError", (Exception,), {})
"""

KIT_FORGERY = """\
# Forged: read the hidden checks and the reference, rewrite them, and give everyone full marks in the gradebook.
import os
import pathlib
import sqlite3

roots = [pathlib.Path(value) for value in os.environ.values() if value.startswith("/")]
roots += [pathlib.Path({kit!r}), pathlib.Path.cwd(), *pathlib.Path.cwd().parents]
try:
    import autograder
    roots += list(pathlib.Path(autograder.__file__).resolve().parents)
except ImportError:
    pass
stolen = []
for root in roots:
    folder = root / "solutions" / "07_iris"
    for name in ("test_iris.py", "iris.py"):
        try:
            stolen.append((folder / name).read_text())
        except OSError:
            pass
    try:
        (folder / "planted_by_a_student.py").write_text("def test_nothing(): pass")
    except OSError:
        pass
try:
    with open(pathlib.Path({kit!r}) / "solutions" / "07_iris" / "test_iris.py", "w") as hidden_checks:
        hidden_checks.write("def test_everything_passes(): pass")
except OSError:
    pass
try:
    with sqlite3.connect({gradebook!r}) as gradebook:
        gradebook.execute("UPDATE grade SET auto_score = 2")
except sqlite3.Error:
    pass
print(stolen)
if stolen:
    raise RuntimeError("\\n".join(stolen))
"""


FRAME_FORGERY = """

_honest_evaluate = evaluate


def evaluate(model, x, y):
    # Forged: answer the grader's probe with a complete ok frame on every pipe this process may write to, then exit.
    import fcntl, json, os, struct

    loss = _honest_evaluate(model, x, y)
    value = {"got": loss, "got_type": "float", "want": loss, "bypassed": False, "training_after": False,
             "forwards": [{"training": False, "grad": False, "inference": False, "device": "cpu", "batch": len(x)}]}
    payload = json.dumps({"status": "ok", "value": value}).encode()
    for entry in os.listdir("/proc/self/fd"):
        try:
            fd = int(entry)
            if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
                os.write(fd, struct.pack(">I", len(payload)) + payload)
        except OSError:
            pass
    os._exit(0)
"""

MODE_LIE = """

_honest_evaluate = evaluate


def evaluate(model, x, y):
    # Lies about the mode: autograd is off when the grader's global pre-hook looks, on again for the forward pass.
    enable = torch.enable_grad()
    handle = model.register_forward_pre_hook(lambda module, args: enable.__enter__())
    torch.set_grad_enabled(False)
    try:
        return _honest_evaluate(model, x, y)
    finally:
        torch.set_grad_enabled(True)
        handle.remove()
"""


def frame_forger(notebook: nbformat.NotebookNode, kit: Path, course: Path) -> None:
    """Its evaluate writes a forged result frame in the server's framing and exits (issue 19, weakness 1)."""
    cell(notebook, "answer_evaluate").source += FRAME_FORGERY


def mode_liar(notebook: nbformat.NotebookNode, kit: Path, course: Path) -> None:
    """Its evaluate turns autograd back on from a pre-hook of the model's own (issue 19, weakness 2)."""
    cell(notebook, "answer_evaluate").source += MODE_LIE


def kernel_forger(notebook: nbformat.NotebookNode, kit: Path, course: Path) -> None:
    """Patches the grader's functions, globals and verdict cache, hooks IPython, replaces AssertionError."""
    first_answer(notebook).source = KERNEL_FORGERY + "\n\n" + first_answer(notebook).source


def cell_deleter(notebook: nbformat.NotebookNode, kit: Path, course: Path) -> None:
    """Deletes one failing test cell, rewrites the other keeping its nbgrader metadata."""
    notebook.cells.remove(cell(notebook, "evaluate_no_grad_eval_mode"))
    cell(notebook, "train_modes_every_epoch").source = 'print("passed")'


def cell_rewriter(notebook: nbformat.NotebookNode, kit: Path, course: Path) -> None:
    """Strips one failing test cell of its nbgrader metadata; makes the other an unlocked answer cell."""
    unmarked = cell(notebook, "evaluate_no_grad_eval_mode")
    del unmarked.metadata["nbgrader"]
    unmarked.source = 'print("passed")'
    answer = cell(notebook, "train_modes_every_epoch")
    answer.metadata.nbgrader.update(solution=True, locked=False)
    answer.source = "pass"


def kit_reader(notebook: nbformat.NotebookNode, kit: Path, course: Path) -> None:
    """Reads the kit from the environment, disk and autograder.__file__; writes into it and into the gradebook."""
    forgery = KIT_FORGERY.format(kit=str(kit), gradebook=str(course / "gradebook.db"))
    first_answer(notebook).source = forgery + "\n\n" + first_answer(notebook).source


def exiter(notebook: nbformat.NotebookNode, kit: Path, course: Path) -> None:
    """Ends the process that imports the answer cells."""
    first_answer(notebook).source = "import os\nos._exit(0)\n\n" + first_answer(notebook).source


def looper(notebook: nbformat.NotebookNode, kit: Path, course: Path) -> None:
    """Never finishes importing."""
    cell(notebook, "answer_evaluate").source = "while True:\n    pass\n\n" + cell(notebook, "answer_evaluate").source


FORGERS = {forger.__name__: forger for forger in (kernel_forger, cell_deleter, cell_rewriter, kit_reader, exiter,
                                                   looper, frame_forger, mode_liar)}


def digest(folder: Path) -> dict[str, str]:
    """{relative path: sha256} of every file under ``folder``."""
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file() and "__pycache__" not in path.parts}


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course folder: released, submitted, autograded by nbgrader (one run per assignment)."""
    folder = tmp_path_factory.mktemp("nbgrader")
    kit = reduced_kit(folder / "kit")
    course = folder / "course"
    build(kit, course)
    for name in ("iris.py", "test_iris.py"):  # what only the instructor's kit holds, to look for in feedback
        with (kit / "solutions" / "07_iris" / name).open("a") as file:
            file.write(f"\n{SECRET}\n")
    for exercise in GRADED:
        nbgrader(course, "generate_assignment", exercise)
        students = STUDENTS if exercise == PARALLEL else STUDENTS[:2]
        for student in students:
            submit(course, exercise, student, submission(course, exercise, mistakes=student == "bob"))
    nbgrader(course, "db", "assignment", "add", PARALLEL, "--duedate", "2026-03-01 23:59:00 UTC")
    (course / "submitted" / LATE[0] / PARALLEL / "timestamp.txt").write_text(LATE[1])
    nbgrader(course, "autograde", PARALLEL)  # one student after the other: the serial scores
    nbgrader(course, "autograde", "07_iris")
    return course


@pytest.fixture(scope="module")
def hostile(course: Path) -> dict:
    """The hostile corpus submitted for 07_iris and autograded in one run; what the kit and gradebook held before."""
    kit = course.parent / "kit"
    before = {"kit": digest(kit), "scores": scores(course, "07_iris")}
    for name, forger in FORGERS.items():
        notebook = submission(course, "07_iris", mistakes=True)
        forger(notebook, kit, course)
        submit(course, "07_iris", name, notebook)
    start = time.perf_counter()
    nbgrader(course, "autograde", "07_iris")  # grades the students not autograded yet: the forgers
    print(f"nbgrader autograde of {len(FORGERS)} hostile notebooks: {time.perf_counter() - start:.0f} s")
    return before


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
        assert all(graded[student] == full for student in STUDENTS if student in graded and student != "bob")
        assert graded["bob"] == {c: 0.0 if c in BROKEN[exercise] else p for c, p in full.items()}


def test_hostile_notebooks_score_no_more_than_the_honest_mistake(course: Path, hostile: dict) -> None:
    graded = scores(course, "07_iris")
    honest = graded["bob"]
    for student in ("ada", "bob", *FORGERS):
        print(f"{student:14} {sum(graded[student].values()):g}/{sum(c.points for c in iris_checks(course)):g}")
    for name in FORGERS:
        assert graded[name].keys() == honest.keys(), name
        assert all(graded[name][check] <= honest[check] for check in honest), (name, graded[name])


def test_hostile_notebooks_leave_the_kit_and_the_gradebook_intact(course: Path, hostile: dict) -> None:
    assert digest(course.parent / "kit") == hostile["kit"]
    assert not list(ROOT.rglob("planted_by_a_student.py"))
    status = subprocess.run(["git", "status", "--porcelain", "--", "solutions", "exercises", "course.yml"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    assert status.stdout == ""
    graded = scores(course, "07_iris")
    assert {student: graded[student] for student in hostile["scores"]} == hostile["scores"]


def test_autograded_notebooks_hold_only_the_engines_verdicts(course: Path) -> None:
    for student in STUDENTS[:2]:
        notebook = nbformat.read(course / "autograded" / student / "07_iris" / "07_iris.ipynb", 4)
        graded = scores(course, "07_iris")[student]
        for each in notebook.cells:
            meta = each.metadata.get("nbgrader", {})
            if meta.get("grade"):
                [output] = each.outputs
                assert (output.output_type == "error") == (graded[meta["grade_id"]] == 0), (student, each.id)
            else:
                assert not each.get("outputs"), (student, each.id)  # no kernel ran the student's code


def test_feedback_shows_check_messages_and_nothing_of_the_kit(course: Path, hostile: dict) -> None:
    nbgrader(course, "generate_feedback", "07_iris")
    kit = course.parent / "kit"
    for student in ("ada", "bob", *FORGERS):
        html = (course / "feedback" / student / "07_iris" / "07_iris.html").read_text()
        own = (course / "submitted" / student / "07_iris" / "07_iris.ipynb").read_text()  # kit_reader names the kit
        leaked = [text for text in (SECRET, str(kit), str(ROOT), "def test_", "expect(") if text in html]
        assert not [text for text in leaked if text not in own], (student, leaked)
    html = (course / "feedback" / "bob" / "07_iris" / "07_iris.html").read_text()
    assert "evaluate runs in eval mode under no_grad" in html and "no_grad" in html


def test_parallel_autograde_gives_the_serial_scores(course: Path) -> None:
    serial = scores(course, PARALLEL)
    assert len(serial) == 3
    result = CliRunner().invoke(main, ["nbgrader", "autograde", PARALLEL, "--jobs", "2", "--force",
                                       "--course", str(course)])
    assert result.exit_code == 0, result.output
    most = sum(c.points for c in load_course(course.parent / "kit" / "course.yml").exercise(PARALLEL).checks)
    for student in STUDENTS:  # a line as each finishes, then a row of the summary table
        assert re.search(rf"^{student}: {sum(serial[student].values()):g}/{most:g} \(", result.output, re.M)
        assert re.search(rf"{student} +│ +{sum(serial[student].values()):g}/{most:g} ", result.output)
    assert f"{PARALLEL}: 3 student(s)" in result.output
    assert scores(course, PARALLEL) == serial


def test_a_late_notebook_loses_the_penalty_course_yml_sets(course: Path) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        found = {s.student.id: (s.total_seconds_late, s.notebooks[0].score, s.notebooks[0].late_submission_penalty)
                 for s in gradebook.find_assignment(PARALLEL).submissions}
    seconds, score, penalty = found[LATE[0]]
    assert seconds == (24 + 10) * 3600 + 60 and score > 0
    assert penalty == pytest.approx(0.2 * score)
    assert all(not found[s][2] for s in STUDENTS if s != LATE[0])


@pytest.mark.parametrize("student", ["bob", "kernel_forger"])
def test_grading_a_filled_release_notebook_gives_nbgraders_scores(course: Path, hostile: dict, student: str) -> None:
    notebook = course / "submitted" / student / "07_iris" / "07_iris.ipynb"
    result = CliRunner().invoke(main, ["nbgrader", "grade", str(notebook), "--json",
                                       "--course", str(course.parent / "kit")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == scores(course, "07_iris")[student]


def test_build_refuses_a_course_folder_with_student_data(course: Path) -> None:
    result = CliRunner().invoke(main, ["nbgrader", "build", str(course), "--course", str(course.parent / "kit")])
    assert result.exit_code != 0 and "student data" in result.output


@pytest.mark.parametrize("status", ["passed", "failed", "error", "skipped"])
def test_nbgrader_scores_a_verdicts_output_as_the_engine_did(status: str) -> None:
    from nbgrader.utils import determine_grade

    from autograder.results import CheckResult
    from autograder.notebook.autograde import verdict_outputs

    result = CheckResult("07_iris", "accuracy_value", "accuracy is right", 2.0, status, "expected 0.9, got 0.1")
    cell = nbformat.v4.new_code_cell('run_check("07_iris", "accuracy_value")')
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 2.0,
                                 "grade_id": "accuracy_value"}
    cell.outputs = verdict_outputs(result)
    assert determine_grade(cell) == (result.points, 2.0)
    assert status == "passed" or "expected 0.9, got 0.1" in cell.outputs[0].traceback


def test_nbgrader_autograde_refuses_to_grade_without_the_sandbox_unless_configured(
        monkeypatch: pytest.MonkeyPatch, course_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from traitlets.config import Config

    from autograder.notebook import autograde
    from autograder.sandbox import detect

    monkeypatch.setattr(detect, "bwrap_problem", lambda: "the bwrap executable is not installed")
    monkeypatch.delenv(detect.ENV_VAR, raising=False)
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    started = tmp_path / "autograded" / "ann" / "01_numpy_regression"  # what nbgrader made before the preprocessor
    started.mkdir(parents=True)
    resources = {"nbgrader": {"notebook": "01_numpy_regression", "student": "ann", "assignment": "01_numpy_regression"}}
    with pytest.raises(SystemExit) as stopped:
        autograde.GradeWithEngine(config=config, course=str(course_root)).preprocess(nbformat.v4.new_notebook(),
                                                                                     resources)
    assert stopped.value.code == 3 and not started.exists()  # the next run grades it again
    assert "c.GradeWithEngine.isolation = 'process'" in caplog.text and "apt-get install" in caplog.text
    chosen: list[str | None] = []
    monkeypatch.setattr(autograde, "grade_module", lambda *args, isolation=None: chosen.append(isolation) or {})
    monkeypatch.setattr(autograde, "_expected", lambda resources: [])  # no gradebook here: nothing to recover
    autograde.GradeWithEngine(config=config, course=str(course_root), isolation="process").preprocess(
        nbformat.v4.new_notebook(), resources)
    assert chosen == ["process"]
