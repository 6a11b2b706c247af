"""Probes for 03_modules (models.py).

The grader builds the models, optimizers, loss functions and data the student's code
receives, watches them with hooks, and reports states and recordings as plain data.
"""

from __future__ import annotations

from typing import Any

from typing_extensions import NotRequired, TypedDict

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from autograder.inside.observe.devices import probe_device
from autograder.inside.observe.plain import describe, float_list, number, state_dict, to_numpy
from autograder.inside.observe.recorders import (
    ForwardRecorder,
    GradAccumulationDetector,
    StepRecorder,
    Stop,
)
from autograder.inside.observe.student import StudentModule
from autograder.inside.probes import probe

_is_grad_enabled = torch.is_grad_enabled


def _params(model: nn.Module) -> dict[str, dict[str, Any]]:
    return {name: {**describe(p), "is_parameter": isinstance(p, nn.Parameter),
                   "values": to_numpy(p).astype(np.float64)} for name, p in model.named_parameters()}


def _children(model: nn.Module) -> dict[str, dict[str, Any]]:
    return {name: {"type": type(m).__name__, "in": getattr(m, "in_features", None),
                   "out": getattr(m, "out_features", None), "bias": getattr(m, "bias", None) is not None}
            for name, m in model.named_children()}


def _output(model: nn.Module, x: torch.Tensor) -> dict[str, Any]:
    with ForwardRecorder(model) as fwd:
        out = model(x)
    return {"info": describe(out), "values": to_numpy(out).astype(np.float64) if isinstance(out, torch.Tensor) else None,
            "called": bool(fwd.calls)}


def _grader_line(seed: int, device: str = "cpu") -> nn.Module:
    """The grader's own model for y = a + b·x: one nn.Linear(1, 1) in a Sequential, seeded."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(1, 1)).to(device)


class ManualStructure(TypedDict):
    """What `manual_structure` returns."""

    is_module: bool
    type: str
    params: Any
    x: np.ndarray
    output: Any


@probe
def manual_structure(student: StudentModule, *, device: str, seed: int = 0) -> ManualStructure:
    """ManualLinearRegression: its registered parameters, and its output on the grader's x."""
    torch.manual_seed(seed)
    model = student.call("ManualLinearRegression")
    x = torch.linspace(-2.0, 3.0, 7).reshape(7, 1)
    return {"is_module": isinstance(model, nn.Module), "type": type(model).__name__, "params": _params(model),
            "x": to_numpy(x).astype(np.float64), "output": _output(model, x)}


@probe
def layer_structure(student: StudentModule, *, device: str, seed: int = 0) -> dict[str, Any]:
    """LayerLinearRegression and make_sequential(): layers, parameters and outputs."""
    x = torch.linspace(-2.0, 3.0, 7).reshape(7, 1)
    found: dict[str, Any] = {"x": to_numpy(x).astype(np.float64)}
    for name, factory in (("layer", "LayerLinearRegression"), ("sequential", "make_sequential")):
        torch.manual_seed(seed)
        model = student.call(factory)
        if not isinstance(model, nn.Module):
            found[name] = {"is_module": False, "type": type(model).__name__}
            continue
        found[name] = {"is_module": True, "type": type(model).__name__, "children": _children(model),
                       "params": _params(model), "output": _output(model, x),
                       "linear_is_linear": isinstance(getattr(model, "linear", None), nn.Linear)}
    return found


class _RecordingLoss:
    """The loss_fn the grader hands to make_train_step: the MSE, recording how it is called."""

    def __init__(self, model: nn.Module) -> None:
        self.calls: list[dict[str, Any]] = []
        self.last_output: torch.Tensor | None = None
        self.targets: list[torch.Tensor] = []
        model.register_forward_hook(self._keep_output)

    def _keep_output(self, module: nn.Module, args: Any, output: torch.Tensor) -> None:
        self.last_output = output

    def __call__(self, first: Any, second: Any) -> torch.Tensor:
        def role(t: Any) -> str:
            if t is self.last_output:
                return "prediction"
            if any(t is y for y in self.targets):
                return "target"
            if isinstance(t, torch.Tensor) and t.grad_fn is not None:
                return "prediction (changed)"
            return "target (copy)" if isinstance(t, torch.Tensor) else type(t).__name__

        self.calls.append({"first": role(first), "second": role(second)})
        return F.mse_loss(first, second)


def _grad_state(model: nn.Module) -> str:
    grads = [p.grad for p in model.parameters()]
    if all(g is None for g in grads):
        return "none"
    return "nonzero" if any(g is not None and bool(g.ne(0).any()) for g in grads) else "zero"


class TrainStepRun(TypedDict):
    """What `train_step_run` returns."""

    callable: bool
    states: NotRequired[Any]
    calls: NotRequired[Any]
    forwards: NotRequired[list[dict[str, Any]]]
    bypassed: NotRequired[bool]
    steps: NotRequired[dict[str, Any]]
    steps_at_make: NotRequired[Any]
    grad: NotRequired[dict[str, Any]]
    loss_calls: NotRequired[Any]
    x32: NotRequired[np.ndarray]
    y32: NotRequired[np.ndarray]
    type: NotRequired[str]


@probe
def train_step_run(student: StudentModule, *, device: str, seed: int, x: np.ndarray, y: np.ndarray, lr: float,
                   n_calls: int = 1) -> TrainStepRun:
    """make_train_step on the grader's model (left in eval mode), SGD and a recording loss; call it n_calls times."""
    model = _grader_line(seed)
    model.eval()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = _RecordingLoss(model)
    xt = torch.as_tensor(x, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32)
    loss_fn.targets.append(yt)
    states = [state_dict(model)]
    calls = []
    with ForwardRecorder(model) as fwd, StepRecorder(model) as steps, GradAccumulationDetector(model) as acc:
        train_step = student.call("make_train_step", model, loss_fn, optimizer)
        steps_at_make = steps.steps
        if not callable(train_step):
            return {"callable": False, "type": type(train_step).__name__}
        for _ in range(n_calls):
            got = train_step(xt, yt)
            states.append(state_dict(model))
            calls.append({"returned": number(got), "grad_state": _grad_state(model), "steps": steps.steps,
                          "forwards": len(fwd.calls), "loss_calls": len(loss_fn.calls),
                          "grad_enabled": bool(_is_grad_enabled())})
    return {"callable": True, "states": states, "calls": calls, "forwards": fwd.as_list(), "bypassed": fwd.bypassed(),
            "steps": steps.as_dict(), "steps_at_make": steps_at_make, "grad": acc.as_dict(),
            "loss_calls": loss_fn.calls, "x32": xt.numpy().astype(np.float64), "y32": yt.numpy().astype(np.float64)}


class FitRun(TypedDict):
    """What `fit_run` returns."""

    losses: dict[str, Any]
    before: dict[str, np.ndarray]
    after: dict[str, np.ndarray]
    steps: dict[str, Any]
    grad: dict[str, Any]
    made: Any
    n_forwards: int
    bypassed: bool
    eval_forwards: Any
    x32: np.ndarray
    y32: np.ndarray


@probe
def fit_run(student: StudentModule, *, device: str, seed: int, x: np.ndarray, y: np.ndarray, lr: float,
            n_epochs: int) -> FitRun:
    """fit_model on the grader's model and tensors, counting steps and make_train_step calls."""
    model = _grader_line(seed)
    xt = torch.as_tensor(x, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32)
    before = state_dict(model)
    made: list[bool] = []
    original = student.get("make_train_step")

    def recording_make_train_step(*args: Any, **kwargs: Any) -> Any:
        given = args[0] if args else kwargs.get("model")
        made.append(given is model)
        return original(*args, **kwargs)

    vars(student.module)["make_train_step"] = recording_make_train_step  # what fit_model looks up
    with ForwardRecorder(model) as fwd, StepRecorder(model) as steps, GradAccumulationDetector(model) as acc:
        losses = student.call("fit_model", model, xt, yt, lr=lr, n_epochs=n_epochs)
    forwards = fwd.as_list()
    return {"losses": float_list(losses), "before": before, "after": state_dict(model), "steps": steps.as_dict(),
            "grad": acc.as_dict(), "made": made, "n_forwards": len(forwards), "bypassed": fwd.bypassed(),
            "eval_forwards": sum(1 for f in forwards if not f["training"] or not f["grad"]),
            "x32": xt.numpy().astype(np.float64), "y32": yt.numpy().astype(np.float64)}


class DeviceRun(TypedDict):
    """What `device_run` returns."""

    model_device: str
    forwards: list[dict[str, Any]]
    error: str | None
    bypassed: bool
    reached_item: Any


@probe
def device_run(student: StudentModule, *, device: str, seed: int, x: np.ndarray, y: np.ndarray) -> DeviceRun:
    """fit_model with the model on the accelerator (or `meta`) and the data on the CPU; stops at the first forward."""
    target = probe_device(device)
    model = _grader_line(seed, target)
    xt = torch.as_tensor(x, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32)
    error, reached_item = None, False
    with ForwardRecorder(model, stop_after=1) as fwd:
        try:
            student.call("fit_model", model, xt, yt, lr=0.1, n_epochs=3)
        except Stop:
            pass
        except NotImplementedError:
            raise
        except RuntimeError as exc:  # a device error is an observation here; anything else is reported as usual
            # On `meta`, a loop whose forward, backward and step all ran on the device first fails at loss.item().
            reached_item = "cannot be called on meta tensors" in str(exc)
            if not fwd.calls and not reached_item:
                error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return {"model_device": target, "forwards": fwd.as_list(), "error": error, "bypassed": fwd.bypassed(),
            "reached_item": reached_item}


@probe
def targets_device_run(student: StudentModule, *, device: str, seed: int, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """fit_model run on, with the model on the accelerator (or `meta`) and CPU data: targets left on the CPU
    meet the model's output in the loss and raise a device mismatch (on `meta` a correct loop fails later,
    at `.item()`)."""
    target = probe_device(device)
    model = _grader_line(seed, target)
    try:
        student.call("fit_model", model, torch.as_tensor(x, dtype=torch.float32),
                     torch.as_tensor(y, dtype=torch.float32), lr=0.1, n_epochs=2)
    except NotImplementedError:
        raise
    except RuntimeError as exc:
        if "not on the expected device" in str(exc) or "same device" in str(exc):
            return {"model_device": target, "mismatch": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}
    return {"model_device": target, "mismatch": None}
