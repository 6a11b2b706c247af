"""What every `autograder` subcommand shares: the course and device options, finding the course, exit codes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import click

from autograder.course import Course, ManifestError, find_course_root, load_course
from autograder.sandbox import SandboxUnavailable, record_isolation

EXIT_BELOW_THRESHOLD = 1   # grading completed, the score is under --fail-under
EXIT_GRADER_ERROR = 3      # the grader itself could not run
EXIT_INTERRUPTED = 130

course_option = click.option("--course", type=click.Path(file_okay=False, path_type=Path),
                             help="The course folder holding course.yml (default: found from here).")
device_option = click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), default="auto",
                             show_default=True, help="auto picks cuda, then mps, then cpu.")
isolation_option = click.option("--isolation", type=click.Choice(["bwrap", "process"]), default=None,
                                help="The isolation level (default: bwrap, and grading refuses to run without it; "
                                     "`process` grades UNISOLATED, a practice mode).")


def course_root(course: Path | None) -> Path:
    """The course folder: --course, else the nearest folder above here with a course.yml."""
    try:
        return find_course_root(course or Path.cwd())
    except FileNotFoundError as exc:
        raise click.UsageError(f"{exc}. Run inside the course folder or pass --course.") from None


def load_manifest(root: Path) -> Course:
    """The validated course.yml of `root`, or a usage error naming the line."""
    try:
        return load_course(root / "course.yml")
    except ManifestError as exc:
        raise click.ClickException(str(exc)) from None


def require_extra(module: str, extra: str, what: str) -> None:
    """Stop with the install command when an optional dependency group is not installed."""
    if importlib.util.find_spec(module) is None:
        raise click.ClickException(f"{what} needs the [{extra}] extra: "
                                   f"pip install -c constraints.txt -e '.[{extra}]' in the course kit")


def isolation_of_record(isolation: str | None) -> str:
    """The isolation level a grade of record runs at (--isolation, else bwrap); without bubblewrap, exit 3 saying
    what to install or which option to pass."""
    try:
        return record_isolation(isolation, opt_out="pass --isolation process").name
    except SandboxUnavailable as exc:
        click.echo(f"grading could not run: {exc}", err=True)
        sys.exit(EXIT_GRADER_ERROR)
