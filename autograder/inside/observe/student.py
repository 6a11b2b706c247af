"""A handle on the student's module: finding names and calling them with clear errors."""

from __future__ import annotations

import importlib.util
import inspect
import sys
import types
from pathlib import Path
from typing import Any

from autograder.contract.wire import Failure


class StudentIssue(Exception):
    """A problem with the submission that the parent reports in the student's terms."""

    kind: str = Failure.EXCEPTION.value  # plain str: submitted code can reach these classes

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details


class MissingName(StudentIssue):
    kind = Failure.MISSING.value


class WrongSignature(StudentIssue):
    kind = Failure.SIGNATURE.value


class ImportFailed(StudentIssue):
    kind = Failure.IMPORT_ERROR.value


class InstrumentsModified(StudentIssue):
    """The code under grading changed what the grader observes with: a recorder's tape, torch's functions or
    hook registries, the grader's modules; or it tried to reach them and was refused."""

    kind = Failure.TAMPERED.value


class AlreadyTimedOut(StudentIssue):
    """A function that timed out in an earlier check of the exercise was called again: not waited for twice."""

    kind = Failure.SKIPPED.value


def load_module(path: Path) -> types.ModuleType:
    """Import the student's module from a file, its folder first on sys.path."""
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportFailed(f"{path.name} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


class StudentModule:
    """The student's module as probes see it."""

    def __init__(self, module: types.ModuleType, filename: str) -> None:
        self.module = module
        self.filename = filename
        self.calling: str | None = None

    def get(self, name: str) -> Any:
        """The module attribute `name`, or a MissingName naming the file."""
        try:
            return getattr(self.module, name)
        except AttributeError:
            raise MissingName(f"{self.filename} defines no `{name}`", name=name) from None

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call the student's function or class `name`, checking first that it accepts the arguments."""
        target = self.get(name)
        if not callable(target):
            raise MissingName(f"`{name}` in {self.filename} is not a function or class", name=name)
        _check_signature(name, target, args, kwargs)
        self.calling = name
        return target(*args, **kwargs)


def _describe_call(args: tuple, kwargs: dict) -> str:
    parts = ["…"] * len(args) + [f"{k}=…" for k in kwargs]
    return ", ".join(parts)


def _check_signature(name: str, target: Any, args: tuple, kwargs: dict) -> None:
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        shown = f"{name}{signature}" if not isinstance(target, type) else f"{name}.__init__{signature}"
        raise WrongSignature(
            f"`{shown}` cannot be called as `{name}({_describe_call(args, kwargs)})`: {exc}. "
            "Keep the signature given in the stub.",
            name=name,
        ) from None
