"""Each exercise's last mutation report (solutions/NN_topic/mutation.md, written by benchmarks/mutation_score.py)
was run against the check and probe files the exercise has now: a report goes stale when they change after it.
Every exercise keeps one; the mutation run itself is a benchmark, outside CI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograder.course import load_course
from autograder.course.mutation_report import REPORT_FILE, checks_digest, digest_line, recorded_digest

ROOT = Path(__file__).resolve().parents[1]
COURSE = load_course(ROOT / "course.yml")


@pytest.mark.parametrize("exercise", COURSE.exercises, ids=[e.id for e in COURSE.exercises])
def test_report_matches_current_checks(exercise) -> None:
    folder = ROOT / "solutions" / exercise.id
    assert (folder / REPORT_FILE).is_file(), (
        f"{exercise.id} has no mutation report; run `python benchmarks/mutation_score.py --exercise {exercise.id}`")
    recorded = recorded_digest((folder / REPORT_FILE).read_text())
    assert recorded is not None, f"{folder / REPORT_FILE} records no checks digest"
    assert recorded == checks_digest(folder, exercise), (
        f"{exercise.id}: its checks or probes changed after its mutation report; run "
        f"`python benchmarks/mutation_score.py --exercise {exercise.id}` again (it rewrites {REPORT_FILE})")


def test_digest_changes_with_checks_and_probes(tmp_path: Path) -> None:
    exercise = COURSE.exercises[0]
    for name in (exercise.test_file, "probes.py"):
        shutil.copyfile(ROOT / "solutions" / exercise.id / name, tmp_path / name)
    before = checks_digest(tmp_path, exercise)
    assert recorded_digest(f"# report\n\n{digest_line(tmp_path, exercise)}\n") == before
    seen = {before}
    for name in (exercise.test_file, "probes.py"):
        (tmp_path / name).write_text((tmp_path / name).read_text() + "\n# changed\n")
        seen.add(checks_digest(tmp_path, exercise))
    assert len(seen) == 3, "a change to the check file or to the probe file must change the digest"
