# Generated from solutions/03_modules/models.py by `autograder generate`: course authors edit there; students write their code here.
"""Exercise 03: models as ``nn.Module``s, an optimizer and a loss function.

The parameters now live inside a model; ``optim.SGD`` does the update and
``nn.MSELoss`` computes the loss. ``make_train_step`` builds a function that
performs one complete training step, so the training loop becomes one line.
"""

from collections.abc import Callable

import torch
import torch.nn as nn
import torch.optim as optim


class ManualLinearRegression(nn.Module):
    """y = a + b * x with the two parameters declared by hand.

    Attributes:
        a: ``nn.Parameter`` of shape (1,), float32, the intercept.
        b: ``nn.Parameter`` of shape (1,), float32, the slope.
    """

    def __init__(self) -> None:
        """Create ``a`` and ``b`` as ``nn.Parameter``s of shape (1,), drawn with ``torch.randn``."""
        super().__init__()
        # TODO: make a and b nn.Parameters of shape (1,) initialised with torch.randn(1).
        raise NotImplementedError("ManualLinearRegression.__init__: not implemented yet")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Compute the predictions.

        Args:
            x: float32 tensor of shape (N, 1) on the model's device.

        Returns:
            float32 tensor of shape (N, 1), ``a + b * x``, on the same device.
        """
        # TODO: return a + b * x.
        raise NotImplementedError("ManualLinearRegression.forward: not implemented yet")


class LayerLinearRegression(nn.Module):
    """y = a + b * x with a ready-made layer.

    Attributes:
        linear: ``nn.Linear(1, 1)``; its ``bias`` plays the role of ``a`` and
            its ``weight`` (shape (1, 1)) the role of ``b``.
    """

    def __init__(self) -> None:
        """Create the layer ``self.linear = nn.Linear(1, 1)``."""
        super().__init__()
        # TODO: create self.linear, a linear layer with one input and one output.
        raise NotImplementedError("LayerLinearRegression.__init__: not implemented yet")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Compute the predictions.

        Args:
            x: float32 tensor of shape (N, 1) on the model's device.

        Returns:
            float32 tensor of shape (N, 1) on the same device.
        """
        # TODO: return the output of self.linear.
        raise NotImplementedError("LayerLinearRegression.forward: not implemented yet")


def make_sequential() -> nn.Sequential:
    """Build the same model as an ``nn.Sequential``.

    Returns:
        an ``nn.Sequential`` holding exactly one ``nn.Linear(1, 1)``, on the CPU.
    """
    # TODO: return an nn.Sequential with a single nn.Linear(1, 1).
    raise NotImplementedError("make_sequential: not implemented yet")


def make_train_step(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: optim.Optimizer,
) -> Callable[[torch.Tensor, torch.Tensor], float]:
    """Build a function that performs one training step of ``model``.

    Args:
        model: the model to train.
        loss_fn: a loss such as ``nn.MSELoss()``, called as ``loss_fn(yhat, y)``.
        optimizer: an optimizer over ``model.parameters()``.

    Returns:
        ``train_step(x, y) -> float``: given float32 tensors ``x`` of shape
        (N, 1) and ``y`` of shape (N, 1), both on the model's device, it puts
        the model in train mode, predicts, computes the loss, back-propagates,
        updates the parameters, zeroes the gradients and returns the loss
        (before the update) as a Python float.
    """
    # TODO: define and return an inner function train_step(x, y) that does the four steps and returns loss.item().
    raise NotImplementedError("make_train_step: not implemented yet")


def fit_model(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    lr: float = 0.1,
    n_epochs: int = 1000,
) -> list[float]:
    """Train ``model`` full-batch with SGD and the mean squared error.

    Args:
        model: a model mapping (N, 1) to (N, 1), e.g. one of the above; its
            device is taken from its parameters.
        x: float32 tensor of shape (N, 1), on any device (moved to the model's).
        y: float32 tensor of shape (N, 1), on any device (moved to the model's).
        lr: learning rate of ``optim.SGD``.
        n_epochs: number of full-batch steps.

    Returns:
        list of ``n_epochs`` Python floats, the loss of each epoch (before
        its update). The model is trained in place.
    """
    # TODO: move x and y to the model's device, create SGD and MSELoss, make a train step and call it n_epochs times.
    raise NotImplementedError("fit_model: not implemented yet")
