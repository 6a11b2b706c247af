"""Probes for 05_training_loop (loop.py).

The grader owns the model, the optimizer, the loaders and the loss function. Its training
loader has batches of 16 and its validation loader batches of 10, so every forward pass
(and every loss) can be attributed to training or to validation by its batch size.
"""

from __future__ import annotations

import copy
from typing import Any

from typing_extensions import TypedDict

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from autograder.inside.observe.devices import probe_device
from autograder.inside.observe.plain import float_list, state_dict, to_numpy
from autograder.inside.observe.recorders import (ForwardRecorder, GradAccumulationDetector, LossRecorder, StepRecorder,
                                                Stop)
from autograder.inside.observe.student import StudentModule
from autograder.inside.probes import probe


TRAIN_N, TRAIN_BATCH = 64, 16        # 4 training batches per epoch
VAL_N, VAL_BATCH = 30, 10            # 3 validation batches per pass


def regression_data(seed: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """y = 1 + 2x + 0.1·noise, float32 (n, 1) CPU tensors, from a generator of their own."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, generator=g)
    return x, 1 + 2 * x + 0.1 * torch.randn(n, 1, generator=g)


def loaders(seed: int) -> tuple[DataLoader, DataLoader, torch.Tensor, torch.Tensor]:
    """The grader's loaders (train: 64 points in batches of 16, shuffled by a seeded generator;
    validation: 30 points in batches of 10) and the training tensors."""
    x, y = regression_data(seed, TRAIN_N + VAL_N)
    xt, yt, xv, yv = x[:TRAIN_N], y[:TRAIN_N], x[TRAIN_N:], y[TRAIN_N:]
    train = DataLoader(TensorDataset(xt, yt), batch_size=TRAIN_BATCH, shuffle=True,
                       generator=torch.Generator().manual_seed(seed + 1))
    val = DataLoader(TensorDataset(xv, yv), batch_size=VAL_BATCH, shuffle=False,
                     generator=torch.Generator().manual_seed(seed + 2))
    return train, val, xt, yt


def eval_probe_model(seed: int) -> nn.Module:
    """A model whose output depends on its mode (Dropout, BatchNorm), with non-trivial running statistics."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(1, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 1))
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(32, 1) * 2 + 1)
    model.train()
    return model


class ValidationRun(TypedDict):
    """What `validation_run` returns."""

    got: float
    got_type: str
    got_repr: Any
    want: Any
    want_batches: Any
    train_mode_value: Any
    forwards: list[dict[str, Any]]
    bypassed: bool
    loss_calls: Any
    bn_changed: bool
    params_have_grad: Any


@probe
def validation_run(student: StudentModule, *, device: str, seed: int) -> ValidationRun:
    """validation() on a Dropout/BatchNorm model left in train mode: modes, value, BatchNorm statistics."""
    _, val, _, _ = loaders(seed)
    model = eval_probe_model(seed)
    model.eval()
    with torch.no_grad():
        want = [F.mse_loss(model(xb), yb).item() for xb, yb in val]
    twin = copy.deepcopy(model).train()          # what train-mode evaluation would give (on a copy: it moves BN stats)
    with torch.no_grad():
        train_mode = [F.mse_loss(twin(xb), yb).item() for xb, yb in val]
    model.train()
    bn = model[1]
    running = bn.running_mean.clone(), bn.running_var.clone()
    loss_recorder = LossRecorder()
    with ForwardRecorder(model) as fwd:
        got = student.call("validation", model, loss_recorder.loss_fn, val)
    return {"got": float(got) if isinstance(got, (int, float)) else None, "got_type": type(got).__name__,
            "got_repr": repr(got)[:80], "want": sum(want) / len(want), "want_batches": want,
            "train_mode_value": sum(train_mode) / len(train_mode),
            "forwards": fwd.as_list(), "bypassed": fwd.bypassed(), "loss_calls": loss_recorder.calls,
            "bn_changed": not (torch.equal(running[0], bn.running_mean) and torch.equal(running[1], bn.running_var)),
            "params_have_grad": any(p.grad is not None for p in model.parameters())}


def _linear(seed: int, device: str = "cpu") -> nn.Module:
    torch.manual_seed(seed)
    return nn.Linear(1, 1).to(device)


class TrainRun(TypedDict):
    """What `train_run` returns."""

    ok_pair: bool
    type: str
    losses: dict[str, Any]
    val_losses: dict[str, Any]
    before: dict[str, np.ndarray]
    after: dict[str, np.ndarray]
    x: np.ndarray
    y: np.ndarray
    forwards: list[dict[str, Any]]
    bypassed: bool
    steps: dict[str, Any]
    given_optimizer: bool
    grad: dict[str, Any]
    loss_calls: Any
    train_batch: Any
    val_batch: Any
    train_batches: int
    val_batches: int


@probe
def train_run(student: StudentModule, *, device: str, seed: int, n_epochs: int, lr: float = 0.1,
              validate: bool = False, momentum: float = 0.0) -> TrainRun:
    """train_loop() on the grader's linear model, SGD and loaders, recording modes, steps, losses, gradients."""
    train, val, xt, yt = loaders(seed)
    model = _linear(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    before = state_dict(model)
    loss_recorder = LossRecorder()
    kwargs = {"val_loader": val} if validate else {}
    with ForwardRecorder(model) as fwd, StepRecorder(model) as steps, GradAccumulationDetector(model) as acc:
        result = student.call("train_loop", model, loss_recorder.loss_fn, optimizer, n_epochs, train, **kwargs)
    ok_pair = isinstance(result, (tuple, list)) and len(result) == 2
    losses, val_losses = result if ok_pair else (None, None)
    return {"ok_pair": ok_pair, "type": type(result).__name__, "losses": float_list(losses),
            "val_losses": float_list(val_losses), "before": before, "after": state_dict(model),
            "x": to_numpy(xt), "y": to_numpy(yt), "forwards": fwd.as_list(), "bypassed": fwd.bypassed(),
            "steps": steps.as_dict(), "given_optimizer": steps.optimizers <= {id(optimizer)},
            "grad": acc.as_dict(), "loss_calls": loss_recorder.calls, "train_batch": TRAIN_BATCH, "val_batch": VAL_BATCH,
            "train_batches": len(train), "val_batches": len(val)}


class DeviceRun(TypedDict):
    """What `device_run` returns."""

    model_device: str
    forwards: list[dict[str, Any]]
    error: str | None


@probe
def device_run(student: StudentModule, *, device: str, seed: int, function: str) -> DeviceRun:
    """validation()/train_loop() with the model on the accelerator (or `meta`) and CPU loaders.

    Stops at the first forward pass: what matters is the device of the batch that reached the model.
    """
    target = probe_device(device)
    train, val, _, _ = loaders(seed)
    model = _linear(seed, device=target)
    error = None
    with ForwardRecorder(model, stop_after=1) as fwd:
        try:
            if function == "validation":
                student.call("validation", model, LossRecorder().loss_fn, val)
            else:
                optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
                student.call("train_loop", model, LossRecorder().loss_fn, optimizer, 1, train, val_loader=val)
        except Stop:
            pass
        except NotImplementedError:
            raise                          # a stub: reported as 'not implemented yet'
        except Exception as exc:  # noqa: BLE001 - a device error is an observation here
            if not fwd.calls:
                error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return {"model_device": torch.device(target).type, "forwards": fwd.as_list(), "error": error}


@probe
def labels_device_run(student: StudentModule, *, device: str, seed: int, function: str) -> dict[str, Any]:
    """validation()/train_loop() with the model on the accelerator (or `meta`) and CPU loaders: the devices of
    the prediction and the target at the first loss call."""
    target = probe_device(device)
    train, val, _, _ = loaders(seed)
    model = _linear(seed, device=target)
    loss_recorder = LossRecorder(stop_after=1)
    try:
        if function == "validation":
            student.call("validation", model, loss_recorder.loss_fn, val)
        else:
            student.call("train_loop", model, loss_recorder.loss_fn, torch.optim.SGD(model.parameters(), lr=0.1), 1, train)
    except Stop:
        pass
    return {"model_device": torch.device(target).type, "devices": loss_recorder.devices}
