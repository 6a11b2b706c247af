# Generated from solutions/06_checkpoint/checkpoint.py by `autograder generate`: course authors edit there; students write their code here.
"""Exercise 06: checkpoints and learning-rate schedulers.

A checkpoint holds everything needed to resume training exactly where it
stopped: the model's weights, the optimizer's state (Adam keeps running
averages of the gradients), the number of epochs done and the loss histories.
For inference only the weights are needed.

``validation`` and ``train_loop`` from exercise 05 are given, complete.
"""

import os
from collections.abc import Callable

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader


# ---------------------------------------------------------------------------
# Given: validation and train_loop from exercise 05
# ---------------------------------------------------------------------------


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
    device = next(model.parameters()).device
    model.eval()
    batch_losses = []
    with torch.no_grad():
        for x_batch, y_batch in val_loader:
            x_batch = x_batch.to(device)
            y_batch = y_batch.to(device)
            yhat = model(x_batch)
            loss = loss_fn(yhat, y_batch)
            batch_losses.append(loss.item())
    return float(np.mean(batch_losses))


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
        ``val_losses`` is a list of ``n_epochs`` Python floats, or ``[]``
        without ``val_loader``.
    """
    device = next(model.parameters()).device
    losses = []
    val_losses = []
    for _ in range(n_epochs):
        model.train()
        batch_losses = []
        for x_batch, y_batch in train_loader:
            x_batch = x_batch.to(device)
            y_batch = y_batch.to(device)

            yhat = model(x_batch)
            loss = loss_fn(yhat, y_batch)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()

            batch_losses.append(loss.item())
        losses.append(float(np.mean(batch_losses)))

        if val_loader is not None:
            val_losses.append(validation(model, loss_fn, val_loader))
    return losses, val_losses


# ---------------------------------------------------------------------------
# Your work
# ---------------------------------------------------------------------------


def save_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    epoch: int,
    losses: list[float],
    val_losses: list[float],
) -> None:
    """Save everything needed to resume training to ``path`` with ``torch.save``.

    The file holds a dict with the keys ``"epoch"`` (int), ``"model_state_dict"``,
    ``"optimizer_state_dict"``, ``"loss"`` and ``"val_loss"`` (lists of
    Python floats, so that ``torch.load(..., weights_only=True)`` accepts them).

    Args:
        path: file to write (a str or path-like).
        model: the model whose ``state_dict()`` is saved (any device).
        optimizer: the optimizer whose ``state_dict()`` is saved.
        epoch: number of epochs trained so far.
        losses: training loss of each epoch so far (floats, or anything
            ``float()`` accepts, e.g. numpy scalars).
        val_losses: validation loss of each epoch so far (may be empty).

    Returns:
        None.
    """
    # TODO: torch.save a dict with the keys epoch, model_state_dict, optimizer_state_dict, loss and val_loss.
    raise NotImplementedError("save_checkpoint: not implemented yet")


def load_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
) -> tuple[int, list[float], list[float]]:
    """Restore a checkpoint written by ``save_checkpoint``, ready to resume training.

    Args:
        path: the checkpoint file.
        model: a model of the same architecture; its weights are overwritten.
            The tensors are loaded onto its device (``map_location``).
        optimizer: an optimizer of the same kind over ``model.parameters()``;
            its state (e.g. Adam's moments, step count, learning rate) is
            overwritten.

    Returns:
        (epoch, losses, val_losses): an int and two lists of Python floats,
        as saved. The model is left in train mode.
    """
    # TODO: torch.load with map_location=the model's device and weights_only=True, restore both states, set train mode.
    raise NotImplementedError("load_checkpoint: not implemented yet")


def load_for_inference(path: str | os.PathLike, model: nn.Module) -> nn.Module:
    """Restore only the weights of a checkpoint, to make predictions.

    Args:
        path: a checkpoint file written by ``save_checkpoint``.
        model: a model of the same architecture; its weights are overwritten,
            on its own device.

    Returns:
        the same ``model`` object, in eval mode.
    """
    # TODO: load the checkpoint onto the model's device (weights_only=True), restore the weights and set eval mode.
    raise NotImplementedError("load_for_inference: not implemented yet")


def train_with_scheduler(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler
    | torch.optim.lr_scheduler.ReduceLROnPlateau,
    n_epochs: int,
    train_loader: DataLoader,
    val_loader: DataLoader,
) -> tuple[list[float], list[float], list[float]]:
    """Train like ``train_loop``, stepping a learning-rate scheduler once per epoch.

    Args:
        model: the model to train (in place); its device is taken from its
            parameters.
        loss_fn: called as ``loss_fn(yhat, y)``, returns a scalar tensor.
        optimizer: an optimizer over ``model.parameters()``.
        scheduler: a scheduler over ``optimizer``, stepped once per epoch
            after validation; a ``ReduceLROnPlateau`` is given the epoch's
            validation loss, ``scheduler.step(val_loss)``.
        n_epochs: number of passes over ``train_loader``.
        train_loader: yields ``(x, y)`` batches of CPU tensors.
        val_loader: yields validation batches of CPU tensors.

    Returns:
        (losses, val_losses, learning_rates): three lists of ``n_epochs``
        Python floats: the mean training loss of each epoch, the validation
        loss after each epoch, and the learning rate used during each epoch
        (``optimizer.param_groups[0]["lr"]`` before the scheduler steps).
        The tutorial appends the rate after ``scheduler.step()``, i.e. the
        next epoch's rate; this course records the rate the epoch trained with.
    """
    # TODO: as in train_loop, validate every epoch, record the learning rate, then step the scheduler.
    raise NotImplementedError("train_with_scheduler: not implemented yet")
