"""The course's mutation operators (benchmarks/mutation_score.py) make the mutants they promise, only inside
solution blocks. Needs the `mutation` extra (cosmic-ray); skipped without it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("cosmic_ray", reason="the mutation benchmark needs the `mutation` extra (cosmic-ray)")
from cosmic_ray.mutating import mutate_code  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _benchmark():
    spec = importlib.util.spec_from_file_location("mutation_score", ROOT / "benchmarks" / "mutation_score.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["mutation_score"] = module
    spec.loader.exec_module(module)
    return module


bench = _benchmark()


@pytest.mark.parametrize("name", sorted(bench.COURSE))
def test_course_operator_examples(name: str) -> None:
    for example in bench.COURSE[name].examples():
        assert mutate_code(example.pre_mutation_code, bench.operator(name), example.occurrence) \
            == example.post_mutation_code


def test_mutants_stay_inside_solution_blocks() -> None:
    code = (ROOT / "solutions" / "07_iris" / "iris.py").read_text()
    inside = bench.solution_lines(code)
    mutants = bench.mutants_of("07_iris", "iris.py")
    assert mutants and all(m.line in inside for m in mutants)
    kinds = {(m.function, m.operator, m.after) for m in mutants}
    for wanted in (("accuracy", "course/DropModeCall", "pass"), ("evaluate", "course/EnableGrad",
                   "with torch.enable_grad():"), ("train", "course/DefaultLiteral",
                   "optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)")):
        assert wanted in kinds, wanted
