"""Grade the honest submissions of the corpus (tests/submissions/: correct styles, mistakes, the sample) and compare
each with its case.yml; the attacks are in test_corpus_attacks.py.

Also: grading is repeatable (the same submission, 3 runs through one sandbox, identical scores).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.judge.plugin import GradingPlugin, GradingSetup
from autograder.course import load_course
from autograder.judge.engine import _PYTEST_ARGS
from autograder.contract.probe_files import PROBE_FILE
from autograder.judge.planning import plan
from autograder.sandbox import detect_isolation

from corpus import ROOT, CaseError, Patch, WarmSandboxes, case_names, check_case, load_case, materialize


@pytest.mark.slow
@pytest.mark.parametrize("case", case_names(attacks=False))
def test_case(case: str, warm_sandboxes: WarmSandboxes) -> None:
    check_case(case, warm_sandboxes)


class _KeepSessions(GradingPlugin):
    """A GradingPlugin whose sandboxes outlive one pytest run (closed by the test)."""

    def pytest_sessionfinish(self) -> None:
        pass


REPEATS = 3
# The cheaper checks of 07_iris: together they still call every function of the module.
REPEAT_CHECKS = ("load_iris_data_split or split_is_seeded or classifier_structure or train_loss_decreases "
                 "or evaluate_no_grad or accuracy_value or plot_losses or time_training_returns")


@pytest.mark.slow
def test_repeated_grading_gives_identical_scores(tmp_path: Path) -> None:
    """The reference 07_iris graded 3 times through one sandbox: the same verdicts every time."""
    submission = tmp_path / "submission"
    (submission / "07_iris").mkdir(parents=True)
    (submission / "07_iris" / "iris.py").write_text((ROOT / "solutions" / "07_iris" / "iris.py").read_text())
    course = load_course(ROOT / "course.yml")
    stages = plan(ROOT, [course.exercise("07_iris")])
    plugin = _KeepSessions(GradingSetup(course=course, submission=submission, reference=ROOT / "solutions",
                                        level=detect_isolation(), timeout=30,
                                        preload={submission: stages, ROOT / "solutions": stages},
                                        probe_files=[ROOT / "solutions" / "07_iris" / PROBE_FILE]))
    runs: list[dict[str, str]] = []
    try:
        for _ in range(REPEATS):
            plugin.results.clear()
            pytest.main([*_PYTEST_ARGS, "--rootdir", str(ROOT), "--confcutdir", str(ROOT / "solutions" / "07_iris"),
                         "-k", REPEAT_CHECKS, str(ROOT / "solutions" / "07_iris" / "test_iris.py")], plugins=[plugin])
            runs.append({r.check: r.status for r in plugin.results.values()})
        sessions = len(plugin.pool.sessions)
        restarts = sum(s.restarts for s in plugin.pool.sessions.values())
    finally:
        plugin.pool.close()
    assert len(runs[0]) == 8 and set(runs[0].values()) == {"passed"}, runs[0]
    assert all(run == runs[0] for run in runs), runs
    assert sessions == 1 and restarts == 0, (sessions, restarts)


def test_a_patch_that_no_longer_applies_is_a_loud_error(tmp_path: Path) -> None:
    case = load_case("evaluate_without_eval_mode")
    case = case.model_copy(update={"patches": {"07_iris/iris.py": [Patch(old="text the solution never had\n", new="")]}})
    with pytest.raises(CaseError, match="not found in solutions/07_iris/iris.py"):
        materialize(case, tmp_path)
