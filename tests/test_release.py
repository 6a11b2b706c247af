"""`autograder release`: the student repository holds no solution, no hidden check, no way back to the kit,
and works as its README says."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from autograder.cli import main
from autograder.course import load_course
from autograder.generate import build_all, hidden_test_functions

BLOCK = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)
MIN_LINE = 20  # shorter lines (`return x`, `model.train()`) are too common to be telling


def release(course_root: Path, out: Path, *options: str) -> list[str]:
    result = CliRunner().invoke(main, ["release", str(out), "--course", str(course_root), *options])
    assert result.exit_code == 0, result.output
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def secret_lines(course_root: Path) -> set[str]:
    """Lines of solution blocks and hidden tests that appear nowhere in what students are given."""
    course = load_course(course_root / "course.yml")
    given = "\n".join(build_all(course_root, course).values())
    secret = set()
    for exercise in course.exercises:
        for name in (exercise.module, exercise.test_file):
            text = (course_root / "solutions" / exercise.id / name).read_text()
            secret |= {line.strip() for _, block in BLOCK.findall(text) for line in block.splitlines()}
    return {line for line in secret if len(line) >= MIN_LINE and line not in given and not line.startswith("#")}


def test_the_release_holds_what_students_need_and_no_secret(course_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "release"
    files = release(course_root, out, "--no-hints", "--ci")
    course = load_course(course_root / "course.yml")
    for exercise in course.exercises:
        for name in (exercise.module, exercise.test_file, "README.md", "probes.py"):
            assert f"exercises/{exercise.id}/{name}" in files
    assert {"README.md", "course.yml", "pyproject.toml", "constraints.txt", ".github/workflows/practice.yml",
            "autograder/cli.py"} <= set(files)
    assert not [f for f in files if f.startswith("solutions/") or f.startswith("tests/")]
    text = {f: (out / f).read_text(errors="replace") for f in files}
    secrets = secret_lines(course_root)
    assert len(secrets) > 100, "the scan looks for something"
    course_files = {f: body for f, body in text.items() if not f.startswith("autograder/")}  # the engine is generic
    leaks = [(f, line) for f, body in course_files.items() for line in secrets if line in body]
    assert not leaks, leaks[:5]
    hidden = {name for e in course.exercises
              for name in hidden_test_functions((course_root / "solutions" / e.id / e.test_file).read_text(), "t")}
    assert not [(f, n) for f, body in text.items() for n in hidden if re.search(rf"\b{n}\b", body)]
    kit = str(course_root.resolve())
    assert not [f for f, body in text.items() if kit in body or "KIT_REPOSITORY" in body], "no path back to the kit"


def test_the_public_manifest_counts_hidden_points_and_can_leave_hints_out(course_root: Path, tmp_path: Path) -> None:
    release(course_root, tmp_path / "with")
    release(course_root, tmp_path / "without", "--no-hints")
    course = load_course(course_root / "course.yml")
    public = load_course(tmp_path / "with" / "course.yml")
    for mine, theirs in zip(course.exercises, public.exercises):
        assert [c.id for c in theirs.checks] == [c.id for c in mine.visible_checks]
        assert theirs.hidden_points == sum(c.points for c in mine.hidden_checks)
        assert theirs.max_points == mine.max_points and theirs.hints == mine.hints
    assert not [e for e in load_course(tmp_path / "without" / "course.yml").exercises
                if e.hints or any(c.hint for c in e.checks)]
    assert "hints" not in yaml.safe_load((tmp_path / "without" / "course.yml").read_text())["exercises"][0]


def test_a_release_goes_into_a_new_folder_only(course_root: Path, tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    result = CliRunner().invoke(main, ["release", str(tmp_path / "taken"), "--course", str(course_root)])
    assert result.exit_code == 1 and "not empty" in result.output


def readme_commands(readme: str) -> tuple[str, str]:
    """The install command and the first check command of the release's README."""
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
    install = blocks[0].strip()
    check = blocks[1].splitlines()[0].split("#")[0].strip()
    return install, check


@pytest.mark.slow
def test_a_release_installs_as_its_readme_says_and_checks_work(course_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "release"
    release(course_root, out)
    install, check = readme_commands((out / "README.md").read_text())
    assert install.startswith("python3 -m venv .venv") and "-c constraints.txt" in install
    # A fresh virtualenv, installed with the README's command. To keep this test fast, the venv first gets
    # hard links to this environment's third-party packages (the kit's own install left out): pip then installs
    # the release itself and finds the pinned dependencies satisfied.
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not p.startswith(sys.prefix))
    subprocess.run(["python3", "-m", "venv", ".venv"], cwd=out, env=env, check=True)
    [site] = (out / ".venv" / "lib").glob("python3*/site-packages")
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not (entry.name.startswith(("pytorch_step_by_step_kit", "__editable__")) or (site / entry.name).exists()):
            if entry.is_dir():
                shutil.copytree(entry, site / entry.name, copy_function=os.link)
            else:
                os.link(entry, site / entry.name)
    installed = subprocess.run(install, shell=True, cwd=out, env=env, capture_output=True, text=True, timeout=900)
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]
    autograder = out / ".venv" / "bin" / "autograder"
    assert check.startswith(".venv/bin/autograder check")
    where = subprocess.run([str(out / ".venv" / "bin" / "python"), "-I", "-c",
                            "import autograder; print(autograder.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, env=env, check=True)
    assert where.stdout.startswith(str(out)), "the release's own engine, not the kit's"
    stub = subprocess.run([str(autograder), "check", "09_autoencoder"], cwd=out, env=env, capture_output=True,
                          text=True, timeout=600)
    assert stub.returncode == 1 and "still to write" in stub.stdout and "Traceback" not in stub.stdout + stub.stderr
    solved = course_root / "solutions" / "09_autoencoder" / "autoencoder.py"
    shutil.copyfile(solved, out / "exercises" / "09_autoencoder" / "autoencoder.py")
    passed = subprocess.run([str(autograder), "check", "09_autoencoder"], cwd=out, env=env, capture_output=True,
                            text=True, timeout=600)
    assert passed.returncode == 0, passed.stdout[-3000:] + passed.stderr[-2000:]
    assert "1/1 exercises done" in passed.stdout
    graded = subprocess.run([str(autograder), "grade", "exercises"], cwd=out, env=env, capture_output=True, text=True)
    assert graded.returncode == 2 and "autograder check" in graded.stderr, "grading needs the instructor's kit"
