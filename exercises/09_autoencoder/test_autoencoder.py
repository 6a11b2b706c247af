# Generated from solutions/09_autoencoder/test_autoencoder.py by `autograder generate`: edit there.
"""Checks for 09_autoencoder. Each test observes your code running in a sandbox on digits the grader owns."""

import numpy as np

from autograder.checks import expect
from autograder.checks.devices import device_words, mismatch_place, torch_words
from autograder.checks.training import why_loss_did_not_fall


def test_load_digits_data_scaled(student):
    out = student.probe("load_run", seed=42)
    expect(out["ok_pair"], "a pair (x_train, x_val)", f"a {out['type']}")
    for name, rows in (("x_train", 1437), ("x_val", 360)):
        info = out[name]
        expect(info.get("shape") == [rows, 64] and info.get("dtype") == "float32"
               and info.get("device") == "cpu",
               f"{name}: a float32 CPU tensor of shape ({rows}, 64)",
               f"{info.get('type')} dtype={info.get('dtype')} shape={info.get('shape')} "
               f"device={info.get('device')}",
               fix="torch.as_tensor(x, dtype=torch.float32) "
                   "for each part of train_test_split(..., test_size=val_fraction)")
    rows = np.concatenate([out["train_array"], out["val_array"]])
    low, high = float(rows.min()), float(rows.max())
    expect(low == -1.0 and high == 1.0, "pixels scaled to [-1, 1] with x / 8 - 1",
           f"values from {low:g} to {high:g}",
           cause="the 0-16 pixel values are not scaled, or scaled to [0, 1] (x / 16)")
    same = np.array_equal(np.sort(rows, axis=0), np.sort(out["scaled"], axis=0))
    expect(same, "all 1797 digits, each in exactly one part",
           "rows that are not a split of the scaled digits",
           fix="split load_digits().data / 8 - 1 once with train_test_split")


def test_autoencoder_structure(student):
    for embedding_dim in (8, 3):
        out = student.probe("structure_run", seed=0, embedding_dim=embedding_dim)
        expect(out["encoder"] == "Sequential" and out["decoder"] == "Sequential",
               "self.encoder and self.decoder as nn.Sequential",
               f"encoder: {out['encoder']}, decoder: {out['decoder']}")
        expect(out["embedding"].get("shape") == [5, embedding_dim],
               f"model.encoder(x) of shape (5, {embedding_dim}) for 5 digits (embedding_dim={embedding_dim})",
               f"{out['embedding'].get('type')} of shape {out['embedding'].get('shape')}",
               fix="end the encoder with nn.Linear(..., embedding_dim), using the argument")
        expect(out["reconstruction"].get("shape") == [5, 64], "model(x) of the shape of x, (5, 64)",
               f"{out['reconstruction'].get('type')} of shape {out['reconstruction'].get('shape')}")
    low, high = out["low"], out["high"]
    shown = "no tensor" if low is None else f"values from {low:.3g} to {high:.3g} for inputs scaled by 100"
    expect(low is not None and -1.0 <= low and high <= 1.0,
           "reconstructions in [-1, 1], whatever the input", shown,
           fix="end the decoder with nn.Tanh()")


def test_make_loaders_batches(student):
    out = student.probe("loaders_run", seed=3, batch_size=16)
    expect(out["ok_pair"], "a pair (train_loader, val_loader)", f"a {out['type']}")
    expect(out["train_sizes"] == [16] * 6 + [4] and out["val_sizes"] == [16, 14],
           "batches of batch_size=16: 100 training and 30 validation images",
           f"training batches {out['train_sizes']}, validation batches {out['val_sizes']}")
    expect(out["pairs_of_inputs"], "every batch a pair (inputs, targets) of the same images",
           "batches that are not pairs of identical images",
           fix="use TensorDataset(x, x): the target is the input")
    expect(out["on_cpu"], "batches on the CPU (the training loop moves them)", "batches on another device")


def test_train_loss_falls(student):
    out = student.probe("train_run", seed=1, n_epochs=3)
    expect(out["ok_pair"], "train_autoencoder returns a pair (losses, val_losses)", f"a {out['type']}")
    steps, batches = out["steps"]["steps"], out["train_batches"]
    want = 3 * batches
    expect(steps == want,
           f"{want} optimizer steps on the model you were given (3 epochs of {batches} batches)",
           f"{steps} steps", cause=_steps_cause(steps, batches, 3))
    expect(out["l1"] < 0.9 * out["l0"], f"the reconstruction error to fall from {out['l0']:.3f}",
           f"the grader measured {out['l0']:.3f} → {out['l1']:.3f}",
           *why_loss_did_not_fall(out, per="batch"))
    for name in ("losses", "val_losses"):
        got = out[name]
        expect(got["ok"] and len(got["values"]) == 3, f"{name}: a list of 3 Python floats, one per epoch",
               _list_of(got), fix="append float(np.mean(batch_losses)) once per epoch")


def _steps_cause(steps: int, batches: int, n_epochs: int) -> str | None:
    """Why a run made `steps` optimizer steps, not one per batch of `batches` per epoch, where the count
    says."""
    if not steps:
        return "optimizer.step() is never called, or it steps an optimizer of another model"
    if steps % batches == 0:
        epochs = steps // batches
        return (f"one step per batch, but {epochs} {_plural(epochs, 'epoch')}: the loop does not run "
                f"n_epochs={n_epochs} times (range(n_epochs))")
    return "not one optimizer.step() per batch of the training loader"


def _plural(count: int, word: str) -> str:
    return word if count == 1 else word + ("es" if word.endswith("s") else "s")


def _list_of(got: dict) -> str:
    """What came back where a list of Python floats was expected: its type, length and the type of its
    items."""
    n = len(got["values"] or [])
    kinds = ", ".join(kind.rsplit(".", 1)[-1] for kind in got.get("kinds") or []) or "no"
    return (f"a {got['type']} of {n} {_plural(n, 'item')} ({kinds} {_plural(n, 'item')})"
            if got["values"] is not None else f"a {got['type']}")


def test_plot_reconstructions_figure(student):
    out = student.probe("plot_run", seed=2, n=5)
    expect(out["is_figure"], "a matplotlib Figure", f"a {out['type']}", fix="return the figure you drew on")
    expect(out["images"].count([8, 8]) == 10, "10 images of 8x8 pixels (5 inputs, 5 reconstructions) for n=5",
           f"{len(out['images'])} images of shapes {out['images'][:4]}",
           fix="imshow(image.reshape(8, 8)) in a 2 x n grid of Axes")
    _expect_plot_content(out, 5)


def _expect_plot_content(out: dict, n: int) -> None:
    images = f"{n} {_plural(n, 'input')}"
    expect(out["inputs_shown"] == n, f"the first {images} x[:{n}], each as an 8x8 image",
           f"{out['inputs_shown']} of them among the images", fix="draw x[i].reshape(8, 8) for i in range(n)")
    expect(out["reconstructions_shown"] == n, f"the model's reconstructions of those {images} (eval mode)",
           f"{out['reconstructions_shown']} of them among the images",
           fix="draw reconstruct(model, x[:n])[i].reshape(8, 8), the model's own output for each input")
    expect(out["inputs_above"], "each input drawn above its reconstruction (inputs in the top row)",
           "an input that is not above its reconstruction",
           fix="row 0 for the inputs, row 1 for the reconstructions")
