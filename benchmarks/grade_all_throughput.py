"""Throughput of `autograder grade-all`: --jobs 2 against --jobs 1, and the cost of the Dask cluster path.

1. Copy the sample submission COUNT times (20) and grade the class with 1 worker, then with 2 workers
   (a fresh results folder each time), restricted to a cheap exercise subset; print the ratio.
2. Grade the same class on a Dask LocalCluster of 2 single-thread workers; print the extra seconds per
   submission compared with the local pool of 2 workers (cluster start-up not counted).
3. From one grading, print how much probe time went to the reference solution: the most that a reference
   session shared across one worker's submissions could save.

Usage: OMP_NUM_THREADS=1 python benchmarks/grade_all_throughput.py [--count 20] [--exercise 01_numpy_regression]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import tempfile
import time
from pathlib import Path

from rich.console import Console

from autograder.classroom.grade_all import grade_all
from autograder.classroom.job import Settings

ROOT = Path(__file__).resolve().parents[1]


def _timed(submissions: Path, settings: Settings, out: Path, **options: object) -> float:
    start = time.perf_counter()
    run = grade_all(submissions, settings, out, console=Console(file=io.StringIO()), **options)
    seconds = time.perf_counter() - start
    assert not run.errors and not run.skipped, run.errors
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--exercise", action="append", help="exercises to grade (default: 01_numpy_regression)")
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = "1"
    settings = Settings(ROOT, tuple(args.exercise or ["01_numpy_regression"]))
    with tempfile.TemporaryDirectory(prefix="grade-all-bench-") as tmp:
        submissions = Path(tmp) / "class"
        for i in range(args.count):
            shutil.copytree(ROOT / "tests" / "submissions" / "sample", submissions / f"student{i:03d}")
        one = _timed(submissions, settings, Path(tmp) / "jobs1", jobs=1)
        two = _timed(submissions, settings, Path(tmp) / "jobs2", jobs=2)
        from distributed import LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            on_dask = _timed(submissions, settings, Path(tmp) / "dask", cluster=cluster.scheduler_address)
        from autograder.grading.engine import grade

        report = grade(submissions / "student000", ROOT, exercises=list(settings.exercises))
    probes = [p for p in report.probes if p["duration"] is not None]
    reference = sum(p["duration"] for p in probes if p["who"] == "reference")
    total = sum(p["duration"] for p in probes)
    print(f"{args.count} submissions, exercises {', '.join(settings.exercises)}, {os.cpu_count()} cores")
    print(f"--jobs 1: {one:.1f} s ({one / args.count:.2f} s per submission)")
    print(f"--jobs 2: {two:.1f} s ({two / args.count:.2f} s per submission)")
    print(f"throughput ratio --jobs 2 / --jobs 1: {one / two:.2f}x")
    print(f"Dask LocalCluster, 2 workers: {on_dask:.1f} s; overhead vs local --jobs 2: "
          f"{(on_dask - two) / args.count:+.2f} s per submission")
    print(f"reference probes: {reference:.2f} s of {total:.2f} s probe time in one grading "
          f"({report.execution_time:.1f} s in all)")


if __name__ == "__main__":
    main()
