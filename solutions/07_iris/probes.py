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


class DeviceRun(TypedDict):
    """What `device_run` returns."""

    model_device: str
    forwards: list[dict[str, Any]]
    error: str | None


@probe
def device_run(student: StudentModule, *, device: str, seed: int, function: str) -> DeviceRun:
    """Call train/evaluate/accuracy with the model on the accelerator (or `meta`) and CPU data.

    Stops at the first forward: all we need is the device of what reached the model.
    """
    target = probe_device(device)
    x, y, _, _ = iris_tensors(seed)
    model = mlp(seed, n_hidden=16, device=target)
    args: dict[str, Any] = {"n_epochs": 2, "lr": 1e-3} if function == "train" else {}
    error = None
    with ForwardRecorder(model, stop_after=1) as fwd:
        try:
            student.call(function, model, x, y, **args)
        except Stop:
            pass
        except (NotImplementedError, StudentIssue):
            raise
        except Exception as exc:  # noqa: BLE001 - a device error is an observation here
            if not fwd.calls:
                error = f"{type(exc).__name__}: {exc}"
    return {"model_device": target, "forwards": fwd.as_list(), "error": error}


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


class TimeTrain(TypedDict):
    """What `time_train` returns: the time, and the work done in it (a timed run is a checked run too)."""

    seconds: float
    steps: int
    backwards: int
    training_forwards: int
    loss_before: float
    loss_after: float


@probe
def time_train(student: StudentModule, *, device: str, seed: int, n_epochs: int, lr: float = 1e-4) -> TimeTrain:
    """Wall time of train() for n_epochs on the grader's model, with the work it did: optimizer steps, backward
    passes and training forward passes counted, and the grader's loss on the training data before and after."""
    preload.import_modules(list(TRAINING))  # a one-time import is not training time
    x, y, _, _ = iris_tensors(seed)
    model = mlp(seed, device=device)
    loss_before = _grader_loss(model, x.to(device), y.to(device))
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    with StepRecorder(model) as steps, GradAccumulationDetector(model) as grads, ForwardRecorder(model) as fwd:
        sync()
        start = _perf_counter()
        student.call("train", model, x, y, n_epochs=n_epochs, lr=lr)
        sync()
        seconds = _perf_counter() - start
    return {"seconds": seconds, "steps": steps.steps, "backwards": grads.as_dict()["backwards"],
            "training_forwards": sum(1 for call in fwd.calls if call.training and call.grad),
            "loss_before": loss_before, "loss_after": _grader_loss(model, x.to(device), y.to(device))}


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


@probe
def arguments_run(student: StudentModule, *, device: str, seed: int, val_fraction: float, n_features: int, n_hidden: int,
                  n_classes: int) -> dict[str, Any]:
    """load_iris_data and IrisClassifier called with arguments other than their defaults."""
    out = student.call("load_iris_data", val_fraction=val_fraction, seed=seed)
    sizes = [len(v) if isinstance(v, torch.Tensor) and v.dim() else None for v in out] \
        if isinstance(out, (tuple, list)) else None
    torch.manual_seed(seed)
    model = student.call("IrisClassifier", n_features=n_features, n_hidden=n_hidden, n_classes=n_classes)
    layers = _layer_sizes(model)
    with torch.no_grad():
        logits = model(torch.randn(7, n_features))
    return {"sizes": sizes, "layers": layers, "output": describe(logits)}


@probe
def defaults_run(student: StudentModule, *, device: str, seed: int) -> dict[str, Any]:
    """What the functions do when the arguments the course spec gives defaults to are left out."""
    split, explicit = student.call("load_iris_data"), student.call("load_iris_data", val_fraction=0.25, seed=42)
    same_split = all(isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape
                     and bool((a == b).all()) for a, b in zip(split, explicit)) and len(split) == len(explicit) == 4
    torch.manual_seed(seed)
    model = student.call("IrisClassifier")
    layers = _layer_sizes(model)
    x, y, _, _ = iris_tensors(seed)
    runs = {}
    for function in ("train", "time_training"):
        # lr left out: observed on two steps; n_epochs left out would mean 3000 steps, so its default is read
        # from the signature (the other checks show that n_epochs is used)
        small = mlp(seed, n_hidden=8)
        with StepRecorder(small) as steps:
            student.call(function, small, x, y, n_epochs=2)
        parameter = inspect.signature(student.get(function)).parameters.get("n_epochs")
        default = parameter.default if parameter is not None else None
        runs[function] = {"lrs": sorted(set(steps.lrs)), "n_epochs": default if isinstance(default, int) else None}
    return {"same_split": same_split, "layers": layers, "runs": runs}


@probe
def train_validation_run(student: StudentModule, *, device: str, seed: int, n_epochs: int, lr: float) -> dict[str, Any]:
    """train() with validation data: the validation losses it returns and the grader's loss of the final model."""
    x, y, xv, yv = iris_tensors(seed)
    model = mlp(seed, n_hidden=64)
    result = student.call("train", model, x, y, n_epochs=n_epochs, lr=lr, x_val=xv, y_val=yv)
    ok_pair = isinstance(result, (tuple, list)) and len(result) == 2
    return {"ok_pair": ok_pair, "val_losses": float_list(result[1] if ok_pair else None),
            "final_val_loss": _grader_loss(model, xv, yv), "initial_val_loss": _grader_loss(mlp(seed, n_hidden=64), xv, yv)}


@probe
def time_training_span(student: StudentModule, *, device: str, seed: int, n_epochs: int) -> dict[str, Any]:
    """time_training's seconds against the span of the training work (first to last optimizer step) and the call."""
    x, y, _, _ = iris_tensors(seed)
    model = mlp(seed, n_hidden=256)
    from torch.optim.optimizer import register_optimizer_step_post_hook

    marks: list[float] = []
    hook = register_optimizer_step_post_hook(lambda *_: marks.append(_perf_counter()))
    with StepRecorder(model) as steps:
        try:
            start = _perf_counter()
            out = student.call("time_training", model, x, y, n_epochs=n_epochs, lr=1e-3)
            wall = _perf_counter() - start
        finally:
            hook.remove()
    ok = isinstance(out, (tuple, list)) and len(out) == 2 and isinstance(out[0], (int, float))
    return {"ok_pair": ok, "seconds": float(out[0]) if ok else None, "wall": wall,
            "span": (marks[-1] - marks[0]) if marks else None, "steps": steps.steps, "lrs": sorted(set(steps.lrs)),
            "losses": float_list(out[1] if ok else None), "l0": _grader_loss(mlp(seed, n_hidden=256), x, y),
            "l0_on_softmax": _grader_loss(nn.Sequential(mlp(seed, n_hidden=256), nn.Softmax(dim=1)), x, y)}


class LabelsDeviceRun(TypedDict):
    """What `labels_device_run` returns."""

    model_device: str
    forwards: int
    mismatch: str | None
    during: str | None
    error: str | None


@probe
def labels_device_run(student: StudentModule, *, device: str, seed: int, function: str) -> LabelsDeviceRun:
    """Run train/evaluate/accuracy to the end with the model on the accelerator (or `meta`) and CPU data.

    Labels left on the CPU meet the model's output in the loss or the comparison and raise a device
    mismatch: only a mismatch counts here.
    """
    x, y, _, _ = iris_tensors(seed)
    target = probe_device(device)
    model = mlp(seed, n_hidden=16, device=target)
    args: dict[str, Any] = {"n_epochs": 2, "lr": 1e-3} if function == "train" else {}
    return mismatch_run(student, function, model, x, y, **args)
