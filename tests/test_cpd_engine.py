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
