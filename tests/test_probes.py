"""The probe contract: probes live in the exercise's folder, are found by name, and keep to their declared type."""

from __future__ import annotations

import json
import re
import os
import textwrap
from pathlib import Path

import pytest

from autograder.generate.probe_lint import keep_probes, lint
from autograder.inside import child

PROBES = textwrap.dedent('''
    from __future__ import annotations

    from typing_extensions import NotRequired, TypedDict

    from autograder.inside.probes import probe


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


def test_the_parent_holds_a_result_to_its_declared_type_field_by_field() -> None:
    """What comes back from a sandbox is checked against the probe's TypedDict, read from the probe file's source."""
    import numpy as np

    from autograder.judge.probe_results import ProbeFile, ResultTypeError

    declared = ProbeFile.parse(textwrap.dedent('''
        from typing import Any
        import numpy as np
        from typing_extensions import NotRequired, TypedDict
        from autograder.inside.probes import probe


        class Call(TypedDict):
            training: bool
            batch: int | None


        class Run(TypedDict):
            losses: list[float]
            weights: np.ndarray | None
            calls: list[Call]
            layers: dict[str, list[int | None]]
            note: NotRequired[str]
            anything: Any


        @probe
        def run(student, *, device: str) -> Run:
            ...
    '''), "probes.py")
    good = {"losses": [1.0, 2], "weights": np.zeros(2), "calls": [{"training": True, "batch": None}],
            "layers": {"fc1": [4, None]}, "anything": object()}
    declared.check("run", good)
    declared.check("run", {**good, "weights": None, "note": "x"})
    for bad, words in [({**good, "losses": [1.0, "2"]}, "field `losses`: item 1: expected float, got str"),
                       ({**good, "weights": [0.0]}, "field `weights`: expected ndarray, got list"),
                       ({**good, "calls": [{"training": 1, "batch": 3}]}, "expected bool, got int"),
                       ({**good, "calls": [{"training": True}]}, "missing: batch"),
                       ({k: v for k, v in good.items() if k != "losses"}, "missing: losses"),
                       ({**good, "forged": True}, "undeclared: forged"),
                       ({**good, "layers": {"fc1": [4, 2.5]}}, "expected int, got float")]:
        with pytest.raises(ResultTypeError, match=re.escape(words)):
            declared.check("run", bad)
