# Generated from solutions/05_training_loop/test_loop.py by `autograder generate`: edit there.
"""Checks for 05_training_loop. Each test runs your code in a sandbox on a model, optimizer,
loss function and loaders that the grader owns.

The grader's training loader has batches of 16 points (4 per epoch) and its validation
loader batches of 10 (3 per pass), so every forward pass can be told apart by its size.
"""

import numpy as np

from autograder.checks import expect
from autograder.checks.devices import device_name, device_words, torch_words
from autograder.checks.training import why_loss_did_not_fall


def _mse(state, x, y):
    """The grader's own loss of the linear model `state` on (x, y), computed with numpy."""
    yhat = x.astype(np.float64) @ state["weight"].T.astype(np.float64) + state["bias"].astype(np.float64)
    return float(np.mean((yhat - y) ** 2))


def _epoch_means(calls, batch, per_epoch, n_epochs):
    """Mean loss per epoch of the loss calls with this batch size, or None if their number is off."""
    values = [c["value"] for c in calls if c["batch"] == batch]
    if len(values) != per_epoch * n_epochs:
        return None, len(values)
    return [float(np.mean(values[e * per_epoch:(e + 1) * per_epoch])) for e in range(n_epochs)], len(values)


def _pair(out):
    expect(out["ok_pair"], "train_loop returns a pair (losses, val_losses)", f"a {out['type']}",
           fix="return losses, val_losses")


def test_validation_value(student):
    out = student.probe("validation_run", seed=0)
    # the probe keeps a number as float(value): a float or a float subclass (numpy.float64)
    # unless it was an int
    expect(out["got"] is not None and out["got_type"] not in ("int", "bool"),
           "validation returns a Python float",
           f"{out['got_repr']} of type {out['got_type']}", cause="a tensor, an array or an int was returned",
           fix="return float(np.mean(batch_losses)) where each batch loss is loss.item()")
    n_calls = sum(1 for c in out["loss_calls"] if c["batch"] == 10)
    expect(n_calls == 3, "loss_fn called on each of the 3 validation batches", f"{n_calls} calls",
           fix="for x_batch, y_batch in val_loader: loss = loss_fn(model(x_batch), y_batch)")
    got, want = out["got"], out["want"]
    cause = None
    if any(f["training"] for f in out["forwards"]):
        cause = "the model ran in train mode (Dropout and BatchNorm behave differently there)"
    expect(abs(got - want) <= 1e-5 * max(1.0, abs(want)),
           f"the mean of the 3 batch losses in eval mode, {want:.6f} (a model with Dropout and BatchNorm)",
           f"{got:.6f}",
           cause=cause or "the batch losses are not averaged, or not computed with loss_fn(yhat, y)",
           fix="call model.eval() first, then average loss_fn(model(x), y).item() over the batches")


def test_validation_modes(student):
    out = student.probe("validation_run", seed=1)
    forwards = out["forwards"]
    expect(not out["bypassed"], "the model called as model(x)", "model.forward(x) was called directly",
           fix="call model(x_batch): nn.Module.__call__ applies hooks and modes")
    expect(len(forwards) == 3, "one forward pass per validation batch (3)", f"{len(forwards)} forward passes")
    train_mode = sum(f["training"] for f in forwards)
    expect(not train_mode, "the model in eval mode during every validation forward pass",
           f"{train_mode} of {len(forwards)} forward passes in train mode",
           cause="model.eval() is missing, or called after the loop",
           fix="call model.eval() before the loop over val_loader")
    with_grad = sum(f["grad"] for f in forwards)
    expect(not with_grad, "no gradient tracking during validation",
           f"{with_grad} of {len(forwards)} forward passes recorded gradients",
           fix="put the loop inside `with torch.no_grad():` (or torch.inference_mode())")
    expect(not out["bn_changed"], "BatchNorm's running statistics unchanged by validation",
           "validation changed them",
           cause="a forward pass in train mode updates them", fix="model.eval() first")
    expect(not out["params_have_grad"], "no gradients computed by validation",
           "the parameters got .grad values",
           cause="loss.backward() was called in validation", fix="validation only computes losses")


def test_train_loop_losses(student):
    out = student.probe("train_run", seed=1, n_epochs=3)
    _pair(out)
    losses = out["losses"]
    expect(losses["ok"] and len(losses["values"]) == 3, "losses: a list of 3 Python floats for n_epochs=3",
           f"a {losses['type']} of {len(losses['values'] or [])} items of type {losses.get('kinds')}",
           fix="append float(np.mean(batch_losses)) once per epoch, with batch_losses.append(loss.item())")
    means, count = _epoch_means(out["loss_calls"], 16, 4, 3)
    expect(means is not None, "loss_fn called once per training batch (4 batches × 3 epochs = 12 calls)",
           f"{count} calls on training batches", fix="one loss = loss_fn(yhat, y_batch) per mini-batch")
    got = losses["values"]
    expect(np.allclose(got, means, rtol=1e-5, atol=1e-7),
           f"each epoch's loss = the mean of its 4 mini-batch losses: {[round(m, 6) for m in means]}",
           f"{[round(v, 6) for v in got]}",
           cause="the loss of the last batch only, a sum instead of a mean, or losses taken after the update",
           fix="collect loss.item() of every mini-batch and append their mean after the epoch")
    val = out["val_losses"]
    expect(val["type"] == "list" and val["values"] == [], "val_losses == [] without a val_loader",
           f"a {val['type']} {val['values']}",
           fix="start with val_losses = [] and append only when val_loader is given")


def test_train_loop_learns(student):
    out = student.probe("train_run", seed=2, n_epochs=5)
    _pair(out)
    steps = out["steps"]["steps"]
    expect(steps == 20, "20 optimizer steps on the model you were given (4 batches × 5 epochs)",
           f"{steps} steps",
           cause="training a copy of the model or ignoring n_epochs" if steps == 0
           else "not one optimizer.step() per mini-batch")
    expect(out["given_optimizer"], "the optimizer passed in to make the steps",
           "another optimizer stepped the model",
           fix="use the optimizer argument; do not create a new one")
    l0, l1 = _mse(out["before"], out["x"], out["y"]), _mse(out["after"], out["x"], out["y"])
    expect(l1 < 0.5 * l0, f"the training loss the grader measures to fall by half from {l0:.4f} in 5 epochs",
           f"{l0:.4f} → {l1:.4f}", *why_loss_did_not_fall(out, per="batch"))
