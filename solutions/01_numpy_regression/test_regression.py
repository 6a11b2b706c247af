"""Checks for 01_numpy_regression. Each test runs your code in a sandbox on data the grader owns."""

import numpy as np

from autograder.checks import expect, fail


def tutorial_data(n=100, true_a=1.0, true_b=2.0, noise=0.1, seed=42):
    """The tutorial's data, drawn by the grader: x from rand, then the noise from randn, one RandomState."""
    rs = np.random.RandomState(seed)
    x = rs.rand(n, 1)
    y = true_a + true_b * x + noise * rs.randn(n, 1)
    return x, y


def tutorial_train(seed=42):
    """The tutorial's 80 training points."""
    x, y = tutorial_data(seed=seed)
    idx = np.random.RandomState(seed).permutation(len(x))[:80]
    return x[idx], y[idx]


def least_squares(x, y):
    """Intercept and slope of the least-squares line (what LinearRegression computes)."""
    design = np.hstack([np.ones_like(x), x])
    (a, b), *_ = np.linalg.lstsq(design, y[:, 0], rcond=None)
    return float(a), float(b)


SPLIT_ROWS = ("the first int(len(x) * train_fraction) shuffled indices go to training, "
              "all the others to validation")


def check_split_own_stream(student, out, x, y, **kwargs):
    """The split must not follow numpy's global random stream: the same call after another global seed."""
    again = student.probe("split_run", x=x, y=y, global_seed=12345, **kwargs)
    if not again["ok_tuple"] or np.array_equal(out["x_train"]["array"], again["x_train"]["array"]):
        return
    fail("train_val_split to give the same split for the same arguments, "
         "whatever numpy's global random state",
         "the split changed when np.random was seeded differently before the call",
         cause="the indices are shuffled with np.random.shuffle (or np.random.permutation) "
               "on numpy's global stream. "
               "The tutorial does exactly that, right after drawing the data from the same stream "
               "(hence its a ≈ 1.0235, b ≈ 1.9690). "
               "This course asks the split to depend on its seed argument only, "
               "so that it is the same wherever it is called: with the global stream, "
               "any random draw before the call (another cell, a library) "
               "changes which points are used for training",
         fix="idx = np.random.RandomState(seed).permutation(n) instead of np.random.shuffle(idx)")


def check_array(got, name, shape, dtype="float64",
                rows_fix="draw n points: rs.rand(n, 1) and rs.randn(n, 1)"):
    info = got["info"]
    found = info.get("shape")
    cause = fix = None
    if isinstance(found, list) and len(found) == 2 and found[1] == shape[1] and found[0] != shape[0]:
        cause, fix = f"{found[0]} rows instead of {shape[0]}", rows_fix
    elif found != list(shape):
        cause = "a (n,) vector instead of a column, a list, or a tensor"
        fix = "draw with rs.rand(n, 1) and rs.randn(n, 1) so that both arrays are columns of shape (n, 1)"
    expect(got["array"] is not None and found == list(shape) and info.get("dtype") == dtype,
           f"{name}: a numpy array of shape {shape} and dtype {dtype}",
           f"{info.get('type')} with shape {found} and dtype {info.get('dtype')}", cause=cause, fix=fix)
    return got["array"]


def check_generated(out, want_x, want_y, call):
    n = len(want_x)
    expect(out["ok_pair"], f"{call} to return a pair (x, y)", f"a {out.get('type')}", fix="`return x, y`")
    x = check_array(out["x"], "x", (n, 1))
    y = check_array(out["y"], "y", (n, 1))
    if not np.array_equal(x, want_x):
        same_set = np.allclose(np.sort(x, axis=0), np.sort(want_x, axis=0))
        fail(f"{call}: x equal to RandomState(seed).rand(n, 1), the first draw",
             f"x starts {np.round(x[:3, 0], 4).tolist()}, expected {np.round(want_x[:3, 0], 4).tolist()}",
             cause="the noise was drawn before x" if not same_set else "x was reordered",
             fix="create ONE rs = np.random.RandomState(seed), then x = rs.rand(n, 1) first")
    if not np.allclose(y, want_y, rtol=0, atol=1e-12):
        fail(f"{call}: y = true_a + true_b * x + noise * rs.randn(n, 1), the noise drawn right after x",
             f"y starts {np.round(y[:3, 0], 4).tolist()}, expected {np.round(want_y[:3, 0], 4).tolist()}",
             cause="the noise comes from a second RandomState (or np.random.randn), "
                   "the noise is not scaled by `noise`, or an argument is ignored",
             fix="draw the noise from the same rs, right after x: "
                 "y = true_a + true_b * x + noise * rs.randn(n, 1)")


def test_generate_data_matches_tutorial(student):
    out = student.probe("generate_run")
    want_x, want_y = tutorial_data()
    check_generated(out, want_x, want_y, "generate_data() with its defaults")


def test_train_val_split_partition(student):
    n = 100
    x = np.arange(n, dtype=np.float64).reshape(n, 1)     # each row tells which point it is
    y = 1000.0 + x
    out = student.probe("split_run", x=x, y=y)
    expect(out["ok_tuple"], "train_val_split to return (x_train, y_train, x_val, y_val)",
           f"a {out.get('type')}")
    xt = check_array(out["x_train"], "x_train", (80, 1), rows_fix=SPLIT_ROWS)
    yt = check_array(out["y_train"], "y_train", (80, 1), rows_fix=SPLIT_ROWS)
    xv = check_array(out["x_val"], "x_val", (20, 1), rows_fix=SPLIT_ROWS)
    yv = check_array(out["y_val"], "y_val", (20, 1), rows_fix=SPLIT_ROWS)
    expect(np.array_equal(yt, xt + 1000.0) and np.array_equal(yv, xv + 1000.0),
           "each x row to stay with its own y row", "x and y were shuffled differently",
           fix="shuffle ONE array of indices and use it for both: x[idx], y[idx]")
    rows = np.concatenate([xt[:, 0], xv[:, 0]])
    check_split_own_stream(student, out, x, y)
    expect(np.array_equal(np.sort(rows), x[:, 0]), "every point exactly once, in training or in validation",
           f"{len(set(rows.tolist()))} distinct points out of {n}",
           cause="indices drawn with replacement (randint/choice) or training and validation overlap",
           fix="idx = np.random.RandomState(seed).permutation(n); training idx[:n_train], "
               "validation idx[n_train:]")
    want = np.random.RandomState(42).permutation(n)
    expect(np.array_equal(rows.astype(int), want), "this course's shuffle: RandomState(42).permutation(100), "
           "its first 80 indices for training, in that order",
           f"training starts with points {rows[:5].astype(int).tolist()}, expected {want[:5].tolist()}",
           cause="another random generator (default_rng, torch) or the seed argument is not used. "
                 "The tutorial shuffles with np.random.shuffle on the stream that drew the data "
                 "(hence its a ≈ 1.0235, b ≈ 1.9690); this course seeds the split on its own, "
                 "so the numbers here differ",
           fix="idx = np.random.RandomState(seed).permutation(n)")


def check_gd_output(out, n_epochs):
    expect(out["ok_triple"], "gradient_descent to return (a, b, losses)", f"a {out.get('type')}")
    for name in ("a", "b"):
        expect(out[name]["is_float"], f"{name}: a Python float", f"a {out[name]['type']}",
               fix=f"return float({name}[0]) (or {name}.item()) rather than the numpy array")
    losses = out["losses"]
    expect(losses["ok"] and len(losses["values"]) == n_epochs,
           f"losses: a list of n_epochs={n_epochs} Python floats",
           f"a {losses['type']} of {len(losses['values'] or [])} items of type {losses['kinds']}",
           fix="append float(loss) once per epoch, before updating a and b")
    return out["a"]["value"], out["b"]["value"], losses["values"]


def test_gradient_descent_returns_losses(student):
    x, y = tutorial_train()
    out = student.probe("gd_run", x=x, y=y, lr=0.1, n_epochs=50, seed=42)
    _, _, losses = check_gd_output(out, 50)
    rs = np.random.RandomState(42)
    a0, b0 = rs.randn(1), rs.randn(1)
    l0 = float(((a0 + b0 * x - y) ** 2).mean())
    if abs(losses[0] - l0) > 1e-9 * max(1.0, l0):
        fail(f"the first loss to be the MSE of the initial a={a0[0]:.4f}, b={b0[0]:.4f}: {l0:.6f}",
             f"{losses[0]:.6f}",
             cause="a and b are not initialised with RandomState(seed).randn(1) each (a first), "
                   "the loss is recorded after the update, or it is not the mean of the squared errors",
             fix="rs = np.random.RandomState(seed); a = rs.randn(1); b = rs.randn(1); in each epoch compute "
                 "loss = ((a + b * x - y) ** 2).mean() and append it BEFORE updating a and b")
    expect(losses[-1] < 0.5 * losses[0], f"the loss to fall over 50 epochs at lr=0.1 (from {l0:.4f})",
           f"{losses[0]:.4f} → {losses[-1]:.4f}",
           cause="the update goes with the gradient instead of against it, or the gradients are wrong",
           fix="a_grad = 2 * error.mean(), b_grad = 2 * (x * error).mean() with error = yhat - y; "
               "then a = a - lr * a_grad, b = b - lr * b_grad")


def test_gradient_descent_matches_sklearn(student):
    x, y = tutorial_train()
    want_a, want_b = least_squares(x, y)
    out = student.probe("sklearn_run", x=x, y=y)
    expect(out["ok_pair"], "sklearn_fit to return (intercept, coef)", f"a {out.get('type')}")
    got = (out["intercept"], out["coef"])
    expect(all(g["is_float"] for g in got), "intercept and coef as Python floats",
           f"{got[0]['type']} and {got[1]['type']}",
           fix="return float(model.intercept_[0]), float(model.coef_[0][0])")
    expect(abs(got[0]["value"] - want_a) < 1e-8 and abs(got[1]["value"] - want_b) < 1e-8,
           "LinearRegression's fit on the tutorial's training data: "
           f"intercept {want_a:.6f}, coef {want_b:.6f}",
           f"intercept {got[0]['value']:.6f}, coef {got[1]['value']:.6f}",
           cause="intercept and slope swapped, or the model was fitted on other data",
           fix="model = LinearRegression().fit(x, y); intercept_ is our a, coef_ our b")
    out = student.probe("gd_run", x=x, y=y)
    a, b, _ = check_gd_output(out, 1000)
    expect(abs(a - want_a) < 1e-5 and abs(b - want_b) < 1e-5,
           "gradient descent with its defaults (lr=0.1, n_epochs=1000) to match scikit-learn to 5 decimals: "
           f"a={want_a:.5f}, b={want_b:.5f} "
           "(not the tutorial's a ≈ 1.0235, b ≈ 1.9690: this course's split has its own seed)",
           f"a={a:.5f}, b={b:.5f}",
           cause="wrong gradients (a factor 2 or a sign), "
                 "a different learning rate or number of epochs as the defaults, or a and b swapped",
           fix="keep the signature gradient_descent(x, y, lr=0.1, n_epochs=1000, seed=42); "
               "a_grad = 2 * error.mean(), b_grad = 2 * (x * error).mean()")


### BEGIN HIDDEN TESTS
def numpy_gradient_descent(x, y, lr, n_epochs, seed):
    """The grader's own batch gradient descent, in float64."""
    rs = np.random.RandomState(seed)
    a, b = rs.randn(1)[0], rs.randn(1)[0]
    losses = []
    for _ in range(n_epochs):
        error = a + b * x - y
        losses.append(float((error ** 2).mean()))
        a, b = a - lr * 2 * error.mean(), b - lr * 2 * (x * error).mean()
    return float(a), float(b), losses


def test_generate_data_uses_arguments(student):
    kwargs = {"n": 37, "true_a": -0.5, "true_b": 3.0, "noise": 0.3, "seed": 7}
    out = student.probe("generate_run", **kwargs)
    want_x, want_y = tutorial_data(**kwargs)
    check_generated(out, want_x, want_y, "generate_data(n=37, true_a=-0.5, true_b=3.0, noise=0.3, seed=7)")


def test_train_val_split_seeded(student):
    n = 33
    x = np.arange(n, dtype=np.float64).reshape(n, 1)
    y = -x
    runs = [student.probe("split_run", x=x, y=y, train_fraction=0.7, seed=s) for s in (5, 5, 6)]
    for out in runs:
        expect(out["ok_tuple"], "train_val_split to return (x_train, y_train, x_val, y_val)",
               f"a {out.get('type')}")
    xt = check_array(runs[0]["x_train"], "x_train (n=33, train_fraction=0.7)", (23, 1), rows_fix=SPLIT_ROWS)
    xv = check_array(runs[0]["x_val"], "x_val (n=33, train_fraction=0.7)", (10, 1), rows_fix=SPLIT_ROWS)
    yt = check_array(runs[0]["y_train"], "y_train (n=33, train_fraction=0.7)", (23, 1), rows_fix=SPLIT_ROWS)
    expect(np.array_equal(yt, -xt), "each x row to stay with its own y row",
           "x and y were shuffled differently",
           fix="index x and y with the same shuffled indices")
    check_split_own_stream(student, runs[0], x, y, train_fraction=0.7, seed=5)
    expect(np.array_equal(runs[0]["x_train"]["array"], runs[1]["x_train"]["array"]),
           "the same split for the same seed", "two calls with seed=5 gave different splits",
           fix="use np.random.RandomState(seed), not the global np.random")
    expect(not np.array_equal(runs[0]["x_train"]["array"], runs[2]["x_train"]["array"]),
           "another split for another seed", "seed=5 and seed=6 gave the same split",
           fix="pass the seed argument to RandomState, not the constant 42")
    want = np.random.RandomState(5).permutation(n)
    got = np.concatenate([xt[:, 0], xv[:, 0]]).astype(int)
    expect(np.array_equal(got, want), "the shuffle RandomState(5).permutation(33), "
           "first int(33 * 0.7) = 23 for training",
           f"training starts with points {got[:5].tolist()}, expected {want[:5].tolist()}",
           cause="train_fraction or seed is ignored, "
                 "or n_train is rounded instead of int(n * train_fraction)",
           fix="n_train = int(n * train_fraction)")


def test_gradient_descent_hidden_line(student):
    for data_seed, init_seed, lr, n_epochs in ((7, 3, 0.2, 600), (123, 11, 0.05, 300)):
        x, y = tutorial_data(n=60, true_a=-0.5, true_b=3.0, noise=0.2, seed=data_seed)
        want_a, want_b, want_losses = numpy_gradient_descent(x, y, lr, n_epochs, init_seed)
        out = student.probe("gd_run", x=x, y=y, lr=lr, n_epochs=n_epochs, seed=init_seed)
        a, b, losses = check_gd_output(out, n_epochs)
        setting = f"(data with a=-0.5, b=3.0; lr={lr}, n_epochs={n_epochs}, seed={init_seed})"
        bad = next((i for i, (g, w) in enumerate(zip(losses, want_losses))
                    if abs(g - w) > 1e-8 * max(1.0, w)), None)
        if bad is not None:
            # losses[i] == want_losses[i + 1] for every epoch: each loss was taken one update too late
            late = len(losses) > 1 and all(abs(g - w) <= 1e-8 * max(1.0, w)
                                           for g, w in zip(losses[:-1], want_losses[1:]))
            fail(f"the losses of batch gradient descent {setting}, epoch by epoch",
                 f"epoch {bad}: loss {losses[bad]:.8f}, expected {want_losses[bad]:.8f}",
                 cause="the loss is recorded after the update of a and b, not before it" if late else
                       "the seed, lr or n_epochs argument is ignored, "
                       "the gradients are not those of the MSE, "
                       "or the result does not come from gradient descent (closed form, hard-coded numbers)",
                 fix="compute the loss from yhat = a + b * x and append it BEFORE updating a and b"
                     if late else
                     "use the arguments you are given; a_grad = 2 * error.mean(), "
                     "b_grad = 2 * (x * error).mean(), then update both with lr")
        expect(abs(a - want_a) < 1e-8 and abs(b - want_b) < 1e-8,
               f"a={want_a:.6f}, b={want_b:.6f} after gradient descent {setting}", f"a={a:.6f}, b={b:.6f}",
               cause="a and b do not come from the gradient-descent loop "
                     "(a closed-form or scikit-learn fit), "
                     "are returned before the last update, or are swapped",
               fix="return float(a[0]), float(b[0]) after the loop")


def test_sklearn_fit_hidden_data(student):
    for seed in (7, 19):
        x, y = tutorial_data(n=40, true_a=-0.5, true_b=3.0, noise=0.5, seed=seed)
        want_a, want_b = least_squares(x, y)
        out = student.probe("sklearn_run", x=x, y=y)
        expect(out["ok_pair"], "sklearn_fit to return (intercept, coef)", f"a {out.get('type')}")
        got_a, got_b = out["intercept"], out["coef"]
        expect(got_a["is_float"] and got_b["is_float"], "intercept and coef as Python floats",
               f"{got_a['type']} and {got_b['type']}")
        expect(abs(got_a["value"] - want_a) < 1e-8 and abs(got_b["value"] - want_b) < 1e-8,
               f"the least-squares fit of the data it is given (a line near a=-0.5, b=3.0): "
               f"intercept {want_a:.6f}, coef {want_b:.6f}",
               f"intercept {got_a['value']:.6f}, coef {got_b['value']:.6f}",
               cause="intercept and coef are swapped" if abs(got_a["value"] - want_b) < 1e-8 else
                     "sklearn_fit ignores its x and y (fits the tutorial's data) or returns fixed numbers",
               fix="fit LinearRegression on the x and y passed in; return intercept_ first, then coef_")
### END HIDDEN TESTS
