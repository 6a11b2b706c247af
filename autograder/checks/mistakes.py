"""Known PyTorch error messages and what they usually mean for a student of this course."""

from __future__ import annotations

import re

_MISTAKES: list[tuple[str, str]] = [
    (r"Expected all tensors to be on the same device|is on the expected device|device type .* but got",
     "a tensor is on a different device than the model: move each batch with "
     "`.to(device)` where `device = next(model.parameters()).device`"),
    (r"mat1 and mat2 shapes cannot be multiplied|size mismatch",
     "a layer received inputs of the wrong shape: check `in_features`/`out_features` of your nn.Linear layers"),
    (r"element 0 of tensors does not require grad",
     "the loss is not connected to any parameter that requires grad: create parameters with "
     "`requires_grad=True`, and do not compute the training loss under `torch.no_grad()`"),
    (r"leaf Variable that requires grad is being used in an in-place operation",
     "update parameters in place only inside `with torch.no_grad():`"),
    (r"'NoneType' object has no attribute 'zero_'",
     "`.grad` is None: call `loss.backward()` first, and create parameters directly on the device "
     "(`torch.randn(1, requires_grad=True, device=device)`) so they stay leaf tensors"),
    (r"backward through the graph a second time",
     "the graph was reused after backward(): compute the prediction and the loss anew in every step"),
    (r"expected scalar type Long|Expected floating point type for target|0D or 1D target tensor expected|"
     r"multi-target not supported",
     "CrossEntropyLoss wants logits of shape (N, C) and int64 class labels of shape (N,)"),
    (r"Weights only load failed|Unsupported global",
     "the checkpoint holds objects torch.load(weights_only=True) refuses: store only tensors, state_dicts, "
     "ints, floats and lists (use float(loss) rather than numpy scalars)"),
    (r"Can't call numpy\(\) on Tensor that requires grad",
     "call `.detach()` (or `.item()` for a single number) before converting a tensor to numpy"),
    (r"Module.to_empty\(\) instead of torch.nn.Module.to\(\)",
     "your code moved the model to another device. The grader gives your function a model on a stand-in device "
     "(`meta`) to see that every batch follows the model; the tutorial's StepByStep class picks a device of its own "
     "('cuda' if available, else 'cpu') and moves the model there. This course's functions train the model on the "
     "device the caller put it on, so that the caller decides: take `device = next(model.parameters()).device` and "
     "move the batches there, not the model"),
    (r"Tensor.item\(\) cannot be called on meta tensors|Cannot copy out of meta tensor",
     "your code reads a value from a tensor on the model's device before moving it: compute on the device, "
     "then call `.item()` on the loss"),
    (r"can't convert (cuda|mps|meta).* to numpy",
     "move the tensor to the CPU with `.cpu()` before calling `.numpy()`"),
    (r"object has no attribute 'parameters'", "pass the model itself (an nn.Module), not its output"),
    (r"shape '.*' is invalid for input of size|The size of tensor a .* must match the size of tensor b",
     "two tensors have incompatible shapes: print `.shape` of the prediction and the target"),
]


def likely_cause(message: str) -> str | None:
    """A plain-words explanation for a PyTorch error message, if it is a known one."""
    for pattern, cause in _MISTAKES:
        if re.search(pattern, message):
            return cause
    return None
