"""Gradescope's results.json format (gradescope-autograders.readthedocs.io, "specs")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from autograder.results import CheckResult, GradeReport


def _output(check: CheckResult) -> str:
    text = check.message or ("passed" if check.status == "passed" else check.status)
    if check.status != "passed" and check.hint:
        text += f"\nhint: {check.hint}"
    if check.output:
        text += f"\nyour code printed (the end):\n{check.output}"
    return text


def to_gradescope(report: GradeReport) -> dict[str, Any]:
    """The report as a Gradescope results dict."""
    tests = [{"name": c.name, "score": c.points, "max_score": c.max_points,
              "status": "passed" if c.status == "passed" else "failed", "output": _output(c),
              "visibility": c.visibility} for c in report.checks]
    summary = f"device: {report.device}; isolation: {report.isolation}"
    return {"score": report.score, "max_score": report.max_score, "execution_time": round(report.execution_time, 3),
            "output": summary, "tests": tests,
            "extra_data": {"device": report.device, "isolation": report.isolation,
                           "isolation_level": report.isolation_level, "torch": report.torch_version,
                           "timing": report.timing}}


def write_gradescope(report: GradeReport, path: Path, results: dict[str, Any] | None = None) -> None:
    """Write results.json atomically (`results`, when given, in place of the report's own)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(results or to_gradescope(report), indent=2, ensure_ascii=False))
    tmp.replace(path)
