# Generated from solutions/05_training_loop/loop.py by `autograder generate`: course authors edit there; students write their code here.
"""Exercise 05: the training loop, with mini-batches and validation.

Each epoch goes once through the training loader (model in train mode,
one optimizer step per mini-batch) and then, when a validation loader is
given, once through the validation loader (model in eval mode, no gradients).
The datasets stay on the CPU; each batch is moved to the model's device.
"""

from collections.abc import Callable

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader


def validation(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    val_loader: DataLoader,
) -> float:
    """Compute the loss of ``model`` on a validation loader, without training.

    Args:
        model: the model; its device is taken from its parameters.
        loss_fn: called as ``loss_fn(yhat, y)``, returns a scalar tensor.
        val_loader: yields ``(x, y)`` batches of CPU tensors (moved here to
            the model's device).

    Returns:
        the mean of the batch losses, a Python float. The model is left in
        eval mode; no gradient is computed.
    """
    # TODO: in eval mode and under torch.no_grad(), average loss_fn over the batches (moved to the model's device).
    raise NotImplementedError("validation: not implemented yet")


def train_loop(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    n_epochs: int,
    train_loader: DataLoader,
    val_loader: DataLoader | None = None,
) -> tuple[list[float], list[float]]:
    """Train ``model`` for ``n_epochs`` epochs of mini-batch gradient descent.

    Args:
        model: the model to train (in place); its device is taken from its
            parameters.
        loss_fn: called as ``loss_fn(yhat, y)``, returns a scalar tensor.
        optimizer: an optimizer over ``model.parameters()``.
        n_epochs: number of passes over ``train_loader``.
        train_loader: yields ``(x, y)`` batches of CPU tensors.
        val_loader: optional loader of validation batches, evaluated with
            ``validation`` after each epoch.

    Returns:
        (losses, val_losses): ``losses`` is a list of ``n_epochs`` Python
        floats, each the mean of that epoch's mini-batch losses;
        ``val_losses`` is a list of ``n_epochs`` Python floats (the
        validation loss after each epoch), or ``[]`` without ``val_loader``.
    """
    # TODO: per epoch: train mode, one step per batch (on the model's device), mean loss, then validation.
    raise NotImplementedError("train_loop: not implemented yet")
