"""Turning torch objects into plain data the parent can read safely."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def to_numpy(t: torch.Tensor) -> np.ndarray:
    """A CPU numpy copy of a tensor (meta tensors become empty arrays of the right shape)."""
    t = t.detach()
    if t.device.type == "meta":
        return np.zeros(tuple(t.shape), dtype=np.float32)
    t = t.cpu()
    if t.dtype == torch.bfloat16:
        t = t.float()
    return t.numpy().copy()


def state_dict(module: torch.nn.Module) -> dict[str, np.ndarray]:
    """A module's state as numpy arrays."""
    return {k: to_numpy(v) for k, v in module.state_dict().items()}


def describe(value: Any) -> dict[str, Any]:
    """Type, dtype, shape and device of a value, for messages and structural checks."""
    info: dict[str, Any] = {"type": type(value).__module__ + "." + type(value).__qualname__}
    if isinstance(value, torch.Tensor):
        info.update(
            dtype=str(value.dtype).replace("torch.", ""),
            shape=list(value.shape),
            device=value.device.type,
            requires_grad=bool(value.requires_grad),
            is_leaf=bool(value.is_leaf),
        )
    elif isinstance(value, np.ndarray):
        info.update(dtype=value.dtype.name, shape=list(value.shape))
    return info


def type_name(value: Any) -> str:
    """Fully qualified type name, e.g. ``numpy.float64``."""
    return type(value).__module__ + "." + type(value).__qualname__


def number(value: Any) -> dict[str, Any]:
    """Inspect a value the student returned as 'a Python float'."""
    try:
        as_float = float(value)
    except (TypeError, ValueError, RuntimeError):
        as_float = None
    # a float subclass (numpy.float64, ...) is a float: it behaves as one wherever a float is asked for
    return {"type": type_name(value), "is_float": isinstance(value, float), "value": as_float}


def float_list(values: Any) -> dict[str, Any]:
    """Inspect what the student returned as 'a list of Python floats'."""
    if not isinstance(values, (list, tuple)):
        return {"ok": False, "type": type(values).__name__, "kinds": [], "values": None}
    out = []
    for v in values:
        try:
            out.append(float(v))
        except (TypeError, ValueError, RuntimeError):
            out.append(float("nan"))
    return {"ok": isinstance(values, list) and all(isinstance(v, float) for v in values), "type": type(values).__name__,
            "kinds": sorted({type_name(v) for v in values}), "values": out}
