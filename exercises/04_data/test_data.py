# Generated from solutions/04_data/test_data.py by `autograder generate`: edit there.
"""Checks for 04_data. Each test runs your code in a sandbox on data the grader owns.

The grader's data carries each row's index in its value (x[i] = i, y[i] = 3·i + 0.5),
so the checks can read which rows ended up in which loader, and in which order.
"""

from autograder.checks import expect


def _loaders_ok(out, label="make_loaders"):
    """The common structure: a pair of iterable loaders whose batches are (x, y) tensor pairs."""
    first = out["first"]
    expect(first["ok_pair"], f"{label} returns a pair (train_loader, val_loader)", f"a {first.get('type')}",
           fix="return train_loader, val_loader")
    expect("not_iterable" not in first, "two DataLoaders you can iterate over",
           f"{first['types']}: {first.get('not_iterable')}",
           fix="wrap each Subset in a torch.utils.data.DataLoader")
    for name in ("train", "val"):
        kinds = first[name][0]["kinds"]
        bad = [k for k in kinds if k.startswith("batch ")]
        expect(not bad, f"{name} batches that are pairs (x, y) of tensors", f"{bad}",
               fix="__getitem__ must return (self.x[index], self.y[index])")
    return first


def _sizes_want(n, batch_size):
    return [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])


def test_dataset_len_and_items(student):
    out = student.probe("dataset_run", seed=0, n=10)
    expect(out["len_type"] == "int" and out["len"] == 10, "len(CustomDataset(x, y)) == 10 for 10 points",
           f"{out['len']!r} ({out['len_type']})", fix="__len__ returns len(self.x)")
    for item in out["items"]:
        i = item["index"]
        expect(item["pair"], f"dataset[{i}] to be a pair (x[{i}], y[{i}])",
               f"a {item['type']}" + (f" of {item['len']} elements" if item["len"] is not None else ""),
               fix="return (self.x[index], self.y[index])")
        x, y = item["x"], item["y"]
        expect(x["type"] == "torch.Tensor" and y["type"] == "torch.Tensor", f"dataset[{i}]: two tensors",
               f"({x['type']}, {y['type']})", cause="the tensors were converted (e.g. to numpy or float)",
               fix="index the stored tensors directly: self.x[index]")
        expect(item["equal"], f"dataset[{i}] == (x[{i}], y[{i}]) = ({item['want_x']}, {item['want_y']}), "
               f"float32 tensors of shape (1,) on the CPU",
               f"({item['x_value']}, {item['y_value']}), "
               f"{x.get('dtype')} shape {x.get('shape')} on {x.get('device')}",
               cause="the item is taken from the wrong position, reshaped, or moved to a device",
               fix="return (self.x[index], self.y[index]) and keep the tensors as they were given")


def test_make_loaders_split(student):
    out = student.probe("loaders_run", seed=42, n=100)
    first = _loaders_ok(out)
    train, val = first["train"][0], first["val"][0]
    for name, part in (("train", train), ("val", val)):
        expect(part["kinds"] == ["x float32 cpu [1] / y float32 cpu [1]"],
               f"{name} batches of float32 CPU tensors of shape (B, 1)", f"{part['kinds']}",
               cause="the numpy arrays were converted without a dtype "
                     "(numpy's float64), or moved to a device",
               fix="torch.as_tensor(x).float() (and the same for y), and keep the dataset on the CPU")
    expect(len(train["indices"]) == 80 and len(val["indices"]) == 20,
           "80 training and 20 validation points (100 points, val_fraction=0.2)",
           f"{len(train['indices'])} training and {len(val['indices'])} validation points",
           fix="n_val = int(len(x) * val_fraction), n_train = len(x) - n_val, then random_split(dataset, "
               "[n_train, n_val], generator=...)")
    t, v = train["indices"], val["indices"]
    expect(len(set(t)) == len(t) and len(set(v)) == len(v), "each point once per pass",
           f"{len(t) - len(set(t))} repeated training and {len(v) - len(set(v))} repeated validation points",
           cause="sampling with replacement, or a split made twice")
    overlap = sorted(set(t) & set(v))
    expect(not overlap, "no point both in training and in validation",
           f"{len(overlap)} points in both, e.g. rows {overlap[:5]}",
           cause="the two parts were drawn separately", fix="split one dataset once with random_split")
    missing = sorted(set(range(100)) - set(t) - set(v))
    expect(not missing, "every one of the 100 points in one of the two loaders",
           f"{len(missing)} points in neither, e.g. rows {missing[:5]}",
           cause="drop_last=True, or a lost remainder")
    expect(train["paired"] and val["paired"], "each x batch next to its own y values",
           "x and y batches that do not belong together", cause="x and y were shuffled or split separately",
           fix="put x and y in one dataset and split that")
    expect(out["inputs_unchanged"], "make_loaders to leave the arrays it is given unchanged",
           "x or y was modified in place")


def expect_same_order(first, again, setting):
    """Two loaders made with the same seed, the global generator used in between: the same split and
    training order."""
    expect(sorted(first["train"][0]["indices"]) == sorted(again["train"][0]["indices"]),
           f"the same training points for the same seed{setting}",
           "other training points after the grader used torch's global random generator between two calls",
           cause="random_split used torch's global random state. "
                 "The tutorial's random_split(dataset, [80, 20]) has no generator "
                 "and relies on the torch.manual_seed(42) run before it; "
                 "this course asks make_loaders to be reproducible from its seed argument alone",
           fix="seed torch.Generator()s with the seed argument: random_split(dataset, [n_train, n_val], "
               "generator=torch.Generator().manual_seed(seed))")
    expect(first["train"][0]["indices"] == again["train"][0]["indices"],
           "the same order of training batches for the same seed, "
           f"whatever else used the random generator in between{setting}",
           "another order after the grader used torch's global random generator between "
           "making and using the loader",
           cause="the training DataLoader shuffles with torch's global random generator. "
                 "The tutorial seeds it once with torch.manual_seed and gives its DataLoader no generator "
                 "(one appears in later chapters): "
                 "then the order of the batches changes with every random draw made before the first epoch "
                 "(creating a model, another loader). "
                 "This course asks make_loaders to be reproducible from its seed argument alone, "
                 "so the loader needs a generator of its own",
           fix="DataLoader(train_data, batch_size=batch_size, shuffle=True, "
               "generator=torch.Generator().manual_seed(seed))")


def test_make_loaders_seeded(student):
    out = student.probe("loaders_run", seed=42, n=100, other_seed=7)
    first = _loaders_ok(out)
    again, other = out["again"], out["other"]
    same_split = sorted(first["val"][0]["indices"]) == sorted(again["val"][0]["indices"])
    expect(same_split, "the same validation points for the same seed",
           "two calls with seed=42 gave different splits",
           cause="random_split used the global random state",
           fix="random_split(dataset, [n_train, n_val], generator=torch.Generator().manual_seed(seed))")
    expect_same_order(first, again, "")
    expect(sorted(first["val"][0]["indices"]) != sorted(other["val"][0]["indices"]),
           "another split for another seed", "seed=42 and seed=7 gave the same validation points",
           fix="use the seed argument to seed the generators, not a constant")


def test_shuffle_train_not_validation(student):
    out = student.probe("loaders_run", seed=3, n=100)
    first = _loaders_ok(out)
    t1, t2 = first["train"][0]["indices"], first["train"][1]["indices"]
    v1, v2 = first["val"][0]["indices"], first["val"][1]["indices"]
    expect(t1 != t2, "a new order of training points in every epoch (shuffle=True)",
           "the same order in two epochs", fix="DataLoader(train_data, ..., shuffle=True, generator=...)")
    expect(v1 == v2, "the validation points in the same order in every pass (shuffle=False)",
           f"first pass starts {v1[:6]}, second pass starts {v2[:6]}",
           fix="DataLoader(val_data, batch_size=batch_size, shuffle=False)")
