"""Find a notebook's cells again after another editor changed it, and say in words what could not be found.

VS Code's Jupyter extension and Colab drop or rewrite cell metadata, JupyterLab splits and merges cells, students
copy, delete and reorder them. The grade is made from the answer and given cells, which nbgrader knows by the
`grade_id` in their metadata. A cell that lost it is recognised, in this order, by its cell id (the kit's cells have
their grade_id as id), by its source (a locked cell's is known), or, for an answer cell, by the functions and classes
it defines (`answer_<name>` defines `<name>`). An answer split in two is joined again; a check cell merged into an
answer loses the check's lines. What is still missing, or sits in a markdown cell, becomes a note that names the cell
and says what to do.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

import nbformat

from .grading import GIVEN_PREFIX, is_module_cell

SCHEMA_VERSION = 3
ANSWER_PREFIX = "answer_"
_FENCED = re.compile(r"^```[\w-]*[ \t]*\n(.*?)^```", re.M | re.S)


@dataclass(frozen=True)
class ExpectedCell:
    """A cell of the released notebook, as the gradebook (or the kit) knows it."""

    grade_id: str
    cell_type: str
    source: str
    locked: bool
    grade: bool = False
    solution: bool = False
    task: bool = False
    points: float | None = None

    def role(self) -> dict[str, Any]:
        """The nbgrader metadata that gives a cell this role."""
        meta: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "grade_id": self.grade_id, "grade": self.grade,
                                "solution": self.solution, "task": self.task, "locked": self.locked}
        if self.grade and self.points is not None:
            meta["points"] = self.points
        return meta


def expected_from_gradebook(gradebook: Any, notebook: str, assignment: str) -> list[ExpectedCell]:
    """The cells nbgrader recorded for ``notebook`` of ``assignment`` when it generated the release."""
    source = gradebook.find_notebook(notebook, assignment)
    grades = {cell.name: float(cell.max_score) for cell in source.grade_cells}
    solutions = {cell.name for cell in source.solution_cells}
    tasks = {cell.name for cell in source.task_cells}
    return [ExpectedCell(cell.name, cell.cell_type, cell.source or "", bool(cell.locked), cell.name in grades,
                         cell.name in solutions, cell.name in tasks, grades.get(cell.name))
            for cell in source.source_cells]


def expected_from_notebook(notebook: Any) -> list[ExpectedCell]:
    """The nbgrader cells of a notebook built by the kit (its source or release notebook)."""
    out = []
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta and meta.get("grade_id"):
            out.append(ExpectedCell(meta["grade_id"], cell["cell_type"], cell["source"], bool(meta.get("locked")),
                                    bool(meta.get("grade")), bool(meta.get("solution")), bool(meta.get("task")),
                                    meta.get("points")))
    return out


def _grade_id(cell: Any) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or None


def defined_names(source: str) -> set[str] | None:
    """The functions and classes a cell defines at its top level (None when it is not valid Python)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}


def _answer_name(grade_id: str) -> str | None:
    return grade_id[len(ANSWER_PREFIX):] if grade_id.startswith(ANSWER_PREFIX) else None


def _same_source(a: str, b: str) -> bool:
    return a.strip() == b.strip()


def recover_cells(nb: Any, expected: list[ExpectedCell]) -> list[str]:
    """Give each cell that lost its nbgrader metadata its role back where it can be recognised, join split answers
    and take check lines out of answers (in place). Returns what was done, one line per cell, for the log."""
    known = {cell.grade_id: cell for cell in expected}
    done: list[str] = []
    seen: set[str] = set()
    for index in reversed(range(len(nb["cells"]))):  # as nbgrader's DeduplicateIds: the last copy keeps the role
        cell = nb["cells"][index]
        meta = cell.get("metadata", {})
        grade_id = meta.get("nbgrader", {}).get("grade_id")
        if "nbgrader" in meta and (grade_id not in known or grade_id in seen):  # unknown, empty or a copy: none
            del meta["nbgrader"]
        elif grade_id:
            seen.add(grade_id)
            if cell.get("cell_type") != known[grade_id].cell_type:  # as nbgrader's OverwriteCells
                nb["cells"][index] = _as_type(cell, known[grade_id].cell_type)
                done.append(f"cell {index + 1} ({grade_id}) was a {cell.get('cell_type')} cell: made "
                            f"{known[grade_id].cell_type} again")
    present = {gid for gid in map(_grade_id, nb["cells"]) if gid}
    missing = [cell for cell in expected if cell.grade_id not in present]

    def adopt(cell: Any, exp: ExpectedCell, how: str, index: int) -> None:
        cell.setdefault("metadata", {})["nbgrader"] = exp.role()
        missing.remove(exp)
        done.append(f"cell {index + 1} had no nbgrader metadata: recognised as {exp.grade_id} by its {how}")

    for index, cell in enumerate(nb["cells"]):
        if _grade_id(cell) or not missing:
            continue
        by_id = next((exp for exp in missing if exp.grade_id == cell.get("id")), None)
        if by_id is not None:
            adopt(cell, by_id, "cell id", index)
            continue
        by_source = next((exp for exp in missing if exp.locked and exp.cell_type == cell.get("cell_type")
                          and _same_source(exp.source, cell.get("source", ""))), None)
        if by_source is not None:
            adopt(cell, by_source, "source", index)
            continue
        names = defined_names(cell.get("source", "")) if cell.get("cell_type") == "code" else None
        by_names = next((exp for exp in missing if exp.solution and _answer_name(exp.grade_id) in (names or ())), None)
        if by_names is not None:
            adopt(cell, by_names, f"definition of `{_answer_name(by_names.grade_id)}`", index)
    done += _restore_given(nb, expected, missing)
    done += _module_in_release_order(nb, expected)
    done += _join_split_answers(nb)
    done += _drop_check_lines(nb, [exp for exp in expected if exp.grade])
    return done


def _as_type(cell: Any, cell_type: str) -> Any:
    """The cell with its source, id and metadata, as a cell of another type."""
    make = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
    new = make(cell.get("source", ""), metadata=cell.get("metadata", {}))
    if "id" in cell:
        new["id"] = cell["id"]
    return new


def _restore_given(nb: Any, expected: list[ExpectedCell], missing: list[ExpectedCell]) -> list[str]:
    """Given code deleted from the notebook is the kit's, not the student's: put it back where it was."""
    done = []
    order = {exp.grade_id: position for position, exp in enumerate(expected)}
    for exp in [exp for exp in missing if exp.grade_id.startswith(GIVEN_PREFIX) and exp.cell_type == "code"]:
        later = [i for i, cell in enumerate(nb["cells"]) if order.get(_grade_id(cell) or "", -1) > order[exp.grade_id]]
        at = later[0] if later else len(nb["cells"])
        nb["cells"].insert(at, nbformat.v4.new_code_cell(exp.source, metadata={"nbgrader": exp.role()}))
        done.append(f"the given cell {exp.grade_id} was missing: put back as cell {at + 1}")
    return done


def _module_in_release_order(nb: Any, expected: list[ExpectedCell]) -> list[str]:
    """Module cells moved around (the imports below the answers): back in the released order, in the same places."""
    order = {exp.grade_id: position for position, exp in enumerate(expected)}
    slots = [i for i, cell in enumerate(nb["cells"]) if is_module_cell(cell)]
    cells = [nb["cells"][i] for i in slots]
    wanted = sorted(cells, key=lambda cell: order.get(_grade_id(cell) or "", len(order)))
    if all(a is b for a, b in zip(wanted, cells)):
        return []
    for i, cell in zip(slots, wanted):
        nb["cells"][i] = cell
    return [f"the answer and given cells were reordered: graded in the released order ({len(slots)} cells)"]


def _join_split_answers(nb: Any) -> list[str]:
    """An answer cell followed by unmarked code cells that are not valid Python alone but are after it (the rest of a
    cell split in two): one cell again."""
    done = []
    cells = nb["cells"]
    for index, cell in enumerate(cells):
        if not is_module_cell(cell):
            continue
        end = index + 1
        while (end < len(cells) and cells[end].get("cell_type") == "code" and not _grade_id(cells[end])
               and defined_names(cells[end]["source"]) is None
               and defined_names(cell["source"].rstrip("\n") + "\n" + cells[end]["source"]) is not None):
            cell["source"] = cell["source"].rstrip("\n") + "\n" + cells[end]["source"]
            cells[end]["source"] = ""
            end += 1
        if end > index + 1:
            done.append(f"cell {index + 1} ({_grade_id(cell)}) was split: joined with the next {end - index - 1}")
    return done


def _drop_check_lines(nb: Any, checks: list[ExpectedCell]) -> list[str]:
    """A check cell merged into an answer or given cell: its lines leave the module (nbgrader puts the check back)."""
    done = []
    for index, cell in enumerate(nb["cells"]):
        if not is_module_cell(cell):
            continue
        for check in checks:
            text = check.source.strip()
            if text and text in cell["source"]:
                cell["source"] = cell["source"].replace(text, "")
                done.append(f"cell {index + 1} ({_grade_id(cell)}) held the check cell {check.grade_id}: taken out")
    return done


def _names_in_markdown(text: str) -> set[str]:
    """What the code in a markdown cell defines: its fenced blocks, or the whole cell when it has none."""
    blocks = _FENCED.findall(text) or [text]
    return set().union(*(defined_names(block) or set() for block in blocks))


def notes(nb: Any, expected: list[ExpectedCell]) -> list[str]:
    """What a student should know about cells the grader could not use: answers missing from the module, code in
    markdown cells. Each note names the cell and says what to do."""
    module_names: set[str] = set()
    for cell in nb["cells"]:
        if is_module_cell(cell):
            module_names |= defined_names(cell["source"]) or set()
    out = []
    wanted = [name for exp in expected if exp.solution and (name := _answer_name(exp.grade_id))]
    for index, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "markdown":
            continue
        found = sorted(_names_in_markdown(cell.get("source", "")) & set(wanted))
        if found:
            names = ", ".join(f"`{name}`" for name in found)
            out.append(f"cell {index + 1} is a markdown cell that holds code defining {names}: markdown is not run, "
                       "so that code is not graded. Move it into the code cell of its answer (the one that raises "
                       "NotImplementedError), or turn this cell into a code cell.")
    for name in wanted:
        if name not in module_names:
            out.append(f"no answer cell defines `{name}`: the cell was deleted, or an editor removed its nbgrader "
                       "metadata and it could not be recognised. Put your code for it in the answer cell under "
                       f"\"## `{name}`\" (take a fresh copy of the released notebook if that cell is gone).")
    return out

