"""The probe contract: how an exercise's probe file is written, loaded and held to its declared results.

An exercise's probes live in its own folder, ``solutions/NN_topic/probes.py`` (see README, "Authoring").
A probe is a function decorated with :func:`probe`: it takes the student-module handle
(:class:`~autograder.inside.observe.student.StudentModule`) and keyword arguments sent by a check, runs the
student's code on grader-owned inputs, and returns plain data (see ``autograder/contract/codec.py``) whose shape it
declares as a ``TypedDict`` return annotation. The fork server loads the probe file of each exercise it
grades (never from a submission; the grader's files are sent as text, see :func:`provide_sources`); a child looks the probe up by name before it imports the
student's module, and the result is compared with the declared fields before it is sent back. A
missing probe or a result that does not match its type is a grader error, never the student's.
"""

from __future__ import annotations

import sys
import types
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import typing_extensions

from autograder.contract.probe_files import PROBE_MODULE_PREFIX

Probe = Callable[..., Any]
_MARK = "__autograder_probe__"
_loaded: dict[Path, types.ModuleType] = {}
_compiled: dict[Path, types.CodeType] = {}


class ProbeError(Exception):
    """The grader's probe is missing or returned something other than what it declares."""


def probe(fn: Probe) -> Probe:
    """Mark a function of a probe file as a probe that checks may call by its name."""
    setattr(fn, _MARK, True)
    return fn


def module_name(path: Path) -> str:
    """The name a probe file is imported under, e.g. ``autograder_probes_07_topic`` (never the student's)."""
    return PROBE_MODULE_PREFIX + path.resolve().parent.name


def is_probe_module(name: str) -> bool:
    """Whether `name` in sys.modules is a probe file loaded by :func:`load_probe_file`."""
    return name.startswith(PROBE_MODULE_PREFIX)


def code_name(path: Path) -> str:
    """The file name a probe file's code carries: no path of the kit (a traceback or a frame would show it)."""
    return f"<probes of {path.resolve().parent.name}>"


def provide_sources(sources: dict[str, str]) -> None:
    """Compile the texts of probe files, by path, for :func:`load_probe_file`; the texts are not kept. The fork server
    gets the grader's probe files this way, before it forks any child, so that no file of the grader's is in view of
    the code it grades, and no probe's source is in the memory a child inherits."""
    for path, source in sources.items():
        _compiled[Path(path).resolve()] = compile(source, code_name(Path(path)), "exec")


def load_probe_file(path: Path) -> types.ModuleType:
    """Import a probe file once per process (the fork server does it before forking children), from the code
    compiled for its path, else from the file."""
    path = path.resolve()
    if path not in _loaded:
        code = _compiled.get(path)
        if code is None:
            code = compile(path.read_text(encoding="utf-8"), code_name(path), "exec")
        module = types.ModuleType(module_name(path))
        module.__file__ = code_name(path)
        sys.modules[module.__name__] = module
        exec(code, vars(module))  # noqa: S102 - the grader's own probe file
        _loaded[path] = module
    return _loaded[path]


def forget_others(kept: Probe) -> None:
    """Drop every probe file this process compiled or loaded, but the one of `kept` (a grading child needs one)."""
    _compiled.clear()
    for path in [p for p, module in _loaded.items() if module.__name__ != kept.__module__]:
        del _loaded[path]


def probes_of(module: types.ModuleType) -> dict[str, Probe]:
    """The probes a loaded probe file defines, by name."""
    return {name: fn for name, fn in vars(module).items() if callable(fn) and getattr(fn, _MARK, False)}


def find_probe(path: Path, name: str) -> Probe:
    """The probe `name` of the probe file at `path`; ProbeError naming the ones it has otherwise."""
    try:
        found = probes_of(load_probe_file(path))
    except Exception as exc:  # noqa: BLE001 - a broken probe file is the grader's fault
        raise ProbeError(f"the probe file {path} could not be loaded: {type(exc).__name__}: {exc}") from None
    if name not in found:
        raise ProbeError(f"{path.parent.name}/{path.name} has no probe `{name}` (it has: {', '.join(sorted(found))})")
    return found[name]


@lru_cache(maxsize=None)
def declared_fields(fn: Probe) -> tuple[frozenset[str], frozenset[str]] | None:
    """(required, all) field names of the TypedDict a probe declares it returns; None when it declares none."""
    returned = typing_extensions.get_type_hints(fn).get("return")
    if not typing_extensions.is_typeddict(returned):
        return None
    # read NotRequired from the resolved hints: with postponed annotations __required_keys__ cannot see it
    fields = typing_extensions.get_type_hints(returned, include_extras=True)
    optional = {name for name, hint in fields.items()
                if typing_extensions.get_origin(hint) is typing_extensions.NotRequired}
    return frozenset(fields.keys() - optional), frozenset(fields)


def check_result(fn: Probe, value: Any) -> None:
    """Raise ProbeError when a probe's result lacks a declared field or has an undeclared one."""
    fields = declared_fields(fn)
    if fields is None:
        return
    required, known = fields
    if not isinstance(value, dict):
        raise ProbeError(f"probe `{fn.__name__}` returned a {type(value).__name__}, not the dict it declares")
    missing, extra = sorted(required - value.keys()), sorted(value.keys() - known)
    if missing or extra:
        raise ProbeError(f"probe `{fn.__name__}` returned a result that does not match its declared type"
                         + (f"; missing: {', '.join(missing)}" if missing else "")
                         + (f"; undeclared: {', '.join(extra)}" if extra else ""))
