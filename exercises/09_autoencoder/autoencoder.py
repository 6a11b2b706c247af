# Generated from solutions/09_autoencoder/autoencoder.py by `autograder generate`: course authors edit there; students write their code here.
"""Exercise 09: an autoencoder that compresses handwritten digits.

The tutorial's appendix trains a fully connected autoencoder on MNIST. Offline,
this exercise uses scikit-learn's bundled digits instead: 1797 images of 8x8
pixels, 64 features with values 0-16. An autoencoder has no labels: the
*encoder* squeezes each image into a short vector, the embedding, and the
*decoder* rebuilds the image from it. Training minimises the mean squared
error between the input and its reconstruction, so the target of every batch
is the batch itself.

The pixels are scaled to [-1, 1], the range of the ``tanh`` that ends the
decoder. Data and loaders stay on the CPU; training, ``embed`` and
``reconstruct`` move each batch to the model's device, as in exercise 08.
"""

import numpy as np
import torch
import torch.nn as nn
from matplotlib.figure import Figure
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset

IMAGE_SHAPE = (8, 8)


def load_digits_data(val_fraction: float = 0.2, seed: int = 42) -> tuple[torch.Tensor, torch.Tensor]:
    """Load scikit-learn's digits, scale the pixels to [-1, 1] and split them.

    Args:
        val_fraction: fraction of the 1797 images kept for validation
            (``test_size`` of ``train_test_split``).
        seed: ``random_state`` of ``train_test_split``.

    Returns:
        (x_train, x_val): float32 CPU tensors of shape (N, 64) with values
        ``pixel / 8 - 1`` in [-1, 1]. With the defaults, N = 1437 for
        training and 360 for validation. The labels are not needed.
    """
    # TODO: load_digits().data scaled with x / 8 - 1, split with train_test_split, converted to float32 tensors.
    raise NotImplementedError("load_digits_data: not implemented yet")


class Autoencoder(nn.Module):
    """A fully connected autoencoder: 64 -> 32 -> 16 -> embedding -> 16 -> 32 -> 64.

    Attributes:
        encoder: ``nn.Sequential`` of Linear+ReLU layers from ``n_features``
            down to ``embedding_dim`` (the last Linear has no activation).
        decoder: ``nn.Sequential`` that mirrors the encoder back up to
            ``n_features`` and ends with ``nn.Tanh()``, so that
            reconstructions lie in [-1, 1] like the scaled pixels.
    """

    def __init__(self, n_features: int = 64, embedding_dim: int = 8) -> None:
        """Create the encoder and the decoder.

        Args:
            n_features: number of input features (64 pixels).
            embedding_dim: size of the embedding, the encoder's output.
        """
        super().__init__()
        # TODO: self.encoder and self.decoder as nn.Sequential; the decoder mirrors the encoder and ends with nn.Tanh().
        raise NotImplementedError("Autoencoder.__init__: not implemented yet")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Encode, then decode.

        Args:
            x: float32 tensor of shape (N, n_features) on the model's device.

        Returns:
            the reconstruction, a float32 tensor with the shape of ``x``.
        """
        # TODO: return the decoder's output for the encoder's output.
        raise NotImplementedError("Autoencoder.forward: not implemented yet")


def make_loaders(
    x_train: torch.Tensor, x_val: torch.Tensor, batch_size: int = 64, seed: int = 42
) -> tuple[DataLoader, DataLoader]:
    """Build the training and validation loaders of an autoencoder.

    The target of an autoencoder is its input: each batch is a pair
    (inputs, targets) holding the same images, so the training loop looks
    like the ones of the earlier exercises.

    Args:
        x_train: float32 CPU tensor of shape (N, 64).
        x_val: float32 CPU tensor of shape (M, 64).
        batch_size: mini-batch size of both loaders.
        seed: seeds the ``torch.Generator`` that shuffles the training loader.

    Returns:
        (train_loader, val_loader): ``DataLoader``s whose batches are pairs
        (float32 CPU (B, 64), the same images). The training loader shuffles
        reproducibly; the validation loader does not shuffle.
    """
    # TODO: a TensorDataset(x, x) per part; shuffle the training loader with a seeded torch.Generator.
    raise NotImplementedError("make_loaders: not implemented yet")


def train_autoencoder(
    model: nn.Module,
    train_loader: DataLoader,
    val_loader: DataLoader,
    n_epochs: int = 20,
    lr: float = 1e-3,
) -> tuple[list[float], list[float]]:
    """Train ``model`` to reconstruct its inputs with MSE and Adam, validating every epoch.

    Args:
        model: an autoencoder, trained in place; its device is taken from its
            parameters.
        train_loader: yields (inputs, targets) CPU batches of shape (B, 64);
            each is moved to the model's device.
        val_loader: yields validation batches of the same kind.
        n_epochs: number of passes over ``train_loader``.
        lr: learning rate of ``torch.optim.Adam``.

    Returns:
        (losses, val_losses): two lists of ``n_epochs`` Python floats: the
        mean of each epoch's mini-batch training losses, and the mean
        validation loss after each epoch (eval mode, under ``torch.no_grad()``).
    """
    # TODO: MSELoss and Adam once; per epoch: train mode, one step per batch, then validation in eval mode under no_grad.
    raise NotImplementedError("train_autoencoder: not implemented yet")


def embed(model: Autoencoder, x: torch.Tensor) -> torch.Tensor:
    """Encode images into their embeddings.

    Args:
        model: a trained autoencoder with an ``encoder``.
        x: float32 tensor of shape (N, 64), any device (moved to the model's).

    Returns:
        float32 tensor of shape (N, embedding_dim) on the model's device,
        computed in eval mode under ``torch.no_grad()``.
    """
    # TODO: eval mode, then model.encoder(x on the model's device) inside torch.no_grad().
    raise NotImplementedError("embed: not implemented yet")


def reconstruct(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Encode and decode images.

    Args:
        model: a trained autoencoder.
        x: float32 tensor of shape (N, 64), any device (moved to the model's).

    Returns:
        the reconstructions, float32 of shape (N, 64) on the model's device,
        computed in eval mode under ``torch.no_grad()``.
    """
    # TODO: eval mode, then model(x on the model's device) inside torch.no_grad().
    raise NotImplementedError("reconstruct: not implemented yet")


def plot_reconstructions(model: nn.Module, x: torch.Tensor, n: int = 8) -> Figure:
    """Draw the first ``n`` images of ``x`` over their reconstructions.

    Args:
        model: a trained autoencoder.
        x: float32 tensor of shape (N, 64) with N >= n.
        n: number of images to show.

    Returns:
        a ``matplotlib.figure.Figure`` with 2 rows of ``n`` Axes: the inputs
        on top, their reconstructions below, each drawn with ``imshow`` as an
        8x8 grey image. The figure is not shown.
    """
    # TODO: reconstruct(model, x[:n]); a Figure with 2 x n subplots; imshow each image reshaped to 8x8.
    raise NotImplementedError("plot_reconstructions: not implemented yet")
