"""Headless tests of rca.hypothesis_board: set widget values, click, check the log and the display."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from rca.errors import ParameterError
from rca.hypotheses import HypothesisLog
from rca.hypothesis_board import HypothesisBoard


@pytest.fixture
def log(tmp_path):
    with HypothesisLog.open(tmp_path / "line3.hypotheses.sqlite") as opened:
        yield opened


@pytest.fixture
def board(log):
    return HypothesisBoard(log, author="Ana (OT)", team="OT")


def _add(board, statement, team="OT", category="(none)"):
    board.statement.value = statement
    board.team.value = team
    board.category.value = category
    board.add_button.click()


def _all_classes(widget):
    found = set(getattr(widget, "_dom_classes", ()))
    for child in getattr(widget, "children", ()):
        found |= _all_classes(child)
    return found


def test_empty_board_renders_and_carries_stable_css_classes(board):
    assert "rca-board" in board.widget._dom_classes
    classes = _all_classes(board.widget)
    for part in ("list", "select", "detail", "author", "statement", "team", "category", "add",
                 "status", "reason", "set-status", "set-category", "note", "stance", "add-note",
                 "why", "add-why", "decision", "add-decision", "action", "action-owner",
                 "action-due", "add-action", "refresh", "message"):
        assert f"rca-board-{part}" in classes, part
    assert "No hypotheses yet" in board.list.value
    assert board.select.options == () and board.selected_hypothesis is None
    assert board.author.value == "Ana (OT)" and board.team.value == "OT"
    bundle = board._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_add_button_writes_the_log_and_updates_the_list(board, log):
    _add(board, "Cooling valve TV-101 stuck", category="machine")
    view = log.hypotheses()
    assert view["statement"].tolist() == ["Cooling valve TV-101 stuck"]
    assert (view.loc[0, "team"], view.loc[0, "category"], view.loc[0, "proposed_by"]) == (
        "OT", "machine", "Ana (OT)")
    assert "Cooling valve TV-101 stuck" in board.list.value
    assert "rca-board-status-open" in board.list.value
    assert board.selected_hypothesis == view.loc[0, "hypothesis_id"]
    assert board.statement.value == ""  # the form is cleared for the next one
    assert "added hypothesis" in board.message.value
    _add(board, "Firewall change dropped OPC UA", team="IT")
    assert len(log.hypotheses()) == 2
    assert board.select.options[-1][1] == board.selected_hypothesis
    assert board.list.value.count('class="rca-board-row') == 2
    assert re.search(r'rca-board-selected" data-hypothesis-id="' + board.selected_hypothesis,
                     board.list.value)


def test_participant_text_is_escaped_on_the_board_and_verbatim_in_the_log(board, log):
    statement = "<script>alert(1)</script> ☃ 温度 & <b>bold</b>"
    _add(board, statement)
    board.note.value = "<img src=x onerror=alert(2)>"
    board.note_button.click()
    assert log.hypotheses().loc[0, "statement"] == statement
    assert log.evidence().loc[0, "note"] == "<img src=x onerror=alert(2)>"
    for shown in (board.list.value, board.detail.value):
        assert "<script>" not in shown and "<img" not in shown and "<b>bold" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt; ☃ 温度 &amp; &lt;b&gt;bold&lt;/b&gt;" in board.list.value
    assert "&lt;img src=x onerror=alert(2)&gt;" in board.detail.value


def test_invalid_input_shows_an_error_and_writes_nothing(board, log):
    _add(board, "   ")
    assert len(log.history()) == 0
    assert "rca-board-error" in board.message._dom_classes
    assert "statement=&#x27;   &#x27;: expected non-empty text" in board.message.value
    _add(board, "Valve stuck")
    assert "rca-board-error" not in board.message._dom_classes
    board.action.value = "Replace positioner"
    board.action_owner.value = "Jo"
    board.action_button.click()
    assert "due=None: no due date picked" in board.message.value
    assert len(log.actions()) == 0


def test_status_and_category_buttons(board, log):
    _add(board, "Valve stuck")
    _add(board, "Sensor drift")
    first = log.hypotheses().loc[0, "hypothesis_id"]
    board.select.value = first
    board.status.value = "supported"
    board.reason.value = "position flat since 09:12"
    board.author.value = "Ben (maintenance)"
    board.status_button.click()
    board.set_category_value.value = "machine"
    board.category_button.click()
    row = log.hypotheses().set_index("hypothesis_id").loc[first]
    assert (row["status"], row["status_reason"], row["status_by"], row["category"]) == (
        "supported", "position flat since 09:12", "Ben (maintenance)", "machine")
    assert "rca-board-status-supported" in board.list.value
    assert board.reason.value == ""
    # selecting the other hypothesis shows its own status in the dropdowns
    board.select.value = log.hypotheses().loc[1, "hypothesis_id"]
    assert (board.status.value, board.set_category_value.value) == ("open", "(none)")
    board.select.value = first
    assert (board.status.value, board.set_category_value.value) == ("supported", "machine")


def test_note_why_decision_and_action_buttons(board, log):
    _add(board, "Scrap from cold moulds")
    h = board.selected_hypothesis
    board.note.value = "mould TT-205 at 180 degC"
    board.stance.value = "contradicts"
    board.note_button.click()
    for answer in ("Mould temperature fell", "Cooling valve stuck open"):
        board.why.value = answer
        board.why_button.click()
    board.decision.value = "Run on manual cooling"
    board.decision_button.click()
    board.action.value = "Replace positioner"
    board.action_owner.value = "Jo"
    board.action_due.value = dt.date(2026, 3, 10)
    board.action_button.click()
    evidence = log.evidence(h)
    assert (evidence.loc[0, "kind"], evidence.loc[0, "stance"], evidence.loc[0, "note"]) == (
        "note", "contradicts", "mould TT-205 at 180 degC")
    assert log.whys(h)["text"].tolist() == ["Mould temperature fell", "Cooling valve stuck open"]
    assert log.decisions()[["hypothesis_id", "text"]].values.tolist() == [[h, "Run on manual cooling"]]
    action = log.actions().iloc[0]
    assert (action["owner"], action["due"], action["hypothesis_id"]) == ("Jo", dt.date(2026, 3, 10), h)
    assert "Cooling valve stuck open" in board.detail.value
    assert "rca-board-stance-contradicts" in board.detail.value
    assert "+0 / &minus;1" in board.list.value


def test_attach_what_you_are_looking_at(board, log):
    import altair as alt

    _add(board, "TIC101 loop failed")
    candidates = pd.DataFrame({
        "rank": [1], "name": ["PK5.TIC101"], "type": ["signal"], "domain": ["OT"],
        "score": [0.82], "onset": pd.to_datetime(["2026-03-04T09:12Z"], utc=True),
        "evidence": ["mean step"],
    })
    chart = alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_line().encode(x="x", y="x").properties(
        title="TIC101")
    e1 = board.attach_candidate(candidates.iloc[0])
    e2 = board.attach_chart(chart, note="the step at 09:12")
    e3 = board.attach_event({"time": "2026-03-04T09:58Z", "source": "fw-core-02",
                             "kind": "change", "message": "rule 12"}, stance="context")
    e4 = board.attach_signal("PK5.TIC101.PV", "2026-03-04T09:00Z", "2026-03-04T09:30Z")
    evidence = log.evidence().set_index("evidence_id")
    assert evidence.loc[[e1, e2, e3, e4], "kind"].tolist() == ["candidate", "chart", "event", "signal"]
    assert evidence.loc[e1, "detail"]["onset"] == "2026-03-04T09:12:00Z"
    assert evidence.loc[e2, "detail"]["spec"]["title"] == "TIC101"
    assert evidence.loc[e2, "detail"]["spec"]["mark"] == chart.to_dict()["mark"]
    assert (evidence["author"] == "Ana (OT)").all()
    assert "candidate #1 PK5.TIC101" in board.detail.value
    assert "chart (vega-lite): TIC101" in board.detail.value
    assert "signal attached to" in board.message.value


def test_attach_needs_a_selected_hypothesis(board, log):
    with pytest.raises(ParameterError, match=r"hypothesis_id=None: no hypothesis is selected on "
                                             r"the board"):
        board.attach_chart({"mark": "bar"})
    assert len(log.history()) == 0
    other = log.add_hypothesis("Added in a cell", author="Ben", team="IT")
    board.attach_chart({"mark": "bar"}, hypothesis_id=other[:8])
    assert log.evidence()["hypothesis_id"].tolist() == [other]


def test_refresh_shows_other_notebooks_writes_and_keeps_the_selection(board, log, tmp_path):
    _add(board, "Valve stuck")
    mine = board.selected_hypothesis
    with HypothesisLog.open(log.path, author="Ben", team="IT") as other_notebook:
        other_notebook.add_hypothesis("Firewall change")
        other_notebook.set_status(mine, "refuted", reason="valve moved")
    assert "Firewall change" not in board.list.value
    board.refresh_button.click()
    assert "Firewall change" in board.list.value
    assert board.selected_hypothesis == mine
    assert board.status.value == "refuted"
    board.select_hypothesis(log.hypotheses().loc[1, "hypothesis_id"][:6])
    assert board.selected_hypothesis == log.hypotheses().loc[1, "hypothesis_id"]


def test_board_needs_an_author_somewhere(log):
    board = HypothesisBoard(log)
    assert board.author.value == ""
    _add(board, "Valve stuck")
    assert "author=None: no author given" in board.message.value
    assert len(log.history()) == 0
    board.author.value = "Cleo"
    board.add_button.click()
    assert log.hypotheses()["proposed_by"].tolist() == ["Cleo"]


def test_board_refuses_something_that_is_not_a_log(tmp_path):
    with pytest.raises(ParameterError, match=r"log='x.sqlite': expected a HypothesisLog"):
        HypothesisBoard("x.sqlite")
