"""Interval estimates: Wilson intervals for rates, and design-based estimates for a stratified
simple random sample (the raters are drawn per group, so each group's answers stand for that
group's whole roster)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from analysis._arrays import labelled_values


def _z(confidence: float) -> float:
    """The standard normal quantile of a two-sided `confidence` level. scipy.special (the
    functions under scipy.stats' norm.ppf and t.ppf, so the same values) is imported here and
    in `stratified_mean` when they run: scipy.stats costs about half a second at the start of
    every server worker and command, most of which estimate nothing."""
    from scipy import special

    if not 0 < confidence < 1:
        raise ValueError("confidence must lie strictly between 0 and 1")
    return float(special.ndtri(1 - (1 - confidence) / 2))


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a proportion: unlike p ± z·se it stays inside [0, 1] and
    is honest at 0% and 100%, which satisfaction rates near 100% need."""
    if n <= 0:
        raise ValueError("no observations: a rate of nothing has no interval")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie between 0 and n ({n})")
    z = _z(confidence)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, float(centre - half)), min(1.0, float(centre + half))


@dataclass(frozen=True)
class Estimate:
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    df: int
    n: int
    # Strata with a single respondent: their variance cannot be estimated and counts as 0,
    # so the standard error is understated by their share. Said, never a silent NaN.
    lonely_strata: tuple[Hashable, ...] = ()


def stratified_mean(
    values: Sequence[float] | np.ndarray,
    strata: Sequence[Hashable] | np.ndarray,
    population_sizes: Mapping[Hashable, int],
    confidence: float = 0.95,
) -> Estimate:
    """Mean of a stratified simple random sample with finite-population correction.

    ȳ = Σ W_h ȳ_h with W_h = N_h / N; Var = Σ W_h² (1 − n_h/N_h) s_h² / n_h (s_h² with
    n_h − 1), the standard error R's survey::svymean reports for
    svydesign(id=~1, strata=~h, fpc=~N); the interval uses Student's t with n − H degrees of
    freedom. Missing values (NaN) are dropped with their stratum label. Every stratum of
    `population_sizes` needs at least one respondent; a stratum with one is reported in
    `lonely_strata` and adds no variance. With n − H = 0 the interval is the point itself.
    """
    _z(confidence)
    y, labels = labelled_values(values, strata, "strata")
    order = list(population_sizes)
    index = {label: position for position, label in enumerate(order)}
    unknown = {label for label in labels.tolist() if label not in index}
    if unknown:
        raise ValueError(f"strata without a population size: {sorted(map(str, unknown))}")
    codes = np.fromiter((index[label] for label in labels.tolist()), dtype=int,
                        count=len(labels))
    n_h = np.bincount(codes, minlength=len(order)).astype(float)
    sizes = np.array([population_sizes[label] for label in order], dtype=float)
    empty = [order[i] for i in np.flatnonzero(n_h == 0)]
    if empty:
        raise ValueError(f"strata without respondents cannot be estimated: {empty}")
    if np.any(n_h > sizes):
        raise ValueError("a stratum has more respondents than its population")
    sums = np.bincount(codes, weights=y, minlength=len(order))
    means = sums / n_h
    squares = np.bincount(codes, weights=(y - means[codes]) ** 2, minlength=len(order))
    lonely = n_h == 1
    variances = np.divide(squares, n_h - 1, out=np.zeros_like(squares), where=~lonely)
    weights = sizes / sizes.sum()
    estimate = float(weights @ means)
    variance = float(np.sum(weights**2 * (1 - n_h / sizes) * variances / n_h))
    se = float(np.sqrt(max(variance, 0.0)))
    n, df = len(y), len(y) - len(order)
    from scipy import special

    half = float(special.stdtrit(df, 1 - (1 - confidence) / 2)) * se if df > 0 else 0.0
    return Estimate(estimate, se, estimate - half, estimate + half, df, n,
                    tuple(order[i] for i in np.flatnonzero(lonely)))


def stratified_proportion(
    successes: Sequence[bool] | np.ndarray,
    strata: Sequence[Hashable] | np.ndarray,
    population_sizes: Mapping[Hashable, int],
    confidence: float = 0.95,
) -> Estimate:
    """The stratified mean of 0/1 outcomes: a design-weighted rate (NaN: not answered)."""
    return stratified_mean(np.asarray(successes, dtype=float), strata, population_sizes,
                           confidence)
