"""Grader-owned models and data that probes hand to student code."""

from __future__ import annotations

import torch
from torch import nn


def iris_tensors(seed: int, val_fraction: float = 0.25) -> tuple[torch.Tensor, ...]:
    """The iris split the grader owns: (x_train, y_train, x_val, y_val), float32/int64 CPU tensors."""
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split

    iris = load_iris()
    xt, xv, yt, yv = train_test_split(iris.data, iris.target, test_size=val_fraction, stratify=iris.target,
                                      random_state=seed)
    return (torch.tensor(xt, dtype=torch.float32), torch.tensor(yt, dtype=torch.int64),
            torch.tensor(xv, dtype=torch.float32), torch.tensor(yv, dtype=torch.int64))


def mlp(seed: int, n_in: int = 4, n_hidden: int = 1024, n_out: int = 3, device: str = "cpu") -> nn.Module:
    """The grader's own two-layer classifier (fc1 → ReLU → fc2), seeded."""
    torch.manual_seed(seed)
    model = nn.Sequential()
    model.add_module("fc1", nn.Linear(n_in, n_hidden))
    model.add_module("relu", nn.ReLU())
    model.add_module("fc2", nn.Linear(n_hidden, n_out))
    return model.to(device)


def probe_device(device: str) -> str:
    """The device that exposes device bugs: the accelerator, or `meta` standing in for one on CPU."""
    return "meta" if device == "cpu" else device
