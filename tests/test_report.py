"""Tests of rca.report: sections, escaping (HTML, SVG, Markdown), self-containment, settings."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
import xml.etree.ElementTree as ET

import altair as alt
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from markdown_it import MarkdownIt

import rca
from conftest import write_mini_incident
from rca.errors import ParameterError
from rca.hypotheses import HypothesisLog, hypothesis_log_path, open_hypothesis_log
from rca.ledger import REASON_TEXT
from rca.relate import propagation_graph
from rca.report import (SECTIONS, _List, _P, _md_block, _safe_svg, _SvgError, build_report,
                        write_report)

P_SCRIPT = "<script>alert(1)</script>"
P_IMG = '"><img src=x onerror=alert(2)>'
P_MD = "<b>bold</b> & &amp; [link](javascript:alert(3)) *star* _under_ `tick` | pipe ~~del~~"
P_MULTI = "first line\n# not a heading\n- not a list\n1. not ordered\n<div onclick=alert(4)>x</div>\n\n===\nlast"
PAYLOADS = (P_SCRIPT, P_IMG, P_MD)
GENERATED = pd.Timestamp("2026-03-05 12:00", tz="UTC")
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "line3_scrap_spike" / "investigation.toml"

SAFE_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "nav", "main", "footer", "section",
    "h1", "h2", "h3", "h4", "p", "a", "strong", "em", "code", "span", "pre", "ul", "ol", "li",
    "div", "table", "thead", "tbody", "tr", "th", "td", "figure", "figcaption", "details", "summary",
    # inline SVG
    "svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan",
    "defs", "clippath", "lineargradient", "radialgradient", "stop", "desc", "pattern", "mask",
    "marker", "symbol", "use",
}


# ----------------------------------------------------------------------------- helpers


class Page(HTMLParser):
    """Every start tag with its attributes, the text, and the elements carrying an id."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.texts: list[str] = []
        self.ids: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        d = dict(attrs)
        self.tags.append((tag, d))
        if "id" in d:
            self.ids.append(d["id"])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)


def section_html(page: str, anchor: str) -> str:
    m = re.search(rf'<section id="{re.escape(anchor)}">(.*?)</section>', page, re.S)
    assert m, f"section {anchor!r} missing"
    return m.group(1)


def section_text(page: str, anchor: str) -> str:
    return Page(section_html(page, anchor)).text


def write_malicious_incident(folder: Path) -> Path:
    """The mini incident with script/HTML payloads as a tag name, the symptom, the title, an event
    source and an event message: everything a report shows from the data."""
    manifest = write_mini_incident(folder)
    hist = (folder / "historian.csv").read_text().replace("TI101.PV", P_SCRIPT)
    (folder / "historian.csv").write_text(hist)
    events = pd.read_csv(folder / "it_events.csv")
    events.loc[len(events)] = ["2026-03-04T09:41:00Z", P_IMG, "change", "critical", P_MD]
    events.loc[len(events)] = ["2026-03-04T09:42:00Z", "ad-01", P_SCRIPT, "info", P_MULTI]
    events.to_csv(folder / "it_events.csv", index=False)
    text = manifest.read_text()
    text = text.replace('symptom = "TI101.PV"', f"symptom = '{P_SCRIPT}'")
    text = text.replace('title = "Mini incident"', f"title = '{P_SCRIPT} {P_IMG}'")
    manifest.write_text(text)
    return manifest


def malicious_svg() -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="200" height="100" onload="alert(5)">'
        '<script>alert(6)</script>'
        '<defs><clipPath id="c1"><rect width="10" height="10"/></clipPath></defs>'
        '<g clip-path="url(#c1)" style="fill:red"><rect width="50" height="20" onclick="alert(7)"/></g>'
        '<foreignObject width="100" height="50"><div xmlns="http://www.w3.org/1999/xhtml">'
        '<img src="x" onerror="alert(8)"/></div></foreignObject>'
        '<a href="javascript:alert(9)"><text>click</text></a>'
        '<image href="http://example.com/tracker.png" width="5" height="5"/>'
        '<use xlink:href="http://example.com/sprite.svg#icon"/><use href="#c1"/>'
        '<rect fill="url(http://example.com/p.svg#x)" width="1" height="1"/>'
        '<style>@import url(http://example.com/x.css);</style>'
        '<text x="5" y="50">&lt;script&gt;alert(10)&lt;/script&gt; &amp; "kept"</text>'
        "</svg>"
    )


def add_log(manifest: Path) -> HypothesisLog:
    """A hypothesis log with payloads everywhere a participant can type."""
    log = open_hypothesis_log(manifest, author=P_IMG, team="OT")
    h1 = log.add_hypothesis(P_SCRIPT, category="network")
    h2 = log.add_hypothesis("Historian lost samples\nwhile the gateway was down", team="IT")
    h3 = log.add_hypothesis("Operator changed the set-point", category="people")
    log.set_status(h1, "confirmed", reason=P_MD)
    log.set_status(h3, "refuted", reason="no operator action in the journal")
    log.add_why(h1, "Gateway latency rose to 5 s")
    log.add_why(h1, P_IMG)
    log.add_why(h1, "Firewall policy changed without OT review")
    log.add_evidence(h1, kind="note", stance="supports", note=P_MULTI)
    log.add_evidence(h1, kind="event", stance="supports", note="the change record", event={
        "time": "2026-03-04T09:41:00Z", "source": P_IMG, "kind": "change", "message": P_SCRIPT})
    log.add_evidence(h1, kind="chart", stance="context", note=P_SCRIPT, chart=malicious_svg())
    chart = alt.Chart(pd.DataFrame({"x": [1, 2], "label": [P_SCRIPT, P_IMG]})).mark_text().encode(
        x="x:Q", text="label:N").properties(title=P_SCRIPT)
    log.add_evidence(h1, kind="chart", stance="supports", chart=chart)
    log.add_evidence(h3, kind="note", stance="contradicts", note="journal shows no change")
    log.add_decision(P_IMG, hypothesis_id=h1)
    log.add_decision("Keep line 3 running on manual control")
    a1 = log.add_action(P_SCRIPT, owner=P_IMG, due="2026-03-01", hypothesis_id=h1)
    a2 = log.add_action("Review firewall change process", owner="IT (Sam)", due="2026-03-02")
    log.add_action("Add gateway latency alarm", owner="OT (Ana)", due="2026-04-01")
    log.update_action(a2, status="done")
    gone = log.add_hypothesis("entered by mistake")
    log.retract(gone, reason="duplicate")
    assert a1
    return log


def candidates_frame(t0: pd.Timestamp) -> pd.DataFrame:
    frame = pd.DataFrame({
        "rank": [1, 2, 3],
        "name": [P_IMG, P_SCRIPT, "gw-opc-01.latency_ms"],
        "type": ["event", "signal", "signal"],
        "domain": ["IT", "OT", "IT"],
        "score": [0.91, 0.62, 0.2],
        "onset": [t0 - pd.Timedelta("39min"), t0 - pd.Timedelta("10min"), pd.NaT],
        "evidence": [P_MULTI, P_MD, "latency rose"],
    })
    frame["onset"] = pd.to_datetime(frame["onset"], utc=True)
    frame.attrs["settings"] = {"method": "hand-made for the test", "weights": {"timing": 0.5, "size": 0.5}}
    return frame


def edges_frame(t0: pd.Timestamp) -> pd.DataFrame:
    return pd.DataFrame({
        "source_signal": ["gw-opc-01.latency_ms", P_IMG],
        "target_signal": [P_SCRIPT, "gw-opc-01.latency_ms"],
        "source_time": [t0 - pd.Timedelta("12min"), t0 - pd.Timedelta("20min")],
        "target_time": [t0 - pd.Timedelta("10min"), t0 - pd.Timedelta("12min")],
        "lag": [pd.Timedelta("2min"), pd.Timedelta("8min")],
        "weight": [0.8, 0.4],
    })


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    return rca.open_investigation(write_mini_incident(tmp_path_factory.mktemp("mini") / "mini"))


@pytest.fixture(scope="module")
def evil(tmp_path_factory):
    """The malicious incident, its log, candidates and edges; the report built with charts."""
    manifest = write_malicious_incident(tmp_path_factory.mktemp("evil") / "evil")
    inv = rca.open_investigation(manifest)
    log = add_log(manifest)
    t0 = inv.incident.start
    report = build_report(inv, candidates=candidates_frame(t0), propagation=edges_frame(t0),
                          generated_at=GENERATED)
    log.close()
    return {"inv": inv, "report": report, "html": report.to_html(), "md": report.to_markdown(),
            "manifest": manifest}


# ----------------------------------------------------------------------------- structure


def test_html_has_every_section_with_its_stable_id_in_order(evil):
    page = Page(evil["html"])
    section_ids = [a["id"] for t, a in page.tags if t == "section"]
    assert section_ids == [anchor for anchor, _ in SECTIONS]
    assert [a for a, _ in SECTIONS] == ["summary", "timeline", "candidates", "propagation",
                                        "hypotheses", "decisions-actions", "data-quality", "settings"]
    nav = [a["href"] for t, a in page.tags if t == "a"]
    assert nav == [f"#{a}" for a, _ in SECTIONS]
    # the three charts are inline SVG figures
    figures = [a.get("id") for t, a in page.tags if t == "figure"]
    assert {"timeline-chart", "candidates-chart", "propagation-chart"} <= set(figures)


def test_summary_states_incident_in_display_zone_and_utc_and_what_was_loaded(mini):
    report = build_report(mini, candidates=None, charts=False, generated_at=GENERATED)
    text = section_text(report.to_html(), "summary")
    # 10:20 Europe/Berlin (CET) is 09:20 UTC
    assert "2026-03-04 10:20:00 CET (2026-03-04 09:20:00 UTC)" in text
    assert "TI101.PV" in text and "Europe/Berlin" in text
    lo, hi = mini.window
    assert f"{lo.tz_convert('Europe/Berlin'):%Y-%m-%d %H:%M:%S} CET" in text
    assert f"{len(mini.signal_info)} signals" in text
    for source in mini.ledger:
        assert source.name in text
    assert f"{len(mini.events):,} events" in text


# ----------------------------------------------------------------------------- escaping


def test_html_escapes_every_payload_and_has_no_active_content(evil):
    page_html = evil["html"]
    page = Page(page_html)
    tags = {t for t, _ in page.tags}
    assert tags <= SAFE_TAGS, tags - SAFE_TAGS
    assert "<script" not in page_html.lower() and "<img" not in page_html.lower()
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            assert not name.lower().startswith("on"), (tag, name, value)
            assert "javascript:" not in (value or "").lower(), (tag, name, value)
    # the payloads are there as text, byte for byte
    for payload in PAYLOADS + (P_MULTI,):
        assert payload in page.text, payload[:30]
    # in every place they come from: title, symptom, tag names, event source and message,
    # hypothesis text, 5 whys, evidence, decisions, actions, candidates, edges
    assert P_SCRIPT in section_text(page_html, "summary")
    assert P_SCRIPT in section_text(page_html, "timeline")
    assert P_IMG in section_text(page_html, "candidates") and P_MD in section_text(page_html, "candidates")
    assert P_IMG in section_text(page_html, "propagation")
    hyp = section_text(page_html, "hypotheses")
    assert P_SCRIPT in hyp and P_MD in hyp and P_IMG in hyp and P_MULTI in hyp
    acts = section_text(page_html, "decisions-actions")
    assert P_SCRIPT in acts and P_IMG in acts
    assert P_SCRIPT in section_text(page_html, "data-quality")
    title = re.search(r"<title>(.*?)</title>", page_html).group(1)
    assert html.unescape(title) == f"{P_SCRIPT} {P_IMG}" and "<" not in title


def test_html_has_a_content_security_policy_forbidding_scripts_and_network(evil):
    metas = [a for t, a in Page(evil["html"]).tags if t == "meta" and a.get("http-equiv")]
    assert len(metas) == 1
    policy = metas[0]["content"]
    assert "default-src 'none'" in policy and "script-src" not in policy


def test_svg_sanitiser_drops_active_and_external_content():
    out = _safe_svg(malicious_svg(), prefix="ev1", label="x")
    root = ET.fromstring(out)  # still well-formed XML
    names = {el.tag.split("}")[-1] for el in root.iter()}
    assert names.isdisjoint({"script", "foreignObject", "a", "image", "style", "div", "img"})
    assert {"svg", "g", "rect", "text", "clipPath", "use"} <= names
    low = out.lower()
    for bad in ("alert(5)", "alert(6)", "alert(7)", "alert(8)", "alert(9)", "onload", "onclick",
                "onerror", "http://example.com", "@import", "javascript:"):
        assert bad not in low, bad
    # ids are prefixed and local references follow them
    assert 'id="ev1-1"' in out and 'clip-path="url(#ev1-1)"' in out and 'href="#ev1-1"' in out
    assert "c1" not in out
    # text survives as text, escaped
    texts = "".join(el.text or "" for el in root.iter() if el.tag.endswith("text"))
    assert '<script>alert(10)</script> & "kept"' in texts
    assert "&lt;script&gt;alert(10)" in out
    # the root carries the label and a viewBox for scaling
    assert root.get("aria-label") == "x" and root.get("viewBox") == "0 0 200 100"


@pytest.mark.parametrize("bad, message", [
    ("<svg><g></svg>", "not well-formed SVG"),
    ('<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg>&a;</svg>', "DOCTYPE or entity"),
    ("<html><body/></html>", r"root element is <html>, expected <svg>"),
])
def test_svg_sanitiser_refuses_what_it_cannot_check(bad, message):
    with pytest.raises(_SvgError, match=message):
        _safe_svg(bad, prefix="p", label="x")


def test_vl_convert_svg_keeps_data_text_as_text():
    """vl-convert's SVG must escape labels itself: parse it as XML and find the payloads as text."""
    from rca.charts import chart_to_svg

    frame = pd.DataFrame({"name": [P_SCRIPT, P_IMG, P_MD], "v": [1, 2, 3]})
    svg = chart_to_svg(alt.Chart(frame).mark_bar().encode(
        y=alt.Y("name:N", axis=alt.Axis(labelLimit=1000)), x="v:Q").properties(title=P_SCRIPT))
    root = ET.fromstring(svg)
    names = {el.tag.split("}")[-1] for el in root.iter()}
    assert names.isdisjoint({"script", "img", "foreignObject"})
    texts = {"".join(el.itertext()) for el in root.iter() if el.tag.endswith("}text")}
    assert {P_SCRIPT, P_IMG, P_MD} <= texts


def test_timeline_svg_in_the_report_shows_the_malicious_tag_as_text(evil):
    figure = re.search(r'<figure id="timeline-chart">(<svg.*?</svg>)', evil["html"], re.S).group(1)
    root = ET.fromstring(figure)
    texts = ["".join(el.itertext()) for el in root.iter() if el.tag.endswith("}text")]
    assert any(P_SCRIPT in t for t in texts)
    assert not any(el.tag.endswith(("}script", "}foreignObject")) for el in root.iter())


def test_evidence_charts_are_embedded_sanitised_and_external_data_is_not_fetched(evil):
    report = evil["report"]
    ev_keys = [k for k in report.charts if k.startswith("evidence-")]
    assert len(ev_keys) == 2  # the SVG and the Vega-Lite chart
    for key in ev_keys:
        assert "<script" not in report.charts[key] and "onload" not in report.charts[key]
    hyp = section_html(evil["html"], "hypotheses")
    assert hyp.count("<figure") == 2
    # a Vega-Lite spec pointing at external data is refused, with the reason in the report
    from rca.report import _evidence_charts, HypothesisSnapshot

    ev = pd.DataFrame({"evidence_id": ["e1"], "kind": ["chart"], "detail": [{"format": "vega-lite", "spec": {
        "data": {"url": "https://example.com/data.csv"}, "mark": "point",
        "encoding": {"x": {"field": "a", "type": "quantitative"}}}}]})
    empty = pd.DataFrame()
    snap = HypothesisSnapshot(path=Path("h.sqlite"), hypotheses=empty, evidence=ev, whys=empty,
                              decisions=empty, actions=empty)
    charts, notes = _evidence_charts(snap, render=True)
    assert charts == {}
    assert "External data url not allowed" in notes["evidence-e1"]


def test_markdown_renders_no_live_html_and_keeps_every_payload_as_text(evil):
    md = evil["md"]
    rendered = MarkdownIt("commonmark").enable("table").render(md)  # HTML passthrough is on here
    page = Page(rendered)
    allowed = {"h1", "h2", "h3", "h4", "p", "em", "strong", "ul", "ol", "li", "table", "thead",
               "tbody", "tr", "th", "td", "br", "pre", "code"}
    assert {t for t, _ in page.tags} <= allowed, {t for t, _ in page.tags} - allowed
    assert "<script" not in rendered and "<img" not in rendered and "<a " not in rendered
    text = page.text
    for payload in PAYLOADS:
        assert payload in text, payload
    # multi-line text keeps its lines, and none of them became a heading, list or HTML block
    assert "first line" in text and "# not a heading" in text and "- not a list" in text
    assert "1. not ordered" in text and "<div onclick=alert(4)>x</div>" in text
    assert rendered.count("<h1>") == 1


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1 _*`[]()<>&#|\\!-+=.~:;\"'\n\t/éx")), max_size=40))
def test_markdown_escaping_round_trips_any_text(text):
    """Whatever the text, CommonMark shows exactly it (lines kept), and no tag, link or emphasis."""
    md = MarkdownIt("commonmark")
    for source, wrap in ((_md_block(_List((text,))), "li"), (_md_block(_P(("Note: ", text))), "p")):
        rendered = md.render(source)
        tags = set(re.findall(r"<([a-z0-9]+)", rendered))
        assert tags <= {"ul", "li", "p", "br"}, (text, source, rendered)
        got = html.unescape(re.sub(r"<[^>]+>", "", rendered))
        norm = lambda s: " ".join(s.split())  # noqa: E731 - whitespace is not part of the contract
        expected = norm(text) if wrap == "li" else norm("Note: " + text)
        assert norm(got) == expected, (text, source, rendered)


# ----------------------------------------------------------------------------- self-contained


def test_html_refers_to_nothing_outside_itself(evil):
    page_html = evil["html"]
    page = Page(page_html)
    for tag, attrs in page.tags:
        for name in ("src", "href", "xlink:href", "action", "srcset", "poster", "data", "background"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//", "file:", "ftp:")), (tag, name, value)
        if tag == "a":
            assert attrs["href"].startswith("#")
    assert "<link" not in page_html and "@import" not in page_html
    for url in re.findall(r"url\(([^)]*)\)", page_html):
        assert url.strip("'\" ").startswith("#"), url


# ----------------------------------------------------------------------------- hypotheses, decisions


def test_hypotheses_section_shows_status_evidence_whys_and_category(evil):
    hyp = section_html(evil["html"], "hypotheses")
    text = Page(hyp).text
    # three live hypotheses (the retracted one is counted, not shown)
    assert [m for m in re.findall(r'id="hypothesis-(\d+)"', hyp)] == ["1", "2", "3"]
    assert "entered by mistake" not in text and "not shown): hypotheses: 1" in text
    assert 'badge-confirmed' in hyp and 'badge-refuted' in hyp and 'badge-open' in hyp
    # the 5 whys in the order written
    h1 = section_html(evil["html"], "hypotheses").split('id="hypothesis-2"')[0]
    whys = re.search(r"<h4>5 whys</h4><ol>(.*?)</ol>", h1, re.S).group(1)
    items = [Page(li).text for li in re.findall(r"<li>(.*?)</li>", whys, re.S)]
    assert [i.split(" (")[0] for i in items] == [
        "Gateway latency rose to 5 s", P_IMG.split(" (")[0], "Firewall policy changed without OT review"]
    # Ishikawa categories with their meaning; the uncategorised one listed as such
    assert "network" in text and "switches, firewalls, routing" in text
    assert "people" in text and "not categorised" in text
    # evidence counts + / - / context and each stance shown
    assert "+3 / −0 / 1" in text and "+0 / −1 / 0" in text
    assert "badge-contradicts" in hyp and "badge-context" in hyp


def test_decisions_and_actions_with_owner_due_date_and_overdue(evil):
    part = section_html(evil["html"], "decisions-actions")
    rows = [Page(r).texts for r in re.findall(r"<tr>(.*?)</tr>", part.split("<h3>Actions</h3>")[1], re.S)]
    body = [r for r in rows[1:]]
    by_text = {r[0]: r for r in body}
    late = by_text[P_SCRIPT]
    assert P_IMG in late and "2026-03-01" in late and "overdue" in late  # due before the report date
    done = by_text["Review firewall change process"]
    assert "done" in done and "overdue" not in done and "IT (Sam)" in done
    later = by_text["Add gateway latency alarm"]
    assert "2026-04-01" in later and "open" in later and "overdue" not in later
    decisions = Page(part.split("<h3>Actions</h3>")[0]).text
    assert P_IMG in decisions and "Keep line 3 running on manual control" in decisions and "H1" in decisions


def test_without_a_log_the_report_says_so_and_creates_none(mini):
    path = hypothesis_log_path(mini.path)
    assert not path.exists()
    report = build_report(mini, candidates=None, charts=False, generated_at=GENERATED)
    assert report.log is None
    assert "no hypotheses recorded yet" in section_text(report.to_html(), "hypotheses")
    assert "no hypotheses recorded yet" in report.to_markdown()
    assert not path.exists()


# ----------------------------------------------------------------------------- data quality, settings


def test_data_quality_explains_every_rejection_reason_per_source(mini):
    report = build_report(mini, candidates=None, charts=False, generated_at=GENERATED)
    text = section_text(report.to_html(), "data-quality")
    reasons = {r for s in mini.ledger for r in s.rejected}
    assert {"duplicate", "bad_quality", "superseded", "unmatched_return"} <= reasons
    for s in mini.ledger:
        assert f"{s.rows_read:,} rows read, {s.rows_used:,} used, {s.rows_rejected:,} set aside" in text
        for reason, count in s.rejected.items():
            rows = "row" if count == 1 else "rows"
            assert f"{count:,} {rows} ({reason}): {REASON_TEXT[reason]}" in text
    assert "yes" in text  # balanced
    # the wide export's empty cells and the name clash are reported
    assert "it-metrics/FI201.PV" in text and "historian/FI201.PV" in text
    md = report.to_markdown()
    for reason in reasons:
        assert REASON_TEXT[reason] in md.replace("\\", "")


def test_settings_state_grid_offsets_penalties_ranking_and_provenance(evil):
    inv, report = evil["inv"], evil["report"]
    text = section_text(evil["html"], "settings")
    grid = inv.alignment.grid
    assert grid.reason in text and f"{grid.points:,}" in text
    (clock,) = inv.alignment.clock_offsets
    assert f"{clock.offset.total_seconds():+.3f}" in text
    assert f"±{clock.estimate.uncertainty.total_seconds():.3g}" in text
    cp = inv.changes("incident").attrs["settings"]
    assert cp["penalty_rule"] in text and "min_size" in text
    assert "hand-made for the test" in text and "weights.timing" in text
    assert rca.__version__ in text and str(evil["manifest"]) in text
    assert "2026-03-05 13:00:00 CET (2026-03-05 12:00:00 UTC)" in text
    # every input file with its hash
    for name in ("investigation.toml", "historian.csv", "alarms.csv", "it_metrics.csv", "it_events.csv"):
        assert name in text
    assert len(re.findall(r"\b[0-9a-f]{64}\b", text)) >= 5
    # to_dict is JSON and says the same
    d = json.loads(json.dumps(report.to_dict()))
    assert d["alignment"]["grid"]["reason"] == grid.reason
    assert d["changes"]["settings"]["penalty_rule"] == cp["penalty_rule"]
    assert d["candidates"]["settings"]["weights"] == {"timing": 0.5, "size": 0.5}
    assert d["generated_at"] == "2026-03-05T12:00:00+00:00"


def test_same_inputs_give_the_same_report(mini):
    a = build_report(mini, candidates=None, generated_at=GENERATED)
    b = build_report(mini, candidates=None, generated_at=GENERATED)
    assert a.to_html() == b.to_html() and a.to_markdown() == b.to_markdown()
    c = build_report(mini, candidates=None, charts=False, generated_at=GENERATED + pd.Timedelta("1D"))
    assert c.to_html() != b.to_html()


def test_auto_timeline_lanes_are_chosen_and_reported(mini, monkeypatch):
    import rca.report as report_module

    monkeypatch.setattr(report_module, "AUTO_TIMELINE_SIGNALS", 2)
    t0 = mini.incident.start
    cand = pd.DataFrame({"rank": [1], "name": ["gw-opc-01.latency_ms"], "type": ["signal"],
                         "domain": ["IT"], "score": [1.0], "onset": [t0]})
    report = build_report(mini, candidates=cand, generated_at=GENERATED)
    caption = report.options["timeline_caption"]
    assert f"2 of {mini.signals.shape[1]} signals" in caption
    lanes = ET.fromstring(report.charts["timeline"])
    labels = {"".join(t.itertext()) for t in lanes.iter() if t.tag.endswith("}text")}
    assert "TI101.PV" in labels and "gw-opc-01.latency_ms" in labels  # symptom, then the candidate
    assert "TIC101.SP" not in labels


# ----------------------------------------------------------------------------- writing


def test_write_report_from_a_manifest_writes_html_and_markdown(tmp_path):
    manifest = write_mini_incident(tmp_path / "inc")
    out_html = write_report(manifest, tmp_path / "report.html", candidates=None, charts=False,
                            generated_at=GENERATED)
    out_md = write_report(manifest, tmp_path / "report.md", candidates=None, charts=False,
                          generated_at=GENERATED)
    assert out_html == tmp_path / "report.html" and out_md == tmp_path / "report.md"
    page = out_html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'id="settings"' in page
    md = out_md.read_text(encoding="utf-8")
    assert md.startswith("# Mini incident") and "## Data quality" in md
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".partial"] == []
    assert repr(build_report(rca.open_investigation(manifest), candidates=None, charts=False,
                             generated_at=GENERATED)) == (
        "<Report 'Mini incident': no candidates, no log, charts none; generated "
        "2026-03-05T12:00:00+00:00>")
    forced = write_report(rca.open_investigation(manifest), tmp_path / "report.txt",
                          format="markdown", candidates=None, charts=False, generated_at=GENERATED)
    assert forced.read_text(encoding="utf-8") == md


def test_markdown_does_not_render_charts_unless_asked(tmp_path, monkeypatch):
    import rca.report as report_module

    def no_charts(*args, **kwargs):
        raise AssertionError("charts rendered for a Markdown report")

    monkeypatch.setattr(report_module, "_render_charts", no_charts)
    manifest = write_mini_incident(tmp_path / "inc")
    path = write_report(manifest, tmp_path / "r.md", candidates=None, generated_at=GENERATED)
    assert "timeline chart not rendered (charts=False)" in path.read_text(encoding="utf-8")
    with pytest.raises(AssertionError, match="charts rendered for a Markdown report"):
        write_report(manifest, tmp_path / "r2.md", candidates=None, charts=True)


def test_optional_parts_say_why_they_are_missing(mini):
    report = build_report(mini, candidates=None, changes=None, propagation=None, log=None,
                          charts=False, generated_at=GENERATED)
    page = report.to_html()
    assert "ranking not included (candidates=None)" in section_text(page, "candidates")
    assert "change points not included (changes=None)" in section_text(page, "timeline")
    assert "propagation not included (propagation=None)" in section_text(page, "propagation")
    assert "hypothesis log not included (log=None)" in section_text(page, "hypotheses")


@pytest.mark.parametrize("kwargs, message", [
    ({"candidates": pd.DataFrame({"name": ["a"]})},
     r"candidates lacks column\(s\) 'rank', 'score'; expected at least rank, name, score \(found name\)"),
    ({"candidates": [1, 2]}, r"candidates: got a list; expected a pandas DataFrame, 'auto' or None"),
    ({"candidates": pd.DataFrame({"rank": [1], "name": ["a"], "score": [1.0],
                                  "onset": [pd.Timestamp("2026-03-04 09:00")]})},
     r"candidates column 'onset' holds naive times \(datetime64\[\w+\]\); expected tz-aware UTC times"),
    ({"candidates": pd.DataFrame({"rank": [1], "name": ["a"], "score": ["high"]})},
     r"candidates column 'score' has dtype \w+; expected numbers"),
    ({"propagation": pd.DataFrame({"source_signal": ["a"]})},
     r"propagation lacks column\(s\) 'target_signal', 'source_time', 'target_time'"),
    ({"changes": pd.DataFrame({"signal": ["a"], "time": ["09:00"], "strength": [1.0]})},
     r"changes column 'time' has dtype \w+; expected tz-aware times"),
    ({"top": 0}, r"top=0; expected a whole number >= 1"),
    ({"charts": "yes"}, r"charts='yes'; expected True or False"),
    ({"generated_at": "2026-03-04 10:00"}, r"generated_at='2026-03-04 10:00' is naive; expected a tz-aware"),
    ({"generated_at": "soon"}, r"generated_at='soon'; expected a tz-aware timestamp"),
    ({"log": "/nowhere/h.sqlite"}, r"log='/nowhere/h.sqlite': no such file; expected 'auto', None"),
    ({"log": 3}, r"log: got a int; expected 'auto', None, a HypothesisLog"),
    ({"timeline_signals": ["nope"], "charts": False},
     r"timeline_signals: \['nope'\] not loaded; expected names of the investigation's signals"),
])
def test_bad_options_are_named(mini, kwargs, message):
    options = {"candidates": None, "charts": False, **kwargs}
    with pytest.raises(ParameterError, match=message):
        build_report(mini, **options)


def test_build_report_wants_an_investigation():
    with pytest.raises(ParameterError, match=r"investigation: got a str; expected an rca.Investigation"):
        build_report("investigation.toml")


def test_write_checks_the_format_and_folder_first(mini, tmp_path):
    report = build_report(mini, candidates=None, charts=False, generated_at=GENERATED)
    with pytest.raises(ParameterError, match=r"suffix '\.pdf' does not name a report format; "
                                             r"expected '\.html', '\.htm', '\.md' or '\.markdown'"):
        report.write(tmp_path / "r.pdf")
    with pytest.raises(ParameterError, match=r"format='docx'; expected 'auto', 'html' or 'markdown'"):
        report.write(tmp_path / "r.html", format="docx")
    with pytest.raises(ParameterError, match=r"folder '.*missing' does not exist"):
        report.write(tmp_path / "missing" / "r.html")
    # write_report refuses before loading anything
    with pytest.raises(ParameterError, match=r"suffix '\.txt' does not name a report format"):
        write_report(tmp_path / "no-such-manifest.toml", tmp_path / "r.txt")


# ----------------------------------------------------------------------------- the sample incident


@pytest.fixture(scope="module")
def sample():
    if not SAMPLE.exists():
        pytest.fail(f"the bundled sample incident is missing: {SAMPLE}")
    return rca.open_investigation(SAMPLE)


def test_sample_report_is_self_contained_and_a_few_mb_at_most(sample, tmp_path):
    changes = sample.changes("incident")
    edges = propagation_graph(changes, sample.signals_in("incident"))
    ranked = changes.sort_values("strength", ascending=False).drop_duplicates("signal").head(5)
    ranked = ranked.reset_index(drop=True)
    cand = pd.DataFrame({"rank": range(1, 6), "name": ranked["signal"], "type": "signal",
                         "domain": sample.signal_info.loc[ranked["signal"], "domain"].to_numpy(),
                         "score": ranked["strength"], "onset": ranked["time"],
                         "evidence": "strongest change of this signal"})
    path = build_report(sample, candidates=cand, propagation=edges).write(tmp_path / "sample.html")
    size = path.stat().st_size
    assert 100_000 < size < 5_000_000, size
    page = path.read_text(encoding="utf-8")
    assert all(f'<section id="{a}">' in page for a, _ in SECTIONS)
    assert page.count("<svg") == 3


def test_sample_report_end_to_end_with_rank_candidates(sample, tmp_path):
    """Uses rca.rank_candidates (rca/ranking.py): fails until the ranking exists."""
    path = write_report(SAMPLE, tmp_path / "line3.html")
    page = path.read_text(encoding="utf-8")
    cand = section_html(page, "candidates")
    assert '<figure id="candidates-chart">' in cand
    rows = re.findall(r"<tr>(.*?)</tr>", cand, re.S)
    assert len(rows) >= 2  # header + at least one candidate
    assert Page(rows[1]).texts[0] == "1"
    assert "computed by rca.rank_candidates" in section_text(page, "settings")
