"""The results folder of a class: one folder per student, written atomically, and a log of every grading.

    OUT/students/<id>/results.json   Gradescope format
    OUT/students/<id>/report.txt     the terminal report, as text
    OUT/students/<id>/report.html    the HTML report (scores, messages, hints, loss curves), one file
    OUT/students/<id>/manifest.json  submission hash, grading key, scores: written last, it marks the student done
    OUT/grading.log                  one JSON line per committed grading (how many times each student was graded)
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Outcome:
    """What grading one student produced, ready to store."""

    student: str
    submission_hash: str
    key: str                                   # the grading settings (exercises, checks): a change regrades
    results: dict[str, Any]                    # Gradescope results.json
    report: str                                # text report
    exercises: dict[str, float] = field(default_factory=dict)   # exercise id → points
    max_exercises: dict[str, float] = field(default_factory=dict)
    note: str = ""                             # e.g. why an archive was refused
    html: str = ""                             # the self-contained HTML report
    late_penalty: float = 0.0                  # points taken off the total for lateness (results' score is after it)
    late_exercises: dict[str, float] = field(default_factory=dict)   # exercise id → its share of late_penalty
    submitted_at: str = ""                     # ISO submission time, when the course has deadlines
    submitted_from: str = ""                   # where that time came from


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` so that readers see the old file or the whole new one, never a part."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Store:
    """Per-student results under `root`; safe to share between processes writing different students."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "students").mkdir(parents=True, exist_ok=True)

    def folder(self, student: str) -> Path:
        return self.root / "students" / student

    def manifest(self, student: str) -> dict[str, Any] | None:
        try:
            return json.loads((self.folder(student) / "manifest.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def is_current(self, student: str, submission_hash: str, key: str) -> bool:
        """True when this submission was already graded with these settings."""
        manifest = self.manifest(student)
        return manifest is not None and manifest.get("submission_hash") == submission_hash \
            and manifest.get("key") == key and (self.folder(student) / "results.json").is_file()

    def commit(self, outcome: Outcome) -> None:
        """Store one grading: results and report first, then the manifest, then one log line."""
        folder = self.folder(outcome.student)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "manifest.json").unlink(missing_ok=True)  # not done until the new results are all in place
        write_atomic(folder / "results.json", json.dumps(outcome.results, indent=2, ensure_ascii=False))
        write_atomic(folder / "report.txt", outcome.report)
        if outcome.html:
            write_atomic(folder / "report.html", outcome.html)
        manifest = {k: v for k, v in asdict(outcome).items() if k not in ("results", "report", "html")}
        write_atomic(folder / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        line = json.dumps({"student": outcome.student, "submission_hash": outcome.submission_hash}) + "\n"
        with open(self.root / "grading.log", "a", encoding="utf-8") as log:  # O_APPEND: one short write per line
            log.write(line)

    def gradings(self) -> list[str]:
        """The student id of every committed grading, in order (a student graded twice appears twice)."""
        try:
            lines = (self.root / "grading.log").read_text().splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(line)["student"] for line in lines if line.strip()]

    def outcomes(self, students: list[str]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
        """(manifest, results) of each of `students` that has a stored grading."""
        found = {}
        for student in students:
            manifest = self.manifest(student)
            if manifest is not None:
                found[student] = (manifest, json.loads((self.folder(student) / "results.json").read_text()))
        return found
