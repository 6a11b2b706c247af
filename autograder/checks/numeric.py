"""Comparisons the parent makes with numpy on data it read safely."""

from __future__ import annotations

import numpy as np


def moved(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> bool:
    """True when any parameter changed."""
    return any(not np.array_equal(before[k], after[k]) for k in before)
