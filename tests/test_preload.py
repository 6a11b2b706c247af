"""The fork server's preload plan: read from the course's own files, in the order exercises are graded."""

from __future__ import annotations

from pathlib import Path

from autograder.contract.plan import BASE, TRAINING
from autograder.contract.probe_files import PROBE_FILE
from autograder.course import load_course
from autograder.judge.planning import module_imports, plan


def test_module_imports_keeps_installed_absolute_imports_only(tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text("")
    module = tmp_path / "mine.py"
    module.write_text("import numpy as np\nimport helpers\nfrom . import sibling\nfrom torch import nn\n"
                      "import surely_not_an_installed_module_xyz\n\ndef f():\n    import sklearn.linear_model\n")
    assert module_imports(module) == ["numpy", "torch", "sklearn.linear_model"]


def test_module_imports_of_an_unreadable_file_is_empty(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def f(:\n")
    assert module_imports(tmp_path / "broken.py") == []
    assert module_imports(tmp_path / "absent.py") == []


def test_the_first_stage_is_what_the_first_exercise_needs(course_root: Path) -> None:
    course = load_course(course_root / "course.yml")
    stages = plan(course_root, list(course.exercises))
    first, *later = stages
    assert first[:len(BASE)] == list(BASE)
    assert "sklearn.linear_model" in first  # 01's reference solution imports it
    assert later[0] == list(TRAINING), "the optimizer's import comes next, before the other exercises' needs"
    everything = [name for stage in stages for name in stage]
    assert len(everything) == len(set(everything)), "each module is planned once"
    assert {"sklearn.datasets", "matplotlib.figure"} <= set(everything)


def test_a_torch_exercise_first_loads_the_optimizer_import_up_front(course_root: Path) -> None:
    course = load_course(course_root / "course.yml")
    [only] = plan(course_root, [course.exercise("07_iris")])
    assert set(TRAINING) <= set(only) and "sklearn.datasets" in only


def test_without_solutions_the_plan_comes_from_the_released_stubs(course_root: Path, tmp_path: Path) -> None:
    course = load_course(course_root / "course.yml")
    kit = tmp_path / "kit"
    exercise = course.exercise("01_numpy_regression")
    (kit / "exercises" / exercise.id).mkdir(parents=True)
    for name in (exercise.module, PROBE_FILE):
        source = (course_root / "exercises" / exercise.id / name).read_text()
        (kit / "exercises" / exercise.id / name).write_text(source)
    released = plan(kit, [exercise])
    assert released[0][-1] == str((kit / "exercises" / exercise.id / PROBE_FILE).resolve()), "the probe file is loaded"
    assert released[0][:-1] == plan(course_root, [exercise])[0][:-1]


def test_the_plan_loads_each_probe_file_after_what_it_imports(course_root: Path) -> None:
    course = load_course(course_root / "course.yml")
    stages = plan(course_root, list(course.exercises))
    files = [name for stage in stages for name in stage if name.endswith(PROBE_FILE)]
    assert files == [str((course_root / "solutions" / e.id / PROBE_FILE).resolve()) for e in course.exercises]
