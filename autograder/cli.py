"""The `autograder` command: `check` for students, `grade` for instructors and CI, `generate` for authors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.text import Text

from autograder.classroom.command import grade_all_command
from autograder.classroom.export_command import export_command
from autograder.classroom.similarity_command import similarity_command
from autograder.cli_support import (
    EXIT_BELOW_THRESHOLD, EXIT_GRADER_ERROR, course_option, course_root, device_option, isolation_of_record,
    isolation_option, load_manifest,
)
from autograder import hints_seen
from autograder.judge.errors import GraderError
from autograder.judge.grader import GradeOptions, Grader
from autograder.notebook.commands import nbgrader_group
from autograder.reports.gradescope import to_gradescope, write_gradescope
from autograder.reports.junit import write_junit
from autograder.reports.markdown import write_markdown
from autograder.reports.terminal import LiveCheck, make_console, print_grade, print_hints
from autograder.sandbox import SandboxUnavailable

# `check --watch`: re-check once the files have been quiet this long (watchfiles' default is 50 ms; an editor's
# save is one write, or a few within a millisecond or two)
WATCH_STEP_MS = 15


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pytorch-step-by-step-kit")
def main() -> None:
    """PyTorch step by step: check your exercises, or grade submissions."""


main.add_command(grade_all_command)
main.add_command(export_command)
main.add_command(similarity_command)
main.add_command(nbgrader_group)


@main.command()
@click.argument("exercise", required=False)
@click.option("--hint", type=click.Choice(["next", "all"]), is_flag=False, flag_value="next", default=None,
              help="Show the next hint for the first unfinished exercise (`--hint all`: every hint).")
@click.option("--watch", is_flag=True, help="Re-run the checks every time a file is saved.")
@click.option("-v", "--verbose", is_flag=True, help="List every check, and the seeds of failed ones.")
@device_option
@course_option
def check(exercise: str | None, hint: str | None, watch: bool, verbose: bool, device: str,
          course: Path | None) -> None:
    """Run the visible checks on your exercises/ (all, or one EXERCISE such as 01_topic).

    Exits with status 0 when every check passes, 1 otherwise.
    """
    root = course_root(course)
    spec = load_manifest(root)
    try:
        exercises = spec.select([exercise] if exercise else None)
    except KeyError as exc:
        raise click.BadParameter(exc.args[0], param_hint="EXERCISE") from None
    console = make_console()
    folder = root / "exercises"
    options = GradeOptions(exercises=tuple(e.id for e in exercises), tests="submission", device=device)
    grader = Grader(root, warm=watch)  # --watch: the sandbox stays up from one save to the next

    def run_once(show_hint: str | None) -> bool:
        live = LiveCheck(console, exercises, verbose=verbose)
        report = grader.grade(folder, options, listener=live)
        live.finish(report)
        if report.isolation_level != "bwrap":
            console.print(Text(f"practice mode: bubblewrap cannot be used here, so your code ran without a sandbox "
                               f"({report.isolation}); the checks are the same", style="dim"))
        by_id = {e.id: e for e in report.exercises}
        pending = next((e for e in exercises if e.id in by_id and not by_id[e.id].done), None)
        if pending is None:
            return True
        if show_hint:
            shown = hints_seen.all_hints(pending) if show_hint == "all" else hints_seen.next_hint(folder, pending)
            print_hints(console, pending, shown)
        elif pending.hints:
            seen = hints_seen.shown(folder, pending)
            console.print(Text(f"next: {pending.id} — `autograder check {pending.id} --hint` shows hint "
                               f"{min(seen + 1, len(pending.hints))} of {len(pending.hints)}"))
        return False

    try:
        all_done = run_once(hint)
        if not watch:
            sys.exit(0 if all_done else 1)
        from watchfiles import watch as watch_files

        console.print(Text("watching exercises/ for changes (Ctrl-C to stop)", style="dim"))
        for _ in watch_files(folder, watch_filter=lambda _c, path: path.endswith(".py"), step=WATCH_STEP_MS):
            console.rule()
            run_once(None)
    finally:
        grader.close()


@main.command(name="grade")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--exercise", "exercise_names", multiple=True, help="Grade only this exercise (repeatable).")
@click.option("--results", type=click.Path(dir_okay=False, path_type=Path), help="Write Gradescope results.json here.")
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), help="Write JUnit XML here.")
@click.option("--html", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a self-contained HTML report (checks, hints, loss curves) here.")
@click.option("--markdown", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a Markdown summary here (e.g. \"$GITHUB_STEP_SUMMARY\").")
@click.option("--json", "as_json", is_flag=True, help="Print the Gradescope JSON on stdout instead of the table.")
@click.option("--quiet", is_flag=True, help="Print only the total.")
@device_option
@isolation_option
@click.option("--timeout", type=click.FloatRange(min=1), default=None,
              help="Time limit in seconds for each check's student code (default: from course.yml).")
@click.option("--fail-under", type=click.FloatRange(0, 100), default=None,
              help="Exit with status 1 when the score is below this percentage.")
@click.option("--submission-metadata", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Gradescope's submission_metadata.json: apply course.yml's late penalty to its times.")
@course_option
def grade_command(path: Path, exercise_names: tuple[str, ...], results: Path | None, junit: Path | None,
                  html: Path | None, markdown: Path | None, as_json: bool, quiet: bool, device: str,
                  isolation: str | None, timeout: float | None, fail_under: float | None,
                  submission_metadata: Path | None, course: Path | None) -> None:
    """Grade the submission in PATH (laid out like exercises/) with visible and hidden checks."""
    root = course_root(course)
    spec = load_manifest(root)
    if not (root / "solutions").is_dir():
        raise click.UsageError(f"{root} has no solutions/: grading with the hidden checks needs the instructor's "
                               "kit. To run the visible checks on your exercises, use `autograder check`.")
    try:
        spec.select(list(exercise_names) or None)
    except KeyError as exc:
        raise click.BadParameter(exc.args[0], param_hint="--exercise") from None
    isolation = isolation_of_record(isolation)
    try:
        with Grader(root, isolation=isolation) as grader:
            report = grader.grade(path, GradeOptions(exercises=exercise_names or None, device=device,
                                                     timeout=timeout))
    except (GraderError, SandboxUnavailable) as exc:
        click.echo(f"grading could not run: {exc}", err=True)
        sys.exit(EXIT_GRADER_ERROR)
    scored = to_gradescope(report)
    if submission_metadata:
        from autograder.classroom.late import apply_charges, late_note
        from autograder.integrations.gradescope_late import SOURCE, metadata_charges

        try:
            found = metadata_charges(submission_metadata, spec, {e.id: e.score for e in report.exercises})
        except (ValueError, KeyError) as exc:
            raise click.ClickException(f"{submission_metadata}: {exc}") from None
        scored = apply_charges(scored, found, SOURCE)
        if found and not as_json:
            click.echo(late_note(found, SOURCE))
    if results:
        write_gradescope(report, results, scored)
    if junit:
        write_junit(report, junit)
    if html:
        from autograder.reports.html import write_html

        write_html(report, html, spec)
    if markdown:
        write_markdown(report, markdown)
    percent = 100.0 * scored["score"] / report.max_score if report.max_score else 100.0
    if as_json:
        click.echo(json.dumps(scored, indent=2, ensure_ascii=False))
    elif quiet:
        click.echo(f"{scored['score']:g}/{report.max_score:g} ({percent:.0f}%)")
    else:
        print_grade(report, make_console())
    if fail_under is not None and percent < fail_under:
        click.echo(f"score {percent:.1f}% is below --fail-under {fail_under:g}%", err=True)
        sys.exit(EXIT_BELOW_THRESHOLD)


@main.command()
@click.option("--check", "check_only", is_flag=True, help="Only report differences; exit 1 if exercises/ is stale.")
@course_option
def generate(check_only: bool, course: Path | None) -> None:
    """Write exercises/ (stubs, visible tests, READMEs) from solutions/ and course.yml."""
    from autograder.generate import GenerateError, diff_exercises, write_exercises

    root = course_root(course)
    spec = load_manifest(root)
    try:
        if check_only:
            differences = diff_exercises(root, spec)
            for line in differences:
                click.echo(line)
            if differences:
                sys.exit(1)
            click.echo("exercises/ is up to date")
        else:
            changed = write_exercises(root, spec)
            click.echo(f"wrote {len(changed)} file(s) under exercises/")
    except GenerateError as exc:
        raise click.ClickException(str(exc)) from None


@main.command(name="new")
@click.argument("exercise_id")
@click.option("--title", help="The exercise's title (default: from its name).")
@course_option
def new(exercise_id: str, title: str | None, course: Path | None) -> None:
    """Start exercise EXERCISE_ID, such as 10_topic: solutions/EXERCISE_ID/ with a module, a check file and a
    probe file, its course.yml entry and its student files."""
    from autograder.generate import GenerateError
    from autograder.generate.scaffold import new_exercise

    root = course_root(course)
    load_manifest(root)
    try:
        _, written = new_exercise(root, exercise_id, title)
    except GenerateError as exc:
        raise click.ClickException(str(exc)) from None
    for path in written:
        click.echo(f"wrote {path.relative_to(root)}")


@main.group()
def gradescope() -> None:
    """Gradescope: build the autograder package."""


@gradescope.command(name="build")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@course_option
def gradescope_build(out: Path, course: Path | None) -> None:
    """Write OUT (a .zip to upload as a Gradescope autograder): setup.sh, run_autograder and the kit."""
    from autograder.integrations.gradescope import PackageError, build_package

    root = course_root(course)
    load_manifest(root)
    try:
        names = build_package(root, out)
    except PackageError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {out} ({len(names)} files): upload it as the assignment's autograder")


@main.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-hints", is_flag=True, help="Leave the hints out of the release's course.yml.")
@click.option("--ci", is_flag=True, help="Add a GitHub Actions workflow that runs the practice checks.")
@course_option
def release(out: Path, no_hints: bool, ci: bool, course: Path | None) -> None:
    """Write OUT, the student repository: exercises/, a public course.yml, the engine, a README; no solutions,
    no hidden checks."""
    from autograder.generate import GenerateError
    from autograder.integrations.release import ReleaseError, write_release

    root = course_root(course)
    spec = load_manifest(root)
    try:
        names = write_release(root, spec, out, hints=not no_hints, ci=ci)
    except (GenerateError, ReleaseError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {out} ({len(names)} files): the student repository")


@main.command(name="ci-template")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), required=False)
def ci_template(path: Path | None) -> None:
    """Print the GitHub Actions workflow for a student repository, or write it to PATH
    (e.g. .github/workflows/autograder.yml)."""
    from autograder.integrations.ci import workflow_text, write_workflow

    if path is None:
        click.echo(workflow_text(), nl=False)
    else:
        write_workflow(path)
        click.echo(f"wrote {path}")
