"""The result types that probes declare, read from a probe file's source (never imported), and a check of a
result against them, field by field.

The parent holds every result that comes back from a sandbox to its probe's declared ``TypedDict``: a result
with a field missing, a field it does not declare, or a value of another type is refused before any check reads
it. Types are read as the wire carries them (contract/codec.py): a ``tuple`` arrives as a list, a numpy scalar as
a Python number, and an ``int`` is a ``float``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

Annotation = ast.expr


@dataclass(frozen=True)
class Field:
    """One declared field: its annotation (as source) and whether a result must have it."""

    annotation: Annotation
    required: bool


Declared = dict[str, Field]  # a TypedDict: field name -> Field


class ResultTypeError(ValueError):
    """A result does not match its probe's declared type."""


def _typed_dicts(tree: ast.Module) -> dict[str, Declared]:
    found: dict[str, Declared] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(ast.unparse(base).endswith("TypedDict") for base in node.bases):
            fields: Declared = {}
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    annotation = item.annotation
                    required = True
                    if isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value).endswith("NotRequired"):
                        annotation, required = annotation.slice, False
                    fields[item.target.id] = Field(annotation, required)
            found[node.name] = fields
    return found


def _is_probe(node: ast.stmt) -> bool:
    return isinstance(node, ast.FunctionDef) and any(ast.unparse(d).endswith("probe") for d in node.decorator_list)


@dataclass(frozen=True)
class ProbeFile:
    """What a probe file declares: each probe's result type (None when it declares no TypedDict) and every
    TypedDict it defines (a field may be of one of them)."""

    results: dict[str, Declared | None]
    typed_dicts: dict[str, Declared]

    @classmethod
    def parse(cls, text: str, label: str) -> "ProbeFile":
        tree = ast.parse(text, filename=label)
        typed = _typed_dicts(tree)
        results = {node.name: typed.get(ast.unparse(node.returns)) if node.returns else None
                   for node in tree.body if _is_probe(node)}
        return cls(results, typed)

    def check(self, probe: str, value: Any) -> None:
        """ResultTypeError naming the field when `value` is not what `probe` declares it returns."""
        declared = self.results.get(probe)
        if declared is None:
            return
        self._check_dict(declared, value, f"probe `{probe}`")

    def _check_dict(self, declared: Declared, value: Any, where: str) -> None:
        if type(value) is not dict:
            raise ResultTypeError(f"{where}: a {type(value).__name__}, not the dict it declares")
        missing = sorted(name for name, field in declared.items() if field.required and name not in value)
        extra = sorted(value.keys() - declared.keys())
        if missing or extra:
            raise ResultTypeError(f"{where}: does not match its declared type"
                                  + (f"; missing: {', '.join(missing)}" if missing else "")
                                  + (f"; undeclared: {', '.join(extra)}" if extra else ""))
        for name, item in value.items():
            problem = self._mismatch(declared[name].annotation, item)
            if problem:
                raise ResultTypeError(f"{where}, field `{name}`: {problem}")

    def _mismatch(self, annotation: Annotation, value: Any) -> str | None:  # noqa: PLR0911 - one case per form
        """Why `value` is not of `annotation` (None if it is)."""
        if isinstance(annotation, ast.Constant):
            if annotation.value is None:
                return None if value is None else f"expected None, got {_kind(value)}"
            if isinstance(annotation.value, str):  # a forward reference
                return self._mismatch(ast.parse(annotation.value, mode="eval").body, value)
            return None
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            left, right = self._mismatch(annotation.left, value), self._mismatch(annotation.right, value)
            return None if left is None or right is None else f"{left}; or {right}"
        if isinstance(annotation, ast.Subscript):
            return self._subscript(annotation, value)
        name = ast.unparse(annotation).rpartition(".")[2]
        if name in self.typed_dicts:
            try:
                self._check_dict(self.typed_dicts[name], value, name)
            except ResultTypeError as exc:
                return str(exc)
            return None
        expected = _SIMPLE.get(name)
        if expected is None:
            return None  # Any, object, or a name this check does not know: anything goes
        return None if expected(value) else f"expected {name}, got {_kind(value)}"

    def _subscript(self, annotation: ast.Subscript, value: Any) -> str | None:
        origin = ast.unparse(annotation.value).rpartition(".")[2]
        args = list(annotation.slice.elts) if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        if origin in ("Optional",):
            return None if value is None else self._mismatch(args[0], value)
        if origin == "Union":
            problems = [self._mismatch(arg, value) for arg in args]
            return None if None in problems else "; or ".join(p for p in problems if p)
        if origin in ("list", "List", "tuple", "Tuple", "Sequence", "set", "frozenset"):
            if type(value) is not list:
                return f"expected {origin}, got {_kind(value)}"
            ellipsis = len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is Ellipsis
            if origin in ("tuple", "Tuple") and not ellipsis:
                if len(args) != len(value):
                    return f"expected {len(args)} items, got {len(value)}"
                pairs = list(zip(args, value))
            else:
                pairs = [(args[0], item) for item in value]
            for i, (arg, item) in enumerate(pairs):
                problem = self._mismatch(arg, item)
                if problem:
                    return f"item {i}: {problem}"
            return None
        if origin in ("dict", "Dict", "Mapping"):
            if type(value) is not dict:
                return f"expected dict, got {_kind(value)}"
            for key, item in value.items():
                problem = self._mismatch(args[-1], item)
                if problem:
                    return f"[{key!r}]: {problem}"
            return None
        if origin == "Literal":
            allowed = [arg.value for arg in args if isinstance(arg, ast.Constant)]
            return None if value in allowed else f"expected one of {allowed}, got {value!r}"
        return None


def _kind(value: Any) -> str:
    return "None" if value is None else type(value).__name__


_SIMPLE = {
    "int": lambda v: type(v) is int,
    "float": lambda v: type(v) in (int, float),
    "bool": lambda v: type(v) is bool,
    "str": lambda v: type(v) is str,
    "list": lambda v: type(v) is list,
    "tuple": lambda v: type(v) is list,
    "dict": lambda v: type(v) is dict,
    "ndarray": lambda v: type(v) is np.ndarray,
}


@lru_cache(maxsize=64)
def _parsed(path: Path, mtime_ns: int) -> ProbeFile:
    return ProbeFile.parse(path.read_text(encoding="utf-8"), str(path))


def probe_file(path: Path) -> ProbeFile:
    """The declarations of the probe file at `path` (parsed once per version of the file)."""
    return _parsed(path, path.stat().st_mtime_ns)
