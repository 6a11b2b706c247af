"""The README.md of a generated exercise folder, written from course.yml."""

from __future__ import annotations

from autograder.course import Exercise


def render_readme(exercise: Exercise) -> str:
    """Markdown: title, goals, what to edit, how to check, and the checks."""
    out = [
        "<!-- Generated from course.yml by autograder.generate; edit course.yml instead. -->",
        f"# {exercise.id}: {exercise.title}",
        "",
        "## Goals",
        "",
        *(f"- {goal}" for goal in exercise.goals),
        "",
        "## What to do",
        "",
        f"Edit `{exercise.module}`. Replace each `raise NotImplementedError(...)` with your code,",
        "following the `# TODO` comment above it. Keep the names and signatures as they are:",
        f"the tests in `{exercise.test_file}` use them.",
        "",
        "## Check your work",
        "",
        "```",
        f"autograder check {exercise.id}",
        "```",
        "",
    ]
    if exercise.hints:
        count = _plural(len(exercise.hints), "hint")
        out += [f"Stuck? `autograder check {exercise.id} --hint` shows one hint at a time, the next one each time",
                f"you ask ({count} in all, from a nudge to the shape of the code); `--hint all` shows them all.", ""]
    out += ["## Checks", "", *(f"- {check.title} ({_points(check.points)})" for check in exercise.visible_checks)]
    hidden = exercise.hidden_checks
    if hidden:
        worth = _points(sum(check.points for check in hidden))
        out.append(f"- and {_plural(len(hidden), 'hidden check')} ({worth}), run only by the grader")
    if exercise.timing is not None:
        out += [
            "",
            f"Your training time is compared with the reference solution's on the same machine "
            f"({exercise.timing.n_epochs} epochs): it may be at most {exercise.timing.max_ratio:g} times slower.",
        ]
    out += ["", f"Total: {_points(exercise.max_points)}.", ""]
    return "\n".join(out)


def _points(points: float) -> str:
    return f"{points:g} point" + ("" if points == 1 else "s")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")
