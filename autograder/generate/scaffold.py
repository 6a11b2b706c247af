"""`autograder new NN_topic`: a new exercise folder that already passes `generate --check`.

It writes ``solutions/NN_topic/`` (the module with its solution markers, a check file with one visible
check, a probe file with that check's typed probe), appends the exercise to course.yml and generates
its student files. The author then replaces the example function with the exercise's own.
"""

from __future__ import annotations

from pathlib import Path

from autograder.course import Course, load_course
from autograder.course.schema import EXERCISE_ID

from .build import SOLUTIONS
from .files import write_exercises
from .markers import GenerateError

MODULE = '''"""Exercise {number}: {title}.

Say here what the student builds and why, in the words of the tutorial this course follows.
"""

import torch


def double(x: torch.Tensor) -> torch.Tensor:
    """Return twice ``x``.

    Args:
        x: a float tensor of any shape.

    Returns:
        a tensor of the shape of ``x`` holding ``2 * x``.
    """
    # TODO: return x multiplied by 2.
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION
'''

PROBES = '''"""Probes for {exercise_id} ({module}): run the student's code on grader-owned inputs, return plain data."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from typing_extensions import TypedDict

from autograder.inside.observe.plain import describe, to_numpy
from autograder.inside.observe.student import StudentModule
from autograder.inside.probes import probe


class DoubleRun(TypedDict):
    """What `double_run` returns."""

    output: dict[str, Any]
    got: np.ndarray | None
    want: np.ndarray


@probe
def double_run(student: StudentModule, *, device: str, seed: int) -> DoubleRun:
    """double() on a seeded tensor, with the grader's own answer."""
    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(seed))
    got = student.call("double", x)
    return {{"output": describe(got), "got": to_numpy(got) if isinstance(got, torch.Tensor) else None,
            "want": to_numpy(2 * x)}}
'''

CHECKS = '''"""Checks for {exercise_id}. Each test observes your code running in a sandbox on data the grader owns."""

import numpy as np

from autograder.checks import expect


def test_double_values(student):
    out = student.probe("double_run", seed=0)
    expect(out["got"] is not None and np.allclose(out["got"], out["want"]), "a tensor holding twice the input",
           f"{{out['output'].get('type')}} of shape {{out['output'].get('shape')}}", fix="return 2 * x")
'''

ENTRY = '''  - id: {exercise_id}
    title: {title}
    module: {module}
    goals:
      - say what the student learns
    checks:
      - id: double_values
        title: double returns twice its input
        points: 1
'''


def new_exercise(course_root: Path, exercise_id: str, title: str | None = None) -> tuple[Course, list[Path]]:
    """Write the exercise folder, its course.yml entry and its student files; return the course and the paths."""
    if not EXERCISE_ID.fullmatch(exercise_id):
        raise GenerateError([f"'{exercise_id}' should look like NN_lowercase_words, e.g. 10_topic"])
    folder = course_root / SOLUTIONS / exercise_id
    course = load_course(course_root / "course.yml")
    if folder.exists() or any(e.id == exercise_id for e in course.exercises):
        raise GenerateError([f"{exercise_id} exists already (in course.yml or under {SOLUTIONS}/)"])
    topic = exercise_id[3:]
    module = f"{topic}.py"
    values = {"exercise_id": exercise_id, "number": exercise_id[:2], "module": module,
              "title": title or topic.replace("_", " ").capitalize()}
    folder.mkdir(parents=True)
    written = []
    for name, template in ((module, MODULE), (f"test_{module}", CHECKS), ("probes.py", PROBES)):
        (folder / name).write_text(template.format(**values), encoding="utf-8")
        written.append(folder / name)
    manifest = course_root / "course.yml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text + ("" if text.endswith("\n") else "\n") + ENTRY.format(**values), encoding="utf-8")
    course = load_course(manifest)
    return course, [*written, manifest, *write_exercises(course_root, course)]
