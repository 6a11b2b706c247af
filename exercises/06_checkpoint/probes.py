# Generated from solutions/06_checkpoint/probes.py by `autograder generate`: edit there.
"""Probes for 06_checkpoint (checkpoint.py).

Checkpoint files are written and read only here, in the sandboxed child: the parent
never loads one. Adam is used throughout so that the optimizer's state is not empty.
"""

from __future__ import annotations

import os
import re
from typing import Any

from typing_extensions import NotRequired, TypedDict

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.lr_scheduler import ReduceLROnPlateau, StepLR
from torch.utils.data import DataLoader, TensorDataset

from autograder.inside.observe.devices import probe_device
from autograder.inside.observe.plain import float_list, number
from autograder.inside.observe.recorders import (ForwardRecorder, GradAccumulationDetector, LossRecorder, StepRecorder,
                                                Stop)
from autograder.inside.observe.student import StudentIssue, StudentModule
from autograder.inside.probes import probe

_torch_load = torch.load
_torch_save = torch.save
KEYS = ("epoch", "model_state_dict", "optimizer_state_dict", "loss", "val_loss")
TRAIN_N, TRAIN_BATCH = 64, 16        # 4 training batches per epoch
VAL_N, VAL_BATCH = 30, 10            # 3 validation batches per pass


def regression_data(seed: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """y = 1 + 2x + 0.1·noise, float32 (n, 1) CPU tensors, from a generator of their own."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, generator=g)
    return x, 1 + 2 * x + 0.1 * torch.randn(n, 1, generator=g)


def loaders(seed: int) -> tuple[DataLoader, DataLoader]:
    """The grader's loaders (train: 64 points in batches of 16, shuffled by a seeded generator;
    validation: 30 points in batches of 10)."""
    x, y = regression_data(seed, TRAIN_N + VAL_N)
    train = DataLoader(TensorDataset(x[:TRAIN_N], y[:TRAIN_N]), batch_size=TRAIN_BATCH, shuffle=True,
                       generator=torch.Generator().manual_seed(seed + 1))
    val = DataLoader(TensorDataset(x[TRAIN_N:], y[TRAIN_N:]), batch_size=VAL_BATCH, shuffle=False,
                     generator=torch.Generator().manual_seed(seed + 2))
    return train, val


def _model(seed: int, dropout: bool = False, device: str = "cpu") -> nn.Module:
    torch.manual_seed(seed)
    layers: list[nn.Module] = [nn.Linear(1, 8), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(0.5))
    layers.append(nn.Linear(8, 1))
    return nn.Sequential(*layers).to(device)


def _adam(model: nn.Module, lr: float = 0.01) -> torch.optim.Optimizer:
    return torch.optim.Adam(model.parameters(), lr=lr)


def _run_epochs(model: nn.Module, optimizer: torch.optim.Optimizer, start: int, stop: int, seed: int,
                losses: list[float]) -> None:
    """The grader's own training: the data order of epoch e depends only on (seed, e)."""
    x, y = regression_data(seed, 48)
    data = TensorDataset(x, y)
    generator = torch.Generator()
    for epoch in range(start, stop):
        generator.manual_seed(1000 * seed + epoch)
        model.train()
        batch_losses = []
        for xb, yb in DataLoader(data, batch_size=16, shuffle=True, generator=generator):
            loss = F.mse_loss(model(xb), yb)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            batch_losses.append(loss.item())
        losses.append(float(np.mean(batch_losses)))


def _same_state(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return (isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b)
            and all(isinstance(a[k], torch.Tensor) and torch.equal(a[k].cpu(), b[k].cpu()) for k in b))


def _optimizer_diff(saved: Any, want: dict[str, Any]) -> str | None:
    """None when `saved` is the same optimizer state_dict as `want`, else what differs."""
    if not isinstance(saved, dict) or "state" not in saved or "param_groups" not in saved:
        return f"not an optimizer state_dict (a {type(saved).__name__})"
    if set(saved["state"]) != set(want["state"]):
        return f"state for parameters {sorted(saved['state'])}, expected {sorted(want['state'])}"
    for key, st in want["state"].items():
        for name, value in st.items():
            got = saved["state"][key].get(name)
            if not isinstance(got, torch.Tensor) or not torch.equal(got.cpu(), value.cpu()):
                return f"'{name}' of parameter {key} differs"
    for g_saved, g_want in zip(saved["param_groups"], want["param_groups"]):
        if g_saved.get("lr") != g_want.get("lr"):
            return f"learning rate {g_saved.get('lr')} instead of {g_want.get('lr')}"
    return None


def _grader_checkpoint(path: str, seed: int, epoch: int = 7, dropout: bool = False) -> tuple[nn.Module, Any, dict]:
    """A checkpoint written by the grader (torch.save of the documented dict) from 2 epochs of Adam."""
    model = _model(seed, dropout=dropout)
    optimizer = _adam(model, lr=0.01)
    _run_epochs(model, optimizer, 0, 2, seed, [])
    content = {"epoch": epoch, "model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict(),
               "loss": [round(1.0 / (i + 2), 6) for i in range(epoch)],
               "val_loss": [round(1.5 / (i + 2), 6) for i in range(epoch)]}
    _torch_save(content, path)
    return model, optimizer, content


def _load_error(exc: BaseException) -> str:
    """The informative line of a torch.load error (for weights_only refusals: the unsupported global)."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(exc).splitlines()]
    useful = [line for line in lines if "Unsupported global" in line or "Unsupported operand" in line]
    return f"{type(exc).__name__}: {(useful or lines or [''])[0].split(' Please use')[0][:300]}"


def _read_back(path: str) -> dict[str, Any]:
    """Load a student's checkpoint the safe way, in the child, and describe it."""
    if not os.path.isfile(path):
        return {"exists": False}
    try:
        ck = _torch_load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - refusal is the observation
        return {"exists": True, "loadable": False, "error": _load_error(exc), "numpy": "numpy" in str(exc)}
    info: dict[str, Any] = {"exists": True, "loadable": True, "type": type(ck).__name__}
    if isinstance(ck, dict):
        info["keys"] = sorted(str(k) for k in ck)
        info["epoch"] = ck.get("epoch") if isinstance(ck.get("epoch"), (int, float)) else None
        info["epoch_type"] = type(ck.get("epoch")).__name__
        info["loss"] = float_list(ck.get("loss"))
        info["val_loss"] = float_list(ck.get("val_loss"))
        info["_ck"] = ck
    return info


class SaveRun(TypedDict):
    """What `save_run` returns."""

    exists: Any
    want_loss: Any
    want_val_loss: Any
    loadable: NotRequired[Any]
    error: NotRequired[str | None]
    numpy: NotRequired[Any]
    type: NotRequired[str]
    keys: NotRequired[Any]
    epoch: NotRequired[Any]
    epoch_type: NotRequired[str]
    loss: NotRequired[Any]
    val_loss: NotRequired[Any]
    model_ok: NotRequired[Any]
    optimizer_diff: NotRequired[Any]
    adam_state_size: NotRequired[Any]


@probe
def save_run(student: StudentModule, *, device: str, seed: int, as_path: bool = False) -> SaveRun:
    """save_checkpoint after 2 epochs of Adam, losses given as numpy scalars; the file read back with
    weights_only=True and compared with the model's and the optimizer's state."""
    model = _model(seed)
    optimizer = _adam(model)
    losses: list[float] = []
    _run_epochs(model, optimizer, 0, 2, seed, losses)
    np_losses = [np.float64(v) for v in losses]            # the docstring allows anything float() accepts
    val_losses = [np.float32(v * 1.5) for v in losses]
    path = os.path.join(os.getcwd(), "student_checkpoint.pt")
    student.call("save_checkpoint", __import__("pathlib").Path(path) if as_path else path, model, optimizer, 2,
                 np_losses, val_losses)
    info = _read_back(path)
    ck = info.pop("_ck", None)
    if ck is not None:
        info["model_ok"] = _same_state(ck.get("model_state_dict"), model.state_dict())
        info["optimizer_diff"] = (_optimizer_diff(ck.get("optimizer_state_dict"), optimizer.state_dict())
                                  if "optimizer_state_dict" in ck else "missing")
        info["adam_state_size"] = len(optimizer.state_dict()["state"])
    info["want_loss"] = [float(v) for v in np_losses]
    info["want_val_loss"] = [float(v) for v in val_losses]
    return info


class LoadRun(TypedDict):
    """What `load_run` returns."""

    ok_triple: bool
    type: str
    epoch: Any
    epoch_type: str
    losses: dict[str, Any]
    val_losses: dict[str, Any]
    want_losses: Any
    want_val_losses: Any
    model_ok: Any
    optimizer_diff: Any
    training: Any


@probe
def load_run(student: StudentModule, *, device: str, seed: int) -> LoadRun:
    """load_checkpoint of a grader-written checkpoint into a fresh model (other init, eval mode) and a fresh
    Adam (other learning rate)."""
    path = os.path.join(os.getcwd(), "grader_checkpoint.pt")
    ref_model, ref_opt, content = _grader_checkpoint(path, seed)
    model = _model(seed + 50)
    optimizer = _adam(model, lr=0.05)
    model.eval()
    out = student.call("load_checkpoint", path, model, optimizer)
    ok = isinstance(out, (tuple, list)) and len(out) == 3
    return {"ok_triple": ok, "type": type(out).__name__,
            "epoch": out[0] if ok and isinstance(out[0], (int, float)) else None,
            "epoch_type": type(out[0]).__name__ if ok else None,
            "losses": float_list(out[1] if ok else None), "val_losses": float_list(out[2] if ok else None),
            "want_losses": content["loss"], "want_val_losses": content["val_loss"],
            "model_ok": _same_state(model.state_dict(), ref_model.state_dict()),
            "optimizer_diff": _optimizer_diff(optimizer.state_dict(), ref_opt.state_dict()),
            "training": [m.training for m in model.modules()]}


class InferenceRun(TypedDict):
    """What `inference_run` returns."""

    same_object: bool
    type: str
    model_ok: Any
    training: Any


@probe
def inference_run(student: StudentModule, *, device: str, seed: int) -> InferenceRun:
    """load_for_inference of a grader checkpoint into a fresh Dropout model left in train mode."""
    path = os.path.join(os.getcwd(), "grader_checkpoint.pt")
    ref_model, _, _ = _grader_checkpoint(path, seed, dropout=True)
    model = _model(seed + 7, dropout=True)
    model.train()
    out = student.call("load_for_inference", path, model)
    return {"same_object": out is model, "type": type(out).__name__,
            "model_ok": _same_state(model.state_dict(), ref_model.state_dict()),
            "training": [m.training for m in model.modules()]}


class _Payload:
    """Pickled as a call to open(marker, "w"): loading it with weights_only=False creates the marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return (open, (self.marker, "w"))


class _RecordingPlateau(ReduceLROnPlateau):
    """ReduceLROnPlateau that records each step: its argument and what had happened before it."""

    def step(self, metrics: Any = None, epoch: Any = None) -> None:  # type: ignore[override]
        self.grader_calls.append({"metric": number(metrics)["value"], "metric_type": type(metrics).__name__,
                                  "epoch_arg": epoch is not None, **self.grader_context()})
        if epoch is None:
            super().step(metrics)
        else:
            super().step(metrics, epoch)


class _RecordingStepLR(StepLR):
    """StepLR that records each step after construction."""

    def step(self, epoch: Any = None) -> None:  # type: ignore[override]
        if getattr(self, "grader_ready", False):
            self.grader_calls.append({"arg": None if epoch is None else repr(epoch)[:40], **self.grader_context()})
        super().step() if epoch is None else super().step(epoch)


class SchedulerRun(TypedDict):
    """What `scheduler_run` returns."""

    ok_triple: bool
    type: str
    losses: dict[str, Any]
    val_losses: dict[str, Any]
    learning_rates: dict[str, Any]
    calls: Any
    used_lrs: Any
    steps: int
    train_batches: Any
    val_batches: Any
    val_means: Any


@probe
def scheduler_run(student: StudentModule, *, device: str, seed: int, kind: str, n_epochs: int = 5) -> SchedulerRun:
    """train_with_scheduler with a recording ReduceLROnPlateau (mode='max', so the learning rate drops
    every epoch the validation loss falls) or StepLR(step_size=2, gamma=0.5)."""
    train, val = loaders(seed)
    torch.manual_seed(seed)
    model = nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    calls: list[dict[str, Any]] = []
    with ForwardRecorder(model) as fwd, StepRecorder(model) as steps:
        def context() -> dict[str, Any]:
            return {"opt_steps": steps.steps, "val_forwards": sum(1 for c in fwd.calls if c.batch == VAL_BATCH)}

        if kind == "plateau":
            scheduler: Any = _RecordingPlateau.__new__(_RecordingPlateau)
            scheduler.grader_calls, scheduler.grader_context = calls, context
            ReduceLROnPlateau.__init__(scheduler, optimizer, mode="max", factor=0.5, patience=0)
        else:
            scheduler = _RecordingStepLR.__new__(_RecordingStepLR)
            scheduler.grader_calls, scheduler.grader_context = calls, context
            StepLR.__init__(scheduler, optimizer, step_size=2, gamma=0.5)
            scheduler.grader_ready = True
        loss_recorder = LossRecorder()
        out = student.call("train_with_scheduler", model, loss_recorder.loss_fn, optimizer, scheduler, n_epochs, train, val)
    ok = isinstance(out, (tuple, list)) and len(out) == 3
    per_epoch = len(train)
    lrs = [steps.lrs[e * per_epoch] for e in range(n_epochs) if e * per_epoch < len(steps.lrs)]
    val_values = [c["value"] for c in loss_recorder.calls if c["batch"] == VAL_BATCH]
    n_val = len(val)
    val_means = ([float(np.mean(val_values[e * n_val:(e + 1) * n_val])) for e in range(n_epochs)]
                 if len(val_values) == n_epochs * n_val else None)
    return {"ok_triple": ok, "type": type(out).__name__,
            "losses": float_list(out[0] if ok else None), "val_losses": float_list(out[1] if ok else None),
            "learning_rates": float_list(out[2] if ok else None), "calls": calls, "used_lrs": lrs,
            "steps": steps.steps, "train_batches": per_epoch, "val_batches": n_val, "val_means": val_means}


