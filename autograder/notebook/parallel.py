"""Run ``nbgrader autograde`` for several students side by side on one course folder (one gradebook.db)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

LOCKED = "database is locked"
ATTEMPTS = 3


@dataclass
class AutogradeRun:
    """One student's ``nbgrader autograde``: its exit status, attempts and output."""

    student: str
    returncode: int
    attempts: int
    seconds: float
    output: str


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
    return AutogradeRun(student, code, attempt, time.perf_counter() - start, output)


def autograde_parallel(course_dir: Path, assignment: str, jobs: int, students: list[str] | None = None,
                       force: bool = False) -> list[AutogradeRun]:
    """Autograde ``students`` (default: every submission of ``assignment``) with ``jobs`` processes at a time."""
    chosen = students or submitted_students(course_dir, assignment)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(lambda s: autograde_one(course_dir, assignment, s, force), chosen))
