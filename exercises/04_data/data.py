# Generated from solutions/04_data/data.py by `autograder generate`: course authors edit there; students write their code here.
"""Exercise 04: a ``Dataset`` and ``DataLoader``s for mini-batch training.

A ``Dataset`` says how to get point ``i``; a ``DataLoader`` groups points into
shuffled mini-batches. ``random_split`` splits one dataset into training and
validation subsets. Every random choice is seeded through a ``torch.Generator``
so that the split and the order of the batches can be reproduced.
"""

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, random_split


class CustomDataset(Dataset):
    """A map-style dataset over two tensors with the same first dimension.

    Attributes:
        x: the features tensor, shape (N, ...) (here float32 (N, 1), on the CPU).
        y: the targets tensor, shape (N, ...) (here float32 (N, 1), on the CPU).
    """

    def __init__(self, x_tensor: torch.Tensor, y_tensor: torch.Tensor) -> None:
        """Store the two tensors.

        Args:
            x_tensor: tensor of shape (N, ...), kept as it is (keep it on the
                CPU: batches are moved to the device in the training loop).
            y_tensor: tensor of shape (N, ...), same N as ``x_tensor``.
        """
        super().__init__()
        # TODO: keep both tensors as attributes self.x and self.y.
        raise NotImplementedError("CustomDataset.__init__: not implemented yet")

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Return point ``index``.

        Args:
            index: an int in [0, N).

        Returns:
            ``(x[index], y[index])``: for (N, 1) tensors, two tensors of shape (1,)
            with the dtype and device of the stored tensors.
        """
        # TODO: return the pair (x, y) at position index.
        raise NotImplementedError("CustomDataset.__getitem__: not implemented yet")

    def __len__(self) -> int:
        """Return N, the number of points, as an int."""
        # TODO: return the number of points.
        raise NotImplementedError("CustomDataset.__len__: not implemented yet")


def make_loaders(
    x: np.ndarray,
    y: np.ndarray,
    val_fraction: float = 0.2,
    batch_size: int = 16,
    seed: int = 42,
) -> tuple[DataLoader, DataLoader]:
    """Build a training and a validation loader over all the points.

    Args:
        x: numpy array of shape (N, 1), the features (all points, not split).
        y: numpy array of shape (N, 1), the targets.
        val_fraction: ``n_val = int(N * val_fraction)`` points go to
            validation, the other ``n_train = N - n_val`` to training.
        batch_size: mini-batch size of both loaders.
        seed: seeds the ``torch.Generator`` of ``random_split`` and, through
            a second generator seeded the same way, the train loader's shuffling.

    Returns:
        (train_loader, val_loader): ``DataLoader``s over the two ``Subset``s
        of one ``CustomDataset`` of float32 CPU tensors. Each batch is a pair
        of float32 CPU tensors of shapes (B, 1), B <= batch_size. The train
        loader shuffles (reproducibly); the validation loader does not.
        With N = 100 and the defaults: 80 training and 20 validation points.
    """
    # TODO: one CustomDataset of float32 CPU tensors, random_split with a seeded generator, two DataLoaders.
    raise NotImplementedError("make_loaders: not implemented yet")
