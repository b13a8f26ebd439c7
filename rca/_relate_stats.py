"""Numerical core of :mod:`rca.relate`: AR pre-whitening and gap-aware cross-correlation.

Everything here works on plain numpy arrays in grid steps; :mod:`rca.relate`
converts to and from timestamps. NaN marks a missing sample and is never
interpolated: a residual or a product that needs a missing sample is missing too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import fft as _fft
from scipy import special

#: Highest AR order tried when ``ar_order="auto"`` (pre-whitening wants a low order).
AUTO_MAX_AR_ORDER = 10
#: Fewest valid pairs behind one correlation value; fewer gives NaN.
MIN_PAIRS = 10
#: Rows per parameter required when choosing an AR order automatically.
ROWS_PER_PARAMETER = 10


@dataclass(frozen=True)
class ARFit:
    """An AR(p) model ``x_t = intercept + sum_k coef[k-1] * x_{t-k} + e_t``."""

    order: int
    coef: np.ndarray
    intercept: float
    n_obs: int


def lag_windows(x: np.ndarray, order: int) -> np.ndarray:
    """Rows ``[x_t, x_{t-1}, ..., x_{t-order}]`` for ``t = order .. n-1`` (a view)."""
    return sliding_window_view(x, order + 1)[:, ::-1]


def select_ar_order(x: np.ndarray, max_order: int, *, criterion: str = "bic") -> int:
    """AR order in ``0..max_order`` minimising BIC (or AIC) on a common sample.

    Same procedure as :func:`statsmodels.tsa.ar_model.ar_select_order` with a
    constant (all orders are fitted on the rows where ``max_order`` lags exist,
    so their criteria are comparable), extended to series with NaN gaps by
    using only rows whose lags are all valid. ``max_order`` is lowered until
    there are :data:`ROWS_PER_PARAMETER` rows per parameter.
    """
    return int(select_ar_orders(np.atleast_2d(x), max_order, criterion=criterion)[0])


def _complete_rows(x: np.ndarray, order: int) -> int:
    return int(np.isfinite(lag_windows(x, order)).all(axis=1).sum())


def select_ar_orders(
    rows: np.ndarray, max_order: int, *, criterion: str = "bic", chunk: int = 32
) -> np.ndarray:
    """:func:`select_ar_order` for every row of ``rows`` (shape ``(m, n)``), batched.

    The Gram matrices of all rows are formed at once (rows with a missing lag
    are zeroed, which removes them from the sums), then each order is one
    batched solve.
    """
    m, n = rows.shape
    orders = np.zeros(m, dtype=int)
    caps = np.full(m, max_order)
    gappy = ~np.isfinite(rows).all(axis=1)
    for i in range(m):
        def enough(cap: int) -> bool:
            complete = _complete_rows(rows[i], cap) if gappy[i] else n - cap
            return complete >= ROWS_PER_PARAMETER * (cap + 1)

        while caps[i] > 0 and not enough(caps[i]):
            caps[i] -= 1
    for cap in np.unique(caps):
        if cap == 0:
            continue
        members = np.flatnonzero(caps == cap)
        for first in range(0, len(members), chunk):
            idx = members[first : first + chunk]
            orders[idx] = _select_batch(rows[idx], int(cap), criterion)
    return orders


def _select_batch(rows: np.ndarray, max_order: int, criterion: str) -> np.ndarray:
    mean = np.nanmean(rows, axis=1, keepdims=True)
    w = sliding_window_view(rows - mean, max_order + 1, axis=1)[:, :, ::-1]
    valid = np.isfinite(w).all(axis=2)
    design = np.where(valid[..., None], w, 0.0)
    design[..., 0] = valid  # the constant; the target moves to `target`
    target = np.where(valid, w[..., 0], 0.0)
    design_t = design.transpose(0, 2, 1)
    gram = design_t @ design
    cross = (design_t @ target[..., None])[..., 0]
    total = (target * target).sum(axis=1)
    n_obs = valid.sum(axis=1)
    penalty = np.log(n_obs) if criterion == "bic" else np.full(len(rows), 2.0)
    best = np.full(len(rows), np.inf)
    orders = np.zeros(len(rows), dtype=int)
    for p in range(max_order + 1):
        g = gram[:, : p + 1, : p + 1]
        c = cross[:, : p + 1]
        try:
            beta = np.linalg.solve(g, c[..., None])[..., 0]
        except np.linalg.LinAlgError:
            beta = np.stack([np.linalg.lstsq(gi, ci, rcond=None)[0] for gi, ci in zip(g, c)])
        ssr = np.maximum(total - (beta * c).sum(axis=1), np.finfo(float).tiny)
        value = n_obs * np.log(ssr / n_obs) + penalty * (p + 1)
        better = value < best
        best[better], orders[better] = value[better], p
    return orders


def fit_ar(x: np.ndarray, order: int) -> ARFit:
    """Least-squares AR(order) fit with a constant on all rows whose lags are valid.

    On a gap-free series this is exactly :class:`statsmodels.tsa.ar_model.AutoReg`
    with ``trend="c"`` (conditional least squares).
    """
    valid = np.isfinite(x)
    mu = x[valid].mean()
    if order == 0:
        return ARFit(0, np.zeros(0), float(mu), int(valid.sum()))
    w = lag_windows(x - mu, order)
    rows = w[np.isfinite(w).all(axis=1)]
    design = np.column_stack([np.ones(len(rows)), rows[:, 1:]])
    beta = np.linalg.lstsq(design, rows[:, 0], rcond=None)[0]
    coef = beta[1:]
    intercept = beta[0] + mu * (1.0 - coef.sum())
    return ARFit(order, coef, float(intercept), len(rows))


def ar_filter(y: np.ndarray, coef: np.ndarray, intercept: float = 0.0) -> np.ndarray:
    """``y_t - intercept - sum_k coef[k-1] * y_{t-k}``; NaN where a needed sample is NaN."""
    order = len(coef)
    out = np.full(len(y), np.nan)
    if order == 0:
        return y - intercept
    weights = np.concatenate([[1.0], -coef])
    out[order:] = lag_windows(y, order) @ weights - intercept
    return out


def _standardise(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows centred and scaled on their valid values, NaN set to 0, plus the validity mask."""
    mask = np.isfinite(rows)
    count = mask.sum(axis=1, keepdims=True)
    filled = np.where(mask, rows, 0.0)
    mean = filled.sum(axis=1, keepdims=True) / np.maximum(count, 1)
    centred = np.where(mask, rows - mean, 0.0)
    scale = np.sqrt((centred**2).sum(axis=1, keepdims=True) / np.maximum(count, 1))
    scale[scale == 0] = 1.0
    return centred / scale, mask.astype(float)


def masked_xcorr(a: np.ndarray, b: np.ndarray, lags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson correlation of ``a[i, t]`` with ``b[i, t + k]`` for each lag ``k``.

    Each correlation uses only the pairs where both samples are valid, with
    means and variances over those pairs (so gaps neither bias nor fake it).
    All sums are computed for every lag at once by FFT.

    Parameters
    ----------
    a, b : ndarray, shape (m, n)
        Rows to correlate pairwise; NaN marks a missing sample.
    lags : ndarray of int
        Lags ``k`` in grid steps; positive means ``a`` leads ``b``.

    Returns
    -------
    r : ndarray, shape (m, len(lags))
        Correlations, NaN where fewer than :data:`MIN_PAIRS` pairs exist.
    n : ndarray, shape (m, len(lags))
        Number of valid pairs behind each correlation.
    """
    a0, ma = _standardise(np.atleast_2d(a))
    b0, mb = _standardise(np.atleast_2d(b))
    m, n_samples = a0.shape
    nfft = _fft.next_fast_len(n_samples + int(np.abs(lags).max()) + 1, real=True)
    buffer = np.zeros((3, m, nfft))
    buffer[0, :, :n_samples] = a0
    buffer[1, :, :n_samples] = ma
    buffer[2, :, :n_samples] = a0**2
    fa, fma, faa = np.conj(_fft.rfft(buffer, axis=-1))
    buffer[0, :, :n_samples] = b0
    buffer[1, :, :n_samples] = mb
    buffer[2, :, :n_samples] = b0**2
    fb, fmb, fbb = _fft.rfft(buffer, axis=-1)
    # sums over valid pairs at every lag: count, a, b, a^2, b^2, a*b
    products = np.empty((6, m, fa.shape[-1]), dtype=complex)
    for k, (f, g) in enumerate(
        [(fma, fmb), (fa, fmb), (fma, fb), (faa, fmb), (fma, fbb), (fa, fb)]
    ):
        np.multiply(f, g, out=products[k])
    sums = _fft.irfft(products, nfft, axis=-1)[..., np.asarray(lags) % nfft]
    count, s_a, s_b, s_aa, s_bb, s_ab = sums
    count = np.rint(count)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = s_ab - s_a * s_b / count
        var_a = s_aa - s_a**2 / count
        var_b = s_bb - s_b**2 / count
        r = cov / np.sqrt(var_a * var_b)
    tiny = 1e-9 * np.maximum(count, 1.0)
    bad = (count < MIN_PAIRS) | (var_a <= tiny) | (var_b <= tiny) | ~np.isfinite(r)
    r = np.where(bad, np.nan, np.clip(r, -1.0, 1.0))
    return r, count.astype(np.int64)


def _acf(rows: np.ndarray, max_lag: int) -> np.ndarray:
    """Autocorrelation at lags 1..max_lag of each row, gaps counted as zeros."""
    centred, _ = _standardise(rows)
    nfft = _fft.next_fast_len(rows.shape[1] + max_lag + 1, real=True)
    spectrum = _fft.rfft(centred, nfft, axis=-1)
    acov = _fft.irfft(spectrum * np.conj(spectrum), nfft, axis=-1)[:, : max_lag + 1]
    return acov[:, 1:] / np.maximum(acov[:, :1], np.finfo(float).tiny)


def bartlett_factor(a: np.ndarray, b: np.ndarray, max_lag: int) -> np.ndarray:
    """Variance inflation ``1 + 2 * sum_j rho_a(j) rho_b(j)`` of a cross-correlation.

    Bartlett's formula for the variance of the sample cross-correlation of two
    independent series, truncated at ``max_lag``. For a pre-whitened ``a`` it
    is close to 1; it is floored at 1 so that it can only shrink the effective
    sample size.
    """
    factor = 1.0 + 2.0 * np.sum(_acf(a, max_lag) * _acf(b, max_lag), axis=1)
    return np.maximum(factor, 1.0)


def fisher_z(r: np.ndarray, n_eff: np.ndarray) -> np.ndarray:
    """Fisher's ``atanh(r) * sqrt(n_eff - 3)``, NaN where undefined."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.arctanh(np.clip(r, -1 + 1e-15, 1 - 1e-15)) * np.sqrt(n_eff - 3.0)
    return np.where(np.isfinite(z) & (n_eff > 3), z, np.nan)


def fisher_p(r: np.ndarray, n_eff: np.ndarray) -> np.ndarray:
    """Two-sided p-value of ``r`` against 0 by Fisher's z with ``n_eff`` samples."""
    return 2.0 * special.ndtr(-np.abs(fisher_z(r, n_eff)))


def fisher_interval(
    r: np.ndarray, n_eff: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """``1 - alpha`` confidence interval of a correlation by Fisher's z (elementwise)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.arctanh(np.clip(r, -1 + 1e-15, 1 - 1e-15))
        half = special.ndtri(1.0 - alpha / 2.0) / np.sqrt(n_eff - 3.0)
    ok = np.isfinite(z) & (n_eff > 3)
    return np.where(ok, np.tanh(z - half), np.nan), np.where(ok, np.tanh(z + half), np.nan)


def sidak(p: np.ndarray, m: np.ndarray | int) -> np.ndarray:
    """Šidák family-wise p-value of the smallest of ``m`` p-values: ``1 - (1 - p)^m``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.expm1(np.asarray(m) * np.log1p(-np.asarray(p)))


def bartlett_window(n: int) -> int:
    """Truncation lag of Bartlett's sum: ``min(n / 4, 10 log10 n)``, as R's ``ccf``."""
    return int(max(1, min(n // 4, np.floor(10 * np.log10(max(n, 2))))))
