"""Tests for the prefix-sum engine behind detect_changes (rca/_cpd_engine.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.signal import lfilter

from rca import _cpd_engine as engine


def brute_force_best(y, s, e, min_size):
    """Exhaustive best split of y[s:e] by squared-error reduction (unit weights)."""
    best, where = -1.0, None
    total = ((y[s:e] - y[s:e].mean()) ** 2).sum()
    for t in range(s + min_size, e - min_size + 1):
        left, right = y[s:t], y[t:e]
        g = total - ((left - left.mean()) ** 2).sum() - ((right - right.mean()) ** 2).sum()
        if g > best + 1e-9:
            best, where = g, t
    return where, best


@pytest.mark.parametrize("seed", range(4))
def test_best_split_is_exact_on_short_segments(seed):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=300)
    y[rng.integers(50, 250):] += rng.uniform(0.2, 2.0)
    cost = engine.MeanCost(y, 1.0)
    starts, ends = np.array([0, 100]), np.array([100, 300])
    t, g = engine.best_splits(cost, starts, ends, 3)
    for i in range(2):
        where, best = brute_force_best(y, starts[i], ends[i], 3)
        assert t[i] == where
        assert g[i] == pytest.approx(best, rel=1e-9)


def test_coarse_to_fine_search_finds_the_exact_step_in_a_long_segment():
    rng = np.random.default_rng(5)
    n = 200_000
    y = rng.normal(size=n)
    y[123_457:] += 0.5
    cost = engine.MeanCost(y, 1.0)
    t, g = engine.best_splits(cost, np.array([0]), np.array([n]), 3)
    # the exact maximum over every position, computed directly
    pos = np.arange(3, n - 2)
    full = cost.gains(np.zeros_like(pos), pos, np.full_like(pos, n))
    assert t[0] == pos[np.argmax(full)]
    assert abs(t[0] - 123_457) <= 50


def test_weights_spanning_more_than_float_precision_still_give_a_best_split():
    # A quantised recorder's 1-min means: long constant stretches and brief wiggles make the
    # variance track's segments differ by 1e5 in sd, so the mean track's weights (1 / sd^2)
    # span more than float64 resolves in their prefix sums. A stretch of such samples then
    # weighed exactly nothing (0 / 0 gains, and an IndexError in the split search).
    rng = np.random.default_rng(2)
    y = np.r_[rng.normal(0.0, 1.0, 200), rng.normal(3.0, 1e5, 20)]
    w = np.r_[np.full(200, 400.0), np.full(20, 1.0 / 6.7e5 ** 2)]
    cost = engine.MeanCost(y, w)
    pos = np.arange(3, y.size - 2)
    g = cost.gains(np.zeros_like(pos), pos, np.full_like(pos, y.size))
    assert np.isfinite(g).all()
    t, gmax = engine.best_splits(cost, np.array([0]), np.array([y.size]), 3)
    assert t.size == 1 and np.isfinite(gmax[0])
    trend = engine.TrendCost(np.arange(y.size, dtype=float), y, w, lam=10.0)
    t, gmax = engine.best_splits(trend, np.array([0]), np.array([y.size]), 3)
    assert t.size == 1 and np.isfinite(gmax[0])


def test_poisson_gain_is_the_deviance_reduction():
    y = np.array([0, 1, 0, 0, 1, 3, 2, 4, 3, 5], dtype=float)
    cw, cx = engine.prefix(np.ones(y.size), y)
    g = engine.gains(cw, cx, np.array([0]), np.array([5]), np.array([10]), "poisson")[0]

    def loglik(seg):
        lam = seg.mean()
        return sum(k * math.log(lam) - lam for k in seg if lam > 0) if lam > 0 else 0.0

    expected = 2 * (loglik(y[:5]) + loglik(y[5:]) - loglik(y))
    assert g == pytest.approx(expected, rel=1e-12)


def test_spike_filter_matches_a_full_hampel_filter():
    rng = np.random.default_rng(6)
    y = rng.normal(size=5000)
    idx = rng.choice(5000, 60, replace=False)
    y[idx] += rng.choice([-1, 1], 60) * rng.uniform(3, 40, 60)
    out, count = engine.remove_spikes(y, 1.0)
    p = np.pad(y, 2, mode="edge")
    med = np.median(np.lib.stride_tricks.sliding_window_view(p, 5), axis=1)
    bad = np.abs(y - med) > 5.0
    assert count == int(bad.sum()) > 0
    np.testing.assert_array_equal(out, np.where(bad, med, y))


def test_spike_filter_keeps_steps():
    y = np.r_[np.zeros(100), np.full(100, 50.0)]
    out, count = engine.remove_spikes(y, 1.0)
    assert count == 0
    np.testing.assert_array_equal(out, y)


@pytest.mark.parametrize("phi", [0.0, 0.9])
def test_long_run_inflation_tracks_autocorrelation(phi):
    rng = np.random.default_rng(7)
    y = lfilter([1.0], [1.0, -phi], rng.normal(size=50_000))
    prof = engine.noise_profile(y, np.zeros(y.size - 1, dtype=bool))
    true = (1 + phi) / (1 - phi) ** 2  # long-run variance / (first-difference variance / 2)
    assert true * 0.7 <= prof["inflation"] <= true * 2.5


def test_plateau_follows_a_rise_to_its_top():
    bs = np.array([1, 2, 4, 8, 16])
    assert engine.plateau(bs, np.array([1.0, 1.9, 3.5, 6.0, 9.0]), 256) == (9.0, 4)


def test_plateau_averages_estimates_that_only_scatter():
    # A flat curve whose noisy later estimates go up and down: one level, weighted by the
    # number of blocks behind each estimate (n / b), not the largest estimate.
    bs = np.array([1, 2, 4, 8])
    vs = np.array([1.2, 1.0, 1.1, 0.8])
    level, first = engine.plateau(bs, vs, 64)
    w = 64 / bs
    assert level == pytest.approx(np.dot(w, vs) / w.sum())
    assert first == 0
    assert level < vs.max()


def test_plateau_pools_a_high_only_with_what_comes_after_it():
    # A rise to 4, then estimates scattering around 4: the plateau is their weighted mean,
    # and it begins at the block length of the first of them.
    bs = np.array([1, 2, 4, 8, 16])
    vs = np.array([1.0, 2.0, 4.4, 3.6, 4.0])
    level, first = engine.plateau(bs, vs, 256)
    w = 256 / bs[2:]
    assert level == pytest.approx(np.dot(w, vs[2:]) / w.sum())
    assert first == 2


def test_long_run_variance_of_short_white_noise_is_not_inflated_by_the_noisiest_block():
    # On white noise every block estimate has the same expectation (inflation 1), but the
    # estimates at long blocks are noisy (about 3.6 sqrt(b / n) relative sd); their largest
    # was 1.5-1.7 times the truth at the median for 300 samples; the plateau 1.25.
    rng = np.random.default_rng(11)
    infl = [engine.noise_profile(rng.normal(size=300), np.zeros(299, dtype=bool))["inflation"]
            for _ in range(200)]
    assert 1.0 <= np.median(infl) < 1.4  # the largest estimate: 1.49 on these series


def test_long_run_scale_ignores_a_few_steps():
    rng = np.random.default_rng(8)
    y = rng.normal(size=20_000)
    for c in (3000, 7000, 12000, 16000):
        y[c:] += 3.0
    prof = engine.noise_profile(y, np.zeros(y.size - 1, dtype=bool))
    assert prof["inflation"] < 2.0


def test_noise_of_held_values_is_taken_on_distinct_values():
    rng = np.random.default_rng(9)
    y = np.repeat(rng.normal(0, 3, 2000), 6)
    sigma, basis = engine.short_term_noise(np.diff(y))
    assert basis == "distinct values"
    assert sigma == pytest.approx(3.0, rel=0.1)


def test_location_drop_is_the_95_percent_quantile():
    # P(max of two independent Exp(1)) <= x = (1 - e^-x)^2 ; the drop is 2x
    x = engine.LOCATION_DROP_95 / 2
    assert (1 - math.exp(-x)) ** 2 == pytest.approx(0.95)


def test_departure_dates_a_ramp_at_its_start():
    y = np.r_[np.zeros(200), np.linspace(0, 10, 50), np.full(200, 10.0)]
    y = y + np.random.default_rng(10).normal(0, 0.2, y.size)
    cps = np.array([225])
    before, after = engine._segment_means(y, cps)
    d = engine.departures(y, cps, before, after, np.array([0.2]))
    assert 198 <= d[0] <= 212


# ------------------------------------------------------------- levels and slopes


def brute_force_trend_gain(x, y, w, s, t, e, lam):
    """Split gain of min(SSE_const, SSE_line + lam) segment costs, by least squares."""
    def cost(a, b):
        xs, ys, ws = x[a:b], y[a:b], w[a:b]
        m = np.average(ys, weights=ws)
        const = float(np.sum(ws * (ys - m) ** 2))
        if b - a < 2:
            return const
        design = np.stack([np.ones(b - a), xs], axis=1) * np.sqrt(ws)[:, None]
        coef, *_ = np.linalg.lstsq(design, ys * np.sqrt(ws), rcond=None)
        line = float(np.sum(ws * (ys - coef[0] - coef[1] * xs) ** 2))
        return min(const, line + lam) if lam is not None else line
    return cost(s, e) - cost(s, t) - cost(t, e)


@pytest.mark.parametrize("lam", [None, 4.0])
@pytest.mark.parametrize("weights", ["one", "per sample"])
def test_trend_gain_is_the_least_squares_cost_reduction(lam, weights):
    rng = np.random.default_rng(11)
    n = 400
    x = np.arange(n) * 10.0
    y = np.r_[np.zeros(150), np.linspace(0, 4, 150), np.full(100, 4.0)] + rng.normal(0, 0.5, n)
    w = 2.0 if weights == "one" else rng.uniform(0.5, 2.0, n)
    cost = engine.TrendCost(x, y, w, lam=lam)
    assert cost.regular == (weights == "one")
    ww = np.broadcast_to(w, (n,)).astype(float)
    xs = (x - x[n // 2]) / 10.0
    for s, t, e in [(0, 150, 400), (0, 3, 400), (100, 200, 300), (10, 15, 20), (0, 397, 400)]:
        got = cost.gains(np.array([s]), np.array([t]), np.array([e]))[0]
        assert got == pytest.approx(brute_force_trend_gain(xs, y, ww, s, t, e, lam),
                                    rel=1e-7, abs=1e-7)


def test_trend_gains_on_a_regular_grid_equal_the_general_prefix_sums():
    rng = np.random.default_rng(12)
    n = 5000
    y = np.r_[np.zeros(2000), np.linspace(0, 3, 1000), np.full(2000, 3.0)] + 100.0
    y = y + rng.normal(0, 0.5, n)
    x = np.arange(n) * 10.0
    fast = engine.TrendCost(x, y, 0.7, lam=8.0, regular=True)
    general = engine.TrendCost(x, y, np.full(n, 0.7), lam=8.0)
    assert fast.regular and not general.regular
    t = np.arange(3, n - 2)
    s, e = np.zeros_like(t), np.full_like(t, n)
    np.testing.assert_allclose(fast.gains(s, t, e), general.gains(s, t, e), rtol=1e-8, atol=1e-6)
    b = np.array([0, 2000, 3000, n])
    np.testing.assert_allclose(fast.fitted(b), general.fitted(b), rtol=1e-12)


def test_trend_sums_stay_exact_for_short_segments_far_into_a_long_signal():
    # 600,000 samples with a gap: x^2 sums reach ~5e16, where float64 prefix sums would
    # lose a 3-sample segment's spread (2.0) entirely; extended precision keeps it.
    n = 600_000
    x = np.arange(n, dtype=float)
    x[n // 3:] += 50.0
    y = np.sin(x / 1000.0)
    cost = engine.TrendCost(x, y, 1.0)
    assert not cost.regular
    a = np.array([0, 10, n - 3, n // 2])
    W, X, Y, sxx, sxy = cost.sums(a, a + 3)
    np.testing.assert_allclose(sxx, 2.0, rtol=1e-6)
    for i, start in enumerate(a):
        seg = slice(start, start + 3)
        xs = (x[seg] - x[n // 2]) - np.mean(x[seg] - x[n // 2])
        assert sxy[i] == pytest.approx(float(np.sum(xs * y[seg])), rel=1e-5, abs=1e-12)


def test_a_smooth_bend_is_dropped_and_a_sharp_corner_kept():
    rng = np.random.default_rng(13)
    n = 2000
    t = np.arange(n, dtype=float)
    bend = 1e-6 * (t - 300.0) ** 2 + rng.normal(0, 0.05, n)   # a parabola
    corner = np.maximum(t - 1000.0, 0.0) * 0.01 + rng.normal(0, 0.05, n)
    for y, expect in ((bend, 0), (corner, 1)):
        cost = engine.TrendCost(t, y, 1.0 / 0.05 ** 2, lam=np.log(n))
        cps = engine.segment_trend(t, y, 1.0 / 0.05 ** 2, penalty=3 * np.log(n), lam=np.log(n),
                                   min_size=3, max_changes=100)["cps"]
        kept, dropped = engine.drop_bends(cost, np.array([1000]))
        assert kept.size == expect
        if expect:
            assert cps.size == 1 and abs(int(cps[0]) - 1000) <= 10


def test_regular_grid_check():
    assert engine.is_regular(np.arange(10) * 2.5)
    assert not engine.is_regular(np.r_[np.arange(5), np.arange(6, 11)] * 1.0)
    assert engine.is_regular(np.array([3.0]))


def test_pruning_updates_neighbours_only_and_matches_a_full_recompute():
    def naive(cost, cps, n, penalty):
        cps = np.sort(cps)
        g = engine.local_gains(cost, cps, n)
        while cps.size and g.min() <= penalty:
            cps = np.delete(cps, int(np.argmin(g)))
            g = engine.local_gains(cost, cps, n)
        return cps, g

    rng = np.random.default_rng(14)
    n = 2000
    for trial in range(12):
        y = np.cumsum(rng.normal(size=n)) * 0.1 + rng.normal(size=n)
        w = rng.uniform(0.5, 2.0, n) if trial % 2 else 1.0
        cost = engine.TrendCost(np.arange(n) * 1.0, y, w, lam=7.0)
        cps = engine._spaced(rng.integers(3, n - 3, 300), n, 3)
        penalty = float(rng.uniform(5.0, 40.0))
        got, gains = engine.prune(cost, cps, n, penalty=penalty)
        want, want_gains = naive(cost, cps, n, penalty)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_allclose(gains, want_gains, rtol=1e-12)
        assert 0 < got.size < cps.size


def test_a_grid_with_gaps_uses_exact_float64_sums_that_equal_extended_precision():
    rng = np.random.default_rng(15)
    n = 5000
    y = np.r_[np.zeros(2000), np.linspace(0, 3, 1000), np.full(2000, 3.0)] + 100.0
    y = y + rng.normal(0, 0.5, n)
    x = np.arange(n) * 10.0
    x[3000:] += 500.0  # a gap of 50 samples
    whole = engine.TrendCost(x, y, 0.7, lam=8.0)
    extended = engine.TrendCost(x, y, np.full(n, 0.7), lam=8.0)
    assert not whole.regular and whole.w0 == 0.7 and whole.cxx.dtype == float
    assert extended.w0 is None and extended.cxx.dtype == np.longdouble
    t = np.arange(3, n - 2)
    s, e = np.zeros_like(t), np.full_like(t, n)
    np.testing.assert_allclose(whole.gains(s, t, e), extended.gains(s, t, e), rtol=1e-8,
                               atol=1e-6)
