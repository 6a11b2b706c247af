"""A Markdown summary (for CI job summaries such as GitHub's $GITHUB_STEP_SUMMARY)."""

from __future__ import annotations

from pathlib import Path

from autograder.results import GradeReport

_MARK = {"passed": "✅", "failed": "❌", "error": "⚠️", "skipped": "⏭️"}


def _text(text: str) -> str:
    """Student output can hold anything: no raw HTML in the summary."""
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _cell(text: str) -> str:
    return _text(text).replace("|", "\\|").replace("\n", "<br>")


def _failures(report: GradeReport) -> list[str]:
    """One bullet per check that did not pass; one per exercise where all checks share a message (a missing folder)."""
    lines = []
    for exercise in report.exercises:
        messages = {c.message for c in exercise.checks}
        checks = [c for c in exercise.checks if c.status != "passed"]
        if len(checks) > 1 and len(messages) == 1 and exercise.score == 0:
            lines.append(f"- ❌ **{_cell(exercise.id)}**: {_text(messages.pop())}".replace("\n", " "))
            continue
        for check in checks:
            detail = check.message + (f"\nhint: {check.hint}" if check.hint else "")
            lines.append(f"- {_MARK[check.status]} **{_cell(check.name)}**")
            lines += [f"  > {_text(line)}" for line in detail.splitlines()]
    return lines


def to_markdown(report: GradeReport) -> str:
    """Total, a table per exercise, then every check that did not pass with its message and hint."""
    percent = 100.0 * report.score / report.max_score if report.max_score else 100.0
    lines = [f"## Autograder: {report.score:g}/{report.max_score:g} points ({percent:.0f}%)", "",
             "| exercise | checks passed | points |", "|---|---:|---:|"]
    for exercise in report.exercises:
        passed = sum(c.status == "passed" for c in exercise.checks)
        mark = "✅" if exercise.done else "❌"
        lines.append(f"| {mark} {exercise.id} {_cell(exercise.title)} | {passed}/{len(exercise.checks)} "
                     f"| {exercise.score:g}/{exercise.max_score:g} |")
    failures = _failures(report)
    if failures:
        lines += ["", "### Checks to fix", "", *failures]
    lines += ["", f"device: {report.device} · isolation: {report.isolation} · time: {report.execution_time:.1f} s", ""]
    return "\n".join(lines)


def write_markdown(report: GradeReport, path: Path) -> None:
    """Write the Markdown summary to `path`."""
    path.write_text(to_markdown(report), encoding="utf-8")
