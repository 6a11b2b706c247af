"""`autograder similarity`: on a generated class, the copied pair ranks first and no independent pair is flagged."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder.cli import main
from similarity_class import EXERCISE, MODULE, write_class

COPIED, HALF = ("copy_a", "copy_b"), ("half_a", "half_b")


def _as_notebook(folder: Path) -> None:
    """Hand the student's module in as a notebook: the code in an answer cell, beside a given and a test cell."""
    module = folder / EXERCISE / MODULE
    cell = {"cell_type": "code", "execution_count": None, "outputs": [], "source": ""}
    cells = [{**cell, "source": "import torch\n", "metadata": {"nbgrader": {"solution": False, "locked": True}}},
             {**cell, "source": module.read_text(), "metadata": {"nbgrader": {"solution": True, "grade_id": "a"}}},
             {**cell, "source": "run_check('05_training_loop', 'train_loop_learns')\n" * 20,
              "metadata": {"nbgrader": {"grade": True, "locked": True}}}]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / EXERCISE / f"{EXERCISE}.ipynb").write_text(json.dumps(notebook))
    module.unlink()


@pytest.fixture(scope="module")
def report(course_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = write_class(course_root, tmp_path_factory.mktemp("similarity"))
    _as_notebook(root / "class" / "copy_b")
    shutil.make_archive(str(root / "class" / "ind_5"), "zip", root / "class" / "ind_5")   # one zipped submission
    shutil.rmtree(root / "class" / "ind_5")
    result = CliRunner().invoke(main, ["similarity", str(root / "class"), "--out", str(root / "report"),
                                       "--exercise", EXERCISE, "--boilerplate", str(root / "tutorial.py"),
                                       "--course", str(course_root)])
    assert result.exit_code == 0, result.output
    return root / "report", result.output


def _rows(report: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((report / "similarity.csv").open()))


def test_the_copied_pair_ranks_first_and_no_independent_pair_is_flagged(report: tuple[Path, str]) -> None:
    folder, output = report
    rows = _rows(folder)
    assert len(rows) == 13 * 12 // 2
    first = rows[0]
    assert (first["student_a"], first["student_b"]) == COPIED and first["flagged"] == "yes"
    assert float(first["score"]) > 0.8
    flagged = {(r["student_a"], r["student_b"]) for r in rows if r["flagged"]}
    assert flagged == {COPIED, HALF}
    half = next(r for r in rows if (r["student_a"], r["student_b"]) == HALF)
    independent = [r for r in rows if (r["student_a"], r["student_b"]) not in (COPIED, HALF)]
    assert float(half["score"]) > max(float(r["score"]) for r in independent)
    assert "copy_a and copy_b" in output and "2 pair(s) flagged among 13 students" in output


def test_each_flagged_pair_has_a_side_by_side_page_with_highlights(report: tuple[Path, str]) -> None:
    folder, _ = report
    page = (folder / "pairs" / EXERCISE / "copy_a--copy_b.html").read_text()
    assert page.count("<mark>") >= 3 and "copy_b" in page and f"{EXERCISE}/{EXERCISE}.ipynb" in page
    assert "run_check" not in page          # a notebook is compared on its answer cells only
    assert "NotImplementedError" not in page and "Args:" not in page   # the stub's lines are left out
    assert sorted(p.name for p in (folder / "pairs" / EXERCISE).iterdir()) == ["copy_a--copy_b.html",
                                                                              "half_a--half_b.html"]


def test_without_the_tutorial_as_boilerplate_its_followers_would_be_flagged(course_root: Path,
                                                                            tmp_path: Path) -> None:
    """The tutorial's code is common to many: left in, it makes its followers look like copies."""
    root = write_class(course_root, tmp_path)
    result = CliRunner().invoke(main, ["similarity", str(root / "class"), "--out", str(root / "report"),
                                       "--exercise", EXERCISE, "--course", str(course_root)])
    assert result.exit_code == 0, result.output
    assert any(r["flagged"] and r["student_a"].startswith("tut_") for r in _rows(root / "report"))
