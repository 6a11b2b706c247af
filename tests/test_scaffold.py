"""`autograder new`: a new exercise folder that passes `generate --check` at once (on the fake course)."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from autograder.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "course"


def test_a_new_exercise_is_one_folder_and_a_manifest_entry_and_generates_cleanly(tmp_path: Path) -> None:
    course = shutil.copytree(FIXTURE, tmp_path / "course")
    runner = CliRunner()
    assert runner.invoke(main, ["generate", "--course", str(course)]).exit_code == 0
    created = runner.invoke(main, ["new", "03_doubling", "--course", str(course)])
    assert created.exit_code == 0, created.output
    assert sorted(p.name for p in (course / "solutions" / "03_doubling").iterdir()) == [
        "doubling.py", "probes.py", "test_doubling.py"]
    assert "  - id: 03_doubling\n" in (course / "course.yml").read_text()
    checked = runner.invoke(main, ["generate", "--check", "--course", str(course)])
    assert checked.exit_code == 0 and "up to date" in checked.output, checked.output
    stub = (course / "exercises" / "03_doubling" / "doubling.py").read_text()
    assert "raise NotImplementedError" in stub and "return 2 * x" not in stub


def test_new_refuses_an_existing_exercise_and_a_malformed_name(tmp_path: Path) -> None:
    course = shutil.copytree(FIXTURE, tmp_path / "course")
    runner = CliRunner()
    taken = runner.invoke(main, ["new", "01_basics", "--course", str(course)])
    assert taken.exit_code == 1 and "exists already" in taken.output
    malformed = runner.invoke(main, ["new", "Doubling", "--course", str(course)])
    assert malformed.exit_code == 1 and "NN_lowercase_words" in malformed.output
    assert not (course / "solutions" / "Doubling").exists()
