"""A self-contained HTML report for one submission (jinja2 template, figures embedded as PNG data URIs)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from autograder.course import Course
from autograder.results import ExerciseResult, GradeReport
from autograder.reports.figures import loss_chart, score_chart

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("autograder.reports", "templates"),
                          autoescape=True, trim_blocks=True, lstrip_blocks=True)


@dataclass
class ExerciseView:
    """What the template shows of one exercise."""

    result: ExerciseResult
    hints: list[str] = field(default_factory=list)
    loss_figure: str | None = None
    timing: dict[str, float] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return "done" if self.result.done else ("zero" if self.result.score == 0 else "partial")

    @property
    def common_message(self) -> str | None:
        """The one message every check of a zero-score exercise shares (its folder is missing, ...), shown once."""
        messages = {c.message for c in self.result.checks}
        if len(self.result.checks) > 1 and len(messages) == 1 and self.result.score == 0:
            return messages.pop() or None
        return None


def _timing_of(report: GradeReport, exercise_id: str) -> dict[str, float]:
    prefix = f"{exercise_id}."
    return {k.removeprefix(prefix): v for k, v in report.timing.items() if k.startswith(prefix)}


def _view(report: GradeReport, exercise: ExerciseResult, course: Course | None) -> ExerciseView:
    hints: list[str] = []
    if course is not None and not exercise.done:
        try:
            hints = list(course.exercise(exercise.id).hints)
        except KeyError:
            pass
    curves = report.curves.get(exercise.id)
    return ExerciseView(exercise, hints, loss_chart(exercise.id, curves) if curves else None,
                        _timing_of(report, exercise.id))


def render_html(report: GradeReport, course: Course | None = None) -> str:
    """The report as one HTML page; `course` adds the exercise hints from course.yml to unfinished exercises."""
    percent = 100.0 * report.score / report.max_score if report.max_score else 100.0
    return _ENV.get_template("report.html.j2").render(
        report=report, percent=percent, name=Path(report.submission).name,
        exercises=[_view(report, e, course) for e in report.exercises], score_figure=score_chart(report),
        generated=datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"))


def write_html(report: GradeReport, path: Path, course: Course | None = None) -> None:
    """Write the HTML report to `path` (atomically)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render_html(report, course), encoding="utf-8")
    tmp.replace(path)
