import warnings

import pandas as pd
import pytest

from conftest import OT_OFFSET, write_mini_incident
from rca import open_investigation
from rca.errors import DataQualityWarning, ManifestError, ParameterError, SourceError


def test_mini_incident_loads_on_one_utc_clock(mini_incident):
    inv = open_investigation(mini_incident)
    assert inv.title == "Mini incident"
    assert inv.incident.start == pd.Timestamp("2026-03-04 09:20", tz="UTC")
    assert inv.incident.lookback == pd.Timedelta("1h")
    # The OT clock offset is estimated from the gateway moments seen in both logs.
    ot = [c for c in inv.alignment.clock_offsets if "historian" in c.sources][0]
    assert set(ot.sources) == {"historian", "alarms"}
    assert ot.estimate.reliable
    assert abs((ot.offset - OT_OFFSET).total_seconds()) < 1.0
    # ... and applied: OT alarms now coincide with the IT gateway events.
    gw_ot = inv.events.loc[(inv.events["source"] == "GW01") & (inv.events["kind"] == "COMMFAIL"), "time"]
    gw_it = inv.events.loc[inv.events["source"] == "gw-opc-01", "time"]
    assert (gw_ot.reset_index(drop=True) - gw_it.reset_index(drop=True)).abs().max() < pd.Timedelta("1.5s")


def test_signals_grid_info_and_name_clash(mini_incident):
    inv = open_investigation(mini_incident)
    s = inv.signals
    assert str(s.index.tz) == "UTC" and s.index.is_monotonic_increasing
    assert inv.alignment.grid.step == pd.Timedelta(inv.signals.index.freq)
    # FI201.PV exists in the historian and in the IT metrics: both are renamed, visibly.
    assert {"historian/FI201.PV", "it-metrics/FI201.PV"} <= set(s.columns)
    assert "FI201.PV" not in s.columns
    assert inv.alignment.renamed[("historian", "FI201.PV")] == "historian/FI201.PV"
    assert "name clash" in inv.alignment.describe()
    info = inv.signal_info
    assert info.loc["TI101.PV", "domain"] == "OT" and info.loc["gw-opc-01.cpu_pct", "domain"] == "IT"
    assert info.loc["historian/FI201.PV", "tag"] == "FI201.PV"
    assert list(info.index) == list(s.columns)


def test_it_metrics_collection_gap_stays_missing(mini_incident):
    inv = open_investigation(mini_incident)
    cpu = inv.signals["gw-opc-01.cpu_pct"]
    # Rows 100-109 (08:50:00 to 08:54:30) are missing in the export. The 08:49:30 sample is held
    # for max_gap = 3 x the 30 s interval, then the metric is missing until the 08:55:00 sample.
    assert inv.signal_info.loc["gw-opc-01.cpu_pct", "max_gap"] == pd.Timedelta("90s")
    assert cpu.loc["2026-03-04 08:49:30+00:00":"2026-03-04 08:51:00+00:00"].notna().all()
    assert cpu.loc["2026-03-04 08:51:10+00:00":"2026-03-04 08:54:50+00:00"].isna().all()
    assert cpu.loc["2026-03-04 08:55:00+00:00"] == cpu.loc["2026-03-04 08:55:00+00:00"]


def test_every_row_is_accounted_for(mini_incident):
    inv = open_investigation(mini_incident)
    assert inv.ledger.balanced
    hist = inv.ledger["historian"]
    assert hist.rejected["bad_quality"] == 1
    assert hist.rejected["non_numeric_value"] == 1
    assert hist.rejected["duplicate"] == 1 and hist.rejected["superseded"] == 1
    assert hist.rejected["unparseable_time"] == 1
    assert inv.ledger["alarms"].rejected == {"unmatched_return": 1}
    # Ledger time ranges are corrected by the estimated clock offset.
    raw = pd.read_csv(mini_incident.parent / "historian.csv", sep=";")["Timestamp"]
    local = pd.to_datetime(raw, format="%d.%m.%Y %H:%M:%S", errors="coerce").dt.tz_localize("Europe/Berlin")
    assert abs((local.min().tz_convert("UTC") - OT_OFFSET) - hist.start) < pd.Timedelta("2s")
    assert abs((local.max().tz_convert("UTC") - OT_OFFSET) - hist.end) < pd.Timedelta("2s")


def test_events_are_tidy_sorted_and_keep_text_verbatim(mini_incident):
    inv = open_investigation(mini_incident)
    ev = inv.events
    assert list(ev.columns) == ["time", "end", "source", "kind", "message", "severity", "domain", "origin"]
    assert ev["time"].is_monotonic_increasing
    assert "CHG0042 <b>Firewall</b> policy update" in set(ev["message"])
    assert set(ev["domain"]) == {"OT", "IT"}


def test_window_loads_only_part_and_counts_the_rest(mini_incident):
    inv = open_investigation(mini_incident, window=("2026-03-04T09:00:00Z", "2026-03-04T09:30:00Z"))
    assert inv.ledger.balanced
    assert inv.ledger["it-events"].rejected["outside_window"] > 0
    assert inv.ledger["historian"].rejected["outside_window"] > 0
    assert inv.signals.index.min() >= pd.Timestamp("2026-03-04 08:59:30", tz="UTC")


def test_views_by_window_and_domain(mini_incident):
    inv = open_investigation(mini_incident)
    lo, hi = inv.window
    assert inv.signals_in().index.min() >= lo.floor("30s") - pd.Timedelta("30s")
    assert set(inv.signals_in(domain="IT").columns) == {"gw-opc-01.cpu_pct", "gw-opc-01.latency_ms",
                                                         "it-metrics/FI201.PV"}
    assert set(inv.events_in(domain="OT")["domain"]) == {"OT"}
    with pytest.raises(ParameterError, match=r"window: expected 'incident', 'all' or a \(start, end\) pair"):
        inv.signals_in(window="yesterday")


def test_unknown_symptom_is_a_clear_error(tmp_path):
    path = write_mini_incident(tmp_path / "x")
    path.write_text(path.read_text().replace('symptom = "TI101.PV"', 'symptom = "TI101"'))
    with pytest.raises(ManifestError, match=r"incident.symptom 'TI101' is not a loaded signal; did you mean \['TI101.PV'\]\?"):
        open_investigation(path)


def test_all_clocks_auto_is_refused(tmp_path):
    path = write_mini_incident(tmp_path / "x")
    text = path.read_text().replace('columns = { time = "time" }', 'columns = { time = "time" }\nclock_offset = "auto"')
    text = text.replace('severity = "severity" }\n', 'severity = "severity" }\nclock_offset = "auto"\n')
    path.write_text(text)
    with pytest.raises(ManifestError, match=r"every source has clock_offset = 'auto'; at least one source must have a trusted clock"):
        open_investigation(path)


def test_a_known_offset_is_applied_as_given(tmp_path):
    path = write_mini_incident(tmp_path / "x", ot_clock_offset="40s")
    inv = open_investigation(path)
    given = [c for c in inv.alignment.clock_offsets if c.mode == "given"]
    assert {c.sources[0] for c in given} == {"historian", "alarms"}
    assert all(c.offset == pd.Timedelta("40s") for c in given)


def test_unrelated_clock_gets_a_warning_not_a_guess(tmp_path):
    path = write_mini_incident(tmp_path / "x")
    # Remove the shared gateway moments from the IT side: nothing links the clocks any more.
    it = pd.read_csv(path.parent / "it_events.csv")
    it[it["host"] != "gw-opc-01"].to_csv(path.parent / "it_events.csv", index=False)
    with pytest.warns(DataQualityWarning, match=r"clock offset of historian, alarms could not be estimated reliably"):
        inv = open_investigation(path)
    ot = [c for c in inv.alignment.clock_offsets if "historian" in c.sources][0]
    assert ot.offset == pd.Timedelta(0)
    assert "could not be estimated" in ot.describe()


def test_a_missing_data_file_names_the_source(tmp_path):
    path = write_mini_incident(tmp_path / "x")
    (path.parent / "alarms.csv").unlink()
    with pytest.raises(SourceError, match=r"source 'alarms': file not found: .*alarms.csv"):
        open_investigation(path)


def test_changes_view_is_restricted_to_the_window(mini_incident):
    pytest.importorskip("rca.changepoints")
    inv = open_investigation(mini_incident)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ch = inv.changes()
    lo, hi = inv.window
    assert ((ch["time"] >= lo) & (ch["time"] <= hi)).all()
    ti = ch[ch["signal"] == "TI101.PV"]
    # The +5 step of TI101 at 09:10 UTC is found.
    assert (abs(ti["time"] - pd.Timestamp("2026-03-04 09:10", tz="UTC")) < pd.Timedelta("1min")).any()
    assert inv.changes() is ch  # cached
    # The investigation's changes use the conservative long-run rule the ranking was
    # calibrated with, unless told otherwise.
    assert ch.attrs["settings"]["long_run"] == "largest"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert inv.changes(long_run="plateau").attrs["settings"]["long_run"] == "plateau"


def test_signal_kinds_fill_the_kind_column(tmp_path):
    from rca.errors import RcaWarning

    path = write_mini_incident(tmp_path / "mini")
    text = path.read_text()
    text = text.replace('time_unit = "ms"\n',
                        'time_unit = "ms"\nsignal_kinds = { "gw-opc-01.*" = "measurement", "gw-opc-01.latency_ms" = "response" }\n')
    path.write_text(text)
    info = open_investigation(path).signal_info
    # The later entry wins for the latency; the pattern declares the gateway's CPU; others are "".
    assert info.loc["gw-opc-01.latency_ms", "kind"] == "response"
    assert info.loc["gw-opc-01.cpu_pct", "kind"] == "measurement"
    assert info.loc["TI101.PV", "kind"] == "" and info.loc["it-metrics/FI201.PV", "kind"] == ""
    # A key that matches nothing is reported, not silently ignored.
    path.write_text(text.replace('"gw-opc-01.*" = "measurement"', '"gw-opc-02.*" = "measurement"'))
    with pytest.warns(RcaWarning, match=r"source 'it-metrics': signal_kinds \['gw-opc-02\.\*'\] match no signal"):
        open_investigation(path)
