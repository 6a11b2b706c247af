"""Run ``nbgrader autograde`` for several students side by side on one course folder (one gradebook.db)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

LOCKED = "database is locked"
ATTEMPTS = 3


@dataclass
class AutogradeRun:
    """One student's ``nbgrader autograde``: its exit status, attempts, output and the score it recorded."""

    student: str
    returncode: int
    attempts: int
    seconds: float
    output: str
    score: tuple[float, float] | None = None   # (points, max points) in gradebook.db after the run


def submitted_students(course_dir: Path, assignment: str) -> list[str]:
    """Students with a submission of ``assignment`` in submitted/, sorted."""
    folder = course_dir / "submitted"
    return sorted(p.name for p in folder.iterdir() if (p / assignment).is_dir()) if folder.is_dir() else []


def _nbgrader() -> list[str]:
    return [sys.executable, "-m", "nbgrader"]


def _environment() -> dict[str, str]:
    """This environment with the interpreter's folder first on PATH (nbgrader runs `alembic` from PATH)."""
    return {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}


def autograde_one(course_dir: Path, assignment: str, student: str, force: bool = False) -> AutogradeRun:
    """``nbgrader autograde ASSIGNMENT --student=ID``; retried (with --force) when SQLite reports a lock."""
    start = time.perf_counter()
    output, code = "", 1
    for attempt in range(1, ATTEMPTS + 1):
        command = [*_nbgrader(), "autograde", assignment, f"--student={student}"]
        if force or attempt > 1:
            command.append("--force")
        done = subprocess.run(command, cwd=course_dir, capture_output=True, text=True, env=_environment())
        output, code = done.stdout + done.stderr, done.returncode
        if code == 0 or LOCKED not in output:
            break
        time.sleep(attempt)
    score = recorded_score(course_dir, assignment, student) if code == 0 else None
    return AutogradeRun(student, code, attempt, time.perf_counter() - start, output, score)


def recorded_score(course_dir: Path, assignment: str, student: str) -> tuple[float, float] | None:
    """(points, max points) of a student's submission in the course's gradebook.db; None if it holds none."""
    from nbgrader.api import Gradebook, MissingEntry

    for attempt in range(1, ATTEMPTS + 1):
        try:
            with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gradebook:
                submission = gradebook.find_submission(assignment, student)
                return submission.score, submission.max_score
        except MissingEntry:
            return None
        except Exception as exc:  # sqlalchemy wraps SQLite's lock error; another student's run is writing
            if LOCKED not in str(exc) or attempt == ATTEMPTS:
                raise
            time.sleep(attempt)
    return None


def autograde_parallel(course_dir: Path, assignment: str, jobs: int, students: list[str] | None = None,
                       force: bool = False) -> Iterator[AutogradeRun]:
    """Autograde ``students`` (default: every submission of ``assignment``) with ``jobs`` processes at a time.

    Yields each student's run as it finishes.
    """
    chosen = students or submitted_students(course_dir, assignment)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(autograde_one, course_dir, assignment, student, force) for student in chosen]
        for future in as_completed(futures):
            yield future.result()
