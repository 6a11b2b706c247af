"""Similarity between students' code, per exercise, with copydetect's winnowed fingerprints (as MOSS does).

What every student starts from is not evidence. Each student's code is first cut down to what they wrote: the lines
of the exercise's stub (given code, signatures, docstrings, TODO lines) are taken out; then the k-grams of the stub,
of the code in the course's hints and of any `extra` boilerplate (e.g. the tutorial's code the course follows) are
not counted as shared. A notebook is compared on its answer cells (nbgrader's solution cells).
A side's similarity is the share of the code they wrote (normalised: names, strings, spacing) found in the other's
beyond the boilerplate, divided by at least MIN_LENGTH characters (so that two short answers are not 100 % alike).
A pair is flagged when either side's similarity reaches `threshold` and they share at least `min_tokens`
normalised characters (short answers match by chance).
"""

from __future__ import annotations

import difflib
import io
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.course.schema import Course, Exercise

NOISE = 25          # copydetect's k: matches shorter than this many normalised characters are noise
# Every k-gram is kept (a winnowing window of 1): copydetect hashes with Python's hash(), which changes from one
# process to the next, so a wider window would pick other fingerprints, and other scores, on every run.
WINDOW = 1
THRESHOLD = 0.5     # flag a pair when this share of either side's code is found in the other ...
MIN_TOKENS = 100    # ... and they share at least this many normalised characters
MIN_LENGTH = 200    # a side's similarity is divided by at least this: a few lines alike are not 100 % alike
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


def written(code: str, stub: str, common: frozenset[str] = frozenset()) -> str:
    """What the student wrote: the lines of `code` that are not the stub's (matched in order) nor, once stripped,
    one of the `common` lines (the boilerplate's, e.g. the tutorial's lines written as it writes them)."""
    lines, given = code.splitlines(), stub.splitlines()
    matcher = difflib.SequenceMatcher(None, [l.strip() for l in given], [l.strip() for l in lines], autojunk=False)
    kept = []
    for tag, _, _, start, end in matcher.get_opcodes():
        if tag in ("insert", "replace"):
            kept += [line for line in lines[start:end] if line.strip() not in common]
    return "\n".join(kept) + "\n"


def boilerplate_texts(course_root: Path, exercise: Exercise, extra: list[Path]) -> list[str]:
    """What every student starts from: the exercise's stub, the code in its hints, and the `extra` files."""
    texts = []
    stub = course_root / "exercises" / exercise.id / exercise.module
    if stub.is_file():
        texts.append(stub.read_text(encoding="utf-8"))
    texts.append("\n".join(m.group(1) for hint in exercise.hints for m in _HINT_CODE.finditer(hint)))
    texts += [path.read_text(encoding="utf-8", errors="replace") for path in extra]
    return [text for text in texts if text.strip()]


def _fingerprint(text: str, win_size: int, boilerplate: frozenset[int] = frozenset()):
    """copydetect's fingerprint of `text`, without any boilerplate k-gram.

    The boilerplate is taken out here rather than by CodeFingerprint(boilerplate=...): copydetect 0.5 removes only
    the first occurrence of a boilerplate hash that the code holds several times (np.intersect1d with
    assume_unique on a list with repeats), so boilerplate written twice still counted as shared.
    """
    from copydetect import CodeFingerprint
    from copydetect.utils import get_token_coverage

    fingerprint = CodeFingerprint("code.py", NOISE, win_size, fp=io.StringIO(text))
    if boilerplate:
        fingerprint.hashes = fingerprint.hashes - boilerplate
        fingerprint.hash_idx = {h: i for h, i in fingerprint.hash_idx.items() if h not in boilerplate}
        fingerprint.token_coverage = get_token_coverage(fingerprint.hash_idx, NOISE, len(fingerprint.filtered_code))
    return fingerprint


def compare_exercise(exercise: str, codes: list[Code], boilerplate: list[str]) -> list[Pair]:
    """Every pair of `codes` (each already cut down to what the student wrote), most similar first."""
    from copydetect import compare_files

    skip = frozenset(h for text in boilerplate for h in _fingerprint(text, 1).hashes)
    prints = [_fingerprint(code.text, WINDOW, skip) for code in codes]
    pairs = []
    for (i, a), (j, b) in itertools.combinations(enumerate(codes), 2):
        overlap, (cov_a, cov_b), (slices_a, slices_b) = compare_files(prints[i], prints[j])
        # copydetect divides by the fingerprinted part (boilerplate left out): here, by all the student wrote
        sim_a = cov_a * prints[i].token_coverage / max(len(prints[i].filtered_code), MIN_LENGTH)
        sim_b = cov_b * prints[j].token_coverage / max(len(prints[j].filtered_code), MIN_LENGTH)
        pairs.append(Pair(exercise, a, b, float(sim_a), float(sim_b), int(overlap), slices_a, slices_b))
    return sorted(pairs, key=lambda p: (-p.score, -p.overlap, p.a.student, p.b.student))


def class_similarity(folders: dict[str, Path], course: Course, course_root: Path, *,
                     exercises: list[str] | None = None, extra: list[Path] | None = None) -> dict[str, list[Pair]]:
    """exercise id → its ranked pairs, for the students' submission folders (student id → folder)."""
    ranked = {}
    for exercise in course.exercises:
        if exercises and exercise.id not in exercises:
            continue
        stub_path = course_root / "exercises" / exercise.id / exercise.module
        stub = stub_path.read_text(encoding="utf-8") if stub_path.is_file() else ""
        boilerplate = boilerplate_texts(course_root, exercise, extra or [])
        common = frozenset(line.strip() for text in boilerplate for line in text.splitlines() if line.strip())
        codes = []
        for student, folder in sorted(folders.items()):
            found = student_code(folder, exercise)
            own = written(found[1], stub, common) if found is not None else ""
            if own.strip():
                codes.append(Code(student, found[0], own))
        if len(codes) >= 2:
            ranked[exercise.id] = compare_exercise(exercise.id, codes, boilerplate)
    return ranked
