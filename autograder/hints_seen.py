"""Progressive hints for `autograder check --hint`: which hints of each exercise a student has seen.

The count is kept in a small JSON file in the student's exercises folder, so that each `--hint` shows
the next hint, and a student who is still stuck after the last one sees it again.
"""

from __future__ import annotations

import json
from pathlib import Path

from autograder.course import Exercise

STATE_FILE = ".autograder-hints.json"


def _read(state: Path) -> dict[str, int]:
    try:
        data = json.loads(state.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, int)}


def shown(folder: Path, exercise: Exercise) -> int:
    """How many hints of `exercise` were shown so far."""
    return min(_read(folder / STATE_FILE).get(exercise.id, 0), len(exercise.hints))


def next_hint(folder: Path, exercise: Exercise) -> list[tuple[int, str]]:
    """The next unseen hint as [(number, text)] (the last one again once all were seen), remembered as seen."""
    if not exercise.hints:
        return []
    number = min(shown(folder, exercise) + 1, len(exercise.hints))
    state = folder / STATE_FILE
    data = _read(state)
    data[exercise.id] = number
    try:
        state.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    except OSError:
        pass  # a read-only folder: the hint is still shown
    return [(number, exercise.hints[number - 1])]


def all_hints(exercise: Exercise) -> list[tuple[int, str]]:
    """Every hint of `exercise`, numbered."""
    return list(enumerate(exercise.hints, 1))
