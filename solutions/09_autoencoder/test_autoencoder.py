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


### BEGIN HIDDEN TESTS
def test_validation_no_grad_eval_mode(student):
    out = student.probe("train_run", seed=4, n_epochs=3)
    expect(not out["bypassed"], "the model called as model(x)", "model.forward(x) was called directly",
           fix="call model(x): hooks and modes are applied by __call__")
    train_fw = [f for f in out["forwards"] if f["batch"] == out["train_batch"]]
    val_fw = [f for f in out["forwards"] if f["batch"] == out["val_batch"]]
    expect(len(val_fw) >= 3 * 2, "validation on every batch of the validation loader after every epoch",
           f"{len(val_fw)} validation forward passes in 3 epochs of 2 validation batches",
           cause=f"validation after {len(val_fw) // 2} {_plural(len(val_fw) // 2, 'epoch')}: "
                 "the loop does not run n_epochs=3 times (range(n_epochs))"
                 if val_fw and len(val_fw) % 2 == 0 else None)
    expect(not any(f["training"] for f in val_fw),
           "validation in eval mode", "a validation pass in train mode",
           fix="call model.eval() before validating")
    expect(not any(f["grad"] for f in val_fw),
           "validation under torch.no_grad()", "validation ran with gradients enabled",
           fix="wrap the validation loop in `with torch.no_grad():`")
    bad = [i for i, f in enumerate(train_fw) if not (f["training"] and f["grad"])]
    expect(not bad, "training forward passes in train mode with gradients, in every epoch",
           f"{len(bad)} of {len(train_fw)} training passes in eval mode or without gradients",
           cause="model.eval() for validation and no model.train() after it: "
                 "the tutorial's appendix sets eval mode inside its validation loop and never switches back, "
                 "so from the second epoch on it trains in eval mode. "
                 "That changes nothing for Linear and ReLU layers, "
                 "but it does as soon as a model has dropout or batch norm, "
                 "so this course asks for train mode in every training pass"
           if train_fw and all(f["training"] for f in train_fw[:1])
           and not any(f["training"] for f in train_fw[-1:]) else None,
           fix="call model.train() at the start of every epoch")
    expect(out["grad"]["accumulated"] == 0 and out["steps"]["n_optimizers"] == 1,
           "one optimizer, its gradients zeroed before every backward pass",
           f"{out['steps']['n_optimizers']} {_plural(out['steps']['n_optimizers'], 'optimizer')}; "
           f"{out['grad']['accumulated']} backward {_plural(out['grad']['accumulated'], 'pass')} "
           "onto stale gradients",
           fix="create Adam once before the loop and call optimizer.zero_grad() for every batch")


def test_loaders_shuffle_seeded(student):
    out = student.probe("loaders_run", seed=8, batch_size=10)
    first, second = out["train_orders"]
    expect(not np.array_equal(first, second) and np.array_equal(np.sort(first), np.arange(100)),
           "the training loader to reshuffle all 100 images every pass",
           "the same order twice, or missing images",
           fix="shuffle=True on the training DataLoader")
    expect(out["again_order"] is not None and np.array_equal(out["again_order"], first),
           "the same shuffled order from loaders made with the same seed", "another order",
           fix="generator=torch.Generator().manual_seed(seed)")
    expect(out["other_seed_order"] is not None and not np.array_equal(out["other_seed_order"], first),
           "another shuffled order from loaders made with another seed", "the same order for seeds 8 and 9",
           cause="the generator is seeded with a constant, not with seed",
           fix="torch.Generator().manual_seed(seed)")
    expect(out["val_sizes"] == [10, 10, 10], "validation batches of batch_size=10 too",
           f"validation batches {out['val_sizes']}",
           fix="DataLoader(..., batch_size=batch_size) for both loaders")
    expect(all(np.array_equal(order, np.arange(30)) for order in out["val_orders"]),
           "the validation loader in the data's order", "a shuffled validation loader", fix="shuffle=False")


def test_embed_reconstruct_eval_no_grad(student):
    for function, shape in (("embed", [7, 4]), ("reconstruct", [7, 64])):
        out = student.probe("inference_run", seed=5, function=function)
        forwards = out["forwards"]
        part = "model.encoder" if function == "embed" else "the model"
        expect(forwards, f"{function} to run {part} on x", f"{part} was never called")
        modes = [("train" if f["training"] else "eval") + (" + grad" if f["grad"] else "") for f in forwards]
        expect(not any(f["training"] for f in forwards) and not any(f["grad"] for f in forwards),
               f"{function}: {part} in eval mode under torch.no_grad()",
               f"modes {modes}",
               fix="model.eval(), then compute inside `with torch.no_grad():`")
        expect(out["output"].get("shape") == shape and out["matches"],
               f"{function}(model, 7 digits): the model's own output, shape {tuple(shape)}",
               f"{out['output'].get('type')} of shape {out['output'].get('shape')}"
               + ("" if out["matches"] else " with other values"))


def test_batches_reach_model_device(student):
    for function in ("train_autoencoder", "embed", "reconstruct"):
        out = student.probe("device_run", seed=6, function=function)
        where = device_words(out["model_device"])
        expect(out["forwards"], f"{function} to run the model on {where}",
               f"an error before any forward pass: {torch_words(out['error'])}" if out["error"] else
               "no forward pass at all" + (" (with n_epochs=1: does the loop run n_epochs times?)"
                                           if function == "train_autoencoder" else ""),
               fix="move each batch to `next(model.parameters()).device`")
        got = out["forwards"][0]["device"]
        expect(got == out["model_device"], f"{function}: inputs on the model's device ({where})",
               f"inputs on {device_words(got)}",
               fix="x.to(device) with device = next(model.parameters()).device")


def test_targets_and_results_on_model_device(student):
    for function in ("train_autoencoder", "embed", "reconstruct"):
        out = student.probe("end_device_run", seed=9, function=function)
        where = device_words(out["model_device"])
        training = function == "train_autoencoder"
        place = mismatch_place(out["during"])
        expect(out["mismatch"] is None,
               f"{function}: every tensor on the model's device ({where}) to the end",
               f"{torch_words(out['mismatch'])} ({place})" if training else torch_words(out["mismatch"]),
               cause=("the targets of a batch stayed on the CPU in training "
                      "and met the model's output in the loss"
                      if out["during"] == "training" else
                      f"a batch (its inputs or its targets) stayed on the CPU {place}")
                     if training else "x was not moved to the model's device",
               fix="x_batch, y_batch = x_batch.to(device), y_batch.to(device) "
                   "for the training and the validation batches" if training else
                   "model(x.to(device)) with device = next(model.parameters()).device")
        if function != "train_autoencoder":
            expect(out["result_device"] == out["model_device"],
                   f"{function} returns its result on the model's device ({where})",
                   f"an error after the forward pass: {torch_words(out['error'])} "
                   "(a .cpu() or .numpy() of a result on the stand-in device, which holds no values)"
                   if out["error"] else
                   f"a result on {device_words(out['result_device'])}",
                   fix="return the model's output as it is: no .cpu() or .numpy()")


def test_reconstruction_error_near_reference(student, reference):
    mine = student.probe("held_out_run", seed=7, n_epochs=4)
    ref = reference.probe("held_out_run", seed=7, n_epochs=4)
    expect(mine["steps"] == ref["steps"], f"{ref['steps']} optimizer steps (4 epochs of 512 digits)",
           f"{mine['steps']} steps", cause=_steps_cause(mine["steps"], ref["steps"] // 4, 4))
    margin = 1.25 * ref["mse"] + 0.01
    expect(mine["mse"] <= margin, f"a reconstruction error on unseen digits within {margin:.3f} "
           f"(the reference's Autoencoder reaches {ref['mse']:.3f})", f"{mine['mse']:.3f}",
           *why_loss_did_not_fall({"grad": {"accumulated": mine["accumulated"], "backwards": mine["steps"]},
                                   "steps": {"n_optimizers": mine["n_optimizers"]}}, per="batch")
           if mine["accumulated"] or mine["n_optimizers"] > 1 else
           ("the training ran as it should (one optimizer, gradients cleared, every step): "
            "the Autoencoder's layers are the likely cause: a bottleneck far from embedding_dim, "
            "or a missing ReLU between the Linear layers",
            "Linear+ReLU down to embedding_dim, the mirror back up, then tanh"))


def test_split_uses_its_arguments(student):
    for val_fraction, seed, sizes in ((0.3, 7, [1257, 540]), (0.2, 3, [1437, 360])):
        out = student.probe("split_run", seed=seed, val_fraction=val_fraction)
        expect(out["ok_pair"], "a pair of tensors (x_train, x_val)", f"a {out['type']}")
        expect(out["sizes"] == sizes, f"with val_fraction={val_fraction}: "
               f"{sizes[0]} training and {sizes[1]} validation digits",
               f"{out['sizes'][0]} and {out['sizes'][1]}", cause="val_fraction is not used",
               fix="train_test_split(..., test_size=val_fraction, random_state=seed)")
        expect(out["same_parts"],
               f"with seed={seed}: the parts train_test_split(..., random_state={seed}) makes",
               "other digits in each part",
               cause="the split does not use seed (a fixed random_state, or another "
               "shuffle)", fix="train_test_split(..., test_size=val_fraction, random_state=seed)")


def test_architecture_narrows_and_mirrors(student):
    for n_features, embedding_dim in ((64, 8), (20, 3)):
        out = student.probe("architecture_run", seed=10, n_features=n_features, embedding_dim=embedding_dim)
        made = f"Autoencoder(n_features={n_features}, embedding_dim={embedding_dim})"
        enc = [layer["width"] for layer in out["encoder"] if layer["kind"] == "Linear"]
        dec = [layer["width"] for layer in out["decoder"] if layer["kind"] == "Linear"]
        expect(enc and enc[-1] == embedding_dim and all(a >= b for a, b in zip(enc, enc[1:])),
               f"{made}: encoder Linear widths narrowing down to {embedding_dim}", f"widths {enc}",
               fix="nn.Linear(n_features, ...) ... nn.Linear(..., embedding_dim)")
        final_layer = out["encoder"][-1]
        expect(final_layer["kind"] == "Linear" and final_layer["negative"],
               f"{made}: no activation after the embedding (it can be negative)",
               f"the encoder ends with {final_layer['kind']}"
               + ("" if final_layer["negative"] else ", and no embedding value is negative"),
               fix="end the encoder with its last nn.Linear, no ReLU after it")
        expect(dec == [*enc[-2::-1], n_features], f"{made}: decoder widths that mirror the encoder's, "
               f"{[*enc[-2::-1], n_features]}", f"widths {dec}", fix="the encoder's layers in reverse order")
        expect(out["output_shape"] == [20, n_features], f"{made}: model(x) of shape (20, {n_features})",
               f"shape {out['output_shape']}")
        expect(-1 <= out["low"] < -0.9 and 0.9 < out["high"] <= 1,
               f"{made}: a tanh output, in [-1, 1] and reaching "
               "its ends for inputs far out of range", f"values from {out['low']:.3g} to {out['high']:.3g}",
               fix="end the decoder with nn.Tanh()")


def test_training_uses_its_arguments(student):
    out = student.probe("arguments_run", seed=11, n_epochs=2, lr=3e-3)
    batches = out["train_batches"]
    expect(out["ok_pair"] and out["n_losses"] == out["n_val_losses"] == 2,
           "with n_epochs=2: two lists of 2 losses", f"{out['n_losses']} and {out['n_val_losses']} losses",
           cause=f"the loop runs {out['n_losses']} {_plural(out['n_losses'], 'epoch')}, not n_epochs=2"
           if out["ok_pair"] and out["n_losses"] == out["n_val_losses"] else None,
           fix="for epoch in range(n_epochs), one training and one validation loss each")
    expect(out["steps"] == 2 * batches, f"with n_epochs=2: {2 * batches} optimizer steps",
           f"{out['steps']} steps",
           cause=_steps_cause(out["steps"], batches, 2))
    expect(out["lrs"] and all(abs(lr - 3e-3) < 1e-12 for lr in out["lrs"]),
           "with lr=0.003: every step at lr=0.003",
           f"steps at lr={sorted(set(out['lrs']))}", fix="torch.optim.Adam(model.parameters(), lr=lr)")
    last, want = out["last_val_loss"], out["grader_val_loss"]
    expect(last is not None and abs(last - want) <= 1e-4 + 1e-3 * want,
           "the last validation loss: the mean MSE over the validation batches of the trained model, "
           f"{want:.5f} as the grader recomputes it", "no validation loss" if last is None else f"{last:.5f}",
           fix="validate after the epoch's training: "
               "mean of loss_fn(model(x), y).item() over val_loader, in eval mode")
def test_plot_reconstructions_content(student):
    for n in (1, 3):
        out = student.probe("plot_run", seed=12, n=n)
        expect(out["is_figure"], f"with n={n}: a matplotlib Figure", f"a {out['type']}")
        expect(out["n_axes"] == 2 * n, f"with n={n}: 2 rows of {n} Axes, {2 * n} in all",
               f"{out['n_axes']} Axes",
               fix="fig.subplots(2, n, squeeze=False): with n=1 it still gives a 2 x 1 grid")
        _expect_plot_content(out, n)
        expect(out["clipped"] == 0, f"with n={n}: each image's colour range covering its pixel values",
               f"{out['clipped']} of {2 * n} images whose colour range cuts pixels off",
               fix="imshow(..., vmin=-1, vmax=1), the range of the scaled pixels and of tanh")
### END HIDDEN TESTS
