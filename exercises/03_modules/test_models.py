# Generated from solutions/03_modules/test_models.py by `autograder generate`: edit there.
"""Checks for 03_modules. Each test runs your code in a sandbox on models and data the grader owns."""

import numpy as np

from autograder.checks import expect, fail
from autograder.checks.devices import device_words, torch_words


def line_data(n=100, true_a=1.0, true_b=2.0, noise=0.1, seed=42):
    """Data on a line, drawn by the grader as in exercise 01."""
    rs = np.random.RandomState(seed)
    x = rs.rand(n, 1)
    return x, true_a + true_b * x + noise * rs.randn(n, 1)


def line_gd(state, x, y, lr, n_steps):
    """The grader's gradient descent on the MSE of nn.Linear(1, 1) (weight w, bias c), in float64.

    Returns the losses before each step and the (w, c) after each step.
    """
    w, c = float(state["0.weight"].reshape(-1)[0]), float(state["0.bias"].reshape(-1)[0])
    losses, params = [], []
    for _ in range(n_steps):
        error = c + w * x - y
        losses.append(float((error ** 2).mean()))
        w, c = w - lr * 2 * (x * error).mean(), c - lr * 2 * error.mean()
        params.append((float(w), float(c)))
    return losses, params


def wc(state):
    return float(state["0.weight"].reshape(-1)[0]), float(state["0.bias"].reshape(-1)[0])


def check_output(output, want, what):
    info = output["info"]
    expect(output["called"], f"{what} to run through model(x)", "the model's forward was never called")
    expect(info.get("shape") == list(want.shape) and info.get("dtype") == "float32",
           f"{what}: a float32 tensor of shape {want.shape} for an input of shape {want.shape}",
           f"{info.get('type')} of shape {info.get('shape')} and dtype {info.get('dtype')}",
           fix="return the predictions as a tensor of the same shape as x, (N, 1)")
    if not np.allclose(output["values"], want, atol=1e-5):
        fail(f"{what} to compute a + b * x",
             f"outputs {np.round(output['values'][:3, 0], 4).tolist()}, "
             f"expected {np.round(want[:3, 0], 4).tolist()}",
             cause="a and b swapped, or an operation other than a + b * x")


def test_manual_model_parameters(student):
    out = student.probe("manual_structure", seed=0)
    expect(out["is_module"], "ManualLinearRegression() to be an nn.Module", f"a {out['type']}")
    params = out["params"]
    expect(params, "two registered parameters, a and b (in model.parameters())", "no registered parameters",
           cause="a and b are plain tensors: only nn.Parameter attributes are registered",
           fix="self.a = nn.Parameter(torch.randn(1)) and the same for b, after super().__init__()")
    expect(sorted(params) == ["a", "b"], "exactly the parameters a and b", f"parameters {sorted(params)}",
           fix="name them self.a and self.b")
    for name in ("a", "b"):
        p = params[name]
        expect(p["is_parameter"] and p["shape"] == [1] and p["dtype"] == "float32" and p["requires_grad"],
               f"{name}: an nn.Parameter of shape (1,), float32, requiring grad",
               f"shape {p['shape']}, dtype {p['dtype']}, requires_grad={p['requires_grad']}",
               fix=f"self.{name} = nn.Parameter(torch.randn(1, dtype=torch.float))")
    a, b = params["a"]["values"][0], params["b"]["values"][0]
    check_output(out["output"], a + b * out["x"], "ManualLinearRegression's forward")


def test_layer_and_sequential_models(student):
    out = student.probe("layer_structure", seed=0)
    x = out["x"]
    layer = out["layer"]
    expect(layer["is_module"], "LayerLinearRegression() to be an nn.Module", f"a {layer['type']}")
    linear = layer["children"].get("linear", {})
    linear_args = (linear.get("in"), linear.get("out"), linear.get("bias"))
    expect(layer["linear_is_linear"] and linear_args == (1, 1, True),
           "an attribute linear = nn.Linear(1, 1)", f"submodules {layer['children']}",
           fix="in __init__, after super().__init__(): self.linear = nn.Linear(1, 1)")
    expect(sorted(layer["params"]) == ["linear.bias", "linear.weight"],
           "only the parameters of self.linear (linear.weight, linear.bias)",
           f"parameters {sorted(layer['params'])}",
           fix="the layer holds the parameters: do not add a and b as well")
    w, c = layer["params"]["linear.weight"]["values"][0, 0], layer["params"]["linear.bias"]["values"][0]
    check_output(layer["output"], c + w * x, "LayerLinearRegression's forward (self.linear(x))")
    seq = out["sequential"]
    expect(seq["is_module"] and seq["type"] == "Sequential", "make_sequential() to return an nn.Sequential",
           f"a {seq['type']}", fix="return nn.Sequential(nn.Linear(1, 1))")
    children = list(seq["children"].values())
    expect(len(children) == 1 and children[0]["type"] == "Linear"
           and (children[0]["in"], children[0]["out"]) == (1, 1),
           "exactly one layer, nn.Linear(1, 1)", f"layers {[c['type'] for c in children]}",
           fix="return nn.Sequential(nn.Linear(1, 1))")
    weights = [p for name, p in seq["params"].items() if name.endswith("weight")]
    biases = [p for name, p in seq["params"].items() if name.endswith("bias")]
    expect(len(weights) == 1 and len(biases) == 1,
           "the weight and bias of that one layer as the only parameters",
           f"parameters {sorted(seq['params'])}")
    w, c = weights[0]["values"][0, 0], biases[0]["values"][0]
    check_output(seq["output"], c + w * x, "the Sequential model")


def check_train_steps(out, lr, label):
    expect(out["callable"], "make_train_step to return a function train_step(x, y)", f"a {out.get('type')}",
           fix="define `def train_step(x, y): ...` inside make_train_step and `return train_step`")
    expect(out["steps_at_make"] == 0, "make_train_step itself to do no training (only build train_step)",
           f"{out['steps_at_make']} optimizer steps while building it")
    x, y = out["x32"], out["y32"]
    want_losses, want_params = line_gd(out["states"][0], x, y, lr, len(out["calls"]))
    for i, call in enumerate(out["calls"]):
        where = f"{label}, call {i + 1}" if len(out["calls"]) > 1 else label
        expect(call["forwards"] == i + 1, f"one forward pass model(x) per train_step call ({where})",
               f"{call['forwards']} forward passes so far" if call["forwards"] or not out["bypassed"] else
               "model.forward(x) called directly", fix="call the model itself: yhat = model(x)")
        expect(call["steps"] == i + 1, f"one optimizer.step() per train_step call ({where})",
               f"{call['steps']} optimizer steps so far",
               cause="optimizer.step() is missing" if call["steps"] == 0 else
                     "step() is called more than once",
               fix="loss.backward(), then optimizer.step(), then optimizer.zero_grad()")
        got = call["returned"]
        expect(got["is_float"], f"train_step to return the loss as a Python float ({where})",
               f"a {got['type']}",
               fix="return loss.item()")
        expect(abs(got["value"] - want_losses[i]) <= 1e-5 * max(1.0, want_losses[i]),
               f"the MSE before the update, {want_losses[i]:.6f} ({where})", f"{got['value']:.6f}",
               cause="the loss is computed after optimizer.step()")
        got_w, got_c = wc(out["states"][i + 1])
        want_w, want_c = want_params[i]
        expect(abs(got_w - want_w) < 1e-5 and abs(got_c - want_c) < 1e-5,
               f"one SGD step with the optimizer given (lr={lr}) from the grader's weights: "
               f"weight {want_w:.6f}, bias {want_c:.6f} ({where})", f"weight {got_w:.6f}, bias {got_c:.6f}",
               cause="gradients of an earlier step were added in (zero_grad missing), "
                     "or another optimizer than the one passed to make_train_step was used",
               fix="use the optimizer argument: loss.backward(); optimizer.step(); optimizer.zero_grad()")
        expect(call["grad_enabled"], "gradient tracking on after train_step",
               "torch.is_grad_enabled() is False",
               fix="do not call torch.set_grad_enabled(False) in train_step")


def test_train_step_single_step(student):
    x, y = line_data(n=16, seed=4)
    out = student.probe("train_step_run", seed=1, x=x, y=y, lr=0.1)
    check_train_steps(out, 0.1, "train_step(x, y)")
    forward = out["forwards"][0]
    expect(forward["training"], "the model in train mode during train_step's forward pass "
           "(the grader handed it over in eval mode)", "the forward pass ran in eval mode",
           fix="call model.train() at the start of train_step, before yhat = model(x)")
    expect(forward["grad"], "gradient tracking on during the forward pass", "it ran under no_grad",
           fix="only the evaluation goes under torch.no_grad(), never the training step")


def check_fit(out, n_epochs, lr):
    losses = out["losses"]
    expect(losses["ok"] and len(losses["values"]) == n_epochs,
           f"losses: a list of n_epochs={n_epochs} Python floats",
           f"a {losses['type']} of {len(losses['values'] or [])} items of type {losses['kinds']}",
           fix="append what train_step returns (a float), once per epoch")
    steps = out["steps"]
    expect(steps["steps"] == n_epochs,
           f"{n_epochs} optimizer steps on the model you were given (n_epochs={n_epochs})",
           f"{steps['steps']} steps",
           cause="training a copy of the model, or a loop that does not run n_epochs times"
                 if steps["steps"] else "the optimizer is not built over model.parameters(), or never steps")
    expect(steps["optimizer_types"] == ["SGD"] and all(abs(v - lr) < 1e-12 for v in steps["lrs"]),
           f"optim.SGD with lr={lr}", f"{steps['optimizer_types']} with lr {sorted(set(steps['lrs']))}",
           fix="optimizer = optim.SGD(model.parameters(), lr=lr)")
    expect(steps["n_optimizers"] == 1, "one optimizer, created once before the loop",
           f"{steps['n_optimizers']}",
           fix="create the optimizer and train_step before the epoch loop")
    expect(out["made"] == [True],
           "fit_model to build its step with make_train_step(model, loss_fn, optimizer), once",
           f"make_train_step called {len(out['made'])} times" + (
               "" if all(out["made"]) else " (not with the model passed to fit_model)"),
           cause="fit_model repeats the training step itself instead of reusing make_train_step"
           if not out["made"] else None,
           fix="train_step = make_train_step(model, loss_fn, optimizer) before the loop")
    expect(out["eval_forwards"] == 0, "every forward pass in train mode with gradients on",
           f"{out['eval_forwards']} forward passes in eval mode or under no_grad")
    expect(out["grad"]["accumulated"] == 0, "gradients zeroed at every step",
           f"{out['grad']['accumulated']} of {out['grad']['backwards']} backward passes "
           "added to stale gradients",
           fix="optimizer.zero_grad() in every train_step")
    want_losses, want_params = line_gd(out["before"], out["x32"], out["y32"], lr, n_epochs)
    got = losses["values"]
    expect(abs(got[0] - want_losses[0]) <= 1e-5 * max(1.0, want_losses[0]),
           f"the first loss to be the MSE of the initial model, {want_losses[0]:.6f}", f"{got[0]:.6f}",
           cause="the loss is not nn.MSELoss, or it is recorded after the update",
           fix="loss_fn = nn.MSELoss(); losses.append(train_step(x, y))")
    return want_losses, want_params


def test_fit_model_trains(student):
    x, y = line_data()
    out = student.probe("fit_run", seed=2, x=x[:80], y=y[:80], lr=0.1, n_epochs=30)
    check_fit(out, 30, 0.1)
    got = out["losses"]["values"]
    expect(got[-1] < 0.5 * got[0], "the loss to fall over 30 epochs at lr=0.1",
           f"{got[0]:.4f} → {got[-1]:.4f}")
