"""How much the grader costs on top of the work its checks need.

1. Grade the reference solutions with `autograder grade` machinery (sandbox, fork server, pytest, parent
   verdicts) and record every probe that ran (student side and reference side). The solutions folder
   is both the submission and the reference there, so one sandbox serves both.
2. Replay exactly those probes in ONE bare Python process: import torch once, call each probe
   directly, no sandbox, no fork, no pytest.
3. Grade a copy of the solutions, as a student's submission is graded: a sandbox for it and one for
   the reference, each importing torch and the rest.
4. Print the times and the ratios to the bare run (measured in this one run; the machine is shared
   and noisy).

Usage: python benchmarks/grader_overhead.py [--exercise 07_iris ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

REPLAY = r"""
import sys, time
start = time.perf_counter()
import torch
torch.set_num_threads(1)
from autograder.contract import codec
from autograder.inside import child, guard
bare = type("Bare", (), {"refused": staticmethod(list), "changes": staticmethod(list)})()
guard.install = lambda root, **_: bare  # bare: no audit hook (each call would add one) and nothing hidden
guard.hide_grader_modules = lambda: None
for item in codec.decode(open(sys.argv[1], "rb").read()):
    out = child.run(item["request"])
    assert out["status"] == "ok", out
print(time.perf_counter() - start)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", action="append", help="limit to these exercises")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from autograder.judge.grader import GradeOptions, Grader
    from autograder.contract import codec

    options = GradeOptions(exercises=tuple(args.exercise) if args.exercise else None)
    start = time.perf_counter()
    with Grader(ROOT) as grader:
        report = grader.grade(ROOT / "solutions", options)
    graded = time.perf_counter() - start
    assert report.score == report.max_score, "the reference solutions should get full marks"
    probes = [p for p in report.probes if p["duration"] is not None]
    for item in probes:
        item["request"]["submission"] = str(ROOT / "solutions")
    with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as f:
        f.write(codec.encode(probes))
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:
        out = subprocess.run([sys.executable, "-c", REPLAY, f.name], capture_output=True, text=True, check=True,
                             cwd=workdir, env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)})
    bare = time.perf_counter() - start
    os.unlink(f.name)
    print(f"checks: {len(report.checks)}, probes run: {len(probes)} "
          f"(student {sum(p['who'] == 'student' for p in probes)}, reference {sum(p['who'] == 'reference' for p in probes)})")
    print(f"isolation: {report.isolation}")
    with tempfile.TemporaryDirectory() as folder:
        copy = shutil.copytree(ROOT / "solutions", Path(folder) / "submission")
        start = time.perf_counter()
        with Grader(ROOT) as grader:
            copied = grader.grade(copy, options)
        graded_copy = time.perf_counter() - start
    assert copied.score == copied.max_score, "a copy of the reference solutions should get full marks"
    print(f"autograder grade solutions/: {graded:.1f} s")
    print(f"bare run of the same probes in one process: {bare:.1f} s (inside: {float(out.stdout):.1f} s)")
    print(f"autograder grade <a copy of solutions/>: {graded_copy:.1f} s (two sandboxes)")
    print(f"ratio grade / bare: {graded / bare:.2f}")
    print(f"ratio grade of a copy / bare: {graded_copy / bare:.2f}")


if __name__ == "__main__":
    main()
