"""The `autograder grade-all` subcommand."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from autograder.classroom.similarity_command import boilerplate_option
from autograder.cli_support import (
    EXIT_GRADER_ERROR, EXIT_INTERRUPTED, course_option, course_root, device_option, isolation_of_record,
    isolation_option, load_manifest, require_extra,
)


@click.command(name="grade-all")
@click.argument("submissions", type=click.Path(exists=True, path_type=Path))
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Submissions graded at the same time (one worker process each).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("graded"), show_default=True,
              help="Results folder: one folder per student, gradebook.csv, summary.txt, summary.png.")
@click.option("--force", is_flag=True, help="Grade again students whose submission has not changed.")
@click.option("--regrade", is_flag=True,
              help="Grade every student again; keep the previous gradebook in OUT/previous/ and write "
                   "regrade.csv and regrade.txt (who changed, by how much, which checks changed verdict).")
@click.option("--exercise", "exercise_names", multiple=True, help="Grade only this exercise (repeatable).")
@click.option("--timeout", type=click.FloatRange(min=1), default=None,
              help="Time limit in seconds for each check's student code (default: from course.yml).")
@device_option
@isolation_option
@click.option("--submitted-at", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="CSV student_id,submitted_at: the submission times deadlines are applied to "
                   "(default: the time in each file name, else the files' modification time).")
@click.option("--extensions", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="CSV student_id,exercise,due: per-student due dates (an empty exercise: all of them).")
@click.option("--similarity", is_flag=True,
              help="Also compare the students' code per exercise: OUT/similarity/ (needs the [similarity] extra).")
@boilerplate_option
@click.option("--cluster", metavar="ADDRESS", default=None,
              help="Send the jobs to this Dask scheduler (e.g. tcp://host:8786) instead of local workers.")
@course_option
def grade_all_command(submissions: Path, jobs: int, out: Path, force: bool, regrade: bool,
                      exercise_names: tuple[str, ...], timeout: float | None, device: str, isolation: str | None,
                      submitted_at: Path | None, extensions: Path | None, similarity: bool,
                      boilerplate: tuple[Path, ...], cluster: str | None, course: Path | None) -> None:
    """Grade a class: SUBMISSIONS is a folder of student folders or zips, or the zip an LMS exports.

    Re-running skips students already graded whose submission is unchanged; an interrupted run
    keeps every finished student. Exit status 3 when some submission could not be graded.
    """
    # the grading machinery (torch-free, but matplotlib and the engine) is imported only when grade-all runs:
    # `autograder check` and every other command start without it
    from autograder.classroom.discover import SubmissionsError
    from autograder.classroom.grade_all import grade_all
    from autograder.classroom.job import Settings
    from autograder.classroom.late import read_extensions

    if cluster:
        require_extra("distributed", "cluster", "grade-all --cluster")
    if similarity:
        require_extra("copydetect", "similarity", "grade-all --similarity")
    root = course_root(course)
    try:
        load_manifest(root).select(list(exercise_names) or None)
    except KeyError as exc:
        raise click.BadParameter(exc.args[0], param_hint="--exercise") from None
    settings = Settings(root, tuple(exercise_names), device, timeout, isolation_of_record(isolation),
                        extensions.resolve() if extensions else None)
    console = Console()
    try:
        if extensions:
            read_extensions(extensions)   # a CSV that cannot be read stops the run here, not in every worker
        run = grade_all(submissions.resolve(), settings, out.resolve(), jobs=jobs, force=force, cluster=cluster,
                        console=console, submitted_at=submitted_at, regrade=regrade,
                        similarity=list(boilerplate) if similarity else None)
    except SubmissionsError as exc:
        raise click.ClickException(f"{submissions}: {exc}") from None
    except ValueError as exc:   # a submitted_at or extensions CSV that cannot be read
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        console.print(f"interrupted: finished students are kept in {out}; run again to grade the rest")
        sys.exit(EXIT_INTERRUPTED)
    if run.timed_by_mtime:
        console.print(f"deadlines applied to the folder's modification time (no --submitted-at row, no time in the "
                      f"file name) for: {', '.join(run.timed_by_mtime)}", style="yellow", soft_wrap=True)
    console.print(run.summary, end="", markup=False, highlight=False, soft_wrap=True)
    console.print(f"graded {len(run.graded)}, skipped {len(run.skipped)} (unchanged), "
                  f"failed {len(run.errors)}; gradebook: {out / 'gradebook.csv'}, plot: {out / 'summary.png'}",
                  soft_wrap=True)
    if run.regrade:
        console.print(run.regrade, end="", markup=False, highlight=False, soft_wrap=True)
        console.print(f"regrade: {out / 'regrade.csv'}, previous gradebook: {out / 'previous'}", soft_wrap=True)
    if similarity:
        console.print(run.similarity + f"similarity report: {out / 'similarity' / 'similarity.csv'}", end="\n",
                      markup=False, highlight=False, soft_wrap=True)
    if run.errors:
        sys.exit(EXIT_GRADER_ERROR)
