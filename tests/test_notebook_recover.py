"""Finding the module of an edited notebook again (autograder/notebook/recover.py), without nbgrader or a sandbox:
each edit of tests/test_notebook_editors.py applied to 04_data's notebook as the kit builds it, then recovered."""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import pytest

from autograder.course import load_course
from autograder.notebook.build import build_notebook
from autograder.notebook.grading import module_source
from autograder.notebook.recover import expected_from_notebook, notes, recover_cells
from test_notebook_editors import EDITS, EXERCISE

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def kit_notebook():
    exercise = load_course(ROOT / "course.yml").exercise(EXERCISE)
    return build_notebook(exercise, (ROOT / "solutions" / EXERCISE / exercise.module).read_text())


def _module(nb) -> str:
    return ast.dump(ast.parse(module_source(nb)))


@pytest.mark.parametrize("edit", list(EDITS), ids=[edit.__name__ for edit in EDITS])
def test_an_edit_gives_the_same_module_back_or_a_note(kit_notebook, edit, tmp_path: Path) -> None:
    expected = expected_from_notebook(kit_notebook)
    edited = edit(copy.deepcopy(kit_notebook), tmp_path)
    recover_cells(edited, expected)
    said = notes(edited, expected)
    if EDITS[edit] is None:
        assert _module(edited) == _module(kit_notebook) and not said
    else:
        assert any(EDITS[edit] in note and "cell " in note for note in said), said


def test_unknown_grade_ids_lose_their_role_and_a_stray_copy_of_a_check_stays_out_of_the_module(kit_notebook) -> None:
    nb = copy.deepcopy(kit_notebook)
    nb.cells[0].metadata["nbgrader"] = {"grade_id": "forged", "solution": True}
    recover_cells(nb, expected_from_notebook(kit_notebook))
    assert "nbgrader" not in nb.cells[0].metadata
    assert _module(nb) == _module(kit_notebook)


@pytest.mark.parametrize("level", ["process", "bwrap"])
def test_a_kernel_hears_once_that_it_runs_in_practice_mode(monkeypatch: pytest.MonkeyPatch, capsys, level) -> None:
    """Without bubblewrap (Colab, macOS) run_check says so once per kernel, in words; with it, nothing."""
    import autograder.sandbox
    from autograder.notebook import runtime

    monkeypatch.setattr(runtime, "_said", set())
    monkeypatch.setattr(autograder.sandbox, "detect_isolation", lambda: type("Level", (), {"name": level})())
    runtime._practice_mode_once()
    runtime._practice_mode_once()
    assert capsys.readouterr().out.count("practice mode: there is no bubblewrap sandbox here") == (level == "process")
