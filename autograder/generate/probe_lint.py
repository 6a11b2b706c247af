"""Static checks between an exercise's check file and its probe file (read as source, never imported).

A check calls ``student.probe("name", ...)`` (or ``reference.probe``) and reads fields of the result,
``out["field"]`` or ``out.get("field")``. Each name must be a probe of the exercise's probe file, and
each field read from a probe that declares a ``TypedDict`` result must be one of its fields.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from autograder.judge.probe_results import ProbeFile


@dataclass(frozen=True)
class ProbeCall:
    """One ``<handle>.probe("name", ...)`` in a check file."""

    name: str
    line: int


def declared_probes(probes_text: str, label: str) -> dict[str, frozenset[str] | None]:
    """Probe name -> the fields of its declared TypedDict result (None when it declares no TypedDict)."""
    return {name: None if fields is None else frozenset(fields)
            for name, fields in ProbeFile.parse(probes_text, label).results.items()}


def _probe_name(node: ast.AST) -> ProbeCall | None:
    """The probe a call like ``student.probe("name", ...)`` runs (a literal name only)."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "probe"
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        return ProbeCall(node.args[0].value, node.lineno)
    return None


def _assigned(target: ast.AST, value: ast.AST) -> list[tuple[str, ProbeCall]]:
    """Variables bound to a probe's result by one assignment: ``out = h.probe(..)``, ``a, b = h.probe(..),
    h.probe(..)`` and ``a, b = (h.probe(..) for ...)``."""
    if isinstance(target, ast.Name):
        call = _probe_name(value)
        if call is None and isinstance(value, ast.GeneratorExp):
            call = _probe_name(value.elt)
        return [(target.id, call)] if call else []
    if isinstance(target, ast.Tuple):
        if isinstance(value, ast.Tuple) and len(value.elts) == len(target.elts):
            return [pair for t, v in zip(target.elts, value.elts) for pair in _assigned(t, v)]
        if isinstance(value, ast.GeneratorExp):
            return [pair for t in target.elts for pair in _assigned(t, value)]
    return []


def _field_read(node: ast.AST) -> tuple[str, str] | None:
    """(variable, field) for ``var["field"]`` or ``var.get("field"...)``."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and isinstance(node.slice, ast.Constant):
        return node.value.id, str(node.slice.value)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name) and node.args and isinstance(node.args[0], ast.Constant)):
        return node.func.value.id, str(node.args[0].value)
    return None


def called_probes(checks_text: str, label: str) -> list[ProbeCall]:
    """Every probe a check file calls by a literal name."""
    return [call for node in ast.walk(ast.parse(checks_text, filename=label)) if (call := _probe_name(node))]


def lint(checks_text: str, checks_label: str, probes_text: str | None, probes_label: str) -> list[str]:
    """Problems as ``file:line: what``: probes that do not exist, fields a probe's type does not declare."""
    declared = declared_probes(probes_text, probes_label) if probes_text is not None else {}
    problems = []
    for call in called_probes(checks_text, checks_label):
        if call.name not in declared:
            known = ", ".join(sorted(declared)) or f"none: {probes_label} is missing"
            problems.append(f"{checks_label}:{call.line}: calls probe '{call.name}', which {probes_label} does not "
                            f"define (its probes: {known})")
    for function in ast.walk(ast.parse(checks_text, filename=checks_label)):
        if not isinstance(function, ast.FunctionDef):
            continue
        bindings: list[tuple[int, str, ProbeCall | None]] = []  # (line, variable, probe or None), in order
        for node in ast.walk(function):
            if isinstance(node, ast.Assign):
                probed = dict(_assigned(node.targets[0], node.value)) if len(node.targets) == 1 else {}
                names = {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
                bindings += [(node.lineno, name, probed.get(name)) for name in names]
        for node in ast.walk(function):
            read = _field_read(node)
            if read is None:
                continue
            earlier = [call for line, name, call in sorted(bindings, key=lambda b: b[0])
                       if name == read[0] and line < node.lineno]
            call = earlier[-1] if earlier else None
            fields = declared.get(call.name) if call else None
            if call is not None and fields is not None and read[1] not in fields:
                problems.append(f"{checks_label}:{node.lineno}: reads field '{read[1]}' of probe '{call.name}', "
                                f"whose declared result has no such field (its fields: {', '.join(sorted(fields))})")
    return sorted(set(problems), key=lambda text: (text.split(":")[0], int(text.split(":")[1])))


def keep_probes(probes_text: str, label: str, wanted: set[str]) -> str:
    """The probe file without the probes not in `wanted` (e.g. those only hidden checks call) and without
    the result types only those declare."""
    tree = ast.parse(probes_text, filename=label)
    lines = probes_text.splitlines(keepends=True)
    probes = [node for node in tree.body if isinstance(node, ast.FunctionDef)
              and any(ast.unparse(d).endswith("probe") for d in node.decorator_list)]
    kept_types = {ast.unparse(node.returns) for node in probes if node.name in wanted and node.returns}
    drop: list[ast.stmt] = [node for node in probes if node.name not in wanted]
    dropped_types = {ast.unparse(node.returns) for node in drop if node.returns} - kept_types
    drop += [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name in dropped_types]
    for node in sorted(drop, key=lambda n: n.lineno, reverse=True):
        start = min([d.lineno for d in getattr(node, "decorator_list", [])] + [node.lineno]) - 1
        end = node.end_lineno or node.lineno
        while end < len(lines) and not lines[end].strip():
            end += 1
        del lines[start:end]
    return "".join(lines)
