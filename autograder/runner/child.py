"""What one forked child does: import the student's module, run one probe, describe any failure."""

from __future__ import annotations

import linecache
import traceback
from pathlib import Path
from typing import Any

from autograder.observe.student import ImportFailed, StudentIssue, StudentModule, load_module
from autograder.probes import ProbeError, check_result, find_probe

IMPORTED_MARKER = ".imported"  # created in the work folder once the student's module imported
_MEMORY_MARKERS = ("can't allocate memory", "DefaultCPUAllocator", "out of memory")


def _torch_namespaces() -> tuple[Any, ...]:
    """The torch namespaces whose functions the probes themselves use (e.g. torch.no_grad reads
    torch.is_grad_enabled when it exits, so a student's replacement would leak into the grader)."""
    import torch
    import torch.autograd.grad_mode
    import torch.nn.functional

    return (torch, torch.nn.functional, torch.autograd, torch.autograd.grad_mode, torch.nn.Module, torch.Tensor)


def _snapshot_torch() -> list[tuple[Any, dict[str, Any]]]:
    return [(space, dict(vars(space))) for space in _torch_namespaces()]


def _restore_torch(snapshot: list[tuple[Any, dict[str, Any]]]) -> None:
    """Put back every attribute of those namespaces that the student's import replaced or deleted, and
    remove what it added to the classes (an added ``torch.Tensor.item`` would hide the inherited one)."""
    for space, saved in snapshot:
        current = vars(space)
        for name, value in saved.items():
            if current.get(name, _restore_torch) is not value:
                setattr(space, name, value)
        if isinstance(space, type):
            for name in [name for name in current if name not in saved]:
                delattr(space, name)


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


def _kind(exc: BaseException, where: dict[str, Any] | None) -> str:
    if isinstance(exc, StudentIssue):
        return exc.kind
    if isinstance(exc, NotImplementedError) and where is not None:
        return "not_implemented"
    if isinstance(exc, MemoryError) or (isinstance(exc, RuntimeError) and any(m in str(exc) for m in _MEMORY_MARKERS)):
        return "memory"
    if isinstance(exc, SystemExit):
        return "exit"
    return "exception"


def describe_failure(exc: BaseException, root: Path, calling: str | None) -> dict[str, Any]:
    """A plain-data account of an exception, in terms of the student's code."""
    where = _student_frame(exc, root)
    if isinstance(exc, SyntaxError) and exc.filename:
        where = {"file": Path(exc.filename).name, "line": exc.lineno, "function": None,
                 "code": (exc.text or "").strip()}
    message = str(exc) if not isinstance(exc, SystemExit) else f"SystemExit({exc.code!r})"
    return {"status": "error", "kind": _kind(exc, where), "exc_type": type(exc).__name__,
            "message": message[:2000], "where": where, "calling": calling}


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Run the probe a request names against the student's module; never raises."""
    root = Path(request["submission"]).resolve()
    try:
        probe = find_probe(Path(request.get("probes") or "probes.py"), request["probe"])
    except ProbeError as exc:
        return {"status": "grader_error", "message": str(exc)}
    path = root / request["exercise"] / request["module"]
    if not path.is_file():
        return {"status": "error", "kind": "missing_file",
                "message": f"{request['exercise']}/{request['module']} was not found in the submission",
                "where": None, "calling": None, "exc_type": None}
    pristine = _snapshot_torch()
    try:
        module = load_module(path)
    except BaseException as exc:  # noqa: BLE001 - anything the student's import does is reported
        failure = describe_failure(exc, root, None)
        if failure["kind"] not in ("memory", "exit"):
            failure["kind"] = ImportFailed.kind
        return {**failure, "phase": "import"}
    _restore_torch(pristine)  # module-level monkeypatching of torch must not reach the grader's own code
    Path(IMPORTED_MARKER).touch()
    student = StudentModule(module, request["module"])
    try:
        value = probe(student, **request["kwargs"])
    except BaseException as exc:  # noqa: BLE001 - the harness must survive anything
        return describe_failure(exc, root, student.calling)
    try:
        check_result(probe, value)
    except ProbeError as exc:
        return {"status": "grader_error", "message": str(exc)}
    return {"status": "ok", "value": value}
