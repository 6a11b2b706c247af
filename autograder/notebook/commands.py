"""`autograder nbgrader build | autograde | grade`: the course as an nbgrader course."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from autograder.cli_support import EXIT_GRADER_ERROR, course_option, isolation_option, require_extra

if TYPE_CHECKING:
    from autograder.course import Exercise

    from .parallel import AutogradeRun


@click.group(name="nbgrader")
def nbgrader_group() -> None:
    """Run the course as an nbgrader course: build it, autograde in parallel, grade one notebook."""
    require_extra("nbgrader", "nbgrader", "autograder nbgrader")


@nbgrader_group.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--exercise", "exercise_names", multiple=True, help="Build only this exercise (repeatable).")
@click.option("--force", is_flag=True, help="Rebuild even if the folder holds student data.")
@course_option
def build(directory: Path, exercise_names: tuple[str, ...], force: bool, course: Path | None) -> None:
    """Write DIRECTORY/nbgrader_config.py and DIRECTORY/source/<exercise>/<exercise>.ipynb from solutions/."""
    from autograder.cli_support import course_root, load_manifest
    from autograder.generate import GenerateError

    from .build import BuildRefused, build_course

    root = course_root(course)
    spec = load_manifest(root)
    try:
        chosen = spec.select(list(exercise_names) or None)
        written = build_course(root, spec, directory, exercises=chosen, force=force)
    except KeyError as exc:
        raise click.BadParameter(exc.args[0], param_hint="--exercise") from None
    except (BuildRefused, GenerateError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {len(written)} file(s) under {directory}; next: cd {directory} && "
               "nbgrader generate_assignment EXERCISE")


@nbgrader_group.command()
@click.argument("assignment")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=2, show_default=True,
              help="How many students are autograded at the same time.")
@click.option("--student", "students", multiple=True, help="Autograde only this student (repeatable).")
@click.option("--force", is_flag=True, help="Autograde again students that were already autograded.")
@click.option("--course", "course_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("."), help="The nbgrader course folder (default: here).")
def autograde(assignment: str, jobs: int, students: tuple[str, ...], force: bool, course_dir: Path) -> None:
    """Run `nbgrader autograde ASSIGNMENT --student=ID` for every submission, JOBS at a time, on one gradebook.

    Prints each student's score as their run finishes, then a summary table.
    """
    from rich.console import Console
    from rich.table import Table

    from .parallel import autograde_parallel

    runs = []
    for run in autograde_parallel(course_dir.resolve(), assignment, jobs, list(students) or None, force):
        runs.append(run)
        click.echo(f"{run.student}: {_score_text(run)} ({run.seconds:.1f} s"
                   f"{f', {run.attempts} attempts' if run.attempts > 1 else ''})")
        if run.returncode != 0:
            click.echo(run.output[-3000:], err=True)
    if not runs:
        raise click.ClickException(f"no submission of {assignment} in {course_dir / 'submitted'}")
    click.echo(f"{assignment}: {len(runs)} student(s), {sum(run.returncode == 0 for run in runs)} autograded")
    table = Table()
    for column in ("student", "score", "seconds"):
        table.add_column(column, justify="left" if column == "student" else "right")
    for run in sorted(runs, key=lambda run: run.student):
        table.add_row(run.student, _score_text(run), f"{run.seconds:.1f}")
    Console().print(table)
    codes = {run.returncode for run in runs}
    sys.exit(0 if codes == {0} else EXIT_GRADER_ERROR if EXIT_GRADER_ERROR in codes else 1)


def _score_text(run: AutogradeRun) -> str:
    """A run's recorded score, e.g. `14/18`, or why there is none."""
    if run.returncode != 0:
        return "FAILED"
    return "no score" if run.score is None else f"{run.score[0]:g}/{run.score[1]:g}"


@nbgrader_group.command()
@click.argument("notebook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--exercise", help="The exercise (default: from the notebook's metadata, else its file name).")
@click.option("--json", "as_json", is_flag=True, help="Print {grade_id: points} as JSON.")
@isolation_option
@course_option
def grade(notebook: Path, exercise: str | None, as_json: bool, isolation: str | None, course: Path | None) -> None:
    """Grade a student's filled-in notebook with every check, as nbgrader's autograde scores it."""
    import nbformat

    from autograder.cli_support import course_root, isolation_of_record, load_manifest

    from .grading import grade_module, module_source
    from .recover import expected_from_notebook, notes, recover_cells

    root = course_root(course)
    spec = load_manifest(root)
    content = nbformat.read(notebook, as_version=4)
    exercise_id = exercise or content.metadata.get("autograder", {}).get("exercise") or notebook.stem
    try:
        spec.exercise(exercise_id)
    except KeyError as exc:
        raise click.BadParameter(exc.args[0], param_hint="--exercise") from None
    expected = expected_from_notebook(_kit_notebook(root, spec.exercise(exercise_id)))
    recovered = recover_cells(content, expected)
    for line in recovered + [f"note: {note}" for note in notes(content, expected)]:
        click.echo(line, err=True)
    results = grade_module(exercise_id, module_source(content), root, isolation=isolation_of_record(isolation))
    if as_json:
        click.echo(json.dumps({check: result.points for check, result in results.items()}, indent=2))
        return
    for result in results.values():
        click.echo(f"{result.points:g}/{result.max_points:g}  {result.check}: {result.status}")
        if result.status != "passed":
            click.echo("    " + result.message.replace("\n", "\n    "))
    total, most = sum(r.points for r in results.values()), sum(r.max_points for r in results.values())
    click.echo(f"{exercise_id}: {total:g}/{most:g}")


def _kit_notebook(root: Path, exercise: Exercise) -> dict:
    """The notebook the kit builds for ``exercise`` (no cells without the instructor's solutions/)."""
    from .build import build_notebook

    module = root / "solutions" / exercise.id / exercise.module
    return build_notebook(exercise, module.read_text(encoding="utf-8")) if module.is_file() else {"cells": []}
