# Generated from solutions/07_iris/test_iris.py by `autograder generate`: edit there.
"""Checks for 07_iris. Each test observes your code running in a sandbox on data the grader owns."""

import numpy as np

from autograder.checks import expect, fail
from autograder.checks.devices import device_words, torch_words
from autograder.checks.numeric import moved
from autograder.checks.training import number_fix, returned_number, why_loss_did_not_fall


def mlp_cross_entropy(state: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy of fc1 → ReLU → fc2 with weights `state` on (x, y), recomputed by the grader."""
    h = np.maximum(x.astype(np.float64) @ state["fc1.weight"].T.astype(np.float64) + state["fc1.bias"], 0.0)
    logits = h @ state["fc2.weight"].T.astype(np.float64) + state["fc2.bias"]
    logits -= logits.max(axis=1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(y)), y].mean())


def test_load_iris_data_split(student):
    out = student.probe("load_data", seed=42)
    expect(out["ok_tuple"], "a tuple (x_train, y_train, x_val, y_val)", f"a {out.get('type')}")
    for name, shape, dtype in (("x_train", [112, 4], "float32"), ("y_train", [112], "int64"),
                               ("x_val", [38, 4], "float32"), ("y_val", [38], "int64")):
        info = out[name]["info"]
        expect(info.get("shape") == shape and info.get("dtype") == dtype and info.get("device") == "cpu",
               f"{name}: a {dtype} CPU tensor of shape {tuple(shape)}",
               f"{info.get('type')} dtype={info.get('dtype')} shape={info.get('shape')} "
               f"device={info.get('device')}",
               fix="convert with torch.as_tensor(..., dtype=torch.float32) for features "
                   "and torch.int64 for labels")
    counts = np.bincount(out["y_val"]["array"], minlength=3).tolist()
    expect(counts in ([13, 13, 12], [13, 12, 13], [12, 13, 13]),
           "a stratified split: 12 or 13 flowers of each "
           "species in validation", f"species counts {counts}", fix="pass stratify=y to train_test_split")


def test_classifier_structure(student):
    out = student.probe("structure", seed=0)
    layers = out["layers"]
    expect(layers.get("fc1", {}).get("type") == "Linear" and layers.get("fc2", {}).get("type") == "Linear",
           "two nn.Linear layers named fc1 and fc2", f"layers {layers}")
    fc1, fc2 = layers["fc1"], layers["fc2"]
    expect((fc1["in"], fc1["out"], fc2["in"], fc2["out"]) == (4, 32, 32, 3),
           "fc1 = nn.Linear(n_features, n_hidden) and fc2 = nn.Linear(n_hidden, n_classes) "
           "(here n_hidden=32)",
           f"fc1 {fc1['in']}→{fc1['out']}, fc2 {fc2['in']}→{fc2['out']}",
           fix="use the constructor's arguments, not constants")
    expect(out["output"].get("shape") == [5, 3], "logits of shape (5, 3) for 5 flowers",
           f"{out['output'].get('type')} of shape {out['output'].get('shape')}")
    if out["want"] is not None and not np.allclose(out["got"], out["want"], atol=1e-5):
        fail("forward(x) = fc2(relu(fc1(x)))", "a different output",
             cause="the ReLU between the layers is missing, or a softmax was added",
             fix="return the raw logits: nn.CrossEntropyLoss applies log-softmax itself")


def test_train_loss_decreases(student):
    out = student.probe("train_run", seed=1, n_epochs=100, lr=1e-3)
    expect(out["ok_pair"], "train returns a pair (losses, val_losses)", "something else")
    steps = out["steps"]["steps"]
    expect(steps == 100, "100 optimizer steps on the model you were given (n_epochs=100)", f"{steps} steps",
           cause="training a copy of the model, ignoring n_epochs, or not calling optimizer.step()"
                 if steps == 0 else "the loop does not run exactly n_epochs full-batch steps")
    expect(moved(out["before"], out["after"]), "the model's parameters to change", "they did not change")
    l0 = mlp_cross_entropy(out["before"], out["x"], out["y"])
    l1 = mlp_cross_entropy(out["after"], out["x"], out["y"])
    cause, fix = why_loss_did_not_fall(out, per="epoch")
    expect(l1 < 0.8 * l0, f"the loss to fall clearly from {l0:.3f} after 100 epochs at lr=1e-3",
           f"the grader measured {l0:.3f} → {l1:.3f}", cause=cause, fix=fix)
    losses = out["losses"]
    expect(losses["ok"] and len(losses["values"]) == 100,
           "losses: a list of 100 Python floats (use loss.item())",
           f"a {losses['type']} of {len(losses['values'] or [])} items of type {losses.get('kinds')}")
    expect(abs(losses["values"][0] - out["l0"]) < 1e-3,
           f"the first reported loss to be the loss of the initial model ({out['l0']:.4f})",
           f"{losses['values'][0]:.4f}",
           cause="the reported losses are not the losses of this model's training steps")


def test_evaluate_no_grad_eval_mode(student):
    out = student.probe("evaluate_run", seed=2)
    forwards = out["forwards"]
    expect(not out["bypassed"], "the model called as model(x)", "model.forward(x) was called directly",
           fix="call model(x): hooks and modes are applied by __call__")
    expect(forwards, "evaluate to run the model on the data", "the model was never called")
    expect(not any(f["training"] for f in forwards), "the model in eval mode during every forward pass",
           "a forward pass ran in train mode", fix="call model.eval() before computing the predictions")
    expect(not any(f["grad"] for f in forwards), "no gradient tracking while evaluating",
           "validation ran with gradients enabled", fix="wrap it in `with torch.no_grad():`")
    expect(out["got"] is not None and abs(out["got"] - out["want"]) < 1e-4,
           f"the mean cross-entropy as a Python float ({out['want']:.4f})",
           returned_number(out["got"], out["got_type"]), fix=number_fix(out["got"], out["got_type"]))


def test_accuracy_value(student):
    out = student.probe("accuracy_run", seed=3)
    expect(out["got"] is not None and abs(out["got"] - out["want"]) < 1e-6,
           f"accuracy {out['want']:.4f} as a Python float in [0, 1]",
           returned_number(out["got"], out["got_type"]),
           fix=number_fix(out["got"], out["got_type"])
               or "compare logits.argmax(dim=1) with y, then take the mean and .item()")


def test_plot_losses_figure(student):
    out = student.probe("plot_run")
    expect(out["is_figure"], "a matplotlib Figure", f"a {out.get('type')}", fix="return the figure, e.g. "
           "`fig, ax = plt.subplots()` ... `return fig`")
    expect(out["n_axes"] == 1, "one Axes", f"{out['n_axes']} axes")
    labels = [ln["label"] for ln in out["lines"]]
    expect(len(out["lines"]) == 2, "two curves (training and validation)", f"{len(out['lines'])} curves")
    expect(out["xlabel"] and out["ylabel"] and out["legend"], "labelled axes and a legend",
           f"xlabel={out['xlabel']!r}, ylabel={out['ylabel']!r}, "
           f"legend={'yes' if out['legend'] else 'no'}, labels {labels}")


def test_time_training_returns(student):
    out = student.probe("time_training_run", seed=9)
    expect(out["ok_pair"] and out["seconds"] is not None, "(seconds, losses) with seconds a float",
           f"seconds of type {out['seconds_type']}")
    expect(out["steps"] == 20, "time_training to run train for n_epochs (20) steps", f"{out['steps']} steps")
    expect(0 < out["seconds"] <= out["wall"] * 1.05 + 0.01,
           f"a duration within the call's own {out['wall']:.3f} s",
           f"{out['seconds']!r} s", fix="read time.perf_counter() before and after train")
