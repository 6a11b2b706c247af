# Generated from solutions/07_iris/probes.py by `autograder generate`: edit there.
"""Probes for 07_iris (iris.py)."""

from __future__ import annotations

import inspect
import time
from typing import Any

from typing_extensions import NotRequired, TypedDict

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from autograder.contract.plan import TRAINING
from autograder.inside import preload
from autograder.inside.observe.devices import mismatch_run, probe_device
from autograder.inside.observe.plain import describe, float_list, state_dict, to_numpy
from autograder.inside.observe.recorders import ForwardRecorder, GradAccumulationDetector, Stop, StepRecorder
from autograder.inside.observe.student import StudentIssue, StudentModule
from autograder.inside.probes import probe


def iris_tensors(seed: int, val_fraction: float = 0.25) -> tuple[torch.Tensor, ...]:
    """The iris split the grader owns: (x_train, y_train, x_val, y_val), float32/int64 CPU tensors."""
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split

    iris = load_iris()
    xt, xv, yt, yv = train_test_split(iris.data, iris.target, test_size=val_fraction, stratify=iris.target,
                                      random_state=seed)
    return (torch.tensor(xt, dtype=torch.float32), torch.tensor(yt, dtype=torch.int64),
            torch.tensor(xv, dtype=torch.float32), torch.tensor(yv, dtype=torch.int64))


def mlp(seed: int, n_in: int = 4, n_hidden: int = 1024, n_out: int = 3, device: str = "cpu") -> torch.nn.Module:
    """The grader's own two-layer classifier (fc1 → ReLU → fc2), seeded."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential()
    model.add_module("fc1", torch.nn.Linear(n_in, n_hidden))
    model.add_module("relu", torch.nn.ReLU())
    model.add_module("fc2", torch.nn.Linear(n_hidden, n_out))
    return model.to(device)


_perf_counter = time.perf_counter


def _grader_loss(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    was_training = model.training
    model.eval()
    with torch.no_grad():
        value = F.cross_entropy(model(x), y).item()
    model.train(was_training)
    return value


class LoadData(TypedDict):
    """What `load_data` returns."""

    ok_tuple: bool
    type: NotRequired[str]
    full: NotRequired[Any]
    x_train: NotRequired[Any]
    y_train: NotRequired[Any]
    x_val: NotRequired[Any]
    y_val: NotRequired[Any]


@probe
def load_data(student: StudentModule, *, device: str, seed: int = 42, val_fraction: float = 0.25) -> LoadData:
    """What load_iris_data returns for a seed: types, shapes, and the arrays themselves."""
    out = student.call("load_iris_data", val_fraction=val_fraction, seed=seed)
    if not isinstance(out, (tuple, list)) or len(out) != 4:
        return {"ok_tuple": False, "type": type(out).__name__}
    arrays = {}
    for name, value in zip(("x_train", "y_train", "x_val", "y_val"), out):
        arrays[name] = {"info": describe(value),
                        "array": to_numpy(value) if isinstance(value, torch.Tensor) else None}
    from sklearn.datasets import load_iris

    return {"ok_tuple": True, "full": load_iris().data.astype("float32"), **arrays}


class Structure(TypedDict):
    """What `structure` returns."""

    layers: Any
    output: dict[str, Any]
    got: np.ndarray
    want: Any
    n_params: Any


@probe
def structure(student: StudentModule, *, device: str, seed: int = 0) -> Structure:
    """IrisClassifier's layers, and its output against fc2(relu(fc1(x))) computed by the grader."""
    torch.manual_seed(seed)
    model = student.call("IrisClassifier", n_features=4, n_hidden=32, n_classes=3)
    layers = {name: {"type": type(m).__name__, "in": getattr(m, "in_features", None),
                     "out": getattr(m, "out_features", None)} for name, m in model.named_children()}
    x = torch.randn(5, 4)
    with torch.no_grad():
        got = model(x)
        want = None
        if hasattr(model, "fc1") and hasattr(model, "fc2"):
            try:
                want = to_numpy(model.fc2(torch.relu(model.fc1(x))))
            except Exception:  # noqa: BLE001 - wrong layer shapes show up in `layers`
                want = None
    return {"layers": layers, "output": describe(got), "got": to_numpy(got) if isinstance(got, torch.Tensor) else None,
            "want": want, "n_params": sum(p.numel() for p in model.parameters())}


class TrainRun(TypedDict):
    """What `train_run` returns."""

    ok_pair: bool
    losses: dict[str, Any]
    val_losses: dict[str, Any]
    l0: Any
    l1: Any
    before: dict[str, np.ndarray]
    after: dict[str, np.ndarray]
    x: np.ndarray
    y: np.ndarray
    forwards: list[dict[str, Any]]
    bypassed: bool
    steps: dict[str, Any]
    grad: dict[str, Any]
    train_batch: int
    val_batch: int


@probe
def train_run(student: StudentModule, *, device: str, seed: int, n_epochs: int, lr: float,
              validate: bool = False) -> TrainRun:
    """Run train() on the grader's model and data, recording modes, steps and gradient accumulation."""
    x, y, xv, yv = iris_tensors(seed)
    xv, yv = xv[:30], yv[:30]          # a batch size no training batch has, to tell the forwards apart
    model = mlp(seed)
    before = state_dict(model)
    l0 = _grader_loss(model, x, y)
    kwargs = {"x_val": xv, "y_val": yv} if validate else {}
    with ForwardRecorder(model) as fwd, StepRecorder(model) as steps, GradAccumulationDetector(model) as acc:
        result = student.call("train", model, x, y, n_epochs=n_epochs, lr=lr, **kwargs)
    ok_pair = isinstance(result, (tuple, list)) and len(result) == 2
    losses, val_losses = (result if ok_pair else (None, None))
    return {"ok_pair": ok_pair, "losses": float_list(losses), "val_losses": float_list(val_losses),
            "l0": l0, "l1": _grader_loss(model, x, y), "before": before, "after": state_dict(model),
            "x": to_numpy(x), "y": to_numpy(y), "forwards": fwd.as_list(), "bypassed": fwd.bypassed(),
            "steps": steps.as_dict(), "grad": acc.as_dict(), "train_batch": len(x), "val_batch": len(xv)}


class EvaluateRun(TypedDict):
    """What `evaluate_run` returns."""

    got: Any
    got_type: str
    want: Any
    forwards: list[dict[str, Any]]
    bypassed: bool
    training_after: Any


@probe
def evaluate_run(student: StudentModule, *, device: str, seed: int) -> EvaluateRun:
    """Run evaluate() on a model with dropout (so train-mode evaluation changes the number)."""
    x, y, xv, yv = iris_tensors(seed)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 64), torch.nn.ReLU(), torch.nn.Dropout(0.5), torch.nn.Linear(64, 3))
    model.train()
    want = _grader_loss(model, xv, yv)
    with ForwardRecorder(model) as fwd:
        got = student.call("evaluate", model, xv, yv)
    return {"got": got if isinstance(got, (int, float)) else None, "got_type": type(got).__name__,
            "want": want, "forwards": fwd.as_list(), "bypassed": fwd.bypassed(), "training_after": model.training}


class AccuracyRun(TypedDict):
    """What `accuracy_run` returns."""

    got: Any
    got_type: str
    want: Any
    forwards: list[dict[str, Any]]


@probe
def accuracy_run(student: StudentModule, *, device: str, seed: int) -> AccuracyRun:
    """accuracy() on a grader model against the grader's own count."""
    x, y, xv, yv = iris_tensors(seed)
    model = mlp(seed, n_hidden=16)
    with torch.no_grad():
        want = (model(x).argmax(dim=1) == y).float().mean().item()
    with ForwardRecorder(model) as fwd:
        got = student.call("accuracy", model, x, y)
    return {"got": got if isinstance(got, (int, float)) else None, "got_type": type(got).__name__, "want": want,
            "forwards": fwd.as_list()}


class PlotRun(TypedDict):
    """What `plot_run` returns."""

    is_figure: bool
    type: NotRequired[str]
    n_axes: NotRequired[Any]
    xlabel: NotRequired[str]
    ylabel: NotRequired[str]
    lines: NotRequired[Any]
    legend: NotRequired[bool]


@probe
def plot_run(student: StudentModule, *, device: str, n: int = 20, with_val: bool = True) -> PlotRun:
    """What plot_losses draws: axes, lines, labels."""
    losses = [1.0 / (i + 1) for i in range(n)]
    val = [1.5 / (i + 1) for i in range(n)] if with_val else None
    fig = student.call("plot_losses", losses, val)
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        return {"is_figure": False, "type": type(fig).__name__}
    axes = fig.get_axes()
    info: dict[str, Any] = {"is_figure": True, "n_axes": len(axes)}
    if axes:
        ax = axes[0]
        info.update(xlabel=ax.get_xlabel(), ylabel=ax.get_ylabel(),
                    lines=[{"label": ln.get_label(), "y": [float(v) for v in ln.get_ydata()]} for ln in ax.get_lines()],
                    legend=ax.get_legend() is not None)
    return info


class TimeTrainingRun(TypedDict):
    """What `time_training_run` returns."""

    ok_pair: bool
    seconds: Any
    seconds_type: str
    losses: dict[str, Any]
    wall: Any
    steps: int


@probe
def time_training_run(student: StudentModule, *, device: str, seed: int, n_epochs: int = 20) -> TimeTrainingRun:
    """What time_training returns: a float of seconds and the losses of the epochs."""
    x, y, _, _ = iris_tensors(seed)
    model = mlp(seed, n_hidden=16)
    with StepRecorder(model) as steps:
        start = _perf_counter()
        out = student.call("time_training", model, x, y, n_epochs=n_epochs, lr=1e-3)
        wall = _perf_counter() - start
    ok = isinstance(out, (tuple, list)) and len(out) == 2
    return {"ok_pair": ok, "seconds": out[0] if ok and isinstance(out[0], (int, float)) else None,
            "seconds_type": type(out[0]).__name__ if ok else None, "losses": float_list(out[1] if ok else None),
            "wall": wall, "steps": steps.steps}


def _layer_sizes(model: torch.nn.Module) -> dict[str, list[int | None]]:
    return {name: [getattr(m, "in_features", None), getattr(m, "out_features", None)]
            for name, m in model.named_children()}


