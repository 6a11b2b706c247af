"""`autograder export canvas|moodle`: the final scores in each LMS's gradebook import format, mapped by a roster."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from autograder.classroom.export import CANVAS_IDENTITY
from autograder.classroom.store import Outcome, Store
from autograder.cli import main

# The documented import formats the exports are checked against:
# - Canvas, "Importing a CSV File to Grades" (Ohio State's guide to Canvas's gradebook import),
#   https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades
#   "The CSV file you import into Carmen has four required components: Student Name ... OR Student ID OR Student SIS
#   User ID, represented by columns A-C below ... SIS Login ID ... column D ... Section, represented by column E ...
#   Assignment Name, represented by column F below."
# - Canvas's own importer (canvas-lms, app/models/gradebook_importer.rb, GradebookImporter): the header row needs
#   row[0] =~ /Student/ and row[1] =~ /ID/, then "SIS User ID" and "SIS Login ID", and its last student column must
#   match /Section/; a row whose first cell matches /Points Possible/ sets each assignment's points possible; an
#   assignment column is "Title" or "Title (id)" (Assignment.title_and_id).
# - Moodle, "Grade import", https://docs.moodle.org/311/en/Grade_import : "Preview the grade import and choose the
#   column mapping ... Change both dropdowns to: "Email Address" to "useremail", or to "Id Number" to
#   "useridnumber""; Moodle's own CSV import fixture (moodle/moodle grade/tests/fixtures/grade_import.csv) is
#   "First name,Last name,Email address,Manual item 1" then "Student,1,student1@example.com,400".
CANVAS_DOCUMENTED_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


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
    assert rows[0] == [*CANVAS_DOCUMENTED_HEADER, "PyTorch kit (4242)"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "10"]
    assert rows[2:] == [["Lee, Ann", "101", "S1", "alee", "Section A", "8"],
                        ["Ng, Ben", "102", "S2", "bng", "Section B", "8"]]       # ben: 10 raw, 2 late penalty
    assert "graded but not on the roster (left out): cy" in output
    assert "on the roster but not graded (left out): dee" in output


def test_moodle_csv_per_exercise_after_late_penalties(tmp_path: Path) -> None:
    graded, roster = _graded(tmp_path / "graded"), _roster(tmp_path / "roster.csv")
    _, rows = _export("moodle", str(graded), "--roster", str(roster), "--out", str(tmp_path / "m.csv"),
                      "--per-exercise")
    assert rows == [["Email address", "05_training_loop", "07_iris"],      # Moodle's own header for the email
                    ["ann@example.edu", "4", "4"], ["ben@example.edu", "4", "4"]]


def test_a_roster_without_the_lms_columns_is_refused(tmp_path: Path) -> None:
    graded = _graded(tmp_path / "graded")
    (tmp_path / "roster.csv").write_text("student_id,name\nann,Ann\n")
    result = CliRunner().invoke(main, ["export", "moodle", str(graded), "--roster", str(tmp_path / "roster.csv"),
                                       "--out", str(tmp_path / "m.csv")])
    assert result.exit_code != 0 and "no column Email address" in result.output


def test_exports_are_utf8_without_bom_with_plain_decimal_points(tmp_path: Path) -> None:
    """Both LMSs read UTF-8 text with comma separators; a score is a plain decimal, never 8.33333 or 1e-05."""
    store = Store(tmp_path / "graded")
    store.commit(Outcome("zoe", "h", "k", {"score": 25 / 3, "max_score": 10.0, "tests": []}, "report",
                         {"07_iris": 25 / 3}, {"07_iris": 10.0}))
    roster = tmp_path / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["student_id", *CANVAS_DOCUMENTED_HEADER, "Email address"],
                                 ["zoe", "Łukasiewicz, Zoë", "105", "S5", "zluk", "Section A", "zoe@example.edu"]])
    for lms in ("canvas", "moodle"):
        out = tmp_path / f"{lms}.csv"
        _export(lms, str(tmp_path / "graded"), "--roster", str(roster), "--out", str(out))
        data = out.read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
        text = data.decode("utf-8")
        assert text.splitlines()[-1].endswith(",8.33"), text
    assert "Łukasiewicz, Zoë" in (tmp_path / "canvas.csv").read_text(encoding="utf-8")
