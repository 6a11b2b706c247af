"""Reports for people, in the terminal (rich: colour on a terminal, plain text when piped)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from autograder.course import Exercise
from autograder.results import CheckResult, GradeReport

_MARK = {"passed": ("✓", "green"), "failed": ("✗", "red"), "error": ("!", "magenta"), "skipped": ("-", "yellow")}


def _fmt(points: float) -> str:
    return f"{points:g}"


def _check_line(check: CheckResult, *, title: str | None = None) -> Text:
    mark, colour = _MARK[check.status]
    line = Text(f"  {mark} ", style=colour)
    line.append(title or check.title)
    if check.status != "passed" and check.message:
        line.append("\n" + "\n".join("      " + m for m in check.message.splitlines()), style="dim")
        if check.hint:
            line.append(f"\n      hint: {check.hint}", style="cyan")
    return line


def print_grade(report: GradeReport, console: Console, *, verbose_failures: bool = True) -> None:
    """The instructor's/CI's view: a table of exercises, then every failed check with its message."""
    table = Table(title=f"Grade for {report.submission}", title_justify="left")
    table.add_column("exercise")
    table.add_column("passed", justify="right")
    table.add_column("points", justify="right")
    for exercise in report.exercises:
        passed = sum(c.status == "passed" for c in exercise.checks)
        style = "green" if exercise.done else ("red" if exercise.score == 0 else "yellow")
        table.add_row(f"{exercise.id}  {exercise.title}", f"{passed}/{len(exercise.checks)}",
                      Text(f"{_fmt(exercise.score)}/{_fmt(exercise.max_score)}", style=style))
    table.add_section()
    table.add_row("total", f"{sum(c.status == 'passed' for c in report.checks)}/{len(report.checks)}",
                  Text(f"{_fmt(report.score)}/{_fmt(report.max_score)}", style="bold"))
    console.print(table)
    if verbose_failures:
        for exercise in report.exercises:
            messages = {c.message for c in exercise.checks}
            if len(exercise.checks) > 1 and len(messages) == 1 and exercise.score == 0:
                console.print(Text(f"  ✗ {exercise.id}: {messages.pop()}", style="red"))
                continue
            for check in exercise.checks:
                if check.status != "passed":
                    console.print(_check_line(check, title=check.name))
    console.print(f"device: {report.device}   torch: {report.torch_version or '?'}   "
                  f"time: {report.execution_time:.1f} s")
    console.print(f"isolation: {report.isolation}", style="dim")
    for key, value in sorted(report.timing.items()):
        if key.endswith(".ratio"):
            console.print(f"training time {key.removesuffix('.ratio')}: {value:.2f}× the reference solution")


def print_check(report: GradeReport, exercises: list[Exercise], console: Console, *, show_hints: bool) -> None:
    """The student's view: every visible check, a progress line, and hints on request."""
    by_id = {e.id: e for e in report.exercises}
    for exercise in exercises:
        result = by_id.get(exercise.id)
        if result is None:
            continue
        mark, colour = ("✓", "green") if result.done else ("✗", "red")
        console.print(Text(f"{mark} {exercise.id}  {exercise.title}", style=f"bold {colour}"))
        for check in result.checks:
            console.print(_check_line(check))
    done = sum(e.done for e in report.exercises)
    console.print(Text(f"\n{done}/{len(report.exercises)} exercises done", style="bold"))
    pending = next((e for e in exercises if e.id in by_id and not by_id[e.id].done), None)
    if pending is None:
        return
    if show_hints:
        console.print(Text(f"\nHints for {pending.id}:", style="bold cyan"))
        for number, hint in enumerate(pending.hints, 1):
            console.print(f"  {number}. {hint}")
    else:
        console.print(f"next: {pending.id} — run `autograder check {pending.id} --hint` for hints")

