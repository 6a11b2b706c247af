"""Probes for 02_autograd (autograd_basics.py).

The parent sends the data (numpy arrays); the probes build the tensors the student's
functions receive, and report back types, devices, leaf status and values.
"""

from __future__ import annotations

from typing import Any

from typing_extensions import NotRequired, TypedDict

import numpy as np
import torch

from autograder.inside.observe.devices import probe_device
from autograder.inside.observe.plain import describe, float_list, number, to_numpy
from autograder.inside.observe.student import StudentIssue, StudentModule
from autograder.inside.probes import probe

_is_grad_enabled = torch.is_grad_enabled


def _tensor(value: Any) -> dict[str, Any]:
    """describe() plus the values of a readable tensor."""
    info = describe(value)
    readable = isinstance(value, torch.Tensor) and value.device.type != "meta"
    return {"info": info, "values": to_numpy(value).astype(np.float64) if readable else None}


def _grader_init(seed: int, device: str) -> list[float] | None:
    """What torch.manual_seed(seed) then two torch.randn(1) give on `device` (None where unreadable)."""
    if device == "meta":
        return None
    torch.manual_seed(seed)
    a = torch.randn(1, device=device)
    b = torch.randn(1, device=device)
    return [float(a.cpu()[0]), float(b.cpu()[0])]


class ToTensorsRun(TypedDict):
    """What `to_tensors_run` returns."""

    ok_pair: bool
    target: str
    x: NotRequired[Any]
    y: NotRequired[Any]
    type: NotRequired[str]


@probe
def to_tensors_run(student: StudentModule, *, device: str, x: np.ndarray, y: np.ndarray, where: str = "cpu",
                   device_object: bool = False) -> ToTensorsRun:
    """to_tensors on the grader's arrays, to the CPU or to the probe device (accelerator, or meta)."""
    target = probe_device(device) if where == "probe" else "cpu"
    out = student.call("to_tensors", x.copy(), y.copy(), torch.device(target) if device_object else target)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return {"ok_pair": False, "type": type(out).__name__, "target": target}
    return {"ok_pair": True, "target": target, "x": _tensor(out[0]), "y": _tensor(out[1])}


class InitRun(TypedDict):
    """What `init_run` returns."""

    ok_pair: bool
    target: str
    a: NotRequired[Any]
    b: NotRequired[Any]
    want: NotRequired[Any]
    type: NotRequired[str]


@probe
def init_run(student: StudentModule, *, device: str, seed: int, where: str = "cpu") -> InitRun:
    """init_parameters(device, seed): the two tensors, and the values the grader draws itself."""
    target = probe_device(device) if where == "probe" else "cpu"
    out = student.call("init_parameters", target, seed=seed)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return {"ok_pair": False, "type": type(out).__name__, "target": target}
    return {"ok_pair": True, "target": target, "a": _tensor(out[0]), "b": _tensor(out[1]),
            "want": _grader_init(seed, target)}


def _grad_state(t: torch.Tensor) -> str:
    if t.grad is None:
        return "none"
    return "zero" if not bool(t.grad.ne(0).any()) else "nonzero"


class StepRun(TypedDict):
    """What `step_run` returns."""

    x32: np.ndarray
    y32: np.ndarray
    a0: float
    b0: float
    a032: float
    b032: float
    steps: Any


@probe
def step_run(student: StudentModule, *, device: str, a0: float, b0: float, x: np.ndarray, y: np.ndarray, lr: float,
             n_steps: int = 1) -> StepRun:
    """manual_step called n_steps times on the grader's leaves; the state after each call."""
    a = torch.tensor([a0], dtype=torch.float32, requires_grad=True)
    b = torch.tensor([b0], dtype=torch.float32, requires_grad=True)
    xt = torch.as_tensor(x, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32)
    steps = []
    for _ in range(n_steps):
        got = student.call("manual_step", a, b, xt, yt, lr)
        steps.append({"returned": number(got), "a": float(a.detach()[0]), "b": float(b.detach()[0]),
                      "a_grad": _grad_state(a), "b_grad": _grad_state(b),
                      "leaves": bool(a.is_leaf and b.is_leaf), "requires_grad": bool(a.requires_grad and b.requires_grad),
                      "grad_enabled": bool(_is_grad_enabled())})
    return {"x32": xt.numpy().astype(np.float64), "y32": yt.numpy().astype(np.float64),
            "a0": float(a0), "b0": float(b0), "a032": float(np.float32(a0)), "b032": float(np.float32(b0)),
            "steps": steps}


class FitRun(TypedDict):
    """What `fit_run` returns."""

    ok_triple: bool
    init: Any
    a: NotRequired[Any]
    b: NotRequired[Any]
    losses: NotRequired[dict[str, Any]]
    x32: NotRequired[np.ndarray]
    y32: NotRequired[np.ndarray]
    type: NotRequired[str]


@probe
def fit_run(student: StudentModule, *, device: str, x: np.ndarray, y: np.ndarray, lr: float, n_epochs: int,
            seed: int) -> FitRun:
    """fit_autograd on the CPU; with the initial a, b the grader draws for that seed."""
    out = student.call("fit_autograd", x.copy(), y.copy(), lr=lr, n_epochs=n_epochs, device="cpu", seed=seed)
    init = _grader_init(seed, "cpu")
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        return {"ok_triple": False, "type": type(out).__name__, "init": init}
    return {"ok_triple": True, "a": number(out[0]), "b": number(out[1]), "losses": float_list(out[2]), "init": init,
            "x32": np.asarray(x, dtype=np.float32).astype(np.float64),
            "y32": np.asarray(y, dtype=np.float32).astype(np.float64)}


class FitDeviceRun(TypedDict):
    """What `fit_device_run` returns."""

    model_device: str
    devices: list[str] | None
    error: str | None


@probe
def fit_device_run(student: StudentModule, *, device: str, seed: int) -> FitDeviceRun:
    """fit_autograd(..., device=accelerator or `meta`): the devices of what it hands to manual_step.

    manual_step is wrapped in the student's module for the call (fit_autograd is specified to use it); on
    `meta` the real manual_step then fails at `.item()`, which is fine: the first call is what we record.
    """
    target = probe_device(device)
    rs = np.random.RandomState(seed)
    x = rs.rand(20, 1)
    y = 1 + 2 * x
    original, seen = student.get("manual_step"), []

    def recording(a: Any, b: Any, x_t: Any, y_t: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append([getattr(t, "device", torch.device("cpu")).type for t in (a, b, x_t, y_t)])
        return original(a, b, x_t, y_t, *args, **kwargs)

    student.module.manual_step = recording
    error = None
    try:
        student.call("fit_autograd", x, y, n_epochs=2, device=target, seed=seed)
    except (NotImplementedError, StudentIssue):
        raise
    except Exception as exc:  # noqa: BLE001 - on `meta` the loss cannot be read: expected once recorded
        if not seen:
            error = f"{type(exc).__name__}: {exc}"
    finally:
        student.module.manual_step = original
    return {"model_device": torch.device(target).type, "devices": seen[0] if seen else None, "error": error}
