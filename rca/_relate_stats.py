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


def lag_windows(x: np.ndarray, order: int) -> np.ndarray:
    """Rows ``[x_t, x_{t-1}, ..., x_{t-order}]`` for ``t = order .. n-1`` (a view)."""
    return sliding_window_view(x, order + 1)[:, ::-1]


def select_ar_order(x: np.ndarray, max_order: int) -> int:
    """AR order in ``0..max_order`` minimising BIC on a common sample.

    Same procedure as :func:`statsmodels.tsa.ar_model.ar_select_order` with a
    constant (all orders are fitted on the rows where ``max_order`` lags exist,
    so their criteria are comparable), extended to series with NaN gaps by
    using only rows whose lags are all valid. ``max_order`` is lowered until
    there are :data:`ROWS_PER_PARAMETER` rows per parameter.
    """
    return int(select_ar_orders(np.atleast_2d(x), max_order)[0])


def _complete_rows(x: np.ndarray, order: int) -> int:
    return int(np.isfinite(lag_windows(x, order)).all(axis=1).sum())


def select_ar_orders(rows: np.ndarray, max_order: int, *, chunk: int = 32) -> np.ndarray:
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
        while caps[i] > 0:
            complete = _complete_rows(rows[i], caps[i]) if gappy[i] else n - caps[i]
            if complete >= ROWS_PER_PARAMETER * (caps[i] + 1):
                break
            caps[i] -= 1
    for cap in np.unique(caps):
        if cap == 0:
            continue
        members = np.flatnonzero(caps == cap)
        for first in range(0, len(members), chunk):
            idx = members[first : first + chunk]
            orders[idx] = _select_batch(rows[idx], int(cap))
    return orders


def _select_batch(rows: np.ndarray, max_order: int) -> np.ndarray:
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
    penalty = np.log(n_obs)
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
        return ARFit(0, np.zeros(0), float(mu))
    w = lag_windows(x - mu, order)
    rows = w[np.isfinite(w).all(axis=1)]
    design = np.column_stack([np.ones(len(rows)), rows[:, 1:]])
    beta = np.linalg.lstsq(design, rows[:, 0], rcond=None)[0]
    coef = beta[1:]
    intercept = beta[0] + mu * (1.0 - coef.sum())
    return ARFit(order, coef, float(intercept))


def ar_filter(y: np.ndarray, coef: np.ndarray, intercept: float = 0.0) -> np.ndarray:
    """``y_t - intercept - sum_k coef[k-1] * y_{t-k}``; NaN where a needed sample is NaN."""
    order = len(coef)
    out = y - intercept
    for k, phi in enumerate(coef, start=1):
        out[k:] -= phi * y[:-k]
    out[:order] = np.nan
    return out


def _standardise(rows: np.ndarray, *, scale: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Rows centred (and scaled) on their valid values, NaN set to 0, plus the validity mask."""
    mask = np.isfinite(rows)
    count = np.maximum(mask.sum(axis=1, keepdims=True), 1)
    values = np.where(mask, rows, 0.0)
    values -= values.sum(axis=1, keepdims=True) / count
    values[~mask] = 0.0
    if scale:
        sd = np.sqrt((values**2).sum(axis=1, keepdims=True) / count)
        values /= np.where(sd > 0, sd, 1.0)
    return values, mask


@dataclass(frozen=True)
class _Side:
    """One side of a batch of cross-correlations: centred rows and their sums.

    ``values`` are the rows centred on their valid samples with 0 at invalid
    ones; ``spectrum`` is their FFT. Rows whose valid samples form one block
    ``[start, stop)`` (``block`` True) get their per-lag sums from the prefix
    sums ``cum`` / ``cum2``; the others need the FFTs of their masks.
    """

    values: np.ndarray
    mask: np.ndarray
    spectrum: np.ndarray
    cum: np.ndarray
    cum2: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    block: np.ndarray
    nfft: int

    def autocorrelation(self, max_lag: int) -> np.ndarray:
        """Autocorrelation at lags 1..max_lag, gaps counted as zeros."""
        power = (self.spectrum * np.conj(self.spectrum)).real
        acov = _fft.irfft(power, self.nfft, axis=-1)[:, : max_lag + 1]
        return acov[:, 1:] / np.maximum(acov[:, :1], np.finfo(float).tiny)


def _side(rows: np.ndarray, nfft: int, *, scale: bool = True) -> _Side:
    values, valid = _standardise(np.atleast_2d(rows), scale=scale)
    m, n = values.shape
    count = valid.sum(axis=1)
    start = np.where(count > 0, valid.argmax(axis=1), 0)
    stop = np.where(count > 0, n - valid[:, ::-1].argmax(axis=1), 0)
    cum = np.zeros((m, n + 1))
    cum2 = np.zeros((m, n + 1))
    np.cumsum(values, axis=1, out=cum[:, 1:])
    np.cumsum(values**2, axis=1, out=cum2[:, 1:])
    return _Side(
        values=values,
        mask=valid,
        spectrum=_fft.rfft(values, nfft, axis=-1),
        cum=cum,
        cum2=cum2,
        start=start,
        stop=stop,
        block=(stop - start) == count,
        nfft=nfft,
    )


def _xcorr_sides(
    left: _Side, right: _Side, lags: np.ndarray, left_rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Pearson correlation of ``left`` row ``left_rows[i]`` at t with ``right`` row i at
    t + k, for each lag k (all left rows in order when ``left_rows`` is None)."""
    nfft = left.nfft
    lags = np.asarray(lags)
    at = lags % nfft
    rows = np.arange(len(right.values)) if left_rows is None else np.asarray(left_rows)
    s_ab = _fft.irfft(np.conj(left.spectrum[rows]) * right.spectrum, nfft, axis=-1)[:, at]
    m = len(s_ab)
    count = np.empty((m, len(lags)))
    s_a, s_b, s_aa, s_bb = (np.empty((m, len(lags))) for _ in range(4))

    blocks = left.block[rows] & right.block
    if blocks.any():
        # pairs (t, t + k) with t in [a0, a1) and t + k in [b0, b1): t in [lo, hi)
        b = np.flatnonzero(blocks)
        lb = rows[b, None]
        lo = np.maximum(left.start[lb], right.start[b, None] - lags[None, :])
        hi = np.maximum(np.minimum(left.stop[lb], right.stop[b, None] - lags[None, :]), lo)
        rb = b[:, None]
        count[b] = hi - lo
        s_a[b] = left.cum[lb, hi] - left.cum[lb, lo]
        s_aa[b] = left.cum2[lb, hi] - left.cum2[lb, lo]
        lo, hi = lo + lags[None, :], hi + lags[None, :]
        s_b[b] = right.cum[rb, hi] - right.cum[rb, lo]
        s_bb[b] = right.cum2[rb, hi] - right.cum2[rb, lo]
    if not blocks.all():
        g = np.flatnonzero(~blocks)
        lg = rows[g]
        spec = lambda x: _fft.rfft(x, nfft, axis=-1)  # noqa: E731
        fma = np.conj(spec(left.mask[lg].astype(float)))
        faa = np.conj(spec(left.values[lg] ** 2))
        fa = np.conj(left.spectrum[lg])
        fmb = spec(right.mask[g].astype(float))
        fbb, fb = spec(right.values[g] ** 2), right.spectrum[g]
        sums = _fft.irfft(
            np.stack([fma * fmb, fa * fmb, fma * fb, faa * fmb, fma * fbb]), nfft, axis=-1
        )[..., at]
        count[g], s_a[g], s_b[g], s_aa[g], s_bb[g] = sums
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


def _nfft(n: int, max_lag: int) -> int:
    return _fft.next_fast_len(n + max_lag + 1, real=True)


def masked_xcorr(a: np.ndarray, b: np.ndarray, lags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson correlation of ``a[i, t]`` with ``b[i, t + k]`` for each lag ``k``.

    Each correlation uses only the pairs where both samples are valid, with
    means and variances over those pairs (so gaps neither bias nor fake it).
    The cross sums come from one FFT per row; the counts and the sums of each
    side come from prefix sums when a row's valid samples form one block, and
    from FFTs of the validity masks otherwise.

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
    nfft = _nfft(np.shape(a)[-1], int(np.abs(lags).max()))
    return _xcorr_sides(_side(a, nfft), _side(b, nfft), lags)


def bartlett_factor(acf_a: np.ndarray, acf_b: np.ndarray) -> np.ndarray:
    """Variance inflation ``1 + 2 * sum_j rho_a(j) rho_b(j)`` of a cross-correlation.

    Bartlett's formula for the variance of the sample cross-correlation of two
    independent series, from their autocorrelations at lags ``1..J``. For a
    pre-whitened ``a`` it is close to 1; it is floored at 1 so that it can only
    shrink the effective sample size.
    """
    return np.maximum(1.0 + 2.0 * np.sum(acf_a * acf_b, axis=1), 1.0)


@dataclass(frozen=True)
class Prewhitened:
    """Signals pre-whitened by their own AR filters, ready to meet any target.

    Holds what does not depend on the target (the filters, the standardised
    residuals with their spectra and autocorrelations), so that a signal
    correlated with many targets is fitted and transformed once.
    """

    coef: list  # AR coefficients per signal (None where not used)
    side: _Side
    acf: np.ndarray  # (m, bartlett lag)


def prewhiten(values: np.ndarray, order: np.ndarray, *, max_lag: int) -> Prewhitened:
    """Fit AR(order[i]) to each row (skip rows with order -1) and prepare its residual."""
    m, n = values.shape
    residuals = np.full((m, n), np.nan)
    coef: list = [None] * m
    for i in np.flatnonzero(order >= 0):
        fit = fit_ar(values[i], int(order[i]))
        residuals[i] = ar_filter(values[i], fit.coef, fit.intercept)
        coef[i] = fit.coef
    side = _side(residuals, _nfft(n, max_lag))
    return Prewhitened(coef=coef, side=side, acf=side.autocorrelation(bartlett_window(n)))


def correlate_prewhitened(
    pw: Prewhitened, rows: np.ndarray, target: np.ndarray, lags: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Box-Jenkins cross-correlation of signals ``rows`` of ``pw`` with ``target``.

    The target is filtered with each signal's own AR filter, then correlated
    with that signal's residual at every lag. Returns ``r``, the valid pair
    counts and the effective sample sizes, each of shape ``(len(rows), len(lags))``.
    """
    # standardise once; a correlation does not depend on the target's scale
    valid = np.isfinite(target)
    y = (target - target[valid].mean()) / max(target[valid].std(), np.finfo(float).tiny)
    filtered = _side(
        np.stack([ar_filter(y, pw.coef[i]) for i in rows]), pw.side.nfft, scale=False
    )
    r, count = _xcorr_sides(pw.side, filtered, lags, left_rows=rows)
    factor = bartlett_factor(pw.acf[rows], filtered.autocorrelation(pw.acf.shape[1]))
    return r, count, count / factor[:, None]


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
    """Truncation lag of Bartlett's sum: ``min(n / 4, 10 log10 n)`` (R's ``ccf`` default)."""
    return int(max(1, min(n // 4, np.floor(10 * np.log10(max(n, 2))))))
