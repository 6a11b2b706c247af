"""How long a student waits in `autograder check --watch`: from saving the module to the last result line.

For each exercise (default 01 and 07): copy exercises/ and course.yml into a temporary course, put the
reference solution in place (so that every visible check runs to the end), start
`autograder check EXERCISE --watch` and time
- cold: from starting the command to its summary line ("N/M exercises done"),
- warm: from re-saving the module (a new comment, so the file really changes) to the next summary line,
  several times; the fork server stays up between saves and each probe re-imports the module.
Also times one plain `autograder check EXERCISE` (a new sandbox every time), for comparison.

The machine may be shared: the figures are from this one run; compare them with each other.

Usage: python benchmarks/watch_latency.py [--exercise 01_numpy_regression ...] [--saves 5]
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "autograder"]
SUMMARY = "exercises done"


def _kit(folder: Path, exercise_ids: list[str]) -> None:
    from autograder.course import load_course

    shutil.copytree(ROOT / "exercises", folder / "exercises")
    shutil.copy(ROOT / "course.yml", folder / "course.yml")
    course = load_course(ROOT / "course.yml")
    for exercise_id in exercise_ids:
        module = course.exercise(exercise_id).module
        shutil.copy(ROOT / "solutions" / exercise_id / module, folder / "exercises" / exercise_id / module)


def _lines(stream, out: queue.Queue) -> None:
    for line in stream:
        out.put((time.perf_counter(), line))
    out.put((time.perf_counter(), None))


def _wait_summary(lines: queue.Queue, timeout: float = 600) -> tuple[float, str]:
    seen = []
    deadline = time.perf_counter() + timeout
    while True:
        at, line = lines.get(timeout=max(0.1, deadline - time.perf_counter()))
        if line is None:
            raise RuntimeError("the watcher stopped:\n" + "".join(seen))
        seen.append(line)
        if SUMMARY in line:
            return at, line.strip()


def measure(kit: Path, exercise_id: str, module: str, saves: int) -> dict[str, float | list[float] | str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    start = time.perf_counter()
    once = subprocess.run([*CLI, "check", exercise_id], cwd=kit, capture_output=True, text=True, env=env)
    single = time.perf_counter() - start
    if once.returncode != 0:
        raise RuntimeError(f"the reference solution of {exercise_id} did not pass:\n{once.stdout}{once.stderr}")
    start = time.perf_counter()
    proc = subprocess.Popen([*CLI, "check", exercise_id, "--watch"], cwd=kit, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
    try:
        at, summary = _wait_summary(lines)
        cold = at - start
        time.sleep(1.0)  # let the watcher start watching
        path = kit / "exercises" / exercise_id / module
        warm = []
        for n in range(saves):
            text = path.read_text()
            saved = time.perf_counter()
            path.write_text(text + f"\n# save {n}\n")
            at, summary = _wait_summary(lines)
            warm.append(at - saved)
            time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"single": single, "cold": cold, "warm": warm, "summary": summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", action="append", default=None)
    parser.add_argument("--saves", type=int, default=5)
    args = parser.parse_args()
    exercise_ids = args.exercise or ["01_numpy_regression", "07_iris"]
    from autograder.course import load_course

    course = load_course(ROOT / "course.yml")
    with tempfile.TemporaryDirectory(prefix="watch-latency-") as tmp:
        kit = Path(tmp)
        _kit(kit, exercise_ids)
        print(f"{'exercise':22} {'check (s)':>10} {'watch cold (s)':>15} {'warm median (s)':>16} "
              f"{'warm min-max (s)':>17} {'cold/warm':>10}")
        for exercise_id in exercise_ids:
            r = measure(kit, exercise_id, course.exercise(exercise_id).module, args.saves)
            warm = r["warm"]
            median = statistics.median(warm)
            print(f"{exercise_id:22} {r['single']:10.2f} {r['cold']:15.2f} {median:16.2f} "
                  f"{min(warm):8.2f}-{max(warm):<8.2f} {r['cold'] / median:10.1f}   ({r['summary']})", flush=True)


if __name__ == "__main__":
    main()
