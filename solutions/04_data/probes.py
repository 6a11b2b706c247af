"""Probes for 04_data (data.py).

The data the grader hands to ``make_loaders`` carries each row's index in its value
(x[i] = i, y[i] = 3·i + 0.5), so reading a batch tells which rows went where.
"""

from __future__ import annotations

from typing import Any

from typing_extensions import NotRequired, TypedDict

import numpy as np
import torch

from autograder.inside.observe.plain import describe
from autograder.inside.observe.student import StudentModule
from autograder.inside.probes import probe


def _indexed(n: int) -> tuple[np.ndarray, np.ndarray]:
    """float64 numpy arrays of shape (n, 1): x holds the row index, y = 3x + 0.5."""
    x = np.arange(n, dtype=np.float64).reshape(n, 1)
    return x, 3.0 * x + 0.5


def _item(value: Any) -> dict[str, Any]:
    """A dataset item: is it a pair of tensors, and what is in it."""
    pair = isinstance(value, (tuple, list)) and len(value) == 2
    info: dict[str, Any] = {"pair": pair, "type": type(value).__name__,
                            "len": len(value) if isinstance(value, (tuple, list)) else None}
    if pair:
        info["x"], info["y"] = describe(value[0]), describe(value[1])
        info["x_value"] = value[0].detach().cpu().numpy().tolist() if isinstance(value[0], torch.Tensor) else None
        info["y_value"] = value[1].detach().cpu().numpy().tolist() if isinstance(value[1], torch.Tensor) else None
    return info


class DatasetRun(TypedDict):
    """What `dataset_run` returns."""

    len: Any
    len_type: str
    n: Any
    items: Any
    ok_items: bool
    inputs_unchanged: Any
    loader_order: NotRequired[Any]
    loader_paired: NotRequired[Any]


@probe
def dataset_run(student: StudentModule, *, device: str, seed: int, n: int = 10, index_carrying: bool = False,
                batch_size: int = 4) -> DatasetRun:
    """CustomDataset over grader tensors: its length, some items, and what a DataLoader makes of it."""
    g = torch.Generator().manual_seed(seed)
    if index_carrying:
        x = torch.arange(n)                       # int64, shape (n,): item i is tensor(i)
        y = torch.stack([torch.arange(n) * 10, -torch.arange(n)], dim=1)   # int64 (n, 2)
    else:
        x = torch.rand(n, 1, generator=g)
        y = 1 + 2 * x + 0.1 * torch.randn(n, 1, generator=g)
    x_before, y_before = x.clone(), y.clone()
    ds = student.call("CustomDataset", x, y)
    length = len(ds)
    out: dict[str, Any] = {"len": length, "len_type": type(length).__name__, "n": n, "items": [], "ok_items": True}
    for i in sorted({0, 1, n // 2, n - 1}):
        item = ds[i]
        info = _item(item)
        info["index"] = i
        info["equal"] = bool(info["pair"] and isinstance(item[0], torch.Tensor) and isinstance(item[1], torch.Tensor)
                             and item[0].dtype == x.dtype and item[1].dtype == y.dtype
                             and item[0].shape == x[i].shape and item[1].shape == y[i].shape
                             and item[0].device.type == "cpu" and item[1].device.type == "cpu"
                             and torch.equal(item[0], x[i]) and torch.equal(item[1], y[i]))
        info["want_x"], info["want_y"] = x[i].tolist(), y[i].tolist()
        info["want_dtype_x"], info["want_dtype_y"] = str(x.dtype).replace("torch.", ""), str(y.dtype).replace("torch.", "")
        out["items"].append(info)
        out["ok_items"] = out["ok_items"] and info["equal"]
    out["inputs_unchanged"] = bool(torch.equal(x, x_before) and torch.equal(y, y_before))
    if index_carrying:
        seen: list[int] = []
        paired = True
        for xb, yb in torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=False):
            seen += [int(v) for v in xb.reshape(-1)]
            paired = paired and bool(torch.equal(yb[:, 0], xb * 10))
        out["loader_order"] = seen
        out["loader_paired"] = paired
    return out


def _iterate(loader: Any) -> dict[str, Any]:
    """One pass over a loader: the row indices in order, batch sizes, what the batches are."""
    indices: list[int] = []
    sizes: list[int] = []
    kinds: set[str] = set()
    paired = True
    for batch in loader:
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2
                and all(isinstance(t, torch.Tensor) for t in batch)):
            kinds.add(f"batch {type(batch).__name__}")
            continue
        xb, yb = batch
        kinds.add(f"x {str(xb.dtype).replace('torch.', '')} {xb.device.type} {list(xb.shape[1:])} / "
                  f"y {str(yb.dtype).replace('torch.', '')} {yb.device.type} {list(yb.shape[1:])}")
        sizes.append(int(xb.shape[0]) if xb.dim() else 1)
        xs = xb.detach().cpu().double().reshape(-1)
        ys = yb.detach().cpu().double().reshape(-1)
        indices += [round(float(v)) for v in xs]
        paired = paired and xs.shape == ys.shape and bool(torch.equal(ys, 3 * xs + 0.5))
    return {"indices": indices, "sizes": sizes, "kinds": sorted(kinds), "paired": paired}


def _loaders(student: StudentModule, x: np.ndarray, y: np.ndarray, kwargs: dict[str, Any],
             global_seed: int) -> dict[str, Any]:
    """Make the loaders, scramble the global RNG, then go twice through each."""
    out = student.call("make_loaders", x, y, **kwargs)
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        return {"ok_pair": False, "type": type(out).__name__}
    train, val = out
    torch.manual_seed(global_seed)       # a loader that shuffles with the global RNG now changes its order
    np.random.seed(global_seed)
    info: dict[str, Any] = {"ok_pair": True, "types": [type(train).__name__, type(val).__name__]}
    try:
        info["train"] = [_iterate(train), _iterate(train)]
        info["val"] = [_iterate(val), _iterate(val)]
    except TypeError as exc:
        info["not_iterable"] = str(exc)
    return info


class LoadersRun(TypedDict):
    """What `loaders_run` returns."""

    n: Any
    first: Any
    inputs_unchanged: Any
    again: NotRequired[Any]
    other: NotRequired[Any]


@probe
def loaders_run(student: StudentModule, *, device: str, seed: int, n: int = 100, val_fraction: float | None = None,
                batch_size: int | None = None, other_seed: int | None = None) -> LoadersRun:
    """make_loaders on index-carrying data: twice with the same seed (the global RNG scrambled in
    between), once with another seed. Arguments left None are not passed (the defaults are used)."""
    x, y = _indexed(n)
    kwargs: dict[str, Any] = {}
    if val_fraction is not None:
        kwargs["val_fraction"] = val_fraction
    if batch_size is not None:
        kwargs["batch_size"] = batch_size
    kwargs["seed"] = seed
    x_copy, y_copy = x.copy(), y.copy()
    first = _loaders(student, x, y, kwargs, global_seed=1)
    out: dict[str, Any] = {"n": n, "first": first,
                           "inputs_unchanged": bool(np.array_equal(x, x_copy) and np.array_equal(y, y_copy))}
    if first.get("ok_pair") and "train" in first:
        out["again"] = _loaders(student, x, y, kwargs, global_seed=2)
        if other_seed is not None:
            out["other"] = _loaders(student, x, y, {**kwargs, "seed": other_seed}, global_seed=1)
    return out
