"""Shared fixtures for the kit's own test suite."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def course_root() -> Path:
    return ROOT


@pytest.fixture
def make_submission(tmp_path: Path):
    """Build a submission folder: {exercise: source-or-None}; None copies the reference solution."""

    def build(modules: dict[str, str | None], name: str = "sub") -> Path:
        from autograder.course import load_course

        course = load_course(ROOT / "course.yml")
        folder = tmp_path / name
        for exercise_id, source in modules.items():
            exercise = course.exercise(exercise_id)
            target = folder / exercise_id
            target.mkdir(parents=True)
            if source is None:
                shutil.copy(ROOT / "solutions" / exercise_id / exercise.module, target / exercise.module)
            else:
                (target / exercise.module).write_text(source)
        return folder

    return build


def reference_source(exercise_id: str, module: str) -> str:
    """The reference solution's text."""
    return (ROOT / "solutions" / exercise_id / module).read_text()
