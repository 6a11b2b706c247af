"""What a check says when a training run's loss does not fall as it should: the likely cause, from what the
recorders saw (stale gradients, an optimizer made per step), and the fix."""

from __future__ import annotations

from typing import Any


def why_loss_did_not_fall(out: dict[str, Any], *, per: str = "step") -> tuple[str, str]:
    """(likely cause, fix) for a training probe's observations `out` (with its "grad" and "steps" records)."""
    grad, steps = out.get("grad") or {}, out.get("steps") or {}
    if grad.get("accumulated"):
        return (f"the gradients were never cleared: {grad['accumulated']} of {grad.get('backwards', '?')} backward "
                "passes added to the gradients of earlier steps, so every step used their sum and overshot",
                f"call optimizer.zero_grad() once per {per}, before loss.backward()")
    if steps.get("n_optimizers", 1) > 1:
        return (f"{steps['n_optimizers']} optimizers were created: a new one in every {per} forgets the state "
                "(Adam's moments) of the last", "create the optimizer once, before the loop")
    return ("the loss is not computed from the model's output on the data, or lr is not given to the optimizer",
            f"per {per}: optimizer.zero_grad(), loss = loss_fn(model(x), y), loss.backward(), optimizer.step(), "
            "with one optimizer built from model.parameters() and lr=lr")


def returned_number(value: Any, type_name: str) -> str:
    """How a check describes what came back where a Python float was expected."""
    if value is None and type_name != "NoneType":
        return f"a {type_name}, not a Python number"
    return repr(value)


def number_fix(value: Any, type_name: str) -> str | None:
    """The fix when a tensor or an array came back instead of a Python float."""
    if value is None and type_name in ("Tensor", "Parameter", "ndarray"):
        return "return a Python float: call .item() on a one-element tensor"
    return None
