"""Notebooks that come back from other editors, graded by `nbgrader autograde` (the kit's GradeWithEngine) and by
`autograder nbgrader grade`.

One nbgrader course of the cheap exercise 04_data. Every student submits the reference answers, changed the way a
tool or an editor changes a notebook: real round trips where the tool is here (nbformat's downgrade to v3 and upgrade
back, `jupyter nbconvert --to notebook`, jupytext through the percent format), and the documented edits of the others
(VS Code and Colab drop cell metadata and rewrite cell ids, JupyterLab splits, merges and copies cells and saves
another nbformat minor version, students reorder cells, paste an answer into a markdown cell, leave huge outputs).
Where the student's code can still be found the score is the reference's; where it cannot, the failed checks carry a
note that names the cell and says what to do. One `nbgrader autograde` run grades them all: no run fails, no
traceback, no student's score depends on another's.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
import yaml
from click.testing import CliRunner

from autograder.cli import main
from autograder.notebook.grading import module_source
from test_nbgrader import build, nbgrader, scores, submit

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
EXERCISE = "04_data"
Edit = Callable[[nbformat.NotebookNode, Path], nbformat.NotebookNode]


def _cell(nb: nbformat.NotebookNode, cell_id: str) -> nbformat.NotebookNode:
    return next(cell for cell in nb.cells if cell.get("id") == cell_id)


def _index(nb: nbformat.NotebookNode, cell_id: str) -> int:
    return next(i for i, cell in enumerate(nb.cells) if cell.get("id") == cell_id)


def unchanged(nb: nbformat.NotebookNode, tmp: Path) -> nbformat.NotebookNode:
    return nb


def nbformat_v3_round_trip(nb: nbformat.NotebookNode, tmp: Path) -> nbformat.NotebookNode:
    """nbformat's own downgrade to v3 (no cell ids) and upgrade back to v4."""
    return nbformat.convert(nbformat.convert(nb, 3), 4)


def nbconvert_round_trip(nb: nbformat.NotebookNode, tmp: Path) -> nbformat.NotebookNode:
    """`jupyter nbconvert --to notebook`: the notebook rewritten by nbconvert (not executed)."""
    nbformat.write(nb, tmp / "in.ipynb")
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--output", "out.ipynb",
                    str(tmp / "in.ipynb")], check=True, capture_output=True)
    return nbformat.read(tmp / "out.ipynb", 4)


def jupytext_round_trip(nb: nbformat.NotebookNode, tmp: Path) -> nbformat.NotebookNode:
    """jupytext to a percent-format script and back, as its paired-notebook workflow does."""
    jupytext = pytest.importorskip("jupytext")
    return jupytext.reads(jupytext.writes(nb, fmt="py:percent"), fmt="py:percent")


def metadata_stripped(nb: nbformat.NotebookNode, tmp: Path) -> nbformat.NotebookNode:
    """VS Code: every cell's metadata gone, the cell ids kept."""
    for cell in nb.cells:
        cell.metadata = {}
    return nb


def metadata_and_ids_rewritten(nb: nbformat.NotebookNode, tmp: Path) -> nbformat.NotebookNode:
    """Colab: every cell's metadata gone and every cell id a new random one."""
    for cell in nb.cells:
        cell.metadata, cell.id = {}, uuid.uuid4().hex[:8]
    return nb


def some_metadata_stripped(nb: nbformat.NotebookNode, tmp: Path) -> nbformat.NotebookNode:
    """Every other cell loses its metadata and its id."""
    for cell in nb.cells[1::2]:
        cell.metadata, cell.id = {}, uuid.uuid4().hex[:8]
    return nb


def grade_id_duplicated(nb: nbformat.NotebookNode, tmp: Path) -> nbformat.NotebookNode:
    """An answer cell and a check cell copied (JupyterLab's copy keeps the metadata, grade_id included)."""
    for cell_id in ("answer_make_loaders", "make_loaders_split"):
        twin = copy.deepcopy(_cell(nb, cell_id))
        twin.id = uuid.uuid4().hex[:8]
        nb.cells.append(twin)
    return nb


def reordered(nb: nbformat.NotebookNode, tmp: Path) -> nbformat.NotebookNode:
    """The given imports moved to the end, make_loaders' answer above CustomDataset's."""
    nb.cells.append(nb.cells.pop(_index(nb, "given_0")))
    nb.cells.insert(_index(nb, "answer_CustomDataset"), nb.cells.pop(_index(nb, "answer_make_loaders")))
    return nb


def split(nb: nbformat.NotebookNode, tmp: Path) -> nbformat.NotebookNode:
    """JupyterLab's split: make_loaders' answer cut in two in the middle of its body (the new cell has no metadata)."""
    at = _index(nb, "answer_make_loaders")
    lines = nb.cells[at].source.splitlines(keepends=True)
    middle = next(i for i, line in enumerate(lines) if "random_split(" in line)
    nb.cells[at].source = "".join(lines[:middle])
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell("".join(lines[middle:])))
    return nb


def merged(nb: nbformat.NotebookNode, tmp: Path) -> nbformat.NotebookNode:
    """JupyterLab's merge (the first cell's metadata is kept): CustomDataset's answer with its two check cells, and,
    the markdown between them deleted, with make_loaders' answer."""
    nb.cells.pop(_index(nb, "about_make_loaders"))
    first = _index(nb, "answer_CustomDataset")
    for cell_id in ("dataset_len_and_items", "dataset_index_carrying", "answer_make_loaders"):
        nb.cells[first].source += "\n\n" + nb.cells.pop(_index(nb, cell_id)).source
    return nb


def answer_in_markdown(nb: nbformat.NotebookNode, tmp: Path) -> nbformat.NotebookNode:
    """make_loaders written into the markdown cell above its answer cell, which still raises NotImplementedError."""
    release = _cell(nb, "answer_make_loaders")
    _cell(nb, "about_make_loaders").source += "\n\n```python\n" + release.source + "\n```\n"
    release.source = re.sub(r"### BEGIN SOLUTION.*### END SOLUTION", 'raise NotImplementedError("not implemented yet")',
                            release.source, flags=re.S)
    return nb


def answer_cell_made_markdown(nb: nbformat.NotebookNode, tmp: Path) -> nbformat.NotebookNode:
    """The answer cell itself switched to markdown (its code and metadata kept)."""
    at = _index(nb, "answer_make_loaders")
    old = nb.cells[at]
    nb.cells[at] = nbformat.v4.new_markdown_cell(old.source, metadata=old.metadata, id=old.id)
    return nb


def huge_outputs(nb: nbformat.NotebookNode, tmp: Path) -> nbformat.NotebookNode:
    """A scratch cell that printed 50 MB."""
    scratch = nbformat.v4.new_code_cell("print('x' * 50_000_000)")
    scratch.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * 50_000_000)]
    nb.cells.append(scratch)
    return nb


def nbformat_4_4(nb: nbformat.NotebookNode, tmp: Path) -> nbformat.NotebookNode:
    """Saved as nbformat 4.4, which has no cell ids."""
    nb.nbformat_minor = 4
    for cell in nb.cells:
        cell.pop("id", None)
    return nb


def nbformat_4_5(nb: nbformat.NotebookNode, tmp: Path) -> nbformat.NotebookNode:
    nb.nbformat_minor = 5
    return nb


def given_deleted(nb: nbformat.NotebookNode, tmp: Path) -> nbformat.NotebookNode:
    """The cell of given code (the module's imports) deleted: it is the kit's, nothing of the student's is lost."""
    nb.cells.pop(_index(nb, "given_0"))
    return nb


def answer_deleted(nb: nbformat.NotebookNode, tmp: Path) -> nbformat.NotebookNode:
    nb.cells.pop(_index(nb, "answer_CustomDataset"))
    return nb


# edit -> what must be said where the student's code could not be found (None: the reference's full score)
EDITS: dict[Edit, str | None] = {
    unchanged: None, nbformat_v3_round_trip: None, nbconvert_round_trip: None, jupytext_round_trip: None,
    metadata_stripped: None, metadata_and_ids_rewritten: None, some_metadata_stripped: None,
    grade_id_duplicated: None, reordered: None, split: None, merged: None, answer_cell_made_markdown: None,
    huge_outputs: None, nbformat_4_4: None, nbformat_4_5: None, given_deleted: None,
    answer_in_markdown: "is a markdown cell that holds code defining `make_loaders`",
    answer_deleted: "no answer cell defines `CustomDataset`",
}
# Through real `nbgrader autograde`: the files real tools write, nbgrader's own sanitizing of copies, and the two
# notebooks whose code cannot be found. Every other edit only needs the recovery, which
# tests/test_notebook_recover.py runs on every edit without nbgrader (the suite's time: each autograded notebook
# costs a grading).
AUTOGRADED = [unchanged, nbformat_v3_round_trip, nbconvert_round_trip, jupytext_round_trip, metadata_and_ids_rewritten,
              grade_id_duplicated, merged, answer_in_markdown, answer_deleted]


def kit_of_one(folder: Path) -> Path:
    folder.mkdir(parents=True)
    data = yaml.safe_load((ROOT / "course.yml").read_text())
    data["exercises"] = [e for e in data["exercises"] if e["id"] == EXERCISE]
    (folder / "course.yml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    shutil.copytree(ROOT / "solutions" / EXERCISE, folder / "solutions" / EXERCISE)
    return folder


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, nbformat.NotebookNode]:
    """The course with 04_data released by nbgrader, and the released notebook with the reference answers in it."""
    course = tmp_path_factory.mktemp("editors") / "course"
    build(kit_of_one(course.parent / "kit"), course)
    nbgrader(course, "generate_assignment", EXERCISE)
    source = nbformat.read(course / "source" / EXERCISE / f"{EXERCISE}.ipynb", 4)
    release = nbformat.read(course / "release" / EXERCISE / f"{EXERCISE}.ipynb", 4)
    answers = {cell.id: cell.source for cell in source.cells}
    for cell in release.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[cell.id]
    return course, release


@pytest.fixture(scope="module")
def graded(released: tuple) -> tuple[Path, dict[str, dict[str, float]], str]:
    """The course, every student's scores from gradebook.db, and what nbgrader autograde printed."""
    course, release = released
    folder = course.parent
    for edit in AUTOGRADED:
        work = folder / edit.__name__
        work.mkdir()
        submit(course, EXERCISE, edit.__name__, edit(copy.deepcopy(release), work))
    done = nbgrader(course, "autograde", EXERCISE)
    graded = scores(course, EXERCISE)
    for student, points in sorted(graded.items()):  # the table of edits and scores, for the log
        print(f"{student:28} {sum(points.values()):g}/{sum(_full(course).values()):g}",
              ", ".join(check for check, score in points.items() if score == 0))
    return course, graded, done.stdout + done.stderr


def _full(course: Path) -> dict[str, float]:
    from autograder.course import load_course

    return {c.id: c.points for c in load_course(course.parent / "kit" / "course.yml").exercise(EXERCISE).checks}


def _failed_outputs(course: Path, student: str) -> list[str]:
    notebook = nbformat.read(course / "autograded" / student / EXERCISE / f"{EXERCISE}.ipynb", 4)
    return ["\n".join(out.get("traceback", [])) for cell in notebook.cells for out in cell.get("outputs", [])
            if out.get("output_type") == "error"]


@pytest.mark.parametrize("edit", [edit.__name__ for edit in AUTOGRADED if EDITS[edit] is None])
def test_an_edited_notebook_whose_code_is_found_gets_the_reference_score(graded: tuple, edit: str) -> None:
    course, by_student, _ = graded
    assert by_student[edit] == _full(course), _failed_outputs(course, edit)


@pytest.mark.parametrize("edit", [edit.__name__ for edit in AUTOGRADED if EDITS[edit] is not None])
def test_code_that_cannot_be_found_is_named_in_the_failed_checks(graded: tuple, edit: str) -> None:
    course, by_student, _ = graded
    note = next(note for e, note in EDITS.items() if e.__name__ == edit)
    assert sum(by_student[edit].values()) < sum(_full(course).values())
    failed = _failed_outputs(course, edit)
    assert failed and all(note in text and "cell " in text for text in failed), failed


def test_one_autograde_run_grades_every_edit_without_a_traceback(graded: tuple) -> None:
    course, by_student, output = graded
    assert set(by_student) == {edit.__name__ for edit in AUTOGRADED}
    assert "Traceback" not in output
    for student in by_student:  # the grader's outputs are verdicts and notes, never a Python traceback
        assert not any("Traceback (most recent call last)" in text for text in _failed_outputs(course, student))


@pytest.mark.parametrize("edit", ["merged", "answer_in_markdown"])
def test_grade_command_gives_autogrades_scores_and_notes(graded: tuple, edit: str) -> None:
    course, by_student, _ = graded
    notebook = course / "submitted" / edit / EXERCISE / f"{EXERCISE}.ipynb"
    result = CliRunner().invoke(main, ["nbgrader", "grade", str(notebook), "--json", "--exercise", EXERCISE,
                                       "--course", str(course.parent / "kit")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == by_student[edit]
    note = next(note for e, note in EDITS.items() if e.__name__ == edit)
    assert note is None or note in result.stderr


# --- practice in Jupyter: a released notebook in a plain kernel, in the student repository ---------------------------

INSTALL_LINE = "%pip install -q -c constraints.txt -e ."  # what the student repository's README gives for Jupyter
MISTAKE = ("    val_loader = DataLoader(val_data, batch_size=batch_size, shuffle=False)",
           "    val_loader = DataLoader(val_data, batch_size=batch_size, shuffle=True)")


@pytest.fixture(scope="module")
def student_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The student repository (`autograder release`): visible checks only, no solutions. Its README's install line
    is the one this test's kernel environment was made with (the test's venv; no network to run it again here)."""
    repo = tmp_path_factory.mktemp("student") / "repo"
    result = CliRunner().invoke(main, ["release", str(repo), "--course", str(ROOT)])
    assert result.exit_code == 0, result.output
    assert INSTALL_LINE in (repo / "README.md").read_text()
    return repo


def _execute(notebook: nbformat.NotebookNode, repo: Path, monkeypatch: pytest.MonkeyPatch) -> list:
    """Run every cell in a fresh python3 kernel whose folder is the repository (no bubblewrap: practice mode)."""
    from nbclient import NotebookClient

    nbformat.write(notebook, repo / f"{EXERCISE}.ipynb")  # run_check reads the answer cells from the file
    monkeypatch.setenv("AUTOGRADER_ISOLATION", "process")
    NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(repo)}}).execute()
    return [out for cell in notebook.cells for out in cell.get("outputs", [])]


def _text(outputs: list) -> str:
    return "\n".join(out.get("text", "") if out.output_type == "stream" else
                     f"{out.get('ename', '')}: {out.get('evalue', '')}" for out in outputs)


@pytest.mark.parametrize("mistake", [False, True], ids=["solutions", "one_mistake"])
def test_a_released_notebook_runs_its_checks_in_a_plain_kernel(released: tuple, student_repo: Path, mistake: bool,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = copy.deepcopy(released[1])
    if mistake:
        answer = _cell(notebook, "answer_make_loaders")
        assert MISTAKE[0] in answer.source
        answer.source = answer.source.replace(*MISTAKE)
    outputs = _execute(notebook, student_repo, monkeypatch)
    text = _text(outputs)
    assert text.count("practice mode: there is no bubblewrap sandbox here") == 1, text
    errors = [out for out in outputs if out.output_type == "error"]
    if not mistake:
        assert not errors, text
        assert text.count("passed: ") == 4  # 04_data's visible checks; the hidden ones are not in the release
        return
    assert [out.ename for out in errors] == ["AssertionError"], text
    (student_repo / "exercises" / EXERCISE / "data.py").write_text(module_source(notebook))
    monkeypatch.chdir(student_repo)
    check = CliRunner().invoke(main, ["check", EXERCISE])
    words = " ".join(check.output.split())
    message = errors[0].evalue.split("\n", 1)[1]  # title, then the check's message: the same words as `check`'s
    assert " ".join(message.split()) in words, (message, check.output)
