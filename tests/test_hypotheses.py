"""Tests of rca.hypotheses: the shared, append-only hypothesis log."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rca.errors import ManifestError, ParameterError, RcaWarning, SourceError
from rca.hypotheses import (
    ACTION_STATUSES,
    EVIDENCE_KINDS,
    HYPOTHESIS_STATUSES,
    ISHIKAWA_CATEGORIES,
    JSON_FORMAT,
    JSON_VERSION,
    HypothesisLog,
    ImportResult,
    hypothesis_log_path,
    open_hypothesis_log,
)

TRICKY_TEXT = "  <script>alert(1)</script> & \"quotes\" 'single' \\ back\nnew line\ttab ☃ 温度 مرحبا 👩‍🔧 e\u0301 \u0000 end  "


@pytest.fixture
def log(tmp_path):
    with HypothesisLog.open(tmp_path / "incident.hypotheses.sqlite", author="Ana", team="OT") as opened:
        yield opened


def _candidate_row():
    """A row as rank_candidates returns it (numpy scalars, tz-aware onset)."""
    frame = pd.DataFrame(
        {
            "rank": np.array([1, 2], dtype="int64"),
            "name": ["PK5.TIC101", "fw-core-02"],
            "type": ["signal", "event"],
            "domain": ["OT", "IT"],
            "score": np.array([0.82, 0.4]),
            "onset": pd.to_datetime(["2026-03-04T09:12:00Z", "2026-03-04T09:58:00Z"], utc=True),
            "evidence": ["mean step +3.1 sigma", "change window"],
        }
    )
    return frame


# --------------------------------------------------------------------------- basics


def test_add_hypothesis_view_columns_dtypes_and_values(log):
    before = pd.Timestamp.now(tz="UTC")
    h = log.add_hypothesis("Cooling valve TV-101 stuck", category="machine")
    after = pd.Timestamp.now(tz="UTC")
    view = log.hypotheses()
    assert view.columns.tolist() == [
        "hypothesis_id", "statement", "team", "status", "category", "proposed_by", "created_at",
        "status_reason", "status_by", "status_at", "updated_by", "updated_at", "retracted",
    ]
    assert str(view["created_at"].dtype) == "datetime64[ns, UTC]"
    assert str(view["status_at"].dtype) == "datetime64[ns, UTC]"
    row = view.iloc[0]
    assert row["hypothesis_id"] == h and uuid.UUID(h).version == 4
    assert (row["statement"], row["team"], row["status"], row["category"]) == (
        "Cooling valve TV-101 stuck", "OT", "open", "machine")
    assert row["proposed_by"] == "Ana" and row["status_by"] == "Ana"
    assert before - pd.Timedelta("1ms") <= row["created_at"] <= after + pd.Timedelta("1ms")
    assert not row["retracted"]


def test_empty_log_views_have_their_columns_and_dtypes(log):
    assert len(log.hypotheses()) == 0
    assert log.evidence().columns.tolist()[:4] == ["evidence_id", "hypothesis_id", "kind", "stance"]
    assert log.whys().columns.tolist()[:4] == ["why_id", "hypothesis_id", "step", "text"]
    assert str(log.history()["recorded_at"].dtype) == "datetime64[ns, UTC]"
    assert str(log.actions()["created_at"].dtype) == "datetime64[ns, UTC]"
    assert len(log.decisions()) == 0


def test_status_changes_by_two_people_are_both_kept_and_view_shows_latest(log):
    h = log.add_hypothesis("Firewall change dropped OPC UA", team="IT")
    log.set_status(h, "supported", reason="drops match the change window", author="Ben")
    log.set_status(h, "refuted", reason="OPC UA ran over the other path", author="Cleo")
    row = log.hypotheses().iloc[0]
    assert (row["status"], row["status_by"], row["status_reason"]) == (
        "refuted", "Cleo", "OPC UA ran over the other path")
    history = log.history(h)
    statuses = [p.get("status") for p in history["payload"]]
    assert statuses == ["open", "supported", "refuted"]
    assert history["author"].tolist() == ["Ana", "Ben", "Cleo"]
    assert history["recorded_at"].is_monotonic_increasing


def test_status_without_reason_clears_the_previous_reason(log):
    h = log.add_hypothesis("Valve stuck")
    log.set_status(h, "supported", reason="flat position")
    log.set_status(h, "confirmed")
    assert log.hypotheses().loc[0, "status_reason"] == ""
    assert log.history(h)["payload"].iloc[1]["status_reason"] == "flat position"


def test_category_and_edit_keep_the_old_values_in_history(log):
    h = log.add_hypothesis("Valve stuck")
    log.set_category(h, "machine")
    log.set_category(h, "measurement", author="Ben")
    log.edit_hypothesis(h, statement="Position sensor of TV-101 frozen", team="quality")
    row = log.hypotheses().iloc[0]
    assert (row["category"], row["statement"], row["team"]) == (
        "measurement", "Position sensor of TV-101 frozen", "quality")
    assert row["updated_by"] == "Ana" and row["status_by"] == "Ana"
    payloads = log.history(h)["payload"].tolist()
    assert payloads[0]["statement"] == "Valve stuck"
    assert [p.get("category") for p in payloads] == [None, "machine", "measurement", None]
    log.set_category(h, None)
    assert log.hypotheses().loc[0, "category"] is None


def test_ids_can_be_given_by_unique_prefix(log):
    h = log.add_hypothesis("Valve stuck")
    log.set_status(h[:6], "supported")
    log.set_status(h[:8].upper(), "confirmed")
    assert log.hypotheses().loc[0, "status"] == "confirmed"


def test_ambiguous_prefix_is_refused(log, monkeypatch):
    ids = iter(["abcd1111-0000-4000-8000-000000000000", "abcd2222-0000-4000-8000-000000000000"])
    import rca.hypotheses as module

    # only the entity ids drawn by rca.hypotheses are fixed; entry ids stay random
    monkeypatch.setattr(module, "uuid", SimpleNamespace(uuid4=lambda: uuid.UUID(next(ids))))
    log.add_hypothesis("first")
    log.add_hypothesis("second")
    monkeypatch.undo()
    with pytest.raises(ParameterError, match=r"hypothesis_id='abcd' is the start of 2 hypothesis ids"):
        log.set_status("abcd", "supported")
    log.set_status("abcd2", "supported")
    assert log.hypotheses()["status"].tolist() == ["open", "supported"]


def test_other_connections_see_each_others_writes(tmp_path):
    path = tmp_path / "shared.sqlite"
    with HypothesisLog.open(path, author="Ana", team="OT") as ot, \
            HypothesisLog.open(path, author="Ben", team="IT") as it:
        assert ot.journal_mode == "wal"
        h = ot.add_hypothesis("Valve stuck")
        assert it.hypotheses()["statement"].tolist() == ["Valve stuck"]
        it.set_status(h, "refuted", reason="valve moved")
        assert ot.hypotheses().loc[0, "status"] == "refuted"
        assert ot.hypotheses().loc[0, "status_by"] == "Ben"


def test_views_hand_out_copies_so_the_log_cannot_be_changed_through_them(log):
    h = log.add_hypothesis("Valve stuck")
    log.add_evidence(h, kind="candidate", candidate={"name": "TT1", "type": "signal", "score": 1.0})
    log.evidence().loc[0, "detail"]["name"] = "changed"
    log.history().loc[0, "payload"]["statement"] = "changed"
    log.to_dict()["records"][1]["payload"]["detail"]["name"] = "changed"
    assert log.evidence().loc[0, "detail"]["name"] == "TT1"
    assert log.history().loc[0, "payload"]["statement"] == "Valve stuck"
    assert log.to_dict()["records"][1]["payload"]["detail"]["name"] == "TT1"


def test_a_log_without_wal_warns(tmp_path):
    with pytest.warns(RcaWarning, match=r"':memory:': SQLite journal mode is 'memory', not 'wal'"):
        memory = HypothesisLog.open(":memory:", author="Ana", team="OT")
    memory.add_hypothesis("still works, for one connection")
    assert len(memory.hypotheses()) == 1
    memory.close()


def _open_and_add(path: str, worker: int, barrier) -> None:
    barrier.wait()
    with HypothesisLog.open(path, author=f"writer-{worker}", team="OT") as log:
        log.add_hypothesis(f"from writer {worker}")


def test_processes_creating_the_same_new_log_at_once(tmp_path):
    path = tmp_path / "new.hypotheses.sqlite"
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4)
    workers = [context.Process(target=_open_and_add, args=(str(path), w, barrier))
               for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join()
    assert [p.exitcode for p in workers] == [0] * 4
    with sqlite3.connect(path) as raw:
        meta = raw.execute("SELECT key, COUNT(*) FROM meta GROUP BY key").fetchall()
    raw.close()
    assert dict(meta) == {"format": 1, "schema_version": 1, "log_id": 1, "created_at": 1}
    with HypothesisLog.open(path) as log:
        assert sorted(log.hypotheses()["statement"]) == [f"from writer {w}" for w in range(4)]


# --------------------------------------------------------------------------- evidence


def test_candidate_evidence_keeps_every_column_of_the_ranked_row(log):
    h = log.add_hypothesis("Temperature control loop failed")
    candidates = _candidate_row()
    e1 = log.add_evidence(h, kind="candidate", candidate=candidates.iloc[0])
    e2 = log.add_evidence(h, kind="candidate", candidate=candidates.iloc[[1]], stance="contradicts")
    e3 = log.add_evidence(h, kind="candidate", candidate={"name": "x", "type": "signal", "score": 1})
    view = log.evidence(h).set_index("evidence_id")
    assert view.loc[e1, "detail"] == {
        "rank": 1, "name": "PK5.TIC101", "type": "signal", "domain": "OT", "score": 0.82,
        "onset": "2026-03-04T09:12:00Z", "evidence": "mean step +3.1 sigma",
    }
    assert view.loc[e1, "summary"] == "candidate #1 PK5.TIC101 (signal, OT, score 0.82)"
    assert view.loc[e2, "stance"] == "contradicts"
    assert view.loc[e2, "detail"]["name"] == "fw-core-02"
    assert view.loc[e3, "summary"] == "candidate x (signal, score 1)"


def test_signal_event_note_evidence(log):
    h = log.add_hypothesis("Backup saturated the historian")
    berlin = pd.Timestamp("2026-03-29 03:30", tz="Europe/Berlin")  # just after the DST jump
    es = log.add_evidence(h, kind="signal", signal="hist-01.disk_busy", start=berlin,
                          end="2026-03-29T02:00:00+00:00", note="busy 100 %")
    ee = log.add_evidence(h, kind="event", stance="context", event={
        "time": pd.Timestamp("2026-03-29T01:55:00Z"), "end": pd.NaT, "source": "hist-01",
        "kind": "backup", "message": "full <b>backup</b> started", "severity": "",
        "domain": "IT", "origin": "syslog"})
    en = log.add_evidence(h, kind="note", note=TRICKY_TEXT)
    view = log.evidence().set_index("evidence_id")
    assert view.loc[es, "detail"] == {
        "signal": "hist-01.disk_busy", "start": "2026-03-29T01:30:00Z", "end": "2026-03-29T02:00:00Z"}
    assert view.loc[es, "note"] == "busy 100 %"
    assert view.loc[ee, "detail"]["time"] == "2026-03-29T01:55:00Z"
    assert view.loc[ee, "detail"]["end"] is None
    assert view.loc[ee, "detail"]["message"] == "full <b>backup</b> started"
    assert view.loc[en, "note"] == TRICKY_TEXT
    assert view["kind"].tolist() == ["signal", "event", "note"]


def test_chart_evidence_from_altair_spec_and_svg(log):
    import altair as alt  # imported here: the spawned writers import this module, keep it light

    h = log.add_hypothesis("Valve stuck")
    data = pd.DataFrame({"t": pd.date_range("2026-03-04", periods=3, freq="min", tz="UTC"),
                         "v": [1.0, 2.0, 2.0]})
    chart = alt.Chart(data).mark_line().encode(x="t:T", y="v:Q").properties(title="TV-101 position")
    ec = log.add_evidence(h, kind="chart", chart=chart)
    es = log.add_evidence(h, kind="chart", chart='<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>')
    ej = log.add_evidence(h, kind="chart", chart=json.dumps({"mark": "bar", "title": ["a", "b"]}))
    jupyter = log.add_evidence(h, kind="chart", chart=alt.JupyterChart(chart))
    view = log.evidence().set_index("evidence_id")
    assert view.loc[jupyter, "detail"] == view.loc[ec, "detail"]
    stored = view.loc[ec, "detail"]
    assert stored["format"] == "vega-lite"
    assert stored["spec"] == json.loads(json.dumps(chart.to_dict()))
    assert view.loc[ec, "summary"] == "chart (vega-lite): TV-101 position"
    assert view.loc[es, "detail"] == {
        "format": "svg", "svg": '<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'}
    assert view.loc[es, "summary"] == "chart (svg)"
    assert view.loc[ej, "summary"] == "chart (vega-lite): a b"


# --------------------------------------------------------------------------- whys, decisions, actions


def test_whys_are_numbered_in_order_per_hypothesis(log):
    h1 = log.add_hypothesis("Scrap from cold moulds")
    h2 = log.add_hypothesis("Scrap from wrong material")
    w1 = log.add_why(h1, "Mould temperature fell")
    log.add_why(h2, "Batch 17 came from another supplier")
    w2 = log.add_why(h1, "Cooling valve stuck open")
    w3 = log.add_why(h1, "Positioner air supply blocked")
    log.edit_why(w2, "Cooling valve TV-101 stuck open", author="Ben")
    chain = log.whys(h1)
    assert chain["why_id"].tolist() == [w1, w2, w3]
    assert chain["step"].tolist() == [1, 2, 3]
    assert chain.loc[1, "text"] == "Cooling valve TV-101 stuck open"
    assert chain.loc[1, ("author")] == "Ana" and chain.loc[1, "updated_by"] == "Ben"
    everything = log.whys()
    assert everything["hypothesis_id"].tolist() == [h1, h1, h1, h2]
    assert everything["step"].tolist() == [1, 2, 3, 1]
    log.retract(w2, reason="not a cause of the previous step", author="Cleo")
    assert log.whys(h1)["step"].tolist() == [1, 2]
    assert log.whys(h1)["why_id"].tolist() == [w1, w3]
    assert log.whys(h1, include_retracted=True)["retracted"].tolist() == [False, True, False]


def test_decisions_and_actions(log):
    h = log.add_hypothesis("Valve stuck")
    d = log.add_decision("Run on manual cooling", hypothesis_id=h)
    log.add_decision("Inform the customer")
    a = log.add_action("Replace positioner", owner="Jo (maintenance)", due=dt.date(2026, 3, 10),
                       hypothesis_id=h)
    log.update_action(a, status="in_progress", author="Jo")
    log.update_action(a, owner="Kim", due="2026-03-12", text="Replace positioner and hose")
    decisions = log.decisions()
    assert decisions["decision_id"].tolist()[0] == d
    assert decisions["hypothesis_id"].tolist() == [h, None]
    action = log.actions().iloc[0]
    assert (action["text"], action["owner"], action["due"], action["status"]) == (
        "Replace positioner and hose", "Kim", dt.date(2026, 3, 12), "in_progress")
    assert action["author"] == "Ana" and action["updated_by"] == "Ana"
    assert [p for p in log.history(a)["payload"]][1] == {"status": "in_progress"}


def test_retract_hides_but_keeps_everything(log):
    h = log.add_hypothesis("Duplicate")
    e = log.add_evidence(h, kind="note", note="typo")
    d = log.add_decision("wrong decision")
    log.retract(e, reason="attached to the wrong hypothesis")
    log.retract(d[:8], reason="entered by mistake", author="Ben")
    log.retract(h, reason="same as another")
    assert len(log.hypotheses()) == len(log.evidence()) == len(log.decisions()) == 0
    assert log.hypotheses(include_retracted=True)["retracted"].tolist() == [True]
    assert log.evidence(include_retracted=True).loc[0, "note"] == "typo"
    history = log.history()
    assert len(history) == 6
    assert history.iloc[4]["payload"] == {"retracted": True, "retract_reason": "entered by mistake"}
    assert history.iloc[4]["author"] == "Ben"


def test_history_is_append_only_at_the_database_level(log):
    log.add_hypothesis("Valve stuck")
    with sqlite3.connect(log.path) as raw:
        with pytest.raises(sqlite3.IntegrityError, match="append-only: records cannot be updated"):
            raw.execute("UPDATE records SET author = 'Mallory'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only: records cannot be deleted"):
            raw.execute("DELETE FROM records")
    assert log.history()["author"].tolist() == ["Ana"]


def test_text_is_stored_verbatim(log):
    h = log.add_hypothesis(TRICKY_TEXT, team=TRICKY_TEXT, author=TRICKY_TEXT)
    log.add_why(h, TRICKY_TEXT)
    log.add_decision(TRICKY_TEXT)
    row = log.hypotheses().iloc[0]
    assert row["statement"] == row["team"] == row["proposed_by"] == TRICKY_TEXT
    assert log.whys().loc[0, "text"] == TRICKY_TEXT
    reopened = HypothesisLog.open(log.path)
    assert reopened.decisions().loc[0, "text"] == TRICKY_TEXT
    reopened.close()


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda log, h: log.set_status(h, "maybe"), ParameterError,
         r"status='maybe' is not a hypothesis status; expected one of 'open', 'supported', "
         r"'refuted', 'confirmed'"),
        (lambda log, h: log.set_category(h, "software"), ParameterError,
         r"category='software' is not an Ishikawa category; expected one of 'people', 'method', "
         r"'machine', 'material', 'measurement', 'environment', 'it_systems', 'network'"),
        (lambda log, h: log.add_hypothesis("valve", category="Machine"), ParameterError,
         r"category='Machine' is not an Ishikawa category"),
        (lambda log, h: log.add_evidence(h, kind="photo"), ParameterError,
         r"kind='photo' is not an evidence kind; expected one of 'candidate', 'signal', 'event', "
         r"'note', 'chart'"),
        (lambda log, h: log.add_evidence(h, kind="note", note="x", stance="maybe"), ParameterError,
         r"stance='maybe' is not an evidence stance; expected one of 'supports', 'contradicts', "
         r"'context'"),
        (lambda log, h: log.add_hypothesis(""), ParameterError,
         r"statement='': expected non-empty text"),
        (lambda log, h: log.add_hypothesis(" \n\t"), ParameterError,
         r"statement=' \\n\\t': expected non-empty text"),
        (lambda log, h: log.add_hypothesis(None), ParameterError,
         r"statement=None: expected text \(a str\), got NoneType"),
        (lambda log, h: log.add_hypothesis("bad \ud800 text"), ParameterError,
         r"statement: the text has a character that is not valid Unicode text at position 4"),
        (lambda log, h: log.set_status("0123abcd", "open"), ParameterError,
         r"hypothesis_id='0123abcd' is not a hypothesis id in incident.hypotheses.sqlite; expected "
         r"one of the 1 hypothesis ids \(or a unique prefix of at least 4 characters\): "),
        (lambda log, h: log.add_why("no-such-id", "x"), ParameterError,
         r"hypothesis_id='no-such-id' is not a hypothesis id"),
        (lambda log, h: log.add_action("x", owner="Jo", due="next week"), ParameterError,
         r"due='next week': expected a calendar date \(datetime.date or 'YYYY-MM-DD'\)"),
        (lambda log, h: log.add_action("x", owner="Jo", due="2026-13-01"), ParameterError,
         r"due='2026-13-01': expected a calendar date"),
        (lambda log, h: log.add_action("x", owner="Jo", due="20260310"), ParameterError,
         r"due='20260310': expected a calendar date"),
        (lambda log, h: log.add_action("x", owner="Jo", due=dt.datetime(2026, 3, 10, 8)),
         ParameterError, r"due=datetime.datetime\(2026, 3, 10, 8, 0\): expected a calendar date "
         r"\(datetime.date or 'YYYY-MM-DD'\), not a date with a time of day"),
        (lambda log, h: log.add_action("x", owner="", due="2026-03-10"), ParameterError,
         r"owner='': expected non-empty text"),
        (lambda log, h: log.update_action(log.add_action("x", owner="Jo", due="2026-03-10"),
                                          status="finished"), ParameterError,
         r"status='finished' is not an action status; expected one of 'open', 'in_progress', "
         r"'done', 'cancelled'"),
        (lambda log, h: log.update_action(log.add_action("x", owner="Jo", due="2026-03-10")),
         ParameterError, r"status, owner, due and text are all None: nothing to change"),
        (lambda log, h: log.update_action(h, status="done"), ParameterError,
         r"action_id='.*' is a hypothesis id, not a action id"),
        (lambda log, h: log.edit_hypothesis(h), ParameterError,
         r"statement=None, team=None: nothing to change"),
        (lambda log, h: log.add_evidence(h, kind="signal", signal="TT1", start="2026-03-04 10:00",
                                         end="2026-03-04T11:00Z"), ParameterError,
         r"start='2026-03-04 10:00': the time has no time zone; expected a tz-aware time"),
        (lambda log, h: log.add_evidence(h, kind="signal", signal="TT1", start="2026-03-04T11:00Z",
                                         end="2026-03-04T10:00Z"), ParameterError,
         r"end='2026-03-04T10:00:00Z' is before start='2026-03-04T11:00:00Z'; expected start <= end"),
        (lambda log, h: log.add_evidence(h, kind="signal", signal="TT1", start="yesterday",
                                         end="2026-03-04T10:00Z"), ParameterError,
         r"start='yesterday': cannot be read as a time"),
        (lambda log, h: log.add_evidence(h, kind="signal", signal="TT1"), ParameterError,
         r"start=None, end=None: kind='signal' needs signal=, start=, end="),
        (lambda log, h: log.add_evidence(h, kind="note", note="x", chart="<svg/>"), ParameterError,
         r"chart= given with kind='note', which does not use it; expected only note= for this kind"),
        (lambda log, h: log.add_evidence(h, kind="note"), ParameterError,
         r"note='': expected non-empty text"),
        (lambda log, h: log.add_evidence(h, kind="candidate", candidate={"name": "TT1"}),
         ParameterError, r"candidate: missing 'type', 'score'; expected a row with 'name', 'type', "
         r"'score' \(found 'name'\)"),
        (lambda log, h: log.add_evidence(h, kind="candidate", candidate=_candidate_row()),
         ParameterError, r"candidate: a DataFrame with 2 rows; expected exactly one row"),
        (lambda log, h: log.add_evidence(h, kind="candidate",
                                         candidate={"name": "TT1", "type": "signal", "score": "high"}),
         ParameterError, r"candidate\['score'\]='high': expected a number"),
        (lambda log, h: log.add_evidence(h, kind="candidate", candidate={
            "name": "TT1", "type": "signal", "score": 1.0,
            "onset": pd.Timestamp("2026-03-04 10:00")}), ParameterError,
         r"candidate\['onset'\]=Timestamp\('2026-03-04 10:00:00'\): the time has no time zone"),
        (lambda log, h: log.add_evidence(h, kind="candidate", candidate={
            "name": "TT1", "type": "signal", "score": 1.0, "model": object()}), ParameterError,
         r"candidate\['model'\]=<object object at .*>: a object cannot be stored"),
        (lambda log, h: log.add_evidence(h, kind="event", event={"time": "2026-03-04T10:00Z"}),
         ParameterError, r"event: missing 'source', 'kind', 'message'"),
        (lambda log, h: log.add_evidence(h, kind="chart", chart="not a chart"), ParameterError,
         r"chart='not a chart'...: text that is neither SVG \('<svg ...'\) nor a Vega-Lite JSON "
         r"object"),
        (lambda log, h: log.add_evidence(h, kind="chart", chart=42), ParameterError,
         r"chart: a int; expected an altair chart, a Vega-Lite spec \(dict or JSON text\) or SVG "
         r"text"),
        (lambda log, h: log.add_evidence(h, kind="chart", chart=SimpleNamespace(to_dict=lambda: 1 / 0)),
         ParameterError, r"chart: SimpleNamespace.to_dict\(\) failed \(ZeroDivisionError: division "
         r"by zero\); expected a chart that altair can serialise"),
        (lambda log, h: log.retract(h, reason=""), ParameterError,
         r"reason='': expected non-empty text"),
        (lambda log, h: log.hypotheses(include_retracted="yes"), ParameterError,
         r"include_retracted='yes': expected True or False"),
    ],
)
def test_invalid_arguments_raise_parameter_errors_naming_them(log, call, error, message):
    h = log.add_hypothesis("Valve stuck")
    before = len(log.history())
    with pytest.raises(error, match=message):
        call(log, h)
    # a refused call writes nothing (the lambdas that create an action first wrote one)
    assert len(log.history()) - before in (0, 1)
    assert log.hypotheses()["status"].tolist() == ["open"]


def test_missing_author_or_team_defaults(tmp_path):
    with HypothesisLog.open(tmp_path / "x.sqlite") as anonymous:
        with pytest.raises(ParameterError, match=r"author=None: no author given and the log was "
                                                 r"opened without a default author"):
            anonymous.add_hypothesis("Valve stuck", team="OT")
        with pytest.raises(ParameterError, match=r"team=None: no team given and the log was opened "
                                                 r"without a default team; expected a team such "
                                                 r"as 'OT', 'IT', 'quality', 'maintenance'"):
            anonymous.add_hypothesis("Valve stuck", author="Ana")
        anonymous.add_hypothesis("Valve stuck", author="Ana", team="OT")
        assert anonymous.hypotheses()["proposed_by"].tolist() == ["Ana"]


def test_open_refuses_bad_paths_and_foreign_files(tmp_path):
    with pytest.raises(ParameterError, match=r"the folder '.*missing' does not exist"):
        HypothesisLog.open(tmp_path / "missing" / "x.sqlite")
    with pytest.raises(ParameterError, match=r"is a folder; expected a file path"):
        HypothesisLog.open(tmp_path)
    with pytest.raises(ParameterError, match=r"timeout=0: expected a positive number of seconds"):
        HypothesisLog.open(tmp_path / "x.sqlite", timeout=0)
    text_file = tmp_path / "notes.txt"
    text_file.write_text("this is not a database, just some text " * 100)
    with pytest.raises(SourceError, match=r"notes.txt': not a SQLite database"):
        HypothesisLog.open(text_file)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as raw:
        raw.execute("CREATE TABLE readings (t, v)")
    raw.close()
    with pytest.raises(SourceError, match=r"a SQLite database with tables \['readings'\] but no "
                                          r"'meta' table"):
        HypothesisLog.open(other)
    newer = tmp_path / "newer.sqlite"
    HypothesisLog.open(newer).close()
    with sqlite3.connect(newer) as raw:
        raw.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    raw.close()
    with pytest.raises(SourceError, match=r"schema_version is 99; this rca reads up to 1"):
        HypothesisLog.open(newer)


def test_open_beside_the_manifest(tmp_path):
    manifest = tmp_path / "line3.toml"
    with pytest.raises(ManifestError, match=r"line3.toml': no such file; expected the "
                                            r"investigation manifest"):
        open_hypothesis_log(manifest)
    manifest.write_text('title = "Line 3"\n')
    with open_hypothesis_log(manifest, author="Ana", team="OT") as log:
        assert log.path == tmp_path / "line3.hypotheses.sqlite"
        log.add_hypothesis("Valve stuck")

    class ManifestLike:  # what rca.read_manifest returns carries the file as .path
        path = manifest

    with open_hypothesis_log(ManifestLike()) as again:
        assert again.hypotheses()["statement"].tolist() == ["Valve stuck"]
    assert hypothesis_log_path(ManifestLike()) == tmp_path / "line3.hypotheses.sqlite"
    with pytest.raises(ParameterError, match=r"manifest=3: expected the path of the "
                                             r"investigation manifest"):
        hypothesis_log_path(3)


# --------------------------------------------------------------------------- JSON export / import


def _populate(log):
    import altair as alt

    h = log.add_hypothesis(TRICKY_TEXT, category="network")
    log.set_status(h, "supported", reason="ping loss 30 %", author="Ben")
    log.add_evidence(h, kind="candidate", candidate=_candidate_row().iloc[0])
    log.add_evidence(h, kind="chart", chart=alt.Chart(pd.DataFrame({"x": [1]})).mark_point()
                     .encode(x="x"))
    log.add_evidence(h, kind="event", event={"time": "2026-03-04T10:00+01:00", "source": "sw-1",
                                             "kind": "link", "message": "down"})
    w = log.add_why(h, "Switch rebooted")
    log.retract(w, reason="wrong chain")
    log.add_decision("Replace switch", hypothesis_id=h)
    a = log.add_action("Order switch", owner="Jo", due="2026-03-11")
    log.update_action(a, status="done")
    return h


def _views(log):
    return {
        "hypotheses": log.hypotheses(include_retracted=True),
        "evidence": log.evidence(include_retracted=True),
        "whys": log.whys(include_retracted=True),
        "decisions": log.decisions(include_retracted=True),
        "actions": log.actions(include_retracted=True),
        "history": log.history().drop(columns=["seq"]),
    }


def _assert_same_views(left, right):
    a, b = _views(left), _views(right)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


def test_json_round_trip_reproduces_every_view(tmp_path, log):
    _populate(log)
    exported = log.export_json(tmp_path / "export.json")
    document = json.loads(exported.read_text(encoding="utf-8"))
    assert (document["format"], document["version"]) == (JSON_FORMAT, JSON_VERSION)
    raw_text = exported.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" in raw_text and "☃ 温度 مرحبا 👩‍🔧" in raw_text
    with HypothesisLog.open(tmp_path / "copy.sqlite") as copy:
        result = copy.import_json(exported)
        assert result == ImportResult(source=str(exported), added=len(document["records"]),
                                      already_present=0)
        _assert_same_views(log, copy)
        assert copy.hypotheses().loc[0, "statement"] == TRICKY_TEXT
        again = copy.import_json(exported)
        assert (again.added, again.already_present) == (0, len(document["records"]))
        assert len(copy.history()) == len(document["records"])
        # the copy's own export is the same document, record for record
        assert copy.to_dict()["records"] == document["records"]


def test_merging_two_team_logs_either_way_gives_the_same_state(tmp_path):
    shared = tmp_path / "base.sqlite"
    with HypothesisLog.open(shared, author="Ana", team="OT") as base:
        h = base.add_hypothesis("Valve stuck")
        base.export_json(tmp_path / "base.json")
    ot = HypothesisLog.open(tmp_path / "ot.sqlite", author="Ana", team="OT")
    it = HypothesisLog.open(tmp_path / "it.sqlite", author="Ben", team="IT")
    ot.import_json(tmp_path / "base.json")
    it.import_json(tmp_path / "base.json")
    ot.set_status(h, "supported", reason="flat position")
    it.add_hypothesis("Firewall change")
    it.set_status(h, "refuted", reason="valve moved at 09:30")  # later than OT's write
    ot.add_evidence(h, kind="note", note="OT note")
    ot_doc, it_doc = ot.to_dict(), it.to_dict()
    assert ot.import_json(it_doc).added == 2
    assert it.import_json(ot_doc).added == 2
    _assert_same_views(ot, it)
    merged = ot.hypotheses().set_index("statement")
    assert merged.loc["Valve stuck", "status"] == "refuted"
    assert merged.loc["Valve stuck", "status_by"] == "Ben"
    assert sorted(ot.history()["origin"].unique()) == sorted(
        {json.load(open(tmp_path / "base.json"))["log_id"], ot.log_id, it.log_id})
    ot.close()
    it.close()


def test_local_writes_after_an_import_sort_after_it_even_with_a_future_clock(tmp_path, log):
    h = log.add_hypothesis("Valve stuck")
    document = log.to_dict()
    future = {
        "entry_id": str(uuid.uuid4()), "clock": document["records"][0]["clock"] + 3_600_000_000,
        "recorded_at": "2099-01-01T00:00:00.000000Z", "author": "Skewed clock",
        "entity": "hypothesis", "entity_id": h, "op": "update",
        "payload": {"status": "confirmed", "status_reason": ""}, "origin": str(uuid.uuid4()),
    }
    document["records"].append(future)
    assert log.import_json(document).added == 1
    assert log.hypotheses().loc[0, "status"] == "confirmed"
    log.set_status(h, "refuted", reason="seen the confirmation, disagree")
    assert log.hypotheses().loc[0, "status"] == "refuted"
    assert log.history()["clock"].is_monotonic_increasing
    assert log.history()["clock"].iloc[-1] > future["clock"]


def test_import_of_older_records_refolds_the_cached_view(tmp_path, log):
    older = HypothesisLog.open(tmp_path / "older.sqlite", author="Ben", team="IT")
    h = older.add_hypothesis("Firewall change")
    older.set_status(h, "supported")
    log.add_hypothesis("Valve stuck")
    assert len(log.hypotheses()) == 1  # fills the cache
    log.import_json(older.to_dict())
    view = log.hypotheses()
    assert view["statement"].tolist() == ["Firewall change", "Valve stuck"]
    assert view.loc[0, "status"] == "supported"
    older.close()


def _document(log):
    log.add_hypothesis("Valve stuck")
    return log.to_dict()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(format="something-else"),
         r"'format' is 'something-else'; expected 'rca.hypothesis-log'"),
        (lambda d: d.update(version=2),
         r"'version' is 2; this rca reads up to version 1. Upgrade rca to import it."),
        (lambda d: d.update(version="1"), r"'version' is '1'; expected an integer from 1 to 1"),
        (lambda d: d.update(records={}), r"'records' is dict; expected a list"),
        (lambda d: d["records"][0].pop("author"),
         r"records\[0\]: keys .*; expected exactly .* \(missing \['author'\]\)"),
        (lambda d: d["records"][0]["payload"].update(status="maybe"),
         r"records\[0\]: payload\['status'\]='maybe' is not a hypothesis status"),
        (lambda d: d["records"][0]["payload"].update(colour="red"),
         r"records\[0\]: payload keys .*: a hypothesis 'create' record needs exactly"),
        (lambda d: d["records"][0].update(entity="rumour"),
         r"records\[0\]: entity='rumour' is not an entity; expected one of 'hypothesis'"),
        (lambda d: d["records"][0].update(clock=-5), r"clock=-5: expected a non-negative integer"),
        (lambda d: d["records"][0].update(entry_id="not-a-uuid"),
         r"entry_id='not-a-uuid': expected a UUID"),
        (lambda d: d["records"][0].update(recorded_at="2026-03-04 10:00"),
         r"records\[0\]: recorded_at='2026-03-04 10:00': the time has no time zone"),
        (lambda d: d["records"].append({**d["records"][0], "entry_id": str(uuid.uuid4()),
                                        "op": "update", "entity_id": str(uuid.uuid4()),
                                        "payload": {"status": "refuted"}}),
         r"records\[1\] \(entry_id .*\): updates hypothesis .*, which is created neither in this "
         r"log nor in the import"),
        (lambda d: d["records"].append({**d["records"][0], "entry_id": str(uuid.uuid4()),
                                        "entity": "why", "entity_id": str(uuid.uuid4()),
                                        "payload": {"hypothesis_id": str(uuid.uuid4()),
                                                    "text": "x"}}),
         r"records\[1\] \(entry_id .*\): hypothesis_id '.*' is not a hypothesis in this log or "
         r"the import"),
        (lambda d: d["records"].append({**d["records"][0], "entry_id": str(uuid.uuid4()),
                                        "entity": "action", "entity_id": str(uuid.uuid4()),
                                        "payload": {"hypothesis_id": None, "text": "x",
                                                    "owner": "Jo", "due": "2026-3-1",
                                                    "status": "open"}}),
         r"records\[1\]: payload\['due'\]='2026-3-1': expected a calendar date"),
    ],
)
def test_invalid_import_documents_are_refused_whole(tmp_path, log, mutate, message):
    document = _document(log)
    mutate(document)
    with HypothesisLog.open(tmp_path / "target.sqlite", author="Ben", team="IT") as target:
        target.add_hypothesis("Already here")
        with pytest.raises(SourceError, match=r"hypothesis log export '<dict>'.*" + message):
            target.import_json(document)
        assert len(target.history()) == 1


def test_import_refuses_a_changed_record_with_a_known_entry_id(tmp_path, log):
    document = _document(log)
    path = tmp_path / "edited.json"
    document["records"][0]["payload"]["statement"] = "Valve stuck (edited by hand)"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(SourceError, match=r"edited.json', records\[0\] \(entry_id .*\): this log "
                                          r"already has a different record with this entry_id"):
        log.import_json(path)
    assert log.hypotheses()["statement"].tolist() == ["Valve stuck"]


def test_import_file_errors(tmp_path, log):
    with pytest.raises(SourceError, match=r"missing.json': no such file"):
        log.import_json(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(SourceError, match=r"broken.json': not UTF-8 JSON"):
        log.import_json(broken)
    with pytest.raises(ParameterError, match=r"source=42: expected a JSON file path or a dict"):
        log.import_json(42)


# --------------------------------------------------------------------------- property: the fold


_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 2), st.text(min_size=1).filter(str.strip)),
        st.tuples(st.just("status"), st.integers(0, 2), st.integers(0, 99),
                  st.sampled_from(HYPOTHESIS_STATUSES)),
        st.tuples(st.just("category"), st.integers(0, 2), st.integers(0, 99),
                  st.one_of(st.none(), st.sampled_from(sorted(ISHIKAWA_CATEGORIES)))),
        st.tuples(st.just("edit"), st.integers(0, 2), st.integers(0, 99),
                  st.text(min_size=1).filter(str.strip)),
    ),
    min_size=1,
    max_size=25,
)


def _apply(logs, ops, ids, model):
    """Run ``ops`` through the writers ``logs``; keep the expected last write per field."""
    for op in ops:
        name, writer = op[0], op[1]
        author = f"writer-{writer}"
        log = logs[writer % len(logs)]
        if name == "add" or not ids:
            statement = op[2] if name == "add" else "first"
            h = log.add_hypothesis(statement, team="OT", author=author)
            ids.append(h)
            model[h] = {"statement": statement, "status": "open", "category": None,
                        "status_by": author, "updated_by": author}
            continue
        h = ids[op[2] % len(ids)]
        if name == "status":
            log.set_status(h, op[3], author=author)
            model[h].update(status=op[3], status_by=author)
        elif name == "category":
            log.set_category(h, op[3], author=author)
            model[h]["category"] = op[3]
        else:
            log.edit_hypothesis(h, statement=op[3], author=author)
            model[h]["statement"] = op[3]
        model[h]["updated_by"] = author


def _view_as_model(log):
    view = log.hypotheses().set_index("hypothesis_id")
    return {
        h: {k: row[k] for k in ("statement", "status", "category", "status_by", "updated_by")}
        for h, row in view.iterrows()
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=_OPS)
def test_fold_of_interleaved_writers_equals_last_write_per_field(ops):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.sqlite"
        logs = [HypothesisLog.open(path) for _ in range(3)]
        try:
            ids, model = [], {}
            _apply(logs, ops, ids, model)
            for log in logs:  # every writer sees the same state
                assert _view_as_model(log) == model
            assert len(logs[0].history()) == len(ops)
        finally:
            for log in logs:
                log.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops_a=_OPS, ops_b=_OPS)
def test_merged_copies_agree_and_equal_the_last_write_per_field(ops_a, ops_b):
    with tempfile.TemporaryDirectory() as folder:
        with HypothesisLog.open(Path(folder) / "a.sqlite") as a, \
                HypothesisLog.open(Path(folder) / "b.sqlite") as b:
            shared = a.add_hypothesis("shared", team="OT", author="base")
            b.import_json(a.to_dict())
            ids_a, ids_b = [shared], [shared]
            # the two copies are written alternately, as two teams would
            for i in range(max(len(ops_a), len(ops_b))):
                if i < len(ops_a):
                    _apply([a], [ops_a[i]], ids_a, {h: {} for h in ids_a})
                if i < len(ops_b):
                    _apply([b], [ops_b[i]], ids_b, {h: {} for h in ids_b})
            a.import_json(b.to_dict())
            b.import_json(a.to_dict())
            _assert_same_views(a, b)
            # expected: per (entity, field), the value of the latest record writing it
            latest = {}
            for record in sorted(a.to_dict()["records"], key=lambda r: (r["clock"], r["entry_id"])):
                for key, value in record["payload"].items():
                    latest[(record["entity_id"], key)] = value
            view = a.hypotheses().set_index("hypothesis_id")
            for h, row in view.iterrows():
                for key in ("statement", "status", "category", "team"):
                    assert row[key] == latest[(h, key)]


# --------------------------------------------------------------------------- concurrency


N_PROCESSES = 8
WRITES_PER_PROCESS = 200


def _concurrent_writer(path: str, worker: int, shared_id: str, barrier) -> None:
    """One of the concurrent processes: 200 writes of four kinds, half on a shared hypothesis."""
    log = HypothesisLog.open(path, author=f"writer-{worker}", team="OT")
    barrier.wait()
    own = None
    for i in range(WRITES_PER_PROCESS):
        tag = f"w{worker}#{i}"
        kind = i % 4
        if kind == 0:
            own = log.add_hypothesis(tag)
        elif kind == 1:
            log.set_status(shared_id, HYPOTHESIS_STATUSES[(worker + i) % 4], reason=tag)
        elif kind == 2:
            log.add_evidence(own, kind="note", note=tag)
        else:
            log.add_why(shared_id, tag)
    log.close()


def _tag(payload):
    for key in ("statement", "status_reason", "note", "text"):
        if key in payload and payload[key].startswith("w") and "#" in payload[key]:
            return payload[key]
    return None


def test_concurrent_processes_lose_nothing(tmp_path):
    path = tmp_path / "shared.hypotheses.sqlite"
    with HypothesisLog.open(path, author="lead", team="OT") as lead:
        shared = lead.add_hypothesis("Shared hypothesis everyone updates")
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(N_PROCESSES)
    workers = [
        context.Process(target=_concurrent_writer, args=(str(path), w, shared, barrier))
        for w in range(N_PROCESSES)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join()
    assert [p.exitcode for p in workers] == [0] * N_PROCESSES

    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        seqs = [s for (s,) in raw.execute("SELECT seq FROM records ORDER BY seq")]
    raw.close()
    total = 1 + N_PROCESSES * WRITES_PER_PROCESS
    assert seqs == list(range(1, total + 1))

    with HypothesisLog.open(path) as log:
        history = log.history()
        assert len(history) == total
        assert history["entry_id"].is_unique
        assert history["clock"].is_unique and history["clock"].is_monotonic_increasing
        tags = [_tag(p) for p in history["payload"]]
        expected = {f"w{w}#{i}" for w in range(N_PROCESSES) for i in range(WRITES_PER_PROCESS)}
        assert set(tags) - {None} == expected
        # each writer's records are in the order it wrote them, under its own name
        for w in range(N_PROCESSES):
            mine = [t for t in tags if t and t.startswith(f"w{w}#")]
            assert mine == [f"w{w}#{i}" for i in range(WRITES_PER_PROCESS)]
            assert set(history.loc[[t is not None and t.startswith(f"w{w}#") for t in tags],
                                   "author"]) == {f"writer-{w}"}
        # the views: every entry present; the shared status is the latest status write
        assert len(log.hypotheses()) == 1 + N_PROCESSES * WRITES_PER_PROCESS // 4
        assert len(log.evidence()) == N_PROCESSES * WRITES_PER_PROCESS // 4
        assert len(log.whys(shared)) == N_PROCESSES * WRITES_PER_PROCESS // 4
        assert log.whys(shared)["step"].tolist() == list(range(1, 401))
        status_writes = history[[p.get("status_reason", "").startswith("w") for p in history["payload"]]]
        assert len(status_writes) == N_PROCESSES * WRITES_PER_PROCESS // 4
        last = status_writes.iloc[-1]
        current = log.hypotheses().set_index("hypothesis_id").loc[shared]
        assert (current["status"], current["status_reason"], current["status_by"]) == (
            last["payload"]["status"], last["payload"]["status_reason"], last["author"])


# --------------------------------------------------------------------------- crash safety

_STALL_BEFORE_COMMIT = r"""
import sys, time
from rca.hypotheses import HypothesisLog

log = HypothesisLog.open(sys.argv[1], author="crash", team="OT")
h = log.add_hypothesis("committed before the crash")
print(h, flush=True)


class StallAtCommit:
    # forwards to the real connection, but never lets COMMIT through
    def __init__(self, conn):
        self._conn = conn

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def execute(self, sql, *args):
        if sql == "COMMIT":
            print("IN-TRANSACTION", flush=True)
            time.sleep(3600)
        return self._conn.execute(sql, *args)


log._store._conn.execute("PRAGMA cache_size=-64")  # 64 KiB: the big write spills into the WAL
log._store._conn = StallAtCommit(log._store._conn)
log.add_evidence(h, kind="note", note="UNCOMMITTED " + "x" * 2_000_000)
"""

_WRITE_FOREVER = r"""
import sys
from rca.hypotheses import HypothesisLog

log = HypothesisLog.open(sys.argv[1], author="crash", team="OT")
h = log.hypotheses()["hypothesis_id"].iloc[0]
i = 0
while True:
    why = log.add_why(h, f"step {sys.argv[2]}.{i} " + "y" * (i % 7) * 500)
    print(why, flush=True)
    i += 1
"""


def _integrity(path):
    with sqlite3.connect(path) as raw:
        result = raw.execute("PRAGMA integrity_check").fetchall()
    raw.close()
    return result


def test_writer_killed_mid_transaction_leaves_a_readable_log(tmp_path):
    path = tmp_path / "crash.hypotheses.sqlite"
    child = subprocess.Popen(
        [sys.executable, "-c", _STALL_BEFORE_COMMIT, str(path)], stdout=subprocess.PIPE, text=True
    )
    committed = child.stdout.readline().strip()
    assert child.stdout.readline().strip() == "IN-TRANSACTION"
    # the uncommitted 2 MB spilled into the WAL: the reader must ignore those frames
    assert Path(str(path) + "-wal").stat().st_size > 1_000_000
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    assert _integrity(path) == [("ok",)]
    with HypothesisLog.open(path, author="survivor") as log:
        assert log.hypotheses()["hypothesis_id"].tolist() == [committed]
        assert len(log.evidence()) == 0
        assert len(log.history()) == 1
        log.add_evidence(committed, kind="note", note="written after the crash")
        assert log.evidence()["note"].tolist() == ["written after the crash"]
    assert _integrity(path) == [("ok",)]


def test_writer_killed_at_random_points_in_a_write_loop(tmp_path):
    path = tmp_path / "loop.hypotheses.sqlite"
    with HypothesisLog.open(path, author="lead", team="OT") as lead:
        lead.add_hypothesis("Killed writers")
    rng = random.Random(20260304)
    reported: list[str] = []
    for round_ in range(6):
        child = subprocess.Popen(
            [sys.executable, "-c", _WRITE_FOREVER, str(path), str(round_)],
            stdout=subprocess.PIPE, text=True,
        )
        for _ in range(rng.randint(1, 120)):
            line = child.stdout.readline()
            assert line, "the writer died before it was killed"
            reported.append(line.strip())
        time.sleep(rng.uniform(0.0, 0.02))  # land anywhere in the next transaction
        child.send_signal(signal.SIGKILL)
        child.wait()
        reported += [line.strip() for line in child.stdout.read().splitlines() if line.strip()]
        child.stdout.close()

        assert _integrity(path) == [("ok",)]
        with HypothesisLog.open(path) as log:
            stored = log.whys()["why_id"].tolist()
            assert len(log.history()) == 1 + len(stored)
        # everything the writer saw committed is there; at most the one write it was
        # killed before reporting is there too
        assert set(reported) <= set(stored)
        assert len(set(stored) - set(reported)) <= round_ + 1
    assert len(reported) >= 6
