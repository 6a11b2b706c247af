"""The per-student job, the same locally and on a Dask worker: unpack if needed, grade, render the reports."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import threading
from dataclasses import dataclass
from html import escape
from pathlib import Path

from rich.console import Console

from autograder.classroom.discover import Student, UnsafeArchive, graded_folder_problem, safe_extract, submission_root
from autograder.classroom.late import apply_charges, charges, late_note, read_extensions
from autograder.classroom.store import Outcome
from autograder.classroom.submitted import Submitted
from autograder.course import load_course
from autograder.judge.grader import GradeOptions, process_grader
from autograder.reports.gradescope import to_gradescope
from autograder.reports.html import render_html
from autograder.reports.terminal import print_grade
from autograder.results import CheckResult, ExerciseResult, GradeReport


@dataclass(frozen=True)
class Settings:
    """How every student of a run is graded."""

    course_root: Path
    exercises: tuple[str, ...] = ()
    device: str = "auto"
    timeout: float | None = None
    isolation: str | None = None
    extensions: Path | None = None         # per-student due dates (late.read_extensions)

    @property
    def key(self) -> str:
        """Changes when the grading would change: the chosen exercises, time limit, course.yml, device, isolation,
        extensions."""
        text = (self.course_root / "course.yml").read_text()
        extensions = self.extensions.read_text() if self.extensions else ""
        blob = json.dumps([sorted(self.exercises), self.timeout, self.device, self.isolation, text, extensions])
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Job:
    """Grade one student with `settings`."""

    student: Student
    submission_hash: str
    settings: Settings
    submitted: Submitted | None = None     # when the course has deadlines

    @property
    def key(self) -> str:
        """The settings' key, and the submission time when it counts: a changed time regrades."""
        if self.submitted is None:
            return self.settings.key
        blob = f"{self.settings.key} {self.submitted.at.isoformat()} {self.submitted.source}"
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


_ONE_AT_A_TIME = threading.Lock()  # a multi-threaded (Dask) worker still grades one submission at a time
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def one_thread() -> None:
    """One torch/BLAS thread in this process (a worker grades one submission at a time)."""
    os.environ.update(ONE_THREAD)


def _refused(settings: Settings, student: Student, reason: str) -> GradeReport:
    """A report with every check failed by `reason` (an archive that could not be unpacked)."""
    course = load_course(settings.course_root / "course.yml")
    exercises = [ExerciseResult(e.id, e.title, [CheckResult(e.id, c.id, c.title, c.points, "failed", reason,
                                                            c.visibility, c.hint) for c in e.checks])
                 for e in course.select(list(settings.exercises) or None)]
    return GradeReport(submission=str(student.source), exercises=exercises, device="-", isolation="not run",
                       isolation_level="none")


def _text(report: GradeReport) -> str:
    buffer = io.StringIO()
    print_grade(report, Console(file=buffer, width=110, no_color=True, highlight=False))
    return buffer.getvalue()


def run_job(job: Job) -> Outcome:
    """Grade one student. Raises GraderError/SandboxUnavailable when the grader itself could not run."""
    one_thread()
    with _ONE_AT_A_TIME:
        return _run(job)


def _grade(settings: Settings, student: Student, tmp: Path) -> tuple[GradeReport, str]:
    """The student's report, and a note when the submission was refused before grading.

    The submission is graded in a copy made by this worker's warm grader (autograder.judge.grader).
    """
    folder = student.source
    problem = student.refused or None
    if not problem and student.is_archive:
        folder = tmp / "unpacked"
        try:
            safe_extract(student.source, folder)
        except UnsafeArchive as exc:
            problem = str(exc)
    root = submission_root(folder) if not problem else folder
    problem = problem or graded_folder_problem(folder, root, settings.course_root)
    if problem:
        note = f"submission refused: {problem}"
        return _refused(settings, student, note), note
    options = GradeOptions(exercises=settings.exercises or None, device=settings.device, timeout=settings.timeout)
    return process_grader(settings.course_root, settings.isolation).grade_copy(root, options), ""


def _run(job: Job) -> Outcome:
    settings, student = job.settings, job.student
    with tempfile.TemporaryDirectory(prefix="grade-all-") as tmp:
        report, note = _grade(settings, student, Path(tmp))
    report.submission = f"{student.id} ({student.source.name})"
    course = load_course(settings.course_root / "course.yml")
    scores = {e.id: e.score for e in report.exercises}
    found, results, text, html = [], to_gradescope(report), _text(report), render_html(report, course)
    if job.submitted is not None:
        extensions = read_extensions(settings.extensions) if settings.extensions else {}
        found = charges(course, scores, job.submitted.at, student=student.id, extensions=extensions)
        results = apply_charges(results, found, job.submitted.source)
        if found:
            note = late_note(found, job.submitted.source)
            text = note + "\n\n" + text
            html = html.replace("<body>", f'<body>\n<pre class="late-note">{escape(note)}</pre>', 1)
    return Outcome(student=student.id, submission_hash=job.submission_hash, key=job.key,
                   results=results, report=text, html=html,
                   exercises=scores, max_exercises={e.id: e.max_score for e in report.exercises}, note=note,
                   late_penalty=round(sum(c.points for c in found), 6),
                   late_exercises={c.exercise: c.points for c in found},
                   submitted_at=job.submitted.at.isoformat() if job.submitted else "",
                   submitted_from=job.submitted.source if job.submitted else "")
