# Generated from solutions/06_checkpoint/test_checkpoint.py by `autograder generate`: edit there.
"""Checks for 06_checkpoint. Each test runs your code in a sandbox on models, optimizers (Adam, so
that the optimizer has a state to save) and checkpoint files that the grader owns.

Checkpoints are read back with torch.load(..., weights_only=True), as PyTorch does by default.
"""

from autograder.checks import expect, fail
from autograder.checks.devices import device_name, device_words, torch_words


def _train_modes(training):
    return all(training)


def recorded_after_step(returned, used):
    """The cause to give when the returned rates are the used ones one epoch late (read after
    scheduler.step())."""
    if returned and used and returned[:-1] == used[1:] and returned != used:
        return ("these are the rates after scheduler.step(), as the tutorial records them; "
                "this course records the rate used during each epoch, read before scheduler.step(), "
                "so that learning_rates[i] is the rate that produced losses[i]")
    return None


def test_save_checkpoint_contents(student):
    out = student.probe("save_run", seed=0)
    expect(out["exists"], "save_checkpoint to write the file it is given", "no file at that path",
           fix="torch.save(checkpoint, path)")
    if not out["loadable"]:
        fail("a file that torch.load(path, weights_only=True) reads", f"it refuses it: {out['error']}",
             cause="the checkpoint holds numpy numbers (the losses were given as numpy.float64/float32). "
                   "The tutorial saves its histories as they are, "
                   "and they hold numpy floats (its losses come from np.mean); since PyTorch 2.6, "
                   "torch.load reads only tensors and plain Python data unless weights_only=False, "
                   "which also runs any code hidden in the file. This course keeps weights_only=True, "
                   "so the histories are saved as Python floats"
             if out.get("numpy") else
             "the checkpoint holds objects other than tensors, dicts, lists, ints and floats "
             "(e.g. the whole model instead of its state_dict)",
             fix="save model.state_dict() and optimizer.state_dict(), "
                 "and the losses as [float(v) for v in losses]")
    expect(out["type"] == "dict", "a dict saved with torch.save", f"a {out['type']}")
    missing = [k for k in ("epoch", "model_state_dict", "optimizer_state_dict", "loss", "val_loss")
               if k not in out["keys"]]
    expect(not missing, "the keys epoch, model_state_dict, optimizer_state_dict, loss, val_loss",
           f"keys {out['keys']}, missing {missing}")
    expect(out["epoch_type"] == "int" and out["epoch"] == 2, "epoch == 2 as an int", f"{out['epoch']!r} "
           f"({out['epoch_type']})", fix="\"epoch\": int(epoch)")
    for key, want in (("loss", out["want_loss"]), ("val_loss", out["want_val_loss"])):
        got = out[key]
        expect(got["ok"] and got["values"] == want, f"{key}: the list given, as Python floats {want}",
               f"a {got['type']} of {got.get('kinds')}: {got['values']}",
               fix=f"\"{key}\": [float(v) for v in ...] (the grader passes numpy numbers)")
    expect(out["model_ok"], "model_state_dict equal to model.state_dict()", "other tensors or keys",
           fix="\"model_state_dict\": model.state_dict()")
    expect(out["optimizer_diff"] is None, "optimizer_state_dict equal to optimizer.state_dict() "
           "(Adam's moments and step count included)", f"{out['optimizer_diff']}",
           fix="\"optimizer_state_dict\": optimizer.state_dict()")


def test_load_checkpoint_restores(student):
    out = student.probe("load_run", seed=1)
    expect(out["ok_triple"], "load_checkpoint returns (epoch, losses, val_losses)", f"a {out['type']}",
           fix="return checkpoint[\"epoch\"], checkpoint[\"loss\"], checkpoint[\"val_loss\"]")
    expect(out["epoch_type"] == "int" and out["epoch"] == 7,
           "epoch 7 (an int), as in the grader's checkpoint",
           f"{out['epoch']!r} ({out['epoch_type']})",
           cause="the epoch is not read from the file" if out["epoch"] != 7 else None)
    expect(out["losses"]["values"] == out["want_losses"]
           and out["val_losses"]["values"] == out["want_val_losses"],
           f"the file's histories: losses {out['want_losses'][:3]}…, "
           f"val_losses {out['want_val_losses'][:3]}…",
           f"losses {(out['losses']['values'] or [])[:3]}…, "
           f"val_losses {(out['val_losses']['values'] or [])[:3]}…",
           cause="the histories come from somewhere else than the file (or loss and val_loss are swapped)")
    expect(out["model_ok"], "the model's weights replaced by those in the file", "other weights",
           cause="model.load_state_dict is missing, "
                 "or loads something else than checkpoint['model_state_dict']",
           fix="model.load_state_dict(checkpoint[\"model_state_dict\"])")
    expect(out["optimizer_diff"] is None,
           "the optimizer's state replaced by the file's "
           "(Adam's moments, step, learning rate 0.01)", f"{out['optimizer_diff']}",
           cause="optimizer.load_state_dict is missing",
           fix="optimizer.load_state_dict(checkpoint[\"optimizer_state_dict\"])")
    expect(_train_modes(out["training"]), "the model in train mode afterwards, ready to resume training",
           "it is still in eval mode (the grader put it there before the call)",
           fix="call model.train() at the end")


def test_load_for_inference_eval(student):
    out = student.probe("inference_run", seed=2)
    expect(out["same_object"], "load_for_inference returns the model it was given", f"a {out['type']}",
           fix="return model")
    expect(out["model_ok"], "the weights of the file in the model", "other weights",
           fix="model.load_state_dict(checkpoint[\"model_state_dict\"])")
    expect(not any(out["training"]), "the model in eval mode (its Dropout switched off)",
           f"{sum(out['training'])} of {len(out['training'])} modules in train mode", fix="call model.eval()")


def test_scheduler_plateau(student):
    out = student.probe("scheduler_run", seed=3, kind="plateau", n_epochs=5)
    expect(out["ok_triple"], "train_with_scheduler returns (losses, val_losses, learning_rates)",
           f"a {out['type']}")
    calls = out["calls"]
    expect(len(calls) == 5, "scheduler.step called once per epoch (5 times)", f"{len(calls)} times",
           cause="the scheduler is stepped per batch" if len(calls) > 5 else None)
    for e, call in enumerate(calls):
        expect(call["opt_steps"] == 4 * (e + 1) and call["val_forwards"] == 3 * (e + 1),
               f"step {e + 1} of the scheduler after epoch {e + 1}'s training and validation",
               f"after {call['opt_steps']} optimizer steps and {call['val_forwards']} validation batches",
               fix="step the scheduler at the end of each epoch, after computing the validation loss")
    val = out["val_losses"]
    expect(val["ok"] and len(val["values"]) == 5, "val_losses: 5 Python floats",
           f"a {val['type']} of {len(val['values'] or [])} items of type {val.get('kinds')}")
    metrics = [c["metric"] for c in calls]
    want = out["val_means"] or val["values"]
    expect(all(m is not None and abs(m - w) <= 1e-6 * max(1.0, abs(w)) for m, w in zip(metrics, want)),
           f"ReduceLROnPlateau given each epoch's validation loss: {[round(w, 6) for w in want]}",
           f"{metrics}", cause="the training loss or nothing was passed to scheduler.step",
           fix="scheduler.step(val_loss) for ReduceLROnPlateau")
    lrs = out["learning_rates"]
    expect(lrs["ok"] and lrs["values"] == out["used_lrs"],
           f"learning_rates: the learning rate of each epoch's optimizer steps, {out['used_lrs']}",
           f"{lrs['values']} ({lrs.get('kinds')})", cause=recorded_after_step(lrs["values"], out["used_lrs"]),
           fix="learning_rates.append(optimizer.param_groups[0][\"lr\"]) before scheduler.step()")
