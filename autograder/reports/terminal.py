"""Reports for people, in the terminal (rich: colour on a terminal, plain text when piped).

Every text that comes from course.yml, a check or the student's code goes to rich as a `Text`, never
as markup: `x[idx[n_train:]]` must print as it is written.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from rich.console import Console
from rich.status import Status
from rich.table import Table
from rich.text import Text

from autograder.course import Check, Exercise
from autograder.results import CheckResult, ExerciseResult, GradeReport

_MARK = {"passed": ("✓", "green"), "failed": ("✗", "red"), "error": ("!", "magenta"), "skipped": ("-", "yellow")}


def _fmt(points: float) -> str:
    return f"{points:g}"


def make_console(file: TextIO | None = None) -> Console:
    """A console that soft-wraps (never breaks lines itself) when the output is not a terminal."""
    console = Console(file=file or sys.stdout)
    console.soft_wrap = not console.is_terminal
    return console


def _indented(text: str, indent: str) -> str:
    return "\n".join(indent + line for line in text.splitlines())


def _check_line(check: CheckResult, *, title: str | None = None, seeds: bool = False) -> Text:
    mark, colour = _MARK[check.status]
    line = Text(f"  {mark} ", style=colour)
    line.append(title or check.title)
    if check.status != "passed" and check.message:
        line.append("\n" + _indented(check.message, "      "), style="dim")
        if check.hint:
            line.append(f"\n      hint: {check.hint}", style="cyan")
    if check.output:
        line.append("\n      your code printed (the end):\n" + _indented(check.output, "        "))
    if seeds and check.seeds:
        line.append(f"\n      seed{'s' if len(check.seeds) > 1 else ''} of this check: "
                    f"{', '.join(map(str, check.seeds))}", style="dim")
    return line


def print_grade(report: GradeReport, console: Console, *, verbose_failures: bool = True) -> None:
    """The instructor's/CI's view: a table of exercises, then every failed check with its message."""
    table = Table(title=Text(f"Grade for {report.submission}"), title_justify="left")
    table.add_column("exercise")
    table.add_column("passed", justify="right")
    table.add_column("points", justify="right")
    for exercise in report.exercises:
        passed = sum(c.status == "passed" for c in exercise.checks)
        style = "green" if exercise.done else ("red" if exercise.score == 0 else "yellow")
        table.add_row(Text(f"{exercise.id}  {exercise.title}"), f"{passed}/{len(exercise.checks)}",
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
                    console.print(_check_line(check, title=check.name, seeds=True))
    console.print(Text(f"device: {report.device}   torch: {report.torch_version or '?'}   "
                       f"time: {report.execution_time:.1f} s"))
    console.print(Text(f"isolation: {report.isolation}", style="dim"))
    for key, value in sorted(report.timing.items()):
        if key.endswith(".ratio"):
            console.print(Text(f"training time {key.removesuffix('.ratio')}: {value:.2f}× the reference solution"))


class _Elapsed:
    """The progress line of the running check: its title and the seconds since it started."""

    def __init__(self, title: str) -> None:
        self.title, self.start = title, time.monotonic()

    def __rich__(self) -> Text:
        return Text(f"running: {self.title}  {time.monotonic() - self.start:.0f} s", style="dim")


class LiveCheck:
    """The student's view (`autograder check`), printed as the checks finish.

    Each exercise gets a heading, a line per failed check (with what the code printed), one line for the
    passed checks (each of them with `verbose`), and a verdict: done, or what is left, including every
    function that still raises NotImplementedError. On a terminal a spinner names the running check and
    its seconds; elsewhere a line says which check is still running every `remind_every` seconds.
    """

    remind_every = 30.0  # seconds between "still running" lines when the output is not a terminal

    def __init__(self, console: Console, exercises: list[Exercise], *, verbose: bool = False) -> None:
        self.console, self.verbose = console, verbose
        self.exercises = {e.id: e for e in exercises}
        self._current: str | None = None
        self._finished: dict[str, list[CheckResult]] = {}
        self._summarised: set[str] = set()
        self._status: Status | None = None
        self._last_message: dict[str, str] = {}
        self._running = threading.Event()  # set when the running check finishes (stops its reminders)

    def started(self, exercise: Exercise, check: Check) -> None:
        if exercise.id != self._current:
            self._close_exercise()
            self._current = exercise.id
            self.console.print(Text(f"{exercise.id}  {exercise.title}", style="bold"))
        if self.console.is_terminal:
            if self._status is None:
                self._status = self.console.status(_Elapsed(check.title))
                self._status.start()
            else:
                self._status.update(_Elapsed(check.title))
        else:
            self._running.set()
            self._running = threading.Event()
            threading.Thread(target=self._remind, args=(_Elapsed(check.title), self._running), daemon=True).start()

    def _remind(self, elapsed: _Elapsed, done: threading.Event) -> None:
        while not done.wait(self.remind_every):
            self.console.print(Text(f"  … still running: {elapsed.title} "
                                    f"({time.monotonic() - elapsed.start:.0f} s)", style="dim"))

    def finished(self, result: CheckResult) -> None:
        self._running.set()
        self._finished.setdefault(result.exercise, []).append(result)
        if result.status == "passed" and not self.verbose:
            return
        if result.unwritten and not self.verbose:
            return  # the exercise's verdict lists the functions still to write
        if result.status != "passed" and result.message and result.message == self._last_message.get(result.exercise):
            self.console.print(Text(f"  ✗ {result.title}: the same problem as above", style="red"))
            return
        if result.status != "passed":
            self._last_message[result.exercise] = result.message
        self.console.print(_check_line(result, seeds=self.verbose))

    def _close_exercise(self) -> None:
        if self._current is not None and self._current not in self._summarised:
            self._summarised.add(self._current)
            self._verdict(self._current, self._finished.get(self._current, []))

    def _verdict(self, exercise_id: str, checks: list[CheckResult]) -> None:
        exercise = self.exercises[exercise_id]
        passed = sum(c.status == "passed" for c in checks)
        if passed and not self.verbose:
            self.console.print(Text(f"  ✓ {_plural(passed, 'check')} passed", style="green"))
        unwritten = list(dict.fromkeys(name for c in checks for name in c.unwritten))
        hidden = sum(c.points for c in exercise.hidden_checks)
        later = f" {_fmt(hidden)} of its {_fmt(exercise.max_points)} points come from hidden checks, graded " \
                "after you submit." if hidden else ""
        expected = len(exercise.visible_checks)
        if passed == expected == len(checks):
            self.console.print(Text(f"✓ {exercise_id} done: all {_plural(expected, 'visible check')} pass." + later,
                                    style="bold green"))
            return
        line = Text(f"✗ {exercise_id}: {passed}/{expected} visible checks pass.", style="bold red")
        if unwritten:
            line.append("\n  still to write (raise NotImplementedError): " + ", ".join(unwritten), style="red")
        self.console.print(line)

    def finish(self, report: GradeReport) -> None:
        """After grading: the verdicts not printed yet (exercises that could not run), then the total."""
        self._running.set()
        if self._status is not None:
            self._status.stop()
            self._status = None
        self._close_exercise()
        self._current = None
        for result in report.exercises:
            if result.id not in self._summarised:
                self._summarised.add(result.id)
                self._report_unrun(result)
        done = sum(e.done for e in report.exercises)
        self.console.print(Text(f"\n{done}/{len(report.exercises)} exercises done", style="bold"))

    def _report_unrun(self, result: ExerciseResult) -> None:
        exercise = self.exercises[result.id]
        self.console.print(Text(f"{exercise.id}  {exercise.title}", style="bold"))
        messages = {c.message for c in result.checks}
        if len(messages) == 1 and all(c.status != "passed" for c in result.checks):
            self.console.print(Text(f"  ✗ {messages.pop()}", style="red"))
        else:
            for check in result.checks:
                self.finished(check)
        self._verdict(result.id, result.checks)


def print_hints(console: Console, exercise: Exercise, hints: list[tuple[int, str]]) -> None:
    """Numbered hints of one exercise (number, text), and how many there are."""
    total = len(exercise.hints)
    for number, hint in hints:
        console.print(Text(f"\nHint {number} of {total} for {exercise.id}:", style="bold cyan"))
        console.print(Text(_indented(hint, "  ")))
    if hints and hints[-1][0] < total:
        console.print(Text(f"\nStill stuck? `autograder check {exercise.id} --hint` shows the next one.", style="dim"))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")
