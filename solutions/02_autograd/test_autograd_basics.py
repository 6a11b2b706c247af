"""Checks for 02_autograd. Each test runs your code in a sandbox on tensors the grader owns."""

import numpy as np

from autograder.checks import expect, fail


def line_data(n=100, true_a=1.0, true_b=2.0, noise=0.1, seed=42):
    """Data on a line, drawn by the grader as in exercise 01."""
    rs = np.random.RandomState(seed)
    x = rs.rand(n, 1)
    return x, true_a + true_b * x + noise * rs.randn(n, 1)


def numpy_gradient_descent(x, y, a, b, lr, n_epochs):
    """The grader's batch gradient descent in float64, from given initial a and b."""
    losses = []
    for _ in range(n_epochs):
        error = a + b * x - y
        losses.append(float((error ** 2).mean()))
        a, b = a - lr * 2 * error.mean(), b - lr * 2 * (x * error).mean()
    return float(a), float(b), losses


def check_tensor(got, name, shape, device, requires_grad=None):
    info = got["info"]
    expect(info.get("dtype") == "float32" and info.get("shape") == list(shape)
           and info.get("device") == device,
           f"{name}: a float32 tensor of shape {tuple(shape)} on {device}"
           + (" (PyTorch's data-less device, the grader's stand-in for a GPU)" if device == "meta" else ""),
           f"{info.get('type')} dtype={info.get('dtype')} shape={info.get('shape')} "
           f"device={info.get('device')}",
           cause="float64 kept from numpy" if info.get("dtype") == "float64" else
                 "the device argument is not used" if info.get("device") not in (None, device) else None,
           fix="torch.as_tensor(x).float().to(device)  "
               "(or torch.as_tensor(x, dtype=torch.float32, device=device))")
    if requires_grad is not None:
        expect(info.get("requires_grad") == requires_grad, f"{name}.requires_grad == {requires_grad}",
               f"requires_grad={info.get('requires_grad')}",
               fix="create it with requires_grad=True" if requires_grad else
                   "data tensors do not need gradients")


def test_to_tensors_float32(student):
    x, y = line_data(n=12, seed=3)
    for device_object in (False, True):
        out = student.probe("to_tensors_run", x=x, y=y, device_object=device_object)
        call = "to_tensors(x, y, torch.device('cpu'))" if device_object else "to_tensors(x, y, 'cpu')"
        expect(out["ok_pair"], f"{call} to return a pair (x_t, y_t)", f"a {out.get('type')}")
        check_tensor(out["x"], "x_t", (12, 1), "cpu", requires_grad=False)
        check_tensor(out["y"], "y_t", (12, 1), "cpu", requires_grad=False)
        same = (np.allclose(out["x"]["values"], x.astype(np.float32))
                and np.allclose(out["y"]["values"], y.astype(np.float32)))
        expect(same, "the same numbers as the numpy arrays, in float32", "other values",
               cause="x and y swapped, or the data was reshaped or shuffled",
               fix="return x_t, y_t in that order")


def test_init_parameters_seeded(student):
    for seed in (42, 7):
        out = student.probe("init_run", seed=seed)
        expect(out["ok_pair"], f"init_parameters('cpu', seed={seed}) to return a pair (a, b)",
               f"a {out.get('type')}")
        for name in ("a", "b"):
            check_tensor(out[name], name, (1,), "cpu", requires_grad=True)
            expect(out[name]["info"].get("is_leaf"),
                   f"{name} to be a leaf tensor (created by you, not computed)",
                   f"{name} is the result of an operation (is_leaf=False)",
                   cause="an operation after creating it, e.g. "
                         "`torch.randn(1, requires_grad=True) * 1` or `.to(...)`",
                   fix="torch.randn(1, requires_grad=True, dtype=torch.float, device=device)")
        want = out["want"]
        got = [out["a"]["values"][0], out["b"]["values"][0]]
        if not np.allclose(got, want, rtol=0, atol=1e-7):
            fail(f"with seed={seed}: a={want[0]:.6f}, b={want[1]:.6f} "
                 "(torch.manual_seed(seed), then torch.randn(1) for a, then for b)",
                 f"a={got[0]:.6f}, b={got[1]:.6f}",
                 cause="b was drawn before a" if np.allclose(got[::-1], want, rtol=0, atol=1e-7) else
                       "the seed argument is ignored, torch.manual_seed(seed) is not called first, "
                       "or an extra random number is drawn before a",
                 fix="torch.manual_seed(seed) first, then a = torch.randn(1, ...), "
                     "then b = torch.randn(1, ...)")


def check_steps(out, lr, where):
    """Compare each manual_step call with the grader's float64 arithmetic."""
    x, y = out["x32"], out["y32"]
    a, b = out["a032"], out["b032"]
    for i, step in enumerate(out["steps"]):
        call = f"{where}, call {i + 1}" if len(out["steps"]) > 1 else where
        error = a + b * x - y
        loss = float((error ** 2).mean())
        want_a, want_b = a - lr * 2 * error.mean(), b - lr * 2 * (x * error).mean()
        got = step["returned"]
        expect(got["is_float"], f"manual_step to return the loss as a Python float ({call})",
               f"a {got['type']}",
               fix="return loss.item()")
        expect(abs(got["value"] - loss) <= 1e-5 * max(1.0, loss),
               f"the MSE before the update, {loss:.6f} ({call})",
               f"{got['value']:.6f}",
               cause="the loss is computed after the update, or it is not the mean of the squared errors",
               fix="compute loss = ((a + b * x - y) ** 2).mean() before updating, and return loss.item()")
        if abs(step["a"] - a) < 1e-12 and abs(step["b"] - b) < 1e-12:
            fail(f"a and b updated in place ({call}): a={want_a:.6f}, b={want_b:.6f}",
                 f"a and b unchanged ({a:.6f}, {b:.6f})",
                 cause="`a = a - lr * a.grad` makes a NEW tensor inside your function; "
                       "the caller's a is untouched",
                 fix="update in place: `with torch.no_grad(): a -= lr * a.grad; b -= lr * b.grad`")
        expect(abs(step["a"] - want_a) < 1e-5 and abs(step["b"] - want_b) < 1e-5,
               f"a - lr * a.grad and b - lr * b.grad with lr={lr} ({call}): a={want_a:.6f}, b={want_b:.6f}",
               f"a={step['a']:.6f}, b={step['b']:.6f}",
               cause="the learning rate argument is not used, a gradient from an earlier step was added in, "
                     "or the update goes with the gradient instead of against it",
               fix="with torch.no_grad(): a -= lr * a.grad; b -= lr * b.grad")
        expect(step["leaves"] and step["requires_grad"], f"a and b still leaves that require grad ({call})",
               f"is_leaf and requires_grad: {step['leaves']}, {step['requires_grad']}",
               fix="update the values in place under torch.no_grad(); do not detach them or reassign .data")
        expect(step["a_grad"] != "nonzero" and step["b_grad"] != "nonzero",
               f"a.grad and b.grad zeroed before manual_step returns ({call})",
               f"a.grad {step['a_grad']}, b.grad {step['b_grad']}",
               cause="gradients accumulate in .grad: the next backward() would add to them",
               fix="after the update: a.grad.zero_(); b.grad.zero_()  (or set them to None)")
        expect(step["grad_enabled"], "gradient tracking switched back on when manual_step returns",
               "torch.is_grad_enabled() is False after the call",
               fix="use `with torch.no_grad():` around the update, not torch.set_grad_enabled(False)")
        a, b = step["a"], step["b"]


def test_manual_step_updates_and_zeroes(student):
    x, y = line_data(n=20, seed=5)
    out = student.probe("step_run", a0=0.3, b0=-0.8, x=x, y=y, lr=0.05)
    check_steps(out, 0.05, "manual_step(a, b, x, y, lr=0.05)")


def check_fit(out, n_epochs, setting):
    expect(out["ok_triple"], "fit_autograd to return (a, b, losses)", f"a {out.get('type')}")
    for name in ("a", "b"):
        expect(out[name]["is_float"], f"{name}: a Python float",
               f"a {out[name]['type']}", fix=f"return {name}.item()")
    losses = out["losses"]
    expect(losses["ok"] and len(losses["values"]) == n_epochs,
           f"losses: a list of n_epochs={n_epochs} Python floats",
           f"a {losses['type']} of {len(losses['values'] or [])} items of type {losses['kinds']}",
           fix="append the float manual_step returns, once per epoch")
    a0, b0 = out["init"]
    want_a, want_b, want_losses = numpy_gradient_descent(out["x32"], out["y32"], a0, b0,
                                                         lr=setting["lr"], n_epochs=n_epochs)
    got = losses["values"]
    expect(abs(got[0] - want_losses[0]) <= 1e-5 * max(1.0, want_losses[0]),
           f"the first loss to be that of init_parameters(device, seed={setting['seed']}): "
           f"{want_losses[0]:.6f}",
           f"{got[0]:.6f}",
           cause="the seed is not passed on to init_parameters, or the loss is recorded after the update",
           fix="a, b = init_parameters(device, seed=seed); losses.append(manual_step(...))")
    bad = next((i for i, (g, w) in enumerate(zip(got, want_losses)) if abs(g - w) > 1e-4 * max(1.0, w)), None)
    expect(bad is None, f"the losses of gradient descent with lr={setting['lr']}, epoch by epoch",
           f"epoch {bad}: {got[bad]:.6f}, expected {want_losses[bad]:.6f}" if bad is not None else "",
           cause="manual_step does not do one exact gradient-descent step (see the manual_step check), "
                 "lr is not passed on to it, or it is not called exactly once per epoch",
           fix="for _ in range(n_epochs): losses.append(manual_step(a, b, x_t, y_t, lr))")
    expect(abs(out["a"]["value"] - want_a) < 1e-4 and abs(out["b"]["value"] - want_b) < 1e-4,
           f"a={want_a:.5f}, b={want_b:.5f} (numpy gradient descent from the same start)",
           f"a={out['a']['value']:.5f}, b={out['b']['value']:.5f}",
           cause="a and b returned swapped, or returned before the last step",
           fix="return a.item(), b.item(), losses after the loop")
    return want_losses


def test_fit_autograd_matches_numpy(student):
    x, y = line_data()
    x, y = x[:80], y[:80]
    setting = {"lr": 0.1, "n_epochs": 200, "seed": 42}
    out = student.probe("fit_run", x=x, y=y, **setting)
    check_fit(out, 200, setting)


### BEGIN HIDDEN TESTS
def test_parameters_created_on_device(student):
    x, y = line_data(n=8, seed=1)
    out = student.probe("to_tensors_run", x=x, y=y, where="probe")
    device = out["target"]
    expect(out["ok_pair"], f"to_tensors(x, y, '{device}') to return a pair", f"a {out.get('type')}")
    check_tensor(out["x"], f"x_t for device='{device}'", (8, 1), device)
    check_tensor(out["y"], f"y_t for device='{device}'", (8, 1), device)
    out = student.probe("init_run", seed=3, where="probe")
    expect(out["ok_pair"], f"init_parameters('{device}', seed=3) to return a pair (a, b)",
           f"a {out.get('type')}")
    for name in ("a", "b"):
        info = out[name]["info"]
        check_tensor(out[name], name, (1,), device, requires_grad=True)
        where = f"{device} (the grader's stand-in for a GPU)" if device == "meta" else device
        expect(info.get("is_leaf"),
               f"{name} created directly on {where}: a leaf tensor whose .grad backward() fills",
               f"{name} on {info.get('device')} is not a leaf (is_leaf=False)",
               cause="`torch.randn(1, requires_grad=True).to(device)` copies the tensor: "
                     f"the copy on {device} is not a leaf, so its .grad stays None "
                     "(on a GPU training silently does nothing)",
               fix="create it on the device: "
                   "torch.randn(1, requires_grad=True, dtype=torch.float, device=device)")
    if out["want"] is not None:
        got = [out["a"]["values"][0], out["b"]["values"][0]]
        expect(np.allclose(got, out["want"], rtol=0, atol=1e-6),
               f"torch.manual_seed(3), then torch.randn(1, device='{device}') for a and for b: {out['want']}",
               f"{got}",
               fix="draw the numbers on the device itself (device=device), after torch.manual_seed(seed)")


def test_manual_step_repeated(student):
    x, y = line_data(n=30, true_a=-0.5, true_b=3.0, noise=0.2, seed=9)
    out = student.probe("step_run", a0=1.5, b0=0.2, x=x, y=y, lr=0.3, n_steps=3)
    check_steps(out, 0.3, "three manual_step calls with lr=0.3")


def test_fit_autograd_hidden_data(student):
    x, y = line_data(n=50, true_a=-0.5, true_b=3.0, noise=0.2, seed=17)
    setting = {"lr": 0.3, "n_epochs": 300, "seed": 5}
    out = student.probe("fit_run", x=x, y=y, **setting)
    want_losses = check_fit(out, 300, setting)
    got = out["losses"]["values"]
    expect(got[-1] < 0.1 * got[0], f"the loss to fall on data from the line a=-0.5, b=3.0 "
           f"(the grader's gradient descent: {want_losses[0]:.4f} → {want_losses[-1]:.4f})",
           f"{got[0]:.4f} → {got[-1]:.4f}")


def test_fit_autograd_uses_device(student):
    out = student.probe("fit_device_run", seed=4)
    where = out["model_device"]
    expect(out["devices"] is not None, "fit_autograd to call manual_step(a, b, x, y, lr) every epoch",
           f"manual_step was never called{': ' + out['error'] if out['error'] else ''}",
           fix="use to_tensors, init_parameters and manual_step, as the TODO says")
    expect(out["devices"] == [where] * 4, f"fit_autograd(..., device={where!r}): a, b, x and y on {where}"
           + (" (PyTorch's data-less device, the grader's stand-in for a GPU)" if where == "meta" else ""),
           f"a, b, x, y on {', '.join(map(str, out['devices'] or []))}",
           cause="the device argument is not passed on to to_tensors and init_parameters",
           fix="to_tensors(x, y, device) and init_parameters(device, seed=seed)")
### END HIDDEN TESTS
