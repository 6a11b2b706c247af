"""Regrades: the course's digest in each gradebook, and what changed between the previous grading and this one.

    OUT/gradebook.json      the digest of the course the gradebook was graded with (course.yml, every check,
                            probe and reference file under solutions/), file by file
    OUT/previous/           the gradebook, its digest and each student's results before `grade-all --regrade`
    OUT/regrade.csv         one row per student: total before, after, the change, the checks whose verdict changed
    OUT/regrade.txt         the summary: what changed in the course, who changed and by how much
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.classroom.store import write_atomic


def course_files(course_root: Path) -> dict[str, str]:
    """sha256 of course.yml and of every .py file under solutions/ (checks, probes, references), by relative path."""
    paths = [course_root / "course.yml", *sorted((course_root / "solutions").rglob("*.py"))]
    return {p.relative_to(course_root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in paths if p.is_file() and "__pycache__" not in p.parts}


def course_digest(files: dict[str, str]) -> str:
    """One digest for the whole course."""
    return hashlib.sha256(json.dumps(sorted(files.items())).encode()).hexdigest()[:16]


def write_course_digest(out: Path, course_root: Path) -> None:
    """OUT/gradebook.json: the digest of the course the gradebook was graded with."""
    files = course_files(course_root)
    write_atomic(out / "gradebook.json", json.dumps({"course_digest": course_digest(files), "files": files},
                                                    indent=2))


def keep_previous(out: Path) -> Path | None:
    """Move the current gradebook, its digest and each student's results.json under OUT/previous/."""
    if not (out / "gradebook.csv").is_file():
        return None
    previous = out / "previous"
    shutil.rmtree(previous, ignore_errors=True)
    (previous / "students").mkdir(parents=True)
    for name in ("gradebook.csv", "gradebook.json"):
        if (out / name).is_file():
            shutil.copy2(out / name, previous / name)
    for results in (out / "students").glob("*/results.json"):
        (previous / "students" / results.parent.name).mkdir()
        shutil.copy2(results, previous / "students" / results.parent.name / "results.json")
    return previous


@dataclass(frozen=True)
class Change:
    """One student's regrade."""

    student: str
    before: float | None        # None: not graded before
    after: float | None         # None: not graded now
    checks: list[str]           # "check: failed → passed"

    @property
    def delta(self) -> float:
        return (self.after or 0.0) - (self.before or 0.0)


def _graded(folder: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted((folder / "students").glob("*/results.json")):
        found[path.parent.name] = json.loads(path.read_text())
    return found


def _verdicts(results: dict[str, Any]) -> dict[str, str]:
    return {t["name"]: t["status"] for t in results.get("tests", [])}


def changes(previous: Path, out: Path) -> list[Change]:
    """Every student whose total or any check's verdict differs between `previous` and `out`."""
    before, after = _graded(previous), _graded(out)
    found = []
    for student in sorted(set(before) | set(after)):
        old, new = before.get(student), after.get(student)
        old_v, new_v = _verdicts(old or {}), _verdicts(new or {})
        checks = [f"{name}: {old_v.get(name, 'absent')} → {new_v.get(name, 'absent')}"
                  for name in sorted(set(old_v) | set(new_v)) if old_v.get(name) != new_v.get(name)]
        old_score, new_score = (old or {}).get("score"), (new or {}).get("score")
        if checks or old_score != new_score:
            found.append(Change(student, old_score, new_score, checks))
    return found


def _digest_files(folder: Path) -> dict[str, str]:
    try:
        return json.loads((folder / "gradebook.json").read_text())["files"]
    except (FileNotFoundError, KeyError, json.JSONDecodeError):
        return {}


def course_changes(previous: Path, out: Path) -> list[str]:
    """The course files that changed between the two gradings ("unknown" when the previous had no digest)."""
    old, new = _digest_files(previous), _digest_files(out)
    if not old:
        return ["unknown (the previous gradebook has no course digest)"]
    return [f"{path}: {'added' if path not in old else 'removed' if path not in new else 'changed'}"
            for path in sorted(set(old) | set(new)) if old.get(path) != new.get(path)]


def _points(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def write_regrade(previous: Path, out: Path) -> str:
    """OUT/regrade.csv and OUT/regrade.txt; return the summary."""
    found = changes(previous, out)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student_id", "before", "after", "change", "checks_changed"])
    for change in found:
        writer.writerow([change.student, _points(change.before), _points(change.after), f"{change.delta:+g}",
                         "; ".join(change.checks)])
    write_atomic(out / "regrade.csv", buffer.getvalue())
    course = course_changes(previous, out)
    lines = [f"course files changed since the previous grading: {', '.join(course) or 'none'}",
             f"{len(found)} student(s) changed" + (":" if found else "")]
    lines += [f"  {c.student}: {_points(c.before) or '-'} → {_points(c.after) or '-'} ({c.delta:+g})"
              + (f"; {'; '.join(c.checks)}" if c.checks else "") for c in found]
    summary = "\n".join(lines) + "\n"
    write_atomic(out / "regrade.txt", summary)
    return summary
