# Generated from solutions/08_iris_loaders/test_iris_data.py by `autograder generate`: edit there.
"""Checks for 08_iris_loaders. Each test observes your code running in a sandbox on data the grader owns."""

from itertools import pairwise, permutations

import numpy as np

from autograder.checks import expect, fail
from autograder.checks.devices import device_name, device_words, mismatch_place, torch_words
from autograder.checks.mistakes import likely_cause
from autograder.checks.numeric import moved
from autograder.checks.training import why_loss_did_not_fall


def mlp_cross_entropy(state: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy of fc1 → ReLU → fc2 with weights `state` on (x, y), recomputed by the grader."""
    h = np.maximum(x.astype(np.float64) @ state["fc1.weight"].T.astype(np.float64) + state["fc1.bias"], 0.0)
    logits = h @ state["fc2.weight"].T.astype(np.float64) + state["fc2.bias"]
    logits -= logits.max(axis=1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(y)), y].mean())


def _keys(rows):
    """Rows as hashable keys, rounded so that float32 and float64 copies of a flower compare equal."""
    return [tuple(np.round(np.asarray(r, dtype=np.float64), 4).tolist()) for r in rows]


def _order(rows, reference_rows):
    """For each row, its index in reference_rows (duplicates matched in turn); None when not found."""
    where = {}
    for i, key in enumerate(_keys(reference_rows)):
        where.setdefault(key, []).append(i)
    return [where[key].pop(0) if where.get(key) else None for key in _keys(rows)]


def _same_rows(a, b):
    return len(a) == len(b) and sorted(_keys(a)) == sorted(_keys(b))


def _check_batches(passes, name, batch_size, n):
    """Each batch a (float32 (B, 4), int64 (B,)) CPU pair; B = batch_size except a smaller last one;
    n in all."""
    expect(passes["ok"], f"{name}: each batch a pair (features, labels)",
           f"a batch of type {passes.get('type')}",
           fix="have the dataset's __getitem__ return (x, y); the DataLoader then stacks them into pairs")
    for k, info in enumerate(passes["infos"]):
        x, y = info["x"], info["y"]
        expect(x.get("dtype") == "float32" and len(x.get("shape", [])) == 2 and x["shape"][1:] == [4]
               and x.get("device") == "cpu",
               f"{name}: features of each batch a float32 CPU tensor of shape (B, 4)",
               f"batch {k + 1}: "
               f"{x.get('type')} dtype={x.get('dtype')} shape={x.get('shape')} device={x.get('device')}",
               fix="store the features as torch.float32 CPU tensors in IrisDataset")
        expect(y.get("dtype") == "int64" and len(y.get("shape", [])) == 1 and y.get("device") == "cpu",
               f"{name}: labels of each batch an int64 CPU tensor of shape (B,)",
               f"batch {k + 1}: "
               f"{y.get('type')} dtype={y.get('dtype')} shape={y.get('shape')} device={y.get('device')}",
               cause="labels stored as floats, or each label wrapped in a 1-element tensor",
               fix="store the labels with dtype=torch.int64 and return self.labels[index] (a 0-dim tensor)")
    sizes = [info["x"]["shape"][0] for info in passes["infos"]]
    expect(sum(sizes) == n, f"{name}: {n} flowers over all its batches",
           f"{sum(sizes)} flowers in batches {sizes}",
           cause="drop_last=True, or the wrong part of the split" if sum(sizes) < n else
                 "the wrong part of the split",
           fix="wrap the matching part of load_iris_data(seed=seed) and keep drop_last=False")
    want = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    expect(sizes == want, f"{name}: batches of batch_size={batch_size} (the last one smaller): {want}",
           f"batch sizes {sizes}", fix="pass batch_size=batch_size to the DataLoader")


def test_dataset_items(student):
    out = student.probe("dataset_items", seed=3)
    n = out["n"]
    for kind, source in (("numpy", "numpy arrays (float64 features, int64 labels)"),
                         ("tensor", "tensors (float32 features, int64 labels)"),
                         ("int32", "numpy arrays of float32 features and int32 labels "
                                   "(numpy's default integer on Windows)")):
        info = out[kind]
        expect(info["error"] is None, f"IrisDataset built from {source} to work", info["error"] or "",
               cause=likely_cause(info["error"] or ""),
               fix="convert with torch.as_tensor(features, dtype=torch.float32) and torch.as_tensor(labels, "
                   "dtype=torch.int64): both accept numpy arrays and tensors")
        expect(info["is_dataset"] and not info["iterable"],
               "IrisDataset to be a map-style torch.utils.data.Dataset",
               "an IterableDataset" if info["iterable"] else "a class that does not subclass Dataset",
               fix="class IrisDataset(Dataset) with __getitem__ and __len__")
        expect(info["len"] == n, f"len(dataset) == {n} for {n} flowers (built from {source})",
               f"{info['len']!r}",
               fix="return len(self.labels) (or self.features.shape[0]) from __len__, not a constant")
        for i, item in info["items"].items():
            i = int(i)
            expect(item["pair"], f"dataset[{i}] to be a pair (x, y)", f"a {item.get('type')}",
                   fix="return self.features[index], self.labels[index]")
            x, y = item["x"], item["y"]
            expect(x.get("dtype") == "float32" and x.get("shape") == [4] and x.get("device") == "cpu",
                   f"dataset[{i}][0]: a float32 CPU tensor of shape (4,) (built from {source})",
                   f"{x.get('type')} dtype={x.get('dtype')} shape={x.get('shape')} device={x.get('device')}",
                   fix="store features as torch.as_tensor(features, dtype=torch.float32) on the CPU "
                       "and return self.features[index]")
            expect(y.get("dtype") == "int64" and y.get("shape") == [] and y.get("device") == "cpu",
                   f"dataset[{i}][1]: an int64 CPU tensor of shape () (built from {source})",
                   f"{y.get('type')} dtype={y.get('dtype')} shape={y.get('shape')} device={y.get('device')}",
                   cause="the labels kept the dtype they came with (int32 here)"
                         if y.get("dtype") == "int32" else
                         "labels converted to float, or the label returned as a Python int, a list, "
                         "or labels[index:index + 1]",
                   fix="store labels as torch.as_tensor(labels, dtype=torch.int64) "
                       "and return self.labels[index]")
            expect(np.allclose(np.asarray(item["x_values"]), out["features"][i], atol=1e-6)
                   and float(item["y_values"]) == float(out["labels"][i]),
                   f"dataset[{i}] to be flower {i}: features {np.round(out['features'][i], 3).tolist()}, "
                   f"label {int(out['labels'][i])}",
                   f"features {np.round(item['x_values'], 3).tolist()}, label {item['y_values']}",
                   fix="index the stored tensors with the index you are given; do not shuffle or sort them")
        batch = info["batch"]
        expect(batch["pair"] and batch["x"].get("shape") == [4, 4] and batch["y"].get("shape") == [4],
               "DataLoader(dataset, batch_size=4) to give a (4, 4) features batch and a (4,) labels batch",
               f"{batch['x'].get('shape') if batch['pair'] else batch.get('type')} "
               f"and {batch['y'].get('shape') if batch['pair'] else ''}")


def test_loaders_batches(student):
    for seed, batch_size in ((42, 16), (3, 10)):
        out = student.probe("loaders", seed=seed, batch_size=batch_size)
        expect(out["ok_pair"], "make_iris_loaders returns a pair (train_loader, val_loader)",
               f"a {out.get('type')}")
        _check_batches(out["train1"], f"train loader (batch_size={batch_size}, seed={seed})", batch_size, 112)
        _check_batches(out["val1"], f"validation loader (batch_size={batch_size}, seed={seed})",
                       batch_size, 38)
        split = out["split"]
        expect(_same_rows(out["train1"]["x"], split["x_train"])
               and _same_rows(out["val1"]["x"], split["x_val"]),
               f"the training loader to hold the 112 training flowers of load_iris_data(seed={seed}) "
               "and the validation loader its 38 validation flowers",
               "other flowers (the parts swapped, or another split)",
               fix="x_train, y_train, x_val, y_val = load_iris_data(seed=seed); "
                   "wrap (x_train, y_train) for training and (x_val, y_val) for validation")


def test_train_loss_falls(student):
    n_epochs, lr = 5, 1e-3
    out = student.probe("fit_run", seed=1, n_epochs=n_epochs, lr=lr)
    expect(out["ok_pair"], "train_with_loaders returns a pair (losses, val_losses)", f"a {out['type']}")
    want_steps = out["train_batches"] * n_epochs
    steps = out["steps"]["steps"]
    if steps != want_steps:
        cause = ("training a copy of the model, or never calling optimizer.step()" if steps == 0 else
                 "one step per epoch instead of one per batch" if steps == n_epochs else
                 "the loop does not make one step per training batch in each of the n_epochs epochs")
        fail(f"{want_steps} optimizer steps on the model you were given "
             f"({out['train_batches']} training batches × {n_epochs} epochs)", f"{steps} steps", cause=cause,
             fix="for each epoch, for each (x, y) batch of train_loader: zero_grad, forward, loss, backward, "
                 "step; create the optimizer over model.parameters()")
    expect(moved(out["before"], out["after"]), "the model's parameters to change", "they did not change")
    l0 = mlp_cross_entropy(out["before"], out["x"], out["y"])
    l1 = mlp_cross_entropy(out["after"], out["x"], out["y"])
    expect(l1 < 0.8 * l0,
           f"the training loss to fall clearly from {l0:.3f} after {n_epochs} epochs at lr={lr:g}",
           f"the grader measured {l0:.3f} → {l1:.3f} on the training data",
           *why_loss_did_not_fall(out, per="batch"))
    for name in ("losses", "val_losses"):
        got = out[name]
        expect(got["ok"] and len(got["values"]) == n_epochs,
               f"{name}: a list of {n_epochs} Python floats, one per epoch (use loss.item())",
               f"a {got['type']} of {len(got['values'] or [])} items of type {got.get('kinds')}",
               fix="append float(...) of the epoch's mean loss once per epoch, after the batch loop")
    # the last validation loss must be that of the trained model, on the validation loader
    sizes = out["val_sizes"]
    edges = np.cumsum([0] + sizes)
    per_batch = [mlp_cross_entropy(out["after"], out["xv"][a:b], out["yv"][a:b]) for a, b in pairwise(edges)]
    batch_mean, flower_mean = float(np.mean(per_batch)), float(np.average(per_batch, weights=sizes))
    got = out["val_losses"]["values"][-1]
    expect(min(abs(got - batch_mean), abs(got - flower_mean)) < 2e-3,
           "the last validation loss to be the trained model's loss on the validation loader "
           f"({batch_mean:.4f})",
           f"{got:.4f}",
           cause="the validation loss is computed on other data, "
                 "before the last training epoch, or not averaged over the validation batches",
           fix="after each epoch's training batches, average the loss over all batches of val_loader")


def test_show_batch_figure(student):
    out = student.probe("show_batch_run", seed=2)
    expect(out["is_figure"], "a matplotlib Figure", f"a {out.get('type')}",
           fix="return the figure, e.g. `fig, ax = plt.subplots()` ... `return fig`")
    n = out["batch_size"]
    bx, by = out["batch_x"], out["batch_y"]
    best = (0, None, None)
    for k, ax in enumerate(out["axes"]):
        drawn = np.stack([ax["x"], ax["y"]], axis=1) if len(ax["x"]) else np.zeros((0, 2))
        for i, j in permutations(range(4), 2):
            index = _order(drawn, bx[:, [i, j]])
            hits = sum(v is not None for v in index)
            if hits > best[0]:
                best = (hits, k, (i, j, index))
    n_points = sum(len(ax["x"]) for ax in out["axes"])
    expect(best[0] == n, f"the {n} flowers of the loader's first batch drawn as points, one feature against "
           "another (e.g. feature 0 on x, feature 1 on y)",
           f"{len(out['axes'])} axes with {n_points} points; "
           f"at most {best[0]} of them are flowers of the batch",
           cause="no batch was drawn, or only part of it, or the points are not the batch's features",
           fix="x, y = next(iter(loader)); ax.scatter(x[:, 0], x[:, 1], c=y)")
    k, (i, j, index) = best[1], best[2]
    colours = out["axes"][k]["colour"]
    # a drawn point whose two coordinates several flowers of different species share tells nothing
    species = {}
    for key, label in zip(_keys(bx[:, [i, j]]), by):
        species.setdefault(key, set()).add(int(label))
    by_label = {}
    for point, row in enumerate(index):
        if row is not None and len(species[_keys(bx[[row]][:, [i, j]])[0]]) == 1:
            by_label.setdefault(int(by[row]), set()).add(tuple(colours[point]))
    labels = sorted(by_label)
    clash = [(a, b) for a in labels for b in labels if a < b and by_label[a] & by_label[b]]
    expect(len(labels) >= 2 and not clash, "the points coloured by label: one colour per species",
           f"{len({c for s in by_label.values() for c in s})} colour(s) for the labels {labels}"
           + (f"; labels {clash[0][0]} and {clash[0][1]} share a colour" if clash else ""),
           fix="pass c=y to ax.scatter, or call ax.scatter once per label (each call gets its own colour)")
