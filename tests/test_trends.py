"""Tests for rca.detect_ramps (rca/trends.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import rca
import rca.changepoints as cp
from rca.errors import ParameterError
from rca.trends import RAMP_COLUMNS, detect_ramps

GRID = pd.date_range("2024-03-01", periods=3000, freq="10s", tz="UTC")


def leak(start=1000, stop=2000, rise=30.0, sigma=0.5, seed=0):
    level = np.full(3000, 40.0)
    level[start:stop] += np.linspace(0.0, rise, stop - start, endpoint=False)
    level[stop:] += rise
    return level + np.random.default_rng(seed).normal(0.0, sigma, 3000)


@pytest.fixture
def frame():
    return pd.DataFrame({
        "gw.mem_pct": leak(),                                        # ramp 1000 -> 2000
        "disk.used_pct": leak(start=2500, stop=3000, rise=5.0, seed=1),  # still filling
        "fic.pv": np.r_[np.zeros(1500), np.full(1500, 3.0)]
        + np.random.default_rng(2).normal(0, 0.5, 3000),                 # a step
        "noise": np.random.default_rng(3).normal(0, 1.0, 3000),
    }, index=GRID)


def test_ramps_are_the_ramp_rows_of_detect_changes(frame):
    ramps = detect_ramps(frame)
    assert tuple(ramps.columns) == RAMP_COLUMNS
    changes = cp.detect_changes(frame)
    expected = changes[changes["kind"] == "ramp"].loc[:, list(RAMP_COLUMNS)]
    pd.testing.assert_frame_equal(ramps, expected.reset_index(drop=True))
    assert sorted(ramps["signal"]) == ["disk.used_pct", "gw.mem_pct"]
    assert (ramps["kind"] == "ramp").all()
    assert ramps["strength"].is_monotonic_decreasing


def test_ramp_start_end_and_slope(frame):
    ramps = detect_ramps(frame).set_index("signal")
    mem = ramps.loc["gw.mem_pct"]
    assert abs(GRID.get_loc(mem["time"]) - 1000) <= 60
    assert abs(GRID.get_loc(mem["end"]) - 2000) <= 60
    assert mem["slope"] == pytest.approx(30.0 / 10_000.0, rel=0.1)  # per second
    assert mem["before"] == pytest.approx(40.0, abs=1.0)
    assert mem["after"] == pytest.approx(70.0, abs=1.5)
    disk = ramps.loc["disk.used_pct"]
    # still ramping when the data end: ``end`` is the last sample
    assert disk["end"] == GRID[-1]
    assert abs(GRID.get_loc(disk["time"]) - 2500) <= 75
    for col in ("time", "time_lo", "time_hi", "end"):
        assert str(ramps[col].dtype) == "datetime64[ns, UTC]"


def test_min_duration_drops_short_ramps(frame):
    every = detect_ramps(frame)
    longer = detect_ramps(frame, min_duration="2h")
    assert set(longer["signal"]) == {"gw.mem_pct"}  # ~2.8 h; the disk has ~1.4 h so far
    assert len(every) == 2
    assert longer.attrs["settings"]["min_duration_s"] == 7200.0
    assert every.attrs["settings"]["min_duration_s"] is None


def test_window_and_empty_result(frame):
    early = detect_ramps(frame, window=(None, GRID[900]))
    assert early.empty and tuple(early.columns) == RAMP_COLUMNS
    assert str(early["time"].dtype) == "datetime64[ns, UTC]"


def test_top_level_name():
    assert rca.detect_ramps is detect_ramps


@pytest.mark.parametrize("value, message", [
    ("0s", r"min_duration='0s'; expected a positive duration such as '2min'"),
    ("soon", r"min_duration: cannot read 'soon' as a duration"),
])
def test_bad_min_duration(frame, value, message):
    with pytest.raises(ParameterError, match=message):
        detect_ramps(frame, min_duration=value)


def test_bad_data_is_reported_as_by_detect_changes():
    naive = pd.Series([1.0, 2.0], index=pd.date_range("2024", periods=2, freq="s"))
    with pytest.raises(ParameterError, match=r"naive DatetimeIndex; expected tz-aware UTC"):
        detect_ramps(naive)
