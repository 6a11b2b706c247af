# Generated from solutions/02_autograd/autograd_basics.py by `autograder generate`: course authors edit there; students write their code here.
"""Exercise 02: the same linear regression, with PyTorch tensors and autograd.

Instead of working out the gradients by hand, we let autograd compute them:
``loss.backward()`` fills ``a.grad`` and ``b.grad``. We still update the
parameters ourselves, the four steps are the same as in exercise 01.
"""

import numpy as np
import torch


def to_tensors(
    x: np.ndarray, y: np.ndarray, device: str | torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Turn numpy arrays into float32 tensors on ``device``.

    Args:
        x: numpy array of shape (n, 1) (any float dtype).
        y: numpy array of shape (n, 1) (any float dtype).
        device: where the tensors go, e.g. ``"cpu"``, ``"cuda"`` or a
            ``torch.device``.

    Returns:
        (x_t, y_t): float32 tensors of shape (n, 1) on ``device``.
    """
    # TODO: convert x and y with torch.as_tensor, to float32 and to device.
    raise NotImplementedError("to_tensors: not implemented yet")


def init_parameters(
    device: str | torch.device, seed: int = 42
) -> tuple[torch.Tensor, torch.Tensor]:
    """Create the parameters ``a`` and ``b``, at random, directly on ``device``.

    Calls ``torch.manual_seed(seed)`` first, then draws ``a`` then ``b``.

    Args:
        device: where the tensors are created.
        seed: the seed given to ``torch.manual_seed``.

    Returns:
        (a, b): float32 tensors of shape (1,) on ``device``, with
        ``requires_grad=True``; both are leaf tensors (``a.is_leaf`` is True),
        so ``backward()`` fills their ``.grad``.
    """
    # TODO: seed torch, then create a and b with torch.randn(1, requires_grad=True, dtype=torch.float, device=device).
    raise NotImplementedError("init_parameters: not implemented yet")


def manual_step(
    a: torch.Tensor, b: torch.Tensor, x: torch.Tensor, y: torch.Tensor, lr: float
) -> float:
    """Do one gradient-descent step with autograd, updating ``a`` and ``b`` in place.

    Args:
        a: float32 leaf tensor of shape (1,) with ``requires_grad=True``.
        b: float32 leaf tensor of shape (1,) with ``requires_grad=True``, on
            the same device as ``a``.
        x: float32 tensor of shape (n, 1), on the same device.
        y: float32 tensor of shape (n, 1), on the same device.
        lr: learning rate.

    Returns:
        The MSE loss computed before the update, as a Python float. On return
        ``a`` and ``b`` hold the updated values (same tensor objects, still
        leaves requiring grad) and their gradients are zero.
    """
    # TODO: predict, compute the MSE, call backward(), update a and b in place under torch.no_grad(), zero the grads.
    raise NotImplementedError("manual_step: not implemented yet")


def fit_autograd(
    x: np.ndarray,
    y: np.ndarray,
    lr: float = 0.1,
    n_epochs: int = 1000,
    device: str | torch.device = "cpu",
    seed: int = 42,
) -> tuple[float, float, list[float]]:
    """Fit y = a + b * x with autograd, using the three functions above.

    Args:
        x: numpy array of shape (n, 1), the features.
        y: numpy array of shape (n, 1), the targets.
        lr: learning rate.
        n_epochs: number of full-batch steps.
        device: where the tensors and parameters live.
        seed: the seed given to ``init_parameters``.

    Returns:
        (a, b, losses): ``a`` and ``b`` Python floats, the fitted intercept
        and slope; ``losses`` a list of ``n_epochs`` Python floats, the loss
        of each epoch before its update.
    """
    # TODO: use to_tensors, init_parameters and manual_step (once per epoch); return floats.
    raise NotImplementedError("fit_autograd: not implemented yet")
