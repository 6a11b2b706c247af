"""Mutation testing of the course against its own checks.

1. Mutate every `### BEGIN SOLUTION` block in solutions/ with cosmic-ray's operators (a representative
   subset: one replacement per operator kind) and with the course's own operators, written as cosmic-ray
   operators on the same parso trees: drop `model.eval()` / `model.train()` / `optimizer.zero_grad()`,
   drop a `.to(device)`, turn `torch.no_grad()` into `torch.enable_grad()`, replace a parameter with its
   default literal, replace a returned value with a constant.
2. Grade each mutant with the real grader (`process_grader(ROOT).grade_copy(...)` with
   `GradeOptions(exercises=(that exercise,), first_failure=True)`: one failed check kills a mutant) in a
   sandbox, on parallel workers that each keep one warm grader (a student and a reference sandbox); the
   exercise's timing check (minutes of training) runs only on a mutant that changes a line reading the
   clock or synchronising the accelerator.
3. Report per exercise: killed, survived, timed out, equivalent (listed with a reason in
   solutions/<exercise>/equivalent_mutants.yml, not graded), and every survivor with its diff; the score
   is killed / graded. Also the run time. Each exercise run keeps its last report in
   solutions/<exercise>/mutation.md, with the digest of the check and probe files it was run against
   (tests/test_mutation_reports.py fails once those files change after the report).

Usage: python benchmarks/mutation_score.py [--exercise 07_iris ...] [--workers 2] [--check-timeout 40]
       [--report mutation.md]
Needs the `mutation` extra: pip install -e '.[mutation]'.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import parso.python.tree as pt
import yaml
from cosmic_ray.ast import ast_nodes, get_ast
from cosmic_ray.mutating import mutate_code
from cosmic_ray.operators.operator import Example, Operator
from cosmic_ray.plugins import get_operator

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT_FILE = "equivalent_mutants.yml"  # in each exercise's folder under solutions/

# One replacement per kind of operator: the full cross product (every binary operator into every other)
# multiplies the run time without finding other gaps.
GENERIC = [f"core/{name}" for name in (
    "ReplaceBinaryOperator_Add_Sub", "ReplaceBinaryOperator_Sub_Add", "ReplaceBinaryOperator_Mul_Div",
    "ReplaceBinaryOperator_Div_Mul", "ReplaceBinaryOperator_Pow_Mul", "ReplaceBinaryOperator_FloorDiv_Div",
    "ReplaceComparisonOperator_Eq_NotEq", "ReplaceComparisonOperator_NotEq_Eq", "ReplaceComparisonOperator_Lt_LtE",
    "ReplaceComparisonOperator_LtE_Lt", "ReplaceComparisonOperator_Gt_GtE", "ReplaceComparisonOperator_GtE_Gt",
    "ReplaceComparisonOperator_Is_IsNot", "ReplaceComparisonOperator_IsNot_Is", "ReplaceUnaryOperator_USub_UAdd",
    "ReplaceUnaryOperator_Delete_Not", "AddNot", "ReplaceTrueWithFalse", "ReplaceFalseWithTrue",
    "ReplaceAndWithOr", "ReplaceOrWithAnd", "ReplaceBreakWithContinue", "NumberReplacer", "ZeroIterationForLoop",
    "RemoveDecorator")]


def _leaf(cls: type, value: str, like: pt.NodeOrLeaf) -> pt.Leaf:
    """A new leaf with `value` in place of `like` (same position and leading whitespace)."""
    return cls(value, like.start_pos, prefix=like.get_first_leaf().prefix)


class DropModeCall(Operator):
    """`model.eval()`, `model.train()`, `optimizer.zero_grad()` (any receiver) as a statement → `pass`."""

    PATTERN = re.compile(r"^[\w.\[\]]+\.(eval|train|zero_grad)\([^()]*\)$")

    def mutation_positions(self, node):
        if node.type == "simple_stmt" and self.PATTERN.match(node.children[0].get_code(include_prefix=False)):
            yield node.start_pos, node.end_pos

    def mutate(self, node, index):
        node.children[0] = _leaf(pt.Keyword, "pass", node.children[0])
        return node

    @classmethod
    def examples(cls):
        return (Example("model.eval()\n", "pass\n"), Example("optimizer.zero_grad()\n", "pass\n"))


class DropTo(Operator):
    """`x.to(device)` → `x`."""

    def mutation_positions(self, node):
        if node.type == "atom_expr":
            for i, child in enumerate(node.children[:-1]):
                if child.type == "trailer" and child.get_code(include_prefix=False) == ".to" \
                        and node.children[i + 1].type == "trailer":
                    yield child.start_pos, node.children[i + 1].end_pos

    def mutate(self, node, index):
        spots = [i for i, child in enumerate(node.children[:-1]) if child.type == "trailer"
                 and child.get_code(include_prefix=False) == ".to" and node.children[i + 1].type == "trailer"]
        i = spots[index]
        del node.children[i:i + 2]
        return node.children[0] if len(node.children) == 1 else node

    @classmethod
    def examples(cls):
        return (Example("y = x.to(device)\n", "y = x\n"),)


class EnableGrad(Operator):
    """`torch.no_grad()` / `torch.inference_mode()` → `torch.enable_grad()` (the `with` line without effect)."""

    def mutation_positions(self, node):
        if node.type == "name" and node.value in ("no_grad", "inference_mode"):
            yield node.start_pos, node.end_pos

    def mutate(self, node, index):
        return _leaf(pt.Name, "enable_grad", node)

    @classmethod
    def examples(cls):
        return (Example("with torch.no_grad():\n    pass\n", "with torch.enable_grad():\n    pass\n"),)


class DefaultLiteral(Operator):
    """A use of a parameter that has a literal default → that literal (the argument is ignored)."""

    def mutation_positions(self, node):
        if self._default(node) is not None:
            yield node.start_pos, node.end_pos

    @staticmethod
    def _default(node) -> str | None:
        if node.type != "name" or node.is_definition() or node.parent.type == "param":
            return None
        if node.parent.type == "trailer" or (node.parent.type == "argument" and node.parent.children[0] is node):
            return None  # an attribute (x.lr) or a keyword name (lr=...)
        function = node.search_ancestor("funcdef")
        for param in function.get_params() if function else ():
            if param.name.value == node.value and param.default is not None \
                    and param.default.type in ("number", "string", "keyword"):
                return param.default.get_code(include_prefix=False)
        return None

    def mutate(self, node, index):
        return _leaf(pt.Name, self._default(node), node)

    @classmethod
    def examples(cls):
        return (Example("def f(lr=0.1):\n    return 2 * lr\n", "def f(lr=0.1):\n    return 2 * 0.1\n"),)


class ReturnConstant(Operator):
    """Each value a `return` gives back → the constant 0.5."""

    @staticmethod
    def _values(node) -> list:
        if node.type != "return_stmt" or len(node.children) < 2:
            return []
        value = node.children[1]
        if value.type in ("testlist_star_expr", "testlist"):
            return [c for c in value.children if c.type != "operator"]
        return [value]

    def mutation_positions(self, node):
        for value in self._values(node):
            yield value.start_pos, value.end_pos

    def mutate(self, node, index):
        value = self._values(node)[index]
        constant = _leaf(pt.Number, "0.5", value)
        parent = value.parent
        parent.children[parent.children.index(value)] = constant
        constant.parent = parent
        return node

    @classmethod
    def examples(cls):
        return (Example("def f():\n    return a.item()\n", "def f():\n    return 0.5\n"),)


COURSE = {f"course/{cls.__name__}": cls for cls in (DropModeCall, DropTo, EnableGrad, DefaultLiteral, ReturnConstant)}


def operator(name: str) -> Operator:
    return COURSE[name]() if name in COURSE else get_operator(name)()


@dataclass
class Mutant:
    exercise: str
    module: str
    operator: str
    line: int
    function: str
    before: str
    after: str
    code: str
    diff: str

    @property
    def timing(self) -> bool:
        """Whether the mutant changes a line that reads the clock or waits for the accelerator."""
        return bool(re.search(r"\btime\.\w+\(|synchronize\(", self.before))

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return self.exercise, self.function, self.operator, self.before, self.after


def solution_lines(code: str) -> set[int]:
    """1-based line numbers strictly between `### BEGIN SOLUTION` and `### END SOLUTION`."""
    inside, lines = False, set()
    for number, line in enumerate(code.splitlines(), 1):
        if line.strip() == "### BEGIN SOLUTION":
            inside = True
        elif line.strip() == "### END SOLUTION":
            inside = False
        elif inside:
            lines.add(number)
    return lines


def _changed(code: str, mutated: str) -> tuple[str, str, int, str]:
    old, new = code.splitlines(), mutated.splitlines()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    blocks = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    before = " / ".join(line.strip() for op in blocks for line in old[op[1]:op[2]])
    after = " / ".join(line.strip() for op in blocks for line in new[op[3]:op[4]])
    diff = "\n".join(difflib.unified_diff(old, new, "solution", "mutant", n=1, lineterm=""))
    return before, after, blocks[0][1] + 1 if blocks else 0, diff


def _functions(code: str) -> list[tuple[str, int, int]]:
    """(qualified name, first line, last line) of every function and method."""
    out = []
    for node in ast_nodes(get_ast(code)):
        if node.type == "funcdef":
            owner = node.search_ancestor("classdef")
            name = f"{owner.name.value}.{node.name.value}" if owner else node.name.value
            out.append((name, node.start_pos[0], node.end_pos[0]))
    return out


def mutants_of(exercise: str, module: str) -> list[Mutant]:
    code = (ROOT / "solutions" / exercise / module).read_text()
    wanted, functions = solution_lines(code), _functions(code)
    out, seen = [], set()
    for name in [*GENERIC, *COURSE]:
        op = operator(name)
        positions = [pos for node in ast_nodes(get_ast(code)) for pos in op.mutation_positions(node)]
        for occurrence, (start, _end) in enumerate(positions):
            if start[0] not in wanted:
                continue
            mutated = mutate_code(code, operator(name), occurrence)
            if mutated is None or mutated == code:
                continue
            before, after, line, diff = _changed(code, mutated)
            around = [f for f in functions if f[1] <= line <= f[2]]
            function = around[-1][0] if around else "<module>"  # the innermost: nested defs come later
            if (function, name, before, after) in seen:
                continue
            seen.add((function, name, before, after))
            out.append(Mutant(exercise, module, name, line, function, before, after, mutated, diff))
    return out


def load_equivalent(exercise: str) -> dict[tuple[str, str, str, str, str], str]:
    """(exercise, function, operator, before, after) -> reason, from solutions/<exercise>/equivalent_mutants.yml."""
    path = ROOT / "solutions" / exercise / EQUIVALENT_FILE
    entries = (yaml.safe_load(path.read_text()) if path.is_file() else None) or []
    return {(exercise, e["function"], e["operator"], e["before"], e["after"]): e["reason"] for e in entries}


# ---- grading (in worker processes) -------------------------------------------------------------------------

def grade_mutant(mutant: Mutant, check_timeout: float) -> tuple[str, list[str]]:
    """'killed' | 'survived' | 'timeout', and the checks that failed (with the first words of the message)."""
    from autograder.course import load_course
    from autograder.judge.grader import GradeOptions, process_grader

    exercise = load_course(ROOT / "course.yml").exercise(mutant.exercise)
    skip = (exercise.timing.check,) if exercise.timing and not mutant.timing else ()
    with tempfile.TemporaryDirectory(prefix="mutant-") as tmp:
        target = Path(tmp) / mutant.exercise / mutant.module
        target.parent.mkdir(parents=True)
        target.write_text(mutant.code)
        options = GradeOptions(exercises=(mutant.exercise,), skip=skip, timeout=check_timeout, first_failure=True)
        report = process_grader(ROOT).grade_copy(Path(tmp), options)
    bad = [c for c in report.checks if c.status in ("failed", "error")]
    timed_out = [c for c in bad if "timed out" in c.message or "CPU time limit" in c.message]
    failed = [f"{c.check}: {' '.join(c.message.split())[:160]}" for c in bad]
    if len(timed_out) == len(bad) and bad:
        return "timeout", failed
    return ("killed" if bad else "survived"), failed


@dataclass
class Tally:
    mutants: list[tuple[Mutant, str, list[str]]] = field(default_factory=list)
    equivalent: list[tuple[Mutant, str]] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for _, o, _ in self.mutants if o == outcome)

    def score(self) -> float:
        graded = len(self.mutants)
        return self.count("killed") / graded if graded else 1.0


def report(tallies: dict[str, Tally], seconds: float, workers: int) -> str:
    lines = ["# Mutation score of the course's checks", "",
             f"Run time {seconds:.0f} s on {workers} workers (noisy: the machine is shared).", "",
             "| exercise | mutants | killed | survived | timed out | equivalent | score |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for exercise, t in tallies.items():
        total = len(t.mutants) + len(t.equivalent)
        lines.append(f"| {exercise} | {total} | {t.count('killed')} | {t.count('survived')} | {t.count('timeout')} "
                     f"| {len(t.equivalent)} | {100 * t.score():.1f}% |")
    lines += ["", *carried(list(tallies.values()))][:-1]
    for exercise, t in tallies.items():
        survivors = [(m, failed) for m, o, failed in t.mutants if o != "killed"]
        if survivors:
            lines += ["", f"## {exercise}: survivors", ""]
            for m, failed in survivors:
                lines += [f"- `{m.function}` `{m.operator}` line {m.line}" + (f" (timed out: {failed})" if failed else ""), "",
                          "```diff", m.diff, "```", ""]
    return "\n".join(lines) + "\n"


def carried(tallies: list[Tally]) -> list[str]:
    """The report's note of the kills taken over from an earlier run's --json (none: nothing)."""
    count = sum(1 for t in tallies for _, _, failed in t.mutants if failed == ["killed in the earlier run"])
    return [f"{count} of the killed mutants were killed in an earlier run (--killed-in) and not graded again: the "
            "checks changed since only in ways that keep them killed (checks added, imports moved).", ""] \
        if count else []


def exercise_report(exercise, tally: Tally, seconds: float, workers: int) -> str:
    """solutions/<exercise>/mutation.md: the score, the survivors and the equivalents of one exercise's last run."""
    from autograder.course.mutation_report import digest_line

    folder = ROOT / "solutions" / exercise.id
    lines = [f"# Mutation report: {exercise.id}", "",
             "Written by `python benchmarks/mutation_score.py --exercise " + exercise.id + "`; "
             f"run time {seconds:.0f} s on {workers} workers (the whole run; noisy, the machine is shared).", "",
             digest_line(folder, exercise), "", *carried([tally]),
             "| mutants | killed | survived | timed out | equivalent | score |", "| ---: | ---: | ---: | ---: | ---: | ---: |",
             f"| {len(tally.mutants) + len(tally.equivalent)} | {tally.count('killed')} | {tally.count('survived')} "
             f"| {tally.count('timeout')} | {len(tally.equivalent)} | {100 * tally.score():.1f}% |", "", "## Survivors", ""]
    survivors = [(m, failed) for m, o, failed in tally.mutants if o != "killed"]
    for m, failed in survivors:
        lines += [f"- `{m.function}` `{m.operator}` line {m.line}" + (f" (timed out: {failed})" if failed else ""), "",
                  "```diff", m.diff, "```", ""]
    lines += ([] if survivors else ["none", ""]) + ["## Equivalent (not graded)", ""]
    lines += [f"- `{m.function}` `{m.operator}`: `{m.before}` → `{m.after}`: {reason}" for m, reason in tally.equivalent]
    return "\n".join(lines + ([] if tally.equivalent else ["none"])) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", action="append", help="limit to these exercises")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--check-timeout", type=float, default=40.0, help="seconds per check of a mutant")
    parser.add_argument("--list", action="store_true", help="only list the mutants")
    parser.add_argument("--report", type=Path, help="also write the report (Markdown) to this file")
    parser.add_argument("--json", type=Path, help="also write each mutant's outcome (JSON) to this file")
    parser.add_argument("--killed-in", type=Path, help="a --json file of an earlier run: mutants it killed count as "
                        "killed without grading (checks were only added since, so they stay killed)")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from autograder.course import load_course

    course = load_course(ROOT / "course.yml")
    chosen = [e for e in course.exercises if not args.exercise or e.id in args.exercise]
    start = time.perf_counter()
    tallies: dict[str, Tally] = {e.id: Tally() for e in chosen}
    todo: list[Mutant] = []
    killed_before = {tuple(r["key"]) for r in json.loads(args.killed_in.read_text()) if r["outcome"] == "killed"} \
        if args.killed_in else set()
    for exercise in chosen:
        equivalent = load_equivalent(exercise.id)
        for mutant in mutants_of(exercise.id, exercise.module):
            reason = equivalent.get(mutant.key)
            if reason:
                tallies[exercise.id].equivalent.append((mutant, reason))
            elif mutant.key in killed_before:
                tallies[exercise.id].mutants.append((mutant, "killed", ["killed in the earlier run"]))
            else:
                todo.append(mutant)
    if args.list:
        for m in todo:
            print(f"{m.exercise} {m.function} {m.operator} line {m.line}: {m.before!r} -> {m.after!r}")
        print(f"{len(todo)} mutants to grade")
        return
    with ProcessPoolExecutor(args.workers) as pool:
        futures = [(m, pool.submit(grade_mutant, m, args.check_timeout)) for m in todo]
        for i, (m, future) in enumerate(futures, 1):
            outcome, failed = future.result()
            tallies[m.exercise].mutants.append((m, outcome, failed if outcome == "timeout" else []))
            print(f"[{i}/{len(futures)} {time.perf_counter() - start:.0f} s] {m.exercise} {outcome:8} "
                  f"{m.function} {m.operator} line {m.line}: {m.before} -> {m.after}", flush=True)
    seconds = time.perf_counter() - start
    text = report(tallies, seconds, args.workers)
    for exercise in chosen:
        (ROOT / "solutions" / exercise.id / "mutation.md").write_text(
            exercise_report(exercise, tallies[exercise.id], seconds, args.workers))
    if args.json:
        args.json.write_text(json.dumps([{"key": m.key, "outcome": o, "failed": f} for t in tallies.values()
                                         for m, o, f in t.mutants], indent=1))
    print(text)
    if args.report:
        args.report.write_text(text)


if __name__ == "__main__":
    main()
