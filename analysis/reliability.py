"""How consistently the common items measure one thing."""

from __future__ import annotations

import numpy as np


def _complete(matrix: np.ndarray | list) -> np.ndarray:
    data = np.asarray(matrix, dtype=float)
    if data.ndim != 2:
        raise ValueError("expected respondents × items")
    data = data[~np.isnan(data).any(axis=1)]  # listwise deletion
    if data.shape[1] < 2:
        raise ValueError("reliability needs at least two items")
    if data.shape[0] < 2:
        raise ValueError("reliability needs at least two respondents who answered every item")
    return data


def cronbach_alpha(matrix: np.ndarray | list) -> float:
    """α = k/(k−1) · (1 − Σ var(item) / var(total)), variances with ddof=1, over respondents
    who answered every item. Near 1: the items move together; low: they measure different
    things (or raters answered carelessly)."""
    data = _complete(matrix)
    k = data.shape[1]
    total_variance = data.sum(axis=1).var(ddof=1)
    if total_variance == 0:
        raise ValueError("every respondent has the same total: alpha is undefined")
    return float(k / (k - 1) * (1 - data.var(axis=0, ddof=1).sum() / total_variance))


def item_total_correlations(matrix: np.ndarray | list) -> np.ndarray:
    """Each item's correlation with the sum of the other items (corrected item-total), on the
    same complete respondents. An item without variance correlates with nothing: NaN for it
    alone."""
    data = _complete(matrix)
    rest = data.sum(axis=1, keepdims=True) - data
    centred, rest_centred = data - data.mean(axis=0), rest - rest.mean(axis=0)
    numerator = (centred * rest_centred).sum(axis=0)
    denominator = np.sqrt((centred**2).sum(axis=0) * (rest_centred**2).sum(axis=0))
    return np.divide(numerator, denominator, out=np.full(data.shape[1], np.nan),
                     where=denominator > 0)
