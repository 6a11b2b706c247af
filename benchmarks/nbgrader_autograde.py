"""What `nbgrader autograde` costs on top of `autograder grade` of the same code.

1. Build an nbgrader course from the kit (`autograder nbgrader build`), release one exercise, and submit it for two
   students: "correct" (the reference's answers) and "mistaken" (the reference with one mistake).
2. For each student, in this one run and alternating: time `nbgrader autograde EXERCISE --student=ID` (the kit's
   sandboxed engine in place of nbgrader's Execute), and `autograder grade` of a folder holding the same module
   text (the notebook's answer and given cells, as the preprocessor writes it).
3. Print both times, the scores each recorded (they must agree) and the ratio nbgrader / grade.

The machine may be shared: the ratio, measured side by side in one run, is the figure to read.

Usage: python benchmarks/nbgrader_autograde.py [--exercise 07_iris] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
MISTAKES = {  # exercise -> (answer cell, the reference's text, the mistake's)
    "07_iris": ("answer_evaluate", "    with torch.no_grad():\n", "    if True:\n"),
    "05_training_loop": ("answer_validation", "    with torch.no_grad():\n", "    if True:\n"),
}


def run(command: list[str], cwd: Path) -> tuple[float, str]:
    """Seconds ``command`` took, and its output; raises if it failed."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return seconds, done.stdout


def submission(course: Path, exercise: str, mistaken: bool) -> nbformat.NotebookNode:
    """The release notebook filled in with the source notebook's answers (with one mistake if ``mistaken``)."""
    answers = {c.id: c.source for c in nbformat.read(course / "source" / exercise / f"{exercise}.ipynb", 4).cells}
    notebook = nbformat.read(course / "release" / exercise / f"{exercise}.ipynb", 4)
    cell_id, before, after = MISTAKES[exercise]
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[cell.id]
            if mistaken and cell.id == cell_id:
                cell.source = cell.source.replace(before, after)
    return notebook


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", default="07_iris", choices=sorted(MISTAKES))
    parser.add_argument("--repeat", type=int, default=1, help="timed pairs per student")
    parser.add_argument("--student", action="append", choices=["correct", "mistaken"],
                        help="time only this student (default: both)")
    args = parser.parse_args()
    from autograder.course import load_course
    from autograder.notebook.grading import module_source

    exercise = load_course(ROOT / "course.yml").exercise(args.exercise)
    python = [sys.executable, "-m"]
    with tempfile.TemporaryDirectory(prefix="nbgrader-bench-") as tmp:
        course = Path(tmp) / "course"
        run([*python, "autograder", "nbgrader", "build", str(course), "--exercise", exercise.id, "--course",
             str(ROOT)], ROOT)
        run([*python, "nbgrader", "generate_assignment", exercise.id], course)
        for student in ("correct", "mistaken"):
            notebook = submission(course, exercise.id, student == "mistaken")
            target = course / "submitted" / student / exercise.id / f"{exercise.id}.ipynb"
            target.parent.mkdir(parents=True)
            nbformat.write(notebook, target)
            folder = Path(tmp) / "modules" / student / exercise.id
            folder.mkdir(parents=True)
            (folder / exercise.module).write_text(module_source(notebook), encoding="utf-8")
        print(f"{exercise.id}, {args.repeat} timed pair(s) per student; the machine may be shared")
        for student in args.student or ["correct", "mistaken"]:
            times: dict[str, list[float]] = {"nbgrader": [], "grade": []}
            graded = ""
            for repeat in range(args.repeat):  # the first of a pair may pay for cold caches: alternate the order
                pair = [("nbgrader", [*python, "nbgrader", "autograde", exercise.id, f"--student={student}", "--force"],
                         course),
                        ("grade", [*python, "autograder", "grade", str(Path(tmp) / "modules" / student), "--exercise",
                                   exercise.id, "--quiet", "--course", str(ROOT)], ROOT)]
                for name, command, cwd in pair if repeat % 2 == 0 else pair[::-1]:
                    seconds, output = run(command, cwd)
                    times[name].append(seconds)
                    graded = output if name == "grade" else graded
            from nbgrader.api import Gradebook

            with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
                recorded = gradebook.find_submission(exercise.id, student)
                nb_score = f"{recorded.score:g}/{recorded.max_score:g}"
            nb_mean, grade_mean = (sum(times[name]) / len(times[name]) for name in ("nbgrader", "grade"))
            print(f"{student:9} nbgrader autograde {nb_mean:6.1f} s ({nb_score})   "
                  f"autograder grade {grade_mean:6.1f} s ({graded.split()[0]})   ratio {nb_mean / grade_mean:.2f}")


if __name__ == "__main__":
    main()
