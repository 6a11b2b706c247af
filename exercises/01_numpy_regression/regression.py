# Generated from solutions/01_numpy_regression/regression.py by `autograder generate`: course authors edit there; students write their code here.
"""Exercise 01: linear regression with numpy and batch gradient descent.

We fit y = a + b * x to synthetic data whose true parameters we know
(a = 1, b = 2), first by hand with gradient descent, then with scikit-learn,
and check that both give the same answer.

Everything here is numpy: no PyTorch yet.
"""

import numpy as np
from sklearn.linear_model import LinearRegression


def generate_data(
    n: int = 100,
    true_a: float = 1.0,
    true_b: float = 2.0,
    noise: float = 0.1,
    seed: int = 42,
) -> tuple[np.ndarray, np.ndarray]:
    """Generate synthetic data for y = true_a + true_b * x + noise * epsilon.

    Args:
        n: number of points.
        true_a: the true intercept.
        true_b: the true slope.
        noise: standard deviation of the Gaussian noise.
        seed: seed of the one ``np.random.RandomState`` used for every draw.

    Returns:
        (x, y): two float64 numpy arrays of shape (n, 1). ``x`` is drawn first,
        uniformly in [0, 1) with ``rand(n, 1)``; the noise is drawn next, with
        ``randn(n, 1)``, from the same RandomState.
    """
    # TODO: draw x with rand(n, 1), then the noise with randn(n, 1), from ONE RandomState(seed), and build y.
    raise NotImplementedError("generate_data: not implemented yet")


def train_val_split(
    x: np.ndarray,
    y: np.ndarray,
    train_fraction: float = 0.8,
    seed: int = 42,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle the points and split them into a training and a validation set.

    Args:
        x: numpy array of shape (n, 1).
        y: numpy array of shape (n, 1).
        train_fraction: fraction of the points used for training; the first
            ``int(n * train_fraction)`` shuffled indices go to training.
        seed: seed of the ``np.random.RandomState`` whose ``permutation(n)``
            shuffles the indices. Unlike the tutorial, which shuffles with
            ``np.random.shuffle`` on the same random stream that drew the data,
            the split has a generator of its own: the fit on the training set
            gives a ≈ 1.0274, b ≈ 1.9423 here, not the tutorial's a ≈ 1.0235,
            b ≈ 1.9690.

    Returns:
        (x_train, y_train, x_val, y_val): numpy arrays of shapes
        (n_train, 1), (n_train, 1), (n - n_train, 1), (n - n_train, 1),
        same dtype as the inputs (80 / 20 points with the defaults).
    """
    # TODO: shuffle the indices with RandomState(seed).permutation and take the first int(n * train_fraction) for training.
    raise NotImplementedError("train_val_split: not implemented yet")


def gradient_descent(
    x: np.ndarray,
    y: np.ndarray,
    lr: float = 0.1,
    n_epochs: int = 1000,
    seed: int = 42,
) -> tuple[float, float, list[float]]:
    """Fit y = a + b * x by batch gradient descent on the mean squared error.

    Args:
        x: numpy array of shape (n, 1), the features.
        y: numpy array of shape (n, 1), the targets.
        lr: learning rate.
        n_epochs: number of updates (one per epoch, on the whole batch).
        seed: ``a`` then ``b`` are initialised with ``randn(1)`` each, drawn
            in that order from one ``np.random.RandomState(seed)``.

    Returns:
        (a, b, losses): ``a`` and ``b`` are Python floats, the fitted
        intercept and slope; ``losses`` is a list of ``n_epochs`` Python
        floats, the MSE of each epoch computed before that epoch's update.
    """
    # TODO: initialise a then b with RandomState(seed).randn(1), then loop: predict, loss, gradients, update.
    raise NotImplementedError("gradient_descent: not implemented yet")


def sklearn_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Fit the same linear regression with scikit-learn, as a sanity check.

    Args:
        x: numpy array of shape (n, 1), the features.
        y: numpy array of shape (n, 1), the targets.

    Returns:
        (intercept, coef): two Python floats, the intercept (our ``a``) and
        the slope (our ``b``) of ``sklearn.linear_model.LinearRegression``.
    """
    # TODO: fit sklearn's LinearRegression and return its intercept and slope as Python floats.
    raise NotImplementedError("sklearn_fit: not implemented yet")
