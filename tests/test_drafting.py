"""Drafting a manifest from a folder of exports: round trips on generated incidents, odd inputs."""

from __future__ import annotations

import shutil
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rca
from rca.datasets import make_incident
from rca.drafting import ManifestDraft, Question, draft_manifest
from rca.errors import ManifestError, ParameterError, SourceError

from conftest import write_mini_incident

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "line3_scrap_spike"


def _open(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # clock-offset and data-quality warnings are not under test here
        return rca.open_investigation(path)


def _ledger(inv) -> dict:
    return {Path(s.location).name: (s.rows_read, s.rows_used, dict(s.rejected), s.kind, s.domain)
            for s in inv.ledger}


def _answer_from(draft: ManifestDraft, original: dict) -> None:
    """Answer the draft's questions the way the person who wrote ``original`` would."""
    by_file = {s.path.name: s for s in draft.sources}
    for src in original["source"]:
        mine = by_file[src["path"]]
        for q in draft.questions:
            if not q.key.startswith(f"source.{mine.name}."):
                continue
            sub = q.key[len(f"source.{mine.name}."):]
            if sub == "timezone":
                draft.answer(q.key, src.get("timezone", "UTC"))
            elif sub == "time_format":
                assert src["time_format"] in q.choices
                draft.answer(q.key, src["time_format"])
    inc = original["incident"]
    draft.answer(start=inc["start"], symptom=inc.get("symptom"), timezone=original["timezone"])


def _roundtrip(folder: Path):
    """Load the original manifest, delete it, draft a new one, answer, load again."""
    manifest = folder / "investigation.toml"
    original = tomllib.loads(manifest.read_text())
    inv0 = _open(manifest)
    manifest.unlink()
    draft = draft_manifest(folder)
    required = {q.key for q in draft.open_required}
    assert "incident.start" in required
    _answer_from(draft, original)
    assert draft.open_required == []
    path = draft.write()
    assert path == folder / "investigation.toml"
    inv = _open(path)
    return original, draft, inv0, inv


def _check_guesses(original: dict, draft: ManifestDraft) -> None:
    by_file = {s.path.name: s for s in draft.sources}
    assert set(by_file) == {s["path"] for s in original["source"]}
    for src in original["source"]:
        got = by_file[src["path"]].settings
        assert got["kind"] == src["kind"], src["path"]
        assert got["domain"] == src["domain"], src["path"]
        if src["kind"] == "signals":
            assert got["layout"] == src["layout"], src["path"]
        want_cols = dict(src["columns"])
        got_cols = dict(got["columns"])
        if "end" in want_cols and "end" not in got_cols:
            # an 'end' column that is empty in the whole file cannot be recognised from its content
            raw = pd.read_csv(by_file[src["path"]].path, sep=None, engine="python", dtype=str)
            assert raw[want_cols.pop("end")].isna().all(), src["path"]
        assert got_cols == want_cols, src["path"]
        for key in ("time_unit", "good_quality", "active_states", "return_states"):
            assert got.get(key) == src.get(key), (src["path"], key)
        if src.get("time_format") and got.get("time_format"):
            assert got["time_format"] == src["time_format"]
        if src.get("decimal"):
            assert got["decimal"] == src["decimal"]


@pytest.mark.parametrize(
    ("style", "cause"),
    [("eu_semicolon", "ot_fault"), ("us_pi", "setpoint_change"), ("iso_opc", "it_saturation")],
)
def test_roundtrip_generated_incident(tmp_path, style, cause):
    inc = make_incident(cause=cause, seed=11, duration="2h", n_signals=24, events_per_hour=120, style=style)
    folder = tmp_path / style
    inc.write(folder)
    original, draft, inv0, inv = _roundtrip(folder)
    _check_guesses(original, draft)
    assert _ledger(inv) == _ledger(inv0)
    assert inv.ledger.balanced
    assert sorted(inv.signals.columns) == sorted(inv0.signals.columns)
    assert len(inv.events) == len(inv0.events)
    assert inv.incident.start == inv0.incident.start
    assert inv.timezone == inv0.timezone
    # the skipped files are named with their reason
    assert draft.skipped["truth.json"].startswith("not a data export")


def test_roundtrip_bundled_sample(tmp_path):
    folder = tmp_path / "line3"
    shutil.copytree(SAMPLE, folder)
    original, draft, inv0, inv = _roundtrip(folder)
    _check_guesses(original, draft)
    assert _ledger(inv) == _ledger(inv0)
    # the OT clock is estimated ("auto" suggested for naive plant times), as in the original
    offsets = {c.clock: c.offset for c in inv.alignment.clock_offsets}
    offsets0 = {c.clock: c.offset for c in inv0.alignment.clock_offsets}
    assert list(offsets.values()) == pytest.approx(list(offsets0.values()), abs=pd.Timedelta("1s"))


def test_roundtrip_mini_incident_with_messy_rows(tmp_path):
    folder = tmp_path / "mini"
    write_mini_incident(folder)
    original, draft, inv0, inv = _roundtrip(folder)
    assert _ledger(inv) == _ledger(inv0)
    hist = next(s for s in draft.sources if s.path.name == "historian.csv")
    assert hist.settings["decimal"] == "," and hist.settings["delimiter"] == ";"
    assert any("I/O Timeout" in n for n in hist.notes)
    assert inv.ledger["historian"].rejected["non_numeric_value"] == inv0.ledger["historian"].rejected[
        "non_numeric_value"]


def test_reasons_and_toml_text(tmp_path):
    folder = tmp_path / "line3"
    shutil.copytree(SAMPLE, folder)
    (folder / "investigation.toml").unlink()
    draft = draft_manifest(folder)
    text = draft.to_toml()
    assert "OPEN QUESTIONS" in text and "incident.start" in text
    data = tomllib.loads(text)  # valid TOML even with questions open
    assert "start" not in data["incident"]
    assert "# historian_export.csv.gz:" in text and "decimal comma" in text
    hist = next(s for s in draft.sources if s.name == "historian_export")
    assert "instrument tags" in hist.reasons["domain"]
    assert "Good" in hist.reasons["good_quality"]
    frame = draft.to_frame()
    assert list(frame["file"]) == [s.path.name for s in draft.sources]
    assert frame.set_index("file").loc["it_metrics.csv.gz", "layout"] == "wide"
    assert "Questions:" in draft.describe()
    with pytest.raises(ManifestError, match=r"required question\(s\) are open: incident.start"):
        draft.write()
    assert not (folder / "investigation.toml").exists()


def test_keyword_answers_and_overwrite(tmp_path):
    folder = tmp_path / "line3"
    shutil.copytree(SAMPLE, folder)
    draft = draft_manifest(folder, timezone="Europe/Vienna", start="2025-01-21 09:53", symptom="L3.QI374.PV",
                           title="Line 3")
    assert draft.open_required == []
    with pytest.raises(ManifestError, match=r"investigation.toml already exists; pass overwrite=True"):
        draft.write()
    (tmp_path / "elsewhere").mkdir()
    path = draft.write(tmp_path / "elsewhere" / "x.toml")
    assert path.parent.name == "elsewhere"
    data = tomllib.loads(path.read_text())
    assert data["source"][0]["path"].startswith("../line3/")
    assert data["timezone"] == "Europe/Vienna"
    inv = _open(path)
    assert inv.title == "Line 3"
    assert inv.incident.start == pd.Timestamp("2025-01-21 08:53", tz="UTC")  # 09:53 in Vienna (CET)
    assert inv.incident.symptom == "L3.QI374.PV"
    again = draft.write(folder / "investigation.toml", overwrite=True)
    assert _open(again).incident.start == inv.incident.start


def _write_csv(path: Path, text: str, encoding="utf-8") -> None:
    path.write_bytes(text.encode(encoding))


def test_preamble_latin1_tab_and_parquet(tmp_path):
    folder = tmp_path / "odd"
    folder.mkdir()
    t = pd.date_range("2025-06-02 08:00", periods=120, freq="30s")
    rng = np.random.default_rng(1)
    lines = ["Export aus Leitsystem Anlage Süd", "Erstellt: 02.06.2025", ""]
    lines.append("Datum/Zeit\tMessstelle\tMesswert\tEinheit")
    for i, ts in enumerate(t):
        for tag in ("K1_TI4711", "K1_PI0815"):
            lines.append(f"{ts:%d.%m.%Y %H:%M:%S}\t{tag}\t{20 + rng.normal():.2f}\t°C")
    _write_csv(folder / "leitsystem_export.txt", "\n".join(lines) + "\n", encoding="cp1252")
    it = pd.DataFrame({
        "ts": t.tz_localize("UTC"),
        "node": np.where(np.arange(len(t)) // 2 % 2 == 0, "app-srv-01", "db-srv-01"),
        "counter": np.where(np.arange(len(t)) % 2 == 0, "cpu_pct", "mem_pct"),
        "reading": rng.uniform(10, 90, len(t)),
    })
    it.to_parquet(folder / "monitoring.parquet")
    (folder / "notes.md").write_text("# notes")
    draft = draft_manifest(folder)
    plant = next(s for s in draft.sources if s.path.name == "leitsystem_export.txt")
    assert plant.settings["skip_rows"] == 3
    assert plant.settings["encoding"] == "cp1252"
    assert plant.settings["delimiter"] == "\t"
    assert plant.settings["columns"] == {"time": "Datum/Zeit", "value": "Messwert", "unit": "Einheit",
                                         "tag": "Messstelle"}
    assert plant.settings["time_format"] == "%d.%m.%Y %H:%M:%S"
    assert plant.settings["decimal"] == "."
    assert plant.naive_times
    mon = next(s for s in draft.sources if s.path.name == "monitoring.parquet")
    assert not mon.naive_times
    assert mon.settings["columns"] == {"time": "ts", "value": "reading", "tag": ["node", "counter"]}
    assert mon.settings["domain"] == "IT"
    assert draft.skipped == {"notes.md": "not a data export (.md)"}
    keys = {q.key for q in draft.open_required}
    assert keys == {"incident.start", "source.leitsystem_export.timezone"}
    # the domain of the plant file comes from its tag names and file name
    assert plant.settings["domain"] == "OT"
    draft.answer(timezone="Europe/Berlin", start="2025-06-02 09:00")
    inv = _open(draft.write())
    assert inv.ledger.balanced
    assert inv.ledger["leitsystem_export"].rows_used == 240
    assert inv.ledger["monitoring"].rows_used == 120
    assert set(inv.signals.columns) == {"K1_TI4711", "K1_PI0815", "app-srv-01.cpu_pct", "app-srv-01.mem_pct",
                                        "db-srv-01.cpu_pct", "db-srv-01.mem_pct"}
    assert inv.signal_info.loc["K1_TI4711", "unit"] == "°C"
    # naive plant time read in Berlin (CEST): 08:00 local is 06:00 UTC
    assert inv.ledger["leitsystem_export"].start == pd.Timestamp("2025-06-02 06:00", tz="UTC")


def test_ambiguous_dates_become_a_question(tmp_path):
    folder = tmp_path / "amb"
    folder.mkdir()
    t = pd.date_range("2025-03-04 22:00", periods=60, freq="1min")
    rows = [f"{ts:%m/%d/%Y %I:%M:%S %p},FIC101.PV,{i * 0.1:.1f}" for i, ts in enumerate(t)]
    _write_csv(folder / "historian.csv", "Timestamp,Tag,Value\n" + "\n".join(rows) + "\n")
    draft = draft_manifest(folder)
    q = next(q for q in draft.questions if q.key == "source.historian.time_format")
    assert q.required
    assert set(q.choices) == {"%m/%d/%Y %I:%M:%S %p", "%d/%m/%Y %I:%M:%S %p"}
    assert "day-first or month-first" in q.text
    draft.answer("source.historian.time_format", "%m/%d/%Y %I:%M:%S %p")
    draft.answer(timezone="America/Chicago", start="2025-03-04 23:00")
    inv = _open(draft.write())
    assert inv.ledger["historian"].rows_used == 60
    assert inv.ledger["historian"].start == pd.Timestamp("2025-03-05 04:00", tz="UTC")  # 22:00 CST


def test_unknown_quality_codes_and_domain_are_asked(tmp_path):
    folder = tmp_path / "q"
    folder.mkdir()
    t = pd.date_range("2025-03-04 10:00", periods=50, freq="10s", tz="UTC")
    iso = [f"{x:%Y-%m-%dT%H:%M:%SZ}" for x in t]
    frame = pd.DataFrame({"time": iso, "name": "A", "value": np.linspace(0, 5, 50).round(2),
                          "quality": np.where(np.arange(50) % 7, "3", "9")})
    frame.to_csv(folder / "data.csv", index=False)
    pd.DataFrame({"time": iso, "a": np.arange(50.0), "b": np.arange(50.0) ** 0.5}).to_csv(
        folder / "series.csv", index=False)
    draft = draft_manifest(folder)
    keys = {q.key: q for q in draft.open_required}
    assert set(keys) == {"incident.start", "source.data.good_quality", "source.series.domain"}
    assert set(keys["source.data.good_quality"].choices) == {"3", "9"}
    assert keys["source.series.domain"].choices == ("OT", "IT")
    assert "Nothing in it says which" in keys["source.series.domain"].text
    data = next(s for s in draft.sources if s.name == "data")
    assert data.settings["domain"] == "OT" and "quality column" in data.reasons["domain"]
    draft.answer("source.data.good_quality", ["3"]).answer("source.series.domain", "IT")
    draft.answer(start="2025-03-04T10:05:00Z")
    inv = _open(draft.write())
    assert inv.ledger["data"].rejected == {"bad_quality": 8}
    assert inv.signal_info.loc["a", "domain"] == "IT"
    assert inv.signal_info.loc["A", "domain"] == "OT"


def test_files_without_time_are_skipped_with_reason(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "lookup.csv").write_text("tag,description\nFIC101.PV,feed flow\nTI205.PV,product temperature\n")
    (folder / "one_column.csv").write_text("value\n1\n2\n3\n")
    (folder / "empty.csv").write_text("")
    with pytest.raises(SourceError, match=r"no usable export .*lookup.csv: no column reads as date/time"):
        draft_manifest(folder)


def test_not_a_folder_and_empty_folder(tmp_path):
    with pytest.raises(ParameterError, match=r"folder='.*nowhere': no such folder"):
        draft_manifest(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SourceError, match=r"no usable export .* \(the folder is empty\)"):
        draft_manifest(empty)
    with pytest.raises(ParameterError, match=r"sample_rows=5; expected an integer >= 10"):
        draft_manifest(empty, sample_rows=5)


def test_bad_answers_are_refused_by_name(tmp_path):
    folder = tmp_path / "mini"
    write_mini_incident(folder)
    draft = draft_manifest(folder)
    with pytest.raises(ParameterError, match=r"answer\(\): unknown keyword 'zone'"):
        draft.answer(zone="UTC")
    with pytest.raises(ParameterError, match=r"answer\(\): unknown key 'incident.begin'"):
        draft.answer("incident.begin", "2026-03-04 10:00")
    with pytest.raises(ParameterError, match=r"'source.nosuch.timezone' names no source of this draft"):
        draft.answer("source.nosuch.timezone", "UTC")
    with pytest.raises(ParameterError, match=r"source.historian.timezone: unknown time zone 'Europe/Berln'"):
        draft.answer("source.historian.timezone", "Europe/Berln")
    with pytest.raises(ParameterError, match=r"incident.start: cannot read 'yesterday' as a time"):
        draft.answer(start="yesterday")
    with pytest.raises(ParameterError, match=r"incident.symptom: expected text, got int 5"):
        draft.answer(symptom=5)
    # an answer that makes an invalid manifest is reported by the manifest's own check
    draft.answer(timezone="Europe/Berlin", start="2026-03-04 10:20")
    draft.answer("source.historian.layout", "tall")
    with pytest.raises(ManifestError, match=r"source\[2\] \('historian'\).layout: expected 'long' or 'wide', got 'tall'"):
        draft.to_manifest()


def test_question_objects_are_plain_data(tmp_path):
    folder = tmp_path / "mini"
    write_mini_incident(folder)
    draft = draft_manifest(folder, timezone="Europe/Berlin")
    keys = [q.key for q in draft.questions]
    assert keys[0] == "incident.start"  # required first
    assert "source.historian.timezone" not in keys  # answered by timezone=
    clock = next(q for q in draft.questions if q.key == "source.historian.clock_offset")
    assert isinstance(clock, Question) and not clock.required and clock.suggestion == "auto"
    assert clock.to_dict()["suggestion"] == "auto"
    table = {s["name"]: s for s in draft.to_dict()["source"]}
    assert table["historian"]["clock_offset"] == "auto"
    assert table["it_events"]["clock_offset"] == "0s"
    assert table["historian"]["timezone"] == "Europe/Berlin"
    assert table["it_events"]["timezone"] == "UTC"


def test_plant_zone_is_not_applied_to_naive_it_times(tmp_path):
    inc = make_incident(cause="setpoint_change", seed=11, duration="2h", n_signals=24, events_per_hour=80, style="us_pi")
    folder = tmp_path / "us"
    inc.write(folder)
    (folder / "investigation.toml").unlink()
    draft = draft_manifest(folder, timezone=inc.timezone, start=inc.truth.noticed.isoformat())
    open_keys = {q.key: q for q in draft.open_required}
    assert "source.changes.timezone" in open_keys  # naive UTC change records: asked, not guessed
    assert open_keys["source.changes.timezone"].suggestion == "UTC"
    assert "IT systems often log in UTC" in open_keys["source.changes.timezone"].text
    assert "source.pi_archive_export.timezone" not in open_keys  # answered by timezone=
    with pytest.raises(ManifestError, match=r"source.changes.timezone"):
        draft.to_manifest()
    for q in draft.open_required:  # day/month order of the plant exports, if the dates cannot tell
        if q.key.endswith(".time_format"):
            draft.answer(q.key, "%m/%d/%Y %I:%M:%S %p")
    draft.answer("source.changes.timezone", "UTC")
    tables = {t["name"]: t for t in draft.to_dict()["source"]}
    assert tables["changes"]["timezone"] == "UTC"
    assert tables["pi_archive_export"]["timezone"] == inc.timezone
    inv = _open(draft.write())
    assert inv.ledger["changes"].rows_used == inv.ledger["changes"].rows_read
