"""The `autograder similarity SUBMISSIONS --out DIR` subcommand."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from autograder.classroom.discover import SubmissionsError, discover
from autograder.classroom.similarity import MIN_TOKENS, THRESHOLD
from autograder.classroom.similarity_report import flagged_lines, similarity_report
from autograder.cli_support import course_option, course_root, load_manifest, require_extra

boilerplate_option = click.option(
    "--boilerplate", "boilerplate", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="More code every student starts from, left out of the comparison (e.g. the tutorial's code; repeatable).")


@click.command(name="similarity")
@click.argument("submissions", type=click.Path(exists=True, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("similarity"),
              show_default=True, help="Report folder: similarity.csv and pairs/<exercise>/<a>--<b>.html.")
@click.option("--exercise", "exercise_names", multiple=True, help="Compare only this exercise (repeatable).")
@boilerplate_option
@click.option("--threshold", type=click.FloatRange(0, 1), default=THRESHOLD, show_default=True,
              help="Flag a pair when this share of either student's code is found in the other's.")
@click.option("--min-tokens", type=click.IntRange(min=1), default=MIN_TOKENS, show_default=True,
              help="... and they share at least this many characters of normalised code.")
@course_option
def similarity_command(submissions: Path, out: Path, exercise_names: tuple[str, ...], boilerplate: tuple[Path, ...],
                       threshold: float, min_tokens: int, course: Path | None) -> None:
    """Rank pairs of students by how similar the code they wrote is, per exercise (stubs and hints left out)."""
    require_extra("copydetect", "similarity", "autograder similarity")
    root = course_root(course)
    load_manifest(root)
    with tempfile.TemporaryDirectory(prefix="similarity-") as tmp:
        try:
            students = discover(submissions.resolve(), Path(tmp) / "export")
        except SubmissionsError as exc:
            raise click.ClickException(f"{submissions}: {exc}") from None
        flagged = similarity_report(students, root, out, exercises=list(exercise_names) or None,
                                    extra=list(boilerplate), threshold=threshold, min_tokens=min_tokens)
    click.echo(flagged_lines(flagged), nl=False)
    click.echo(f"{len(flagged)} pair(s) flagged among {len(students)} students; report: {out / 'similarity.csv'}")
