"""Checks for 09_autoencoder. Each test observes your code running in a sandbox on digits the grader owns."""

import numpy as np

from autograder.checks import expect


def test_load_digits_data_scaled(student):
    out = student.probe("load_run", seed=42)
    expect(out["ok_pair"], "a pair (x_train, x_val)", f"a {out['type']}")
    for name, rows in (("x_train", 1437), ("x_val", 360)):
        info = out[name]
        expect(info.get("shape") == [rows, 64] and info.get("dtype") == "float32" and info.get("device") == "cpu",
               f"{name}: a float32 CPU tensor of shape ({rows}, 64)",
               f"{info.get('type')} dtype={info.get('dtype')} shape={info.get('shape')} device={info.get('device')}",
               fix="torch.as_tensor(x, dtype=torch.float32) for each part of train_test_split(..., test_size=val_fraction)")
    rows = np.concatenate([out["train_array"], out["val_array"]])
    low, high = float(rows.min()), float(rows.max())
    expect(low == -1.0 and high == 1.0, "pixels scaled to [-1, 1] with x / 8 - 1", f"values from {low:g} to {high:g}",
           cause="the 0-16 pixel values are not scaled, or scaled to [0, 1] (x / 16)")
    same = np.array_equal(np.sort(rows, axis=0), np.sort(out["scaled"], axis=0))
    expect(same, "all 1797 digits, each in exactly one part", "rows that are not a split of the scaled digits",
           fix="split load_digits().data / 8 - 1 once with train_test_split")


def test_autoencoder_structure(student):
    for embedding_dim in (8, 3):
        out = student.probe("structure_run", seed=0, embedding_dim=embedding_dim)
        expect(out["encoder"] == "Sequential" and out["decoder"] == "Sequential",
               "self.encoder and self.decoder as nn.Sequential", f"encoder: {out['encoder']}, decoder: {out['decoder']}")
        expect(out["embedding"].get("shape") == [5, embedding_dim],
               f"model.encoder(x) of shape (5, {embedding_dim}) for 5 digits (embedding_dim={embedding_dim})",
               f"{out['embedding'].get('type')} of shape {out['embedding'].get('shape')}",
               fix="end the encoder with nn.Linear(..., embedding_dim), using the argument")
        expect(out["reconstruction"].get("shape") == [5, 64], "model(x) of the shape of x, (5, 64)",
               f"{out['reconstruction'].get('type')} of shape {out['reconstruction'].get('shape')}")
    low, high = out["low"], out["high"]
    shown = "no tensor" if low is None else f"values from {low:.3g} to {high:.3g} for inputs scaled by 100"
    expect(low is not None and -1.0 <= low and high <= 1.0, "reconstructions in [-1, 1], whatever the input", shown,
           fix="end the decoder with nn.Tanh()")


def test_make_loaders_batches(student):
    out = student.probe("loaders_run", seed=3, batch_size=16)
    expect(out["ok_pair"], "a pair (train_loader, val_loader)", f"a {out['type']}")
    expect(out["train_sizes"] == [16] * 6 + [4] and out["val_sizes"] == [16, 14],
           "batches of batch_size=16: 100 training and 30 validation images",
           f"training batches {out['train_sizes']}, validation batches {out['val_sizes']}")
    expect(out["pairs_of_inputs"], "every batch a pair (inputs, targets) of the same images",
           "batches that are not pairs of identical images", fix="use TensorDataset(x, x): the target is the input")
    expect(out["on_cpu"], "batches on the CPU (the training loop moves them)", "batches on another device")


def test_train_loss_falls(student):
    out = student.probe("train_run", seed=1, n_epochs=3)
    expect(out["ok_pair"], "train_autoencoder returns a pair (losses, val_losses)", f"a {out['type']}")
    steps, want = out["steps"]["steps"], 3 * out["train_batches"]
    expect(steps == want, f"{want} optimizer steps on the model you were given (3 epochs of "
           f"{out['train_batches']} batches)", f"{steps} steps",
           cause="training a copy of the model, or not one step per batch" if steps else "optimizer.step() is never called")
    expect(out["l1"] < 0.9 * out["l0"], f"the reconstruction error to fall from {out['l0']:.3f}",
           f"the grader measured {out['l0']:.3f} → {out['l1']:.3f}", fix="use nn.MSELoss() and Adam at lr")
    for name in ("losses", "val_losses"):
        got = out[name]
        expect(got["ok"] and len(got["values"]) == 3, f"{name}: a list of 3 Python floats, one per epoch",
               f"a {got['type']} of {len(got['values'] or [])} items of type {got.get('kinds')}",
               fix="append float(np.mean(batch_losses)) once per epoch")


def test_plot_reconstructions_figure(student):
    out = student.probe("plot_run", seed=2, n=5)
    expect(out["is_figure"], "a matplotlib Figure", f"a {out['type']}", fix="return the figure you drew on")
    expect(out["images"].count([8, 8]) == 10, "10 images of 8x8 pixels (5 inputs, 5 reconstructions) for n=5",
           f"{len(out['images'])} images of shapes {out['images'][:4]}",
           fix="imshow(image.reshape(8, 8)) in a 2 x n grid of Axes")


### BEGIN HIDDEN TESTS
def test_validation_no_grad_eval_mode(student):
    out = student.probe("train_run", seed=4, n_epochs=3)
    expect(not out["bypassed"], "the model called as model(x)", "model.forward(x) was called directly",
           fix="call model(x): hooks and modes are applied by __call__")
    train_fw = [f for f in out["forwards"] if f["batch"] == out["train_batch"]]
    val_fw = [f for f in out["forwards"] if f["batch"] == out["val_batch"]]
    expect(len(val_fw) >= 3 * 2, "validation on every batch of the validation loader after every epoch",
           f"{len(val_fw)} validation forward passes in 3 epochs of 2 validation batches")
    expect(not any(f["training"] for f in val_fw), "validation in eval mode", "a validation pass in train mode",
           fix="call model.eval() before validating")
    expect(not any(f["grad"] for f in val_fw), "validation under torch.no_grad()", "validation ran with gradients "
           "enabled", fix="wrap the validation loop in `with torch.no_grad():`")
    bad = [i for i, f in enumerate(train_fw) if not (f["training"] and f["grad"])]
    expect(not bad, "training forward passes in train mode with gradients, in every epoch",
           f"{len(bad)} of {len(train_fw)} training passes in eval mode or without gradients",
           cause="model.eval() for validation and no model.train() after it: the tutorial's appendix sets eval mode "
                 "inside its validation loop and never switches back, so from the second epoch on it trains in "
                 "eval mode. That changes nothing for Linear and ReLU layers, but it does as soon as a model has "
                 "dropout or batch norm, so this course asks for train mode in every training pass"
           if train_fw and all(f["training"] for f in train_fw[:1]) and not any(f["training"] for f in
                                                                               train_fw[-1:]) else None,
           fix="call model.train() at the start of every epoch")
    expect(out["grad"]["accumulated"] == 0 and out["steps"]["n_optimizers"] == 1,
           "one optimizer, its gradients zeroed before every backward pass",
           f"{out['steps']['n_optimizers']} optimizers; {out['grad']['accumulated']} backward passes onto stale "
           "gradients", fix="create Adam once before the loop and call optimizer.zero_grad() for every batch")


def test_loaders_shuffle_seeded(student):
    out = student.probe("loaders_run", seed=8, batch_size=10)
    first, second = out["train_orders"]
    expect(not np.array_equal(first, second) and np.array_equal(np.sort(first), np.arange(100)),
           "the training loader to reshuffle all 100 images every pass", "the same order twice, or missing images",
           fix="shuffle=True on the training DataLoader")
    expect(out["again_order"] is not None and np.array_equal(out["again_order"], first),
           "the same shuffled order from loaders made with the same seed", "another order",
           fix="generator=torch.Generator().manual_seed(seed)")
    expect(all(np.array_equal(order, np.arange(30)) for order in out["val_orders"]),
           "the validation loader in the data's order", "a shuffled validation loader", fix="shuffle=False")


def test_embed_reconstruct_eval_no_grad(student):
    for function, shape in (("embed", [7, 4]), ("reconstruct", [7, 64])):
        out = student.probe("inference_run", seed=5, function=function)
        forwards = out["forwards"]
        part = "model.encoder" if function == "embed" else "the model"
        expect(forwards, f"{function} to run {part} on x", f"{part} was never called")
        expect(not any(f["training"] for f in forwards) and not any(f["grad"] for f in forwards),
               f"{function}: {part} in eval mode under torch.no_grad()",
               f"modes {[('train' if f['training'] else 'eval') + (' + grad' if f['grad'] else '') for f in forwards]}",
               fix="model.eval(), then compute inside `with torch.no_grad():`")
        expect(out["output"].get("shape") == shape and out["matches"],
               f"{function}(model, 7 digits): the model's own output, shape {tuple(shape)}",
               f"{out['output'].get('type')} of shape {out['output'].get('shape')}"
               + ("" if out["matches"] else " with other values"))


def test_batches_reach_model_device(student):
    for function in ("train_autoencoder", "embed", "reconstruct"):
        out = student.probe("device_run", seed=6, function=function)
        expect(out["forwards"], f"{function} to run the model on {out['model_device']}",
               f"it failed before any forward pass: {out['error']}",
               fix="move each batch to `next(model.parameters()).device`")
        got = out["forwards"][0]["device"]
        expect(got == out["model_device"], f"{function}: inputs on the model's device ({out['model_device']})",
               f"inputs on {got}", fix="x.to(device) with device = next(model.parameters()).device")


def test_reconstruction_error_near_reference(student, reference):
    mine = student.probe("held_out_run", seed=7, n_epochs=4)
    ref = reference.probe("held_out_run", seed=7, n_epochs=4)
    expect(mine["steps"] == ref["steps"], f"{ref['steps']} optimizer steps (4 epochs of 512 digits)",
           f"{mine['steps']} steps")
    margin = 1.25 * ref["mse"] + 0.01
    expect(mine["mse"] <= margin, f"a reconstruction error on unseen digits within {margin:.3f} "
           f"(the reference's Autoencoder reaches {ref['mse']:.3f})", f"{mine['mse']:.3f}",
           cause="a bottleneck far from embedding_dim, a missing activation between the layers, or no tanh output")
### END HIDDEN TESTS
