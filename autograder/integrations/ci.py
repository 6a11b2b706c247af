"""`autograder ci-template`: the GitHub Actions workflow for a student repository (a practice grade: it runs
the visible checks only and never sees the instructor's kit)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def workflow_text() -> str:
    """The workflow template shipped with the kit."""
    return (resources.files("autograder.integrations") / "templates" / "practice-workflow.yml").read_text("utf-8")


def write_workflow(path: Path) -> None:
    """Write the workflow to `path`, creating its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(workflow_text(), encoding="utf-8")
