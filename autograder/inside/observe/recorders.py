"""Recorders built on PyTorch's own hooks: what the model, the optimizer and autograd saw.

The hooks sit in torch's registries, where the code under grading can find them, so they are *sealed*: no
closure and an empty ``__globals__``; everything a hook uses arrives in its default arguments (a tuple),
including the torch functions it reads, captured when this module is imported in the fork server before any
student code exists. The child's audit hook refuses submitted code the grader's functions' ``__defaults__`` and
``__code__`` (inside/guard.py), so the lists a hook appends to are out of its reach; the recorders that read them
live in the probe's frame, which it cannot reach either (``tests/test_reachability.py`` walks every object a
submission can name to show it). What a recorder cannot keep out of reach it checks: a hook taken out of torch's
registry, hooks added to or a ``forward`` set on the grader's own model, or a class swapped under it, show when
the records are read, as InstrumentsModified.

Modes are observed as effects where torch shows them: whether a forward pass built a graph is read from its
output (``requires_grad``), after the forward ran, and the train/eval mode of every layer at its own call.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook
from torch.optim.optimizer import register_optimizer_step_post_hook
from torch.utils.hooks import RemovableHandle

from autograder.inside.observe.student import InstrumentsModified

_PLAIN = (bool, int, float, str, type(None))


class Stop(Exception):
    """Raised from a hook to end a probe early once it has seen enough."""


def _first_tensor(args: Any, _tensor: Any = torch.Tensor, _seq: Any = (tuple, list), _isinstance: Any = isinstance) \
        -> torch.Tensor | None:
    for a in args if _isinstance(args, _seq) else (args,):
        if _isinstance(a, _tensor):
            return a
        if _isinstance(a, _seq):
            for b in a:
                if _isinstance(b, _tensor):
                    return b
    return None


def _bind(template: Any, *values: Any) -> Any:
    """A sealed copy of the hook function `template`: no globals, its first defaulted parameters holding `values`."""
    return types.FunctionType(template.__code__, {}, template.__name__, values + template.__defaults__[len(values):])


class _Records:
    """What one hook writes: a list only the hook (through its defaults) and its recorder hold."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.entries: list[tuple[Any, ...]] = []
        self.unhooked = False

    def detach(self, handle: RemovableHandle, hook: Any) -> None:
        """Remove the hook that writes these records, noting whether it was still where it was registered."""
        registry = handle.hooks_dict_ref()
        self.unhooked = self.unhooked or registry is None or registry.get(handle.id) is not hook
        handle.remove()

    def read(self) -> list[tuple[Any, ...]]:
        """The records (InstrumentsModified if the hook was taken out of its registry meanwhile)."""
        if self.unhooked:
            raise InstrumentsModified(f"the grader's instruments were modified: its hook recording {self.what} "
                                      "was taken out of torch's registry")
        return list(self.entries)


def _hook_dicts(module: nn.Module) -> list[tuple[str, dict]]:
    return [(name, value) for name, value in vars(module).items() if "hooks" in name and isinstance(value, dict)]


def _identical(a: Any, b: Any) -> bool:
    """Tuples item by item, names and numbers by value, everything else by identity."""
    if type(a) is tuple and type(b) is tuple:
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b))
    return a == b if isinstance(a, (str, int)) else a is b


class _Unchanged:
    """The grader's own modules (a model, a loss) as they were handed to the student's code: their class, the hooks
    registered on them, their instance attributes that decide what a call does, and their layers."""

    _DECIDING = ("forward", "__call__", "_call_impl", "_forward_unimplemented")
    _CHANGES = ("had its class replaced", "had hooks added or removed", "had its forward replaced",
                "had a layer replaced")

    def __init__(self, *modules: nn.Module) -> None:
        self.modules = [m for root in modules for m in root.modules()]
        self.before = [self._state(m) for m in self.modules]

    def _state(self, module: nn.Module) -> tuple[Any, ...]:
        hooks = tuple((name, tuple(value.items())) for name, value in _hook_dicts(module))
        deciding = tuple((name, vars(module).get(name)) for name in self._DECIDING)
        return type(module), hooks, deciding, tuple(vars(module).get("_modules", {}).items())

    def check(self, what: str) -> None:
        """InstrumentsModified naming the first change found."""
        for module, before in zip(self.modules, self.before):
            for after, was, change in zip(self._state(module), before, self._CHANGES):
                if not _identical(after, was):
                    raise InstrumentsModified(f"the grader's instruments were modified: {what} it handed to your "
                                              f"code {change}")


def _forward_pre_hook(module: nn.Module, args: Any, _model: nn.Module = None, _children: frozenset = frozenset(),
                      _append: Any = None, _stop_after: int | None = None, _count: Any = None,
                      _grad: Any = torch.is_grad_enabled, _inference: Any = torch.is_inference_mode_enabled,
                      _first: Any = _first_tensor, _id: Any = id, _int: Any = int, _bool: Any = bool,
                      _str: Any = str, _stop: Any = Stop) -> None:
    if module is _model:
        x = _first(args)
        _append(("call", _bool(module.training), _bool(_grad()), _bool(_inference()),
                 None if x is None else _str(x.device.type), None if x is None or x.dim() == 0 else _int(x.shape[0])))
        if _stop_after is not None and _count() >= _stop_after:
            raise _stop()
    elif _id(module) in _children:
        _append(("layer", _bool(module.training)))


def _forward_post_hook(module: nn.Module, args: Any, output: Any, _model: nn.Module = None, _append: Any = None,
                       _first: Any = _first_tensor, _bool: Any = bool) -> None:
    if module is _model:
        out = _first(output)
        _append(("out", None if out is None else _bool(out.requires_grad),
                 None if out is None else _bool(out.is_inference())))


@dataclass(frozen=True)
class ForwardCall:
    """The mode of the model at one of its forward calls."""

    training: bool
    grad: bool
    inference: bool
    device: str | None
    batch: int | None

    def seen_by(self, layers: list[bool]) -> "ForwardCall":
        """The call's train/eval mode as its layers saw it at their own calls: where they disagree with the model's
        flag, the mode the flag does not show (a layer in train mode during an eval-mode call is a train-mode call)."""
        if all(training == self.training for training in layers):
            return self
        return ForwardCall(not self.training, self.grad, self.inference, self.device, self.batch)

    def built(self, requires_grad: bool | None, inference: bool | None) -> "ForwardCall":
        """The call as its output shows it: a graph was built if autograd was on as it began or its output requires
        grad (autograd turned on during the call)."""
        return ForwardCall(self.training, self.grad or bool(requires_grad), self.inference and inference is not False,
                           self.device, self.batch)

    def as_dict(self) -> dict[str, Any]:
        return {"training": self.training, "grad": self.grad, "inference": self.inference,
                "device": self.device, "batch": self.batch}


class ForwardRecorder:
    """Records the mode of `model` at each of its forward calls (through `model(...)`): train/eval as each of its
    layers saw it, and whether the call built a graph (its output requires grad, or autograd was on as it began)."""

    def __init__(self, model: nn.Module, stop_after: int | None = None) -> None:
        self.model = model
        self.stop_after = stop_after
        self._records = _Records("the model's forward calls")

    def __enter__(self) -> "ForwardRecorder":
        children = frozenset(id(m) for m in self.model.modules() if m is not self.model)
        entries = self._records.entries
        count = _bind(_count_calls, entries)
        pre = _bind(_forward_pre_hook, self.model, children, entries.append, self.stop_after, count)
        post = _bind(_forward_post_hook, self.model, entries.append)
        self._hooks = [(pre, register_module_forward_pre_hook(pre)), (post, register_module_forward_hook(post))]
        self._unchanged = _Unchanged(self.model)
        return self

    def __exit__(self, *exc: Any) -> None:
        for hook, handle in self._hooks:
            self._records.detach(handle, hook)

    def _entries(self) -> list[tuple[Any, ...]]:
        self._unchanged.check("the model")
        return self._records.read()

    @property
    def calls(self) -> list[ForwardCall]:
        calls: list[ForwardCall] = []
        layers: list[bool] = []
        for entry in self._entries() + [("end",)]:
            if entry[0] in ("call", "end") and calls:
                calls[-1] = calls[-1].seen_by(layers)
                layers = []
            if entry[0] == "call":
                calls.append(ForwardCall(*entry[1:]))
            elif entry[0] == "layer" and calls:
                layers.append(entry[1])
            elif entry[0] == "out" and calls:
                calls[-1] = calls[-1].built(entry[1], entry[2])
        return calls

    def bypassed(self) -> bool:
        """The model's layers ran but `model(...)` was never called (model.forward(x) was)."""
        entries = self._entries()
        return not any(e[0] == "call" for e in entries) and any(e[0] == "layer" for e in entries)

    def as_list(self) -> list[dict[str, Any]]:
        return [c.as_dict() for c in self.calls]


def _count_calls(_entries: list = None) -> int:
    count = 0
    for entry in _entries:
        if entry[0] == "call":
            count += 1
    return count


def _step_hook(optimizer: torch.optim.Optimizer, args: Any, kwargs: Any, _own: frozenset = frozenset(),
               _append: Any = None, _id: Any = id, _float: Any = float, _type: Any = type) -> None:
    for group in optimizer.param_groups:
        for p in group["params"]:
            if _id(p) in _own:
                _append((_float(group["lr"]), _id(optimizer), _type(optimizer).__name__))
                return


class StepRecorder:
    """Counts optimizer steps that updated `model`'s parameters, wherever the optimizer was made."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self._records = _Records("the optimizer's steps")

    def __enter__(self) -> "StepRecorder":
        own = frozenset(id(p) for p in self.model.parameters())
        self._hook = _bind(_step_hook, own, self._records.entries.append)
        self._handle = register_optimizer_step_post_hook(self._hook)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._records.detach(self._handle, self._hook)

    @property
    def steps(self) -> int:
        return len(self._records.read())

    @property
    def lrs(self) -> list[float]:
        return [lr for lr, _, _ in self._records.read()]

    @property
    def optimizers(self) -> set[int]:
        """The ids of the optimizers whose steps were counted."""
        return {optimizer for _, optimizer, _ in self._records.read()}

    def as_dict(self) -> dict[str, Any]:
        entries = self._records.read()
        lrs = [lr for lr, _, _ in entries]
        return {"steps": len(entries), "lrs": lrs[:5] + lrs[-5:], "n_optimizers": len({optimizer for _, optimizer, _ in entries}),
                "optimizer_types": sorted({t for _, _, t in entries})}


def _grad_hook(grad: torch.Tensor, _watched: torch.Tensor = None, _append: Any = None, _bool: Any = bool) -> None:
    old = _watched.grad
    _append((old is not None and old.device.type != "meta" and _bool(old.ne(0).any()),))


class GradAccumulationDetector:
    """Counts backward passes that added into a gradient left over from an earlier step."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self._records = _Records("the backward passes")

    def __enter__(self) -> "GradAccumulationDetector":
        params = [p for p in self.model.parameters() if p.requires_grad]
        self._hooked: tuple[Any, RemovableHandle] | None = None
        if params:
            hook = _bind(_grad_hook, params[0], self._records.entries.append)
            self._hooked = hook, params[0].register_hook(hook)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._hooked is not None:
            hook, handle = self._hooked
            self._records.detach(handle, hook)

    def as_dict(self) -> dict[str, Any]:
        entries = self._records.read()
        return {"backwards": len(entries), "accumulated": sum(1 for (added,) in entries if added)}


def _loss_forward(yhat: torch.Tensor, y: torch.Tensor, _loss: Any = None, _append: Any = None,
                  _stop_after: int | None = None, _len: Any = len, _entries: Any = None,
                  _grad: Any = torch.is_grad_enabled, _int: Any = int, _bool: Any = bool, _float: Any = float,
                  _str: Any = str, _getattr: Any = getattr, _cpu: Any = torch.device("cpu"), _stop: Any = Stop) \
        -> torch.Tensor:
    devices = (_str(_getattr(yhat, "device", _cpu).type), _str(_getattr(y, "device", _cpu).type))
    if _stop_after is not None and _len(_entries) + 1 >= _stop_after:
        _append((None, _bool(_grad()), None, None, *devices))
        raise _stop()
    loss = _loss(yhat, y)
    _append((_int(yhat.shape[0]) if yhat.dim() else 1, _bool(_grad()),
             None if loss.device.type == "meta" else _float(loss.detach().double().cpu()),
             _bool(y.requires_grad and not yhat.requires_grad), *devices))
    return loss


_LOSS_FIELDS = ("batch", "grad", "value", "target_first")


class LossRecorder:
    """A loss function to hand to the student's code (`loss_fn`, MSE unless told otherwise) and the record of every
    call: its batch size, whether autograd was on, its value, whether the target was the one that requires grad,
    and the devices of prediction and target. With `stop_after`, the run ends (Stop) at that call.

    What the student's code gets is a torch loss module whose forward is a sealed function: nothing of the grader's
    class, module or records is in its reach. A forward replaced on it, or hooks added, show when the calls are read.
    """

    def __init__(self, loss: nn.Module | None = None, *, stop_after: int | None = None) -> None:
        self.loss_fn = nn.MSELoss() if loss is None else loss
        self._records = _Records("the loss function's calls")
        entries = self._records.entries
        self._forward = _bind(_loss_forward, type(self.loss_fn).forward.__get__(self.loss_fn), entries.append,
                              stop_after, len, entries)
        self.loss_fn.forward = self._forward
        self._unchanged = _Unchanged(self.loss_fn)

    def _entries(self) -> list[tuple[Any, ...]]:
        self._unchanged.check("the loss function")
        return self._records.read()

    @property
    def calls(self) -> list[dict[str, Any]]:
        """The recorded calls that computed a loss, in order."""
        return [dict(zip(_LOSS_FIELDS, entry)) for entry in self._entries() if entry[0] is not None]

    @property
    def devices(self) -> list[str] | None:
        """The devices of prediction and target at the first call, or None if it was never called."""
        entries = self._entries()
        return list(entries[0][4:]) if entries else None
