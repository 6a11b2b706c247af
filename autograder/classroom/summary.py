"""The class summary: what share of students failed each check, and how scores spread (PNG + text table)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from autograder.classroom.store import write_atomic


def failure_rates(results: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """(check name, share of students who failed it), most failed first; checks nobody failed are left out."""
    seen: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for result in results:
        for test in result["tests"]:
            seen[test["name"]] += 1
            failed[test["name"]] += test["status"] != "passed"
    rates = [(name, failed[name] / seen[name]) for name in seen if failed[name]]
    return sorted(rates, key=lambda item: (-item[1], item[0]))


def summary_table(results: list[dict[str, Any]], refused: dict[str, str] | None = None) -> str:
    """Lines like `NN_topic › validation under no_grad: failed by 41 %`, then each refused student (id: why),
    who scores 0."""
    scores = [100 * r["score"] / r["max_score"] if r["max_score"] else 100.0 for r in results]
    head = f"{len(results)} students graded"
    if scores:
        head += f"; mean score {sum(scores) / len(scores):.0f} %, {sum(s == 100 for s in scores)} with full marks"
    lines = [f"{name}: failed by {100 * rate:.0f} %" for name, rate in failure_rates(results)]
    if refused:
        lines.append(f"{len(refused)} submission(s) refused, scored 0:")
        lines += [f"  {student}: {why}" for student, why in sorted(refused.items())]
    return "\n".join([head, *lines]) + "\n"


def plot_summary(path: Path, results: list[dict[str, Any]], *, top: int = 15) -> None:
    """A PNG: the histogram of scores (percent) and the `top` most failed checks."""
    from matplotlib.figure import Figure   # no pyplot: no global figure state, no GUI backend chosen
    from matplotlib.ticker import MaxNLocator

    scores = [100 * r["score"] / r["max_score"] if r["max_score"] else 100.0 for r in results]
    rates = failure_rates(results)[:top]
    fig = Figure(figsize=(14, max(4.0, 0.35 * len(rates) + 1.5)))
    hist, bars = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.6]})
    hist.hist(scores, bins=list(range(0, 101, 10)), color="#4c72b0", edgecolor="white")
    hist.set(title=f"Scores ({len(results)} students)", xlabel="score (%)", ylabel="students", xlim=(0, 100))
    hist.yaxis.set_major_locator(MaxNLocator(integer=True))
    names = [name if len(name) <= 60 else name[:57] + "…" for name, _ in rates][::-1]
    bars.barh(names, [100 * rate for _, rate in rates][::-1], color="#c44e52")
    bars.set(title="Most failed checks", xlabel="students who failed (%)", xlim=(0, 100))
    bars.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=100)
    tmp.replace(path)


def write_summary(out: Path, results: list[dict[str, Any]], refused: dict[str, str] | None = None) -> str:
    """Write OUT/summary.txt and OUT/summary.png; return the table."""
    table = summary_table(results, refused)
    write_atomic(out / "summary.txt", table)
    plot_summary(out / "summary.png", results)
    return table
