"""Grade the honest submissions of the corpus (tests/submissions/: correct styles, mistakes, the sample) and compare
each with its case.yml; the attacks are in test_corpus_attacks.py.

Also: grading is repeatable (the same submission, 3 runs through one sandbox, identical scores).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.course import load_course
from autograder.judge.grader import GradeOptions, Grader

from corpus import ROOT, CaseError, Patch, WarmSandboxes, case_names, check_case, load_case, materialize


@pytest.mark.slow
@pytest.mark.parametrize("case", case_names(attacks=False))
def test_case(case: str, warm_sandboxes: WarmSandboxes) -> None:
    check_case(case, warm_sandboxes)


REPEATS = 3
# The cheaper checks of 07_iris (those whose id contains one of these): together they still call every function
# of the module.
REPEAT_CHECKS = ("load_iris_data_split", "split_is_seeded", "classifier_structure", "train_loss_decreases",
                 "evaluate_no_grad", "accuracy_value", "plot_losses", "time_training_returns")


@pytest.mark.slow
def test_repeated_grading_gives_identical_scores(tmp_path: Path) -> None:
    """The reference 07_iris graded 3 times through one sandbox: the same verdicts every time."""
    submission = tmp_path / "submission"
    (submission / "07_iris").mkdir(parents=True)
    (submission / "07_iris" / "iris.py").write_text((ROOT / "solutions" / "07_iris" / "iris.py").read_text())
    checks = load_course(ROOT / "course.yml").exercise("07_iris").checks
    options = GradeOptions(exercises=("07_iris",), timeout=30,
                           skip=tuple(c.id for c in checks if not any(part in c.id for part in REPEAT_CHECKS)))
    runs: list[dict[str, str]] = []
    servers = []
    with Grader(ROOT, warm=True) as grader:
        for _ in range(REPEATS):
            report = grader.grade(submission, options)
            runs.append({r.check: r.status for r in report.checks if r.status != "skipped"})
            servers.append(grader.sessions[submission.resolve()])
        restarts = servers[0].restarts
    assert len(runs[0]) == 8 and set(runs[0].values()) == {"passed"}, runs[0]
    assert all(run == runs[0] for run in runs), runs
    assert all(server is servers[0] for server in servers) and restarts == 0, (servers, restarts)


def test_a_patch_that_no_longer_applies_is_a_loud_error(tmp_path: Path) -> None:
    case = load_case("evaluate_without_eval_mode")
    case = case.model_copy(update={"patches": {"07_iris/iris.py": [Patch(old="text the solution never had\n", new="")]}})
    with pytest.raises(CaseError, match="not found in solutions/07_iris/iris.py"):
        materialize(case, tmp_path)
