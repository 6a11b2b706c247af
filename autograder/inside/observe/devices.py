"""Device stand-ins for probes, and the device mismatches they expose."""

from __future__ import annotations

import contextlib
import types
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from autograder.inside.observe.recorders import ForwardRecorder
from autograder.inside.observe.student import StudentIssue, StudentModule


def probe_device(device: str) -> str:
    """The device that exposes device bugs: the accelerator, or `meta` standing in for one on CPU."""
    return "meta" if device == "cpu" else device


def _numbers_from_meta(self: Any, func: Any, kinds: Any, args: Any = (), kwargs: Any = None,
                       _reads: Any = {torch.Tensor.item: 0.0, torch.Tensor.__float__: 0.0, torch.Tensor.__int__: 0},
                       _tensor: Any = torch.Tensor, _isinstance: Any = isinstance) -> Any:
    if func in _reads and args and _isinstance(args[0], _tensor) and args[0].is_meta:
        return _reads[func]
    return func(*args, **(kwargs or {}))


class _MetaNumbers(TorchFunctionMode):
    """While a function runs on `meta`: reading a number out of a meta tensor (``loss.item()``, ``float(loss)``)
    gives 0, where torch would raise, so a correct loop runs on past its first ``.item()`` to its validation, and a
    batch left on the CPU there shows as a mismatch too. The mode holds nothing; its one method is sealed (no
    globals) like the recorders' hooks. Code that rewrites it changes only its own observation, as a ``try`` around
    its own loop could."""


_MetaNumbers.__torch_function__ = types.FunctionType(_numbers_from_meta.__code__, {}, "__torch_function__",
                                                     _numbers_from_meta.__defaults__)


_NO_MODE = contextlib.nullcontext()


def mismatch_run(student: StudentModule, function: str, model: nn.Module, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Call the student's `function` to its end with `model` on its (probe) device and the data left on the CPU.

    Data the function forgot to move meets the model's output and torch raises a device mismatch: that is the
    observation (`mismatch`), with the mode the model was in (`during`: "training" or "evaluation"). On `meta`
    numbers read from tensors are 0 (see _MetaNumbers), so the run goes on to the end of a correct function. Any
    other error counts only before the first forward pass (`error`); after it, it is what `meta` does to correct
    code (there are no values to compute with). Also the device and the forward count.
    """
    device, mismatch, error, during = next(model.parameters()).device.type, None, None, None
    with ForwardRecorder(model) as fwd, (_MetaNumbers() if device == "meta" else _NO_MODE):
        try:
            student.call(function, model, *args, **kwargs)
        except (NotImplementedError, StudentIssue):
            raise
        except Exception as exc:  # noqa: BLE001 - the kind of error is the observation
            text = f"{type(exc).__name__}: {exc}"
            if "not on the expected device" in text or "same device" in text:
                mismatch, during = text, "training" if model.training else "evaluation"
            elif not fwd.calls:
                error = text
    return {"model_device": device, "forwards": len(fwd.calls), "mismatch": mismatch, "during": during,
            "error": error}
