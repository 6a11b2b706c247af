# Generated from solutions/08_iris_loaders/probes.py by `autograder generate`: edit there.
"""Probes for 08_iris_loaders (iris_data.py)."""

from __future__ import annotations

from typing import Any

from typing_extensions import NotRequired, TypedDict

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, IterableDataset

from autograder.inside.observe.devices import mismatch_run, probe_device
from autograder.inside.observe.plain import describe, float_list, state_dict, to_numpy
from autograder.inside.observe.recorders import ForwardRecorder, GradAccumulationDetector, StepRecorder, Stop
from autograder.inside.observe.student import StudentModule
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



class _GraderDataset(Dataset):
    """The grader's own map-style dataset, so that training probes do not depend on the student's."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x, y

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[index], self.y[index]

    def __len__(self) -> int:
        return len(self.y)


def _grader_loaders(seed: int, train_batch: int, val_batch: int) -> tuple[DataLoader, DataLoader, tuple]:
    """A seeded shuffled training loader and an unshuffled validation loader over the grader's split."""
    x, y, xv, yv = iris_tensors(seed)
    train = DataLoader(_GraderDataset(x, y), batch_size=train_batch, shuffle=True,
                       generator=torch.Generator().manual_seed(seed))
    val = DataLoader(_GraderDataset(xv, yv), batch_size=val_batch, shuffle=False)
    return train, val, (x, y, xv, yv)


def _item(value: Any) -> dict[str, Any]:
    """What one dataset item is: a pair, and a description of each part with its values."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return {"pair": False, "type": type(value).__name__}
    out: dict[str, Any] = {"pair": True}
    for name, part in zip(("x", "y"), value):
        out[name] = describe(part)
        # as nested lists: the wire format turns 0-dim arrays into shape (1,)
        out[name + "_values"] = (to_numpy(part).astype(np.float64).tolist() if isinstance(part, torch.Tensor)
                                 and part.device.type != "meta" else None)
    return out


class DatasetItems(TypedDict):
    """What `dataset_items` returns."""

    n: Any
    features: Any
    labels: Any
    numpy: Any
    tensor: Any
    int32: Any


@probe
def dataset_items(student: StudentModule, *, device: str, seed: int, n: int = 9) -> DatasetItems:
    """IrisDataset built from numpy arrays and from tensors: length, items, and a DataLoader batch over it."""
    rng = np.random.RandomState(seed)
    features = rng.normal(5.0, 2.0, size=(n, 4))                    # float64, like scikit-learn's iris.data
    labels = rng.randint(0, 3, size=n).astype(np.int64)
    sources = {
        "numpy": (features, labels),
        "tensor": (torch.tensor(features, dtype=torch.float32), torch.tensor(labels, dtype=torch.int64)),
        # numpy's default integer on Windows before numpy 2; cross_entropy wants int64 targets
        "int32": (features.astype(np.float32), labels.astype(np.int32)),
    }
    out: dict[str, Any] = {"n": n, "features": features.astype(np.float32).astype(np.float64),
                           "labels": labels}
    for kind, (f, lab) in sources.items():
        info: dict[str, Any] = {"error": None}
        step = "IrisDataset(features, labels)"
        try:
            ds = student.call("IrisDataset", f, lab)
            info.update(is_dataset=isinstance(ds, Dataset), iterable=isinstance(ds, IterableDataset))
            step = "len(dataset)"
            info["len"] = len(ds)
            # items in a non-sequential order: a map-style dataset answers any index
            step = "dataset[i]"
            info["items"] = {str(i): _item(ds[i]) for i in (n - 1, 0, n // 2)}
            step = "a DataLoader batch over the dataset"
            info["batch"] = _item(next(iter(DataLoader(ds, batch_size=4, shuffle=False))))
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001 - reported as an observation, with the step that failed
            info["error"] = f"{step} raised {type(exc).__name__}: {str(exc)[:300]}"
        out[kind] = info
    return out


def _batches(loader: Any) -> dict[str, Any]:
    """One pass over a loader: per-batch descriptions, and the rows and labels in the order they came."""
    infos, xs, ys = [], [], []
    for batch in loader:
        if not isinstance(batch, (tuple, list)) or len(batch) != 2:
            return {"ok": False, "type": type(batch).__name__, "infos": infos}
        x, y = batch
        infos.append({"x": describe(x), "y": describe(y)})
        if isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor):
            xs.append(to_numpy(x).reshape(len(x), -1).astype(np.float32))
            ys.append(to_numpy(y).reshape(-1).astype(np.int64))
    return {"ok": True, "infos": infos,
            "x": np.concatenate(xs) if xs else np.zeros((0, 4), np.float32),
            "y": np.concatenate(ys) if ys else np.zeros((0,), np.int64)}


class Loaders(TypedDict):
    """What `loaders` returns."""

    ok_pair: bool
    type: NotRequired[str]
    types: NotRequired[Any]
    train1: NotRequired[Any]
    train2: NotRequired[Any]
    val1: NotRequired[Any]
    val2: NotRequired[Any]
    again_train1: NotRequired[Any]
    split: NotRequired[Any]


@probe
def loaders(student: StudentModule, *, device: str, seed: int, batch_size: int) -> Loaders:
    """make_iris_loaders: two passes over each loader, a second call with the same seed, and the grader's split."""
    out = student.call("make_iris_loaders", batch_size=batch_size, seed=seed)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return {"ok_pair": False, "type": type(out).__name__}
    train, val = out
    torch.manual_seed(seed + 1001)  # a loader that shuffles with the global RNG now depends on what ran before
    result: dict[str, Any] = {"ok_pair": True, "types": [type(train).__name__, type(val).__name__]}
    result["train1"], result["train2"] = _batches(train), _batches(train)
    result["val1"], result["val2"] = _batches(val), _batches(val)
    again = student.call("make_iris_loaders", batch_size=batch_size, seed=seed)
    torch.manual_seed(seed + 2002)
    result["again_train1"] = _batches(again[0]) if isinstance(again, (tuple, list)) and len(again) == 2 else None
    x, y, xv, yv = iris_tensors(seed)
    result["split"] = {"x_train": to_numpy(x), "y_train": to_numpy(y), "x_val": to_numpy(xv), "y_val": to_numpy(yv)}
    return result


class FitRun(TypedDict):
    """What `fit_run` returns."""

    ok_pair: bool
    type: str
    losses: dict[str, Any]
    val_losses: dict[str, Any]
    before: dict[str, np.ndarray]
    after: dict[str, np.ndarray]
    x: np.ndarray
    y: np.ndarray
    xv: np.ndarray
    yv: np.ndarray
    forwards: list[dict[str, Any]]
    bypassed: bool
    steps: dict[str, Any]
    grad: dict[str, Any]
    train_batches: int
    val_batches: int
    train_batch: Any
    val_batch: Any
    val_sizes: Any


@probe
def fit_run(student: StudentModule, *, device: str, seed: int, n_epochs: int, lr: float, train_batch: int = 16,
            val_batch: int = 10, n_hidden: int = 1024) -> FitRun:
    """train_with_loaders on the grader's model and loaders, recording modes, steps and gradient accumulation."""
    train, val, (x, y, xv, yv) = _grader_loaders(seed, train_batch, val_batch)
    model = mlp(seed, n_hidden=n_hidden)
    before = state_dict(model)
    with ForwardRecorder(model) as fwd, StepRecorder(model) as steps, GradAccumulationDetector(model) as acc:
        result = student.call("train_with_loaders", model, train, val, n_epochs=n_epochs, lr=lr)
    ok_pair = isinstance(result, (tuple, list)) and len(result) == 2
    losses, val_losses = (result if ok_pair else (None, None))
    return {"ok_pair": ok_pair, "type": type(result).__name__, "losses": float_list(losses),
            "val_losses": float_list(val_losses), "before": before, "after": state_dict(model),
            "x": to_numpy(x), "y": to_numpy(y), "xv": to_numpy(xv), "yv": to_numpy(yv),
            "forwards": fwd.as_list(), "bypassed": fwd.bypassed(), "steps": steps.as_dict(), "grad": acc.as_dict(),
            "train_batches": len(train), "val_batches": len(val), "train_batch": train_batch,
            "val_batch": val_batch, "val_sizes": [len(b[1]) for b in val]}


def _artist_points(ax: Any) -> list[tuple[float, float, tuple]]:
    """Every point drawn in an Axes (scatter collections and marker lines), with its RGBA colour."""
    from matplotlib.collections import Collection

    points: list[tuple[float, float, tuple]] = []
    for coll in ax.collections:
        if not isinstance(coll, Collection):
            continue
        offsets = np.asarray(coll.get_offsets(), dtype=np.float64).reshape(-1, 2)
        if len(offsets) == 0:
            continue
        colours = np.asarray(coll.get_facecolors())
        if colours.size == 0:
            colours = np.asarray(coll.get_edgecolors())
        colours = colours.reshape(-1, 4) if colours.size else np.zeros((1, 4))
        for k, (px, py) in enumerate(offsets):
            c = colours[k % len(colours)]
            points.append((float(px), float(py), tuple(round(float(v), 3) for v in c)))
    from matplotlib.colors import to_rgba

    for line in ax.get_lines():
        xs = np.asarray(line.get_xdata(), dtype=np.float64).reshape(-1)
        ys = np.asarray(line.get_ydata(), dtype=np.float64).reshape(-1)
        colour = line.get_markerfacecolor() if line.get_marker() not in (None, "None", "", " ") else line.get_color()
        try:
            c = tuple(round(float(v), 3) for v in to_rgba(colour))
        except ValueError:
            c = tuple(round(float(v), 3) for v in to_rgba(line.get_color()))
        points += [(float(px), float(py), c) for px, py in zip(xs, ys)]
    return points


class ShowBatchRun(TypedDict):
    """What `show_batch_run` returns."""

    is_figure: bool
    axes: NotRequired[Any]
    batch_x: NotRequired[Any]
    batch_y: NotRequired[Any]
    batch_size: NotRequired[Any]
    type: NotRequired[str]


@probe
def show_batch_run(student: StudentModule, *, device: str, seed: int, batch_size: int = 20) -> ShowBatchRun:
    """What show_batch draws for a grader loader whose first batch is known (unshuffled)."""
    x, y, _, _ = iris_tensors(seed)
    loader = DataLoader(_GraderDataset(x, y), batch_size=batch_size, shuffle=False)
    fig = student.call("show_batch", loader)
    from matplotlib.figure import Figure

    batch_x, batch_y = to_numpy(x[:batch_size]).astype(np.float64), to_numpy(y[:batch_size])
    if not isinstance(fig, Figure):
        return {"is_figure": False, "type": type(fig).__name__}
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.canvas.draw()                   # resolves colour maps (scatter(..., c=labels)) into real colours
    axes = []
    for ax in fig.get_axes():
        pts = _artist_points(ax)
        axes.append({"x": np.array([p[0] for p in pts], dtype=np.float64),
                     "y": np.array([p[1] for p in pts], dtype=np.float64),
                     "colour": [list(p[2]) for p in pts]})
    return {"is_figure": True, "axes": axes, "batch_x": batch_x, "batch_y": batch_y, "batch_size": batch_size}
