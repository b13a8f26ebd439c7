import gzip
import re
import sqlite3

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rca.errors import SourceError
from rca.readers import parse_events, parse_signals, query_events, query_signals, read_events, read_signals

LONG = {"time": "Timestamp", "tag": "TagName", "value": "Value", "quality": "Quality"}


def historian_csv(path, rows, sep=";"):
    path.write_text("Timestamp;TagName;Value;Quality\n".replace(";", sep) + "\n".join(sep.join(r) for r in rows) + "\n")
    return path


def test_long_export_every_row_is_used_or_counted(tmp_path):
    rows = [
        ["04.03.2026 11:00:00", "TI101", "20,5", "Good"],
        ["04.03.2026 11:00:05", "TI101", "21,0", "Good"],
        ["04.03.2026 11:00:05", "TI101", "21,0", "Good"],  # exact duplicate
        ["04.03.2026 11:00:10", "TI101", "22,0", "Good"],
        ["04.03.2026 11:00:10", "TI101", "23,0", "Good"],  # same time, new value: supersedes the row above
        ["04.03.2026 11:00:15", "TI101", "I/O Timeout", "Good"],
        ["04.03.2026 11:00:20", "TI101", "30,0", "Bad"],
        ["04.03.2026 11:00:25", "", "1,0", "Good"],
        ["31.02.2026 11:00:00", "TI101", "1,0", "Good"],
        ["04.03.2026 11:00:30", "FI201", "", "Good"],
        ["04.03.2026 11:00:00", "FI201", "5,5", "192"],
    ]
    data = read_signals(
        historian_csv(tmp_path / "h.csv", rows), columns=LONG, timezone="Europe/Berlin",
        time_format="%d.%m.%Y %H:%M:%S", good_quality=["good", "192"], name="historian", domain="OT",
    )
    led = data.ledger
    assert led.rows_read == 11
    assert led.rejected == {
        "bad_quality": 1, "duplicate": 1, "missing_tag": 1, "missing_value": 1, "non_numeric_value": 1,
        "superseded": 1, "unparseable_time": 1,
    }
    assert led.rows_used == 4 == len(data.samples)
    assert led.start == pd.Timestamp("2026-03-04 10:00:00", tz="UTC")
    assert led.end == pd.Timestamp("2026-03-04 10:00:30", tz="UTC")
    ti = data.samples[data.samples["signal"] == "TI101"]
    assert ti["value"].tolist() == [20.5, 21.0, 23.0]  # the later of the two 11:00:10 rows wins
    assert str(ti["time"].dt.tz) == "UTC"
    assert led.details["delimiter"] == "';' (sniffed)"
    assert led.details["non_numeric_examples"] == {"I/O Timeout": 1}
    assert data.info.loc["FI201", "samples"] == 1


def test_value_map_turns_states_into_numbers():
    raw = pd.DataFrame({"t": ["2026-03-04T10:00:00Z", "2026-03-04T10:00:01Z", "2026-03-04T10:00:02Z"],
                        "tag": ["P1.RUN"] * 3, "v": ["ON", "off", "Standby"]})
    data = parse_signals(raw, columns={"time": "t", "tag": "tag", "value": "v"}, value_map={"ON": 1, "OFF": 0})
    assert data.samples["value"].tolist() == [1.0, 0.0]
    assert data.ledger.rejected == {"non_numeric_value": 1}


def test_tag_from_several_columns_and_unit_column():
    raw = pd.DataFrame({"t": ["2026-03-04T10:00:00Z"] * 2, "host": ["gw-01", "gw-01"], "metric": ["cpu", "mem"],
                        "v": [10.0, 20.0], "u": ["%", "%"]})
    data = parse_signals(raw, columns={"time": "t", "tag": ["host", "metric"], "value": "v", "unit": "u"})
    assert sorted(data.samples["signal"]) == ["gw-01.cpu", "gw-01.mem"]
    assert data.info.loc["gw-01.cpu", "unit"] == "%"
    # The leading tag columns name the device the value belongs to.
    assert data.info["device"].tolist() == ["gw-01", "gw-01"]


def test_device_of_a_long_export_survives_dots_and_separators_in_the_metric_name(tmp_path):
    # Zabbix-style item keys have dots of their own; the host column, not the name, says
    # which device a metric belongs to. A single tag column says nothing about devices.
    path = tmp_path / "it.csv"
    path.write_text(
        "ts,instance,name,val\n"
        "2026-03-04T10:00:00Z,opcgw03,vm.memory.utilization,61.5\n"
        "2026-03-04T10:00:00Z,opcgw03,opcua.publish.latency,180\n"
        "2026-03-04T10:00:00Z,sw.core.1,net.if.util[uplink/a],12\n"
        "2026-03-04T10:00:10Z,opcgw03,vm.memory.utilization,61.7\n",
        encoding="utf-8",
    )
    data = read_signals(path, layout="long", columns={"time": "ts", "tag": ["instance", "name"], "value": "val"},
                        tag_separator="/")
    assert data.info["device"].to_dict() == {
        "opcgw03/vm.memory.utilization": "opcgw03", "opcgw03/opcua.publish.latency": "opcgw03",
        "sw.core.1/net.if.util[uplink/a]": "sw.core.1",
    }
    assert data.ledger.rows_used == 4
    single = read_signals(path, layout="long", columns={"time": "ts", "tag": "name", "value": "val"})
    assert (single.info["device"] == "").all()


def test_clock_offset_is_subtracted_and_window_counts_outside_rows():
    raw = pd.DataFrame({"t": ["2026-03-04T10:00:00Z", "2026-03-04T11:00:00Z"], "tag": ["A", "A"], "v": [1, 2]})
    data = parse_signals(raw, columns={"time": "t", "tag": "tag", "value": "v"}, clock_offset="90s",
                         window=("2026-03-04T09:00:00Z", "2026-03-04T10:30:00Z"))
    assert data.samples["time"].tolist() == [pd.Timestamp("2026-03-04 09:58:30", tz="UTC")]
    assert data.ledger.rejected == {"outside_window": 1}
    assert data.ledger.end == pd.Timestamp("2026-03-04 10:58:30", tz="UTC")


def test_gzip_and_parquet_read_like_csv(tmp_path):
    text = "time,tag,value\n2026-03-04T10:00:00Z,A,1.5\n2026-03-04T10:00:01Z,A,2.5\n"
    gz = tmp_path / "x.csv.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write(text)
    cols = {"time": "time", "tag": "tag", "value": "value"}
    a = read_signals(gz, columns=cols)
    pq = tmp_path / "x.parquet"
    pd.DataFrame({"time": pd.to_datetime(["2026-03-04T10:00:00Z", "2026-03-04T10:00:01Z"]), "tag": ["A", "A"],
                  "value": [1.5, 2.5]}).to_parquet(pq)
    b = read_signals(pq, columns=cols)
    pd.testing.assert_frame_equal(a.samples, b.samples)
    assert a.ledger.rows_used == b.ledger.rows_used == 2


def test_wide_layout_counts_rows_and_cells(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(
        "time,cpu,mem,comment\n"
        "1772618400000,10,20,x\n"
        "1772618401000,11,,x\n"
        "1772618401000,11,,x\n"  # duplicate row
        "1772618402000,n/a,oops,x\n"  # no valid cell
        "1772618403000,12,21,x\n"
    )
    data = read_signals(path, columns={"time": "time"}, layout="wide", ignore=["comment"])
    led = data.ledger
    assert led.rows_read == 5 and led.rows_used == 3
    assert led.rejected == {"duplicate": 1, "no_valid_values": 1}
    assert led.details["time_unit"] == "ms (inferred)"
    assert sorted(data.info.index) == ["cpu", "mem"]
    assert data.info.loc["mem", "samples"] == 2
    assert led.details["cells_rejected"] == {"missing_value": 1}  # the empty mem cell of a used row
    assert led.details["non_numeric_examples"] == {"n/a": 1, "oops": 1}


def test_events_pair_act_rtn_into_intervals_and_count_orphans():
    raw = pd.DataFrame(
        {
            "t": ["2026-03-04 11:00:00", "2026-03-04 11:00:30", "2026-03-04 11:01:00", "2026-03-04 11:02:00",
                  "2026-03-04 11:03:00", "2026-03-04 11:03:00"],
            "src": ["TI101", "TI101", "TI101", "TI101", "FI201", "FI201"],
            "cond": ["HI", "HI", "HI", "HI", "LO", "LO"],
            "state": ["ACT", "ACK", "RTN", "RTN", "ACT", "ACT"],
            "msg": ["<script>alert(1)</script>", "", "", "", "flow low", "flow low"],
        }
    )
    ev = parse_events(
        raw, columns={"time": "t", "source": "src", "kind": "cond", "state": "state", "message": "msg"},
        active_states=["ACT"], return_states=["RTN"], timezone="Europe/Berlin", domain="OT", name="alarms",
    )
    led = ev.ledger
    assert led.rows_read == 6
    assert led.rejected == {"duplicate": 1, "unmatched_return": 1}
    assert led.rows_used == 4  # ACT (with its RTN consumed), ACK, ACT
    e = ev.events
    assert list(e.columns) == ["time", "end", "source", "kind", "message", "severity", "domain", "origin"]
    first = e.iloc[0]
    assert first["kind"] == "HI" and first["end"] - first["time"] == pd.Timedelta("60s")
    assert first["message"] == "<script>alert(1)</script>"  # stored verbatim; escaping is the renderer's job
    assert "HI/ACK" in set(e["kind"])
    assert pd.isna(e.loc[e["source"] == "FI201", "end"]).all()
    assert set(e["domain"]) == {"OT"} and set(e["origin"]) == {"alarms"}


def test_events_without_source_or_kind_columns_get_defaults(tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text("opened,closed,text\n2026-03-04T10:30:00Z,2026-03-04T12:00:00Z,Line 3 scrap high\n")
    ev = read_events(path, columns={"time": "opened", "end": "closed", "message": "text"}, name="tickets")
    row = ev.events.iloc[0]
    assert row["source"] == "tickets" and row["kind"] == "event"
    assert row["end"] == pd.Timestamp("2026-03-04 12:00", tz="UTC")


# --- bad input: one clear error each ---------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(SourceError, match=r"file not found: .*nothing.csv"):
        read_signals(tmp_path / "nothing.csv", columns=LONG)


def test_empty_file_and_header_only(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(SourceError, match=r"empty.csv: the file is empty \(expected a header line and data rows\)"):
        read_signals(tmp_path / "empty.csv", columns=LONG)
    (tmp_path / "header.csv").write_text("Timestamp;TagName;Value;Quality\n")
    with pytest.raises(SourceError, match=r"header.csv: has a header \(Timestamp, TagName, Value, Quality\) but no data rows"):
        read_signals(tmp_path / "header.csv", columns=LONG)


def test_wrong_delimiter_is_explained(tmp_path):
    path = historian_csv(tmp_path / "h.csv", [["2026-03-04T10:00:00Z", "A", "1", "Good"]])
    with pytest.raises(SourceError, match=r"no column 'Timestamp' \(columns.time\).*the file looks ';'-separated but delimiter = ',' was used; set delimiter = ';'"):
        read_signals(path, columns=LONG, delimiter=",")


def test_missing_column_suggests_the_closest(tmp_path):
    path = historian_csv(tmp_path / "h.csv", [["2026-03-04T10:00:00Z", "A", "1", "Good"]])
    cols = dict(LONG, tag="Tagname")
    with pytest.raises(SourceError, match=r"h.csv: no column 'Tagname' \(columns.tag\); the header has: Timestamp, TagName, Value, Quality; did you mean 'TagName'\?"):
        read_signals(path, columns=cols)


def test_unparseable_timestamps_name_the_line_column_and_format(tmp_path):
    rows = [["2026/03/04 10:00:0%d" % i, "A", "1", "Good"] for i in range(5)]
    path = historian_csv(tmp_path / "h.csv", rows)
    with pytest.raises(SourceError, match=r"h.csv: line 2, column 'Timestamp': cannot read the time '2026/03/04 10:00:00'; 5 of 5 rows fail. Expected time_format '%d.%m.%Y %H:%M:%S'"):
        read_signals(path, columns=LONG, time_format="%d.%m.%Y %H:%M:%S")


def test_a_few_bad_timestamps_are_counted_not_fatal(tmp_path):
    rows = [[f"2026-03-04T10:00:{i:02d}Z", "A", "1", "Good"] for i in range(30)] + [["yesterday", "A", "1", "Good"]]
    data = read_signals(historian_csv(tmp_path / "h.csv", rows), columns=LONG)
    assert data.ledger.rejected == {"unparseable_time": 1}
    assert data.ledger.details["examples"]["unparseable_time"] == [f"{tmp_path / 'h.csv'}: line 32: 'yesterday'"]


def test_malformed_lines_are_counted(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("time,tag,value\n2026-03-04T10:00:00Z,A,1\n2026-03-04T10:00:01Z,A,2,surplus\n2026-03-04T10:00:02Z,A,3\n")
    data = read_signals(path, columns={"time": "time", "tag": "tag", "value": "value"})
    assert data.ledger.rows_read == 3
    assert data.ledger.rejected == {"malformed_row": 1}
    assert data.ledger.details["malformed_examples"] == ["2026-03-04T10:00:01Z,A,2,surplus"]


def test_wrong_encoding_is_explained(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes("time,tag,value\n2026-03-04T10:00:00Z,Kühler,1\n".encode("latin-1"))
    with pytest.raises(SourceError, match=r"is not utf-8 text .*set encoding"):
        read_signals(path, columns={"time": "time", "tag": "tag", "value": "value"})
    data = read_signals(path, columns={"time": "time", "tag": "tag", "value": "value"}, encoding="latin-1")
    assert data.samples["signal"].tolist() == ["Kühler"]


# --- SQL sources: a real DuckDB file and a real SQLite file ----------------------------


def test_duckdb_source(tmp_path):
    import duckdb

    db = tmp_path / "plant.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE hist (ts TIMESTAMP, tag VARCHAR, val DOUBLE, q INTEGER)")
    con.execute(
        "INSERT INTO hist VALUES ('2026-03-04 11:00:00','TI101',20.5,192), ('2026-03-04 11:00:05','TI101',21.0,0),"
        " ('2026-03-04 11:00:10','TI101',NULL,192)"
    )
    con.close()
    data = query_signals(
        f"duckdb:///{db}", "SELECT ts, tag, val, q FROM hist ORDER BY ts",
        columns={"time": "ts", "tag": "tag", "value": "val", "quality": "q"}, good_quality=["192"],
        timezone="Europe/Berlin",
    )
    assert data.ledger.rejected == {"bad_quality": 1, "missing_value": 1}
    assert data.samples["time"].tolist() == [pd.Timestamp("2026-03-04 10:00", tz="UTC")]
    with pytest.raises(SourceError, match=r"the query failed: .*nope"):
        query_signals(f"duckdb:///{db}", "SELECT * FROM nope", columns={"time": "ts", "tag": "tag", "value": "val"})
    with pytest.raises(SourceError, match=r"database not found: .*missing.duckdb"):
        query_signals(f"duckdb:///{tmp_path}/missing.duckdb", "SELECT 1", columns={"time": "a", "tag": "b", "value": "c"})


def test_sqlite_source_through_sqlalchemy(tmp_path):
    db = tmp_path / "events.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE ev (ts TEXT, host TEXT, type TEXT, summary TEXT)")
    con.executemany("INSERT INTO ev VALUES (?,?,?,?)", [
        ("2026-03-04T10:40:12Z", "fw-core-02", "change", "Firewall policy update"),
        ("2026-03-04T10:41:00Z", "ad-01", "login", "user login"),
    ])
    con.commit()
    con.close()
    ev = query_events(f"sqlite:///{db}", "SELECT * FROM ev", columns={"time": "ts", "source": "host", "kind": "type",
                                                                        "message": "summary"}, name="changes")
    assert ev.events["source"].tolist() == ["fw-core-02", "ad-01"]
    assert ev.ledger.location.startswith("sqlite:///")
    with pytest.raises(SourceError, match=r"the query returned no rows"):
        query_events(f"sqlite:///{db}", "SELECT * FROM ev WHERE 0", columns={"time": "ts"})


# --- property: the ledger balances for arbitrary messy input --------------------------

_times = st.one_of(
    st.sampled_from(["2026-03-04T10:00:00Z", "2026-03-04 11:00:00", "2026-10-25 02:30:00", "2026-03-29 02:30:00",
                     "garbage", "", "2026-03-04T10:00:00+05:30", "2026-10-25 02:10:00"]),
    st.datetimes(min_value=pd.Timestamp("2026-01-01").to_pydatetime(), max_value=pd.Timestamp("2026-12-31").to_pydatetime()).map(
        lambda d: d.strftime("%Y-%m-%d %H:%M:%S")
    ),
)
_values = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(str), st.sampled_from(["", "Bad Input", "1,5", "ON", "7"]))
_rows = st.lists(
    st.tuples(_times, st.sampled_from(["A", "B", "", "C.D"]), _values, st.sampled_from(["Good", "Bad", "192", ""])),
    min_size=1, max_size=60,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_rows, dup=st.integers(0, 5))
def test_ledger_balances_for_any_messy_long_export(rows, dup):
    rows = rows + rows[:dup]
    raw = pd.DataFrame(rows, columns=["t", "tag", "v", "q"])
    try:
        data = parse_signals(raw, columns={"time": "t", "tag": "tag", "value": "v", "quality": "q"},
                             good_quality=["Good", "192"], timezone="Europe/Berlin", value_map={"ON": 1})
    except SourceError as exc:
        # Refusing the whole source is right only when (nearly) every time is unreadable.
        bad, total = (int(x.replace(",", "")) for x in re.search(r"([\d,]+) of ([\d,]+) rows fail", str(exc)).groups())
        assert total == len(raw) and (bad == total or (total >= 20 and bad > total / 2))
        return
    led = data.ledger
    assert led.rows_read == len(raw) == led.rows_used + sum(led.rejected.values())
    assert led.rows_used == len(data.samples)
    assert not data.samples.duplicated(["signal", "time"]).any()
    assert np.isfinite(data.samples["value"]).all()


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(_times, st.sampled_from(["gw", "fw", ""]), st.sampled_from(["ACT", "RTN", "ACK", ""])),
                     min_size=1, max_size=40))
def test_ledger_balances_for_any_messy_event_export(rows):
    raw = pd.DataFrame(rows, columns=["t", "src", "state"])
    try:
        ev = parse_events(raw, columns={"time": "t", "source": "src", "state": "state"}, active_states=["ACT"],
                          return_states=["RTN"], timezone="Europe/Berlin")
    except SourceError as exc:
        assert "rows fail" in str(exc)
        return
    led = ev.ledger
    assert led.rows_read == len(raw) == led.rows_used + sum(led.rejected.values())
    assert len(ev.events) <= led.rows_used


def test_block_by_block_reading_equals_reading_the_whole_file(tmp_path, monkeypatch):
    """A long export read in many small blocks gives exactly what one pass over the whole
    file gives: the repeated autumn hour resolved across block boundaries, duplicates found
    across blocks, one ledger."""
    import rca.readers as readers

    rng = np.random.default_rng(5)
    local = pd.date_range("2026-10-25 01:00", "2026-10-25 02:59:50", freq="10s")
    local = local.append(pd.date_range("2026-10-25 02:00", "2026-10-25 03:30", freq="10s"))  # second pass
    rows = []
    for t in local:
        for tag in ("TI101", "FI201", "PI301"):
            rows.append([t.strftime("%d.%m.%Y %H:%M:%S"), tag, f"{rng.normal(50, 1):.3f}".replace(".", ","), "Good"])
    rows[500][3] = "Bad"
    rows[700][2] = "I/O Timeout"
    rows += rows[100:110]  # duplicates far from their originals, in a later block
    path = historian_csv(tmp_path / "h.csv", rows)
    opts = dict(columns=LONG, timezone="Europe/Berlin", time_format="%d.%m.%Y %H:%M:%S", good_quality=["Good"])
    whole = parse_signals(pd.read_csv(path, sep=";", dtype=str), location=str(path), **opts)
    monkeypatch.setattr(readers, "CSV_BLOCK_BYTES", 16 << 10)
    calls = []
    add = readers._LongRows.add
    monkeypatch.setattr(readers._LongRows, "add", lambda self, raw: (calls.append(len(raw)), add(self, raw))[1])
    blocks = read_signals(path, **opts)
    assert len(calls) >= 5 and sum(calls) == len(rows)  # really read in many blocks
    pd.testing.assert_frame_equal(blocks.samples, whole.samples)
    assert blocks.ledger.rejected == whole.ledger.rejected == {"bad_quality": 1, "duplicate": 10, "non_numeric_value": 1}
    assert blocks.ledger.rows_read == len(rows)
    # The second pass of the repeated hour is an hour later in UTC than the first.
    ti = blocks.samples[blocks.samples["signal"] == "TI101"]["time"]
    assert ti.is_monotonic_increasing and ti.iloc[-1] == pd.Timestamp("2026-10-25 02:30", tz="UTC")
