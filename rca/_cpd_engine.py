"""Prefix-sum change-point engine behind :func:`rca.detect_changes` (private).

Everything here works on one signal held as a 1-D ``float64`` array of its *valid*
samples (NaN removed, gap-free stretches concatenated) plus a boolean array telling
which consecutive pairs straddle a gap. Positions are sample positions in that
array; :mod:`rca.changepoints` maps them back to timestamps.

The pieces:

* :func:`noise_profile` -- robust short-term noise scale and long-run (autocorrelation
  corrected) variance, resistant to steps, spikes, holds and quantisation.
* :func:`remove_spikes` -- a Hampel filter on a 5-point running median.
* :func:`binseg_tree` -- binary segmentation evaluated level by level: at each level
  the best split of *every* open segment is found in one vectorised pass over the
  prefix sums, so a level costs O(n) and the whole tree O(n log n).
* :func:`segment` -- selection from the tree for one penalty, :func:`refine`,
  :func:`prune` and :func:`onset_interval`: the final segmentation of one track.
* :func:`analyse_signal` -- one signal: noise, spikes, the variance track
  (``ln|second differences|``), the mean track with heteroscedastic weights, and the
  per-change description (:func:`departures` dates gradual onsets).
"""

from __future__ import annotations

import functools
import math
from statistics import NormalDist

import numpy as np

MAD_TO_SD = 1.482602218505602  # 1 / Phi^-1(3/4): MAD of a normal sample -> its sd
#: Profile-likelihood drop that bounds a 95 % onset interval. The location error of a
#: mean change, scaled by (delta / sigma)^2, is the argmax of a two-sided Brownian
#: motion with drift -|u|/2; each one-sided supremum of W(u) - u/2 is Exp(1), so
#: P(max of both sides <= x) = (1 - e^-x)^2 = 0.95 gives x = 3.68 and a drop of 2x.
LOCATION_DROP_95 = -2.0 * math.log(1.0 - math.sqrt(0.95))
SQRT2 = math.sqrt(2.0)


#: A MAD is taken over at most this many values (an evenly strided subsample).
MAD_SAMPLE = 16384


def mad(a: np.ndarray) -> float:
    """Median absolute deviation around the median (0.0 for an empty array).

    Arrays longer than :data:`MAD_SAMPLE` are subsampled with an even stride (the
    relative standard error of the scale is then about 1 %); the result is
    deterministic.
    """
    if a.size == 0:
        return 0.0
    if a.size > MAD_SAMPLE:
        a = a[:: -(-a.size // MAD_SAMPLE)]
    med = _median(a)
    return _median(np.abs(a - med))


def _median(a: np.ndarray) -> float:
    """Median via one partition (the upper median for an even count; cheaper than np.median)."""
    k = a.size // 2
    return float(np.partition(a, k)[k])


#: Quantile of |D| behind the block scales (see :func:`block_variances`); with 0.25 up
#: to 75 % of the block differences may straddle steps.
BLOCK_QUANTILE = 0.25


def abs_quantile_sd(a: np.ndarray, q: float = BLOCK_QUANTILE) -> float:
    """Normal-consistent sd from the ``q`` quantile of ``|a|`` (around 0, not the median).

    Subsampled like :func:`mad`. ``q = 0.5`` is the median absolute value.
    """
    if a.size == 0:
        return 0.0
    if a.size > MAD_SAMPLE:
        a = a[:: -(-a.size // MAD_SAMPLE)]
    k = int(q * (a.size - 1))
    return float(np.partition(np.abs(a), k)[k]) / _abs_normal_quantile(q)


@functools.lru_cache(maxsize=8)
def _abs_normal_quantile(q: float) -> float:
    return NormalDist().inv_cdf(0.5 + q / 2.0)


# --------------------------------------------------------------------------- spikes


def remove_spikes(y: np.ndarray, scale: float, *, k: float = 5.0) -> tuple[np.ndarray, int]:
    """Replace excursions of at most 2 samples by the 5-point running median.

    A sample is a spike when it sits more than ``k * scale`` away from the median of
    the 5 samples centred on it (``scale`` is the signal's robust noise sd). Steps
    survive a running median intact, so only short excursions are touched.

    Only samples that differ from a neighbour by more than the threshold can be
    spikes (if both neighbours are within it, so is the 5-point median), so the
    median is computed at those few positions only.
    """
    n = y.size
    if n < 5 or scale <= 0:
        return y, 0
    thr = k * scale
    jump = np.abs(np.diff(y)) > thr
    cand = np.flatnonzero(np.concatenate(([False], jump)) | np.concatenate((jump, [False])))
    if cand.size == 0:
        return y, 0
    p = np.pad(y, 2, mode="edge")
    windows = p[cand[:, None] + np.arange(5)]
    m5 = np.median(windows, axis=1)
    bad = np.abs(y[cand] - m5) > thr
    count = int(bad.sum())
    if count:
        y = y.copy()
        y[cand[bad]] = m5[bad]
    return y, count


# ---------------------------------------------------------------------------- noise


#: A difference smaller than this share of the larger of its two values is rounding in the
#: arithmetic that produced them (interval means computed by an export), not a resolution:
#: float32, the coarsest floating-point format historians store values in, resolves 1.2e-7
#: of a value; float64 rounding is ~1e-16 per operation.
ROUNDING_SHARE = 1e-9


def rounding_to_zero(d: np.ndarray, magnitude: np.ndarray) -> np.ndarray:
    """Differences ``d`` with float rounding set to 0: those below :data:`ROUNDING_SHARE` x
    ``magnitude`` (per difference, the larger absolute value of the two samples it joins).

    The 1-min means of a signal recorded in steps of 0.001 differ by multiples of 0.00025,
    and by about 7e-18 where two minutes held the same values summed in another order: a
    repeat, not a step of 7e-18. Judged per difference, so that one huge sample (a bad-value
    code such as 9.9e37) leaves the other differences alone.

    >>> rounding_to_zero(np.array([0.00025, 6.9e-18, -0.0005]), np.full(3, 0.06)).tolist()
    [0.00025, 0.0, -0.0005]
    """
    return np.where(np.abs(d) > ROUNDING_SHARE * magnitude, d, 0.0)


def resolution(d: np.ndarray) -> float:
    """Smallest non-zero absolute difference (the signal's quantisation step), or 0."""
    a = np.abs(d)
    q = float(np.min(a, where=a > 0, initial=np.inf)) if a.size else np.inf
    return q if math.isfinite(q) else 0.0


def short_term_noise(d: np.ndarray) -> tuple[float, str]:
    """Robust per-sample noise sd from within-stretch first differences ``d``.

    Returns the scale and the basis used: ``"differences"`` (MAD of first
    differences / sqrt 2), ``"distinct values"`` when most differences are exact
    zeros (held or repeated values: the MAD is taken over the differences between
    consecutive *distinct* values only), or ``"steps"`` when there are too few
    distinct values to measure noise (a step signal; the scale then falls back to
    the resolution, see :func:`noise_profile`).
    """
    if d.size == 0:
        return 0.0, "steps"
    nonzero = d != 0
    if nonzero.mean() >= 0.5:
        return MAD_TO_SD * mad(d) / SQRT2, "differences"
    du = d[nonzero]
    if du.size >= 30:
        return MAD_TO_SD * mad(du) / SQRT2, "distinct values"
    return 0.0, "steps"


#: Block lengths go up while at least this many blocks fit in the signal.
MIN_BLOCKS = 8
#: Largest sudden rise (in powers of 2) of the growth exponent of the block variance
#: from one block length to the next that is still read as noise.
JUMP = 2.0


def block_variances(y: np.ndarray, *, min_blocks: int = MIN_BLOCKS,
                    stop_at_jump: bool = True,
                    prefix: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Robust long-run variance estimates at block lengths 1, 2, 4, ...

    For block length ``b`` the differences of adjacent (overlapping) block sums,
    ``D_t = sum(y[t+b:t+2b]) - sum(y[t:t+b])``, have variance ``2 b sigma_LR^2`` once
    ``b`` exceeds the correlation time (an overlapping Allan variance times ``b``).
    The scale of ``D_t`` is read from a low quantile (:data:`BLOCK_QUANTILE`) of
    ``|D_t|`` around 0, not around the median:

    * a step disturbs only the ``2b`` values of ``D_t`` whose blocks straddle it, so
      steps and outliers are ignored while they disturb less than 75 % of them;
    * a drift shifts every ``D_t`` alike and so *counts* as long-run variance: a slow
      drift is not a sequence of level changes.

    Block lengths double while at least ``min_blocks`` blocks fit, and stop early at
    a sudden jump of the growth exponent (see :data:`JUMP`). ``prefix`` may give the
    prefix sums of ``y`` minus any constant (with a leading zero), if already known.
    """
    n = y.size
    if n < 4:
        return np.array([1]), np.array([0.0])
    if prefix is None:
        s = np.concatenate(([0.0], np.cumsum(y - _median(y[:: -(-n // MAD_SAMPLE)]))))
    else:
        s = prefix
    bs, vs = [], []
    b = 1
    while 2 * b < n and (b == 1 or n // b >= min_blocks):
        # D_t = s[t+2b] - 2 s[t+b] + s[t] on a strided subset of t (overlapping blocks
        # a half block apart, and no more than MAD_SAMPLE of them).
        stride = max(1, b // 2, -(-(n - 2 * b + 1) // MAD_SAMPLE))
        t = np.arange(0, n - 2 * b + 1, stride)
        dd = s[t + 2 * b] - 2.0 * s[t + b] + s[t]
        sd = abs_quantile_sd(dd)
        v = sd * sd / (2.0 * b)
        if stop_at_jump and len(vs) >= 2 and vs[-1] > 0 and vs[-2] > 0 and v > 0:
            growth = math.log2(v / vs[-1])
            before = max(math.log2(vs[-1] / vs[-2]), 0.0)
            if growth - before > JUMP:
                # The block variance grows like b^alpha; noise, random walks and
                # drifts change alpha gradually. A sudden rise of alpha after a flat
                # stretch means most block differences now straddle a step (steps
                # closer than ~4b): larger blocks would measure the steps.
                break
        bs.append(b)
        vs.append(v)
        b *= 2
    return np.asarray(bs), np.asarray(vs)


def plateau(bs: np.ndarray, vs: np.ndarray, n: int) -> tuple[float, int]:
    """The long-run variance as the level the block estimates climb to.

    ``vs[j]`` estimates the long-run variance at block length ``bs[j]``; for noise with a
    finite correlation time the true curve rises with the block length and then stays
    flat. Each estimate comes from about ``n / b`` block differences, so its relative
    standard error grows like ``sqrt(b / n)`` (about ``3.6 sqrt(b / n)`` for the quantile
    scale of :func:`block_variances`: 1.2 at ``b = 32`` of 300 samples). The largest of
    them is therefore biased upwards (white noise of 300 samples: median 1.5-1.7 times the
    true value). Instead the estimates are fitted by a non-decreasing curve (weighted
    least squares by pool-adjacent-violators, weights ``n / b``), whose last value is the
    plateau: estimates that only scatter around a level are averaged, while a real rise
    (autocorrelation, a drift) is followed to its top.

    Returns the plateau and the index of the first block length of its last level stretch.

    Examples
    --------
    >>> plateau(np.array([1, 2, 4, 8]), np.array([1.0, 3.0, 5.0, 9.0]), 64)  # rising: its top
    (9.0, 3)
    >>> plateau(np.array([1, 2, 4, 8]), np.array([1.0, 2.0, 1.2, 1.1]), 64)  # a high that falls back
    (1.6428571428571428, 1)
    """
    vs = np.asarray(vs, dtype=float)
    if vs.size == 0:
        return 0.0, 0
    weights = n / np.asarray(bs, dtype=float)
    level, weight, first = [], [], []
    for j, (v, w) in enumerate(zip(vs, weights)):
        level.append(float(v))
        weight.append(float(w))
        first.append(j)
        while len(level) > 1 and level[-2] > level[-1]:
            v2, w2 = level.pop(), weight.pop()
            first.pop()
            level[-1] = (level[-1] * weight[-1] + v2 * w2) / (weight[-1] + w2)
            weight[-1] += w2
    return level[-1], first[-1]


#: How the block scan becomes one long-run variance (``detect_changes(long_run=...)``):
#: ``"plateau"`` (:func:`plateau`, the default) or ``"largest"``, the largest block estimate
#: (biased upwards on short series; what ``rca`` used before, and what the ranking was
#: calibrated with).
LONG_RUN_RULES = ("plateau", "largest")


def long_run_estimate(bs: np.ndarray, vs: np.ndarray, n: int, rule: str = "plateau") -> tuple[float, int]:
    """The long-run variance from the block scan by ``rule`` (see :data:`LONG_RUN_RULES`),
    and the index of the block length it is read at."""
    if rule == "largest":
        i = int(np.argmax(vs))
        return float(vs[i]), i
    if rule != "plateau":
        raise ValueError(f"long_run={rule!r}; expected one of {LONG_RUN_RULES}")
    return plateau(bs, vs, n)


def block_limit(n: int, *, min_blocks: int = MIN_BLOCKS) -> int:
    """The largest block length :func:`block_variances` scans for ``n`` samples."""
    b = 1
    while 2 * b * 2 < n and n // (b * 2) >= min_blocks:
        b *= 2
    return b


def noise_profile(y: np.ndarray, crosses_gap: np.ndarray, *, spikes: bool = False,
                  quantised: bool = True, long_run: str = "plateau") -> dict:
    """Noise scale, resolution and long-run variance of one signal.

    Parameters
    ----------
    y : ndarray
        Valid samples, gap-free stretches concatenated.
    crosses_gap : ndarray of bool, length ``len(y) - 1``
        True where ``y[i], y[i+1]`` lie on either side of a gap.
    spikes : bool
        Remove spikes (:func:`remove_spikes`) after measuring the short-term noise
        and before measuring the long-run variance; the cleaned signal is returned
        under ``"clean"`` and the count under ``"spikes"``.
    quantised : bool
        Measure the resolution (smallest step) and floor the noise at it; False for a
        derived, continuous track.
    long_run : {"plateau", "largest"}
        How the block scan becomes one long-run variance (:func:`long_run_estimate`).

    The prefix sums of the cleaned signal minus its first sample (leading zero) are
    returned under ``"prefix"``.
    """
    d = np.diff(y)[~crosses_gap]
    q = 0.0
    if quantised:
        # A rounding residue is a repeat, for the held-values test as for the resolution.
        size = np.abs(y)
        d = rounding_to_zero(d, np.maximum(size[:-1], size[1:])[~crosses_gap])
        q = resolution(d)
    sigma, basis = short_term_noise(d)
    floor = q / math.sqrt(12.0)
    if sigma < floor:
        sigma = floor
    count = 0
    if spikes:
        y, count = remove_spikes(y, sigma)
    c1 = np.empty(y.size + 1)
    c1[0] = 0.0
    np.cumsum(y - y[0], out=c1[1:])
    bs, vs = block_variances(y, prefix=c1)
    limit = block_limit(y.size)
    lr, i = long_run_estimate(bs, vs, y.size, long_run)
    var = sigma * sigma
    inflation = max(1.0, lr / var) if var > 0 else 1.0
    return {
        "noise": float(sigma),
        "noise_basis": basis,
        "resolution": q,
        "inflation": float(inflation),
        "block": int(bs[i]),
        "truncated": bool(bs[-1] < limit),
        "long_run_sd": float(math.sqrt(var * inflation)),
        "clean": y,
        "spikes": count,
        "prefix": c1,
    }


# ------------------------------------------------------------------------ segment costs
#
# A cost object answers one question, vectorised: by how much does splitting the
# segment ``[s, e)`` at ``t`` reduce the cost (``gains(s, t, e)``)? The binary
# segmentation, refinement, pruning and onset intervals below work with any of them.
# Gains are in units of the (long-run) noise variance: the weights carry 1 / variance.


def prefix(w: np.ndarray, wy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Prefix sums with a leading zero (length n + 1)."""
    cw = np.concatenate(([0.0], np.cumsum(w)))
    cx = np.concatenate(([0.0], np.cumsum(wy)))
    return cw, cx


def _xlogx(x, w):
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * np.log(x / w)
    return np.where(x > 0, out, 0.0)


def gains(cw, cx, s, t, e, model: str) -> np.ndarray:
    """Cost reduction of splitting ``[s, e)`` at ``t`` for a piecewise-constant mean.

    ``model="normal"``: weighted SSE reduction ``W1 W2 / W (m1 - m2)^2`` with the
    weights ``1 / variance``, i.e. a chi-square(1)-scaled statistic.
    ``model="poisson"``: Poisson deviance reduction (weights are sample counts,
    ``cx`` holds the counts).
    """
    if np.ndim(cw) == 0:  # one weight for every sample
        w1 = (t - s) * cw
        w2 = (e - t) * cw
    else:
        ct = cw[t]
        w1 = ct - cw[s]
        w2 = cw[e] - ct
    ct = cx[t]
    x1 = ct - cx[s]
    x2 = cx[e] - ct
    if model == "poisson":
        g = 2.0 * (_xlogx(x1, w1) + _xlogx(x2, w2) - _xlogx(x1 + x2, w1 + w2))
        return np.nan_to_num(g, nan=0.0, posinf=np.finfo(float).max)
    # Weights are positive and both sides hold samples: nothing here divides by 0.
    x1 /= w1
    x2 /= w2
    x1 -= x2
    x1 *= x1
    w2 *= w1 / (w1 + w2)
    x1 *= w2
    return x1


#: Smallest weight of a sample, as a share of the sum of all weights (see
#: :func:`resolvable_weights`): about 450 float64 ulps of the prefix sums' total, so that a
#: difference of prefix sums resolves it to within a fraction of a percent.
MIN_WEIGHT_SHARE = 1e-13


def resolvable_weights(w) -> np.ndarray:
    """Per-sample weights, each at least :data:`MIN_WEIGHT_SHARE` x their sum.

    A segment's weight is a difference of prefix sums, and a weight below about 1e-16 x
    their total vanishes in it: a stretch of such samples would weigh nothing (0 / 0
    gains, no best split). Heteroscedastic weights (1 / variance per variance segment) of
    a quantised signal, long constant stretches and brief wiggles, can span 1e12. Raising
    the smallest to a share the sums resolve changes no result where they resolved it.

    >>> resolvable_weights(np.r_[np.full(1000, 400.0), 2.2e-12])[-1]  # 1e-13 x 400 000
    np.float64(4e-08)
    """
    w = np.asarray(w, dtype=float)
    return np.maximum(w, MIN_WEIGHT_SHARE * float(np.sum(w)))


class MeanCost:
    """Piecewise-constant mean: Gaussian with weights ``w`` (1 / variance), or Poisson.

    For ``model="poisson"``, ``y`` holds counts and ``w`` is one number, the
    reciprocal of the over-dispersion; the gain is the deviance reduction times ``w``.
    """

    def __init__(self, y: np.ndarray, w, *, model: str = "normal",
                 prefix_sums: np.ndarray | None = None):
        n = y.size
        self.n = n
        self.model = model
        if model == "poisson":
            self.cw, self.cx = prefix(np.ones(n), y)
            self.scale = float(w)
        elif np.ndim(w) == 0:
            # One weight for all samples: the weight itself stands for its prefix sums;
            # the values are centred (for accurate prefix sums) and scaled once.
            # ``prefix_sums`` may give the prefix sums of y - y[0] if already known.
            self.cw = float(w)
            if prefix_sums is None:
                prefix_sums = np.concatenate(([0.0], np.cumsum(y - y[0])))
            self.cx = prefix_sums * float(w)
            self.scale = 1.0
        else:
            w = resolvable_weights(w)
            self.cw, self.cx = prefix(w, w * (y - y[0]))
            self.scale = 1.0

    def scaled(self, factor: float) -> "MeanCost":
        """The same cost with every weight multiplied by ``factor`` (no new prefix sums)."""
        other = object.__new__(MeanCost)
        other.__dict__.update(self.__dict__)
        if self.model == "poisson":
            other.scale = self.scale * factor
        else:
            other.cw = self.cw * factor
            other.cx = self.cx * factor
        return other

    def gains(self, s, t, e) -> np.ndarray:
        g = gains(self.cw, self.cx, s, t, e, self.model)
        if self.scale != 1.0:
            g *= self.scale
        return g


#: Longest signal whose regular grid uses closed-form sums of x and x^2 (the sum of
#: (k - n/2)^2 stays exact in float64 below about n = 4.7e5).
REGULAR_MAX = 400_000


def _lprefix(a: np.ndarray) -> np.ndarray:
    """Prefix sums in extended precision (``numpy.longdouble``) with a leading zero.

    Sums of ``x^2`` over a long signal are large; a short segment's share is their
    difference, which float64 would round away for segments of a few samples.
    """
    out = np.empty(a.size + 1, dtype=np.longdouble)
    out[0] = 0.0
    np.cumsum(a, dtype=np.longdouble, out=out[1:])
    return out


class TrendCost:
    """Segments that are each a constant or a straight line (weighted least squares).

    ``x`` are the sample times (any unit; scaled here to the median sampling step, so
    gaps and irregular sampling keep their true spacing), ``y`` the values, ``w`` the
    weights (1 / variance; one number or one per sample).

    * ``lam=None``: every segment is a straight line (used to *propose* slope changes);
    * ``lam`` a number: each segment is a constant, or a line when the line explains
      more than ``lam`` beyond the constant (a BIC-like price for the slope), so the
      cost of a segment is ``min(SSE_constant, SSE_line + lam)``.

    The gain of a split is the constant part ``W1 W2 / W (m1 - m2)^2`` (as
    :class:`MeanCost`) plus the change of the slope terms ``Sxy^2 / Sxx`` (each term
    net of ``lam`` and floored at 0 for the joint model).
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, w, *, lam: float | None = None,
                 step: float | None = None, prefix_sums: tuple | None = None,
                 regular: bool | None = None):
        n = y.size
        self.n = n
        self.lam = lam
        if step is None:
            step = float(np.median(np.diff(x))) if n > 1 else 1.0
        self.step = step if step > 0 else 1.0
        centre = n // 2
        self.y0 = float(y[0])
        # A regular grid without gaps and one weight for all samples (the common case)
        # has closed forms for the sums of x and x^2; otherwise they are prefix sums in
        # extended precision (see _lprefix). ``regular`` may say whether ``x`` is a
        # regular grid without gaps, if the caller knows.
        if regular is None:
            k = np.arange(n, dtype=float) - centre
            regular = bool(np.all(np.abs((x - x[centre]) / self.step - k) < 1e-6))
        self.regular = np.ndim(w) == 0 and n < REGULAR_MAX and regular
        if self.regular:
            # Unweighted prefix sums of yc and of i * yc (leading zeros); the weight
            # is applied in the gains. Sample i sits at x = i - centre.
            self.w0 = float(w)
            self.centre = centre
            self._x = None
            self.w = np.broadcast_to(self.w0, (n,))
            if prefix_sums is None:
                yc = y - self.y0
                prefix_sums = (np.concatenate(([0.0], np.cumsum(yc))), _index_prefix(yc))
            self.cy, self.cxy = prefix_sums
        else:
            yc = y - self.y0
            xs = (x - x[centre]) / self.step
            self._x = xs
            self.w0 = None
            if (np.ndim(w) == 0 and n < REGULAR_MAX
                    and bool(np.all(xs == np.round(xs)))):
                # Whole steps (a regular grid with gaps) and one weight: the sums of x
                # and x^2 are integers below 2^53, exact in float64; the weight is
                # applied after the differences (as on a gap-free grid).
                self.w0 = float(w)
                self.w = np.broadcast_to(self.w0, (n,))
                self.cw = np.arange(n + 1, dtype=float)
                self.cy = (np.concatenate(([0.0], np.cumsum(yc))) if prefix_sums is None
                           else prefix_sums[0])
                self.cx = np.concatenate(([0.0], np.cumsum(xs)))
                self.cxx = np.concatenate(([0.0], np.cumsum(xs * xs)))
                self.cxy = np.concatenate(([0.0], np.cumsum(xs * yc)))
            else:
                w = np.broadcast_to(resolvable_weights(w), (n,))
                self.w = w
                self.cw = np.concatenate(([0.0], np.cumsum(w)))
                wx = w * xs
                self.cy = _lprefix(w * yc)
                self.cx = _lprefix(wx)
                self.cxx = _lprefix(wx * xs)
                self.cxy = _lprefix(wx * yc)
        self.y = y

    @property
    def x(self) -> np.ndarray:
        """Sample times in steps, 0 at the middle sample."""
        if self._x is None:
            self._x = np.arange(self.n, dtype=float) - self.centre
        return self._x

    def with_lam(self, lam: float | None) -> "TrendCost":
        """The same data (shared prefix sums) with another price of a slope."""
        other = object.__new__(TrendCost)
        other.__dict__.update(self.__dict__)
        other.lam = lam
        return other

    @staticmethod
    def _diff(c, a, b):
        return (c[b] - c[a]).astype(float)

    def sums(self, a, b):
        """Weighted sums over segments ``[a, b)``: W, X, Y, centred Sxx and Sxy."""
        if self.regular:
            m = (b - a).astype(float)
            W = self.w0 * m
            mid = (a + b - 1) * 0.5
            Y = self.cy[b] - self.cy[a]
            sxx = W * (m * m - 1.0) / 12.0
            sxy = self.w0 * ((self.cxy[b] - self.cxy[a]) - mid * Y)
            Y = self.w0 * Y
            return W, W * (mid - self.centre), Y, sxx, sxy
        W = self.cw[b] - self.cw[a]
        X = self._diff(self.cx, a, b)
        Y = self._diff(self.cy, a, b)
        XX = self._diff(self.cxx, a, b)
        XY = self._diff(self.cxy, a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            xbar = X / W
            sxx = XX - X * xbar
            sxy = XY - Y * xbar
        if self.w0 is not None:  # unweighted sums: apply the one weight
            return self.w0 * W, self.w0 * X, self.w0 * Y, self.w0 * sxx, self.w0 * sxy
        return W, X, Y, sxx, sxy

    def slope_terms(self, a, b) -> np.ndarray:
        """``Sxy^2 / Sxx`` of each segment: what a line explains beyond its mean."""
        W, _, _, sxx, sxy = self.sums(a, b)
        ok = sxx > 1e-9 * W
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(ok, sxy * sxy / np.where(ok, sxx, 1.0), 0.0)

    def _net(self, el):
        if self.lam is None:
            return el
        el = el - self.lam
        np.maximum(el, 0.0, out=el)
        return el

    def gains(self, s, t, e) -> np.ndarray:
        s = np.asarray(s)
        t = np.asarray(t)
        e = np.asarray(e)
        if self.regular:
            return self._gains_regular(s, t, e)
        # Each prefix sum gathered once at s, t and e, then differenced (in extended
        # precision, or exactly for whole steps with one weight, see __init__).
        cw = self.cw
        ws, wt, we = cw[s], cw[t], cw[e]
        gathered = [(c[s], c[t], c[e]) for c in (self.cx, self.cy, self.cxx, self.cxy)]
        w0 = 1.0 if self.w0 is None else self.w0  # unweighted sums carry the weight apart

        def part(i, j, w):
            X, Y, XX, XY = ((g[j] - g[i]).astype(float) for g in gathered)
            with np.errstate(divide="ignore", invalid="ignore"):
                xbar = X / w
                sxx = XX - X * xbar
                sxy = XY - Y * xbar
                ok = sxx > 1e-9 * w
                el = np.where(ok, sxy * sxy / np.where(ok, sxx, 1.0), 0.0)
            if w0 != 1.0:
                el *= w0
            return w0 * Y, self._net(el)

        c1, c2 = wt - ws, we - wt
        Y1, e1 = part(0, 1, c1)
        Y2, e2 = part(1, 2, c2)
        _, e0 = part(0, 2, c1 + c2)
        W1, W2 = w0 * c1, w0 * c2
        g = W1 * W2 / (W1 + W2) * (Y1 / W1 - Y2 / W2) ** 2
        g += e1
        g += e2
        g -= e0
        return g

    def _slope_term_regular(self, a, b, ya, yb, pa, pb):
        """``Sxy^2 / Sxx`` on a regular grid from the gathered (unweighted) prefix sums."""
        m = (b - a).astype(float)
        y = yb - ya
        sxy = (pb - pa) - ((a + b - 1) * 0.5) * y
        sxx = m * m
        sxx -= 1.0
        sxx *= m
        sxx *= 1.0 / (12.0 * self.w0)
        ok = m > 1.5
        np.maximum(sxx, 1e-300, out=sxx)
        sxy *= sxy
        sxy /= sxx
        sxy[~ok] = 0.0
        if self.lam is not None:
            sxy -= self.lam
            np.maximum(sxy, 0.0, out=sxy)
        return sxy

    def _gains_regular(self, s, t, e) -> np.ndarray:
        """:meth:`gains` on a regular grid with one weight: six gathers, closed forms."""
        cy, cxy = self.cy, self.cxy
        ys, yt, ye = cy[s], cy[t], cy[e]
        ps, pt, pe = cxy[s], cxy[t], cxy[e]
        m1 = (t - s).astype(float)
        m2 = (e - t).astype(float)
        # constant part W1 W2 / W (m1 - m2)^2 = w (Y1 m2 - Y2 m1)^2 / (m1 m2 (m1 + m2))
        # with unweighted sums Y
        g = (yt - ys) * m2 - (ye - yt) * m1
        g *= g
        g *= self.w0 / (m1 * m2 * (m1 + m2))
        g += self._slope_term_regular(s, t, ys, yt, ps, pt)
        g += self._slope_term_regular(t, e, yt, ye, pt, pe)
        g -= self._slope_term_regular(s, e, ys, ye, ps, pe)
        return g

    def fit(self, bounds: np.ndarray) -> dict:
        """Per segment of ``bounds`` (``[0, c1, ..., n]``): linear or not, level, slope.

        ``level`` is the weighted mean, ``xbar`` the weighted mean time [steps] and
        ``slope`` [units / step] (0 for a constant segment).
        """
        a, b = bounds[:-1], bounds[1:]
        W, X, Y, sxx, sxy = self.sums(a, b)
        el = self.slope_terms(a, b)
        linear = el > (0.0 if self.lam is None else self.lam)
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = np.where(linear, sxy / np.where(sxx > 0, sxx, 1.0), 0.0)
        return {"linear": linear, "level": Y / W + self.y0, "xbar": X / W, "slope": slope}

    def fitted(self, bounds: np.ndarray) -> np.ndarray:
        """The fitted piecewise constant-or-linear signal (length n)."""
        f = self.fit(bounds)
        seg = np.repeat(np.arange(bounds.size - 1), np.diff(bounds))
        return f["level"][seg] + f["slope"][seg] * (self.x - f["xbar"][seg])

    def value_at(self, f: dict, i: int, pos) -> np.ndarray:
        """Fitted value of segment ``i`` at sample positions ``pos``."""
        return f["level"][i] + f["slope"][i] * (self.x[pos] - f["xbar"][i])


def _ranges(lo: np.ndarray, hi: np.ndarray):
    """Concatenate ``arange(lo[i], hi[i] + 1)`` for all i; return values, segment ids, offsets."""
    lengths = hi - lo + 1
    offsets = np.cumsum(lengths) - lengths
    if lo.size == 1:
        return (np.arange(lo[0], hi[0] + 1), np.zeros(int(lengths[0]), dtype=np.int64),
                offsets, lengths)
    total = int(lengths.sum())
    seg = np.repeat(np.arange(lo.size), lengths)
    t = np.arange(total) - offsets[seg] + lo[seg]
    return t, seg, offsets, lengths


#: Segments with more candidate splits than this are searched coarse-to-fine.
COARSE_SPLITS = 4096


def best_splits(cost, starts, ends, min_size: int):
    """Best split position and its gain for each segment ``[starts[i], ends[i])``.

    Every segment must be at least ``2 * min_size`` long. Long segments are searched
    on an evenly strided grid of about :data:`COARSE_SPLITS` positions, then exactly
    within one stride either side of the best grid point: the gain of a split is a
    smooth function of its position at that scale (it changes by O(stride / length)
    between grid points), so this finds the exact maximum except when a segment
    shorter than the stride hides between two grid points.
    """
    lo = starts + min_size
    hi = ends - min_size
    stride = (hi - lo) // COARSE_SPLITS
    if stride.max(initial=0) < 2:
        return _best_splits_exact(cost, starts, ends, lo, hi)
    stride = np.maximum(stride, 1)
    t, seg, offsets, lengths = _ranges(np.zeros_like(lo), (hi - lo) // stride)
    t = lo[seg] + t * stride[seg]
    g = cost.gains(starts[seg], t, ends[seg])
    gmax = np.maximum.reduceat(g, offsets)
    idx = np.flatnonzero(g == gmax[seg])
    first = np.concatenate(([True], seg[idx][1:] != seg[idx][:-1]))
    coarse = t[idx[first]]
    return _best_splits_exact(cost, starts, ends, np.maximum(lo, coarse - stride),
                              np.minimum(hi, coarse + stride))


def _best_splits_exact(cost, starts, ends, lo, hi):
    t, seg, offsets, lengths = _ranges(lo, hi)
    g = cost.gains(starts[seg], t, ends[seg])
    gmax = np.maximum.reduceat(g, offsets)
    idx = np.flatnonzero(g == gmax[seg])
    first = np.concatenate(([True], seg[idx][1:] != seg[idx][:-1]))
    return t[idx[first]], gmax


def binseg_tree(cost, n: int, *, min_size: int, threshold: float, max_changes: int):
    """Grow a binary-segmentation tree down to splits whose gain is below ``threshold``.

    Returns ``(positions, gains, effective)`` where ``effective`` is the smallest gain
    on the path from the root: a split is part of the segmentation for penalty ``p``
    exactly when ``effective > p`` (binary segmentation with a penalty stopping rule).
    """
    pos, gain, eff = [], [], []
    starts = np.array([0])
    ends = np.array([n])
    parent = np.array([np.inf])
    found = 0
    while starts.size and found < max_changes:
        ok = ends - starts >= 2 * min_size
        starts, ends, parent = starts[ok], ends[ok], parent[ok]
        if not starts.size:
            break
        t, g = best_splits(cost, starts, ends, min_size)
        keep = g > threshold
        if not keep.any():
            break
        t, g, s, e, p = t[keep], g[keep], starts[keep], ends[keep], parent[keep]
        ef = np.minimum(g, p)
        pos.append(t)
        gain.append(g)
        eff.append(ef)
        found += t.size
        starts = np.concatenate((s, t))
        ends = np.concatenate((t, e))
        parent = np.concatenate((ef, ef))
    if not pos:
        empty = np.array([], dtype=np.int64)
        return empty, np.array([]), np.array([])
    pos = np.concatenate(pos)
    gain = np.concatenate(gain)
    eff = np.concatenate(eff)
    if pos.size > max_changes:
        keep = np.argsort(-eff, kind="stable")[:max_changes]
        pos, gain, eff = pos[keep], gain[keep], eff[keep]
    return pos.astype(np.int64), gain, eff


def local_gains(cost, cps: np.ndarray, n: int) -> np.ndarray:
    """Gain of each change point against its neighbours in the segmentation ``cps``."""
    if cps.size == 0:
        return np.array([])
    b = np.concatenate(([0], cps, [n]))
    return cost.gains(b[:-2], b[1:-1], b[2:])


class DriftCheck:
    """Remove change points that a straight line explains as well as a step.

    For each change point ``c`` with neighbours ``s`` and ``e``, the samples
    ``y[s:e]`` are fitted once by two levels (the step) and once by one straight line
    (a drift); both have two parameters. When the line fits at least as well, the
    "change" is a piece of a staircase laid over a drift and is dropped. A step
    between plateaus is kept, and so are the two ends of a ramp between plateaus.
    The prefix sums are built once per signal; :meth:`drop` may be called for every
    segmentation of it.
    """

    def __init__(self, y: np.ndarray, *, c1: np.ndarray | None = None,
                 ci: np.ndarray | None = None):
        self.n = y.size
        z = y - y[0]
        self.c1 = np.concatenate(([0.0], np.cumsum(z))) if c1 is None else c1
        self.ci = _index_prefix(z) if ci is None else ci

    def drop(self, cps: np.ndarray, *, passes: int = 3) -> np.ndarray:
        """The change points kept, after at most ``passes`` rounds of dropping."""
        n, c1, ci = self.n, self.c1, self.ci
        for _ in range(passes):
            if cps.size == 0:
                break
            b = np.concatenate(([0], cps, [n])).astype(np.int64)
            s, c, e = b[:-2], b[1:-1], b[2:]
            m = (e - s).astype(float)
            m1 = (c - s).astype(float)
            m2 = (e - c).astype(float)
            sy = c1[e] - c1[s]
            s1 = c1[c] - c1[s]
            s2 = c1[e] - c1[c]
            # sum of (local time - its mean) * z over [s, e); local times sum to zero
            stz = (ci[e] - ci[s]) - (s + (m - 1.0) / 2.0) * sy
            stt = m * (m * m - 1.0) / 12.0
            line = stz * stz / stt  # explained beyond the mean by a straight line
            step = m1 * m2 / m * (s1 / m1 - s2 / m2) ** 2  # ... and by a step
            ramp = line >= step
            if not ramp.any():
                break
            cps = cps[~ramp]
        return cps


def _index_prefix(z: np.ndarray) -> np.ndarray:
    """Prefix sums of ``i * z[i]`` with a leading zero."""
    out = np.empty(z.size + 1)
    out[0] = 0.0
    np.cumsum(np.arange(z.size, dtype=float) * z, out=out[1:])
    return out


def drop_ramps(y: np.ndarray, cps: np.ndarray, *, passes: int = 3) -> np.ndarray:
    """:meth:`DriftCheck.drop` for one segmentation of ``y``."""
    return DriftCheck(y).drop(cps, passes=passes)


def _wsse(cols: list, y: np.ndarray, w: np.ndarray) -> float:
    """Weighted residual sum of squares of the least-squares fit of ``y`` on ``cols``."""
    a = np.stack(cols, axis=1)
    sw = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(a * sw[:, None], y * sw, rcond=None)
    r = y - a @ coef
    return float(np.sum(w * r * r))


def _weighted_sse(x, y, w, degree: int) -> float:
    """Weighted residual sum of squares of a polynomial fit of ``degree`` (0, 1 or 2)."""
    if y.size <= degree + 1:
        return 0.0
    u = x - x.mean()
    span = float(np.max(np.abs(u)))
    if span > 0:
        u = u / span
    cols = [np.ones_like(u)]
    for _ in range(degree):
        cols.append(cols[-1] * u)
    return _wsse(cols, y - np.average(y, weights=w), w)


def drop_bends(cost: TrendCost, cps: np.ndarray, *, passes: int = 3) -> tuple[np.ndarray, int]:
    """Remove changes of slope that one smooth bend (a parabola) explains as well.

    The slope counterpart of :func:`drop_ramps`: for each change point ``c`` (with
    neighbours ``s``, ``e``) next to a sloped segment, the samples ``[s, e)`` are fitted
    once by the two segments of the segmentation and once by a single parabola (three
    parameters, no more than the two segments). When the parabola fits at least as
    well, the "change" is a corner cut into a smooth curve (a first-order approach to
    a new level, an accelerating growth) and is dropped. A sharp corner (a ramp that
    starts or stops) is kept. Repeated (at most ``passes`` times) while something is
    dropped. Returns the kept change points and the number dropped.
    """
    n = cost.n
    dropped = 0
    for _ in range(passes):
        if cps.size == 0:
            break
        b = np.concatenate(([0], cps, [n])).astype(np.int64)
        linear = cost.fit(b)["linear"]
        bend = np.zeros(cps.size, dtype=bool)
        for i in np.flatnonzero(linear[:-1] | linear[1:]):
            s, c, e = int(b[i]), int(b[i + 1]), int(b[i + 2])
            x, y, w = cost.x[s:e], cost.y[s:e], cost.w[s:e]
            k = c - s
            two = (_weighted_sse(x[:k], y[:k], w[:k], int(linear[i]))
                   + _weighted_sse(x[k:], y[k:], w[k:], int(linear[i + 1])))
            bend[i] = _weighted_sse(x, y, w, 2) <= two
        if not bend.any():
            break
        dropped += int(bend.sum())
        cps = cps[~bend]
    return cps, dropped


def refine(cost, cps: np.ndarray, n: int, *, min_size: int, rounds: int = 1) -> np.ndarray:
    """Move each change point to the best split between its two neighbours.

    Odd and even change points are moved alternately so that every move is exact
    given the (fixed) neighbours; this corrects binary segmentation's greedy
    locations where two changes shared a segment when the first was placed.
    """
    cps = np.sort(cps)
    for _ in range(rounds):
        for parity in (0, 1):
            if cps.size == 0:
                return cps
            b = np.concatenate(([0], cps, [n]))
            idx = np.arange(parity, cps.size, 2)
            if idx.size == 0:
                continue
            t, _ = best_splits(cost, b[idx], b[idx + 2], min_size)
            cps = cps.copy()
            cps[idx] = t
    return cps


def prune(cost, cps: np.ndarray, n: int, *, penalty: float):
    """Drop the weakest change point while any has a local gain at or below ``penalty``.

    Removing a change point changes the local gains of its two neighbours only, so
    only those are recomputed (the result is that of recomputing all of them).
    """
    cps = np.sort(cps)
    k = cps.size
    if k == 0:
        return cps, np.array([])
    g = local_gains(cost, cps, n)
    if g.min() > penalty:
        return cps, g
    left = np.arange(-1, k - 1)   # index of the previous live change point (-1: start)
    right = np.arange(1, k + 1)   # index of the next one (k: end)
    work = g.copy()
    bounds = np.concatenate((cps, [n]))
    while True:
        i = int(np.argmin(work))
        if work[i] > penalty:
            break
        work[i] = np.inf
        p, q = int(left[i]), int(right[i])
        if p >= 0:
            right[p] = q
        if q < k:
            left[q] = p
        idx = [j for j in (p, q) if 0 <= j < k]
        if idx:
            j = np.asarray(idx)
            s = np.where(left[j] >= 0, cps[np.maximum(left[j], 0)], 0)
            e = bounds[right[j]]
            work[j] = cost.gains(s, cps[j], e)
        if not np.isfinite(work).any():
            break
    keep = np.isfinite(work)
    return cps[keep], work[keep]


def onset_interval(cost, cps: np.ndarray, g: np.ndarray, n: int, *, min_size: int,
                   drop: float = LOCATION_DROP_95):
    """Positions whose split gain is within ``drop`` of the chosen one (profile likelihood).

    Returns the first and last such position for each change point (inclusive).
    """
    if cps.size == 0:
        e = np.array([], dtype=np.int64)
        return e, e
    b = np.concatenate(([0], cps, [n]))
    starts, ends = b[:-2], b[2:]
    first, last = starts + min_size, ends - min_size
    # Profile a window around each change first; redo the few whose interval
    # reaches the window's edge over the whole of their neighbouring segments.
    lo_w = np.maximum(first, cps - INTERVAL_WINDOW)
    hi_w = np.minimum(last, cps + INTERVAL_WINDOW)
    lo, hi = _profile_interval(cost, starts, ends, lo_w, hi_w, g, drop)
    redo = ((lo == lo_w) & (lo_w > first)) | ((hi == hi_w) & (hi_w < last))
    if redo.any():
        lo2, hi2 = _profile_interval(cost, starts[redo], ends[redo], first[redo],
                                     last[redo], g[redo], drop)
        lo[redo], hi[redo] = lo2, hi2
    lo = np.minimum(lo, cps)
    hi = np.maximum(hi, cps)
    return lo.astype(np.int64), hi.astype(np.int64)


#: Half-width [samples] of the first window profiled for an onset interval.
INTERVAL_WINDOW = 200


def _profile_interval(cost, starts, ends, lo, hi, g, drop):
    t, seg, offsets, lengths = _ranges(lo, hi)
    prof = cost.gains(starts[seg], t, ends[seg])
    inside = prof >= g[seg] - drop
    big = np.iinfo(np.int64).max
    first = np.minimum.reduceat(np.where(inside, t, big), offsets)
    last = np.maximum.reduceat(np.where(inside, t, -1), offsets)
    return first, last


def _tree_changes(cost, n: int, *, penalty: float, min_size: int, max_changes: int):
    """Binary segmentation at ``penalty``, each change then moved to its exact best split."""
    pos, _, eff = binseg_tree(cost, n, min_size=min_size, threshold=penalty,
                              max_changes=max_changes)
    if pos.size == 0:
        return pos
    return refine(cost, np.sort(pos[eff > penalty]), n, min_size=min_size)


def segment(cost, n: int, *, penalty: float, min_size: int, max_changes: int,
            drift: DriftCheck | None = None) -> dict:
    """Full segmentation of one track: tree, selection, refinement, pruning, intervals.

    ``cost`` is a :class:`MeanCost`; ``drift`` switches on the drift check.
    """
    empty = np.array([], dtype=np.int64)
    result = {"cps": empty, "gain": np.array([]), "lo": empty, "hi": empty, "drift": 0}
    if n < 2 * min_size:
        return result
    cps = _tree_changes(cost, n, penalty=penalty, min_size=min_size, max_changes=max_changes)
    if cps.size == 0:
        return result
    cps, _ = prune(cost, cps, n, penalty=penalty)
    if drift is not None and cps.size:
        kept = drift.drop(cps)
        if kept.size < cps.size:
            result["drift"] = int(cps.size - kept.size)
            cps, _ = prune(cost, kept, n, penalty=penalty)
    if cps.size == 0:
        return result
    g = local_gains(cost, cps, n)
    lo, hi = onset_interval(cost, cps, g, n, min_size=min_size)
    result.update({"cps": cps, "gain": g, "lo": lo, "hi": hi})
    return result


def _spaced(cps: np.ndarray, n: int, min_size: int) -> np.ndarray:
    """Sorted unique change points at least ``min_size`` from each other and the ends."""
    out = []
    last = 0
    for c in np.unique(cps):
        if c - last >= min_size and n - c >= min_size:
            out.append(int(c))
            last = c
    return np.asarray(out, dtype=np.int64)


def segment_trend(x: np.ndarray, y: np.ndarray, w, *, penalty: float, lam: float,
                  min_size: int, max_changes: int, step: float | None = None,
                  levels: np.ndarray | None = None, prefix_sums: tuple | None = None,
                  regular: bool | None = None) -> dict:
    """Segmentation into constant or straight-line segments (levels, ramps, slopes).

    Candidates come from two binary segmentations, one of constant segments
    (changes of level) and one of straight-line segments (changes of slope, which
    a search for levels masks); the union is pruned with the joint cost
    (:class:`TrendCost`, each segment a constant or a line at the price ``lam``),
    every change moved to its exact best position, pruned again, and corners that a
    smooth bend explains as well are dropped (:func:`drop_bends`).
    """
    n = y.size
    empty = np.array([], dtype=np.int64)
    joint = TrendCost(x, y, w, lam=lam, step=step, prefix_sums=prefix_sums, regular=regular)
    result = {"cps": empty, "gain": np.array([]), "lo": empty, "hi": empty, "bends": 0,
              "cost": joint}
    if n < 2 * min_size:
        return result
    if levels is None:
        levels = _tree_changes(MeanCost(y, w), n, penalty=penalty, min_size=min_size,
                               max_changes=max_changes)
    cand = [levels, _tree_changes(joint.with_lam(None), n, penalty=penalty,
                                  min_size=min_size, max_changes=max_changes)]
    cps = _spaced(np.concatenate(cand), n, min_size)
    if cps.size == 0:
        return result
    cps, _ = prune(joint, cps, n, penalty=penalty)
    if cps.size:
        cps = _spaced(refine(joint, cps, n, min_size=min_size), n, min_size)
        cps, _ = prune(joint, cps, n, penalty=penalty)
    if cps.size:
        kept, bends = drop_bends(joint, cps)
        if bends:
            result["bends"] = bends
            cps, _ = prune(joint, kept, n, penalty=penalty)
    if cps.size == 0:
        return result
    g = local_gains(joint, cps, n)
    lo, hi = onset_interval(joint, cps, g, n, min_size=min_size)
    result.update({"cps": cps, "gain": g, "lo": lo, "hi": hi})
    return result


# ------------------------------------------------------------------------- one signal

KIND_MEAN, KIND_VARIANCE, KIND_BOTH = "mean", "variance", "mean+variance"
KIND_RAMP, KIND_RAMP_END = "ramp", "ramp end"
#: Drop mean changes that a straight line explains as well as a step (:func:`drop_ramps`),
#: with ``model="mean"``.
DRIFT_CHECK = True
_RATIO_FLOOR = 0.05  # a variance segment is never taken as quieter than 5 % of the signal's
LOG_ABS_NORMAL_SD = math.pi / math.sqrt(8.0)  # sd of ln|Z|, Z standard normal
#: A level after a ramp is its end when the jump is at most this share of its rise.
RAMP_END_JUMP = 0.25

def is_regular(times: np.ndarray) -> bool:
    """Whether ``times`` are evenly spaced (to 1e-6 of a step)."""
    if times.size < 3:
        return True
    d = np.diff(times)
    step = (times[-1] - times[0]) / (times.size - 1)
    return bool(step > 0 and np.max(np.abs(d - step)) <= 1e-6 * step)


def default_penalty(n: int) -> float:
    """The automatic penalty: 3 ln(n) in units of the (long-run) noise variance.

    This is the modified BIC of Zhang & Siegmund (2007) for a change in mean, as used
    by R's ``changepoint`` package (``penalty="MBIC"``), applied to gains that have
    been divided by the autocorrelation-corrected noise variance.
    """
    return 3.0 * math.log(max(n, 3))


def slope_price(n: int) -> float:
    """Price of a sloped segment over a constant one: ln(n), the BIC of one parameter."""
    return math.log(max(n, 3))


def _empty_changes() -> dict:
    e = np.array([], dtype=np.int64)
    f = np.array([], dtype=float)
    return {"pos": e, "lo": e, "hi": e, "kind": np.array([], dtype=object), "before": f,
            "after": f, "sigma_before": f, "sigma_after": f, "strength": f, "end": e,
            "slope": f}


def _segment_means(y: np.ndarray, cps: np.ndarray,
                   prefix_sums: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean of the segment before and after each change point of the segmentation ``cps``.

    ``prefix_sums`` may give the prefix sums of ``y - y[0]`` (leading zero).
    """
    n = y.size
    if prefix_sums is None:
        c, y0 = np.concatenate(([0.0], np.cumsum(y))), 0.0
    else:
        c, y0 = prefix_sums, float(y[0])
    b = np.concatenate(([0], cps, [n]))
    before = (c[b[1:-1]] - c[b[:-2]]) / (b[1:-1] - b[:-2]) + y0
    after = (c[b[2:]] - c[b[1:-1]]) / (b[2:] - b[1:-1]) + y0
    return before, after


def _levels(y: np.ndarray, cps: np.ndarray,
            prefix_sums: np.ndarray | None = None) -> np.ndarray:
    """The piecewise-constant fit of ``y`` with changes at ``cps``."""
    before, after = _segment_means(y, cps, prefix_sums)
    return np.repeat(np.concatenate((before, after[-1:])),
                     np.diff(np.concatenate(([0], cps, [y.size]))))


def _noise_from_residuals(run, residual, lr_var: float, truncated: bool, noise: float,
                          info: dict, long_run: str = "plateau"):
    """Segment, then measure the long-run variance again on the residuals and re-segment.

    When the first block scan stopped early at a jump (``truncated``: correlation
    longer than the last block length was not measured), the residuals are scanned over
    all block lengths and the larger value is kept (this can only remove changes).
    Otherwise the scan keeps its rule and a smaller value is accepted (many changes
    inflate the block scale), at most twice.
    """
    res = run(lr_var)
    if res["cps"].size == 0:
        return res, lr_var
    for _ in range(1 if truncated else 2):
        resid = residual(res)
        bs, vs = block_variances(resid, stop_at_jump=not truncated)
        lr2 = max(long_run_estimate(bs, vs, resid.size, long_run)[0], noise ** 2)
        if (truncated and lr2 <= lr_var * 1.05) or (not truncated and lr2 >= lr_var * 0.95):
            break
        lr_var = lr2
        info["long_run_sd"] = math.sqrt(lr_var)
        info["inflation"] = lr_var / noise ** 2
        info["long_run_basis"] = "residuals of a first segmentation"
        res = run(lr_var)
        if res["cps"].size == 0:
            break
    return res, lr_var


def analyse_signal(x: np.ndarray, *, model: str, penalty: float | None, min_size: int,
                   max_changes: int | None, times: np.ndarray | None = None,
                   regular_grid: bool | None = None, long_run: str = "plateau") -> tuple[dict, dict]:
    """Detect changes in one signal given on the full grid (NaN = missing).

    ``times`` are the grid times [s] (any origin); they set the spacing of the samples
    for slopes (gaps and irregular grids keep their true spacing). Without them the
    grid is taken as regular with a step of 1 s. ``regular_grid`` may say whether
    ``times`` are evenly spaced (checked here when not given). ``long_run`` is the rule
    of :func:`long_run_estimate`.

    Returns ``(changes, info)``: ``changes`` holds arrays indexed by change, with
    positions in *valid-sample* coordinates plus ``valid`` (the positions of the valid
    samples on the grid); ``info`` holds what was estimated and decided.
    """
    finite = np.isfinite(x)
    non_finite = int(np.count_nonzero(~finite & ~np.isnan(x)))
    valid = np.flatnonzero(finite)
    y = x[valid].astype(float, copy=True)
    n = y.size
    crosses = np.diff(valid) > 1
    info = {"n_valid": int(n), "n_missing": int(x.size - n - non_finite),
            "non_finite": non_finite, "n_gaps": int(crosses.sum()), "spikes_replaced": 0,
            "noise": float("nan"), "noise_basis": "", "resolution": float("nan"),
            "block": 0, "inflation": float("nan"), "long_run_sd": float("nan"),
            "penalty": float("nan"), "long_run_basis": "block differences",
            "drift_dropped": 0, "bends_dropped": 0, "slope_price": float("nan"),
            "status": "ok"}
    changes = _empty_changes()
    changes["valid"] = valid
    changes["crosses"] = crosses
    if n < 2 * min_size:
        info["status"] = "too few samples" if n else "no valid samples"
        return changes, info
    beta = default_penalty(n) if penalty is None else float(penalty)
    info["penalty"] = beta
    if max_changes is None:
        max_changes = max(1, n // (2 * min_size))

    prof = noise_profile(y, crosses, spikes=model != "poisson", long_run=long_run)
    info.update({k: prof[k] for k in ("noise", "noise_basis", "resolution", "block",
                                      "inflation", "long_run_sd")})
    if prof["noise"] == 0.0:
        info["status"] = "constant"
        return changes, info

    if model == "poisson":
        # Over-dispersion from successive differences: for independent Poisson counts
        # E[(y[t+1] - y[t])^2] = 2 * rate, and a few rate changes barely move it.
        level = float(np.mean(y))
        dispersion = 1.0
        dsq = np.diff(y)[~crosses]
        if level > 0 and dsq.size:
            dispersion = max(1.0, float(np.mean(dsq * dsq)) / (2.0 * level))
        info["noise"] = math.sqrt(dispersion * level) if level > 0 else prof["noise"]
        info["noise_basis"] = "poisson"
        info["inflation"] = dispersion
        info["long_run_sd"] = info["noise"]
        res = segment(MeanCost(y, 1.0 / dispersion, model="poisson"), n, penalty=beta,
                      min_size=min_size, max_changes=max_changes)
        return _describe(y, res, None, None, changes, info), info

    y = prof["clean"]
    info["spikes_replaced"] = prof["spikes"]
    noise = prof["noise"]

    # Variance track: log |second differences| within gap-free stretches.
    vres, ratio_cps, ratios = None, np.array([], dtype=np.int64), np.ones(1)
    if model in ("auto", "variance"):
        vres, ratio_cps, ratios = _variance_track(y, crosses, prof, beta=beta,
                                                  min_size=min_size, max_changes=max_changes,
                                                  long_run=long_run)
    if model == "variance":
        return _describe(y, None, vres, (ratio_cps, ratios, noise), changes, info), info

    # Relative weights of the variance segments (heteroscedastic mean track).
    if ratio_cps.size:
        r = np.repeat(ratios, np.diff(np.concatenate(([0], ratio_cps, [n]))))
        w_rel = 1.0 / (r * r)
    else:
        w_rel = 1.0

    # Prefix sums of y - y[0] and of i * (y - y[0]), shared by the costs and checks
    # that use one weight for all samples.
    c1 = prof["prefix"]
    ci = _index_prefix(y - y[0])
    uniform = np.ndim(w_rel) == 0
    unit = MeanCost(y, w_rel, prefix_sums=c1 if uniform else None)
    drift = DriftCheck(y, c1=c1, ci=ci) if DRIFT_CHECK else None

    def run_level(lr_var):
        return segment(unit.scaled(1.0 / lr_var), n, penalty=beta, min_size=min_size,
                       max_changes=max_changes, drift=drift)

    if model == "mean":
        run = run_level

        res, _ = _noise_from_residuals(run, lambda r: y - _levels(y, r["cps"], c1),
                                       prof["long_run_sd"] ** 2, prof["truncated"], noise,
                                       info, long_run)
        info["drift_dropped"] = int(res.get("drift", 0))
        return _describe(y, res, vres, (ratio_cps, ratios, noise), changes, info), info

    # model == "auto". First the levels, exactly as model="mean": this fixes the noise
    # scale (a wander and a drift count as noise, re-measured on the residuals).
    level, lr_var = _noise_from_residuals(run_level, lambda r: y - _levels(y, r["cps"], c1),
                                          prof["long_run_sd"] ** 2, prof["truncated"],
                                          noise, info, long_run)
    info["drift_dropped"] = int(level.get("drift", 0))
    # Then levels and slopes at that noise scale: each segment a constant or a line.
    if times is None:
        t = valid.astype(float)
        regular_grid = True
    else:
        t = np.asarray(times, dtype=float)[valid]
        if regular_grid is None:
            regular_grid = is_regular(np.asarray(times, dtype=float))
    regular = bool(regular_grid) and int(valid[-1] - valid[0]) == n - 1
    lam = slope_price(n)
    info["slope_price"] = lam
    step = float(np.median(np.diff(t))) if n > 1 else 1.0
    if regular:
        step = float(t[-1] - t[0]) / (n - 1)
    res = segment_trend(t, y, w_rel / lr_var, penalty=beta, lam=lam, min_size=min_size,
                        max_changes=max_changes, step=step, levels=level["cps"],
                        prefix_sums=(c1, ci) if uniform else None, regular=regular)
    info["bends_dropped"] = int(res.get("bends", 0))
    return _describe(y, res, vres, (ratio_cps, ratios, noise), changes, info), info


def _variance_track(y, crosses, prof, *, beta, min_size, max_changes, long_run="plateau"):
    """Changes of the noise level: the mean track on ``ln(|second differences| + q)``.

    Returns the segmentation (positions mapped back to samples of ``y`` under
    ``x_cps``, ``x_lo``, ``x_hi``) and the relative noise of each variance segment.
    """
    n = y.size
    ratio_cps, ratios = np.array([], dtype=np.int64), np.ones(1)
    # Second differences: blind to the level and to a (changing) slope, so only the
    # noise is left; a level step leaves two samples that the spike filter removes.
    d = y[1:-1] * -2.0
    d += y[2:]
    d += y[:-2]
    if crosses.any():
        keep = ~(crosses[1:] | crosses[:-1])
        d = d[keep]
        vpos = np.arange(2, n)[keep]
    else:
        vpos = np.arange(2, n)
    if d.size < 2 * min_size:
        return None, ratio_cps, ratios
    # Log scale: a change of the noise by a factor k is a shift of ln k whatever the
    # level of the noise, and the spread of ln|d| is the same in quiet and in noisy
    # stretches (a global noise scale would be wrong on either side of a change of
    # orders of magnitude). eps keeps exact zeros (held values) finite: the signal's
    # resolution.
    v = np.abs(d, out=d)
    eps = max(prof["resolution"], 1e-12 * max(float(np.max(v)), 1e-300))
    v += eps
    np.log(v, out=v)
    vprof = noise_profile(v, np.zeros(v.size - 1, dtype=bool), spikes=True, quantised=False,
                          long_run=long_run)
    if vprof["noise"] <= 0:
        return None, ratio_cps, ratios
    v = vprof["clean"]
    # ln|d| of Gaussian noise has sd pi / sqrt(8) whatever the noise level; a smaller
    # empirical scale (a stretch with no noise at all, e.g. a controller ramp) would
    # make every wiggle elsewhere significant.
    v_sd = max(vprof["long_run_sd"], LOG_ABS_NORMAL_SD)
    vres = segment(MeanCost(v, 1.0 / v_sd ** 2, prefix_sums=vprof["prefix"]), v.size,
                   penalty=beta, min_size=min_size, max_changes=max_changes)
    if vres["cps"].size:
        mv = float(np.mean(v))
        b = np.concatenate(([0], vres["cps"], [v.size]))
        c = np.concatenate(([0.0], np.cumsum(v)))
        seg_mean = (c[b[1:]] - c[b[:-1]]) / np.diff(b)
        ratios = np.maximum(np.exp(seg_mean - mv), _RATIO_FLOOR)
        ratio_cps = vpos[vres["cps"]]
        vres["x_cps"] = ratio_cps
        vres["x_lo"] = vpos[vres["lo"]]
        vres["x_hi"] = vpos[vres["hi"]]
    return vres, ratio_cps, ratios


def departures(y: np.ndarray, cps: np.ndarray, before: np.ndarray, after: np.ndarray,
               sigma: np.ndarray) -> np.ndarray:
    """Where the signal left its old level, for each mean change (gradual changes).

    The onset interval assumes an abrupt step; a ramp is dated near its middle. For
    a change from ``before`` to ``after`` at ``c`` (previous change point ``s``), the
    signal's departure is the position after the minimum of the cumulative sum of
    ``sign * (y - before) - k`` over ``[s, c)`` (the last time Page's CUSUM was at
    zero), with the reference ``k = max(2 sigma, |after - before| / 8)``: before a
    ramp the sum falls by about ``k`` per sample, and it rises once the signal is ``k``
    beyond the old level. For a clean step this is ``c`` itself.
    """
    out = cps.copy()
    b = np.concatenate(([0], cps))
    for i, c in enumerate(cps):
        s = int(b[i])
        if c - s < 2:
            continue
        sign = 1.0 if after[i] >= before[i] else -1.0
        k = max(2.0 * float(sigma[i]), abs(after[i] - before[i]) / 8.0)
        csum = np.cumsum(sign * (y[s:c] - before[i]) - k)
        j = int(np.argmin(csum))
        if csum[j] < 0:
            out[i] = min(c, s + j + 1)
    return out


def _slope_change_gain(cost: "TrendCost", s: int, c: int, e: int, lin_left: bool,
                       lin_right: bool) -> float:
    """What the change at ``c`` explains as a change of slope [-].

    On ``[s, e)`` the two segments as fitted (each a constant or a line, free to jump
    at ``c``) are compared with the same fit under one common slope, in units of the
    noise variance the cost's weights carry.
    """
    x, y, w = cost.x[s:e], cost.y[s:e], cost.w[s:e]
    u = x - x[c - s]
    yc = y - np.average(y, weights=w)
    left = np.arange(e - s) < c - s
    levels = [left.astype(float), (~left).astype(float)]
    full = list(levels)
    if lin_left:
        full.append(np.where(left, u, 0.0))
    if lin_right:
        full.append(np.where(left, 0.0, u))
    return max(_wsse(levels + [u], yc, w) - _wsse(full, yc, w), 0.0)


def _trend_rows(y, res, n):
    """Kind, levels, end and slope of each change of a level-and-slope segmentation.

    The kind follows from the segments either side:

    * ``"ramp"``: a sloped segment begins (after a level, or with another slope) and
      the change of slope explains more than the price of one parameter
      (:func:`_slope_change_gain`); ``end`` is where it stops, ``slope`` its slope
      and ``after`` the level it reaches at its end;
    * ``"ramp end"``: a level follows a sloped segment and the signal jumps by at
      most :data:`RAMP_END_JUMP` of what the ramp rose (it levelled off);
    * ``"mean"``: anything else, i.e. the level jumps (also on top of a drift).

    ``before`` / ``after`` are the fitted levels at the last sample before the change
    and at the first after it (segment means for level segments).
    """
    cost, cps = res["cost"], res["cps"]
    b = np.concatenate(([0], cps, [n]))
    f = cost.fit(b)
    lin = f["linear"]
    price = 0.0 if cost.lam is None else cost.lam
    k = cps.size
    kinds = np.full(k, KIND_MEAN, dtype=object)
    before = np.empty(k)
    after = np.empty(k)
    end = np.full(k, -1, dtype=np.int64)
    slope = np.full(k, np.nan)
    mean_before, mean_after = _segment_means(y, cps)
    for i in range(k):
        s, c, e = int(b[i]), int(cps[i]), int(b[i + 2])
        before[i] = cost.value_at(f, i, c - 1) if lin[i] else mean_before[i]
        after[i] = cost.value_at(f, i + 1, c) if lin[i + 1] else mean_after[i]
        if not (lin[i] or lin[i + 1]):
            continue
        if lin[i + 1]:
            if _slope_change_gain(cost, s, c, e, bool(lin[i]), True) > price:
                kinds[i] = KIND_RAMP
                after[i] = cost.value_at(f, i + 1, e - 1)
                end[i] = min(e, n - 1)
                slope[i] = f["slope"][i + 1] / cost.step
        else:
            # A level after a ramp: the ramp ended unless the signal jumped by more
            # than a quarter of what the ramp had risen.
            rise = cost.value_at(f, i, c) - cost.value_at(f, i, s)
            jump = after[i] - cost.value_at(f, i, c)
            if abs(jump) <= RAMP_END_JUMP * abs(rise):
                kinds[i] = KIND_RAMP_END
    return kinds, before, after, end, slope, lin


def _describe(y, res, vres, var_segs, changes: dict, info: dict) -> dict:
    """Assemble the per-change arrays from the mean track and the variance track."""
    noise = info["noise"]
    n = y.size
    rows = []  # (pos, lo, hi, kind, before, after, sb, sa, strength, end, slope)

    def sigma_at(pos_array):
        if var_segs is None:
            return np.full(len(pos_array), noise)
        ratio_cps, ratios, base = var_segs
        return base * ratios[np.searchsorted(ratio_cps, pos_array, side="right")]

    mean_cps = res["cps"] if res is not None else np.array([], dtype=np.int64)
    used_var = np.zeros(0 if vres is None else vres["cps"].size, dtype=bool)
    if mean_cps.size:
        sb = sigma_at(mean_cps - 1)
        sa = sigma_at(mean_cps)
        if "cost" in res:
            kinds, before, after, end, slope, lin = _trend_rows(y, res, n)
            level_before = ~lin[:-1]
        else:
            before, after = _segment_means(y, mean_cps)
            kinds = np.full(mean_cps.size, KIND_MEAN, dtype=object)
            end = np.full(mean_cps.size, -1, dtype=np.int64)
            slope = np.full(mean_cps.size, np.nan)
            level_before = np.ones(mean_cps.size, dtype=bool)
        strength2 = res["gain"].copy()
        lo, hi = res["lo"].copy(), res["hi"].copy()
        is_mean = kinds == KIND_MEAN
        step_like = is_mean & level_before
        if step_like.any():
            dep = departures(y, mean_cps, before, after, sb)
            lo = np.where(step_like, np.minimum(lo, dep), lo)
        if vres is not None and vres["cps"].size:
            xv = vres["x_cps"]
            for i, p in enumerate(mean_cps):
                if not is_mean[i]:
                    continue
                j = int(np.argmin(np.abs(xv - p)))
                tol = max(3, hi[i] - lo[i])
                if not used_var[j] and abs(int(xv[j]) - int(p)) <= tol:
                    used_var[j] = True
                    kinds[i] = KIND_BOTH
                    strength2[i] += vres["gain"][j]
        for i in range(mean_cps.size):
            rows.append((mean_cps[i], lo[i], hi[i], kinds[i], before[i], after[i], sb[i],
                         sa[i], math.sqrt(max(strength2[i], 0.0)), end[i], slope[i]))
    if vres is not None and vres["cps"].size:
        xv = vres["x_cps"]
        before, after = _segment_means(y, xv)
        sb = sigma_at(xv - 1)
        sa = sigma_at(xv)
        for j in np.flatnonzero(~used_var):
            rows.append((xv[j], vres["x_lo"][j], vres["x_hi"][j], KIND_VARIANCE, before[j],
                         after[j], sb[j], sa[j], math.sqrt(max(vres["gain"][j], 0.0)), -1,
                         np.nan))
    if not rows:
        return changes
    rows.sort(key=lambda r: r[0])
    cols = list(zip(*rows))
    changes.update({
        "pos": np.asarray(cols[0], dtype=np.int64), "lo": np.asarray(cols[1], dtype=np.int64),
        "hi": np.asarray(cols[2], dtype=np.int64), "kind": np.asarray(cols[3], dtype=object),
        "before": np.asarray(cols[4], float), "after": np.asarray(cols[5], float),
        "sigma_before": np.asarray(cols[6], float), "sigma_after": np.asarray(cols[7], float),
        "strength": np.asarray(cols[8], float), "end": np.asarray(cols[9], dtype=np.int64),
        "slope": np.asarray(cols[10], float)})
    return changes
