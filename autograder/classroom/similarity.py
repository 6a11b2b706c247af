"""Similarity between students' code, per exercise, with copydetect's winnowed fingerprints (as MOSS does).

What every student starts from is not evidence: the exercise's stub (given code, signatures, docstrings, TODO lines),
the code in the course's hints, and any `extra` boilerplate (e.g. the tutorial's code the course follows) are
fingerprinted and left out. A notebook is compared on its answer cells (nbgrader's solution cells).
A pair is flagged when either side's similarity reaches `threshold` and they share at least `min_tokens`
filtered characters beyond the boilerplate (short answers match by chance).
"""

from __future__ import annotations

import io
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.course.schema import Course, Exercise

NOISE = 25          # copydetect's k: matches shorter than this many filtered characters are noise
GUARANTEE = 30      # matches at least this long are always found (winnowing window = GUARANTEE - NOISE + 1)
THRESHOLD = 0.5
MIN_TOKENS = 100
_HINT_CODE = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Code:
    """One student's code for one exercise."""

    student: str
    name: str          # the file it came from, relative to the submission
    text: str


@dataclass(frozen=True)
class Pair:
    """Two students' similarity on one exercise (each side: the share of its own code found in the other)."""

    exercise: str
    a: Code
    b: Code
    similarity_a: float
    similarity_b: float
    overlap: int                       # filtered characters in common, beyond the boilerplate
    slices_a: np.ndarray
    slices_b: np.ndarray

    @property
    def score(self) -> float:
        return max(self.similarity_a, self.similarity_b)

    def flagged(self, threshold: float, min_tokens: int) -> bool:
        return self.score >= threshold and self.overlap >= min_tokens


def answer_cells(notebook: Path) -> str:
    """The source of a notebook's answer cells (nbgrader solution cells; every code cell when none is marked)."""
    cells = [c for c in json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
             if c.get("cell_type") == "code"]
    answers = [c for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")] or cells
    return "\n\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in answers)


def student_code(folder: Path, exercise: Exercise) -> tuple[str, str] | None:
    """(file name, code) of the student's module for `exercise`, or of its notebook's answer cells; None if absent."""
    module = folder / exercise.id / exercise.module
    if module.is_file():
        return f"{exercise.id}/{exercise.module}", module.read_text(encoding="utf-8", errors="replace")
    notebooks = sorted((folder / exercise.id).glob("*.ipynb")) if (folder / exercise.id).is_dir() else []
    if notebooks:
        return notebooks[0].relative_to(folder).as_posix(), answer_cells(notebooks[0])
    return None


def boilerplate_texts(course_root: Path, exercise: Exercise, extra: list[Path]) -> list[str]:
    """What every student starts from: the exercise's stub, the code in its hints, and the `extra` files."""
    texts = []
    stub = course_root / "exercises" / exercise.id / exercise.module
    if stub.is_file():
        texts.append(stub.read_text(encoding="utf-8"))
    texts.append("\n".join(m.group(1) for hint in exercise.hints for m in _HINT_CODE.finditer(hint)))
    texts += [path.read_text(encoding="utf-8", errors="replace") for path in extra]
    return [text for text in texts if text.strip()]


def _fingerprint(text: str, win_size: int, boilerplate: np.ndarray | None = None):
    from copydetect import CodeFingerprint

    return CodeFingerprint("code.py", NOISE, win_size, boilerplate=boilerplate, fp=io.StringIO(text))


def compare_exercise(exercise: str, codes: list[Code], boilerplate: list[str]) -> list[Pair]:
    """Every pair of `codes`, most similar first."""
    from copydetect import compare_files

    hashes = [h for text in boilerplate for h in _fingerprint(text, 1).hashes]
    skip = np.unique(np.array(hashes)) if hashes else None
    prints = [_fingerprint(code.text, GUARANTEE - NOISE + 1, skip) for code in codes]
    pairs = []
    for (i, a), (j, b) in itertools.combinations(enumerate(codes), 2):
        overlap, (sim_a, sim_b), (slices_a, slices_b) = compare_files(prints[i], prints[j])
        pairs.append(Pair(exercise, a, b, float(sim_a), float(sim_b), int(overlap), slices_a, slices_b))
    return sorted(pairs, key=lambda p: (-p.score, -p.overlap, p.a.student, p.b.student))


def class_similarity(folders: dict[str, Path], course: Course, course_root: Path, *,
                     exercises: list[str] | None = None, extra: list[Path] | None = None) -> dict[str, list[Pair]]:
    """exercise id → its ranked pairs, for the students' submission folders (student id → folder)."""
    ranked = {}
    for exercise in course.exercises:
        if exercises and exercise.id not in exercises:
            continue
        codes = []
        for student, folder in sorted(folders.items()):
            found = student_code(folder, exercise)
            if found is not None and found[1].strip():
                codes.append(Code(student, *found))
        if len(codes) >= 2:
            ranked[exercise.id] = compare_exercise(exercise.id, codes,
                                                   boilerplate_texts(course_root, exercise, extra or []))
    return ranked
