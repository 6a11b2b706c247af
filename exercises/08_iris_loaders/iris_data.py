# Generated from solutions/08_iris_loaders/iris_data.py by `autograder generate`: course authors edit there; students write their code here.
"""Exercise 08: the iris classifier trained on mini-batches from a DataLoader.

Instead of the whole training set at every step, the model now sees
shuffled mini-batches from a ``DataLoader`` built over a map-style
``Dataset``. The dataset and the loaders keep their tensors on the CPU;
the training loop moves each batch to the model's device.

``load_iris_data``, ``IrisClassifier`` and ``evaluate`` from exercise 07 are
given, complete.
"""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from matplotlib.figure import Figure
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, Dataset

# Names of the four features and the three classes, in scikit-learn's order
FEATURE_NAMES = [
    "sepal length (cm)",
    "sepal width (cm)",
    "petal length (cm)",
    "petal width (cm)",
]
CLASS_NAMES = ["setosa", "versicolor", "virginica"]


# ---------------------------------------------------------------------------
# Given: load_iris_data, IrisClassifier and evaluate from exercise 07
# ---------------------------------------------------------------------------


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
        {0, 1, 2}. With the defaults, N = 112 for training and 38 for validation.
    """
    iris = load_iris()
    x_train, x_val, y_train, y_val = train_test_split(
        iris.data,
        iris.target,
        test_size=val_fraction,
        stratify=iris.target,
        random_state=seed,
    )
    return (
        torch.as_tensor(x_train, dtype=torch.float32),
        torch.as_tensor(y_train, dtype=torch.int64),
        torch.as_tensor(x_val, dtype=torch.float32),
        torch.as_tensor(y_val, dtype=torch.int64),
    )


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
        self.fc1 = nn.Linear(n_features, n_hidden)
        self.fc2 = nn.Linear(n_hidden, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Compute the logits.

        Args:
            x: float32 tensor of shape (N, n_features) on the model's device.

        Returns:
            float32 tensor of shape (N, n_classes), the logits.
        """
        x = F.relu(self.fc1(x))
        return self.fc2(x)


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
    device = next(model.parameters()).device
    x, y = x.to(device), y.to(device)
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = F.cross_entropy(logits, y)
    return loss.item()


# ---------------------------------------------------------------------------
# Your work
# ---------------------------------------------------------------------------


class IrisDataset(Dataset):
    """A map-style dataset over the iris features and labels, kept on the CPU.

    Attributes:
        features: float32 CPU tensor of shape (N, 4).
        labels: int64 CPU tensor of shape (N,).
    """

    def __init__(
        self, features: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor
    ) -> None:
        """Store the features and labels as CPU tensors.

        Args:
            features: numpy array or tensor of shape (N, 4), any float dtype
                and any device; stored as a float32 CPU tensor.
            labels: numpy array or tensor of shape (N,), integer class
                indices; stored as an int64 CPU tensor.
        """
        super().__init__()
        # TODO: store self.features (float32) and self.labels (int64) as CPU tensors.
        raise NotImplementedError("IrisDataset.__init__: not implemented yet")

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Return flower ``index``.

        Args:
            index: an int in [0, N).

        Returns:
            (x, y): ``x`` a float32 CPU tensor of shape (4,), ``y`` an int64
            CPU tensor of shape () (a 0-dim tensor holding the class index).
        """
        # TODO: return the features and the label of flower index.
        raise NotImplementedError("IrisDataset.__getitem__: not implemented yet")

    def __len__(self) -> int:
        """Return N, the number of flowers, as an int."""
        # TODO: return the number of flowers.
        raise NotImplementedError("IrisDataset.__len__: not implemented yet")


def make_iris_loaders(batch_size: int = 16, seed: int = 42) -> tuple[DataLoader, DataLoader]:
    """Build a training and a validation loader over the iris split of ``load_iris_data``.

    Args:
        batch_size: mini-batch size of both loaders.
        seed: given to ``load_iris_data(seed=seed)`` for the split, and used
            to seed the ``torch.Generator`` that shuffles the training loader.

    Returns:
        (train_loader, val_loader): ``DataLoader``s over two ``IrisDataset``s
        (112 and 38 flowers with the defaults). Each batch is a pair
        (float32 CPU tensor (B, 4), int64 CPU tensor (B,)), B <= batch_size.
        The training loader shuffles reproducibly; the validation loader
        does not shuffle.
    """
    # TODO: wrap each part of load_iris_data(seed=seed) in an IrisDataset and a DataLoader.
    raise NotImplementedError("make_iris_loaders: not implemented yet")


def train_with_loaders(
    model: nn.Module,
    train_loader: DataLoader,
    val_loader: DataLoader,
    n_epochs: int,
    lr: float,
) -> tuple[list[float], list[float]]:
    """Train ``model`` on mini-batches with cross-entropy and Adam, validating every epoch.

    Args:
        model: a classifier returning logits of shape (B, n_classes), trained
            in place; its device is taken from its parameters.
        train_loader: yields (float32 (B, 4), int64 (B,)) CPU batches; each
            is moved to the model's device.
        val_loader: yields validation batches of the same kind.
        n_epochs: number of passes over ``train_loader``.
        lr: learning rate of ``torch.optim.Adam``.

    Returns:
        (losses, val_losses): two lists of ``n_epochs`` Python floats: the
        mean of each epoch's mini-batch training losses, and the mean of the
        validation batch losses after each epoch (eval mode, no gradients).
    """
    # TODO: Adam and the loss once; per epoch: train mode, one step per batch, then the validation loss.
    raise NotImplementedError("train_with_loaders: not implemented yet")


def show_batch(loader: DataLoader) -> Figure:
    """Draw one batch of a loader: sepal length against sepal width, coloured by species.

    The random state of a shuffled loader is restored afterwards, so that
    drawing a batch does not change the order of the batches seen in training.

    Args:
        loader: yields (float32 (B, 4), int64 (B,)) batches, e.g. from
            ``make_iris_loaders``.

    Returns:
        a ``matplotlib.figure.Figure`` with one Axes: a scatter plot of
        feature 0 (x axis) against feature 1 (y axis) of the first batch,
        one colour per label, with a legend. The figure is not shown.
    """
    # TODO: take the first batch with next(iter(loader)) and scatter feature 0 against feature 1, one colour per label.
    raise NotImplementedError("show_batch: not implemented yet")
