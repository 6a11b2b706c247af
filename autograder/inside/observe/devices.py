"""Device stand-ins for probes, and the device mismatches they expose."""

from __future__ import annotations

from typing import Any

from torch import nn

from autograder.inside.observe.recorders import ForwardRecorder
from autograder.inside.observe.student import StudentIssue, StudentModule


def probe_device(device: str) -> str:
    """The device that exposes device bugs: the accelerator, or `meta` standing in for one on CPU."""
    return "meta" if device == "cpu" else device


def mismatch_run(student: StudentModule, function: str, model: nn.Module, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Call the student's `function` to its end with `model` on its (probe) device and the data left on the CPU.

    Data the function forgot to move meets the model's output and torch raises a device mismatch: that is the
    observation (`mismatch`). Any other error counts only before the first forward pass (`error`); after it, it is
    what `meta` does to correct code (there are no values to read). Also the device and the forward count.
    """
    device, mismatch, error = next(model.parameters()).device.type, None, None
    with ForwardRecorder(model) as fwd:
        try:
            student.call(function, model, *args, **kwargs)
        except (NotImplementedError, StudentIssue):
            raise
        except Exception as exc:  # noqa: BLE001 - the kind of error is the observation
            text = f"{type(exc).__name__}: {exc}"
            if "not on the expected device" in text or "same device" in text:
                mismatch = text
            elif not fwd.calls:
                error = text
    return {"model_device": device, "forwards": len(fwd.calls), "mismatch": mismatch, "error": error}
