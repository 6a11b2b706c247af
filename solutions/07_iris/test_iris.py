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


### BEGIN HIDDEN TESTS
def test_split_is_seeded_and_complete(student):
    a, b, c = (student.probe("load_data", seed=s) for s in (7, 7, 8))
    expect(np.array_equal(a["x_train"]["array"], b["x_train"]["array"]), "the same split for the same seed",
           "two calls with seed=7 gave different splits", fix="pass random_state=seed to train_test_split")
    expect(not np.array_equal(a["x_train"]["array"], c["x_train"]["array"]), "another split for another seed",
           "seed=7 and seed=8 gave the same split", fix="use the seed argument, not a constant")
    rows = np.concatenate([a["x_train"]["array"], a["x_val"]["array"]])
    full = a["full"]
    same = len(rows) == len(full) and np.array_equal(np.sort(rows, axis=0), np.sort(full, axis=0))
    expect(same, "all 150 flowers, each in exactly one of the two parts",
           f"{len(rows)} rows that are not a partition of the data set",
           fix="split iris.data once with train_test_split; do not sample rows twice")
### END HIDDEN TESTS


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


### BEGIN HIDDEN TESTS
def test_train_modes_every_epoch(student):
    out = student.probe("train_run", seed=4, n_epochs=5, lr=1e-3, validate=True)
    train_fw = [f for f in out["forwards"] if f["batch"] == out["train_batch"]]
    val_fw = [f for f in out["forwards"] if f["batch"] == out["val_batch"]]
    expect(len(val_fw) >= 5, "evaluate to run on the validation data every epoch",
           f"{len(val_fw)} validation forward passes in 5 epochs")
    bad = [i + 1 for i, f in enumerate(train_fw) if not f["training"]]
    expect(not bad, "training forward passes in train mode in every epoch",
           f"train-mode off in epoch(s) {bad}",
           cause="evaluate() switched the model to eval mode and training never switched back",
           fix="call model.train() at the start of every epoch")
    expect(all(f["grad"] for f in train_fw),
           "gradients enabled during training", "a training forward ran without gradients")
    expect(not any(f["grad"] or f["training"] for f in val_fw), "validation in eval mode under no_grad",
           "validation ran in train mode or with gradients (the validation inside train)",
           cause="evaluate() does not switch to eval mode and torch.no_grad(), "
                 "or train computes the validation loss itself",
           fix="make evaluate() call model.eval() and compute under `with torch.no_grad():`, "
                 "and have train call evaluate(model, x_val, y_val) for the validation loss")


def test_train_zero_grad(student):
    out = student.probe("train_run", seed=5, n_epochs=10, lr=1e-3)
    grad = out["grad"]
    expect(grad["accumulated"] == 0, "gradients cleared before every backward pass",
           f"{grad['accumulated']} of {grad['backwards']} backward passes added to stale gradients",
           fix="call optimizer.zero_grad() in every epoch")
    expect(out["steps"]["n_optimizers"] == 1, "one optimizer, created once before the loop",
           f"{out['steps']['n_optimizers']} optimizers",
           cause="the optimizer is created inside the loop, "
                 "which resets its state (Adam's moments) every epoch")


def test_batches_reach_model_device(student):
    for function in ("train", "evaluate", "accuracy"):
        out = student.probe("device_run", seed=6, function=function)
        where = device_words(out["model_device"])
        expect(out["forwards"], f"{function} to run the model on {where}",
               f"it failed before any forward pass: {torch_words(out['error'])}" if out["error"] else
               "no forward pass at all",
               fix="move x and y to `next(model.parameters()).device`")
        got = out["forwards"][0]["device"]
        expect(got == out["model_device"], f"{function}: inputs on the model's device ({where})",
               f"inputs on {device_words(got)}",
               fix="move each batch with x.to(device), device = next(model.parameters()).device")


def report_loss_curves(student, reference, **kwargs):
    """The loss curves the HTML report plots, from a run with validation. A broken evaluate() is another
    check's business: it only leaves the report without the student's curves."""
    from autograder.checks import StudentProblem

    try:
        mine = student.probe("train_run", validate=True, timeout=30, **kwargs)
    except StudentProblem:
        return
    ref = reference.probe("train_run", validate=True, **kwargs)
    for handle, out in ((student, mine), (reference, ref)):
        handle.report_curve("train", out["losses"]["values"])
        handle.report_curve("validation", out["val_losses"]["values"])


def test_train_matches_reference(student, reference):
    kwargs = dict(seed=11, n_epochs=150, lr=1e-3)
    mine, ref = student.probe("train_run", **kwargs), reference.probe("train_run", **kwargs)
    report_loss_curves(student, reference, **kwargs)
    l0 = mlp_cross_entropy(mine["before"], mine["x"], mine["y"])
    l1 = mlp_cross_entropy(mine["after"], mine["x"], mine["y"])
    r1 = mlp_cross_entropy(ref["after"], ref["x"], ref["y"])
    cause, fix = why_loss_did_not_fall(mine, per="epoch")
    expect(l1 <= l0 - 0.5 * (l0 - r1), f"at least half the reference's improvement ({l0:.3f} → {r1:.3f})",
           f"{l0:.3f} → {l1:.3f}", cause=cause, fix=fix)


def test_training_time(student, reference, exercise):
    # a hidden check's helper: not in the release
    from autograder.checks.reference_time import fresh_reference_runs

    budget = exercise.timing
    mine = [student.probe("time_train", seed=rep, n_epochs=budget.n_epochs, timeout=exercise.timeout)
            for rep in range(2)]
    # the reference's runs: made on this grading process, again whenever they are minutes old (reference_time)
    ref = fresh_reference_runs((exercise.id, budget.n_epochs), lambda seed: reference.probe(
        "time_train", seed=seed, n_epochs=budget.n_epochs, cache=False))
    fastest, fastest_ref = min(m["seconds"] for m in mine), min(r["seconds"] for r in ref)
    ratio = fastest / fastest_ref
    student.report_timing(ratio=ratio, seconds=fastest, reference_seconds=fastest_ref)
    work = [(m["training_forwards"], m["backwards"], m["steps"]) for m in mine]
    expect(all(f >= budget.n_epochs and b >= budget.n_epochs and s == budget.n_epochs for f, b, s in work),
           f"per timed run, {budget.n_epochs} optimizer steps, each after a forward pass in train mode "
           "and a backward pass", f"(forward passes, backward passes, steps) = {work}",
           cause="a fast training that skips work does not count")
    fell = [m["loss_before"] - m["loss_after"] for m in mine]
    fell_ref = min(r["loss_before"] - r["loss_after"] for r in ref)
    expect(min(fell) >= 0.5 * fell_ref, "the timed training to lower the loss as the reference's does "
           f"(by at least {0.5 * fell_ref:.3f})", f"it fell by {min(fell):.3f}",
           cause="the optimizer steps did not follow the gradients of this model's loss on these batches")
    expect(ratio <= budget.max_ratio, f"training at most {budget.max_ratio:g}× the reference's time",
           f"{ratio:.1f}× (yours {fastest:.2f} s, reference {fastest_ref:.2f} s)",
           fix="avoid Python loops over rows, .item() inside the inner loop, or re-creating the optimizer")


def test_arguments_are_used(student):
    out = student.probe("arguments_run", seed=3, val_fraction=0.2, n_features=6, n_hidden=10, n_classes=5)
    expect(out["sizes"] == [120, 120, 30, 30],
           "load_iris_data(val_fraction=0.2): 120 training and 30 validation "
           "flowers", f"sizes {out['sizes']}", cause="val_fraction is not passed on as test_size",
           fix="train_test_split(..., test_size=val_fraction, ...)")
    got = (out["layers"].get("fc1"), out["layers"].get("fc2"))
    expect(got == ([6, 10], [10, 5]),
           "IrisClassifier(n_features=6, n_hidden=10, n_classes=5): fc1 6→10, fc2 10→5",
           f"fc1 {got[0]}, fc2 {got[1]} (in, out)",
           cause="a size is a constant (4 or 3 for iris) instead of the constructor's argument",
           fix="nn.Linear(n_features, n_hidden) and nn.Linear(n_hidden, n_classes)")
    expect(out["output"].get("shape") == [7, 5], "logits of shape (7, 5) for 7 rows and 5 classes",
           f"{out['output'].get('type')} of shape {out['output'].get('shape')}")


def test_train_uses_lr(student):
    out = student.probe("train_run", seed=12, n_epochs=5, lr=3e-3)
    lrs = sorted(set(out["steps"]["lrs"]))
    expect(lrs == [3e-3], "the optimizer to step with lr=0.003, the lr given to train",
           f"steps with learning rate(s) {lrs or 'none'}",
           cause="the learning rate is a constant, or the optimizer's default, instead of the lr argument",
           fix="pass lr=lr to the optimizer "
               "(any torch.optim optimizer is fine; the stub names Adam as the tutorial does)")


def test_defaults_follow_the_spec(student):
    out = student.probe("defaults_run", seed=13)
    expect(out["same_split"], "load_iris_data() to equal load_iris_data(val_fraction=0.25, seed=42)",
           "a different split", cause="a default in the signature was changed",
           fix="keep the signature as given: val_fraction=0.25, seed=42")
    got = (out["layers"].get("fc1"), out["layers"].get("fc2"))
    expect(got == ([4, 1024], [1024, 3]), "IrisClassifier(): fc1 4→1024 and fc2 1024→3 (the defaults)",
           f"fc1 {got[0]}, fc2 {got[1]} (in, out)", cause="a default in the signature was changed",
           fix="keep the signature as given: n_features=4, n_hidden=1024, n_classes=3")
    for function, run in out["runs"].items():
        expect(run["n_epochs"] == 3000 and run["lrs"] == [1e-4],
               f"{function}: n_epochs=3000 and lr=1e-4 by default",
               f"n_epochs={run['n_epochs']}, steps with learning rate(s) {run['lrs']} when lr is left out",
               cause="a default in the signature was changed, or lr is not passed on",
               fix="keep n_epochs=3000 and lr=1e-4 in the signature; "
                   "pass lr on to the optimizer (or to train)")


def test_accuracy_no_grad_eval_mode(student):
    out = student.probe("accuracy_run", seed=3)
    forwards = out["forwards"]
    expect(forwards, "accuracy to run the model on the data", "the model was never called",
           fix="call model(x) and compare its argmax with y")
    expect(not any(f["training"] for f in forwards), "the model in eval mode while computing the accuracy",
           "a forward pass ran in train mode",
           cause="dropout and batch norm behave differently in train mode, "
           "so the accuracy would be measured on another model", fix="call model.eval() first")
    expect(not any(f["grad"] for f in forwards), "no gradient tracking while computing the accuracy",
           "the forward pass ran with gradients enabled",
           cause="autograd then keeps the graph of every prediction, which costs memory and time",
           fix="wrap it in `with torch.no_grad():`")


def test_train_validation_losses(student):
    out = student.probe("train_validation_run", seed=14, n_epochs=8, lr=1e-3)
    values = out["val_losses"]
    expect(out["ok_pair"] and values["ok"] and len(values["values"]) == 8,
           "val_losses: a list of 8 Python floats "
           "(one evaluate() per epoch) when x_val and y_val are given",
           f"a {values['type']} of {len(values['values'] or [])} items of type {values.get('kinds')}",
           fix="after each epoch's update: val_losses.append(evaluate(model, x_val, y_val))")
    last = values["values"][-1]
    expect(abs(last - out["final_val_loss"]) < 1e-4,
           f"the last validation loss to be the loss of the trained "
           f"model on the validation data ({out['final_val_loss']:.4f})", f"{last:.4f}",
           cause="the validation loss is computed before the update, on other data, or not with evaluate()")


def test_time_training_measures_train(student):
    out = student.probe("time_training_span", seed=15, n_epochs=50)
    expect(out["ok_pair"], "(seconds, losses) with seconds a float", "something else")
    expect(out["steps"] == 50, "time_training to run train for n_epochs (50) steps", f"{out['steps']} steps")
    expect(out["lrs"] == [1e-3], "time_training to train with the lr it is given (0.001)",
           f"steps with learning rate(s) {out['lrs']}",
           fix="call train(model, x, y, n_epochs=n_epochs, lr=lr)")
    span = out["span"] or 0.0
    expect(span <= out["seconds"] <= out["wall"] + 1e-3,
           f"a duration covering the whole training: at least {span:.4f} s (first to last optimizer step) "
           f"and at most the call's {out['wall']:.4f} s",
           f"{out['seconds']:.4f} s",
           cause="the clock does not enclose the call to train, or the time is scaled (per epoch, in ms)",
           fix="start = time.perf_counter(); train(...); seconds = time.perf_counter() - start")
    losses = out["losses"]
    kinds = ", ".join(kind.rsplit(".", 1)[-1] for kind in losses.get("kinds") or [])
    expect(losses["ok"] and len(losses["values"]) == 50,
           "losses: the list of 50 training losses train returned",
           f"a {losses['type']} of {len(losses['values'] or [])} items"
           + (f" of type {kinds}" if kinds else ""),
           fix="return the list train returns, of Python floats (loss.item())")
    first = losses["values"][0]
    on_softmax = abs(first - out["l0_on_softmax"]) < 1e-3
    expect(abs(first - out["l0"]) < 1e-3,
           f"the first loss to be the initial model's cross-entropy on its logits ({out['l0']:.4f})",
           f"{first:.4f}" + (f", the cross-entropy of its softmax outputs ({out['l0_on_softmax']:.4f})"
                             if on_softmax else ""),
           cause="the loss is computed on softmax outputs: "
                 "nn.CrossEntropyLoss applies log-softmax to the logits itself, "
                 "so a softmax before it squashes the loss" if on_softmax else None,
           fix="loss_fn(model(x), y) on the raw logits, no softmax" if on_softmax else
           "record loss.item() of each step's loss, before optimizer.step()")


def test_labels_reach_model_device(student):
    for function in ("train", "evaluate", "accuracy"):
        out = student.probe("labels_device_run", seed=16, function=function)
        where = device_words(out["model_device"])
        expect(out["forwards"], f"{function} to run the model on {where}",
               f"it failed before any forward pass: {torch_words(out['error'])}" if out["error"] else
               "no forward pass at all")
        expect(out["mismatch"] is None, f"{function}: the labels y on the model's device ({where}) too",
               torch_words(out["mismatch"]),
               cause="only x was moved; y stayed on the CPU "
                     "and met the model's output in the loss or the comparison",
               fix="x, y = x.to(device), y.to(device)")
### END HIDDEN TESTS
