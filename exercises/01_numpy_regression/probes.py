# Generated from solutions/01_numpy_regression/probes.py by `autograder generate`: edit there.
"""Probes for 01_numpy_regression (regression.py).

The parent owns the data: it sends numpy arrays in, and the probes send back what the
student's functions returned, described and as arrays, for the parent to judge.
"""

from __future__ import annotations

from typing import Any

from typing_extensions import NotRequired, TypedDict

import numpy as np

from autograder.inside.observe.plain import describe, float_list, number
from autograder.inside.observe.student import StudentModule
from autograder.inside.probes import probe

_SENDABLE = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"}


def _array(value: Any) -> dict[str, Any]:
    """Type, dtype and shape of a returned value, and the value itself when it is a plain numpy array."""
    info = describe(value)
    send = isinstance(value, np.ndarray) and value.dtype.name in _SENDABLE
    return {"info": info, "array": np.array(value, copy=True) if send else None}


def _kwargs(**kwargs: Any) -> dict[str, Any]:
    """Arguments the check gave (None means: leave the student's default)."""
    return {k: v for k, v in kwargs.items() if v is not None}


class GenerateRun(TypedDict):
    """What `generate_run` returns."""

    ok_pair: bool
    x: NotRequired[Any]
    y: NotRequired[Any]
    type: NotRequired[str]


@probe
def generate_run(student: StudentModule, *, device: str, n: int | None = None, true_a: float | None = None,
                 true_b: float | None = None, noise: float | None = None, seed: int | None = None) -> GenerateRun:
    """What generate_data returns (with its defaults for the arguments left out)."""
    out = student.call("generate_data", **_kwargs(n=n, true_a=true_a, true_b=true_b, noise=noise, seed=seed))
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return {"ok_pair": False, "type": type(out).__name__}
    return {"ok_pair": True, "x": _array(out[0]), "y": _array(out[1])}


class SplitRun(TypedDict):
    """What `split_run` returns."""

    ok_tuple: bool
    type: NotRequired[str]
    x_train: NotRequired[Any]
    y_train: NotRequired[Any]
    x_val: NotRequired[Any]
    y_val: NotRequired[Any]


@probe
def split_run(student: StudentModule, *, device: str, x: np.ndarray, y: np.ndarray, train_fraction: float | None = None,
              seed: int | None = None, global_seed: int | None = None) -> SplitRun:
    """What train_val_split returns for the grader's arrays (numpy's global stream seeded with global_seed first,
    to see whether the split depends on it)."""
    if global_seed is not None:
        np.random.seed(global_seed)
    out = student.call("train_val_split", x.copy(), y.copy(), **_kwargs(train_fraction=train_fraction, seed=seed))
    if not isinstance(out, (tuple, list)) or len(out) != 4:
        return {"ok_tuple": False, "type": type(out).__name__}
    return {"ok_tuple": True, **{name: _array(v) for name, v in zip(("x_train", "y_train", "x_val", "y_val"), out)}}


class GdRun(TypedDict):
    """What `gd_run` returns."""

    ok_triple: bool
    a: NotRequired[Any]
    b: NotRequired[Any]
    losses: NotRequired[dict[str, Any]]
    type: NotRequired[str]


@probe
def gd_run(student: StudentModule, *, device: str, x: np.ndarray, y: np.ndarray, lr: float | None = None,
           n_epochs: int | None = None, seed: int | None = None) -> GdRun:
    """What gradient_descent returns on the grader's data."""
    out = student.call("gradient_descent", x.copy(), y.copy(), **_kwargs(lr=lr, n_epochs=n_epochs, seed=seed))
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        return {"ok_triple": False, "type": type(out).__name__}
    return {"ok_triple": True, "a": number(out[0]), "b": number(out[1]), "losses": float_list(out[2])}


class SklearnRun(TypedDict):
    """What `sklearn_run` returns."""

    ok_pair: bool
    intercept: NotRequired[Any]
    coef: NotRequired[Any]
    type: NotRequired[str]


@probe
def sklearn_run(student: StudentModule, *, device: str, x: np.ndarray, y: np.ndarray) -> SklearnRun:
    """What sklearn_fit returns on the grader's data."""
    out = student.call("sklearn_fit", x.copy(), y.copy())
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return {"ok_pair": False, "type": type(out).__name__}
    return {"ok_pair": True, "intercept": number(out[0]), "coef": number(out[1])}
