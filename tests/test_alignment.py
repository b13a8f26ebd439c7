import numpy as np
import pandas as pd
import pytest

from rca.alignment import activity_times, align, choose_grid, estimate_clock_offset, estimate_max_gap
from rca.errors import ParameterError

T0 = pd.Timestamp("2026-03-04 10:00", tz="UTC")


def long(signal, offsets_s, values):
    return pd.DataFrame({"time": T0 + pd.to_timedelta(offsets_s, unit="s"), "signal": signal, "value": values})


def test_hold_last_value_until_max_gap_then_missing_never_interpolated():
    s = long("TI101", [0, 20, 200], [1.0, 2.0, 3.0])
    wide = align(s, grid="10s", max_gap="30s")
    col = wide["TI101"]
    assert col.loc[T0] == 1.0 and col.loc[T0 + pd.Timedelta("10s")] == 1.0
    assert col.loc[T0 + pd.Timedelta("20s")] == 2.0
    assert col.loc[T0 + pd.Timedelta("50s")] == 2.0  # 30 s old: still held
    assert col.loc[T0 + pd.Timedelta("60s"):T0 + pd.Timedelta("190s")].isna().all()  # outage stays an outage
    assert col.loc[T0 + pd.Timedelta("200s")] == 3.0
    assert str(wide.index.tz) == "UTC" and wide.index.freq == pd.Timedelta("10s")


def test_signals_before_their_first_sample_are_missing():
    s = pd.concat([long("A", [0, 10, 20], [1, 2, 3]), long("B", [15, 25], [5, 6])])
    wide = align(s, grid="5s", max_gap="1min")
    assert wide["B"].loc[:T0 + pd.Timedelta("10s")].isna().all()
    assert wide["B"].loc[T0 + pd.Timedelta("15s")] == 5


def test_auto_max_gap_follows_the_heartbeat():
    # Exception reporting: bursts of fast samples, and a heartbeat every 600 s when flat.
    t = np.r_[np.arange(0, 100, 2), np.arange(700, 3000, 600), np.arange(3000, 3100, 2)]
    gap = estimate_max_gap((T0.value + t * 1_000_000_000).astype("int64"))
    assert pd.Timedelta("600s") <= gap <= pd.Timedelta("15min")


def test_auto_grid_picks_a_round_step_from_the_finest_source_and_says_why():
    fast = long("A", np.arange(0, 600, 4.7), 1.0)
    slow = long("B", np.arange(0, 600, 60), 1.0)
    choice = choose_grid(pd.concat([fast, slow]), source_of={"A": "historian", "B": "it"})
    assert choice.step == pd.Timedelta("5s")
    assert "historian" in choice.reason and "finest typical sampling interval" in choice.reason


def test_auto_grid_is_coarsened_so_memory_follows_the_data():
    # One sample per second for a minute, and one signal with a sample a day for a year:
    # a 1 s grid over a year would be 31 million points per signal.
    dense = long("A", np.arange(0, 60, 1.0), 1.0)
    sparse = long("B", np.arange(0, 365 * 86400, 86400.0), 1.0)
    choice = choose_grid(pd.concat([dense, sparse]), source_of={"A": "hmi", "B": "lab"})
    assert choice.points <= 2 * 365
    assert "coarsened" in choice.reason


def test_explicit_grid_is_honoured_and_bad_grid_refused():
    s = long("A", [0, 7, 13], [1, 2, 3])
    assert choose_grid(s, grid="2s").step == pd.Timedelta("2s")
    with pytest.raises(ParameterError, match=r"grid: cannot read 'fast' as a duration"):
        choose_grid(s, grid="fast")


def test_naive_times_are_refused():
    s = long("A", [0, 1], [1, 2])
    s["time"] = s["time"].dt.tz_localize(None)
    with pytest.raises(ParameterError, match=r"samples: column 'time' must be tz-aware \(UTC\)"):
        align(s, grid="1s")


def _trains(seed, n_shared, offset_s, noise=400):
    rng = np.random.default_rng(seed)
    true = T0 + pd.to_timedelta(np.sort(rng.uniform(0, 8 * 3600, n_shared)), unit="s")
    jitter = pd.to_timedelta(rng.normal(0, 0.3, true.size), unit="s")
    ot = (true + pd.Timedelta(seconds=offset_s) + jitter).append(
        T0 + pd.to_timedelta(rng.uniform(0, 8 * 3600, noise), unit="s")  # nuisance alarms
    )
    ot_groups = ["GW01|COMMFAIL"] * n_shared + list(rng.choice([f"TAG{i}|HI" for i in range(8)], noise))
    it = true.append(T0 + pd.to_timedelta(rng.uniform(0, 8 * 3600, int(1.5 * noise)), unit="s"))  # logins etc.
    it_groups = ["gw-opc-01|link_down"] * n_shared + list(rng.choice(["ad|login", "ad|logout", "nas|backup"],
                                                                     int(1.5 * noise)))
    return ot, ot_groups, it, it_groups


@pytest.mark.parametrize("seed", range(5))
def test_clock_offset_is_found_among_unrelated_instants(seed):
    ot, og, it, ig = _trains(seed, 30, 73.0)
    est = estimate_clock_offset(ot, it, groups=og, reference_groups=ig)
    assert est.reliable
    assert abs(est.offset.total_seconds() - 73) < 0.5
    assert est.uncertainty < pd.Timedelta("0.5s")
    assert est.matches >= 25


def test_negative_offsets_too():
    ot, og, it, ig = _trains(9, 20, -125.0)
    est = estimate_clock_offset(ot, it, groups=og, reference_groups=ig)
    assert est.reliable and abs(est.offset.total_seconds() + 125) < 0.5


@pytest.mark.parametrize("seed", range(10))
def test_unrelated_instants_give_an_unreliable_estimate(seed):
    rng = np.random.default_rng(100 + seed)
    a = T0 + pd.to_timedelta(rng.uniform(0, 8 * 3600, 400), unit="s")
    b = T0 + pd.to_timedelta(rng.uniform(0, 8 * 3600, 600), unit="s")
    est = estimate_clock_offset(a, b, groups=rng.integers(0, 8, 400), reference_groups=rng.integers(0, 3, 600))
    assert not est.reliable
    assert est.peak_ratio < 2.0


def test_clock_offset_refuses_naive_times_and_bad_groups():
    with pytest.raises(ParameterError, match=r"times: expected tz-aware times"):
        estimate_clock_offset(pd.DatetimeIndex(["2026-03-04"]), T0 + pd.to_timedelta([1, 2], unit="s"))
    with pytest.raises(ParameterError, match=r"groups: expected one group label per time \(2\), got 3"):
        estimate_clock_offset(T0 + pd.to_timedelta([1, 2], unit="s"), T0 + pd.to_timedelta([1, 2], unit="s"),
                              groups=["a", "b", "c"])


def test_activity_times_finds_abrupt_moves():
    rng = np.random.default_rng(5)
    v = rng.normal(0, 1, 1000)
    v[500:] += 30
    t = activity_times(long("A", np.arange(1000.0), v))
    assert (T0 + pd.Timedelta("500s")) in t


def test_whole_second_timestamps_widen_the_uncertainty_to_cover_the_truncation():
    # The OT side records whole seconds, truncated: its times are up to 1 s early.
    ot, og, it, ig = _trains(11, 40, 73.4)
    ot = ot.floor("1s")
    est = estimate_clock_offset(ot, it, groups=og, reference_groups=ig)
    assert est.reliable
    assert est.uncertainty >= pd.Timedelta("0.5s")
    assert abs(est.offset.total_seconds() - 73.4) <= 2 * est.uncertainty.total_seconds()
