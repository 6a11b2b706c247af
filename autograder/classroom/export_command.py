"""The `autograder export canvas|moodle GRADED --roster ROSTER --out FILE` subcommand."""

from __future__ import annotations

from pathlib import Path

import click

from autograder.classroom.export import (CANVAS_IDENTITY, MOODLE_IDENTIFIERS, canvas_csv, export_summary, moodle_csv,
                                         read_grades, read_roster)
from autograder.classroom.store import write_atomic


@click.command(name="export")
@click.argument("lms", type=click.Choice(["canvas", "moodle"]))
@click.argument("graded", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="The LMS's gradebook export (or a CSV with its columns) plus a student_id column: the student's "
                   "folder name in the class.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The CSV to import.")
@click.option("--assignment", default="PyTorch step by step", show_default=True,
              help="The grade column: the LMS assignment's name (Canvas: \"Name (id)\" for an existing one).")
@click.option("--per-exercise", is_flag=True, help="One grade column per exercise instead of the total.")
@click.option("--identifier", type=click.Choice(MOODLE_IDENTIFIERS), default="Email address", show_default=True,
              help="Moodle: the roster column that identifies the student.")
def export_command(lms: str, graded: Path, roster: Path, out: Path, assignment: str, per_exercise: bool,
                   identifier: str) -> None:
    """Write GRADED's final scores (after late penalties) in Canvas's or Moodle's gradebook import format."""
    try:
        grades = read_grades(graded)
        if lms == "canvas":
            export = canvas_csv(grades, read_roster(roster, CANVAS_IDENTITY), assignment=assignment,
                                per_exercise=per_exercise)
        else:
            export = moodle_csv(grades, read_roster(roster, (identifier,)), identifier=identifier,
                                assignment=assignment, per_exercise=per_exercise)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    write_atomic(out, export.text)
    exported = len(grades.totals) - len(export.not_on_roster)
    click.echo(f"wrote {out}: {exported} student(s) for {lms.capitalize()}'s gradebook import")
    if export.not_on_roster or export.not_graded:
        click.echo(export_summary(export), err=True)
