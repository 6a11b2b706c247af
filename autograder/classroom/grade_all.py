"""`autograder grade-all`: find the students, grade those not yet graded, then write the gradebook and summary."""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from autograder.classroom.cluster import run_cluster
from autograder.classroom.discover import discover, student_hash
from autograder.classroom.gradebook import write_gradebook
from autograder.classroom.job import Job, Settings
from autograder.classroom.regrade import keep_previous, write_course_digest, write_regrade
from autograder.classroom.store import Store
from autograder.classroom.submitted import FROM_MTIME, read_submitted_at, submission_time
from autograder.classroom.summary import write_summary
from autograder.classroom.workers import run_local
from autograder.course import load_course


@dataclass
class ClassRun:
    """What one `grade-all` run did."""

    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)        # already graded, submission unchanged
    errors: dict[str, str] = field(default_factory=dict)     # student → why the grader could not grade it
    timed_by_mtime: list[str] = field(default_factory=list)  # deadlines applied to the folder's modification time
    summary: str = ""
    regrade: str = ""                                        # with regrade=True: who changed, and why
    similarity: str = ""                                     # the flagged pairs, one per line


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(), TextColumn("elapsed"),
                    TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console)


def grade_all(submissions: Path, settings: Settings, out: Path, *, jobs: int = 1, force: bool = False,
              cluster: object | None = None, console: Console | None = None,
              submitted_at: Path | None = None, regrade: bool = False,
              similarity: list[Path] | None = None) -> ClassRun:
    """Grade every student in `submissions` into `out` (locally on `jobs` processes, or on a Dask `cluster`).

    When course.yml has deadlines, each submission's time comes from `submitted_at` (a CSV), else its file name,
    else its files' modification time (listed in the run's `timed_by_mtime`). `regrade` grades every student
    again, keeps the previous gradebook under OUT/previous/ and writes regrade.csv and regrade.txt.
    `similarity` (a list of extra boilerplate files, maybe empty) writes the similarity report to OUT/similarity/.
    """
    console = console or Console()
    store = Store(out)
    previous = keep_previous(out) if regrade else None
    force = force or regrade
    course = load_course(settings.course_root / "course.yml")
    exercises = [e.id for e in course.select(list(settings.exercises) or None)]
    timed = course.deadline is not None or any(course.exercise(e).deadline for e in exercises)
    times = read_submitted_at(submitted_at, course.timezone) if timed and submitted_at else {}
    students = discover(submissions, out / "unpacked")
    run, todo, keys = ClassRun(), [], {}
    for student in students:
        digest = student_hash(student)
        submitted = submission_time(student.id, student.source, times, course.timezone) if timed else None
        if submitted is not None and submitted.source == FROM_MTIME:
            run.timed_by_mtime.append(student.id)
        job = Job(student, digest, settings, submitted)
        keys[student.id] = job.key
        if not force and store.is_current(student.id, digest, job.key):
            run.skipped.append(student.id)
        else:
            todo.append(job)
    console.print(f"{len(students)} students: {len(todo)} to grade, {len(run.skipped)} already graded"
                  + (f", on the Dask cluster {cluster}" if cluster else f", {jobs} worker(s)"))
    finished = run_cluster(todo, cluster, store) if cluster else run_local(todo, jobs, store)
    with _progress(console) as progress, closing(finished):
        task = progress.add_task("grading", total=len(todo))
        for job, answer in finished:
            if isinstance(answer, str):
                run.errors[job.student.id] = answer
                progress.console.print(f"! {job.student.id}: not graded, the grader failed: {answer}", style="magenta",
                                       markup=False, soft_wrap=True)
            else:
                run.graded.append(job.student.id)
                score, max_score = answer.results["score"], answer.results["max_score"]
                progress.console.print(f"✓ {job.student.id}: {score:g}/{max_score:g}" +
                                       (f"  ({answer.note})" if answer.note else ""), markup=False, soft_wrap=True)
            progress.advance(task)
    stored = {sid: item for sid, item in store.outcomes([s.id for s in students]).items()
              if item[0]["key"] == keys[sid]}
    write_gradebook(out / "gradebook.csv", exercises, stored)
    refused = {sid: manifest["note"] for sid, (manifest, _) in stored.items() if manifest.get("note")}
    write_course_digest(out, settings.course_root)
    run.summary = write_summary(out, [results for _, results in stored.values()], refused)
    if previous is not None:
        run.regrade = write_regrade(previous, out)
    if similarity is not None:
        from autograder.classroom.similarity_report import flagged_lines, similarity_report

        run.similarity = flagged_lines(similarity_report(students, settings.course_root, out / "similarity",
                                                         exercises=exercises, extra=similarity))
    return run
