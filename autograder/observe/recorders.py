"""Recorders built on PyTorch's own hooks: what the model, the optimizer and autograd saw.

The hooks sit in torch's registries, where the code under grading can find them, so they are written
to give it nothing to change: no closures and no global look-ups. Everything a hook uses arrives in
its default arguments (a tuple; replacing ``__defaults__`` or ``__code__`` is refused by the child's
audit hook, runner/guard.py), including the torch functions it reads, captured when this module is
imported in the fork server before any student code exists. What a hook records goes on a `_Tape`:
a list plus a running digest that cannot be rewound, so that editing, removing or reordering what was
recorded shows when the recorder reads its tape, as InstrumentsModified.
"""

from __future__ import annotations

import hashlib
import types
import weakref
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.module import register_module_forward_pre_hook
from torch.optim.optimizer import register_optimizer_step_post_hook
from torch.utils.hooks import RemovableHandle

from autograder.observe.student import InstrumentsModified

_PLAIN = (bool, int, float, str, type(None))


class Stop(Exception):
    """Raised from a hook to end a probe early once it has seen enough."""


def _first_tensor(args: Any) -> torch.Tensor | None:
    for a in args if isinstance(args, (tuple, list)) else (args,):
        if isinstance(a, torch.Tensor):
            return a
        if isinstance(a, (tuple, list)):
            found = _first_tensor(a)
            if found is not None:
                return found
    return None


class _Tape:
    """What one hook recorded: tuples of plain values, and a digest of them that only grows.

    A hook gets `append` and `update` (bound methods); whoever holds them can add records, but no one
    can take one back or change it without the digest disagreeing with the list.
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self.entries: list[tuple[Any, ...]] = []
        self.digest = hashlib.blake2b()
        self.unhooked = False

    def detach(self, handle: RemovableHandle, hook: Any) -> None:
        """Remove the hook that writes this tape, noting whether it was still where it was registered."""
        registry = handle.hooks_dict_ref()
        self.unhooked = self.unhooked or registry is None or registry.get(handle.id) is not hook
        handle.remove()

    def read(self) -> list[tuple[Any, ...]]:
        """The records, checked against the digest (InstrumentsModified if they differ)."""
        if self.unhooked:
            raise InstrumentsModified(f"the grader's instruments were modified: its hook recording {self.what} "
                                      "was taken out of torch's registry")
        entries = list(self.entries)
        check = hashlib.blake2b()
        for entry in entries:
            if type(entry) is not tuple or any(type(v) not in _PLAIN for v in entry):
                raise InstrumentsModified(f"the grader's instruments were modified: its record of {self.what} "
                                          "holds something it never wrote")
            check.update(repr(entry).encode() + b"\0")
        if check.digest() != self.digest.digest():
            raise InstrumentsModified(f"the grader's instruments were modified: its record of {self.what} "
                                      "was changed after it was written")
        return entries


def _forward_hook(module: nn.Module, args: Any, _model: nn.Module = None, _children: frozenset = frozenset(),
                  _append: Any = None, _update: Any = None, _child_append: Any = None, _child_update: Any = None,
                  _stop_after: int | None = None, _calls: Any = None, _grad: Any = torch.is_grad_enabled,
                  _inference: Any = torch.is_inference_mode_enabled, _first: Any = _first_tensor,
                  _id: Any = id, _repr: Any = repr, _int: Any = int, _bool: Any = bool, _str: Any = str,
                  _len: Any = len, _stop: Any = Stop) -> None:
    if module is _model:
        x = _first(args)
        record = (_bool(module.training), _bool(_grad()), _bool(_inference()),
                  None if x is None else _str(x.device.type), None if x is None or x.dim() == 0 else _int(x.shape[0]))
        _append(record)
        _update(_repr(record).encode() + b"\0")
        if _stop_after is not None and _len(_calls) >= _stop_after:
            raise _stop()
    elif _id(module) in _children:
        _child_append(())
        _child_update(b"()\0")


@dataclass(frozen=True)
class ForwardCall:
    """The mode of the model at one of its forward calls."""

    training: bool
    grad: bool
    inference: bool
    device: str | None
    batch: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"training": self.training, "grad": self.grad, "inference": self.inference,
                "device": self.device, "batch": self.batch}


class ForwardRecorder:
    """Records the mode of `model` at each of its forward calls (through `model(...)`)."""

    def __init__(self, model: nn.Module, stop_after: int | None = None) -> None:
        self.model = model
        self.stop_after = stop_after
        self._tape = _Tape("the model's forward calls")
        self._children = _Tape("the model's layers' calls")

    def __enter__(self) -> "ForwardRecorder":
        children = frozenset(id(m) for m in self.model.modules() if m is not self.model)
        tape, kids = self._tape, self._children
        hook = _bind(_forward_hook, self.model, children, tape.entries.append, tape.digest.update,
                     kids.entries.append, kids.digest.update, self.stop_after, tape.entries)
        self._hook, self._handle = hook, register_module_forward_pre_hook(hook)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._tape.detach(self._handle, self._hook)

    @property
    def calls(self) -> list[ForwardCall]:
        return [ForwardCall(*entry) for entry in self._tape.read()]

    def bypassed(self) -> bool:
        """The model's layers ran but `model(...)` was never called (model.forward(x) was)."""
        return not self.calls and len(self._children.read()) > 0

    def as_list(self) -> list[dict[str, Any]]:
        return [c.as_dict() for c in self.calls]


def _step_hook(optimizer: torch.optim.Optimizer, args: Any, kwargs: Any, _own: frozenset = frozenset(),
               _append: Any = None, _update: Any = None, _id: Any = id, _any: Any = any, _float: Any = float,
               _type: Any = type, _repr: Any = repr) -> None:
    for group in optimizer.param_groups:
        if _any(_id(p) in _own for p in group["params"]):
            record = (_float(group["lr"]), _id(optimizer), _type(optimizer).__name__)
            _append(record)
            _update(_repr(record).encode() + b"\0")
            return


class StepRecorder:
    """Counts optimizer steps that updated `model`'s parameters, wherever the optimizer was made."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self._tape = _Tape("the optimizer's steps")

    def __enter__(self) -> "StepRecorder":
        own = frozenset(id(p) for p in self.model.parameters())
        self._hook = _bind(_step_hook, own, self._tape.entries.append, self._tape.digest.update)
        self._handle = register_optimizer_step_post_hook(self._hook)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._tape.detach(self._handle, self._hook)

    @property
    def steps(self) -> int:
        return len(self._tape.read())

    @property
    def lrs(self) -> list[float]:
        return [lr for lr, _, _ in self._tape.read()]

    @property
    def optimizers(self) -> set[int]:
        """The ids of the optimizers whose steps were counted."""
        return {optimizer for _, optimizer, _ in self._tape.read()}

    def as_dict(self) -> dict[str, Any]:
        entries = self._tape.read()
        lrs = [lr for lr, _, _ in entries]
        return {"steps": len(entries), "lrs": lrs[:5] + lrs[-5:], "n_optimizers": len({optimizer for _, optimizer, _ in entries}),
                "optimizer_types": sorted({t for _, _, t in entries})}


def _grad_hook(grad: torch.Tensor, _watched: torch.Tensor = None, _append: Any = None, _update: Any = None,
               _bool: Any = bool) -> None:
    old = _watched.grad
    record = (old is not None and old.device.type != "meta" and _bool(old.ne(0).any()),)
    _append(record)
    _update(b"(True,)\0" if record[0] else b"(False,)\0")


class GradAccumulationDetector:
    """Counts backward passes that added into a gradient left over from an earlier step."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self._tape = _Tape("the backward passes")

    def __enter__(self) -> "GradAccumulationDetector":
        params = [p for p in self.model.parameters() if p.requires_grad]
        self._hooked: tuple[Any, RemovableHandle] | None = None
        if params:
            hook = _bind(_grad_hook, params[0], self._tape.entries.append, self._tape.digest.update)
            self._hooked = hook, params[0].register_hook(hook)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._hooked is not None:
            hook, handle = self._hooked
            self._tape.detach(handle, hook)

    def as_dict(self) -> dict[str, Any]:
        entries = self._tape.read()
        return {"backwards": len(entries), "accumulated": sum(1 for (added,) in entries if added)}


def _bind(template: Any, *values: Any) -> Any:
    """A copy of the hook function `template` whose first defaulted parameters hold `values`."""
    return types.FunctionType(template.__code__, template.__globals__, template.__name__,
                              values + template.__defaults__[len(values):])


class TargetDeviceLoss(nn.Module):
    """A loss that records the devices of its prediction and target at the first call, then stops the run."""

    def __init__(self) -> None:
        super().__init__()
        self.devices: list[str] | None = None

    def forward(self, yhat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        self.devices = [getattr(v, "device", torch.device("cpu")).type for v in (yhat, y)]
        raise Stop


_LOSS_FIELDS = ("batch", "grad", "value", "target_first")


def _loss_forward(yhat: torch.Tensor, y: torch.Tensor, _loss: Any = None, _append: Any = None, _update: Any = None,
                  _grad: Any = torch.is_grad_enabled, _int: Any = int, _bool: Any = bool, _float: Any = float,
                  _repr: Any = repr) -> torch.Tensor:
    loss = _loss(yhat, y)
    record = (_int(yhat.shape[0]) if yhat.dim() else 1, _bool(_grad()),
              None if loss.device.type == "meta" else _float(loss.detach().double().cpu()),
              _bool(y.requires_grad and not yhat.requires_grad))
    _append(record)
    _update(_repr(record).encode() + b"\0")
    return loss


_loss_tapes: "weakref.WeakKeyDictionary[nn.Module, tuple[_Tape, Any]]" = weakref.WeakKeyDictionary()


class RecordingLoss(nn.Module):
    """A loss function to hand to the student's code (MSE unless told otherwise) that records every call: its
    batch size, whether autograd was on, its value, and whether the target was the one that requires grad.

    The records go on a tape kept outside the object (the code it is handed to reaches the object, not the
    tape); a forward replaced on the object is noticed when the calls are read.
    """

    def __init__(self, loss: Any = F.mse_loss) -> None:
        super().__init__()
        tape = _Tape("the loss function's calls")
        forward = _bind(_loss_forward, loss, tape.entries.append, tape.digest.update)
        _loss_tapes[self] = (tape, forward)
        self.forward = forward

    @property
    def calls(self) -> list[dict[str, Any]]:
        """The recorded calls, in order (InstrumentsModified if the records or the forward were changed)."""
        tape, forward = _loss_tapes[self]
        if vars(self).get("forward") is not forward:
            raise InstrumentsModified("the grader's instruments were modified: the loss function it handed to "
                                      "your code had its forward replaced")
        return [dict(zip(_LOSS_FIELDS, entry)) for entry in tape.read()]
