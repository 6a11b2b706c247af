"""Probes for 09_autoencoder (autoencoder.py).

The grader owns the digits, the loaders and, for the training checks, the model: a 64-16-4-16-64
autoencoder with `encoder` and `decoder`. Its training batches hold 32 images and its validation batches
25, so every forward pass can be told apart by its batch size.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from typing_extensions import NotRequired, TypedDict

from autograder.inside.observe.devices import mismatch_run, probe_device
from autograder.inside.observe.plain import describe, float_list, to_numpy
from autograder.inside.observe.recorders import ForwardRecorder, GradAccumulationDetector, StepRecorder, Stop
from autograder.inside.observe.student import StudentIssue, StudentModule
from autograder.inside.probes import probe

TRAIN_N, TRAIN_BATCH = 256, 32       # 8 training batches per epoch
VAL_N, VAL_BATCH = 50, 25            # 2 validation batches per pass


def digits(seed: int) -> torch.Tensor:
    """All 1797 digits scaled to [-1, 1] in an order drawn from `seed`, float32 CPU (N, 64)."""
    from sklearn.datasets import load_digits

    pixels = torch.as_tensor(load_digits().data / 8.0 - 1.0, dtype=torch.float32)
    return pixels[torch.randperm(len(pixels), generator=torch.Generator().manual_seed(seed))]


def grader_loaders(seed: int, n_train: int = TRAIN_N) -> tuple[DataLoader, DataLoader, torch.Tensor]:
    """(train, validation, held-out digits): (x, x) batches of 32 (shuffled, seeded) and 25, and the rest."""
    x = digits(seed)
    train, val, rest = x[:n_train], x[n_train:n_train + VAL_N], x[n_train + VAL_N:]
    train_loader = DataLoader(TensorDataset(train, train), batch_size=TRAIN_BATCH, shuffle=True,
                              generator=torch.Generator().manual_seed(seed + 1))
    return train_loader, DataLoader(TensorDataset(val, val), batch_size=VAL_BATCH), rest


class GraderAutoencoder(nn.Module):
    """The grader's own small autoencoder, seeded."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.encoder = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 4))
        self.decoder = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 64), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


def _mse(model: nn.Module, x: torch.Tensor) -> float:
    """The model's reconstruction error on x, measured by the grader (eval mode, no_grad, mode restored)."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        value = F.mse_loss(model(x), x).item()
    model.train(was_training)
    return value


class LoadRun(TypedDict):
    """What `load_run` returns."""

    ok_pair: bool
    type: str
    x_train: NotRequired[dict[str, Any]]
    x_val: NotRequired[dict[str, Any]]
    train_array: NotRequired[np.ndarray | None]
    val_array: NotRequired[np.ndarray | None]
    scaled: NotRequired[np.ndarray]


@probe
def load_run(student: StudentModule, *, device: str, seed: int = 42, val_fraction: float = 0.2) -> LoadRun:
    """What load_digits_data returns: types, shapes and the arrays, with the scaled data set to compare."""
    out = student.call("load_digits_data", val_fraction=val_fraction, seed=seed)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return {"ok_pair": False, "type": type(out).__name__}
    from sklearn.datasets import load_digits

    train, val = out
    return {"ok_pair": True, "type": type(out).__name__, "x_train": describe(train), "x_val": describe(val),
            "train_array": to_numpy(train) if isinstance(train, torch.Tensor) else None,
            "val_array": to_numpy(val) if isinstance(val, torch.Tensor) else None,
            "scaled": (load_digits().data / 8.0 - 1.0).astype(np.float32)}


class StructureRun(TypedDict):
    """What `structure_run` returns."""

    encoder: str
    decoder: str
    embedding: dict[str, Any]
    reconstruction: dict[str, Any]
    low: float | None
    high: float | None


@probe
def structure_run(student: StudentModule, *, device: str, seed: int, embedding_dim: int) -> StructureRun:
    """Autoencoder(64, embedding_dim): the types of encoder and decoder, and what they make of 5 digits."""
    torch.manual_seed(seed)
    model = student.call("Autoencoder", n_features=64, embedding_dim=embedding_dim)
    x = digits(seed)[:5]
    with torch.no_grad():
        code = model.encoder(x) if hasattr(model, "encoder") else None
        out = model(x)
        far = model(100 * x)  # inputs far out of range: only a bounded output layer keeps them in [-1, 1]
    bounded = isinstance(far, torch.Tensor) and far.numel() > 0
    return {"encoder": type(getattr(model, "encoder", None)).__name__,
            "decoder": type(getattr(model, "decoder", None)).__name__,
            "embedding": describe(code), "reconstruction": describe(out),
            "low": float(far.min()) if bounded else None, "high": float(far.max()) if bounded else None}


class LoadersRun(TypedDict):
    """What `loaders_run` returns."""

    ok_pair: bool
    type: str
    train_sizes: NotRequired[list[int]]
    val_sizes: NotRequired[list[int]]
    pairs_of_inputs: NotRequired[bool]
    on_cpu: NotRequired[bool]
    train_orders: NotRequired[list[np.ndarray]]
    val_orders: NotRequired[list[np.ndarray]]
    again_order: NotRequired[np.ndarray | None]
    other_seed_order: NotRequired[np.ndarray | None]


def _order(loader: DataLoader, x: torch.Tensor) -> np.ndarray:
    """The positions in x of the images a loader yields, in order (-1 for an image not in x)."""
    keys = {tuple(row.tolist()): i for i, row in enumerate(x)}
    return np.array([keys.get(tuple(row.tolist()), -1) for batch in loader for row in batch[0]])


@probe
def loaders_run(student: StudentModule, *, device: str, seed: int, batch_size: int) -> LoadersRun:
    """make_loaders on grader digits: batch sizes, pairs of identical images on the CPU, and the order of two
    passes (and of a second pair of loaders made with the same seed)."""
    x = digits(seed)
    train, val = x[:100], x[100:130]
    out = student.call("make_loaders", train, val, batch_size=batch_size, seed=seed)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return {"ok_pair": False, "type": type(out).__name__}
    train_loader, val_loader = out
    train_orders = [_order(train_loader, train), _order(train_loader, train)]  # the first passes, before any other
    batches = [*train_loader, *val_loader]
    again = student.call("make_loaders", train, val, batch_size=batch_size, seed=seed)
    other = student.call("make_loaders", train, val, batch_size=batch_size, seed=seed + 1)
    return {"ok_pair": True, "type": type(out).__name__,
            "train_sizes": [len(b[0]) for b in train_loader], "val_sizes": [len(b[0]) for b in val_loader],
            "pairs_of_inputs": all(len(b) == 2 and torch.equal(b[0], b[1]) for b in batches),
            "on_cpu": all(t.device.type == "cpu" for b in batches for t in b), "train_orders": train_orders,
            "val_orders": [_order(val_loader, val), _order(val_loader, val)],
            "again_order": _order(again[0], train) if isinstance(again, (tuple, list)) and len(again) == 2 else None,
            "other_seed_order": _order(other[0], train) if isinstance(other, (tuple, list)) and len(other) == 2
            else None}


class TrainRun(TypedDict):
    """What `train_run` returns."""

    ok_pair: bool
    type: str
    losses: dict[str, Any]
    val_losses: dict[str, Any]
    l0: float
    l1: float
    forwards: list[dict[str, Any]]
    bypassed: bool
    steps: dict[str, Any]
    grad: dict[str, Any]
    train_batches: int
    train_batch: int
    val_batch: int


@probe
def train_run(student: StudentModule, *, device: str, seed: int, n_epochs: int, lr: float = 1e-3) -> TrainRun:
    """train_autoencoder on the grader's model and loaders: modes, steps, stale gradients, the grader's loss
    before and after."""
    train, val, _ = grader_loaders(seed)
    model = GraderAutoencoder(seed)
    x = train.dataset.tensors[0]
    l0 = _mse(model, x)
    with ForwardRecorder(model) as fwd, StepRecorder(model) as steps, GradAccumulationDetector(model) as acc:
        result = student.call("train_autoencoder", model, train, val, n_epochs=n_epochs, lr=lr)
    ok_pair = isinstance(result, (tuple, list)) and len(result) == 2
    losses, val_losses = result if ok_pair else (None, None)
    return {"ok_pair": ok_pair, "type": type(result).__name__, "losses": float_list(losses),
            "val_losses": float_list(val_losses), "l0": l0, "l1": _mse(model, x), "forwards": fwd.as_list(),
            "bypassed": fwd.bypassed(), "steps": steps.as_dict(), "grad": acc.as_dict(),
            "train_batches": len(train), "train_batch": TRAIN_BATCH, "val_batch": VAL_BATCH}


class InferenceRun(TypedDict):
    """What `inference_run` returns."""

    output: dict[str, Any]
    forwards: list[dict[str, Any]]
    matches: bool


@probe
def inference_run(student: StudentModule, *, device: str, seed: int, function: str) -> InferenceRun:
    """embed or reconstruct on a grader model left in train mode: the output, the modes of the forward
    passes, and whether the values are the model's own (eval mode) encoding or reconstruction."""
    model = GraderAutoencoder(seed)
    model.encoder.insert(1, nn.Dropout(0.5))  # train mode would change the numbers
    model.train()
    x = digits(seed)[:7]
    watched = model.encoder if function == "embed" else model
    with torch.no_grad():
        model.eval()
        want = watched(x)
        model.train()
    with ForwardRecorder(watched) as fwd:
        got = student.call(function, model, x)
    matches = isinstance(got, torch.Tensor) and got.shape == want.shape and torch.allclose(got.cpu(), want, atol=1e-5)
    return {"output": describe(got), "forwards": fwd.as_list(), "matches": bool(matches)}


class DeviceRun(TypedDict):
    """What `device_run` returns."""

    model_device: str
    forwards: list[dict[str, Any]]
    error: str | None


@probe
def device_run(student: StudentModule, *, device: str, seed: int, function: str) -> DeviceRun:
    """Call train_autoencoder, embed or reconstruct with the model on the accelerator (or `meta`) and CPU
    data; stop at the first forward pass: all we need is the device of what reached the model."""
    target = probe_device(device)
    model = GraderAutoencoder(seed).to(target)
    train, val, rest = grader_loaders(seed)
    watched = model.encoder if function == "embed" else model
    args = (train, val) if function == "train_autoencoder" else (rest[:10],)
    kwargs: dict[str, Any] = {"n_epochs": 1} if function == "train_autoencoder" else {}
    error = None
    with ForwardRecorder(watched, stop_after=1) as fwd:
        try:
            student.call(function, model, *args, **kwargs)
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
    type: str
    images: NotRequired[list[list[int]]]
    n_axes: NotRequired[int]
    inputs_shown: NotRequired[int]
    reconstructions_shown: NotRequired[int]
    inputs_above: NotRequired[bool]
    clipped: NotRequired[int]


def _shown_at(pictures: list[tuple[np.ndarray, float]], images: torch.Tensor) -> list[float | None]:
    """For each image, the height on the figure of an Axes that shows it as 8x8 pixels (None: none does)."""
    out: list[float | None] = []
    for image in images.numpy():
        found = [y for array, y in pictures if array.shape == (8, 8) and np.allclose(array.reshape(-1), image,
                                                                                      atol=1e-4)]
        out.append(found[0] if found else None)
    return out


@probe
def plot_run(student: StudentModule, *, device: str, seed: int, n: int) -> PlotRun:
    """What plot_reconstructions draws: the shapes of its images, how many of the first n inputs and of the grader
    model's reconstructions of them (eval mode) it shows, and whether each input is drawn above its own."""
    model = GraderAutoencoder(seed)
    x = digits(seed)[:20]
    fig = student.call("plot_reconstructions", model, x, n=n)
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        return {"is_figure": False, "type": type(fig).__name__}
    model.eval()
    with torch.no_grad():
        wanted = model(x[:n])
    pictures = [(np.asarray(image.get_array(), dtype=np.float32), float(ax.get_position().y0))
                for ax in fig.get_axes() for image in ax.get_images()]
    inputs, outputs = _shown_at(pictures, x[:n]), _shown_at(pictures, wanted)
    above = all(i is not None and o is not None and i > o for i, o in zip(inputs, outputs))
    images = [list(image.get_array().shape) for ax in fig.get_axes() for image in ax.get_images()]
    clipped = 0
    for image in (image for ax in fig.get_axes() for image in ax.get_images()):
        array = np.asarray(image.get_array(), dtype=np.float32)
        image.norm.autoscale_None(array)  # what drawing does to a colour range left open
        clipped += bool(image.norm.vmin > array.min() + 1e-6 or image.norm.vmax < array.max() - 1e-6)
    return {"clipped": clipped, "is_figure": True, "type": type(fig).__name__, "images": images, "n_axes": len(fig.get_axes()),
            "inputs_shown": sum(i is not None for i in inputs), "reconstructions_shown": sum(o is not None for o in outputs),
            "inputs_above": bool(above)}


class HeldOutRun(TypedDict):
    """What `held_out_run` returns."""

    mse: float
    steps: int
    accumulated: int
    n_optimizers: int


@probe
def held_out_run(student: StudentModule, *, device: str, seed: int, n_epochs: int) -> HeldOutRun:
    """The submission's own Autoencoder(), trained by its train_autoencoder on grader loaders (512 digits);
    the reconstruction error on digits it never saw, measured by the grader."""
    train, val, rest = grader_loaders(seed, n_train=512)
    torch.manual_seed(seed)
    model = student.call("Autoencoder")
    with StepRecorder(model) as steps, GradAccumulationDetector(model) as acc:
        student.call("train_autoencoder", model, train, val, n_epochs=n_epochs, lr=1e-3)
    return {"mse": _mse(model, rest.to(next(model.parameters()).device)), "steps": steps.steps,
            "accumulated": int(acc.as_dict()["accumulated"]), "n_optimizers": len(steps.optimizers)}


class SplitRun(TypedDict):
    """What `split_run` returns."""

    ok_pair: bool
    type: str
    sizes: list[int]
    same_parts: bool


@probe
def split_run(student: StudentModule, *, device: str, seed: int, val_fraction: float) -> SplitRun:
    """load_digits_data(val_fraction, seed): the sizes of the parts, and whether each holds the rows (in any order)
    of the part train_test_split(test_size=val_fraction, random_state=seed) makes of the scaled digits."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    out = student.call("load_digits_data", val_fraction=val_fraction, seed=seed)
    if not (isinstance(out, (tuple, list)) and len(out) == 2 and all(isinstance(t, torch.Tensor) for t in out)):
        return {"ok_pair": False, "type": type(out).__name__, "sizes": [], "same_parts": False}
    want = train_test_split((load_digits().data / 8.0 - 1.0).astype(np.float32), test_size=val_fraction,
                            random_state=seed)
    got = [to_numpy(t) for t in out]
    same = all(g.shape == w.shape and np.allclose(np.sort(g, axis=0), np.sort(w, axis=0)) and
               {r.tobytes() for r in g} == {r.tobytes() for r in w} for g, w in zip(got, want))
    return {"ok_pair": True, "type": type(out).__name__, "sizes": [len(g) for g in got], "same_parts": bool(same)}


class Layer(TypedDict):
    """One layer of an encoder or decoder, as a forward pass saw it."""

    kind: str
    width: int
    negative: bool


class ArchitectureRun(TypedDict):
    """What `architecture_run` returns."""

    encoder: list[Layer]
    decoder: list[Layer]
    output_shape: list[int]
    low: float
    high: float


def _layers(sequence: nn.Module, x: torch.Tensor) -> tuple[list[Layer], torch.Tensor]:
    """Run x through each child of a Sequential in turn: each layer's type, output width and whether any
    output is negative."""
    layers: list[Layer] = []
    for layer in sequence.children():
        x = layer(x)
        layers.append({"kind": type(layer).__name__, "width": int(x.shape[-1]), "negative": bool((x < 0).any())})
    return layers, x


@probe
def architecture_run(student: StudentModule, *, device: str, seed: int, n_features: int,
                     embedding_dim: int) -> ArchitectureRun:
    """Autoencoder(n_features, embedding_dim) layer by layer on 20 inputs of n_features values: the width and sign
    of what each layer of the encoder and the decoder gives, and the range of the whole model's output on inputs
    far out of range."""
    torch.manual_seed(seed)
    model = student.call("Autoencoder", n_features=n_features, embedding_dim=embedding_dim)
    x = torch.rand(20, n_features, generator=torch.Generator().manual_seed(seed)) * 2 - 1
    with torch.no_grad():
        encoder, code = _layers(model.encoder, x)
        decoder, _ = _layers(model.decoder, code)
        out = model(x)
        far = model(100 * x)
    return {"encoder": encoder, "decoder": decoder, "output_shape": list(out.shape), "low": float(far.min()),
            "high": float(far.max())}


class ArgumentsRun(TypedDict):
    """What `arguments_run` returns."""

    ok_pair: bool
    n_losses: int
    n_val_losses: int
    last_val_loss: float | None
    grader_val_loss: float
    steps: int
    lrs: list[float]
    train_batches: int


@probe
def arguments_run(student: StudentModule, *, device: str, seed: int, n_epochs: int, lr: float) -> ArgumentsRun:
    """train_autoencoder(n_epochs, lr) on the grader's model and loaders: the losses, the lr of every step, and
    the mean over the validation batches of the MSE of the trained model, recomputed by the grader (no step
    comes after the last validation, so it is the last validation loss)."""
    train, val, _ = grader_loaders(seed)
    model = GraderAutoencoder(seed)
    with StepRecorder(model) as steps:
        result = student.call("train_autoencoder", model, train, val, n_epochs=n_epochs, lr=lr)
    ok_pair = isinstance(result, (tuple, list)) and len(result) == 2
    losses, val_losses = (float_list(r) for r in (result if ok_pair else (None, None)))
    model.eval()
    with torch.no_grad():
        grader = float(np.mean([F.mse_loss(model(x), y).item() for x, y in val]))
    last = val_losses["values"][-1] if val_losses["values"] else None
    return {"ok_pair": ok_pair, "n_losses": len(losses["values"] or []), "n_val_losses": len(val_losses["values"] or []),
            "last_val_loss": last, "grader_val_loss": grader, "steps": steps.steps, "lrs": steps.lrs,
            "train_batches": len(train)}


class EndToEndDeviceRun(TypedDict):
    """What `end_device_run` returns."""

    model_device: str
    forwards: int
    mismatch: str | None
    during: str | None
    error: str | None
    result_device: str | None


@probe
def end_device_run(student: StudentModule, *, device: str, seed: int, function: str) -> EndToEndDeviceRun:
    """train_autoencoder, embed or reconstruct to the end of the call, with the model on the accelerator (or `meta`
    standing in for one) and the data on the CPU: a device mismatch anywhere (a target left on the CPU), and the
    device of what embed and reconstruct return."""
    model = GraderAutoencoder(seed).to(probe_device(device))
    train, val, rest = grader_loaders(seed)
    if function == "train_autoencoder":
        out = mismatch_run(student, function, model, train, val, n_epochs=1, lr=1e-3)
        return {**out, "result_device": None}
    watched = model.encoder if function == "embed" else model
    result, error = None, None
    with ForwardRecorder(watched) as fwd:
        try:
            result = student.call(function, model, rest[:10])
        except NotImplementedError as exc:
            if "meta" not in str(exc):  # torch's own "Cannot copy out of meta tensor" is an observation
                raise
            error = f"{type(exc).__name__}: {exc}"
        except StudentIssue:
            raise
        except Exception as exc:  # noqa: BLE001 - the error is the observation
            error = f"{type(exc).__name__}: {exc}"
    mismatch = error if error and ("not on the expected device" in error or "same device" in error) else None
    return {"model_device": str(next(model.parameters()).device.type), "forwards": len(fwd.calls),
            "mismatch": mismatch, "during": ("training" if model.training else "evaluation") if mismatch else None, "error": None if mismatch else error,
            "result_device": result.device.type if isinstance(result, torch.Tensor) else None}
