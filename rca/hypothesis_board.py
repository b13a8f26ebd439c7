"""A notebook board over the shared hypothesis log (ipywidgets).

The board is a thin shell: every button calls one :class:`rca.hypotheses.HypothesisLog`
method and re-renders; nothing is decided here that a notebook cell could not do
with the log directly. Text typed by participants is escaped before it is shown.

Stable CSS classes (for browser tests and styling): the board ``rca-board``; its
parts ``rca-board-<part>`` (``list``, ``select``, ``detail``, ``author``,
``statement``, ``team``, ``category``, ``add``, ``status``, ``reason``,
``set-status``, ``set-category-value``, ``set-category``, ``note``, ``stance``,
``add-note``, ``why``, ``add-why``, ``decision``, ``add-decision``, ``action``,
``action-owner``, ``action-due``, ``add-action``, ``refresh``, ``message``); in the
list, rows ``rca-board-row`` with ``rca-board-status-<status>`` and
``rca-board-selected``; error messages ``rca-board-error``.
"""

from __future__ import annotations

import html
from typing import Any, Callable

import ipywidgets as widgets

from rca.errors import ParameterError, RcaError
from rca.hypotheses import (
    EVIDENCE_STANCES,
    HYPOTHESIS_STATUSES,
    ISHIKAWA_CATEGORIES,
    SUGGESTED_TEAMS,
    HypothesisLog,
)

__all__ = ["HypothesisBoard"]

_NO_CATEGORY = "(none)"


def _classed(widget: widgets.DOMWidget, part: str) -> widgets.DOMWidget:
    widget.add_class(f"rca-board-{part}")
    return widget


def _esc(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


class HypothesisBoard:
    """The hypothesis board of a notebook: list, add, set status, attach evidence.

    Display it as the last expression of a cell. What you are looking at in other
    cells (a ranked candidate, a chart, an event, a signal range) is attached to the
    hypothesis selected on the board with :meth:`attach_candidate`,
    :meth:`attach_chart`, :meth:`attach_event` or :meth:`attach_signal`. Press
    *Refresh* to see what other notebooks wrote meanwhile.

    Parameters
    ----------
    log : HypothesisLog
        The log the board reads and writes.
    author : str, optional
        Pre-filled in the board's *You* field (default: the log's author). Every
        write from the board is recorded under the name in that field.
    team : str, optional
        Pre-filled team of new hypotheses (default: the log's team).

    Attributes
    ----------
    widget : ipywidgets.VBox
        The board itself (what is displayed).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from rca.hypotheses import HypothesisLog
    >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite")
    >>> board = HypothesisBoard(log, author="Ana", team="OT")
    >>> board.statement.value = "Cooling valve TV-101 stuck"
    >>> board.add_button.click()
    >>> log.hypotheses()["statement"].tolist()
    ['Cooling valve TV-101 stuck']
    >>> board.selected_hypothesis == log.hypotheses().loc[0, "hypothesis_id"]
    True
    """

    def __init__(
        self, log: HypothesisLog, *, author: str | None = None, team: str | None = None
    ) -> None:
        if not isinstance(log, HypothesisLog):
            raise ParameterError(
                f"log={log!r}: expected a HypothesisLog (rca.open_hypothesis_log(manifest))"
            )
        self.log = log
        self._syncing = False
        self._next_selection: str | None = None  # selected at the next refresh
        self._current_status: dict[str, tuple[str, str | None]] = {}

        self.author = _classed(
            widgets.Text(value=author or log.author or "", description="You",
                         placeholder="your name (role)"),
            "author",
        )
        self.refresh_button = _classed(widgets.Button(description="Refresh", icon="refresh"),
                                       "refresh")
        self.list = _classed(widgets.HTML(), "list")
        self.select = _classed(widgets.Dropdown(description="Hypothesis", options=[],
                                                layout=widgets.Layout(width="95%")), "select")
        self.detail = _classed(widgets.HTML(), "detail")
        self.message = _classed(widgets.HTML(), "message")

        # add a hypothesis
        self.statement = _classed(
            widgets.Textarea(description="Statement", placeholder="what might have caused it",
                             layout=widgets.Layout(width="95%")),
            "statement",
        )
        self.team = _classed(
            widgets.Combobox(description="Team", options=list(SUGGESTED_TEAMS),
                             value=team or log.team or "", ensure_option=False),
            "team",
        )
        category_options = [_NO_CATEGORY, *ISHIKAWA_CATEGORIES]
        self.category = _classed(
            widgets.Dropdown(description="Category", options=category_options), "category"
        )
        self.add_button = _classed(widgets.Button(description="Add hypothesis",
                                                  button_style="primary"), "add")

        # status and category of the selected hypothesis
        self.status = _classed(
            widgets.Dropdown(description="Status", options=list(HYPOTHESIS_STATUSES)), "status"
        )
        self.reason = _classed(
            widgets.Text(description="Reason", placeholder="why",
                         layout=widgets.Layout(width="60%")),
            "reason",
        )
        self.status_button = _classed(widgets.Button(description="Set status"), "set-status")
        self.set_category_value = _classed(
            widgets.Dropdown(description="Category", options=category_options),
            "set-category-value",
        )
        self.category_button = _classed(widgets.Button(description="Set category"),
                                        "set-category")

        # evidence note, 5 whys, decision, action
        self.note = _classed(
            widgets.Textarea(description="Note", layout=widgets.Layout(width="95%")), "note"
        )
        self.stance = _classed(
            widgets.Dropdown(description="Stance", options=list(EVIDENCE_STANCES)), "stance"
        )
        self.note_button = _classed(widgets.Button(description="Add note"), "add-note")
        self.why = _classed(
            widgets.Text(description="Why?", placeholder="the answer to the next 'why?'",
                         layout=widgets.Layout(width="80%")),
            "why",
        )
        self.why_button = _classed(widgets.Button(description="Add why"), "add-why")
        self.decision = _classed(
            widgets.Text(description="Decision", layout=widgets.Layout(width="80%")), "decision"
        )
        self.decision_button = _classed(widgets.Button(description="Add decision"),
                                        "add-decision")
        self.action = _classed(
            widgets.Text(description="Action", layout=widgets.Layout(width="80%")), "action"
        )
        self.action_owner = _classed(widgets.Text(description="Owner"), "action-owner")
        self.action_due = _classed(widgets.DatePicker(description="Due"), "action-due")
        self.action_button = _classed(widgets.Button(description="Add action"), "add-action")

        tabs = widgets.Tab(
            children=[
                widgets.VBox([self.statement, widgets.HBox([self.team, self.category]),
                              self.add_button]),
                widgets.VBox([widgets.HBox([self.status, self.reason, self.status_button]),
                              widgets.HBox([self.set_category_value, self.category_button])]),
                widgets.VBox([self.note, widgets.HBox([self.stance, self.note_button])]),
                widgets.VBox([widgets.HBox([self.why, self.why_button])]),
                widgets.VBox([widgets.HBox([self.decision, self.decision_button]),
                              self.action,
                              widgets.HBox([self.action_owner, self.action_due,
                                            self.action_button])]),
            ],
            titles=["Add hypothesis", "Status / category", "Note", "5 whys",
                    "Decision / action"],
        )
        self.widget = widgets.VBox([
            widgets.HBox([self.author, self.refresh_button]),
            self.list,
            self.select,
            self.detail,
            tabs,
            self.message,
        ])
        self.widget.add_class("rca-board")

        self.add_button.on_click(self._on(self._add))
        self.status_button.on_click(self._on(self._set_status))
        self.category_button.on_click(self._on(self._set_category))
        self.note_button.on_click(self._on(self._add_note))
        self.why_button.on_click(self._on(self._add_why))
        self.decision_button.on_click(self._on(self._add_decision))
        self.action_button.on_click(self._on(self._add_action))
        self.refresh_button.on_click(self._on(lambda: "refreshed"))
        self.select.observe(self._on_select, names="value")
        self.refresh()

    # -- display -------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    @property
    def selected_hypothesis(self) -> str | None:
        """Id of the hypothesis selected on the board (``None`` when the log is empty)."""
        return self.select.value

    def select_hypothesis(self, hypothesis_id: str) -> None:
        """Select a hypothesis on the board (its id or a unique prefix)."""
        self._next_selection = self.log._resolve("hypothesis", hypothesis_id, "hypothesis_id")
        self.refresh()

    def refresh(self) -> None:
        """Re-read the log and redraw the list, the selection and the details."""
        hypotheses = self.log.hypotheses()
        evidence = self.log.evidence()
        counts = evidence.groupby(["hypothesis_id", "stance"]).size().to_dict()
        self._current_status = {
            row.hypothesis_id: (row.status, row.category) for row in hypotheses.itertuples()
        }
        options = [
            (f"{row.statement[:70]} [{row.status}] ({row.hypothesis_id[:8]})", row.hypothesis_id)
            for row in hypotheses.itertuples()
        ]
        wanted, self._next_selection = self._next_selection or self.select.value, None
        self._syncing = True
        try:
            self.select.options = options
            ids = [value for _, value in options]
            if wanted in ids:
                self.select.value = wanted
            elif ids:
                self.select.value = ids[-1]
            else:
                self.select.value = None
        finally:
            self._syncing = False
        self._render_list(hypotheses, counts)
        self._sync_selected()

    def _render_list(self, hypotheses, counts) -> None:
        if hypotheses.empty:
            self.list.value = (
                '<div class="rca-board-empty">No hypotheses yet: add the first one below.</div>'
            )
            return
        rows = []
        for row in hypotheses.itertuples():
            classes = f"rca-board-row rca-board-status-{_esc(row.status)}"
            if row.hypothesis_id == self.select.value:
                classes += " rca-board-selected"
            support = counts.get((row.hypothesis_id, "supports"), 0)
            against = counts.get((row.hypothesis_id, "contradicts"), 0)
            rows.append(
                f'<tr class="{classes}" data-hypothesis-id="{_esc(row.hypothesis_id)}">'
                f"<td><code>{_esc(row.hypothesis_id[:8])}</code></td>"
                f"<td>{_esc(row.statement)}</td><td>{_esc(row.team)}</td>"
                f"<td>{_esc(row.category or '')}</td>"
                f'<td class="rca-board-status">{_esc(row.status)}</td>'
                f"<td>+{support} / &minus;{against}</td><td>{_esc(row.proposed_by)}</td></tr>"
            )
        self.list.value = (
            '<table class="rca-board-table"><thead><tr><th>id</th><th>hypothesis</th>'
            "<th>team</th><th>category</th><th>status</th><th>evidence +/&minus;</th>"
            "<th>proposed by</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        )

    def _render_detail(self) -> None:
        selected = self.select.value
        if selected is None:
            self.detail.value = ""
            return
        evidence = self.log.evidence(selected)
        whys = self.log.whys(selected)
        items = "".join(
            f'<li class="rca-board-evidence rca-board-stance-{_esc(e.stance)}">'
            f"<b>{_esc(e.stance)}</b>: {_esc(e.summary)}"
            + (f" &mdash; {_esc(e.note)}" if e.note and e.kind != "note" else "")
            + f" <i>({_esc(e.author)})</i></li>"
            for e in evidence.itertuples()
        )
        chain = "".join(
            f'<li class="rca-board-why">{_esc(w.text)} <i>({_esc(w.author)})</i></li>'
            for w in whys.itertuples()
        )
        self.detail.value = (
            f"<div><b>Evidence</b><ul>{items or '<li>none yet</li>'}</ul>"
            f"<b>5 whys</b><ol>{chain or '<li>none yet</li>'}</ol></div>"
        )

    def _sync_selected(self) -> None:
        """Show the selected hypothesis's details and put its status in the dropdowns."""
        current = self._current_status.get(self.select.value)
        if current is not None:
            self.status.value = current[0]
            self.set_category_value.value = current[1] or _NO_CATEGORY
        self._render_detail()

    def _on_select(self, change) -> None:
        if self._syncing:
            return
        self.refresh()

    # -- callbacks: one log call each, then refresh --------------------------

    def _on(self, action: Callable[[], str]) -> Callable[[Any], None]:
        """A click handler: run ``action``, refresh, and say what happened."""

        def handler(_button) -> None:
            try:
                done = action()
            except RcaError as error:
                self.message.value = f'<span class="rca-board-error">{_esc(error)}</span>'
                self.message.add_class("rca-board-error")
                return
            self.message.remove_class("rca-board-error")
            self.refresh()
            self.message.value = f'<span class="rca-board-ok">{_esc(done)}</span>'

        return handler

    def _who(self) -> str | None:
        return self.author.value or None

    def _target(self, hypothesis_id: str | None) -> str:
        if hypothesis_id is not None:
            return hypothesis_id
        if self.select.value is None:
            raise ParameterError(
                "hypothesis_id=None: no hypothesis is selected on the board; expected one "
                "selected in the dropdown, or hypothesis_id="
            )
        return self.select.value

    def _add(self) -> str:
        category = self.category.value
        new = self.log.add_hypothesis(
            self.statement.value,
            team=self.team.value or None,
            category=None if category == _NO_CATEGORY else category,
            author=self._who(),
        )
        self.statement.value = ""
        self._next_selection = new
        return f"added hypothesis {new[:8]}"

    def _set_status(self) -> str:
        target = self._target(None)
        self.log.set_status(target, self.status.value, reason=self.reason.value,
                            author=self._who())
        self.reason.value = ""
        return f"status of {target[:8]} set to {self.status.value}"

    def _set_category(self) -> str:
        target = self._target(None)
        value = self.set_category_value.value
        self.log.set_category(target, None if value == _NO_CATEGORY else value,
                              author=self._who())
        return f"category of {target[:8]} set to {value}"

    def _add_note(self) -> str:
        target = self._target(None)
        self.log.add_evidence(target, kind="note", note=self.note.value,
                              stance=self.stance.value, author=self._who())
        self.note.value = ""
        return f"note added to {target[:8]}"

    def _add_why(self) -> str:
        target = self._target(None)
        self.log.add_why(target, self.why.value, author=self._who())
        self.why.value = ""
        return f"why added to {target[:8]}"

    def _add_decision(self) -> str:
        self.log.add_decision(self.decision.value, hypothesis_id=self.select.value,
                              author=self._who())
        self.decision.value = ""
        return "decision recorded"

    def _add_action(self) -> str:
        if self.action_due.value is None:
            raise ParameterError("due=None: no due date picked; expected a date in 'Due'")
        self.log.add_action(self.action.value, owner=self.action_owner.value,
                            due=self.action_due.value, hypothesis_id=self.select.value,
                            author=self._who())
        self.action.value = ""
        return "action recorded"

    # -- attach what you are looking at ----------------------------------------

    def _attach(self, hypothesis_id: str | None, **evidence) -> str:
        target = self._target(hypothesis_id)
        evidence_id = self.log.add_evidence(target, author=self._who(), **evidence)
        self.refresh()
        self.message.remove_class("rca-board-error")
        self.message.value = (
            f'<span class="rca-board-ok">{_esc(evidence["kind"])} attached to '
            f"{_esc(target[:8])}</span>"
        )
        return evidence_id

    def attach_candidate(
        self,
        candidate: Any,
        *,
        stance: str = "supports",
        note: str = "",
        hypothesis_id: str | None = None,
    ) -> str:
        """Attach a ranked candidate (a row of ``rca.rank_candidates``) as evidence.

        Parameters
        ----------
        candidate : pandas.Series, one-row DataFrame or dict
            With at least ``name``, ``type``, ``score``; every column is kept.
        stance : {"supports", "contradicts", "context"}, default "supports"
        note : str, default ""
        hypothesis_id : str, optional
            Default: the hypothesis selected on the board.

        Returns
        -------
        str
            The evidence id.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from rca.hypotheses import HypothesisLog
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite")
        >>> board = HypothesisBoard(log, author="Ana", team="OT")
        >>> _ = log.add_hypothesis("TIC101 loop failed", author="Ana", team="OT")
        >>> board.refresh()
        >>> _ = board.attach_candidate({"rank": 1, "name": "PK5.TIC101", "type": "signal",
        ...                             "score": 0.82})
        >>> log.evidence().loc[0, "summary"]
        'candidate #1 PK5.TIC101 (signal, score 0.82)'
        """
        return self._attach(hypothesis_id, kind="candidate", candidate=candidate,
                            stance=stance, note=note)

    def attach_chart(
        self,
        chart: Any,
        *,
        stance: str = "supports",
        note: str = "",
        hypothesis_id: str | None = None,
    ) -> str:
        """Attach a chart snapshot: an altair chart (its Vega-Lite spec) or SVG text.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from rca.hypotheses import HypothesisLog
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite")
        >>> board = HypothesisBoard(log, author="Ana", team="OT")
        >>> _ = log.add_hypothesis("Valve stuck", author="Ana", team="OT")
        >>> board.refresh()
        >>> _ = board.attach_chart({"mark": "line", "title": "TV-101 position"})
        >>> log.evidence().loc[0, "summary"]
        'chart (vega-lite): TV-101 position'
        """
        return self._attach(hypothesis_id, kind="chart", chart=chart, stance=stance, note=note)

    def attach_event(
        self,
        event: Any,
        *,
        stance: str = "supports",
        note: str = "",
        hypothesis_id: str | None = None,
    ) -> str:
        """Attach an event (a row of the events table) as evidence.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from rca.hypotheses import HypothesisLog
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite")
        >>> board = HypothesisBoard(log, author="Ana", team="IT")
        >>> _ = log.add_hypothesis("Firewall change", author="Ana", team="IT")
        >>> board.refresh()
        >>> _ = board.attach_event({"time": "2026-03-04T09:58Z", "source": "fw-core-02",
        ...                         "kind": "change", "message": "rule 12 edited"})
        >>> log.evidence().loc[0, "kind"]
        'event'
        """
        return self._attach(hypothesis_id, kind="event", event=event, stance=stance, note=note)

    def attach_signal(
        self,
        signal: str,
        start: Any,
        end: Any,
        *,
        stance: str = "supports",
        note: str = "",
        hypothesis_id: str | None = None,
    ) -> str:
        """Attach a signal and the time range you are looking at (tz-aware start, end).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from rca.hypotheses import HypothesisLog
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite")
        >>> board = HypothesisBoard(log, author="Ana", team="OT")
        >>> _ = log.add_hypothesis("Valve stuck", author="Ana", team="OT")
        >>> board.refresh()
        >>> _ = board.attach_signal("PK5.TV101.POS", "2026-03-04T09:10Z", "2026-03-04T09:40Z")
        >>> log.evidence().loc[0, "detail"]["signal"]
        'PK5.TV101.POS'
        """
        return self._attach(hypothesis_id, kind="signal", signal=signal, start=start, end=end,
                            stance=stance, note=note)
