"""What one forked child does: import the student's module, run one probe, describe any failure."""

from __future__ import annotations

import linecache
import sys
import traceback
import types
from pathlib import Path
from typing import Any

from autograder.contract.wire import Failure, Phase, Request, Response, Status
from autograder.inside.observe.student import AlreadyTimedOut, StudentIssue, StudentModule, load_module
from autograder.inside.probes import (ProbeError, check_result, declared_fields, find_probe, forget_others,
                                      is_probe_module)
from autograder.inside import guard

IMPORTED_MARKER = ".imported"  # created in the work folder once the student's module imported
_MEMORY_MARKERS = ("can't allocate memory", "DefaultCPUAllocator", "out of memory")


def _torch_namespaces() -> tuple[Any, ...]:
    """The torch namespaces whose functions the probes and recorders use (e.g. torch.no_grad reads
    torch.is_grad_enabled when it exits, so a student's replacement would leak into the grader), and the
    modules that hold torch's global hook registries."""
    import torch
    import torch.autograd.grad_mode
    import torch.nn.functional
    import torch.nn.modules.module as module_hooks
    import torch.optim.optimizer as optimizer_hooks

    return (torch, torch.nn.functional, torch.autograd, torch.autograd.grad_mode, torch.nn.Module, torch.Tensor,
            module_hooks, optimizer_hooks, torch.optim.Optimizer)


_CACHES = frozenset({"__slotnames__", "__warningregistry__"})  # what pickling (torch.save) caches on a class, and
# what warnings.warn records in the module its stacklevel points at


def _wrapped_by_dynamo(space: Any, name: str, saved: Any) -> bool:
    """Importing torch._dynamo (the first optimizer does) wraps torch.manual_seed: not the student's doing."""
    return space.__name__ == "torch" and name == "manual_seed" and \
        getattr(getattr(space, name, None), "__wrapped__", None) is saved


class Instruments:
    """What the grader observes with, as it was before the student's code ran: torch's namespaces, the
    contents of torch's global hook registries, and the grader's own modules and the classes they define.

    The fork server takes this snapshot once, before it forks any child (nothing submitted ever runs in the
    server), and each child inherits it: taken in every child, it cost about 20 ms a probe (allocating the
    copies there touches thousands of pages shared with the server)."""

    def __init__(self) -> None:
        torch_spaces = _torch_namespaces()
        grader = [m for n, m in sys.modules.items()
                  if (n.partition(".")[0] == "autograder" or is_probe_module(n)) and m is not None]
        classes = {id(c): c for m in grader for c in vars(m).values()
                   if isinstance(c, type) and c.__module__ == m.__name__}  # e.g. a loss handed to the student
        self.spaces = [(space, dict(vars(space))) for space in (*torch_spaces, *grader, *classes.values())]
        self.torch_spaces = self.spaces[:len(torch_spaces)]
        self.registries = [(f"{space.__name__}.{name}", value, dict(value))
                           for space in torch_spaces if isinstance(space, types.ModuleType)
                           for name, value in vars(space).items()
                           if name.startswith("_global_") and isinstance(value, dict)]

    def covers(self, module: types.ModuleType) -> bool:
        """Whether the snapshot holds that module."""
        return any(space is module for space, _ in self.spaces)

    def restore_torch(self) -> None:
        """Put back every attribute of torch's namespaces that the student's import replaced or deleted,
        remove what it added to the classes (an added ``torch.Tensor.item`` would hide the inherited one),
        and empty the hook registries of what it registered."""
        for space, saved in self.torch_spaces:
            current = vars(space)
            for name, value in saved.items():
                if current.get(name, Instruments) is not value:
                    setattr(space, name, value)
            if isinstance(space, type):
                for name in [name for name in current if name not in saved]:
                    delattr(space, name)
        for _, registry, saved in self.registries:
            if registry != saved:
                registry.clear()
                registry.update(saved)

    def changes(self) -> list[str]:
        """What differs now (names; empty if nothing): a cheap identity comparison."""
        found = []
        for space, saved in self.spaces:
            current = vars(space)
            label = getattr(space, "__name__", repr(space))
            found += [f"{label}.{name}" for name, value in saved.items()
                      if current.get(name, Instruments) is not value and not _wrapped_by_dynamo(space, name, value)]
            if isinstance(space, type) or space.__name__.startswith("autograder"):  # torch's modules gain submodules
                found += [f"{label}.{name} (added)" for name in current if name not in saved and name not in _CACHES]
        for name, registry, saved in self.registries:
            if registry.keys() != saved.keys() or any(registry[k] is not v for k, v in saved.items()):
                found.append(name)
        return found


def _student_frame(exc: BaseException, root: Path) -> dict[str, Any] | None:
    """The innermost traceback frame that lies in the submission (file, line, function, code)."""
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        try:
            path = Path(frame.filename).resolve()
        except (OSError, ValueError):
            continue
        if root in path.parents:
            found = {"file": path.name, "line": frame.lineno, "function": frame.name,
                     "code": (frame.line or linecache.getline(frame.filename, frame.lineno or 0)).strip()}
    return found


def _kind(exc: BaseException, where: dict[str, Any] | None) -> Failure | str:
    if isinstance(exc, StudentIssue):
        return exc.kind
    if isinstance(exc, NotImplementedError) and where is not None:
        return Failure.NOT_IMPLEMENTED
    if isinstance(exc, MemoryError) or (isinstance(exc, RuntimeError) and any(m in str(exc) for m in _MEMORY_MARKERS)):
        return Failure.MEMORY
    if isinstance(exc, SystemExit):
        return Failure.EXIT
    return Failure.EXCEPTION


def describe_failure(exc: BaseException, root: Path, calling: str | None) -> Response:
    """A plain-data account of an exception, in terms of the student's code."""
    where = _student_frame(exc, root)
    if isinstance(exc, SyntaxError) and exc.filename:
        where = {"file": Path(exc.filename).name, "line": exc.lineno, "function": None,
                 "code": (exc.text or "").strip()}
    message = str(exc) if not isinstance(exc, SystemExit) else f"SystemExit({exc.code!r})"
    return {"status": Status.ERROR, "kind": _kind(exc, where), "exc_type": type(exc).__name__,
            "message": message[:2000], "where": where, "calling": calling}


def _tampered(what: list[str], phase: Phase | None = None) -> Response:
    shown = ", ".join(what[:5]) + (f" and {len(what) - 5} more" if len(what) > 5 else "")
    failure: Response = {"status": Status.ERROR, "kind": Failure.TAMPERED, "exc_type": None, "where": None,
               "calling": None, "message": f"the grader's instruments were modified or reached for ({shown})"}
    return {**failure, "phase": phase} if phase else failure


def _skip_timed_out(module: types.ModuleType, timed_out: dict[str, float]) -> None:
    """Replace the module's functions that already timed out by ones that fail at once (the student's other
    functions call them by their global name, i.e. through the module, and fail at once too)."""
    for name, limit in timed_out.items():
        if callable(getattr(module, name, None)):
            def skipped(*args: Any, _name: str = name, _limit: float = limit, **kwargs: Any) -> Any:
                raise AlreadyTimedOut(f"skipped: `{_name}` already timed out after {_limit:.0f} s in an earlier "
                                      "check of this exercise; it is not run again", name=_name)

            setattr(module, name, skipped)


def run(request: Request, pristine: Instruments | None = None) -> Response:
    """Run the probe a request names against the student's module; never raises.

    pristine: the fork server's snapshot of the instruments; taken afresh here when not given, or when the probe
    file was loaded in this child (the server had not preloaded it: it and what it imports came after the snapshot)."""
    root = Path(request["submission"]).resolve()
    try:
        probe = find_probe(Path(request.get("probes") or "probes.py"), request["probe"])
    except ProbeError as exc:
        return {"status": Status.GRADER_ERROR, "message": str(exc)}
    path = root / request["exercise"] / request["module"]
    if not path.is_file():
        return {"status": Status.ERROR, "kind": Failure.MISSING_FILE,
                "message": f"{request['exercise']}/{request['module']} was not found in the submission",
                "where": None, "calling": None, "exc_type": None}
    declared_fields(probe)  # resolved now: its module leaves sys.modules below
    if pristine is None or not pristine.covers(sys.modules[probe.__module__]):
        pristine = Instruments()
    forget_others(probe)  # this child needs no other probe file (a hidden check's, say), compiled or loaded
    guarded = guard.install(root, own_files=(probe.__code__.co_filename,))
    guard.hide_grader_modules()

    def tampering() -> list[str]:
        return guarded.refused() + guarded.changes() + pristine.changes()

    try:
        module = load_module(path)
    except BaseException as exc:  # noqa: BLE001 - anything the student's import does is reported
        if tampering():
            return _tampered(tampering(), Phase.IMPORT)
        failure = describe_failure(exc, root, None)
        if failure["kind"] not in (Failure.MEMORY, Failure.EXIT):
            failure["kind"] = Failure.IMPORT_ERROR
        return {**failure, "phase": Phase.IMPORT}
    pristine.restore_torch()  # module-level monkeypatching of torch must not reach the grader's own code
    if tampering():
        return _tampered(tampering(), Phase.IMPORT)
    Path(IMPORTED_MARKER).touch()
    _skip_timed_out(module, request.get("timed_out") or {})
    student = StudentModule(module, request["module"])
    try:
        result: Response = {"status": Status.OK, "value": probe(student, **request["kwargs"])}
    except BaseException as exc:  # noqa: BLE001 - the harness must survive anything
        result = describe_failure(exc, root, student.calling)
    if tampering():
        return _tampered(tampering())
    if result["status"] == Status.OK:
        try:
            check_result(probe, result["value"])
        except ProbeError as exc:
            return {"status": Status.GRADER_ERROR, "message": str(exc)}
    return result
