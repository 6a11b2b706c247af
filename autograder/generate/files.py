"""Write the generated exercises to disk, or compare them with what is there."""

from __future__ import annotations

import difflib
from pathlib import Path

from autograder.course import Course

from .build import CONFTEST, build_all

EXERCISES = "exercises"
_IGNORED_PARTS = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints", ".DS_Store"}
_MAX_DIFF_LINES = 40


def write_exercises(course_root: Path, course: Course, out_dir: Path | None = None) -> list[Path]:
    """Write every exercise folder under ``out_dir`` (default: exercises/); return the paths changed.

    In each exercise folder, files the generator does not make are removed; nothing
    outside the exercise folders is touched. Nothing is written if generation fails.
    """
    out_dir = out_dir if out_dir is not None else course_root / EXERCISES
    files = build_all(course_root, course)
    changed: list[Path] = []
    for name, content in files.items():
        path = out_dir / name
        data = content.encode("utf-8")
        if not path.is_file() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            changed.append(path)
    for exercise in course.exercises:
        for name in _existing(out_dir, exercise.id):
            if name not in files:
                (out_dir / name).unlink()
                changed.append(out_dir / name)
        _remove_empty_dirs(out_dir / exercise.id)
    return changed


def diff_exercises(course_root: Path, course: Course) -> list[str]:
    """Differences between exercises/ and what the generator makes (empty when up to date)."""
    out_dir = course_root / EXERCISES
    files = build_all(course_root, course)
    existing = {name for exercise in course.exercises for name in _existing(out_dir, exercise.id)}
    existing |= {CONFTEST} if (out_dir / CONFTEST).is_file() else set()
    differences = []
    for name in sorted(files.keys() | existing):
        label = f"{EXERCISES}/{name}"
        if name not in existing:
            differences.append(f"{label}: missing (the generator makes it)")
        elif name not in files:
            differences.append(f"{label}: not made by the generator (stale)")
        else:
            committed = (out_dir / name).read_bytes().decode("utf-8", errors="replace")
            if committed != files[name]:
                differences.append(
                    f"{label}: differs from the generated file\n{_short_diff(committed, files[name], label)}"
                )
    return differences


def _existing(out_dir: Path, exercise_id: str) -> list[str]:
    """Files under one exercise folder, relative to ``out_dir``, caches left out."""
    folder = out_dir / exercise_id
    if not folder.is_dir():
        return []
    return sorted(
        path.relative_to(out_dir).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and not _IGNORED_PARTS.intersection(path.parts) and path.suffix != ".pyc"
    )


def _remove_empty_dirs(folder: Path) -> None:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def _short_diff(committed: str, generated: str, label: str) -> str:
    lines = list(
        difflib.unified_diff(
            committed.splitlines(), generated.splitlines(), f"{label} (on disk)", f"{label} (generated)", lineterm=""
        )
    )
    if len(lines) > _MAX_DIFF_LINES:
        lines = [*lines[:_MAX_DIFF_LINES], f"... ({len(lines) - _MAX_DIFF_LINES} more lines)"]
    return "\n".join(lines)
