"""Figures for the HTML report, drawn with matplotlib's Figure (no pyplot, no GUI backend) as base64 PNG data URIs."""

from __future__ import annotations

import base64
import io

from matplotlib.figure import Figure

from autograder.results import GradeReport

_COLOURS = {"train": "#1f77b4", "validation": "#ff7f0e"}


def _data_uri(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def score_chart(report: GradeReport) -> str:
    """Horizontal bars: the share of points earned in each exercise."""
    exercises = list(reversed(report.exercises))
    fig = Figure(figsize=(7, 0.45 * len(exercises) + 0.9))
    ax = fig.subplots()
    for row, exercise in enumerate(exercises):
        share = exercise.score / exercise.max_score if exercise.max_score else 1.0
        colour = "#2e7d32" if exercise.done else ("#c62828" if exercise.score == 0 else "#f9a825")
        ax.barh(row, 1.0, color="#eeeeee")
        ax.barh(row, share, color=colour)
        ax.text(1.02, row, f"{exercise.score:g}/{exercise.max_score:g}", va="center")
    ax.set_yticks(range(len(exercises)), [e.id for e in exercises])
    ax.set_xlim(0, 1.15)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title("Points per exercise", loc="left")
    return _data_uri(fig)


def loss_chart(exercise_id: str, curves: dict[str, list[float]]) -> str:
    """Loss per epoch: the student's curves solid, the reference run's dashed."""
    fig = Figure(figsize=(9, 3.8))
    ax = fig.subplots()
    for key, values in sorted(curves.items(), key=lambda item: item[0] != "student.train"):
        who, name = key.split(".", 1)
        mine = who == "student"  # the reference wide and pale underneath, so that it shows where the curves coincide
        ax.plot(range(1, len(values) + 1), values, color=_COLOURS.get(name, "#555555"), linestyle="-" if mine else "--",
                linewidth=1.8 if mine else 4, alpha=1 if mine else 0.45, zorder=2 if mine else 1,
                label=f"{name} ({'yours' if mine else 'reference'})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(f"{exercise_id}: loss per epoch, yours against the reference solution's", loc="left")
    ax.grid(alpha=0.3)
    ax.legend()
    return _data_uri(fig)
