"""Throughput of `autograder grade-all` on a full-course class: --jobs 2 against --jobs 1, in one run.

Copy the sample submission COUNT times (20; every exercise it has, 07's training-time check included) and grade the
class with 1 worker, then with 2 workers (a fresh results folder each time). Each worker keeps one sandbox warm
across its students and times the reference's training on its own process while that time is fresh
(autograder/judge/grader.py's process_grader and grade_copy, autograder/checks/reference_time.py). Prints the
seconds per submission of each run and the ratio. `--dask` also grades the class on a Dask LocalCluster of 2 workers.

The figures are only as steady as the machine: on a shared machine, compare the ratio of one run, not seconds
across runs. Before and after grading it prints the machine's own ceiling for this kind of work: a one-thread
training loop run alone, then in two processes at once (2 × alone / each-of-two is the most any 2-worker grading
can gain here), and the load average, so a busy or oversubscribed machine shows in the output.

Usage: OMP_NUM_THREADS=1 python benchmarks/grade_all_throughput.py [--count 20] [--exercise 07_iris] [--dask]
"""

from __future__ import annotations

import argparse
import io
import multiprocessing as mp
import os
import shutil
import tempfile
import time
from pathlib import Path

from rich.console import Console

from autograder.classroom.grade_all import grade_all
from autograder.classroom.job import Settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "submissions" / "sample"


def _timed(submissions: Path, settings: Settings, out: Path, **options: object) -> float:
    start = time.perf_counter()
    run = grade_all(submissions, settings, out, console=Console(file=io.StringIO()), **options)
    seconds = time.perf_counter() - start
    assert not run.errors and not run.skipped, run.errors
    return seconds


def _train(epochs: int, results: mp.Queue) -> None:
    """One-thread training of a 4-1024-3 MLP on 112 rows (07's timed model's size), timed after a warm-up."""
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    x, y = torch.randn(112, 4), torch.randint(0, 3, (112,))
    model = torch.nn.Sequential(torch.nn.Linear(4, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 3))
    optimizer, loss_fn = torch.optim.SGD(model.parameters(), lr=1e-4), torch.nn.CrossEntropyLoss()
    for epoch in range(20 + epochs):
        if epoch == 20:
            start = time.perf_counter()
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    results.put(time.perf_counter() - start)


def _each(processes: int, epochs: int) -> float:
    """Mean seconds of one training when `processes` run at once."""
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    running = [ctx.Process(target=_train, args=(epochs, results)) for _ in range(processes)]
    for process in running:
        process.start()
    seconds = [results.get() for _ in running]
    for process in running:
        process.join()
    return sum(seconds) / processes


def _ceiling(epochs: int = 1000) -> str:
    alone, two = _each(1, epochs), _each(2, epochs)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"machine ceiling: one-thread training alone {alone:.2f} s, two at once {two:.2f} s each: "
            f"{2 * alone / two:.2f}x (load average {load})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--exercise", action="append", help="exercises to grade (default: every exercise)")
    parser.add_argument("--dask", action="store_true", help="also grade on a Dask LocalCluster of 2 workers")
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = "1"
    settings = Settings(ROOT, tuple(args.exercise or ()))
    exercises = ", ".join(args.exercise or sorted(p.name for p in SAMPLE.iterdir() if p.is_dir()))
    with tempfile.TemporaryDirectory(prefix="grade-all-bench-") as tmp:
        submissions = Path(tmp) / "class"
        for i in range(args.count):
            shutil.copytree(SAMPLE, submissions / f"student{i:03d}", ignore=shutil.ignore_patterns("case.yml"))
        print(f"{args.count} submissions of the sample ({exercises}), {os.cpu_count()} cores", flush=True)
        print(_ceiling(), flush=True)
        one = _timed(submissions, settings, Path(tmp) / "jobs1", jobs=1)
        print(f"--jobs 1: {one:.1f} s ({one / args.count:.2f} s per submission)", flush=True)
        two = _timed(submissions, settings, Path(tmp) / "jobs2", jobs=2)
        print(f"--jobs 2: {two:.1f} s ({two / args.count:.2f} s per submission)")
        print(f"throughput ratio --jobs 2 / --jobs 1: {one / two:.2f}x")
        print(_ceiling(), flush=True)
        if args.dask:
            from distributed import LocalCluster

            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
                on_dask = _timed(submissions, settings, Path(tmp) / "dask", cluster=cluster.scheduler_address)
            print(f"Dask LocalCluster, 2 workers: {on_dask:.1f} s ({on_dask / args.count:.2f} s per submission)")


if __name__ == "__main__":
    main()
