"""A generated class for the similarity report: 13 students' 05_training_loop, each the stub with two bodies filled in.

- copy_a / copy_b: one solution; copy_b renamed every variable, moved its functions around and reformatted it.
- half_a / half_b: the same (unusual) validation, train loops written apart.
- tut_1..tut_4: follow the tutorial's loop closely (TUTORIAL, given to the report as boilerplate).
- ind_1..ind_5: written independently, each in its own style.
"""

from __future__ import annotations

from pathlib import Path

EXERCISE, MODULE = "05_training_loop", "loop.py"
VALIDATION_STUB = '    raise NotImplementedError("validation: not implemented yet")\n'
TRAIN_STUB = '    raise NotImplementedError("train_loop: not implemented yet")\n'

# The tutorial's training loop, as the course's tutorial writes it (what tutorial-followers all start from).
TUTORIAL = '''
device = next(model.parameters()).device
losses = []
val_losses = []
for epoch in range(n_epochs):
    model.train()
    mini_batch_losses = []
    for x_batch, y_batch in train_loader:
        x_batch = x_batch.to(device)
        y_batch = y_batch.to(device)
        yhat = model(x_batch)
        loss = loss_fn(yhat, y_batch)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        mini_batch_losses.append(loss.item())
    loss = np.mean(mini_batch_losses)
    losses.append(loss)
    with torch.no_grad():
        val_mini_batch_losses = []
        for x_val, y_val in val_loader:
            x_val = x_val.to(device)
            y_val = y_val.to(device)
            model.eval()
            yhat = model(x_val)
            val_loss = loss_fn(yhat, y_val)
            val_mini_batch_losses.append(val_loss.item())
        val_loss = np.mean(val_mini_batch_losses)
        val_losses.append(val_loss)
'''

COPY_HELPERS = '''

def _batches_on(loader, device):
    """Yield the loader's batches moved to `device`, with their sizes."""
    for features, targets in loader:
        yield features.to(device), targets.to(device), features.shape[0]


def _weighted_mean(pairs):
    """Mean of (value, weight) pairs, weighted."""
    total_weight = sum(weight for _, weight in pairs)
    return float(sum(value * weight for value, weight in pairs) / total_weight)
'''
COPY_VALIDATION = '''    device = next(model.parameters()).device
    model.eval()
    seen = []
    with torch.no_grad():
        for features, targets, size in _batches_on(val_loader, device):
            seen.append((loss_fn(model(features), targets).item(), size))
    return _weighted_mean(seen)
'''
COPY_TRAIN = '''    device = next(model.parameters()).device
    history, val_history = [], []
    for epoch_index in range(n_epochs):
        model.train()
        seen = []
        for features, targets, size in _batches_on(train_loader, device):
            optimizer.zero_grad()
            batch_loss = loss_fn(model(features), targets)
            batch_loss.backward()
            optimizer.step()
            seen.append((batch_loss.item(), size))
        history.append(_weighted_mean(seen))
        if val_loader is not None:
            val_history.append(validation(model, loss_fn, val_loader))
    return history, val_history
'''
# copy_b: the same code with every name changed, the helpers reordered and moved after, the lines rewrapped
COPIED_HELPERS = '''

def _avg(items):
    """Weighted average."""
    w_sum = sum(w for _, w in items)
    return float(
        sum(v * w for v, w in items) / w_sum
    )


def _move(dl, dev):
    for xb, yb in dl:
        yield xb.to(dev), yb.to(dev), xb.shape[0]
'''
COPIED_VALIDATION = '''    dev = next(model.parameters()).device
    model.eval()
    acc = []
    with torch.no_grad():
        for xb, yb, n in _move(val_loader, dev):
            acc.append(
                (loss_fn(model(xb), yb).item(), n)
            )
    return _avg(acc)
'''
COPIED_TRAIN = '''    dev = next(model.parameters()).device
    out, val_out = [], []
    for ep in range(n_epochs):
        model.train()
        acc = []
        for xb, yb, n in _move(train_loader, dev):
            optimizer.zero_grad()
            l = loss_fn(model(xb), yb)
            l.backward()
            optimizer.step()
            acc.append((l.item(), n))
        out.append(_avg(acc))
        if val_loader is not None:
            val_out.append(
                validation(model, loss_fn, val_loader))
    return out, val_out
'''

HALF_VALIDATION = '''    where = next(iter(model.parameters())).device
    model.train(False)
    numerator = torch.zeros((), dtype=torch.float64)
    denominator = 0
    with torch.no_grad():
        for inputs, labels in val_loader:
            inputs, labels = inputs.to(where), labels.to(where)
            numerator += loss_fn(model(inputs), labels).double()
            denominator += 1
    return (numerator / max(denominator, 1)).item()
'''
HALF_A_TRAIN = '''    where = next(iter(model.parameters())).device
    per_epoch, per_epoch_val = [], []
    for _ in range(n_epochs):
        model.train(True)
        running = torch.zeros((), dtype=torch.float64)
        steps = 0
        for inputs, labels in train_loader:
            inputs, labels = inputs.to(where), labels.to(where)
            optimizer.zero_grad(set_to_none=True)
            objective = loss_fn(model(inputs), labels)
            objective.backward()
            optimizer.step()
            running += objective.detach().double()
            steps += 1
        per_epoch.append((running / steps).item())
        if val_loader:
            per_epoch_val.append(validation(model, loss_fn, val_loader))
    return per_epoch, per_epoch_val
'''
HALF_B_TRAIN = '''    dev = next(model.parameters()).device
    train_curve = []
    val_curve = []
    epoch = 0
    while epoch < n_epochs:
        model.train()
        epoch_losses = [step_loss for step_loss in _run_epoch(model, loss_fn, optimizer, train_loader, dev)]
        train_curve.append(sum(epoch_losses) / len(epoch_losses))
        val_curve += [validation(model, loss_fn, val_loader)] if val_loader is not None else []
        epoch += 1
    return train_curve, val_curve


def _run_epoch(model, loss_fn, optimizer, loader, dev):
    for a, b in loader:
        pred = model(a.to(dev))
        err = loss_fn(pred, b.to(dev))
        optimizer.zero_grad()
        err.backward()
        optimizer.step()
        yield err.item()
'''

TUTORIAL_VALIDATION = '''    device = next(model.parameters()).device
    with torch.no_grad():
        val_mini_batch_losses = []
        for x_val, y_val in val_loader:
            x_val = x_val.to(device)
            y_val = y_val.to(device)
            model.eval()
            yhat = model(x_val)
            val_loss = loss_fn(yhat, y_val)
            val_mini_batch_losses.append(val_loss.item())
    return float(np.mean(val_mini_batch_losses))
'''


def _tutorial_train(extra: str, names: tuple[str, str]) -> str:
    losses, val_losses = names
    return f'''    device = next(model.parameters()).device
    {losses} = []
    {val_losses} = []
    for epoch in range(n_epochs):
        model.train()
        mini_batch_losses = []
        for x_batch, y_batch in train_loader:
            x_batch = x_batch.to(device)
            y_batch = y_batch.to(device)
            yhat = model(x_batch)
            loss = loss_fn(yhat, y_batch)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            mini_batch_losses.append(loss.item())
        {losses}.append(float(np.mean(mini_batch_losses)))
{extra}    return {losses}, {val_losses}
'''


TUT_EXTRAS = [
    "        if val_loader is not None:\n            val_losses.append(validation(model, loss_fn, val_loader))\n",
    "        if val_loader:\n            val_history.append(validation(model, loss_fn, val_loader))\n",
    "        if val_loader is None:\n            continue\n        v = validation(model, loss_fn, val_loader)\n"
    "        val_losses.append(v)\n        print(f'epoch {epoch}: {v:.4f}')\n",
    "        if val_loader is not None:\n            with torch.no_grad():\n                model.eval()\n"
    "                vl = [loss_fn(model(x.to(device)), y.to(device)).item() for x, y in val_loader]\n"
    "            val_losses.append(float(np.mean(vl)))\n",
]
TUT_NAMES = [("losses", "val_losses"), ("train_losses", "val_history"), ("losses", "val_losses"),
             ("losses", "val_losses")]

INDEPENDENT = {
    "ind_1": ('''    dev = next(model.parameters()).device
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for x, y in val_loader:
            x, y = x.to(dev), y.to(dev)
            total += loss_fn(model(x), y).item() * len(x)
            count += len(x)
    return total / count
''', '''    dev = next(model.parameters()).device
    train_hist, val_hist = [], []
    for _ in range(n_epochs):
        model.train()
        total, count = 0.0, 0
        for x, y in train_loader:
            x, y = x.to(dev), y.to(dev)
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
            count += len(x)
        train_hist.append(total / count)
        if val_loader is not None:
            val_hist.append(validation(model, loss_fn, val_loader))
    return train_hist, val_hist
'''),
    "ind_2": ('''    param = next(model.parameters())
    model.eval()
    with torch.no_grad():
        batch_losses = torch.stack([loss_fn(model(xb.to(param.device)), yb.to(param.device))
                                    for xb, yb in val_loader])
    return batch_losses.mean().item()
''', '''    param = next(model.parameters())
    results = ([], [])
    for epoch in range(n_epochs):
        model.train()
        recorded = []
        for xb, yb in train_loader:
            prediction = model(xb.to(param.device))
            loss = loss_fn(prediction, yb.to(param.device))
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            recorded.append(loss.detach())
        results[0].append(torch.stack(recorded).mean().item())
        if val_loader is not None:
            results[1].append(validation(model, loss_fn, val_loader))
    return results
'''),
    "ind_3": ('''    import statistics

    device = next(model.parameters()).device
    model.eval()
    scores = []
    for batch in val_loader:
        inputs, targets = (t.to(device) for t in batch)
        with torch.no_grad():
            scores.append(float(loss_fn(model(inputs), targets)))
    return statistics.fmean(scores)
''', '''    import statistics

    device = next(model.parameters()).device

    def one_epoch():
        model.train()
        scores = []
        for batch in train_loader:
            inputs, targets = (t.to(device) for t in batch)
            optimizer.zero_grad()
            objective = loss_fn(model(inputs), targets)
            objective.backward()
            optimizer.step()
            scores.append(float(objective))
        return statistics.fmean(scores)

    curve = [one_epoch() for _ in range(n_epochs)] if val_loader is None else []
    if val_loader is None:
        return curve, []
    validation_curve = []
    for _ in range(n_epochs):
        curve.append(one_epoch())
        validation_curve.append(validation(model, loss_fn, val_loader))
    return curve, validation_curve
'''),
    "ind_4": ('''    model.eval()
    on = next(model.parameters()).device
    n = 0
    s = 0.0
    with torch.no_grad():
        it = iter(val_loader)
        while True:
            try:
                a, b = next(it)
            except StopIteration:
                break
            s += loss_fn(model(a.to(on)), b.to(on)).item()
            n += 1
    return s / n
''', '''    on = next(model.parameters()).device
    L, V = [], []
    for e in range(n_epochs):
        model.train()
        s, n = 0.0, 0
        it = iter(train_loader)
        while True:
            try:
                a, b = next(it)
            except StopIteration:
                break
            optimizer.zero_grad()
            out = loss_fn(model(a.to(on)), b.to(on))
            out.backward()
            optimizer.step()
            s, n = s + out.item(), n + 1
        L.append(s / n)
        V.extend([validation(model, loss_fn, val_loader)] if val_loader is not None else [])
    return L, V
'''),
    "ind_5": ('''    gpu_or_cpu = next(model.parameters()).device
    model.eval()
    with torch.no_grad():
        per_batch = np.array([loss_fn(model(features.to(gpu_or_cpu)), labels.to(gpu_or_cpu)).item()
                              for features, labels in val_loader])
    return float(per_batch.mean())
''', '''    gpu_or_cpu = next(model.parameters()).device
    history = {"train": [], "val": []}
    for epoch_number in range(1, n_epochs + 1):
        model.train()
        per_batch = np.zeros(len(train_loader))
        for index, (features, labels) in enumerate(train_loader):
            optimizer.zero_grad()
            cost = loss_fn(model(features.to(gpu_or_cpu)), labels.to(gpu_or_cpu))
            cost.backward()
            optimizer.step()
            per_batch[index] = cost.item()
        history["train"].append(float(per_batch.mean()))
        if val_loader is not None:
            history["val"].append(validation(model, loss_fn, val_loader))
    return history["train"], history["val"]
'''),
}


def _module(stub: str, validation: str, train: str, helpers: str = "", helpers_first: bool = True) -> str:
    text = stub.replace(VALIDATION_STUB, validation).replace(TRAIN_STUB, train)
    if not helpers:
        return text
    if helpers_first:   # right after the imports
        head, _, rest = text.partition("\n\n\ndef validation(")
        return head + helpers + "\n\ndef validation(" + rest
    return text + helpers


def _reordered(text: str) -> str:
    """The module with train_loop moved before validation."""
    head, _, rest = text.partition("\n\n\ndef validation(")
    validation, _, train = rest.partition("\n\n\ndef train_loop(")
    return head + "\n\n\ndef train_loop(" + train.rstrip("\n") + "\n\n\ndef validation(" + validation + "\n"


def write_class(course_root: Path, root: Path) -> Path:
    """Write the 13 students under `root` (one folder each, exercises inside) and TUTORIAL beside; return root."""
    stub = (course_root / "exercises" / EXERCISE / MODULE).read_text()
    assert VALIDATION_STUB in stub and TRAIN_STUB in stub
    modules = {
        "copy_a": _module(stub, COPY_VALIDATION, COPY_TRAIN, COPY_HELPERS),
        "copy_b": _reordered(_module(stub, COPIED_VALIDATION, COPIED_TRAIN, COPIED_HELPERS, helpers_first=False)),
        "half_a": _module(stub, HALF_VALIDATION, HALF_A_TRAIN),
        "half_b": _module(stub, HALF_VALIDATION, HALF_B_TRAIN),
    }
    for index, (extra, names) in enumerate(zip(TUT_EXTRAS, TUT_NAMES), start=1):
        modules[f"tut_{index}"] = _module(stub, TUTORIAL_VALIDATION, _tutorial_train(extra, names))
    for name, (validation, train) in INDEPENDENT.items():
        modules[name] = _module(stub, validation, train)
    for name, text in modules.items():
        (root / "class" / name / EXERCISE).mkdir(parents=True)
        (root / "class" / name / EXERCISE / MODULE).write_text(text)
    (root / "tutorial.py").write_text(TUTORIAL)
    return root
