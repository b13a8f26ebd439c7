import textwrap

import pandas as pd
import pytest

from rca.errors import ManifestError
from rca.manifest import read_manifest

GOOD = """
title = "Line 3 scrap spike"
timezone = "Europe/Berlin"

[incident]
start = "2026-03-04 11:15:00"
symptom = "PK5.AI301.PV"
lookback = "2h"

[alignment]
grid = "10s"

[[source]]
name = "historian"
domain = "ot"
kind = "signals"
path = "data/historian_export.csv"
layout = "long"
timezone = "Europe/Berlin"
time_format = "%d.%m.%Y %H:%M:%S"
columns = { time = "Timestamp", tag = "TagName", value = "Value", quality = "Quality" }
good_quality = ["Good", 192]
clock_offset = "auto"

[[source]]
name = "it-events"
domain = "IT"
kind = "events"
path = "it_events.csv"
clock_offset = "-1.5s"
columns = { time = "timestamp", source = "host", kind = "type", message = "summary", severity = "severity" }

[[source]]
name = "mes"
domain = "IT"
kind = "events"
url = "duckdb:///mes.duckdb"
query = "SELECT * FROM events"
columns = { time = "ts" }
"""


def write(tmp_path, text, name="investigation.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def replace(text, old, new):
    assert old in text, old
    return text.replace(old, new, 1)


def test_a_complete_manifest_is_read_with_paths_relative_to_it(tmp_path):
    m = read_manifest(write(tmp_path, GOOD))
    assert m.title == "Line 3 scrap spike"
    assert m.incident.start == pd.Timestamp("2026-03-04 10:15", tz="UTC")  # naive = manifest zone
    assert m.incident.lookback == pd.Timedelta("2h")
    assert m.incident.lookahead == "auto"
    assert m.alignment.grid == pd.Timedelta("10s")
    hist, events, mes = m.sources
    assert hist.path == (tmp_path / "data" / "historian_export.csv").resolve()
    assert hist.domain == "OT"
    assert hist.good_quality == ("Good", "192")
    assert hist.clock_offset == "auto"
    assert events.clock_offset == pd.Timedelta("-1.5s")
    assert events.timezone == "UTC"
    assert mes.url == f"duckdb:///{(tmp_path / 'mes.duckdb').resolve()}"
    assert m.source("mes").query == "SELECT * FROM events"


def test_the_folder_can_stand_for_its_only_manifest(tmp_path):
    write(tmp_path, GOOD)
    assert read_manifest(tmp_path).title == "Line 3 scrap spike"


def test_a_typo_in_a_key_names_the_key_and_the_likely_intended_one(tmp_path):
    path = write(tmp_path, replace(GOOD, 'timezone = "Europe/Berlin"\n\n[incident]', 'timezon = "Europe/Berlin"\n\n[incident]'))
    with pytest.raises(ManifestError, match=r"investigation.toml: top level: unknown key 'timezon' \(did you mean 'timezone'\?\)"):
        read_manifest(path)


def test_a_typo_inside_a_source_names_the_source(tmp_path):
    path = write(tmp_path, replace(GOOD, 'time_format = "%d', 'time_fromat = "%d'))
    with pytest.raises(ManifestError, match=r"source\[1\] \('historian'\): unknown key 'time_fromat' \(did you mean 'time_format'\?\)"):
        read_manifest(path)


def test_a_typo_in_a_column_key(tmp_path):
    path = write(tmp_path, replace(GOOD, 'tag = "TagName"', 'tagg = "TagName"'))
    with pytest.raises(ManifestError, match=r"source\[1\] \('historian'\).columns: unknown key 'tagg' \(did you mean 'tag'\?\)"):
        read_manifest(path)


def test_an_event_key_on_a_signal_source_is_explained(tmp_path):
    path = write(tmp_path, replace(GOOD, 'clock_offset = "auto"', 'clock_offset = "auto"\nactive_states = ["ACT"]'))
    with pytest.raises(ManifestError, match=r"key 'active_states' applies only to event sources, but kind = 'signals'"):
        read_manifest(path)


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('title = "Line 3 scrap spike"\n', "", r"top level: missing required key 'title'"),
        ('timezone = "Europe/Berlin"\n\n[incident]', 'timezone = "Europe/Berlinn"\n\n[incident]',
         r"timezone: unknown time zone 'Europe/Berlinn'.*did you mean 'Europe/Berlin'"),
        ('start = "2026-03-04 11:15:00"', 'start = "tomorrow"', r"incident.start: cannot read 'tomorrow' as a time"),
        ('lookback = "2h"', 'lookback = "2 hours-ish"', r"incident.lookback: cannot read '2 hours-ish' as a duration"),
        ('domain = "ot"', 'domain = "plant"', r"source\[1\] \('historian'\).domain: expected 'OT' or 'IT', got 'plant'"),
        ('kind = "signals"', 'kind = "signal"', r"source\[1\] \('historian'\).kind: expected 'signals' or 'events', got 'signal'"),
        ('layout = "long"', 'layout = "tall"', r"layout: expected 'long' or 'wide', got 'tall'"),
        ('columns = { time = "Timestamp", tag', 'columns = { tag', r"columns: missing 'time'"),
        ('clock_offset = "-1.5s"', 'clock_offset = "soon"', r"source\[2\] \('it-events'\).clock_offset: cannot read 'soon'"),
        ('name = "it-events"', 'name = "historian"', r"source\[2\]: name 'historian' is used twice"),
        ('query = "SELECT * FROM events"\n', "", r"source\[3\] \('mes'\): a url source needs a 'query'"),
        ('url = "duckdb:///mes.duckdb"', 'url = "mes.duckdb"', r"\.url: expected a database URL such as 'duckdb:///plant.duckdb'"),
    ],
)
def test_each_invalid_manifest_gets_one_clear_error(tmp_path, old, new, message):
    with pytest.raises(ManifestError, match=message):
        read_manifest(write(tmp_path, replace(GOOD, old, new)))


def test_path_and_url_together_are_refused(tmp_path):
    text = replace(GOOD, 'url = "duckdb:///mes.duckdb"', 'url = "duckdb:///mes.duckdb"\npath = "x.csv"')
    with pytest.raises(ManifestError, match=r"give either path \(a file\) or url \+ query \(a database\), not both"):
        read_manifest(write(tmp_path, text))


def test_state_column_needs_state_lists(tmp_path):
    text = replace(GOOD, 'severity = "severity" }', 'severity = "severity", state = "st" }')
    with pytest.raises(ManifestError, match=r"columns.state is set; also give active_states and return_states"):
        read_manifest(write(tmp_path, text))


def test_invalid_toml_and_missing_file(tmp_path):
    with pytest.raises(ManifestError, match=r"not valid TOML"):
        read_manifest(write(tmp_path, 'title = "x\n'))
    with pytest.raises(ManifestError, match=r"manifest not found: .*nope.toml"):
        read_manifest(tmp_path / "nope.toml")


def test_sources_must_be_an_array_of_tables(tmp_path):
    text = GOOD.split("[[source]]")[0] + '[source]\nname = "x"\n'
    with pytest.raises(ManifestError, match=r"write sources as \[\[source\]\]"):
        read_manifest(write(tmp_path, text))


def test_toml_native_datetimes_are_accepted(tmp_path):
    m = read_manifest(write(tmp_path, replace(GOOD, 'start = "2026-03-04 11:15:00"', "start = 2026-03-04T10:15:00Z")))
    assert m.incident.start == pd.Timestamp("2026-03-04 10:15", tz="UTC")


def test_signal_kinds_are_read_and_checked(tmp_path):
    text = replace(GOOD, 'clock_offset = "auto"',
                   'clock_offset = "auto"\nsignal_kinds = { "PK5.*.OUT" = "output", "PK5.AI301.PV" = "measurement" }')
    m = read_manifest(write(tmp_path, text))
    assert m.sources[0].signal_kinds == {"PK5.*.OUT": "output", "PK5.AI301.PV": "measurement"}
    assert m.sources[1].signal_kinds == {}
    bad = replace(GOOD, 'clock_offset = "auto"', 'clock_offset = "auto"\nsignal_kinds = { "PK5.*.OUT" = "valve" }')
    with pytest.raises(ManifestError, match=r"source\[1\] \('historian'\)\.signal_kinds\['PK5\.\*\.OUT'\]: expected one of "
                                            r"response, output, measurement, got 'valve'"):
        read_manifest(write(tmp_path, bad))
    bad = replace(GOOD, 'clock_offset = "auto"', 'clock_offset = "auto"\nsignal_kinds = ["output"]')
    with pytest.raises(ManifestError, match=r"signal_kinds: expected a table \(a dict\) of tag or pattern = kind"):
        read_manifest(write(tmp_path, bad))
