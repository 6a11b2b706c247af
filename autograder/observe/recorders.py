"""Recorders built on PyTorch's own hooks: what the model, the optimizer and autograd saw.

References to torch functions are captured when this module is imported (in the
fork server, before any student code exists), so a student who replaces
`torch.is_grad_enabled` does not change what is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn.modules.module import register_module_forward_pre_hook
from torch.optim.optimizer import register_optimizer_step_post_hook

_is_grad_enabled = torch.is_grad_enabled
_is_inference_mode_enabled = torch.is_inference_mode_enabled


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


@dataclass
class ForwardCall:
    training: bool
    grad: bool
    inference: bool
    device: str | None
    batch: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"training": self.training, "grad": self.grad, "inference": self.inference,
                "device": self.device, "batch": self.batch}


@dataclass
class ForwardRecorder:
    """Records the mode of `model` at each of its forward calls (through `model(...)`)."""

    model: nn.Module
    stop_after: int | None = None
    calls: list[ForwardCall] = field(default_factory=list)
    child_calls: int = 0

    def __enter__(self) -> "ForwardRecorder":
        children = {id(m) for m in self.model.modules() if m is not self.model}

        def hook(module: nn.Module, args: Any) -> None:
            if module is self.model:
                x = _first_tensor(args)
                self.calls.append(ForwardCall(
                    training=module.training, grad=_is_grad_enabled(), inference=_is_inference_mode_enabled(),
                    device=None if x is None else x.device.type,
                    batch=None if x is None or x.dim() == 0 else int(x.shape[0])))
                if self.stop_after is not None and len(self.calls) >= self.stop_after:
                    raise Stop()
            elif id(module) in children:
                self.child_calls += 1

        self._handle = register_module_forward_pre_hook(hook)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._handle.remove()

    def bypassed(self) -> bool:
        """The model's layers ran but `model(...)` was never called (model.forward(x) was)."""
        return not self.calls and self.child_calls > 0

    def as_list(self) -> list[dict[str, Any]]:
        return [c.as_dict() for c in self.calls]


@dataclass
class StepRecorder:
    """Counts optimizer steps that updated `model`'s parameters, wherever the optimizer was made."""

    model: nn.Module
    steps: int = 0
    lrs: list[float] = field(default_factory=list)
    optimizers: set[int] = field(default_factory=set)
    optimizer_types: set[str] = field(default_factory=set)

    def __enter__(self) -> "StepRecorder":
        own = {id(p) for p in self.model.parameters()}

        def hook(optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
            for group in optimizer.param_groups:
                if any(id(p) in own for p in group["params"]):
                    self.steps += 1
                    self.lrs.append(float(group["lr"]))
                    self.optimizers.add(id(optimizer))
                    self.optimizer_types.add(type(optimizer).__name__)
                    return

        self._handle = register_optimizer_step_post_hook(hook)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._handle.remove()

    def as_dict(self) -> dict[str, Any]:
        return {"steps": self.steps, "lrs": self.lrs[:5] + self.lrs[-5:], "n_optimizers": len(self.optimizers),
                "optimizer_types": sorted(self.optimizer_types)}


@dataclass
class GradAccumulationDetector:
    """Counts backward passes that added into a gradient left over from an earlier step."""

    model: nn.Module
    backwards: int = 0
    accumulated: int = 0

    def __enter__(self) -> "GradAccumulationDetector":
        params = [p for p in self.model.parameters() if p.requires_grad]
        self._handles = []
        if params:
            watched = params[0]

            def hook(grad: torch.Tensor) -> None:
                self.backwards += 1
                old = watched.grad
                if old is not None and old.device.type != "meta" and bool(old.ne(0).any()):
                    self.accumulated += 1

            self._handles.append(watched.register_hook(hook))
        return self

    def __exit__(self, *exc: Any) -> None:
        for h in self._handles:
            h.remove()

    def as_dict(self) -> dict[str, Any]:
        return {"backwards": self.backwards, "accumulated": self.accumulated}
