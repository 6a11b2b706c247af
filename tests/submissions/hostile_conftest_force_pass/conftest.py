"""A student's conftest.py that tries to make every check pass (it must never be loaded by the grader)."""

from pathlib import Path

import pytest

# Evidence: if the grader ever imports this file, the submission folder changes and the corpus test sees it.
# (Not in the corpus's own copy, next to case.yml: a stray `pytest tests/submissions` must not dirty the repo.)
_here = Path(__file__).resolve().parent
if not any((folder / "case.yml").exists() for folder in (_here, _here.parent)):
    (_here / "CONFTEST_WAS_LOADED").write_text("the grader imported the student's conftest.py\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
    report.longrepr = None
    call.excinfo = None


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        item.obj = lambda *args, **kwargs: None


@pytest.fixture
def student():
    return None
