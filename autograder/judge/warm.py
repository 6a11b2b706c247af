"""One warm sandbox per grading process (a grade-all worker, an `nbgrader autograde` run): each student is written into
the same folder, which the sandbox keeps in view.

This is how `autograder check --watch` and the corpus tests grade one submission after another: the fork server never
runs submitted code, and every probe imports the submission afresh in a new child, so a student meets the server as a
fresh sandbox would start it (one that kills the server gets a new one). The worker pays the sandbox's start-up (the
torch import) once, not once per student. The folder is emptied, never replaced, between students.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from typing import Any

from autograder.judge.engine import close_sessions, grade, process_reference
from autograder.judge.pool import SharedReference
from autograder.judge.session import Session
from autograder.results import GradeReport


class WarmFolder:
    """This process's grading folder and the sandboxes kept warm on it (and on the shared reference)."""

    def __init__(self, reference: SharedReference) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="autograder-warm-"))
        self.submission = self.root / "submission"
        self.submission.mkdir()
        self.reference = reference
        self.sessions: dict[Path, Session] = {reference.session.submission: reference.session}
        atexit.register(self.close)

    def place(self, folder: Path) -> Path:
        """Empty the grading folder and copy `folder`'s contents into it; return the grading folder."""
        for path in list(self.submission.iterdir()):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        shutil.copytree(folder, self.submission, symlinks=True, dirs_exist_ok=True)
        return self.submission

    def close(self) -> None:
        """Close the student sandboxes (the reference's is the process's own) and remove the folder."""
        close_sessions({k: s for k, s in self.sessions.items() if s is not self.reference.session})
        self.sessions.clear()
        shutil.rmtree(self.root, ignore_errors=True)


_WARM: dict[tuple[Path, str | None], WarmFolder] = {}


def warm_folder(course_root: Path, isolation: str | None, reference: SharedReference) -> WarmFolder:
    """This process's warm folder for the course (made on first use)."""
    key = (course_root.resolve(), isolation)
    if key not in _WARM:
        _WARM[key] = WarmFolder(reference)
    return _WARM[key]


def grade_warm(folder: Path, course_root: Path, *, isolation: str | None, **options: Any) -> GradeReport:
    """Grade `folder` (laid out like exercises/) with the instructor's checks, in this process's warm folder and
    against its reference sandbox; `options` go to grade()."""
    reference = process_reference(course_root, isolation=isolation)
    warm = warm_folder(course_root, isolation, reference)
    return grade(warm.place(folder), course_root, isolation=isolation, shared_reference=reference,
                 sessions=warm.sessions, **options)
