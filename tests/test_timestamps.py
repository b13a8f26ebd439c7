import numpy as np
import pandas as pd
import pytest

from rca.errors import ParameterError
from rca.timestamps import (
    AMBIGUOUS,
    NONEXISTENT,
    UNPARSEABLE,
    check_timezone,
    parse_duration,
    parse_instant,
    parse_times,
)


def utc(*texts):
    return np.array([np.datetime64(pd.Timestamp(t).tz_convert("UTC").tz_localize(None), "ns") for t in texts])


@pytest.mark.parametrize(
    "text, seconds",
    [("90s", 90), ("15min", 900), ("2h", 7200), ("1h30min", 5400), ("500ms", 0.5), ("PT2H", 7200), ("1d", 86400),
     (" 10 s ", 10), ("1.5h", 5400)],
)
def test_parse_duration_reads_plant_style_durations(text, seconds):
    assert parse_duration(text).total_seconds() == pytest.approx(seconds)


def test_parse_duration_negative_only_when_allowed():
    assert parse_duration("-90s", allow_negative=True).total_seconds() == -90
    with pytest.raises(ParameterError, match=r"clock_offset: expected a positive duration, got '-90s'"):
        parse_duration("-90s", name="clock_offset")


@pytest.mark.parametrize("bad", ["", "ten minutes", "15", "15 parsecs"])
def test_parse_duration_rejects_text_without_a_known_unit(bad):
    with pytest.raises(ParameterError, match=r"lookback: cannot read .* as a duration; expected a number and a unit"):
        parse_duration(bad, name="lookback")


def test_parse_duration_rejects_numbers():
    with pytest.raises(ParameterError, match=r"grid: expected a duration text such as '30s' or '2h', got int 15"):
        parse_duration(15, name="grid")


def test_check_timezone_suggests_the_closest_zone():
    assert check_timezone("Europe/Berlin") == "Europe/Berlin"
    with pytest.raises(ParameterError, match=r"unknown time zone 'Europe/Berln'.*did you mean 'Europe/Berlin'"):
        check_timezone("Europe/Berln")
    with pytest.raises(ParameterError, match=r"unknown time zone 'Mars/Olympus'"):
        check_timezone("Mars/Olympus")


def test_parse_instant_naive_is_local_aware_is_absolute():
    assert parse_instant("2026-03-04 11:15", timezone="Europe/Berlin") == pd.Timestamp("2026-03-04 10:15", tz="UTC")
    assert parse_instant("2026-03-04T11:15:00+01:00", timezone="America/Chicago") == pd.Timestamp(
        "2026-03-04 10:15", tz="UTC"
    )
    with pytest.raises(ParameterError, match=r"start: local time '2026-10-25 02:30' is ambiguous or does not exist"):
        parse_instant("2026-10-25 02:30", timezone="Europe/Berlin", name="start")
    with pytest.raises(ParameterError, match=r"start: cannot read 'yesterday' as a time"):
        parse_instant("yesterday", name="start")


def test_iso_with_offsets_and_naive_local_mixed():
    p = parse_times(
        ["2026-03-04T10:15:00Z", "2026-03-04 11:15:00", "2026-03-04T05:15:00-05:00", "2026-03-04T11:15:00.250"],
        timezone="Europe/Berlin",
    )
    expected = utc("2026-03-04 10:15Z", "2026-03-04 10:15Z", "2026-03-04 10:15Z", "2026-03-04 10:15:00.250Z")
    np.testing.assert_array_equal(p.times, expected)
    assert all(r is None for r in p.reason)


def test_unparseable_rows_are_counted_with_examples():
    p = parse_times(["2026-03-04T10:15:00Z", "garbage", None, "2026-13-45T99:00:00Z"])
    assert list(p.reason) == [None, UNPARSEABLE, UNPARSEABLE, UNPARSEABLE]
    assert p.examples[UNPARSEABLE][0] == (1, "garbage")
    assert p.count(UNPARSEABLE) == 3


def test_explicit_format_and_inferred_day_first():
    p = parse_times(["04.03.2026 11:15:00"], timezone="Europe/Berlin", time_format="%d.%m.%Y %H:%M:%S")
    np.testing.assert_array_equal(p.times, utc("2026-03-04 10:15Z"))
    # 13.03. can only be day-first, so the whole column is read day-first.
    p = parse_times(["04.03.2026 11:15", "13.03.2026 11:15"], timezone="Europe/Berlin")
    np.testing.assert_array_equal(p.times, utc("2026-03-04 10:15Z", "2026-03-13 10:15Z"))
    assert "inferred" in p.settings["time_format"]


def test_day_month_ambiguity_is_an_error_not_a_guess():
    with pytest.raises(ParameterError, match=r"can be read day-first .* or month-first .*; set time_format"):
        parse_times(["03.04.2026 10:00", "04.03.2026 10:00"])


@pytest.mark.parametrize("unit, scale", [("s", 1), ("ms", 1e3), ("us", 1e6)])
def test_epoch_unit_is_inferred_from_magnitude(unit, scale):
    base = pd.Timestamp("2026-03-04 10:15", tz="UTC").timestamp()
    p = parse_times(pd.Series([base * scale, (base + 1) * scale]))
    assert p.settings["time_unit"] == f"{unit} (inferred)"
    np.testing.assert_array_equal(p.times, utc("2026-03-04 10:15Z", "2026-03-04 10:15:01Z"))


def test_epoch_text_with_explicit_unit():
    p = parse_times(["1772619300000", "x"], time_unit="ms")
    assert p.times[0] == utc("2026-03-04 10:15Z")[0]
    assert p.reason[1] == UNPARSEABLE


def test_bad_time_unit_is_refused():
    with pytest.raises(ParameterError, match=r"time_unit: expected one of s, ms, us, ns, got 'min'"):
        parse_times([1, 2], time_unit="min")


def test_spring_forward_gap_is_rejected_not_shifted():
    p = parse_times(["2026-03-29 01:59:00", "2026-03-29 02:30:00", "2026-03-29 03:00:00"], timezone="Europe/Berlin")
    assert list(p.reason) == [None, NONEXISTENT, None]
    np.testing.assert_array_equal(p.times[[0, 2]], utc("2026-03-29 00:59Z", "2026-03-29 01:00Z"))


def test_autumn_repeated_hour_is_resolved_from_row_order_per_series():
    # Two tags interleaved; each passes 02:00-02:59 twice (first CEST = UTC+2, then CET = UTC+1).
    local = ["01:50", "02:10", "02:40", "02:10", "02:40", "03:10"]
    texts, tags = [], []
    for t in local:
        for tag in ("A", "B"):
            texts.append(f"2026-10-25 {t}:00")
            tags.append(tag)
    p = parse_times(texts, timezone="Europe/Berlin", groups=tags)
    assert all(r is None for r in p.reason)
    got = p.times[::2]  # tag A
    expected = utc(
        "2026-10-24 23:50Z", "2026-10-25 00:10Z", "2026-10-25 00:40Z", "2026-10-25 01:10Z", "2026-10-25 01:40Z",
        "2026-10-25 02:10Z",
    )
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(p.times[1::2], expected)
    assert p.settings["repeated_hour_rows_resolved_by_order"] == 8


def test_autumn_repeated_hour_without_visible_jump_is_counted_not_guessed():
    # One sample in the repeated hour: nothing tells which pass it belongs to.
    p = parse_times(["2026-10-25 01:30:00", "2026-10-25 02:30:00", "2026-10-25 03:30:00"], timezone="Europe/Berlin")
    assert list(p.reason) == [None, AMBIGUOUS, None]
    assert np.isnat(p.times[1])
    # Unsorted rows with two backward jumps cannot be resolved either.
    p = parse_times(
        ["2026-10-25 02:10:00", "2026-10-25 02:40:00", "2026-10-25 02:05:00", "2026-10-25 02:50:00",
         "2026-10-25 02:01:00"],
        timezone="Europe/Berlin",
    )
    assert p.count(AMBIGUOUS) == 5


def test_us_zone_fall_back():
    # America/Chicago: 2026-11-01 02:00 CDT -> 01:00 CST; 01:xx happens twice.
    p = parse_times(
        ["2026-11-01 00:50", "2026-11-01 01:20", "2026-11-01 01:50", "2026-11-01 01:20", "2026-11-01 02:10"],
        timezone="America/Chicago",
    )
    np.testing.assert_array_equal(
        p.times,
        utc("2026-11-01 05:50Z", "2026-11-01 06:20Z", "2026-11-01 06:50Z", "2026-11-01 07:20Z", "2026-11-01 08:10Z"),
    )


def test_timezone_aware_datetime_column_passes_through():
    s = pd.Series(pd.to_datetime(["2026-03-04 11:15"]).tz_localize("Europe/Berlin"))
    p = parse_times(s, timezone="America/Chicago")
    np.testing.assert_array_equal(p.times, utc("2026-03-04 10:15Z"))


def test_epoch_numbers_give_back_the_written_time():
    from rca.timestamps import wall_times

    # 1772979073.553 s is stored as 1772979073.5529999733 in a float64: read to the float's
    # resolution (1 us), it is the time that was written, not 14:11:13.552999973.
    times, aware, codes, _ = wall_times(pd.Series([1772979073.553, np.nan]))
    assert times[0] == np.datetime64("2026-03-08T14:11:13.553", "ns")
    assert aware[0] and codes.tolist() == [0, 1]
    # whole numbers convert exactly, down to the nanosecond
    times, _, _, _ = wall_times(pd.Series([1772979073553123456]), time_unit="ns")
    assert times[0] == np.datetime64("2026-03-08T14:11:13.553123456", "ns")
    # out of range for datetime64[ns]: unreadable and counted, not wrapped around
    times, _, codes, _ = wall_times(pd.Series([1772979073, 10**17]), time_unit="s")
    assert np.isnat(times[1]) and codes[1] != 0 and codes[0] == 0
