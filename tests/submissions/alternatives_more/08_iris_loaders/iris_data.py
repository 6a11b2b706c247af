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



import matplotlib.pyplot as plt


class IrisDataset(Dataset):
    def __init__(self, features, labels):
        self.x = torch.tensor(np.asarray(features.cpu() if torch.is_tensor(features) else features), dtype=torch.float32)
        self.y = torch.tensor(np.asarray(labels.cpu() if torch.is_tensor(labels) else labels), dtype=torch.long)

    def __getitem__(self, index):
        return (self.x[index], self.y[index])

    def __len__(self):
        return self.x.shape[0]


def make_iris_loaders(batch_size=16, seed=42):
    x_train, y_train, x_val, y_val = load_iris_data(seed=seed)
    g = torch.Generator()
    g.manual_seed(seed)
    train_loader = DataLoader(IrisDataset(x_train, y_train), batch_size=batch_size, shuffle=True, generator=g)
    val_loader = DataLoader(IrisDataset(x_val, y_val), batch_size=batch_size)
    return train_loader, val_loader


def train_with_loaders(model, train_loader, val_loader, n_epochs, lr):
    device = next(model.parameters()).device
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    losses, val_losses = [], []
    for epoch in range(n_epochs):
        model.train()
        total, count = 0.0, 0
        for xb, yb in train_loader:
            xb, yb = xb.to(device), yb.to(device)
            out = model(xb)
            loss = criterion(out, yb)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            total += loss.item() * len(yb)
            count += len(yb)
        losses.append(total / count)
        model.eval()
        total, count = 0.0, 0
        with torch.inference_mode():
            for xb, yb in val_loader:
                xb, yb = xb.to(device), yb.to(device)
                total += criterion(model(xb), yb).item() * len(yb)
                count += len(yb)
        val_losses.append(total / count)
    return losses, val_losses


def show_batch(loader):
    x, y = next(iter(loader))
    fig, ax = plt.subplots()
    sc = ax.scatter(x[:, 0], x[:, 1], c=y, cmap="viridis")
    ax.set_xlabel("sepal length"); ax.set_ylabel("sepal width")
    return fig
