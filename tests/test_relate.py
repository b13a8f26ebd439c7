"""Tests of rca.relate: known answers, false-positive rates, exactness against
statsmodels, and clear errors for bad input."""

from __future__ import annotations

import doctest
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

import rca.relate
from rca import _relate_events, _relate_granger, _relate_stats
from rca.errors import AnalysisError, ParameterError
from rca.relate import (
    LaggedCorrelation,
    correlation_by_lag,
    event_association,
    granger_causality,
    lagged_correlation,
    lagged_correlations,
    propagation_graph,
)

T0 = pd.Timestamp("2024-03-30 22:00", tz="UTC")  # the grid crosses the EU DST switch


def grid(n: int, freq: str = "1min") -> pd.DatetimeIndex:
    return pd.date_range(T0, periods=n, freq=freq, name="time")


def ar1(n: int, phi: float, rng: np.random.Generator, scale: float = 1.0) -> np.ndarray:
    """Stationary AR(1) started from its stationary distribution."""
    e = rng.normal(scale=scale, size=n)
    x = np.empty(n)
    x[0] = e[0] / np.sqrt(1 - phi**2)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return x


def binomial_band(n: int, p: float, level: float = 0.999) -> tuple[float, float]:
    """Share of successes that n Bernoulli(p) trials stay within with probability `level`."""
    lo, hi = stats.binom.interval(level, n, p)
    return lo / n, hi / n


def lagged_pair(n: int = 1000, lag: int = 37, seed: int = 0) -> tuple[pd.Series, pd.Series]:
    """x: AR(1) phi=0.95; y: x delayed by `lag` samples plus AR(1) noise."""
    rng = np.random.default_rng(seed)
    x = ar1(n + lag, 0.95, rng)
    y = x[:-lag] + ar1(n + lag, 0.8, rng, scale=0.6)[lag:]
    index = grid(n)
    return pd.Series(x[lag:], index=index, name="valve"), pd.Series(y, index=index, name="flow")


# --------------------------------------------------------------------------
# lagged correlation: known answers
# --------------------------------------------------------------------------


def test_known_lag_is_found_exactly():
    x, y = lagged_pair()
    res = lagged_correlation(x, y, max_lag="60min")
    assert isinstance(res, LaggedCorrelation)
    assert res.lag == pd.Timedelta("37min")
    assert res.significant and res.p_value < 1e-10
    assert res.r > 0.3
    assert res.ci_low < res.r < res.ci_high
    assert res.ar_order >= 1
    assert res.n_lags == 121 and res.max_lag == pd.Timedelta("60min")
    assert res.n_eff <= res.n <= 1000
    assert res.to_dict()["lag"] == res.lag
    assert res.to_frame().loc[0, "r"] == res.r


def test_sign_convention_positive_lag_means_x_leads():
    x, y = lagged_pair()
    assert lagged_correlation(y, x, max_lag="60min").lag == pd.Timedelta("-37min")
    leads = lagged_correlation(x, y, max_lag="60min", direction="x_leads")
    assert leads.lag == pd.Timedelta("37min") and leads.n_lags == 61
    wrong_way = lagged_correlation(x, y, max_lag="60min", direction="y_leads")
    assert wrong_way.lag <= pd.Timedelta(0) and not wrong_way.significant


def test_independent_ar1_pairs_false_positive_rate_and_why_prewhitening():
    """200 seeded pairs of independent AR(1), phi=0.9: about alpha are significant
    after pre-whitening; the naive Pearson test at lag 0 flags far more."""
    n, alpha, pairs = 400, 0.05, 200
    index = grid(n)
    significant, naive = 0, 0
    for seed in range(pairs):
        rng = np.random.default_rng(1000 + seed)
        x = pd.Series(ar1(n, 0.9, rng), index=index, name="x")
        y = pd.Series(ar1(n, 0.9, rng), index=index, name="y")
        significant += lagged_correlation(x, y, max_lag="20min", alpha=alpha).significant
        naive += stats.pearsonr(x, y).pvalue < alpha
    lo, hi = binomial_band(pairs, alpha)
    assert lo <= significant / pairs <= hi
    assert naive / pairs > 0.3  # autocorrelation fakes relations without pre-whitening


def test_gaps_reduce_the_sample_size_and_are_not_bridged():
    x, y = lagged_pair()
    full = lagged_correlation(x, y, max_lag="60min")
    x_gap = x.copy()
    x_gap.iloc[300:400] = np.nan
    gappy = lagged_correlation(x_gap, y, max_lag="60min")
    assert gappy.lag == pd.Timedelta("37min")
    # 100 missing x samples, plus the AR order's worth of residuals after the gap
    assert full.n - gappy.n >= 100
    assert gappy.n_eff < full.n_eff


def test_masked_xcorr_equals_pearson_on_valid_pairs():
    rng = np.random.default_rng(5)
    a = rng.normal(size=(4, 300))
    b = rng.normal(size=(4, 300)) + 0.5 * np.roll(a, 2, axis=1)
    a[0, 50:60] = np.nan  # a gap inside: the masked-FFT path
    b[1, 100:130] = np.nan
    a[3, :3] = np.nan  # one block of valid samples on each side: the prefix-sum path
    b[3, :5] = np.nan
    b[3, -7:] = np.nan
    lags = np.arange(-5, 6)
    r, n = _relate_stats.masked_xcorr(a, b, lags)
    for i in range(4):
        for j, k in enumerate(lags):
            left = pd.Series(a[i])
            right = pd.Series(b[i]).shift(-k)
            ok = left.notna() & right.notna()
            assert n[i, j] == ok.sum()
            assert r[i, j] == pytest.approx(np.corrcoef(left[ok], right[ok])[0, 1], abs=1e-10)


def test_ar_order_and_coefficients_match_statsmodels():
    from statsmodels.tsa.ar_model import AutoReg, ar_select_order

    rng = np.random.default_rng(11)
    for phis in ([0.9], [0.5, 0.3], [1.2, -0.5], [0.6, 0.0, 0.3], []):
        e = rng.normal(size=800)
        x = np.zeros(800)
        for t in range(800):
            x[t] = e[t] + sum(p * x[t - k - 1] for k, p in enumerate(phis) if t - k - 1 >= 0)
        x = x + 5.0
        order = _relate_stats.select_ar_order(x, 10)
        lags = ar_select_order(x, 10, ic="bic", trend="c").ar_lags
        assert order == (0 if lags is None else max(lags))
        assert order == len(phis)
        if order:
            fit = _relate_stats.fit_ar(x, order)
            ref = AutoReg(x, lags=order, trend="c").fit().params
            np.testing.assert_allclose(np.r_[fit.intercept, fit.coef], ref, atol=1e-10)


def test_ar_order_zero_turns_prewhitening_off():
    x, y = lagged_pair(n=600)
    res = lagged_correlation(x, y, max_lag="60min", ar_order=0)
    assert res.ar_order == 0
    # without pre-whitening the smooth AR(1) x correlates at many lags, so the peak
    # is broad and the effective sample size is heavily discounted by Bartlett's factor
    assert res.n_eff < 0.5 * res.n
    assert lagged_correlation(x, y, max_lag="60min").n_eff > 0.9 * res.n


def test_non_utc_input_gives_the_same_answer():
    x, y = lagged_pair(n=500)
    utc = lagged_correlation(x, y, max_lag="60min")
    local = lagged_correlation(
        x.tz_convert("Europe/Berlin"), y.tz_convert("Europe/Berlin"), max_lag="60min"
    )
    assert local == utc


def test_only_the_common_span_is_used():
    x, y = lagged_pair(n=600)
    res = lagged_correlation(x.iloc[100:], y.iloc[:550], max_lag="60min")
    assert res.lag == pd.Timedelta("37min")
    assert res.n <= 450


@pytest.mark.datasets
def test_real_unrelated_signals_are_rarely_correlated():
    """SKAB's anomaly-free water-circuit record (real 1 Hz sensors: quantised, skewed,
    strongly autocorrelated). A channel from one 10-minute chunk against a channel
    from a chunk 10 minutes later cannot be related, so the share found significant
    must stay near alpha; naive Pearson on the same pairs is far off."""
    from conftest import shared_dataset

    path = shared_dataset("skab") / "anomaly-free" / "anomaly-free.csv"
    record = pd.read_csv(path, sep=";", index_col="datetime")
    chunk = 600
    index = grid(chunk, "1s")  # the record's own clock has 2 s steps; use sample order
    starts = range(0, len(record) - 3 * chunk, 2 * chunk)
    significant = naive = pairs = 0
    for start in starts:
        early = record.iloc[start : start + chunk]
        late = record.iloc[start + 2 * chunk : start + 3 * chunk]
        for a in record.columns:
            for b in record.columns:
                x = pd.Series(early[a].to_numpy(float), index=index, name=a)
                y = pd.Series(late[b].to_numpy(float), index=index, name=b)
                if x.nunique() < 3 or y.nunique() < 3:
                    continue
                pairs += 1
                significant += lagged_correlation(x, y, max_lag="60s").significant
                naive += stats.pearsonr(x, y).pvalue < 0.05
    assert pairs > 300
    assert significant / pairs <= binomial_band(pairs, 0.05)[1]
    assert naive / pairs > 0.2


# --------------------------------------------------------------------------
# many signals against one target
# --------------------------------------------------------------------------


def signal_frame(n: int = 800, seed: int = 3) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    index = grid(n)
    data = pd.DataFrame(
        {f"tag{i}": ar1(n, 0.9, rng) for i in range(6)}, index=index
    )
    target = (data["tag2"].shift(5) + ar1(n, 0.7, rng, scale=0.5)).rename("quality")
    data["flat"] = 3.0
    data["sparse"] = np.where(np.arange(n) < 20, rng.normal(size=n), np.nan)
    data["quality"] = target
    data.iloc[200:260, 0] = np.nan
    return data, target


def test_lagged_correlations_matches_the_single_pair_function():
    data, target = signal_frame()
    table = lagged_correlations(data, target, max_lag="30min", correction=None)
    assert list(table.columns[:14]) == [
        "signal", "lag", "r", "ci_low", "ci_high", "p_value", "p_adjusted",
        "significant", "n", "n_eff", "ar_order", "p_value_lag", "n_lags", "reason",
    ]
    assert list(table["signal"]) == list(data.columns)
    for name in [f"tag{i}" for i in range(6)]:
        one = lagged_correlation(data[name], target, max_lag="30min")
        row = table.set_index("signal").loc[name]
        assert row["lag"] == one.lag
        assert row["r"] == pytest.approx(one.r, abs=1e-12)
        assert row["p_value"] == pytest.approx(one.p_value, rel=1e-9)
        assert row["n_eff"] == pytest.approx(one.n_eff, rel=1e-12)
    assert table.loc[table["significant"], "signal"].tolist() == ["tag2"]
    assert table.set_index("signal").loc["tag2", "lag"] == pd.Timedelta("5min")


def test_lagged_correlations_reports_skipped_signals_and_corrects_across_signals():
    data, target = signal_frame()
    table = lagged_correlations(data, target, max_lag="30min").set_index("signal")
    assert table.loc["flat", "reason"] == "constant (3) over the common span"
    assert table.loc["sparse", "reason"].startswith("20 valid samples in the common span")
    assert table.loc["quality", "reason"] == "is the target itself"
    for name in ("flat", "sparse", "quality"):
        assert np.isnan(table.loc[name, "r"]) and not table.loc[name, "significant"]
        assert table.loc[name, "ar_order"] == -1
    tested = table[table["reason"] == ""]
    expected = multipletests(tested["p_value"], method="fdr_bh")[1]
    np.testing.assert_allclose(tested["p_adjusted"], expected)
    assert (tested["p_adjusted"] >= tested["p_value"] - 1e-15).all()
    settings = table.attrs["settings"]
    assert settings["max_lag"] == pd.Timedelta("30min") and settings["correction"] == "fdr_bh"
    assert set(settings["skipped"]) == {"flat", "sparse", "quality"}


def test_correlation_by_lag_is_the_heatmap_table():
    data, target = signal_frame()
    table = correlation_by_lag(data, target, max_lag="10min")
    assert list(table.columns) == ["signal", "lag", "r", "n", "n_eff", "p_value"]
    assert table["signal"].unique().tolist() == [f"tag{i}" for i in range(6)]
    assert len(table) == 6 * 21
    tag2 = table[table["signal"] == "tag2"].set_index("lag")
    assert tag2["r"].idxmax() == pd.Timedelta("5min")
    best = lagged_correlations(data, target, max_lag="10min").set_index("signal")
    assert tag2.loc[pd.Timedelta("5min"), "r"] == pytest.approx(best.loc["tag2", "r"])
    assert "flat" in table.attrs["settings"]["skipped"]


def test_auto_max_lag_is_reported():
    x, y = lagged_pair(n=1000)
    res = lagged_correlation(x, y)
    assert res.max_lag == pd.Timedelta("100min")  # a tenth of 1000 one-minute samples
    assert res.lag == pd.Timedelta("37min")


# --------------------------------------------------------------------------
# lagged correlation: bad input
# --------------------------------------------------------------------------


def test_naive_index_is_rejected():
    x, y = lagged_pair(n=100)
    with pytest.raises(ParameterError, match=r"x\.index: the DatetimeIndex is naive"):
        lagged_correlation(x.tz_localize(None), y)


def test_non_datetime_index_is_rejected():
    x, y = lagged_pair(n=100)
    with pytest.raises(
        ParameterError,
        match=r"y\.index: expected an index of type DatetimeIndex.*got RangeIndex",
    ):
        lagged_correlation(x, y.reset_index(drop=True))


def test_mismatched_frequencies_are_rejected():
    x, y = lagged_pair(n=200)
    with pytest.raises(
        ParameterError,
        match=r"x and y are on different grids: steps of 0 days 00:01:00 and 0 days 00:02:00",
    ):
        lagged_correlation(x, y.iloc[::2])


def test_offset_grids_are_rejected():
    x, y = lagged_pair(n=200)
    shifted = y.copy()
    shifted.index = shifted.index + pd.Timedelta("30s")
    with pytest.raises(ParameterError, match=r"grids are offset by 0 days 00:00:30"):
        lagged_correlation(x, shifted)


def test_irregular_and_duplicated_and_unsorted_indexes_are_rejected():
    x, y = lagged_pair(n=200)
    with pytest.raises(
        ParameterError,
        match=(
            r"x\.index: the index is not a regular grid: steps of 0 days 00:01:00 expected .* "
            r"found 0 days 00:02:00 between 2024-03-30 22:09:00\+00:00"
        ),
    ):
        lagged_correlation(x.drop(x.index[10]), y)
    with pytest.raises(
        ParameterError,
        match=(
            r"y\.index: the index has duplicated timestamps "
            r"\(first: 2024-03-30 22:05:00\+00:00\)"
        ),
    ):
        lagged_correlation(x, pd.concat([y, y.iloc[[5]]]).sort_index())
    with pytest.raises(ParameterError, match=r"x\.index: the index is not sorted"):
        lagged_correlation(x.iloc[::-1], y)


def test_too_few_samples_are_rejected():
    x, y = lagged_pair(n=200)
    with pytest.raises(
        AnalysisError,
        match=r"y \('flow'\): 25 valid samples in the common span .* at least 30",
    ):
        lagged_correlation(x, y.iloc[:25])
    with pytest.raises(AnalysisError, match=r"x\.index: 1 sample\(s\); at least 30 are needed"):
        lagged_correlation(x.iloc[:1], y)


def test_constant_signals_are_rejected():
    x, y = lagged_pair(n=200)
    with pytest.raises(
        AnalysisError,
        match=r"x \('valve'\): constant \(2\.5\) over the common span",
    ):
        lagged_correlation(x * 0 + 2.5, y)
    with pytest.raises(AnalysisError, match=r"y \('flow'\) is constant \(1\) over the common span"):
        lagged_correlation(x, y * 0 + 1)


def test_no_overlap_is_rejected():
    x, y = lagged_pair(n=200)
    with pytest.raises(AnalysisError, match=r"x \(.*\) and y \(.*\) do not overlap in time"):
        lagged_correlation(x.iloc[:100], y.iloc[100:])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(max_lag=5), r"max_lag: expected a positive duration .* got the bare number 5"),
        (
            dict(max_lag="10s"),
            r"max_lag=0 days 00:00:10 is shorter than the grid step 0 days 00:01:00",
        ),
        (
            dict(max_lag="3h"),
            (
                r"max_lag=0 days 03:00:00 is 180 grid steps but the common span has only 200 "
                r"samples"
            ),
        ),
        (dict(max_lag="-5min"), r"max_lag: expected a positive duration"),
        (dict(max_lag="soon"), r"max_lag: expected a positive duration .* got 'soon'"),
        (dict(ar_order=-1), r"ar_order: expected 'auto' or a whole number >= 0 .* got -1"),
        (dict(ar_order=1.5), r"ar_order: expected 'auto' or a whole number >= 0 .* got 1\.5"),
        (dict(alpha=1.5), r"alpha: expected a number between 0 and 1, got 1\.5"),
        (
            dict(direction="forward"),
            r"direction: expected one of \['both', 'x_leads', 'y_leads'\], got 'forward'",
        ),
    ],
)
def test_bad_options_are_rejected(kwargs, message):
    x, y = lagged_pair(n=200)
    with pytest.raises(ParameterError, match=message):
        lagged_correlation(x, y, **kwargs)


def test_bad_values_are_rejected():
    x, y = lagged_pair(n=200)
    with pytest.raises(ParameterError, match=r"x: expected float values, got dtype"):
        lagged_correlation(x.astype(str), y)
    x_inf = x.copy()
    x_inf.iloc[3] = np.inf
    with pytest.raises(ParameterError, match=r"x: contains infinite values"):
        lagged_correlation(x_inf, y)
    with pytest.raises(
        ParameterError,
        match=r"x: expected a pandas Series \(one signal\), got list",
    ):
        lagged_correlation(list(x), y)


def test_bad_signal_frames_are_rejected():
    data, target = signal_frame(n=200)
    with pytest.raises(
        ParameterError,
        match=r"signals\['text'\]: expected float values, got dtype",
    ):
        lagged_correlations(data.assign(text="a"), target)
    with pytest.raises(ParameterError, match=r"signals: duplicated column names \['tag1'\]"):
        lagged_correlations(data[["tag0", "tag1", "tag1"]], target)
    with pytest.raises(ParameterError, match=r"correction: expected one of .* got 'fdr'"):
        lagged_correlations(data, target, correction="fdr")


# --------------------------------------------------------------------------
# Granger causality
# --------------------------------------------------------------------------


def granger_data(n: int = 600, seed: int = 3) -> pd.DataFrame:
    """x drives y with a delay of 2 steps; z is unrelated; 'flat' is constant."""
    rng = np.random.default_rng(seed)
    x, y, e = np.zeros(n), np.zeros(n), rng.normal(size=(n, 2))
    for t in range(2, n):
        x[t] = 0.6 * x[t - 1] + e[t, 0]
        y[t] = 0.5 * y[t - 1] + 0.8 * x[t - 2] + e[t, 1]
    return pd.DataFrame(
        {"x": x, "y": y, "z": ar1(n, 0.7, rng), "flat": 1.0}, index=grid(n, "1s")
    )


def test_granger_finds_the_planted_direction_and_lag():
    data = granger_data()
    table = granger_causality(data, pairs=[("x", "y"), ("y", "x"), ("z", "y")])
    assert list(table.columns) == [
        "cause", "effect", "lag", "statistic", "p_value", "p_adjusted", "significant",
        "df_num", "df_denom", "n", "cause_differenced", "effect_differenced", "reason",
    ]
    rows = table.set_index(["cause", "effect"])
    assert rows.loc[("x", "y"), "significant"] and rows.loc[("x", "y"), "p_value"] < 1e-20
    assert rows.loc[("x", "y"), "lag"] == pd.Timedelta("2s")
    assert not rows.loc[("y", "x"), "significant"]
    assert not rows.loc[("z", "y"), "significant"]
    assert not table["cause_differenced"].any() and not table["effect_differenced"].any()


def test_granger_f_test_equals_statsmodels():
    from statsmodels.tsa.stattools import grangercausalitytests

    data = granger_data(n=400)
    for order in (1, 3):
        ours = granger_causality(
            data, pairs=[("x", "y")], max_lag=f"{order}s", criterion=None, difference=False
        ).iloc[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # statsmodels' verbose deprecation
            ref = grangercausalitytests(data[["y", "x"]].to_numpy(), [order])[order][0]
        f, p, df_denom, df_num = ref["ssr_ftest"]
        assert ours["statistic"] == pytest.approx(f, rel=1e-9)
        assert ours["p_value"] == pytest.approx(p, rel=1e-6, abs=1e-300)
        assert (ours["df_num"], ours["df_denom"]) == (df_num, df_denom)
        assert ours["lag"] == pd.Timedelta(f"{order}s")


def test_var_order_selection_equals_statsmodels():
    from statsmodels.tsa.api import VAR

    for seed, delay in ((1, 1), (2, 3), (3, 5)):
        rng = np.random.default_rng(seed)
        n = 800
        x, y, e = np.zeros(n), np.zeros(n), rng.normal(size=(n, 2))
        for t in range(delay, n):
            x[t] = 0.5 * x[t - 1] + e[t, 0]
            y[t] = 0.4 * y[t - 1] + 0.7 * x[t - delay] + e[t, 1]
        ics = VAR(np.column_stack([y, x])).select_order(8).ics["bic"]
        expected = int(np.argmin(ics[1:])) + 1  # statsmodels also tries order 0
        assert _relate_granger.select_var_order(y, x, 8, criterion="bic") == expected == delay


def test_independent_ar1_pairs_granger_false_positive_rate():
    n, pairs, alpha = 300, 200, 0.05
    rng = np.random.default_rng(2024)
    columns = {}
    for i in range(pairs):
        columns[f"x{i}"] = ar1(n, 0.9, rng)
        columns[f"y{i}"] = ar1(n, 0.9, rng)
    data = pd.DataFrame(columns, index=grid(n))
    table = granger_causality(data, pairs=[(f"x{i}", f"y{i}") for i in range(pairs)])
    assert (table["reason"] == "").all()
    lo, hi = binomial_band(pairs, alpha)
    assert lo <= (table["p_value"] < alpha).mean() <= hi
    # under the global null BH rejects at most what the raw tests do, usually nothing
    assert table["significant"].sum() <= (table["p_value"] < alpha).sum()
    np.testing.assert_allclose(
        table["p_adjusted"], multipletests(table["p_value"], method="fdr_bh")[1]
    )


def test_bh_correction_keeps_planted_relations_among_many_nulls():
    rng = np.random.default_rng(7)
    n = 500
    data = granger_data(n=n, seed=7)
    for i in range(30):
        data[f"noise{i}"] = ar1(n, 0.8, rng)
    pairs = [("x", "y")] + [(f"noise{i}", "y") for i in range(30)]
    table = granger_causality(data, pairs=pairs).set_index("cause")
    assert table.loc["x", "significant"]
    assert table.drop(index="x")["significant"].sum() <= 2
    assert (table["p_adjusted"] >= table["p_value"] - 1e-15).all()
    raw = granger_causality(data, pairs=pairs, correction=None)
    np.testing.assert_array_equal(raw["p_adjusted"], raw["p_value"])


def test_granger_differences_random_walks_and_reports_it():
    rng = np.random.default_rng(4)
    n = 500
    data = pd.DataFrame(
        {"walk": rng.normal(size=n).cumsum(), "ar": ar1(n, 0.5, rng)}, index=grid(n)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no statsmodels warning may leak
        table = granger_causality(data, pairs=[("walk", "ar")])
    row = table.iloc[0]
    assert row["cause_differenced"] and not row["effect_differenced"]
    decisions = table.attrs["settings"]["stationarity"]
    assert decisions["walk"]["differenced"] and decisions["walk"]["adf_p"] > 0.05
    assert not decisions["ar"]["differenced"] and decisions["ar"]["adf_p"] < 0.05
    forced = granger_causality(data, pairs=[("walk", "ar")], difference=False)
    assert not forced.iloc[0]["cause_differenced"]


def test_granger_respects_gaps_and_windows():
    data = granger_data(n=600)
    gappy = data.copy()
    gappy.iloc[200:230, 0] = np.nan
    row = granger_causality(
        gappy, pairs=[("x", "y")], max_lag="2s", criterion=None, difference=False
    ).iloc[0]
    # rows need y_t, y_{t-1}, y_{t-2}, x_{t-1}, x_{t-2}: 598 rows minus the 32 that touch the gap
    assert row["n"] == 598 - 32
    assert row["significant"]
    window = (data.index[100], data.index[399])
    windowed = granger_causality(data, pairs=[("x", "y")], window=window, max_lag="2s",
                                 criterion=None, difference=False)
    assert windowed.iloc[0]["n"] == 300 - 2
    assert windowed.attrs["settings"]["window"] == window


def test_granger_skips_constant_signals_with_a_reason():
    data = granger_data(n=300)
    table = granger_causality(data, pairs=[("flat", "y"), ("x", "y")])
    skipped = table.iloc[0]
    assert skipped["reason"] == "cause 'flat': constant (1) in the window"
    assert np.isnan(skipped["p_value"]) and np.isnan(skipped["p_adjusted"])
    assert not skipped["significant"]
    # the skipped pair is not counted by the correction: one test, nothing to adjust
    assert table.iloc[1]["p_adjusted"] == table.iloc[1]["p_value"]


def test_granger_all_pairs_by_default():
    data = granger_data(n=300).drop(columns="flat")
    table = granger_causality(data)
    assert len(table) == 6
    assert set(zip(table["cause"], table["effect"])) == {
        (a, b) for a in data.columns for b in data.columns if a != b
    }


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            dict(pairs=[("x", "nope")]), ParameterError,
            (
                r"pairs\[0\]: effect 'nope' is not a column of data; expected one of \['x', 'y', "
                r"'z', 'flat'\]"
            ),
        ),
        (dict(pairs=[("x", "x")]), ParameterError, r"pairs\[0\]: cause and effect are both 'x'"),
        (
            dict(pairs=["xy"]), ParameterError,
            r"pairs\[0\]: expected a \(cause, effect\) pair of column names, got 'xy'",
        ),
        (
            dict(pairs="xy"), ParameterError,
            r"pairs: expected None or a list of \(cause, effect\) column pairs",
        ),
        (dict(pairs=[]), ParameterError, r"pairs: the list is empty"),
        (
            dict(difference="yes"), ParameterError,
            r"difference: expected 'auto', True or False, got 'yes'",
        ),
        (
            dict(criterion="hqic"), ParameterError,
            r"criterion: expected one of \['bic', 'aic', None\], got 'hqic'",
        ),
        (
            dict(window=("2024-03-30 22:00", "2024-03-31")), ParameterError,
            r"window\[0\]: the timestamp '2024-03-30 22:00' is naive",
        ),
        (
            dict(window=(T0, T0 + pd.Timedelta("20s"))), AnalysisError,
            r"data: 21 samples in window .* at least 30 are needed",
        ),
        (
            dict(max_lag="10min"), ParameterError,
            (
                r"max_lag=0 days 00:10:00 is 600 grid steps but the common span has only 300 "
                r"samples"
            ),
        ),
    ],
)
def test_granger_bad_input(kwargs, error, message):
    data = granger_data(n=300)
    with pytest.raises(error, match=message):
        granger_causality(data, **kwargs)


def test_granger_naive_data_is_rejected():
    data = granger_data(n=100)
    with pytest.raises(ParameterError, match=r"data\.index: the DatetimeIndex is naive"):
        granger_causality(data.tz_localize(None))


# --------------------------------------------------------------------------
# event association
# --------------------------------------------------------------------------

WINDOW = (T0, T0 + pd.Timedelta("12h"))


def planted_incident(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Background changes at random; 'valve/cmd' events each followed 2-4 min later by
    a change; 'hr/login' events at random; a 'flood/HI' burst unrelated to changes."""
    rng = np.random.default_rng(seed)
    span = (WINDOW[1] - WINDOW[0]).total_seconds()
    cmd = np.sort(rng.uniform(0, span - 600, 8))
    caused = cmd + rng.uniform(120, 240, len(cmd))
    background = rng.uniform(0, span, 25)
    login = rng.uniform(0, span, 15)
    flood = rng.uniform(0, span - 120) + rng.uniform(0, 60, 12)
    events = pd.DataFrame(
        {
            "time": WINDOW[0] + pd.to_timedelta(np.r_[cmd, login, flood], unit="s"),
            "source": ["valve"] * len(cmd) + ["hr"] * len(login) + ["flood"] * len(flood),
            "kind": ["cmd"] * len(cmd) + ["login"] * len(login) + ["HI"] * len(flood),
        }
    ).sort_values("time", ignore_index=True)
    changes = pd.DataFrame(
        {
            "signal": [f"s{i % 4}" for i in range(len(caused) + len(background))],
            "time": WINDOW[0] + pd.to_timedelta(np.r_[caused, background], unit="s"),
        }
    )
    return events, changes


@pytest.mark.parametrize("method", ["permutation", "poisson"])
def test_planted_event_kind_is_associated_and_random_ones_are_not(method):
    events, changes = planted_incident(seed=1)
    table = event_association(events, changes, within="5min", method=method, window=WINDOW)
    assert list(table.columns) == [
        "source", "kind", "n_events", "n_followed", "expected", "lift", "median_lead",
        "p_value", "p_adjusted", "significant", "n_signals", "first_time", "last_time",
    ]
    rows = table.set_index("source")
    assert table.iloc[0]["source"] == "valve"  # most significant first
    valve = rows.loc["valve"]
    assert valve["significant"] and valve["n_events"] == 8 and valve["n_followed"] == 8
    assert valve["lift"] > 3
    assert pd.Timedelta("2min") <= valve["median_lead"] <= pd.Timedelta("4min")
    assert not rows.loc["hr", "significant"]
    q = table.attrs["settings"]["coverage"]
    assert rows.loc["hr", "expected"] == pytest.approx(15 * q)
    assert 0 < q < 1


def false_positive_shares(method: str, seeds: range) -> dict[str, float]:
    """Share of seeds where an event group unrelated to the changes is significant."""
    span = 8 * 3600.0
    window = (T0, T0 + pd.Timedelta(seconds=span))
    hits = {"uniform": 0, "burst": 0}
    for seed in seeds:
        rng = np.random.default_rng(seed)

        def bursts(n_bursts, size, spread):
            centres = rng.uniform(0, span - spread, n_bursts)
            sizes = rng.integers(*size, n_bursts)
            return np.concatenate([c + rng.uniform(0, spread, k) for c, k in zip(centres, sizes)])

        change_s = np.r_[bursts(3, (5, 15), 300), rng.uniform(0, span, 8)]
        burst_s, uniform_s = bursts(3, (8, 12), 120), rng.uniform(0, span, 25)
        events = pd.DataFrame({
            "time": T0 + pd.to_timedelta(np.r_[burst_s, uniform_s], unit="s"),
            "source": ["burst"] * len(burst_s) + ["uniform"] * len(uniform_s),
            "kind": "k",
        })
        changes = pd.DataFrame({"signal": "s", "time": T0 + pd.to_timedelta(change_s, unit="s")})
        table = event_association(events, changes, within="10min", method=method,
                                  window=window, correction=None).set_index("source")
        for source in hits:
            hits[source] += table.loc[source, "p_value"] < 0.05
    return {k: v / len(seeds) for k, v in hits.items()}


def test_event_association_null_models_under_bursts():
    """Unrelated events vs clustered changes: the rotation test holds its level for
    uniform and bursty events; the Poisson test only for uniform ones."""
    seeds = range(150)
    lo, hi = binomial_band(len(seeds), 0.05)
    rotation = false_positive_shares("permutation", seeds)
    assert rotation["uniform"] <= hi and rotation["burst"] <= hi
    poisson = false_positive_shares("poisson", seeds)
    assert poisson["uniform"] <= hi
    assert poisson["burst"] > hi  # over-confident: a burst counts as many events


def test_rotation_counts_equal_brute_force():
    rng = np.random.default_rng(9)
    total, within, rotations = 10_000, 300, 1_000
    changes = np.sort(rng.integers(0, total, 12))
    events = np.sort(rng.integers(0, total, 7))
    lo, hi = _relate_events.coverage(changes, within, total)
    counts = _relate_events.rotation_counts(events, lo, hi, total, rotations)
    step = total / rotations
    for j in range(rotations):
        moved = np.mod(events + j * step, total)
        inside = ((moved[:, None] >= lo[None]) & (moved[:, None] <= hi[None])).any(axis=1)
        assert counts[j] == inside.sum(), j
    followed = np.isfinite(_relate_events.follow_lead(events, changes, within))
    assert counts[0] == followed.sum()


def test_coverage_merges_overlapping_windows():
    lo, hi = _relate_events.coverage(np.array([1000, 1100, 5000, 200]), 300, 6000)
    np.testing.assert_array_equal(lo, [0, 700, 4700])
    np.testing.assert_array_equal(hi, [200, 1100, 5000])


def test_event_association_counts_what_it_leaves_out():
    events, changes = planted_incident(seed=2)
    outside = pd.DataFrame({"time": [WINDOW[1] + pd.Timedelta("1h"), pd.NaT],
                            "source": ["valve", "hr"], "kind": ["cmd", "login"]})
    events = pd.concat([events, outside], ignore_index=True)
    events["time"] = events["time"].astype("datetime64[ns, UTC]")
    table = event_association(events, changes, window=WINDOW)
    excluded = table.attrs["settings"]["excluded"]
    assert excluded["events outside the window"] == 1
    assert excluded["events without time"] == 1
    assert table["n_events"].sum() == len(events) - 2


def test_event_association_single_grouping_column_and_no_events():
    events, changes = planted_incident(seed=3)
    table = event_association(events, changes, by="kind", window=WINDOW)
    assert list(table.columns[:2]) == ["kind", "n_events"]
    assert set(table["kind"]) == {"cmd", "login", "HI"}
    empty = event_association(events.iloc[:0], changes, window=WINDOW)
    assert empty.empty and "p_value" in empty.columns


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda e, c: (e.drop(columns="kind"), c), ParameterError,
         r"events: missing column\(s\) \['kind'\]; expected columns \['time', 'source', 'kind'\]"),
        (
            lambda e, c: (e, c.drop(columns="signal")), ParameterError,
            r"changes: missing column\(s\) \['signal'\]",
        ),
        (lambda e, c: (e.assign(time=e["time"].dt.tz_localize(None)), c), ParameterError,
         r"events\['time'\]: the times are naive"),
        (
            lambda e, c: (e, c.assign(time="noon")), ParameterError,
            r"changes\['time'\]: dtype .*; expected a datetime64\[ns, UTC\] column",
        ),
        (
            lambda e, c: (e, c.iloc[:0]), AnalysisError,
            r"changes: none in the window .* nothing to associate",
        ),
    ],
)
def test_event_association_bad_input(change, error, message):
    events, changes = planted_incident(seed=4)
    events, changes = change(events, changes)
    with pytest.raises(error, match=message):
        event_association(events, changes, window=WINDOW)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(within=600), r"within: expected a positive duration .* got the bare number 600"),
        (
            dict(method="bootstrap"),
            r"method: expected one of \['permutation', 'poisson'\], got 'bootstrap'",
        ),
        (dict(by=("source", "host")), r"events: missing column\(s\) \['host'\]"),
        (dict(window=(T0, T0)), r"window: start .* is not before end"),
    ],
)
def test_event_association_bad_options(kwargs, message):
    events, changes = planted_incident(seed=4)
    kwargs = {"window": WINDOW, **kwargs}
    with pytest.raises(ParameterError, match=message):
        event_association(events, changes, **kwargs)


# --------------------------------------------------------------------------
# propagation graph
# --------------------------------------------------------------------------


def chain_incident(n: int = 720, seed: int = 6) -> tuple[pd.DataFrame, pd.DataFrame]:
    """gateway -> valve (3 min) -> temp (4 min); 'fan' is unrelated but changes at
    a time that makes it the nearest predecessor of the valve change."""
    rng = np.random.default_rng(seed)
    index = grid(n)
    gateway = ar1(n, 0.8, rng)
    gateway[300:] += 6.0
    valve = np.r_[np.zeros(3), gateway[:-3]] + ar1(n, 0.5, rng, 0.5)
    temp = np.r_[np.zeros(4), valve[:-4]] + ar1(n, 0.5, rng, 0.5)
    fan = ar1(n, 0.8, rng)
    fan[302:] += 6.0
    signals = pd.DataFrame({"gateway": gateway, "valve": valve, "temp": temp, "fan": fan},
                           index=index)
    onsets = {"gateway": 300, "fan": 302, "valve": 303, "temp": 307}
    changes = pd.DataFrame({
        "signal": list(onsets),
        "time": [index[i] for i in onsets.values()],
        "time_lo": [index[i - 1] for i in onsets.values()],
        "time_hi": [index[i + 1] for i in onsets.values()],
        "strength": [5.0, 5.0, 4.0, 3.0],
    })
    return signals, changes


def test_propagation_graph_without_signals_links_nearest_earlier_change():
    _, changes = chain_incident()
    graph = propagation_graph(changes, max_lag="10min")
    assert list(graph.columns) == [
        "source_signal", "target_signal", "source_time", "target_time", "lag", "weight",
        "proximity", "r", "r_lag", "p_value", "rank", "n_candidates",
    ]
    edges = list(zip(graph["source_signal"], graph["target_signal"]))
    assert edges == [("gateway", "fan"), ("fan", "valve"), ("valve", "temp")]
    assert (graph["lag"] > pd.Timedelta(0)).all()
    assert (graph["source_time"] < graph["target_time"]).all()
    assert graph["n_candidates"].tolist() == [1, 2, 3]
    assert graph.attrs["settings"]["roots"] == [("gateway", changes["time"][0])]


def test_propagation_graph_with_signals_prefers_the_correlated_parent():
    signals, changes = chain_incident()
    graph = propagation_graph(changes, signals, max_lag="10min")
    parent = dict(zip(graph["target_signal"], graph["source_signal"]))
    assert parent["valve"] == "gateway"  # not the nearer but unrelated 'fan'
    assert parent["temp"] == "valve"
    valve = graph.set_index("target_signal").loc["valve"]
    assert valve["r_lag"] == pd.Timedelta("3min") and valve["p_value"] < 1e-6
    assert valve["weight"] == pytest.approx(abs(valve["r"]))
    everything = propagation_graph(changes, signals, max_lag="10min", max_parents=None)
    assert len(everything) == 1 + 2 + 3
    assert (everything.groupby("target_time")["rank"].min() == 1).all()


def test_propagation_graph_is_acyclic_and_respects_max_lag():
    rng = np.random.default_rng(8)
    times = T0 + pd.to_timedelta(np.sort(rng.integers(0, 3600, 40)), unit="s")
    changes = pd.DataFrame({"signal": rng.choice(list("abcde"), 40), "time": times})
    graph = propagation_graph(changes, max_lag="5min", max_parents=None)
    assert (graph["lag"] > pd.Timedelta(0)).all() and (graph["lag"] <= pd.Timedelta("5min")).all()
    assert (graph["source_signal"] != graph["target_signal"]).all()
    # every edge goes forward in time, so no directed cycle can exist
    assert (graph["target_time"] > graph["source_time"]).all()
    pruned = propagation_graph(changes, max_lag="5min", max_parents=2)
    assert pruned.groupby("target_time")["rank"].max().max() <= 2


def test_propagation_graph_does_not_link_simultaneous_changes():
    changes = pd.DataFrame({"signal": ["a", "b"], "time": [T0, T0]})
    graph = propagation_graph(changes)
    assert graph.empty
    assert len(graph.attrs["settings"]["roots"]) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(max_parents=0), r"max_parents: expected None or a whole number >= 1, got 0"),
        (dict(max_lag=900), r"max_lag: expected a positive duration .* got the bare number 900"),
    ],
)
def test_propagation_graph_bad_options(kwargs, message):
    _, changes = chain_incident()
    with pytest.raises(ParameterError, match=message):
        propagation_graph(changes, **kwargs)


def test_propagation_graph_bad_input():
    signals, changes = chain_incident()
    with pytest.raises(ParameterError, match=r"changes: missing column\(s\) \['signal'\]"):
        propagation_graph(changes.drop(columns="signal"))
    with pytest.raises(
        ParameterError,
        match=r"signals: no column for the changed signal\(s\) \['temp'\]",
    ):
        propagation_graph(changes, signals.drop(columns="temp"))


# --------------------------------------------------------------------------
# documentation
# --------------------------------------------------------------------------


def test_docstring_examples_run():
    result = doctest.testmod(rca.relate, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 15
    assert result.failed == 0
