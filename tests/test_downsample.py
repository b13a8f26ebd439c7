"""Tests of rca.downsample: line reduction keeps extremes and gaps; event reduction counts every row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rca.downsample import (
    DEFAULT_HIGH_SEVERITY,
    ReducedEvents,
    bucket_extrema_indices,
    downsample,
    lttb_indices,
    nice_bin_width,
    reduce_events,
    severity_is_high,
)
from rca.errors import ParameterError

T0 = pd.Timestamp("2024-03-31 00:00", tz="UTC")  # Europe/Berlin springs forward at 01:00 UTC


def grid(n: int, step: str = "1s", start: pd.Timestamp = T0) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq=step, tz="UTC", name="time")


@pytest.fixture
def plant() -> pd.DataFrame:
    """Three signals over 2 h at 1 s across the DST change: noisy with an outage, flat, a ramp."""
    rng = np.random.default_rng(7)
    n = 7200
    noisy = rng.normal(size=n).cumsum()
    noisy[3000:3400] = np.nan  # outage
    noisy[5000] = np.nan  # one missing sample
    flat = np.full(n, 4.2)
    ramp = np.linspace(-1.0, 1.0, n)
    ramp[100:110] = np.inf  # non-finite counts as missing
    return pd.DataFrame({"TIC101.PV": noisy, "flat": flat, "ramp": ramp}, index=grid(n))


# ---------------------------------------------------------------------------
# invariants shared by the line tests
# ---------------------------------------------------------------------------


def assert_no_line_across_gaps(original: pd.Series, reduced: pd.DataFrame) -> None:
    """Between consecutive output rows that are both valid, the original has no missing sample."""
    finite = np.isfinite(original.to_numpy(dtype=float))
    t_ns = original.index.as_unit("ns").asi8
    missing_cum = np.r_[0, np.cumsum(~finite)]
    out_t = reduced["time"].dt.as_unit("ns").astype("int64").to_numpy()
    out_v = reduced["value"].to_numpy()
    for a in range(len(reduced) - 1):
        if np.isnan(out_v[a]) or np.isnan(out_v[a + 1]):
            continue
        i = np.searchsorted(t_ns, out_t[a])
        j = np.searchsorted(t_ns, out_t[a + 1])
        assert missing_cum[j] - missing_cum[i + 1] == 0, (
            f"a line would be drawn across missing data between rows {a} and {a + 1}"
        )


def assert_every_gap_between_kept_points_breaks(original: pd.Series, reduced: pd.DataFrame) -> None:
    """Conversely: kept points separated by missing data in the original have a break between them."""
    finite = np.isfinite(original.to_numpy(dtype=float))
    t_ns = original.index.as_unit("ns").asi8
    missing_cum = np.r_[0, np.cumsum(~finite)]
    valid = reduced[reduced["value"].notna()]
    out_t = valid["time"].dt.as_unit("ns").astype("int64").to_numpy()
    positions = valid.index.to_numpy()
    for a in range(len(valid) - 1):
        i = np.searchsorted(t_ns, out_t[a])
        j = np.searchsorted(t_ns, out_t[a + 1])
        if missing_cum[j] - missing_cum[i + 1] > 0:
            between = reduced.loc[positions[a] + 1 : positions[a + 1] - 1, "value"]
            assert between.isna().any(), f"no break between kept rows {positions[a]} and {positions[a + 1]}"


# ---------------------------------------------------------------------------
# downsample
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["minmax", "m4"])
def test_extremes_of_every_signal_survive(plant, method):
    out = downsample(plant, max_points=200, method=method)
    for name in plant.columns:
        column = plant[name].replace([np.inf, -np.inf], np.nan)
        kept = out.loc[out["signal"] == name, "value"]
        assert kept.max() == column.max()
        assert kept.min() == column.min()


@pytest.mark.parametrize("method", ["minmax", "m4", "lttb"])
def test_rows_are_bounded_by_max_points_plus_breaks(plant, method):
    out = downsample(plant, max_points=120, method=method)
    per_signal = out.attrs["settings"]["per_signal"]
    for name in plant.columns:
        rows = out[out["signal"] == name]
        breaks = int(rows["value"].isna().sum())
        assert len(rows) - breaks <= 120
        assert per_signal[name]["kept"] == len(rows) - breaks
        assert per_signal[name]["breaks"] == breaks


@pytest.mark.parametrize("method", ["minmax", "m4", "lttb"])
def test_gaps_stay_gaps(plant, method):
    out = downsample(plant, max_points=150, method=method)
    for name in plant.columns:
        reduced = out[out["signal"] == name].reset_index(drop=True)
        assert_no_line_across_gaps(plant[name], reduced)
        assert_every_gap_between_kept_points_breaks(plant[name], reduced)
    outage = out[(out["signal"] == "TIC101.PV") & (out["value"].isna())]
    inside = (outage["time"] >= plant.index[2999]) & (outage["time"] <= plant.index[3400])
    assert inside.any(), "the 400 s outage must leave a break row inside it"


def test_break_rows_sit_between_their_neighbours(plant):
    out = downsample(plant[["TIC101.PV"]], max_points=100)
    assert out["time"].is_monotonic_increasing
    rows = out.reset_index(drop=True)
    for k in np.flatnonzero(rows["value"].isna().to_numpy()):
        assert 0 < k < len(rows) - 1
        assert rows.loc[k - 1, "time"] < rows.loc[k, "time"] < rows.loc[k + 1, "time"]


def test_flat_signal_and_short_signal_are_kept_whole():
    index = grid(50)
    frame = pd.DataFrame({"flat": np.full(50, 3.0), "short": np.arange(50.0)}, index=index)
    out = downsample(frame, max_points=100)
    short = out[out["signal"] == "short"]
    assert short["value"].tolist() == list(np.arange(50.0))
    assert list(short["time"]) == list(index)
    assert out.attrs["settings"]["per_signal"]["flat"]["kept"] == 50


def test_all_missing_signal_yields_no_rows_but_is_counted():
    frame = pd.DataFrame({"dead": np.full(100, np.nan), "alive": np.arange(100.0)}, index=grid(100))
    out = downsample(frame, max_points=10)
    assert (out["signal"] == "dead").sum() == 0
    counts = out.attrs["settings"]["per_signal"]["dead"]
    assert counts == {"rows": 100, "missing": 100, "kept": 0, "breaks": 0, "outside_time_range": 0}


def test_infinite_values_count_as_missing(plant):
    out = downsample(plant[["ramp"]], max_points=100_000)
    assert np.isfinite(out["value"].dropna()).all()
    assert out.attrs["settings"]["per_signal"]["ramp"]["missing"] == 10
    assert out["value"].isna().sum() == 1  # one break where the ten inf samples were


def test_time_range_cuts_and_counts(plant):
    start, end = plant.index[1000], plant.index[1999]
    out = downsample(plant, max_points=50, time_range=(start, end))
    assert out["time"].min() >= start and out["time"].max() <= end
    counts = out.attrs["settings"]["per_signal"]["flat"]
    assert counts["rows"] == 1000
    assert counts["outside_time_range"] == len(plant) - 1000
    assert out.attrs["settings"]["start"] == start


def test_max_gap_breaks_silent_stretches():
    index = grid(10, "1min").delete([4, 5, 6])  # no NaN rows: just a 4-minute silence
    series = pd.Series(np.arange(7.0), index=index, name="irregular")
    without = downsample(series, max_points=100)
    with_gap = downsample(series, max_points=100, max_gap="90s")
    assert without["value"].isna().sum() == 0
    assert with_gap["value"].isna().sum() == 1
    brk = with_gap.loc[with_gap["value"].isna(), "time"].iloc[0]
    assert index[3] < brk < index[4]


def test_unsorted_and_duplicated_index_is_handled():
    index = grid(6)
    shuffled = pd.Series([5.0, 1.0, 4.0, 0.0, 3.0, 2.0, 2.5],
                         index=index[[5, 1, 4, 0, 3, 2, 2]], name="dup")
    out = downsample(shuffled, max_points=100)
    assert out["time"].is_monotonic_increasing
    assert len(out) == 7
    assert sorted(out["value"]) == sorted(shuffled.tolist())


def test_series_input_and_output_types():
    series = pd.Series(np.arange(10.0), index=grid(10), name="FIC101.PV")
    out = downsample(series, max_points=4)
    assert list(out.columns) == ["signal", "time", "value"]
    assert str(out["time"].dtype) == "datetime64[ns, UTC]"
    assert out["value"].dtype == np.float64
    assert set(out["signal"]) == {"FIC101.PV"}
    assert {0.0, 9.0} <= set(out["value"])


def test_settings_report_the_reduction(plant):
    out = downsample(plant, max_points=400, method="m4")
    s = out.attrs["settings"]
    assert s["method"] == "m4" and s["max_points"] == 400 and s["buckets"] == 100
    assert s["bucket_width"] == (plant.index[-1] - plant.index[0]) / 100
    assert s["rows_in"] == plant.size
    assert s["rows_out"] == len(out)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)), min_size=1, max_size=300
    ),
    max_points=st.integers(4, 60),
    method=st.sampled_from(["minmax", "m4", "lttb"]),
)
def test_property_gaps_and_extremes(values, max_points, method):
    array = np.array([np.nan if v is None else v for v in values], dtype=float)
    series = pd.Series(array, index=grid(len(array)), name="s")
    out = downsample(series, max_points=max_points, method=method).reset_index(drop=True)
    assert_no_line_across_gaps(series, out)
    assert_every_gap_between_kept_points_breaks(series, out)
    assert out["value"].notna().sum() <= max_points
    if method != "lttb" and np.isfinite(array).any():
        assert out["value"].max() == np.nanmax(array)
        assert out["value"].min() == np.nanmin(array)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "mean"}, r"method='mean' is not known; expected one of \('minmax', 'm4', 'lttb'\)"),
        ({"max_points": 1}, r"max_points=1 is not usable; expected an integer >= 2"),
        ({"max_points": 3, "method": "m4"}, r"max_points=3 is not usable; expected an integer >= 4"),
        ({"max_points": 2.5}, r"max_points=2.5 is not usable"),
        ({"time_range": "2024"}, r"time_range='2024' is not usable; expected None or a pair"),
        ({"time_range": (pd.Timestamp("2024-03-31"), None)},
         r"time_range\[0\]=Timestamp\('2024-03-31 00:00:00'\) is a naive timestamp"),
        ({"time_range": (T0 + pd.Timedelta("1h"), T0)}, r"is empty; expected start < end"),
        ({"max_gap": "soon"}, r"max_gap='soon' is not a duration"),
        ({"max_gap": "-1s"}, r"max_gap='-1s' is not positive"),
    ],
)
def test_bad_options_are_named(kwargs, message):
    frame = pd.DataFrame({"a": np.arange(10.0)}, index=grid(10))
    with pytest.raises(ParameterError, match=message):
        downsample(frame, **kwargs)


def test_bad_frames_are_named():
    naive = pd.DataFrame({"a": [1.0, 2.0]}, index=pd.date_range("2024-01-01", periods=2, freq="s"))
    with pytest.raises(ParameterError, match=r"signals.index is a naive DatetimeIndex; expected a tz-aware"):
        downsample(naive)
    with pytest.raises(ParameterError, match=r"signals.index has a RangeIndex; expected a tz-aware UTC"):
        downsample(pd.DataFrame({"a": [1.0, 2.0]}))
    text = pd.DataFrame({"state": ["on", "off"]}, index=grid(2))
    with pytest.raises(ParameterError, match=r"signals column 'state' has dtype (object|str); expected a numeric"):
        downsample(text)
    dup = pd.DataFrame([[1.0, 2.0]], columns=["a", "a"], index=grid(1))
    with pytest.raises(ParameterError, match=r"signals has the column 'a' more than once"):
        downsample(dup)
    with pytest.raises(ParameterError, match=r"signals is a list; expected a pandas DataFrame or Series"):
        downsample([1.0, 2.0])
    nat = pd.DataFrame({"a": [1.0, 2.0]}, index=pd.DatetimeIndex([T0, pd.NaT]))
    with pytest.raises(ParameterError, match=r"signals.index contains NaT at position 1"):
        downsample(nat)


# ---------------------------------------------------------------------------
# index selection helpers
# ---------------------------------------------------------------------------


def test_bucket_extrema_ties_and_m4():
    buckets = np.array([0, 0, 0, 0, 1, 1, 1])
    values = np.array([2.0, 1.0, 1.0, 3.0, 5.0, 5.0, 0.0])
    assert bucket_extrema_indices(buckets, values).tolist() == [1, 3, 5, 6]  # earliest min, latest max
    assert bucket_extrema_indices(buckets, values, first_last=True).tolist() == [0, 1, 3, 4, 5, 6]
    assert bucket_extrema_indices(np.array([], dtype=int), np.array([])).size == 0
    with pytest.raises(ParameterError, match=r"buckets is not non-decreasing"):
        bucket_extrema_indices(np.array([1, 0]), np.array([1.0, 2.0]))
    with pytest.raises(ParameterError, match=r"buckets and values have shapes \(2,\) and \(3,\)"):
        bucket_extrema_indices(np.array([0, 0]), np.array([1.0, 2.0, 3.0]))


def test_lttb_keeps_ends_count_and_a_lone_spike():
    x = np.arange(1000.0)
    y = np.zeros(1000)
    y[637] = 50.0
    kept = lttb_indices(x, y, 20)
    assert kept[0] == 0 and kept[-1] == 999
    assert len(kept) == 20
    assert 637 in kept
    assert lttb_indices(x[:5], y[:5], 10).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ParameterError, match=r"n_out=2 is not usable; expected an integer >= 3"):
        lttb_indices(x, y, 2)
    with pytest.raises(ParameterError, match=r"x and y have shapes \(1000,\) and \(5,\)"):
        lttb_indices(x, y[:5], 10)


# ---------------------------------------------------------------------------
# events
# ---------------------------------------------------------------------------


def make_events() -> pd.DataFrame:
    """An alarm flood (HI, 1 per second for 10 min), a few logins, two trips, one row without time."""
    flood = pd.DataFrame({
        "time": T0 + pd.to_timedelta(np.arange(600), unit="s"),
        "kind": "HI", "severity": "low", "source": "PK5.TIC101", "domain": "OT",
        "message": [f"TIC101 high #{i} <b>&</b>" for i in range(600)],
    })
    logins = pd.DataFrame({
        "time": T0 + pd.to_timedelta([1800, 3600, 5400], unit="s"),
        "kind": "login", "severity": "", "source": "jump-01", "domain": "IT",
        "message": ["alice", "bob", "carol"],
    })
    trips = pd.DataFrame({
        "time": T0 + pd.to_timedelta([300, 305], unit="s"),
        "kind": "TRIP", "severity": "CRITICAL", "source": "P-101", "domain": "OT",
        "message": ["pump tripped", "pump tripped again"],
    })
    missing = pd.DataFrame({"time": pd.Series([pd.NaT], dtype="datetime64[ns, UTC]"), "kind": ["HI"],
                            "severity": ["low"], "source": ["x"], "domain": ["OT"],
                            "message": ["no time"]})
    frame = pd.concat([flood, logins, trips, missing], ignore_index=True)
    frame["end"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    return frame


def test_dense_events_become_counts_sparse_and_high_stay_individual():
    r = reduce_events(make_events(), bin_width="1min", per_bin=2)
    assert isinstance(r, ReducedEvents)
    assert set(r.events["kind"]) == {"login", "TRIP"}
    assert r.events.loc[r.events["kind"] == "TRIP", "level"].eq("high").all()
    assert (r.bins["kind"] == "HI").all()
    assert int(r.bins["count"].sum()) == 600
    assert len(r.bins) == 10  # one per minute of the flood
    assert (r.bins["end"] - r.bins["time"]).eq(pd.Timedelta("1min")).all()
    assert (r.bins["time"].astype("int64") % 60_000_000_000 == 0).all()  # aligned on whole minutes
    assert r.bins["example"].iloc[0] == "TIC101 high #0 <b>&</b>"  # unmodified text
    counts = r.settings["counts"]
    assert counts["rows_in"] == len(make_events())
    assert counts["rows_in"] == (
        counts["individual"] + counts["aggregated"] + counts["missing_time"] + counts["outside_time_range"]
    )
    assert counts["missing_time"] == 1 and counts["individual_high"] == 2


def test_budget_lowers_per_bin_but_high_severity_stays():
    frame = make_events()
    r = reduce_events(frame, bin_width="1h", per_bin=5, max_events=4)
    assert r.settings["per_bin"] < 5
    assert len(r.events) <= 4
    assert set(r.events.loc[r.events["level"] == "high", "message"]) == {"pump tripped", "pump tripped again"}


def test_more_high_events_than_budget_are_counted_as_high_bins():
    frame = make_events()
    frame["severity"] = "critical"
    r = reduce_events(frame, bin_width="10min", max_events=5)
    assert len(r.events) == 0
    assert r.settings["high_aggregated"] is True
    assert set(r.bins["level"]) == {"high"}
    assert int(r.bins["count"].sum()) == len(frame) - 1  # all but the row without time


def test_time_range_and_auto_bin_width():
    frame = make_events()
    r = reduce_events(frame, time_range=(T0, T0 + pd.Timedelta("30min")), n_bins=60)
    assert r.settings["bin_width"] == pd.Timedelta("30s")
    assert r.settings["counts"]["outside_time_range"] == 2  # the logins at 60 and 90 min
    assert "auto" in r.settings["bin_width_rule"]


def test_optional_columns_default_to_empty_text():
    frame = pd.DataFrame({"time": [T0, T0 + pd.Timedelta("1s")], "kind": ["a", "b"]})
    r = reduce_events(frame)
    assert list(r.events["message"]) == ["", ""]
    assert list(r.events["domain"]) == ["", ""]
    assert r.events["end"].isna().all()


def test_to_dict_round_trip_shapes():
    r = reduce_events(make_events(), bin_width="1min")
    d = r.to_dict()
    assert len(d["events"]) == len(r.events) and len(d["bins"]) == len(r.bins)
    assert d["settings"]["bin_width"] == pd.Timedelta("1min")


def test_event_errors_are_named():
    with pytest.raises(ParameterError, match=r"events has no column 'kind' \(columns: \['time'\]\)"):
        reduce_events(pd.DataFrame({"time": [T0]}))
    naive = pd.DataFrame({"time": [pd.Timestamp("2024-01-01")], "kind": ["x"]})
    with pytest.raises(ParameterError, match=r"events column 'time' has dtype datetime64\[(ns|us|s)\]; expected"):
        reduce_events(naive)
    with pytest.raises(ParameterError, match=r"events is a list; expected a pandas DataFrame"):
        reduce_events([1])
    good = pd.DataFrame({"time": [T0], "kind": ["x"]})
    with pytest.raises(ParameterError, match=r"bin_width='wide' is not a duration"):
        reduce_events(good, bin_width="wide")
    with pytest.raises(ParameterError, match=r"bin_width='0s' is not positive"):
        reduce_events(good, bin_width="0s")
    with pytest.raises(ParameterError, match=r"per_bin=-1 is not usable; expected an integer >= 0"):
        reduce_events(good, per_bin=-1)
    with pytest.raises(ParameterError, match=r"high_severity='loud' is not usable"):
        reduce_events(good, high_severity="loud")


def test_severity_rules():
    s = pd.Series(["CRITICAL", "warning", "HiHi", "sev: error", "700", "", None, "Major alarm"])
    assert severity_is_high(s).tolist() == [True, False, True, True, False, False, False, True]
    assert severity_is_high(s, ["700"]).tolist() == [False, False, False, False, True, False, False, False]
    numeric = severity_is_high(pd.Series(["900", "100"]), lambda v: v.isdigit() and int(v) >= 700)
    assert numeric.tolist() == [True, False]
    assert "critical" in DEFAULT_HIGH_SEVERITY
    with pytest.raises(ParameterError, match=r"high_severity=3 is not usable"):
        severity_is_high(s, 3)


def test_nice_bin_width():
    assert nice_bin_width(pd.Timedelta("8h"), 200) == pd.Timedelta("5min")
    assert nice_bin_width(pd.Timedelta("10s"), 100) == pd.Timedelta("1s")
    assert nice_bin_width(pd.Timedelta(days=3650), 10) == pd.Timedelta(weeks=53)
    with pytest.raises(ParameterError, match=r"n_bins=0 is not usable; expected an integer >= 1"):
        nice_bin_width(pd.Timedelta("1h"), 0)
