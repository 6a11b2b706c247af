"""`autograder export canvas|moodle`: the final scores in each LMS's gradebook import format, mapped by a roster."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from autograder.classroom.export import CANVAS_IDENTITY
from autograder.classroom.store import Outcome, Store
from autograder.cli import main


def _graded(folder: Path) -> Path:
    """ann 8/10 on time, ben 10/10 with 2 points late penalty on 07_iris, cy 5/10 (not on the roster)."""
    store = Store(folder)
    for student, points, late in [("ann", {"05_training_loop": 4.0, "07_iris": 4.0}, {}),
                                  ("ben", {"05_training_loop": 4.0, "07_iris": 6.0}, {"07_iris": 2.0}),
                                  ("cy", {"05_training_loop": 1.0, "07_iris": 4.0}, {})]:
        raw = sum(points.values())
        store.commit(Outcome(student, "h", "k", {"score": raw - sum(late.values()), "max_score": 10.0, "tests": []},
                             "report", points, {"05_training_loop": 4.0, "07_iris": 6.0},
                             late_penalty=sum(late.values()), late_exercises=late))
    return folder


def _roster(path: Path) -> Path:
    rows = [["student_id", *CANVAS_IDENTITY, "Email address"],
            ["", "    Points Possible", "", "", "", "", ""],      # a Canvas export's second row is no student
            ["ann", "Lee, Ann", "101", "S1", "alee", "Section A", "ann@example.edu"],
            ["ben", "Ng, Ben", "102", "S2", "bng", "Section B", "ben@example.edu"],
            ["dee", "Roy, Dee", "104", "S4", "droy", "Section A", "dee@example.edu"]]
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def _export(*args: str) -> tuple[str, list[list[str]]]:
    result = CliRunner().invoke(main, ["export", *args])
    assert result.exit_code == 0, result.output
    out = Path(args[args.index("--out") + 1])
    return result.output, list(csv.reader(out.open()))


def test_canvas_csv_has_canvas_columns_final_scores_and_names_the_missing(tmp_path: Path) -> None:
    graded, roster = _graded(tmp_path / "graded"), _roster(tmp_path / "roster.csv")
    output, rows = _export("canvas", str(graded), "--roster", str(roster), "--out", str(tmp_path / "c.csv"),
                           "--assignment", "PyTorch kit (4242)")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "PyTorch kit (4242)"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "10"]
    assert rows[2:] == [["Lee, Ann", "101", "S1", "alee", "Section A", "8"],
                        ["Ng, Ben", "102", "S2", "bng", "Section B", "8"]]       # ben: 10 raw, 2 late penalty
    assert "graded but not on the roster (left out): cy" in output
    assert "on the roster but not graded (left out): dee" in output


def test_moodle_csv_per_exercise_after_late_penalties(tmp_path: Path) -> None:
    graded, roster = _graded(tmp_path / "graded"), _roster(tmp_path / "roster.csv")
    _, rows = _export("moodle", str(graded), "--roster", str(roster), "--out", str(tmp_path / "m.csv"),
                      "--per-exercise")
    assert rows == [["Email address", "05_training_loop", "07_iris"],
                    ["ann@example.edu", "4", "4"], ["ben@example.edu", "4", "4"]]


def test_a_roster_without_the_lms_columns_is_refused(tmp_path: Path) -> None:
    graded = _graded(tmp_path / "graded")
    (tmp_path / "roster.csv").write_text("student_id,name\nann,Ann\n")
    result = CliRunner().invoke(main, ["export", "moodle", str(graded), "--roster", str(tmp_path / "roster.csv"),
                                       "--out", str(tmp_path / "m.csv")])
    assert result.exit_code != 0 and "no column Email address" in result.output
