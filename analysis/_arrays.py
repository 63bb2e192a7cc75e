"""Input checks shared by the estimators."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np


def labelled_values(values: Sequence[float], labels: Sequence[Hashable],
                    what: str) -> tuple[np.ndarray, np.ndarray]:
    """Values and their labels (strata, groups) as arrays, without the missing values (NaN):
    a blank answer is missing, not a value."""
    y = np.asarray(values, dtype=float)
    names = np.asarray(labels, dtype=object)
    if y.ndim != 1 or y.shape != names.shape:
        raise ValueError(f"values and {what} must be one-dimensional and of the same length")
    answered = ~np.isnan(y)
    return y[answered], names[answered]
