"""Nothing the grader relies on is reachable and writable from submitted code: proven by walking the objects.

A submission (tests/reach/walker.py) walks, inside a real grading child with the guard up, every object it can name
from the roots that submitted code has (sys.modules as it sees it, sys.meta_path, sys.path_hooks, builtins, the
objects a probe hands to it, and a frame a signal handler receives) along every edge plain Python code can follow
(attributes, instance and class dicts, __globals__, closure cells, defaults, __self__, __wrapped__, properties,
partials, weak references, containers, frames). The probe (tests/reach/probes.py) knows what the grader keeps:
module dicts and mutable globals of its code, the state of its recorders, the frames and locals of its stack, probe
sources and the kit's paths. None of it may be reached.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from autograder.judge.session import Session
from autograder.sandbox import Limits, detect_isolation

HERE = Path(__file__).parent / "reach"


def _reach(tmp_path: Path) -> dict:
    kit = tmp_path / "kit" / "solutions" / "01_reach"
    kit.mkdir(parents=True)
    shutil.copy(HERE / "probes.py", kit / "probes.py")
    submission = tmp_path / "submission"
    (submission / "01_reach").mkdir(parents=True)
    shutil.copy(HERE / "walker.py", submission / "01_reach" / "reach.py")
    session = Session(submission, level=detect_isolation(), limits=Limits(memory_mb=6144),
                      probe_files=[kit / "probes.py"])
    try:
        response = session.run({"probe": "reach", "probes": str(kit / "probes.py"), "exercise": "01_reach",
                                "module": "reach.py", "timeout": 240,
                                "kwargs": {"device": "cpu", "kit": str(tmp_path / "kit")}})
    finally:
        session.close()
    lines = [line for line in response.get("output", "").splitlines() if line.startswith("REACH ")]
    assert lines, response
    return json.loads(lines[-1].removeprefix("REACH "))


@pytest.mark.slow
def test_submitted_code_reaches_nothing_of_the_graders(tmp_path: Path) -> None:
    seen = _reach(tmp_path)
    assert seen["objects"] > 50_000  # the walk went through torch, numpy and the objects it was handed
    assert seen["count"] == 0, "\n".join(f"{f['what']}: {f['path']}" for f in seen["findings"][:40])
