"""The probe contract: probes live in the exercise's folder, are found by name, and keep to their declared type."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from autograder.generate.probe_lint import keep_probes, lint
from autograder.runner import child

PROBES = textwrap.dedent('''
    from __future__ import annotations

    from typing_extensions import NotRequired, TypedDict

    from autograder.probes import probe


    class Doubled(TypedDict):
        """What `doubled` returns."""

        value: int
        note: NotRequired[str]


    @probe
    def doubled(student, *, device: str, x: int, drop: bool = False) -> Doubled:
        got = student.call("double", x)
        return {"wrong": got} if drop else {"value": got}


    @probe
    def hidden_only(student, *, device: str) -> dict:
        return {}
''')


@pytest.fixture
def exercise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # the child marks its work folder
    folder = tmp_path / "sub" / "01_topic"
    folder.mkdir(parents=True)
    (folder / "topic.py").write_text("def double(x):\n    return 2 * x\n")
    (tmp_path / "probes.py").write_text(PROBES)
    return tmp_path


def run_in_child(request: dict) -> dict:
    """child.run in a forked process, as the fork server runs it: it hides the grader's modules and installs an
    audit hook, which must not happen to this test process."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write, json.dumps(child.run(request)).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        out = json.loads(pipe.read())
    os.waitpid(pid, 0)
    return out


def request(root: Path, probe: str, **kwargs: object) -> dict:
    return {"submission": str(root / "sub"), "exercise": "01_topic", "module": "topic.py",
            "probes": str(root / "probes.py"), "probe": probe, "kwargs": {"device": "cpu", **kwargs}}


def test_a_probe_runs_the_students_code_and_returns_its_declared_fields(exercise: Path) -> None:
    assert run_in_child(request(exercise, "doubled", x=3)) == {"status": "ok", "value": {"value": 6}}


def test_an_unknown_probe_is_a_grader_error_not_the_students(exercise: Path) -> None:
    out = run_in_child(request(exercise, "dubled", x=3))
    assert out["status"] == "grader_error" and "no probe `dubled`" in out["message"] and "doubled" in out["message"]


def test_a_result_without_its_declared_fields_is_a_grader_error(exercise: Path) -> None:
    out = run_in_child(request(exercise, "doubled", x=3, drop=True))
    assert out["status"] == "grader_error"
    assert "missing: value" in out["message"] and "undeclared: wrong" in out["message"]


CHECKS = textwrap.dedent('''
    def test_ok(student):
        out = student.probe("doubled", x=1)
        assert out["value"] == 2 and out.get("note") is None


    def test_typo(student):
        out = student.probe("dubled", x=1)


    def test_field(student):
        a, b = student.probe("doubled", x=1), student.probe("doubled", x=2)
        out = student.probe("hidden_only")
        assert out["anything"] and a["valeu"] == b["value"]
''')


def test_the_lint_names_unknown_probes_and_undeclared_fields_with_their_lines() -> None:
    problems = lint(CHECKS, "test_topic.py", PROBES, "probes.py")
    assert problems == [
        "test_topic.py:8: calls probe 'dubled', which probes.py does not define (its probes: doubled, hidden_only)",
        "test_topic.py:14: reads field 'valeu' of probe 'doubled', whose declared result has no such field "
        "(its fields: note, value)",
    ]


def test_the_released_probe_file_keeps_only_what_visible_checks_call() -> None:
    kept = keep_probes(PROBES, "probes.py", {"doubled"})
    assert "def doubled" in kept and "class Doubled" in kept and "hidden_only" not in kept
    assert "def hidden_only" not in keep_probes(PROBES, "probes.py", set()) and "class Doubled" not in keep_probes(
        PROBES, "probes.py", set())
