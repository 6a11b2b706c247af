"""Shared fixtures for the kit's own test suite."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from corpus import WarmSandboxes

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("OMP_NUM_THREADS", "1")


def _choose_isolation() -> None:
    """Without bubblewrap, `grade`, `grade-all`, the Gradescope script and nbgrader's autograde refuse to grade unless
    the level is chosen: the suite then chooses the practice level, explicitly (tests of that refusal unset it)."""
    from autograder.sandbox.detect import ENV_VAR, bwrap_problem

    if bwrap_problem() is not None:
        os.environ.setdefault(ENV_VAR, "process")


_choose_isolation()


# Test files by cost, heaviest first. `pytest -n auto --dist loadfile --no-loadscope-reorder` hands each worker the
# next file as it frees up, so the long files start first and the workers finish together; a serial run only
# changes the order of the files.
HEAVIEST_FIRST = ("test_nbgrader.py", "test_corpus_attacks.py", "test_corpus.py", "test_notebook_editors.py",
                  "test_classroom.py", "test_late.py", "test_cli.py", "test_grading.py", "test_student_loop.py",
                  "test_release.py", "test_reports.py", "test_similarity.py", "test_integrations.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(HEAVIEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: each file keeps its own order


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


@pytest.fixture(scope="session")
def warm_sandboxes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarmSandboxes]:
    """The corpus's sandboxes, kept warm from case to case (see corpus.WarmSandboxes)."""
    from corpus import WarmSandboxes

    warm = WarmSandboxes(tmp_path_factory.mktemp("corpus"))
    yield warm
    warm.close()
