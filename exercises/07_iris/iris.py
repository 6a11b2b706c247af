# Generated from solutions/07_iris/iris.py by `autograder generate`: course authors edit there; students write their code here.
"""Exercise 07: classifying iris flowers with a two-layer network.

The iris data set has 150 flowers, 4 measurements each (sepal length and
width, petal length and width, in cm) and 3 species (labels 0, 1, 2). We split
it into training and validation sets, train a small fully connected network
with cross-entropy, and look at the loss curves, the accuracy and the
training time.
"""

import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from matplotlib.figure import Figure
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split


def load_iris_data(
    val_fraction: float = 0.25, seed: int = 42
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Load scikit-learn's iris data set and split it, stratified by species.

    Args:
        val_fraction: fraction of the 150 flowers kept for validation
            (``test_size`` of ``train_test_split``).
        seed: ``random_state`` of ``train_test_split``.

    Returns:
        (x_train, y_train, x_val, y_val): features are float32 CPU tensors of
        shape (N, 4), labels int64 CPU tensors of shape (N,) with values in
        {0, 1, 2}. With the defaults, N = 112 for training and 38 for
        validation, with the three species in the same proportions in both.
    """
    # TODO: split sklearn's iris with train_test_split (stratified, seeded) and convert it to tensors.
    raise NotImplementedError("load_iris_data: not implemented yet")


class IrisClassifier(nn.Module):
    """A two-layer fully connected network: fc1 -> ReLU -> fc2.

    Attributes:
        fc1: ``nn.Linear(n_features, n_hidden)``.
        fc2: ``nn.Linear(n_hidden, n_classes)``.
    """

    def __init__(self, n_features: int = 4, n_hidden: int = 1024, n_classes: int = 3) -> None:
        """Create the two layers.

        Args:
            n_features: number of input features (4 for iris).
            n_hidden: number of hidden units.
            n_classes: number of classes, i.e. of output logits (3 for iris).
        """
        super().__init__()
        # TODO: create self.fc1 (n_features -> n_hidden) and self.fc2 (n_hidden -> n_classes).
        raise NotImplementedError("IrisClassifier.__init__: not implemented yet")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Compute the logits.

        Args:
            x: float32 tensor of shape (N, n_features) on the model's device.

        Returns:
            float32 tensor of shape (N, n_classes), the logits (no softmax:
            ``nn.CrossEntropyLoss`` applies log-softmax itself).
        """
        # TODO: apply fc1, a ReLU, then fc2, and return the logits.
        raise NotImplementedError("IrisClassifier.forward: not implemented yet")


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Compute the cross-entropy loss of ``model`` on data it does not train on.

    Args:
        model: a classifier returning logits of shape (N, n_classes); its
            device is taken from its parameters.
        x: float32 tensor of shape (N, n_features), any device (moved to the model's).
        y: int64 tensor of shape (N,), class indices, any device.

    Returns:
        the mean cross-entropy, a Python float. Computed in eval mode under
        ``torch.no_grad()``; the model is left in eval mode.
    """
    # TODO: set eval mode and, under torch.no_grad(), return the cross-entropy as a float.
    raise NotImplementedError("evaluate: not implemented yet")


def train(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    n_epochs: int = 3000,
    lr: float = 1e-4,
    x_val: torch.Tensor | None = None,
    y_val: torch.Tensor | None = None,
) -> tuple[list[float], list[float]]:
    """Train ``model`` full-batch with cross-entropy and an optimizer.

    The tutorial uses ``torch.optim.Adam``, and so does the reference; any
    ``torch.optim`` optimizer is accepted, as long as it steps ``model``'s
    parameters with the ``lr`` given here.

    Args:
        model: a classifier returning logits of shape (N, n_classes), trained
            in place; its device is taken from its parameters.
        x: float32 tensor of shape (N, n_features), any device (moved to the model's).
        y: int64 tensor of shape (N,), class indices, any device.
        n_epochs: number of full-batch steps.
        lr: learning rate of the optimizer.
        x_val: optional float32 tensor of shape (M, n_features), validation features.
        y_val: optional int64 tensor of shape (M,), validation labels.

    Returns:
        (losses, val_losses): ``losses`` a list of ``n_epochs`` Python floats,
        the training loss of each epoch (before its update); ``val_losses`` a
        list of ``n_epochs`` Python floats from ``evaluate`` after each
        epoch's update when validation data is given, else ``[]``.
    """
    # TODO: the optimizer (Adam as in the tutorial; any is fine) with lr=lr and the loss once; per epoch: train mode, zero_grad, forward, loss, backward, step, evaluate if x_val given.
    raise NotImplementedError("train: not implemented yet")


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Compute the fraction of points whose predicted class is right.

    Args:
        model: a classifier returning logits of shape (N, n_classes); its
            device is taken from its parameters.
        x: float32 tensor of shape (N, n_features), any device.
        y: int64 tensor of shape (N,), class indices, any device.

    Returns:
        a Python float in [0, 1]: the fraction of rows where the argmax of the
        logits equals ``y``. Computed in eval mode under ``torch.no_grad()``.
    """
    # TODO: in eval mode, without gradients, compare the argmax of the logits with y and return the mean as a float.
    raise NotImplementedError("accuracy: not implemented yet")


def plot_losses(losses: list[float], val_losses: list[float] | None = None) -> Figure:
    """Plot the training (and validation) loss against the epochs.

    Args:
        losses: training loss of each epoch (list of floats).
        val_losses: optional validation loss of each epoch (list of floats);
            nothing is drawn for it when None or empty.

    Returns:
        a ``matplotlib.figure.Figure`` with one Axes: x label ``"epoch"``,
        y label ``"loss"``, lines labelled ``"training"`` (and
        ``"validation"``) in a legend. The figure is not shown.
    """
    # TODO: one Figure, one Axes: curves labelled "training"/"validation", axis labels, legend.
    raise NotImplementedError("plot_losses: not implemented yet")


def time_training(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    n_epochs: int = 3000,
    lr: float = 1e-4,
) -> tuple[float, list[float]]:
    """Measure the wall-clock time of ``train(model, x, y, n_epochs, lr)``.

    GPU work runs asynchronously: on a CUDA or MPS device the accelerator is
    synchronised before starting and before stopping the clock, so that the
    time covers all the work.

    Args:
        model: the classifier to train (in place), on any device.
        x: float32 tensor of shape (N, n_features).
        y: int64 tensor of shape (N,).
        n_epochs: number of epochs given to ``train``.
        lr: learning rate given to ``train``.

    Returns:
        (seconds, losses): the elapsed time as a Python float (from
        ``time.perf_counter``), and the list of ``n_epochs`` training losses
        returned by ``train``.
    """
    # TODO: synchronise the accelerator if any, read time.perf_counter, train, synchronise again, read the clock.
    raise NotImplementedError("time_training: not implemented yet")
