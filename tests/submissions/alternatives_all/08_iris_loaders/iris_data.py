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



from torch.utils.data import TensorDataset
import matplotlib.pyplot as plt


class IrisDataset(TensorDataset):
    def __init__(self, features, labels):
        super().__init__(torch.as_tensor(features, dtype=torch.float32, device="cpu"),
                         torch.as_tensor(labels, dtype=torch.int64, device="cpu"))


def make_iris_loaders(batch_size=16, seed=42):
    xt, yt, xv, yv = load_iris_data(seed=seed)
    g = torch.Generator()
    g.manual_seed(seed)
    return (DataLoader(IrisDataset(xt, yt), batch_size, shuffle=True, generator=g),
            DataLoader(IrisDataset(xv, yv), batch_size, shuffle=False))


@torch.no_grad()
def _validate(model, loader, device):
    model.eval()
    return float(np.mean([F.cross_entropy(model(x.to(device)), y.to(device)).item() for x, y in loader]))


def train_with_loaders(model, train_loader, val_loader, n_epochs, lr):
    device = next(model.parameters()).device
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses, val_losses = [], []
    for _ in range(n_epochs):
        model.train()
        epoch = []
        for x, y in train_loader:
            x = x.to(device, non_blocking=True)
            y = y.to(device, non_blocking=True)
            opt.zero_grad(set_to_none=False)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            epoch.append(loss.item())
        losses.append(sum(epoch) / len(epoch))
        val_losses.append(_validate(model, val_loader, device))
    return losses, val_losses


def show_batch(loader):
    features, labels = next(iter(loader))
    fig = plt.figure()
    for k, (i, j) in enumerate([(0, 1), (2, 3)]):
        ax = fig.add_subplot(1, 2, k + 1)
        for c, name in enumerate(CLASS_NAMES):
            m = labels == c
            ax.plot(features[m, i].numpy(), features[m, j].numpy(), "o", label=name)
        ax.legend()
    return fig
