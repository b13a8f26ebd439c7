"""The investigation report: one self-contained HTML file (or Markdown) for the incident file.

:func:`build_report` collects what an investigation found (the incident, the timeline, the
ranked candidates and their evidence, the propagation of the disturbance, the team's
hypotheses, decisions and actions, the data-quality ledger and every setting the analysis
chose) into a :class:`Report`; :meth:`Report.to_html`, :meth:`Report.to_markdown` and
:meth:`Report.write` render it. :func:`write_report` does both in one call.

The HTML opens offline: no script, no external file, CSS inline, charts as inline SVG
rendered by vl-convert. Every text that comes from the data (tag names, event messages,
ticket texts, notes typed by participants) is escaped: the report is first built as a small
document model (paragraphs, tables, lists, figures) whose text is plain data, and the two
renderers escape every piece of it, for HTML (``html.escape``) and for Markdown (backslash
escapes, so no renderer produces live HTML from it). SVG is parsed and written again through an
allow-list of SVG elements and attributes, so no script, event handler or external reference can
pass through a chart either.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import html
import importlib.metadata
import json
import math
import os
import re
import sys
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from rca.errors import AnalysisError, ParameterError, RcaWarning
from rca.ledger import REASON_TEXT

__all__ = ["Report", "HypothesisSnapshot", "build_report", "write_report", "SECTIONS",
           "AUTO_TIMELINE_SIGNALS"]

#: Section ids (stable anchors of the HTML report) and their titles, in order.
SECTIONS = (
    ("summary", "Summary"),
    ("timeline", "Timeline"),
    ("candidates", "Ranked candidates"),
    ("propagation", "Propagation"),
    ("hypotheses", "Hypotheses"),
    ("decisions-actions", "Decisions and actions"),
    ("data-quality", "Data quality"),
    ("settings", "Settings"),
)

#: Most signal lanes drawn in the timeline with ``timeline_signals="auto"``.
AUTO_TIMELINE_SIGNALS = 40
#: Most propagation edges listed in the propagation table.
MAX_EDGE_ROWS = 50
#: Most event kinds listed by name in the timeline's event counts.
MAX_EVENT_KINDS = 15

_CANDIDATE_COLUMNS = ("rank", "name", "type", "domain", "score", "onset", "evidence")
_EDGE_COLUMNS = ("source_signal", "target_signal", "source_time", "target_time")
_HYPOTHESIS_ORDER = ("confirmed", "supported", "open", "refuted")
_VERSION_PACKAGES = ("numpy", "pandas", "ruptures", "statsmodels", "altair", "vl-convert-python")


# =====================================================================================
# A small document model: the report is built once, rendered to HTML or Markdown.
# Text in it is plain data; only the renderers turn it into markup, escaping all of it.
# =====================================================================================


@dataclass(frozen=True)
class _T:
    """Styled inline text: style is "", "strong", "em", "code", "pre", "muted" or "badge"."""

    text: str
    style: str = ""
    badge: str = ""  # with style "badge": the badge colour class (mapped through _BADGES)


@dataclass(frozen=True)
class _P:
    parts: tuple
    cls: str = ""


@dataclass(frozen=True)
class _H:
    level: int
    text: Any
    anchor: str = ""


@dataclass(frozen=True)
class _Table:
    header: tuple
    rows: tuple
    cls: str = ""
    numeric: tuple = ()  # indexes of right-aligned columns


@dataclass(frozen=True)
class _List:
    items: tuple
    ordered: bool = False


@dataclass(frozen=True)
class _Figure:
    svg: str  # sanitised SVG (from _safe_svg)
    caption: str
    anchor: str = ""


@dataclass(frozen=True)
class _Details:
    summary: str
    blocks: tuple


@dataclass(frozen=True)
class _Pre:
    text: str


@dataclass(frozen=True)
class _Section:
    anchor: str
    title: str
    blocks: tuple


#: Badge colour classes; anything else is drawn as "other".
_BADGES = frozenset({
    "open", "supported", "refuted", "confirmed", "in_progress", "done", "cancelled", "overdue",
    "supports", "contradicts", "context", "ot", "it", "ok", "warn", "bad",
})


def _parts(value) -> tuple:
    """Inline content as a tuple of str / _T."""
    if value is None:
        return ()
    if isinstance(value, (str, _T)):
        return (value,)
    if isinstance(value, (list, tuple)):
        out: list = []
        for v in value:
            out.extend(_parts(v))
        return tuple(out)
    return (_text(value),)


def _text(value) -> str:
    """Plain text of a value for the report (no markup)."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.4g}"
    if isinstance(value, (np.floating,)):
        return _text(float(value))
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


# ------------------------------------------------------------------------------- HTML


def _e(text: str) -> str:
    """Escape text for HTML content and double-quoted attribute values."""
    return html.escape(str(text), quote=True)


def _html_inline(parts) -> str:
    out = []
    for p in _parts(parts):
        if isinstance(p, str):
            out.append(_e(p))
            continue
        t = _e(p.text)
        if p.style == "strong":
            out.append(f"<strong>{t}</strong>")
        elif p.style == "em":
            out.append(f"<em>{t}</em>")
        elif p.style == "code":
            out.append(f"<code>{t}</code>")
        elif p.style == "pre":
            out.append(f'<span class="pre">{t}</span>')
        elif p.style == "muted":
            out.append(f'<span class="muted">{t}</span>')
        elif p.style == "badge":
            cls = p.badge.lower() if p.badge.lower() in _BADGES else "other"
            out.append(f'<span class="badge badge-{cls}">{t}</span>')
        else:
            out.append(t)
    return "".join(out)


def _html_block(block) -> str:
    if isinstance(block, _P):
        cls = f' class="{_e(block.cls)}"' if block.cls else ""
        return f"<p{cls}>{_html_inline(block.parts)}</p>"
    if isinstance(block, _H):
        anchor = f' id="{_e(block.anchor)}"' if block.anchor else ""
        return f"<h{block.level}{anchor}>{_html_inline(block.text)}</h{block.level}>"
    if isinstance(block, _Table):
        cls = f' class="{_e(block.cls)}"' if block.cls else ""

        def cell(tag: str, i: int, content) -> str:
            num = ' class="num"' if i in block.numeric else ""
            return f"<{tag}{num}>{_html_inline(content)}</{tag}>"

        head = "".join(cell("th", i, h) for i, h in enumerate(block.header))
        body = "".join(
            "<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>"
            for row in block.rows
        )
        return (f'<div class="table-wrap"><table{cls}><thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table></div>")
    if isinstance(block, _List):
        tag = "ol" if block.ordered else "ul"
        items = "".join(f"<li>{_html_inline(i)}</li>" for i in block.items)
        return f"<{tag}>{items}</{tag}>"
    if isinstance(block, _Figure):
        anchor = f' id="{_e(block.anchor)}"' if block.anchor else ""
        return f"<figure{anchor}>{block.svg}<figcaption>{_e(block.caption)}</figcaption></figure>"
    if isinstance(block, _Details):
        inner = "".join(_html_block(b) for b in block.blocks)
        return f"<details><summary>{_e(block.summary)}</summary>{inner}</details>"
    if isinstance(block, _Pre):
        return f"<pre>{_e(block.text)}</pre>"
    if isinstance(block, _Section):
        inner = "".join(_html_block(b) for b in block.blocks)
        return f'<section id="{_e(block.anchor)}"><h2>{_e(block.title)}</h2>{inner}</section>'
    raise TypeError(f"unknown report block {type(block).__name__}")  # pragma: no cover


_CSS = """
:root { --ot: #1f77b4; --it: #b35806; --line: #d0d4da; --muted: #5f6b7a; --bg-alt: #f6f7f9; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       font-size: 15px; line-height: 1.45; color: #1b1f24; margin: 0; background: #fff; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; border-bottom: 1px solid var(--line); }
header h1 { margin: 0 0 4px 0; font-size: 26px; }
header p { margin: 2px 0 12px 0; color: var(--muted); }
nav { max-width: 1180px; margin: 0 auto; padding: 8px 24px; font-size: 14px; }
nav a { margin-right: 14px; color: #0b5cad; text-decoration: none; }
section { margin: 28px 0 8px 0; padding-top: 4px; border-top: 2px solid #1b1f24; }
h2 { font-size: 21px; margin: 10px 0 10px 0; }
h3 { font-size: 17px; margin: 20px 0 6px 0; }
h4 { font-size: 15px; margin: 14px 0 4px 0; }
p { margin: 6px 0; }
.muted, .note { color: var(--muted); }
.note { font-style: italic; }
.pre { white-space: pre-wrap; }
pre { white-space: pre-wrap; word-break: break-word; background: var(--bg-alt); padding: 8px 10px;
      border: 1px solid var(--line); font-size: 12px; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; }
.table-wrap { overflow-x: auto; margin: 6px 0 12px 0; }
table { border-collapse: collapse; font-size: 13.5px; }
th, td { border: 1px solid var(--line); padding: 3px 7px; text-align: left; vertical-align: top;
         overflow-wrap: break-word; }
th { background: var(--bg-alt); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fbfbfc; }
figure { margin: 10px 0 16px 0; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12.5px;
         font-weight: 600; border: 1px solid transparent; white-space: nowrap; }
.badge-open { background: #eef1f5; color: #334; border-color: #c9d0d9; }
.badge-supported { background: #fff4d6; color: #6b4b00; border-color: #e8cf84; }
.badge-confirmed { background: #dff3e4; color: #145a2a; border-color: #8fcf9f; }
.badge-refuted { background: #f3f3f3; color: #666; border-color: #ccc; text-decoration: line-through; }
.badge-supports { background: #dff3e4; color: #145a2a; }
.badge-contradicts { background: #fbe2e2; color: #8a1c1c; }
.badge-context, .badge-other { background: #eef1f5; color: #334; }
.badge-in_progress { background: #e3eefc; color: #0b4a8a; }
.badge-done { background: #dff3e4; color: #145a2a; }
.badge-cancelled { background: #f3f3f3; color: #666; }
.badge-overdue, .badge-bad { background: #fbe2e2; color: #8a1c1c; border-color: #e5a3a3; }
.badge-ok { background: #dff3e4; color: #145a2a; }
.badge-warn { background: #fff4d6; color: #6b4b00; }
.badge-ot { background: #e3eefc; color: var(--ot); }
.badge-it { background: #fff0e0; color: var(--it); }
.hypothesis { border-left: 4px solid var(--line); padding-left: 12px; margin: 16px 0; }
details { margin: 8px 0; }
details > summary { cursor: pointer; color: #0b5cad; }
footer { color: var(--muted); font-size: 13px; padding: 16px 24px 40px 24px; border-top: 1px solid var(--line); }
@media print {
  body { font-size: 11pt; }
  nav { display: none; }
  header, main, footer { max-width: none; padding: 0; }
  section { break-before: auto; }
  h2, h3, h4 { break-after: avoid; }
  figure, tr, .badge { break-inside: avoid; }
  .table-wrap { overflow: visible; }
  details > summary { color: #1b1f24; }
  details::details-content { content-visibility: visible; display: block; }
  a { color: inherit; text-decoration: none; }
  tbody tr:nth-child(even) td { background: none; }
}
@page { margin: 14mm 12mm; }
"""

# No script, no network, no plugins: even if something slipped through escaping, the
# browser would refuse to run or fetch it. Styles are inline (<style>), charts inline SVG.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


# --------------------------------------------------------------------------- Markdown

# Always escaped: characters that start inline markup or HTML anywhere in a line.
_MD_ALWAYS = frozenset("\\`*[]<>&|~")
# Escaped at the start of a line (after leading blanks) when they could open a block there:
# headings, list items, thematic breaks, setext underlines.
_MD_LINE_START = frozenset("#+-=")
_ORDERED_MARKER = re.compile(r"^(\s*\d{1,9})([.)])(?=[ \t]|$)")
_MD_MARKERS = {"strong": "**", "badge": "**", "em": "*", "muted": "*"}


def _md_line(line: str, *, at_start: bool) -> str:
    """One line of data text with every Markdown-significant character escaped.

    ``at_start``: the line begins a block or a continuation line, where block markers count.
    """
    out = []
    n = len(line)
    lead = len(line) - len(line.lstrip(" \t"))
    for i, ch in enumerate(line):
        if ch in _MD_ALWAYS:
            out.append("\\" + ch)
        elif ch == "_":
            # An underscore between two letters/digits can neither open nor close emphasis
            # (CommonMark's intraword rule); anywhere else it is escaped.
            left = line[i - 1] if i > 0 else " "
            right = line[i + 1] if i + 1 < n else " "
            out.append("_" if (left.isalnum() and right.isalnum()) else "\\_")
        elif at_start and i == lead and ch in _MD_LINE_START and (i + 1 == n or line[i + 1] in (ch, " ", "\t")):
            out.append("\\" + ch)
        else:
            out.append(ch)
    text = "".join(out)
    if at_start:
        m = _ORDERED_MARKER.match(text)
        if m:
            text = m.group(1) + "\\" + m.group(2) + text[m.end():]
    return text


def _md_text(text: str, *, inline: bool, at_start: bool = False) -> str:
    """Markdown for data text: every markup character escaped.

    ``inline=True`` (table cells, headings, emphasis): line breaks become spaces.
    Otherwise each line break becomes a hard break, and continuation lines are indented
    so they stay in the enclosing list item.
    """
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if len(lines) == 1:
        return _md_line(lines[0], at_start=at_start)
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()  # a hard break cannot end a block: it would show as a literal backslash
    while len(lines) > 1 and not lines[0].strip():
        lines.pop(0)
    if inline:
        kept = [line.strip() for line in lines if line.strip()]
        return " ".join(_md_line(line, at_start=at_start and k == 0) for k, line in enumerate(kept))
    escaped = [_md_line(lines[0].rstrip(), at_start=at_start)]
    escaped += [_md_line(line.strip(), at_start=True) for line in lines[1:]]
    return "\\\n   ".join(escaped)


def _md_merged(parts) -> list[tuple[str, str]]:
    """(text, Markdown marker) runs: neighbours with the same marker merged."""
    runs: list[list[str]] = []
    for p in _parts(parts):
        text, style = (p, "") if isinstance(p, str) else (p.text, p.style)
        marker = _MD_MARKERS.get(style, "")
        if style == "pre":
            marker = "pre"
        if runs and runs[-1][1] == marker and marker != "pre":
            runs[-1][0] += text
        else:
            runs.append([text, marker])
    return [(t, m) for t, m in runs]


def _md_inline(parts, *, inline: bool = False, block_start: bool = False) -> str:
    out = []
    first = block_start
    for text, marker in _md_merged(parts):
        multiline = not inline and marker in ("", "pre")
        t = _md_text(text, inline=not multiline, at_start=first)
        if text.strip():
            first = False
        if marker in ("**", "*"):
            core = t.strip()
            if core:
                lead = t[: len(t) - len(t.lstrip())]
                trail = t[len(t.rstrip()):]
                t = f"{lead}{marker}{core}{marker}{trail}"
        out.append(t)  # code and pre: plain escaped text (code spans cannot hold escapes)
    result = "".join(out)
    return result.lstrip() if block_start else result


def _md_block(block) -> str:
    if isinstance(block, _P):
        return _md_inline(block.parts, block_start=True)
    if isinstance(block, _H):
        return "#" * block.level + " " + _md_inline(block.text, inline=True)
    if isinstance(block, _Table):
        header = [_md_inline(h, inline=True) or " " for h in block.header]
        sep = ["---:" if i in block.numeric else "---" for i in range(len(header))]
        lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
        for row in block.rows:
            lines.append("| " + " | ".join(_md_inline(c, inline=True) or " " for c in row) + " |")
        return "\n".join(lines)
    if isinstance(block, _List):
        lines = []
        for k, item in enumerate(block.items, start=1):
            marker = f"{k}." if block.ordered else "-"
            lines.append(f"{marker} " + _md_inline(item, block_start=True))
        return "\n".join(lines)
    if isinstance(block, _Figure):
        return _md_inline(_T(f"Chart (in the HTML report): {block.caption}", "em"), inline=True)
    if isinstance(block, _Details):
        return "\n\n".join([_md_inline(_T(block.summary, "strong"), inline=True)]
                           + [_md_block(b) for b in block.blocks])
    if isinstance(block, _Pre):
        # A fenced block shows text verbatim; pick a fence longer than any backtick run in it.
        longest = max((len(m) for m in re.findall(r"`+", block.text)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"{fence}text\n{block.text}\n{fence}"
    if isinstance(block, _Section):
        return "\n\n".join([f"## {_md_text(block.title, inline=True)}"]
                           + [_md_block(b) for b in block.blocks])
    raise TypeError(f"unknown report block {type(block).__name__}")  # pragma: no cover


# =====================================================================================
# SVG: parsed and written again through an allow-list
# =====================================================================================

_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_SVG_ELEMENTS = frozenset({
    "svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text",
    "tspan", "defs", "clipPath", "linearGradient", "radialGradient", "stop", "title", "desc",
    "pattern", "mask", "marker", "symbol", "use",
})
_ATTR_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]*$")
_URL_REF = re.compile(r"url\(\s*(['\"]?)#([^'\")\s]+)\1\s*\)")
_DANGEROUS_VALUE = re.compile(r"javascript:|vbscript:|data:|expression\(|@import|url\(\s*['\"]?[^#'\"\s]",
                              re.IGNORECASE)


class _SvgError(ValueError):
    pass


def _safe_svg(svg: str, *, prefix: str, label: str) -> str:
    """An SVG document as markup safe to inline in HTML.

    The SVG is parsed as XML and written again: elements outside the allow-list (script,
    foreignObject, a, image, style, ...) are dropped with their content, as are event-handler
    attributes, references to anything but an element of the same SVG, and attribute values
    that could load or run something. Text and attribute values are escaped on output. Ids are
    renumbered ``<prefix>-1``, ``<prefix>-2``, ... in document order, so several charts on one
    page cannot capture each other's clip paths and the same chart gives the same markup.
    """
    if not isinstance(svg, str):
        raise _SvgError(f"expected SVG text, got {type(svg).__name__}")
    head = svg[:4096].upper()
    if "<!DOCTYPE" in head or "<!ENTITY" in svg.upper():
        raise _SvgError("SVG with a DOCTYPE or entity declarations is not embedded")
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as exc:
        raise _SvgError(f"not well-formed SVG ({exc})") from None
    if _local(root.tag) != "svg" or _ns(root.tag) not in ("", _SVG_NS):
        raise _SvgError(f"root element is <{_local(root.tag)}>, expected <svg>")
    # Ids are renumbered in document order: unique on the page, and the same for the same
    # chart (vl-convert numbers its clip paths with a counter that runs across calls).
    ids: dict[str, str] = {}
    for el in root.iter():
        old = el.get("id")
        if old is not None and old not in ids:
            ids[old] = f"{prefix}-{len(ids) + 1}"
    out: list[str] = []
    _write_svg(root, out, ids=ids, root=True, label=label)
    return "".join(out)


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _local(tag: str) -> str:
    return tag.split("}", 1)[1] if tag.startswith("{") else tag


def _svg_attrs(elem, ids: dict) -> list[tuple[str, str]]:
    attrs = []
    for key, value in elem.attrib.items():
        ns, name = _ns(key), _local(key)
        if ns == _XLINK_NS and name == "href":
            name = "href"
        elif ns == _XML_NS and name == "space":
            name = "xml:space"
        elif ns:
            continue
        if not _ATTR_NAME.match(name) or name.lower().startswith("on") or name.lower() == "xmlns":
            continue
        value = str(value)
        if name == "href":
            if not value.startswith("#") or value[1:] not in ids:
                continue  # only references to an element of this SVG
            value = f"#{ids[value[1:]]}"
        elif name == "id":
            value = ids[value]
        else:
            dangling = [m.group(2) for m in _URL_REF.finditer(value) if m.group(2) not in ids]
            if dangling:
                continue
            value = _URL_REF.sub(lambda m: f"url(#{ids[m.group(2)]})", value)
            if _DANGEROUS_VALUE.search(value):
                continue
        attrs.append((name, value))
    return attrs


def _write_svg(elem, out: list[str], *, ids: dict, root: bool = False, label: str = "") -> None:
    name = _local(elem.tag)
    if _ns(elem.tag) not in ("", _SVG_NS) or name not in _SVG_ELEMENTS:
        # dropped with its content; its tail text belongs to the parent
        if elem.tail:
            out.append(html.escape(elem.tail, quote=False))
        return
    attrs = _svg_attrs(elem, ids)
    if root:
        attrs = [(k, v) for k, v in attrs if k not in ("role", "aria-label")]
        names = {k for k, _ in attrs}
        if "viewBox" not in names and {"width", "height"} <= names:
            d = dict(attrs)
            attrs.append(("viewBox", f"0 0 {d['width']} {d['height']}"))
        attrs = [("xmlns", _SVG_NS)] + [(k, v) for k, v in attrs if k != "xmlns"]
        attrs += [("role", "img"), ("aria-label", label)]
    text_attrs = "".join(f' {k}="{html.escape(v, quote=True)}"' for k, v in attrs)
    out.append(f"<{name}{text_attrs}>")
    if elem.text:
        out.append(html.escape(elem.text, quote=False))
    for child in elem:
        _write_svg(child, out, ids=ids)
    out.append(f"</{name}>")
    if elem.tail and not root:
        out.append(html.escape(elem.tail, quote=False))


# =====================================================================================
# Formatting helpers
# =====================================================================================


def _ts(value) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        return None
    return ts


def _clock(ts: pd.Timestamp) -> str:
    text = ts.strftime("%Y-%m-%d %H:%M:%S")
    if ts.microsecond:
        text += f".{ts.microsecond // 1000:03d}"
    return text


def _local_text(value, tz: str) -> str:
    ts = _ts(value)
    if ts is None:
        return "-"
    local = ts.tz_convert(tz)
    return f"{_clock(local)} {local.strftime('%Z') or tz}"


def _utc_text(value) -> str:
    ts = _ts(value)
    if ts is None:
        return "-"
    return f"{_clock(ts.tz_convert('UTC'))} UTC"


def _both(value, tz: str) -> str:
    ts = _ts(value)
    if ts is None:
        return "-"
    if tz in ("UTC", "Etc/UTC"):
        return _utc_text(ts)
    return f"{_local_text(ts, tz)} ({_utc_text(ts)})"


def _duration(value) -> str:
    if value is None:
        return "-"
    try:
        td = pd.Timedelta(value)
    except (TypeError, ValueError):
        return str(value)
    if pd.isna(td):
        return "-"
    sign = "-" if td < pd.Timedelta(0) else ""
    s = abs(td.total_seconds())
    if s == 0:
        return "0 s"
    if s < 60:
        return f"{sign}{s:.3g} s"
    parts = []
    days, rest = divmod(int(round(s)), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    for n, unit in ((days, "d"), (hours, "h"), (minutes, "min"), (seconds, "s")):
        if n:
            parts.append(f"{n} {unit}")
    return sign + " ".join(parts)


def _relative(value, start) -> str:
    ts, ref = _ts(value), _ts(start)
    if ts is None or ref is None:
        return ""
    delta = ts - ref
    if delta == pd.Timedelta(0):
        return "at the incident start"
    word = "before" if delta < pd.Timedelta(0) else "after"
    return f"{_duration(abs(delta))} {word} the incident start"


def _num(value, fmt: str = ".4g") -> str:
    if value is None:
        return ""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return _text(value)
    if math.isnan(v):
        return ""
    return format(v, fmt)


def _short(text: str, width: int = 90) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_json_safe(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, pd.Timedelta):
        return None if pd.isna(value) else value.total_seconds()
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return None if not math.isfinite(v) else v
    if value is None or isinstance(value, (str, int)):
        return value
    if value is pd.NaT:
        return None
    return str(value)


def _flatten(value, prefix: str = "") -> list[tuple[str, str]]:
    """(key path, text) rows of a nested settings dict."""
    rows: list[tuple[str, str]] = []
    if isinstance(value, dict):
        if not value and prefix:
            rows.append((prefix, "(none)"))
        if prefix and len(value) > 6 and not any(isinstance(v, (dict, list, tuple)) for v in value.values()):
            # a long mapping of scalars (e.g. one number per signal): one row
            rows.append((prefix, "; ".join(f"{k}: {_setting_text(v)}" for k, v in value.items())))
            return rows
        for k, v in value.items():
            rows.extend(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return rows
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, dict) for v in value):
        for i, v in enumerate(value):
            rows.extend(_flatten(v, f"{prefix}[{i}]"))
        return rows
    rows.append((prefix, _setting_text(value)))
    return rows


def _setting_text(value) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_setting_text(v) for v in value]
        if len(items) > 20:
            return ", ".join(items[:20]) + f", ... ({len(items)} in all)"
        return ", ".join(items) if items else "(none)"
    if isinstance(value, pd.Timedelta):
        return _duration(value)
    if isinstance(value, pd.Timestamp):
        return _utc_text(value) if value.tzinfo else str(value)
    if isinstance(value, (float, np.floating)):
        return _num(value, ".6g") or "NaN"
    if value is None:
        return "None"
    return _text(value)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _display_path(location: str, folder: Path | None) -> str:
    location = _redact_url(str(location))
    if folder is None or "://" in location:
        return location
    try:
        p = Path(location)
        if p.is_absolute():
            rel = os.path.relpath(p, folder)
            if not rel.startswith(".."):
                return rel
    except (TypeError, ValueError):
        pass
    return location


# =====================================================================================
# The report
# =====================================================================================


@dataclass(frozen=True, eq=False)
class HypothesisSnapshot:
    """The hypothesis log as it was when the report was built.

    Attributes
    ----------
    path : pathlib.Path
        The log file.
    hypotheses, evidence, whys, decisions, actions : pandas.DataFrame
        The current views (:class:`rca.hypotheses.HypothesisLog`), retracted entries excluded.
    retracted : dict
        Number of retracted entries per entity (not shown in the report).
    """

    path: Path
    hypotheses: pd.DataFrame
    evidence: pd.DataFrame
    whys: pd.DataFrame
    decisions: pd.DataFrame
    actions: pd.DataFrame
    retracted: dict = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Report:
    """Everything the investigation report shows, collected by :func:`build_report`.

    Render it with :meth:`to_html` (self-contained, offline) or :meth:`to_markdown`, or
    write it with :meth:`write`. The attributes are the data behind the report; the
    section anchors of the HTML are :data:`SECTIONS`.

    Attributes
    ----------
    title, description : str
        From the manifest.
    timezone : str
        Display zone; times are shown in it and in UTC.
    manifest_path : pathlib.Path
        The investigation manifest.
    incident : rca.investigation.Incident
        Start [UTC], symptom, window.
    signal_info : pandas.DataFrame
        Per-signal metadata (domain, source, unit, samples, max_gap).
    events_total, events_in_window : int
        Events loaded, and within the analysis window.
    event_counts : pandas.DataFrame
        Events in the window by ``domain`` and ``kind`` (column ``events``), most frequent first.
    ledger : rca.ledger.Ledger
        What happened to every input row.
    alignment : rca.investigation.Alignment
        Grid and clock offsets.
    changes, candidates, propagation : pandas.DataFrame or None
        Change points in the window, the ranking and its propagation edges.
    log : HypothesisSnapshot or None
        The team's hypotheses, evidence, 5 whys, decisions and actions.
    notes : dict
        Per part (``"changes"``, ``"candidates"``, ``"propagation"``, ``"log"``): where it came
        from, or why it is missing.
    charts : dict
        Section name -> sanitised inline SVG (empty with ``charts=False``).
    options : dict
        The options of :func:`build_report` and what ``"auto"`` chose.
    inputs : tuple of dict
        Manifest and source files with size [bytes] and SHA-256, for reproducing the analysis.
    versions : dict
        Versions of rca, Python and the analysis packages.
    warnings : tuple of str
        Data-quality warnings raised while loading and analysing.
    generated_at : pandas.Timestamp
        When the report was built [UTC].
    """

    title: str
    description: str
    timezone: str
    manifest_path: Path
    incident: Any
    signal_info: pd.DataFrame
    events_total: int
    events_in_window: int
    event_counts: pd.DataFrame
    ledger: Any
    alignment: Any
    changes: pd.DataFrame | None
    candidates: pd.DataFrame | None
    propagation: pd.DataFrame | None
    log: HypothesisSnapshot | None
    notes: dict
    charts: dict
    options: dict
    inputs: tuple
    versions: dict
    warnings: tuple
    generated_at: pd.Timestamp

    def __repr__(self) -> str:
        n_cand = "no" if self.candidates is None else f"{len(self.candidates)}"
        n_hyp = "no log" if self.log is None else f"{len(self.log.hypotheses)} hypotheses"
        return (f"<Report {self.title!r}: {n_cand} candidates, {n_hyp}, charts "
                f"{sorted(self.charts) or 'none'}; generated {self.generated_at.isoformat()}>")

    # ------------------------------------------------------------------ rendering
    def _sections(self) -> list:
        """The report as document blocks, one per entry of :data:`SECTIONS`."""
        build = {
            "summary": self._summary,
            "timeline": self._timeline,
            "candidates": self._candidates,
            "propagation": self._propagation,
            "hypotheses": self._hypotheses,
            "decisions-actions": self._decisions_actions,
            "data-quality": self._data_quality,
            "settings": self._settings,
        }
        return [_Section(anchor, title, tuple(build[anchor]())) for anchor, title in SECTIONS]

    def to_html(self) -> str:
        """The report as one self-contained HTML document.

        No script and no external reference: CSS is inline, charts are inline SVG, and a
        Content-Security-Policy forbids scripts and network requests as a second line of
        defence. Every text from the data is escaped.

        Returns
        -------
        str

        Examples
        --------
        >>> report = build_report(inv)  # doctest: +SKIP
        >>> html = report.to_html()  # doctest: +SKIP
        >>> '<section id="candidates">' in html  # doctest: +SKIP
        True
        """
        sections = self._sections()
        nav = "".join(f'<a href="#{_e(a)}">{_e(t)}</a>' for a, t in SECTIONS)
        generated = _both(self.generated_at, self.timezone)
        subtitle = (
            f"Investigation report · incident noticed {_both(self.incident.start, self.timezone)}"
        )
        body = "".join(_html_block(s) for s in sections)
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{_e(_CSP)}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="generator" content="{_e("rca " + self.versions.get("rca", ""))}">'
            f"<title>{_e(self.title)}</title>"
            f"<style>{_CSS}</style></head>\n<body>"
            f'<header><h1 id="report-title">{_e(self.title)}</h1><p>{_e(subtitle)}</p></header>'
            f'<nav aria-label="sections">{nav}</nav>\n<main>{body}</main>\n'
            f"<footer>Generated {_e(generated)} by rca {_e(self.versions.get('rca', ''))} from "
            f"{_e(str(self.manifest_path))}.</footer>\n</body></html>\n"
        )

    def to_markdown(self) -> str:
        """The report as Markdown (CommonMark with GitHub tables).

        The same sections and tables as the HTML; charts are not embedded (a line says the
        HTML report has them). Text from the data is backslash-escaped so that a Markdown
        renderer shows it as text and never as HTML, links or formatting.

        Returns
        -------
        str

        Examples
        --------
        >>> md = build_report(inv, charts=False).to_markdown()  # doctest: +SKIP
        >>> md.splitlines()[0].startswith("# ")  # doctest: +SKIP
        True
        """
        head = [
            "# " + _md_text(self.title, inline=True),
            _md_inline(_T(f"Investigation report · incident noticed "
                          f"{_both(self.incident.start, self.timezone)} · generated "
                          f"{_both(self.generated_at, self.timezone)} by rca "
                          f"{self.versions.get('rca', '')}", "em"), inline=True),
            "Sections: " + ", ".join(_md_text(t, inline=True) for _, t in SECTIONS),
        ]
        blocks = head + [_md_block(s) for s in self._sections()]
        return "\n\n".join(blocks) + "\n"

    def write(self, path: str | os.PathLike, *, format: str = "auto") -> Path:
        """Write the report to a file.

        Parameters
        ----------
        path : str or os.PathLike
            Target file. Its folder must exist.
        format : {"auto", "html", "markdown"}, default "auto"
            ``"auto"`` takes the format from the suffix: ``.html`` / ``.htm`` or ``.md`` /
            ``.markdown``.

        Returns
        -------
        pathlib.Path
            The file written (UTF-8).

        Raises
        ------
        ParameterError
            For an unknown format or suffix, or a folder that does not exist.

        Examples
        --------
        >>> build_report(inv).write("report.html")  # doctest: +SKIP
        PosixPath('report.html')
        """
        path = Path(path)
        fmt = _check_format(format, path)
        if not path.parent.exists():
            raise ParameterError(
                f"path={str(path)!r}: folder {str(path.parent)!r} does not exist; expected an "
                "existing folder to write the report into"
            )
        text = self.to_html() if fmt == "html" else self.to_markdown()
        tmp = path.with_name(path.name + ".partial")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        return path

    def to_dict(self) -> dict:
        """What the analysis chose and found, JSON-ready: enough to reproduce it.

        Examples
        --------
        >>> build_report(inv, charts=False).to_dict()["alignment"]["grid"]["step"]  # doctest: +SKIP
        '0 days 00:00:30'
        """
        out = {
            "title": self.title,
            "manifest": str(self.manifest_path),
            "timezone": self.timezone,
            "generated_at": self.generated_at.isoformat(),
            "versions": dict(self.versions),
            "inputs": [dict(i) for i in self.inputs],
            "incident": self.incident.to_dict(),
            "alignment": self.alignment.to_dict(),
            "ledger": self.ledger.to_dict(),
            "changes": {
                "source": self.notes.get("changes"),
                "rows": None if self.changes is None else int(len(self.changes)),
                "settings": _without_signals(_attrs(self.changes)),
            },
            "candidates": {
                "source": self.notes.get("candidates"),
                "rows": None if self.candidates is None else int(len(self.candidates)),
                "settings": _attrs(self.candidates),
            },
            "propagation": {
                "source": self.notes.get("propagation"),
                "rows": None if self.propagation is None else int(len(self.propagation)),
                "settings": _attrs(self.propagation),
            },
            "hypothesis_log": self.notes.get("log"),
            "report_options": {k: v for k, v in self.options.items() if k != "timeline_caption"},
            "warnings": list(self.warnings),
        }
        return _json_safe(out)

    # ------------------------------------------------------------------ sections
    def _window_day(self):
        """The local date of the analysis window when it lies within one day, else None."""
        lo, hi = self.incident.window
        first, last = lo.tz_convert(self.timezone).date(), hi.tz_convert(self.timezone).date()
        return first if first == last else None

    def _t(self, value) -> str:
        """A time in the display zone; without the date when it is the window's day."""
        ts = _ts(value)
        if ts is None:
            return "-"
        local = ts.tz_convert(self.timezone)
        if local.date() == self._window_day():
            return f"{_clock(local)[11:]} {local.strftime('%Z')}"
        return _local_text(ts, self.timezone)

    def _times_note(self) -> str:
        day = self._window_day()
        return (f"Times in {self.timezone}, on {day:%Y-%m-%d} unless a date is shown."
                if day is not None else f"Times in {self.timezone}.")

    def _signal_domain(self, name) -> str:
        info = self.signal_info
        if info is not None and name in info.index and "domain" in info.columns:
            return str(info.at[name, "domain"])
        return ""

    def _summary(self) -> list:
        tz = self.timezone
        inc = self.incident
        lo, hi = inc.window
        blocks: list = []
        if self.description:
            blocks.append(_P((_T(self.description, "pre"),)))
        symptom = inc.symptom
        symptom_parts: list = [_T(symptom, "strong")] if symptom else [_T("not named", "muted")]
        if symptom and symptom in self.signal_info.index:
            row = self.signal_info.loc[symptom]
            extra = ", ".join(x for x in (
                str(row.get("domain", "") or ""),
                f"unit {row['unit']}" if str(row.get("unit", "") or "") else "",
                str(row.get("description", "") or ""),
                f"source {row['source']}" if str(row.get("source", "") or "") else "",
            ) if x)
            if extra:
                symptom_parts.append(f" ({extra})")
        info = self.signal_info
        n_ot = int((info["domain"] == "OT").sum()) if "domain" in info.columns else 0
        n_it = int((info["domain"] == "IT").sum()) if "domain" in info.columns else 0
        facts = [
            ("Incident noticed", _both(inc.start, tz)),
            ("Symptom", symptom_parts),
            ("Analysis window", f"{_both(lo, tz)} to {_both(hi, tz)} "
                                f"({_duration(inc.lookback)} before the incident start: "
                                f"{inc.lookback_reason}; {_duration(inc.lookahead)} after: "
                                f"{inc.lookahead_reason})"),
            ("Display time zone", tz),
            ("Loaded", f"{len(info):,} signals ({n_ot:,} OT, {n_it:,} IT) on a "
                       f"{_duration(self.alignment.grid.step)} grid; {self.events_total:,} "
                       f"events, {self.events_in_window:,} of them in the analysis window"),
        ]
        blocks.append(_Table(("", ""), tuple((_T(k, "strong"), v) for k, v in facts), cls="facts"))

        # at a glance
        glance: list = []
        cand = self.candidates
        if cand is not None and len(cand):
            top = cand.sort_values("rank", kind="stable").head(3)
            names = []
            for _, r in top.iterrows():
                names.append([_T(f"#{_text(r['rank'])} ", "strong"), _T(str(r["name"]), "strong"),
                              f" ({_text(r.get('type', ''))} {_text(r.get('domain', ''))}, score "
                              f"{_num(r['score'], '.3g')}"
                              + (f", onset {_local_text(r['onset'], tz)}"
                                 if "onset" in r and _ts(r["onset"]) is not None else "")
                              + ")"])
            glance.append(["Leading candidates: "] + _join(names, "; "))
        else:
            glance.append(["Leading candidates: ", _T(self.notes.get("candidates", "none"), "muted")])
        if self.log is not None and len(self.log.hypotheses):
            hyp = self.log.hypotheses
            counts = hyp["status"].value_counts()
            glance.append("Hypotheses: " + ", ".join(
                f"{int(counts[s])} {s}" for s in _HYPOTHESIS_ORDER if s in counts.index))
            confirmed = hyp[hyp["status"] == "confirmed"]
            for _, r in confirmed.iterrows():
                glance.append([_T("Confirmed root cause: ", "strong"), _T(r["statement"], "pre")])
        else:
            glance.append(["Hypotheses: ", _T("no hypotheses recorded yet", "muted")])
        if self.log is not None and len(self.log.actions):
            acts = self.log.actions
            overdue = int(_overdue(acts, self.generated_at).sum())
            open_ = int(acts["status"].isin(["open", "in_progress"]).sum())
            glance.append(f"Actions: {len(acts)} recorded, {open_} open"
                          + (f", {overdue} overdue" if overdue else ""))
        rejected = sum(s.rows_rejected for s in self.ledger)
        read = sum(s.rows_read for s in self.ledger)
        glance.append(
            f"Data quality: {read:,} input rows read, {rejected:,} set aside "
            f"({100 * rejected / read:.2g} %)" if read else "Data quality: no input rows")
        for c in self.alignment.clock_offsets:
            glance.append(f"Clock: {c.describe()}")
        blocks.append(_H(3, "At a glance"))
        blocks.append(_List(tuple(glance)))

        # what was loaded
        blocks.append(_H(3, "What was loaded"))
        folder = self.manifest_path.parent if self.manifest_path else None
        rows = []
        for s in self.ledger:
            rows.append((
                _T(s.name, "strong"), _T(s.domain, "badge", s.domain), s.kind,
                _T(_display_path(s.location, folder), "code"),
                f"{s.items:,}", f"{s.rows_used:,} of {s.rows_read:,}",
                f"{_local_text(s.start, tz)} to {_local_text(s.end, tz)}",
            ))
        blocks.append(_Table(("source", "domain", "kind", "file", "signals / events",
                              "rows used", "time range"), tuple(rows), numeric=(4, 5)))
        return blocks

    def _timeline(self) -> list:
        blocks: list = []
        if "timeline" in self.charts:
            blocks.append(_Figure(self.charts["timeline"], self.options.get("timeline_caption", ""),
                                  anchor="timeline-chart"))
        else:
            why = self.notes.get("timeline_chart", "timeline chart not rendered (charts=False); "
                                                   "the HTML report built with charts has it")
            blocks.append(_P((_T(why, "muted"),), cls="note"))
        ch = self.changes
        blocks.append(_H(3, "Strongest changes in the analysis window"))
        if ch is None or not len(ch):
            blocks.append(_P((_T(self.notes.get("changes", "no change points"), "muted"),),
                             cls="note"))
        else:
            top = int(self.options["top"])
            strongest = ch.sort_values("strength", ascending=False, kind="stable").head(top)
            strongest = strongest.sort_values("time", kind="stable")
            units = self.signal_info["unit"] if "unit" in self.signal_info.columns else pd.Series(dtype=str)
            rows = []
            for _, r in strongest.iterrows():
                unit = str(units.get(r["signal"], "") or "")
                lo_hi = ""
                if "time_lo" in r and _ts(r.get("time_lo")) is not None:
                    lo_hi = f"{self._t(r['time_lo'])} to {self._t(r['time_hi'])}"
                rows.append((
                    self._t(r["time"]), _T(str(r["signal"]), "strong"),
                    _T(self._signal_domain(r["signal"]), "badge", self._signal_domain(r["signal"])),
                    _text(r.get("kind", "")),
                    f"{_num(r.get('before'))} → {_num(r.get('after'))}" + (f" {unit}" if unit else ""),
                    _num(r.get("delta_sigma"), "+.3g"), _num(r.get("strength"), ".3g"), lo_hi,
                    _relative(r["time"], self.incident.start),
                ))
            blocks.append(_P((f"The {len(strongest)} strongest of {len(ch):,} change points, in "
                              f"time order ({self.notes.get('changes', '')}). {self._times_note()}",)))
            blocks.append(_Table(("time", "signal", "domain", "kind", "level before → after",
                                  "delta [sigma]", "strength", "onset interval", "relative"),
                                 tuple(rows), numeric=(5, 6)))
        blocks.append(_H(3, "Events in the analysis window"))
        ec = self.event_counts
        if ec is None or not len(ec):
            blocks.append(_P((_T("no events in the analysis window", "muted"),), cls="note"))
        else:
            shown = ec.head(MAX_EVENT_KINDS)
            rows = [(_T(str(r["domain"]), "badge", str(r["domain"])), str(r["kind"]), f"{int(r['events']):,}")
                    for _, r in shown.iterrows()]
            rest = ec.iloc[MAX_EVENT_KINDS:]
            if len(rest):
                rows.append(("", _T(f"{len(rest)} other kinds", "muted"), f"{int(rest['events'].sum()):,}"))
            blocks.append(_Table(("domain", "kind", "events"), tuple(rows), numeric=(2,)))
        return blocks

    def _candidates(self) -> list:
        cand = self.candidates
        if cand is None or not len(cand):
            return [_P((_T(self.notes.get("candidates", "no candidates"), "muted"),), cls="note")]
        blocks: list = []
        top = int(self.options["top"])
        ranked = cand.sort_values("rank", kind="stable")
        shown = ranked.head(top)
        blocks.append(_P((f"{len(shown)} of {len(cand):,} candidates, best first "
                          f"({self.notes.get('candidates', '')}). {self._times_note()}",)))
        if "candidates" in self.charts:
            blocks.append(_Figure(self.charts["candidates"],
                                  "Score of each candidate (bars, coloured by domain) and when it "
                                  "first changed or occurred (right; dashed line: incident start).",
                                  anchor="candidates-chart"))
        has_role = "role" in cand.columns
        rows = []
        for _, r in shown.iterrows():
            onset = r.get("onset") if "onset" in r else None
            row = [
                _text(r["rank"]), _T(str(r["name"]), "strong"), _text(r.get("type", "")),
                _T(_text(r.get("domain", "")), "badge", _text(r.get("domain", ""))),
                _num(r["score"], ".3g"),
                [self._t(onset), _T(" " + _relative(onset, self.incident.start), "muted")]
                if _ts(onset) is not None else "-",
                _T(_text(r.get("evidence", "")), "pre"),
            ]
            if has_role:
                row.insert(3, _text(r.get("role", "")))
            rows.append(tuple(row))
        header = ["rank", "name", "type", "domain", "score", "onset", "evidence"]
        if has_role:
            header.insert(3, "role")
        blocks.append(_Table(tuple(header), tuple(rows), cls="candidates",
                             numeric=(0, 5) if has_role else (0, 4)))
        return blocks

    def _propagation(self) -> list:
        edges = self.propagation
        if edges is None or not len(edges):
            return [_P((_T(self.notes.get("propagation", "no propagation edges"), "muted"),),
                       cls="note")]
        blocks: list = []
        if "propagation" in self.charts:
            blocks.append(_Figure(self.charts["propagation"],
                                  "Each row is a signal, each dot a change; a link runs from an "
                                  "earlier change to a later change it may have caused (the later, "
                                  "right-hand end is the effect).", anchor="propagation-chart"))
        order = edges.sort_values("target_time", kind="stable") if "target_time" in edges else edges
        shown = order.head(MAX_EDGE_ROWS)
        blocks.append(_P((f"{len(shown)} of {len(edges):,} links, by time of the later change "
                          f"({self.notes.get('propagation', '')}). {self._times_note()}",)))
        rows = []
        for _, r in shown.iterrows():
            rows.append((
                _T(str(r["source_signal"]), "strong"), self._t(r["source_time"]),
                _T(str(r["target_signal"]), "strong"), self._t(r["target_time"]),
                _duration(r["lag"]) if "lag" in r else _duration(_ts(r["target_time"]) - _ts(r["source_time"])),
                _num(r.get("weight"), ".3f"), _num(r.get("r"), "+.3f"), _num(r.get("p_value"), ".3g"),
            ))
        blocks.append(_Table(("from", "change at", "to", "change at", "lag", "weight", "r", "p-value"),
                             tuple(rows), numeric=(4, 5, 6, 7)))
        return blocks

    def _hypotheses(self) -> list:
        tz = self.timezone
        log = self.log
        if log is None:
            return [_P((_T(self.notes.get("log", "no hypotheses recorded yet"), "muted"),),
                       cls="note")]
        hyp = log.hypotheses
        if not len(hyp):
            return [_P((_T(f"No hypotheses recorded yet (hypothesis log {log.path}).", "muted"),),
                       cls="note")]
        from rca.hypotheses import ISHIKAWA_CATEGORIES

        blocks: list = [_P((f"{len(hyp)} hypotheses from the hypothesis log "
                            f"({self.notes.get('log', '')}).",))]
        ev = log.evidence
        rows = []
        for k, (_, h) in enumerate(hyp.iterrows(), start=1):
            mine = ev[ev["hypothesis_id"] == h["hypothesis_id"]]
            counts = mine["stance"].value_counts()
            rows.append((
                f"H{k}", _T(h["statement"], "pre"), _T(h["status"], "badge", h["status"]),
                _text(h["category"]) or "-", _text(h["team"]), _text(h["proposed_by"]),
                f"+{int(counts.get('supports', 0))} / −{int(counts.get('contradicts', 0))} / "
                f"{int(counts.get('context', 0))}",
            ))
        blocks.append(_Table(("", "hypothesis", "status", "Ishikawa category", "team",
                              "proposed by", "evidence + / − / context"), tuple(rows)))

        # Ishikawa (fishbone) overview: the categories that hold a hypothesis
        blocks.append(_H(3, "By Ishikawa category"))
        fish = []
        labels = {f"H{k}": h for k, (_, h) in enumerate(hyp.iterrows(), start=1)}
        categories = list(ISHIKAWA_CATEGORIES) + sorted(
            {str(c) for c in hyp["category"].dropna()} - set(ISHIKAWA_CATEGORIES))
        for cat in categories + [None]:
            members = [(k, h) for k, h in labels.items()
                       if (h["category"] == cat if cat is not None else pd.isna(h["category"]) or h["category"] is None)]
            if not members:
                continue
            items: list = []
            for k, h in members:
                items += [f"{k} ", _T(_short(h["statement"], 70)), " ", _T(h["status"], "badge", h["status"]), "  "]
            fish.append((_T(cat if cat is not None else "not categorised", "strong"),
                         ISHIKAWA_CATEGORIES.get(cat, "") if cat is not None else "", items))
        blocks.append(_Table(("category", "covers", "hypotheses"), tuple(fish)))

        whys = log.whys
        for k, (_, h) in enumerate(hyp.iterrows(), start=1):
            hid = h["hypothesis_id"]
            blocks.append(_H(3, [f"H{k}. ", _T(_short(h["statement"], 200))], anchor=f"hypothesis-{k}"))
            blocks.append(_P(("Status: ", _T(h["status"], "badge", h["status"]),
                              (" — " + h["status_reason"]) if h["status_reason"] else "",
                              _T(f" (set by {h['status_by']}, {_local_text(h['status_at'], tz)})", "muted"))))
            cat = h["category"]
            blocks.append(_P((
                "Ishikawa category: ",
                _T(cat, "strong") if cat else _T("not categorised", "muted"),
                (f" ({ISHIKAWA_CATEGORIES[cat]})" if cat in ISHIKAWA_CATEGORIES else ""),
                f" · proposed by {h['proposed_by']} ({h['team']}), {_local_text(h['created_at'], tz)}",
            )))
            if len(h["statement"]) > 200 or "\n" in h["statement"]:
                blocks.append(_P(("Full statement: ", _T(h["statement"], "pre"))))
            mine_whys = whys[whys["hypothesis_id"] == hid]
            if len(mine_whys):
                blocks.append(_H(4, "5 whys"))
                blocks.append(_List(tuple(
                    [_T(w["text"], "pre"), _T(f" ({w['author']})", "muted")]
                    for _, w in mine_whys.iterrows()), ordered=True))
            mine = ev[ev["hypothesis_id"] == hid]
            blocks.append(_H(4, "Evidence"))
            if not len(mine):
                blocks.append(_P((_T("no evidence attached", "muted"),), cls="note"))
                continue
            erows = []
            figures = []
            for j, (_, e) in enumerate(mine.iterrows(), start=1):
                erows.append((
                    _T(e["stance"], "badge", e["stance"]), _text(e["kind"]),
                    _T(e["summary"], "pre"), _T(e["note"], "pre"),
                    _text(e["author"]), _local_text(e["created_at"], tz),
                ))
                if e["kind"] == "chart":
                    key = f"evidence-{e['evidence_id']}"
                    caption = f"H{k}, evidence {j}: {_short(e['summary'], 120)}" + (
                        f" — {_short(e['note'], 200)}" if e["note"] else "")
                    if key in self.charts:
                        figures.append(_Figure(self.charts[key], caption))
                    else:
                        figures.append(_P((_T(f"{caption}: {self.notes.get(key, 'chart not rendered')}",
                                              "muted"),), cls="note"))
            blocks.append(_Table(("stance", "kind", "what", "note", "by", "when"), tuple(erows)))
            blocks.extend(figures)
        if any(log.retracted.values()):
            blocks.append(_P((_T("Retracted entries (kept in the log's history, not shown): " + ", ".join(
                f"{kind}: {n}" for kind, n in log.retracted.items() if n), "muted"),), cls="note"))
        return blocks

    def _decisions_actions(self) -> list:
        tz = self.timezone
        log = self.log
        if log is None:
            return [_P((_T(self.notes.get("log", "no hypotheses recorded yet")
                           + "; no decisions or actions recorded", "muted"),), cls="note")]
        labels = {h: f"H{k}" for k, h in enumerate(log.hypotheses["hypothesis_id"], start=1)}
        blocks: list = [_H(3, "Decisions")]
        dec = log.decisions
        if not len(dec):
            blocks.append(_P((_T("no decisions recorded", "muted"),), cls="note"))
        else:
            rows = [(_local_text(d["created_at"], tz), _T(d["text"], "pre"),
                     labels.get(d["hypothesis_id"], "-") if d["hypothesis_id"] else "-",
                     _text(d["author"])) for _, d in dec.iterrows()]
            blocks.append(_Table(("when", "decision", "about", "by"), tuple(rows)))
        blocks.append(_H(3, "Actions"))
        acts = log.actions
        if not len(acts):
            blocks.append(_P((_T("no actions recorded", "muted"),), cls="note"))
        else:
            overdue = _overdue(acts, self.generated_at)
            rows = []
            for (_, a), late in zip(acts.iterrows(), overdue):
                status = [_T(a["status"].replace("_", " "), "badge", a["status"])]
                if late:
                    status += [" ", _T("overdue", "badge", "overdue")]
                rows.append((_T(a["text"], "pre"), _T(a["owner"], "strong"), str(a["due"]), status,
                             labels.get(a["hypothesis_id"], "-") if a["hypothesis_id"] else "-",
                             _text(a["author"]), f"{_local_text(a['updated_at'], tz)} by {a['updated_by']}"))
            blocks.append(_Table(("action", "owner", "due", "status", "about", "recorded by",
                                  "last change"), tuple(rows)))
            blocks.append(_P((_T(f"Overdue: due before {self.generated_at.tz_convert(tz):%Y-%m-%d} "
                                 "(the report date) and neither done nor cancelled.", "muted"),),
                             cls="note"))
        return blocks

    def _data_quality(self) -> list:
        tz = self.timezone
        blocks: list = []
        balanced = self.ledger.balanced
        blocks.append(_P(("Every input row is accounted for (rows read = rows used + rows set aside): ",
                          _T("yes" if balanced else "NO", "badge", "ok" if balanced else "bad"))))
        folder = self.manifest_path.parent if self.manifest_path else None
        for s in self.ledger:
            what = "signals" if s.kind == "signals" else "events"
            blocks.append(_H(3, [s.name, " ", _T(s.domain, "badge", s.domain)]))
            blocks.append(_P((
                f"{s.domain} {what} from ", _T(_display_path(s.location, folder), "code"), ": ",
                f"{s.rows_read:,} rows read, {s.rows_used:,} used, {s.rows_rejected:,} set aside; "
                f"{s.items:,} {what}; {_both(s.start, tz)} to {_both(s.end, tz)}.",
            )))
            if s.rejected:
                items = []
                for reason, count in s.rejected.items():
                    items.append([_T(f"{count:,} row{'' if count == 1 else 's'}", "strong"), f" ({reason}): ",
                                  _reason_text(reason)])
                blocks.append(_List(tuple(items)))
            else:
                blocks.append(_P(("No row was set aside.",)))
            details = dict(s.details)
            extra = []
            cells = details.pop("cells_rejected", None)
            if cells:
                extra.append(["Cells of the wide export not used: "] + _join(
                    [f"{int(n):,} ({r}: {_reason_text(r)})" for r, n in cells.items()], "; "))
            examples = details.pop("examples", None)
            if examples:
                for reason, exs in examples.items():
                    extra.append([f"Examples ({reason}): "] + _join(
                        [_T(str(x), "code") for x in list(exs)[:3]], "; "))
            texts = details.pop("non_numeric_examples", None)
            if texts:
                extra.append(["Most frequent text values: "] + _join(
                    [[_T(str(t), "code"), f" ×{c}"] for t, c in texts.items()], ", "))
            open_end = details.pop("open_intervals_at_end", None)
            if open_end:
                extra.append(f"{int(open_end):,} alarms were still active at the end of the file "
                             "(kept as events without an end).")
            offset = details.pop("clock_offset_applied_s", None)
            if offset is not None:
                extra.append(f"Clock offset applied: {float(offset):+g} s (subtracted from the "
                             "source's time stamps).")
            if extra:
                blocks.append(_List(tuple(extra)))
            if details:
                blocks.append(_Table(("reader setting", "value"),
                                     tuple((k, v) for k, v in _flatten(details))))
        # signals
        blocks.append(_H(3, "Signals"))
        per_signal = (_attrs(self.changes) or {}).get("signals", {}) if self.changes is not None else {}
        info = self.signal_info
        rows = []
        for name, r in info.iterrows():
            st = per_signal.get(str(name), {})
            status = st.get("status", "")
            rows.append((
                _T(str(name), "strong"), _T(_text(r.get("domain", "")), "badge", _text(r.get("domain", ""))),
                _text(r.get("source", "")), _text(r.get("unit", "")),
                _text(r.get("samples", "")), _duration(r.get("max_gap")),
                _T(status, "badge", "ok" if status == "ok" else "warn") if status else "-",
            ))
        blocks.append(_P((f"{len(info):,} signals. A sample is held for at most its max gap; beyond it "
                          "the signal counts as missing (never interpolated). Change-point status per "
                          "signal in the analysis window: ok, constant, or too few samples.",)))
        blocks.append(_Table(("signal", "domain", "source", "unit", "valid samples", "max gap",
                              "change points"), tuple(rows), numeric=(4, 5)))
        renamed = getattr(self.alignment, "renamed", {}) or {}
        if renamed:
            blocks.append(_H(4, "Name clashes"))
            blocks.append(_List(tuple(
                [_T(old[1], "code"), f" from source {old[0]} is called ", _T(new, "code")]
                for old, new in renamed.items())))
        blocks.append(_H(3, "Warnings"))
        if self.warnings:
            blocks.append(_List(tuple(_T(w, "pre") for w in self.warnings)))
        else:
            blocks.append(_P(("No data-quality warning was raised while loading and analysing "
                              "(as far as this report saw).",)))
        return blocks

    def _settings(self) -> list:
        tz = self.timezone
        inc = self.incident
        lo, hi = inc.window
        grid = self.alignment.grid
        blocks: list = [_P(("Everything the analysis chose, so that it can be repeated: open the "
                            "manifest with the same rca version and options and the same numbers "
                            "come out.",))]
        blocks.append(_H(3, "Analysis window"))
        blocks.append(_Table(("setting", "value"), (
            ("incident start", _both(inc.start, tz)),
            ("window", f"{_both(lo, tz)} to {_both(hi, tz)}"),
            ("lookback", f"{_duration(inc.lookback)} ({inc.lookback_reason})"),
            ("lookahead", f"{_duration(inc.lookahead)} ({inc.lookahead_reason})"),
        )))
        blocks.append(_H(3, "Grid"))
        blocks.append(_Table(("setting", "value"), (
            ("step", _duration(grid.step)),
            ("why", grid.reason),
            ("first point", _both(grid.start, tz)),
            ("last point", _both(grid.end, tz)),
            ("points", f"{grid.points:,}"),
        )))
        blocks.append(_H(3, "Clock offsets"))
        offsets = self.alignment.clock_offsets
        if not offsets:
            blocks.append(_P(("Every source's clock was taken as it is (offset 0 s).",)))
        else:
            rows = []
            for c in offsets:
                e = c.estimate
                rows.append((
                    _text(c.clock), ", ".join(c.sources), f"{c.offset.total_seconds():+.3f}",
                    f"±{e.uncertainty.total_seconds():.3g}" if e is not None else "-",
                    c.mode, _text(e.matches) if e is not None else "-",
                    _num(e.peak_ratio, ".2f") if e is not None else "-",
                    ("yes" if e.reliable else "NO") if e is not None else "-",
                    e.method if e is not None else "given in the manifest",
                ))
            blocks.append(_Table(("clock", "sources", "offset [s]", "uncertainty [s]", "mode",
                                  "matched instants", "peak ratio", "reliable", "method"),
                                 tuple(rows), numeric=(2, 3, 5, 6)))
            blocks.append(_List(tuple(c.describe() for c in offsets)))
            blocks.append(_P(("Sources not listed run on the reference clock (offset 0 s). An "
                              "offset is subtracted from the source's time stamps.",)))

        blocks.append(_H(3, "Change points"))
        cs = _attrs(self.changes)
        blocks.append(_P((self.notes.get("changes", ""),)))
        if cs:
            top_level = {k: v for k, v in cs.items() if k != "signals"}
            blocks.append(_Table(("setting", "value"), tuple(_flatten(top_level))))
            per = cs.get("signals") or {}
            if per:
                rows = []
                for name, st in per.items():
                    rows.append((name, _text(st.get("status", "")), _num(st.get("penalty"), ".4g"),
                                 _num(st.get("noise"), ".4g"), _text(st.get("noise_basis", "")),
                                 _num(st.get("long_run_sd"), ".4g"), _num(st.get("inflation"), ".3g"),
                                 _text(st.get("n_valid", "")), _text(st.get("spikes_replaced", ""))))
                blocks.append(_Details(f"Per signal ({len(per)} signals)", (_Table(
                    ("signal", "status", "penalty [-]", "noise sd", "noise basis", "long-run sd",
                     "inflation [-]", "valid samples", "spikes set aside"),
                    tuple(rows), numeric=(2, 3, 5, 6, 7, 8)),)))
        blocks.append(_H(3, "Ranking"))
        blocks.append(_P((self.notes.get("candidates", ""),)))
        rs = _attrs(self.candidates)
        if rs:
            blocks.append(_Table(("setting", "value"), tuple(_flatten(rs))))
        blocks.append(_H(3, "Propagation"))
        blocks.append(_P((self.notes.get("propagation", ""),)))
        ps = _attrs(self.propagation)
        if ps:
            blocks.append(_Table(("setting", "value"), tuple(_flatten(ps))))
        blocks.append(_H(3, "This report"))
        opts = {k: v for k, v in self.options.items() if k != "timeline_caption"}
        blocks.append(_Table(("option", "value"), tuple(_flatten(opts))))
        blocks.append(_H(3, "Inputs and versions"))
        blocks.append(_Table(("file", "bytes", "SHA-256"), tuple(
            (_T(i["path"], "code"), f"{i['bytes']:,}" if i.get("bytes") is not None else "-",
             _T(i.get("sha256") or i.get("note", "-"), "code")) for i in self.inputs), numeric=(1,)))
        blocks.append(_Table(("software", "version"), tuple(self.versions.items())))
        blocks.append(_P(("Generated ", _both(self.generated_at, tz), ". To write it again: ",
                          _T(f"rca.write_report({str(self.manifest_path)!r}, 'report.html')", "code"),
                          " (or ", _T(f"rca report {self.manifest_path} -o report.html", "code"), ").")))
        blocks.append(_Details("All settings as JSON", (_Pre(json.dumps(self.to_dict(), indent=1,
                                                                       ensure_ascii=False)),)))
        return blocks


def _join(items: list, sep: str) -> list:
    out: list = []
    for k, item in enumerate(items):
        if k:
            out.append(sep)
        out.append(item)
    return out


def _reason_text(reason: str) -> str:
    return REASON_TEXT.get(reason, f"set aside by the reader (reason '{reason}')")


def _attrs(frame) -> dict:
    if frame is None:
        return {}
    settings = frame.attrs.get("settings")
    return dict(settings) if isinstance(settings, dict) else {}


def _without_signals(settings: dict) -> dict:
    out = {k: v for k, v in settings.items() if k != "signals"}
    if "signals" in settings:
        out["signals"] = {str(k): {kk: vv for kk, vv in v.items()} for k, v in settings["signals"].items()}
    return out


def _overdue(actions: pd.DataFrame, now: pd.Timestamp) -> pd.Series:
    if not len(actions):
        return pd.Series([], dtype=bool)
    today = now.date()
    due = actions["due"].map(lambda d: d < today if isinstance(d, _dt.date) else False)
    return due & ~actions["status"].isin(["done", "cancelled"])


def _check_format(format: str, path: Path) -> str:
    if format not in ("auto", "html", "markdown"):
        raise ParameterError(f"format={format!r}; expected 'auto', 'html' or 'markdown'")
    if format != "auto":
        return format
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        return "html"
    if suffix in (".md", ".markdown"):
        return "markdown"
    raise ParameterError(
        f"path={str(path)!r}: suffix {path.suffix!r} does not name a report format; expected "
        "'.html', '.htm', '.md' or '.markdown' (or pass format='html' / 'markdown')"
    )


# =====================================================================================
# Building
# =====================================================================================


def _check_frame(value, name: str, required: Sequence[str]) -> pd.DataFrame:
    if not isinstance(value, pd.DataFrame):
        raise ParameterError(
            f"{name}: got a {type(value).__name__}; expected a pandas DataFrame, 'auto' or None")
    missing = [c for c in required if c not in value.columns]
    if missing:
        raise ParameterError(
            f"{name} lacks column(s) {', '.join(repr(c) for c in missing)}; expected at least "
            f"{', '.join(required)} (found {', '.join(map(str, value.columns)) or 'no columns'})")
    return value


def _check_times(frame: pd.DataFrame, name: str, columns: Iterable[str]) -> None:
    for col in columns:
        if col not in frame.columns:
            continue
        dtype = frame[col].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype) and not isinstance(dtype, pd.DatetimeTZDtype):
            raise ParameterError(
                f"{name} column {col!r} holds naive times ({dtype}); expected tz-aware UTC times")
        if not pd.api.types.is_datetime64_any_dtype(dtype) and frame[col].notna().any():
            raise ParameterError(
                f"{name} column {col!r} has dtype {dtype}; expected tz-aware times "
                "(datetime64[ns, UTC])")


def _rank(investigation) -> tuple[pd.DataFrame | None, str]:
    try:
        from rca.ranking import rank_candidates
    except ModuleNotFoundError as exc:
        if exc.name != "rca.ranking":
            raise
        return None, ("not ranked: rca.rank_candidates is not available in this installation "
                      "(pass candidates= to build_report)")
    try:
        ranking = rank_candidates(investigation)
    except AnalysisError as exc:
        return None, f"not ranked: {exc}"
    return ranking, "computed by rca.rank_candidates(investigation) with its defaults"


def _snapshot(log) -> HypothesisSnapshot:
    retracted = {}
    views = {}
    for entity, method in (("hypotheses", log.hypotheses), ("evidence", log.evidence),
                           ("whys", log.whys), ("decisions", log.decisions),
                           ("actions", log.actions)):
        current = method()
        every = method(include_retracted=True)
        views[entity] = current
        retracted[entity] = int(len(every) - len(current))
    return HypothesisSnapshot(path=Path(log.path), retracted=retracted, **views)


def _load_log(log, investigation) -> tuple[HypothesisSnapshot | None, str]:
    from rca.hypotheses import HypothesisLog, hypothesis_log_path

    if log is None:
        return None, "hypothesis log not included (log=None)"
    if isinstance(log, HypothesisLog):
        return _snapshot(log), f"hypothesis log {log.path}"
    if isinstance(log, str) and log == "auto":
        path = hypothesis_log_path(investigation.path)
        if not path.exists():
            return None, f"no hypotheses recorded yet (no hypothesis log at {path})"
    elif isinstance(log, (str, os.PathLike)):
        path = Path(log)
        if not path.is_file():
            raise ParameterError(
                f"log={str(log)!r}: no such file; expected 'auto', None, a HypothesisLog or the "
                "path of an existing hypothesis log (.hypotheses.sqlite)")
    else:
        raise ParameterError(
            f"log: got a {type(log).__name__}; expected 'auto', None, a HypothesisLog or the "
            "path of a hypothesis log")
    opened = HypothesisLog(path)
    try:
        return _snapshot(opened), f"hypothesis log {path}"
    finally:
        opened.close()


def _choose_timeline_signals(investigation, timeline_signals, changes, candidates) -> tuple[list, str]:
    columns = [str(c) for c in investigation.signals.columns]
    if timeline_signals == "auto":
        if len(columns) <= AUTO_TIMELINE_SIGNALS:
            return columns, f"all {len(columns)} signals"
        chosen: list = []
        symptom = investigation.incident.symptom
        if symptom in columns:
            chosen.append(symptom)
        if candidates is not None and "type" in candidates.columns:
            for name in candidates.sort_values("rank")["name"].astype(str):
                if name in columns and name not in chosen:
                    chosen.append(name)
                if len(chosen) >= AUTO_TIMELINE_SIGNALS // 2:
                    break
        if changes is not None and len(changes):
            best = changes.groupby("signal")["strength"].max().sort_values(ascending=False)
            for name in best.index.astype(str):
                if len(chosen) >= AUTO_TIMELINE_SIGNALS:
                    break
                if name in columns and name not in chosen:
                    chosen.append(name)
        return chosen, (f"{len(chosen)} of {len(columns)} signals: the symptom, the ranked "
                        "signal candidates and the signals with the strongest changes")
    if isinstance(timeline_signals, str) or not isinstance(timeline_signals, Iterable):
        raise ParameterError(
            f"timeline_signals={timeline_signals!r}; expected 'auto' or a list of signal names")
    names = [str(n) for n in timeline_signals]
    unknown = [n for n in names if n not in columns]
    if unknown:
        raise ParameterError(
            f"timeline_signals: {unknown[:3]} not loaded; expected names of the investigation's "
            f"signals (e.g. {columns[:3]})")
    return names, f"{len(names)} signals chosen by the caller"


def _render_charts(investigation, report_parts: dict, *, top: int, timeline_signals) -> tuple[dict, dict, str]:
    from rca.charts import candidates_chart, chart_to_svg, propagation_chart, timeline_chart

    charts: dict = {}
    notes: dict = {}
    tz = investigation.timezone
    start = investigation.incident.start
    changes = report_parts["changes"]
    candidates = report_parts["candidates"]
    edges = report_parts["propagation"]
    names, why = _choose_timeline_signals(investigation, timeline_signals, changes, candidates)
    signals = investigation.signals_in("incident")[names]
    signals = signals.loc[:, signals.notna().any()]
    events = investigation.events_in("incident")
    chart_changes = None
    if changes is not None and len(changes):
        chart_changes = changes[changes["signal"].astype(str).isin(set(signals.columns))]
    caption = (f"OT and IT swimlanes over the analysis window, times in {tz}: {why} (each lane "
               "scaled to its own range; marks in a lane are change points), events by kind and "
               "severity, dashed line: incident start. The bottom panel shows the whole window.")
    if signals.shape[1] or len(events):
        chart = timeline_chart(signals if signals.shape[1] else None, events if len(events) else None,
                               chart_changes, signal_info=investigation.signal_info,
                               incident_start=start, timezone=tz, title="Timeline")
        charts["timeline"] = _safe_svg(chart_to_svg(chart), prefix="timeline", label="Timeline chart")
    else:
        notes["timeline_chart"] = "no signal data and no events in the analysis window to draw"
    if candidates is not None and len(candidates):
        chart = candidates_chart(candidates, top=top, incident_start=start, timezone=tz)
        charts["candidates"] = _safe_svg(chart_to_svg(chart), prefix="candidates",
                                         label="Ranked candidates chart")
    if edges is not None and len(edges):
        chart = propagation_chart(edges, signal_info=investigation.signal_info,
                                  incident_start=start, timezone=tz)
        charts["propagation"] = _safe_svg(chart_to_svg(chart), prefix="propagation",
                                          label="Propagation chart")
    return charts, notes, caption


def _evidence_charts(log: HypothesisSnapshot | None, render: bool) -> tuple[dict, dict]:
    """Charts attached to hypotheses as evidence, as sanitised SVG (or a note why not)."""
    charts: dict = {}
    notes: dict = {}
    if log is None or not len(log.evidence):
        return charts, notes
    for k, (_, e) in enumerate(log.evidence[log.evidence["kind"] == "chart"].iterrows(), start=1):
        key = f"evidence-{e['evidence_id']}"
        detail = e["detail"] if isinstance(e["detail"], dict) else {}
        fmt = detail.get("format")
        try:
            if fmt == "svg":
                charts[key] = _safe_svg(str(detail.get("svg", "")), prefix=f"ev{k}",
                                        label="Chart attached as evidence")
            elif fmt == "vega-lite":
                if not render:
                    notes[key] = "Vega-Lite chart attached; not rendered (charts=False)"
                    continue
                from rca.charts import _vl_convert, _vl_version

                vlc = _vl_convert()
                spec = detail.get("spec")
                # No network: a spec that points at external data is not fetched.
                svg = vlc.vegalite_to_svg(spec, vl_version=_vl_version(spec, vlc), allowed_base_urls=[])
                charts[key] = _safe_svg(svg, prefix=f"ev{k}", label="Chart attached as evidence")
            else:
                notes[key] = f"chart in an unknown format {fmt!r}; not shown"
        except (_SvgError, ValueError, TypeError) as exc:
            notes[key] = f"chart could not be embedded: {_short(str(exc), 200)}"
    return charts, notes


def _inputs(investigation) -> tuple:
    rows = []
    seen = set()
    manifest = Path(investigation.path)
    folder = manifest.parent
    candidates = [manifest] + [Path(s.location) for s in investigation.ledger
                               if "://" not in str(s.location)]
    for p in candidates:
        key = str(p.resolve()) if p.exists() else str(p)
        if key in seen:
            continue
        seen.add(key)
        shown = _display_path(str(p.resolve()) if p.exists() else str(p), folder)
        if p.is_file():
            rows.append({"path": shown, "bytes": p.stat().st_size, "sha256": _sha256(p)})
        else:
            rows.append({"path": shown, "bytes": None, "sha256": None, "note": "not a local file"})
    for s in investigation.ledger:
        if "://" in str(s.location):
            rows.append({"path": _redact_url(str(s.location)), "bytes": None, "sha256": None,
                         "note": "database source"})
    return tuple(rows)


def _redact_url(url: str) -> str:
    """A database URL without its password."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def _versions() -> dict:
    from rca import __version__

    out = {"rca": __version__, "python": sys.version.split()[0]}
    for pkg in _VERSION_PACKAGES:
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def build_report(
    investigation,
    *,
    candidates: pd.DataFrame | str | None = "auto",
    changes: pd.DataFrame | str | None = "auto",
    propagation: pd.DataFrame | str | None = "auto",
    log: Any = "auto",
    charts: bool = True,
    top: int = 20,
    timeline_signals: str | Sequence[str] = "auto",
    generated_at: Any = None,
) -> Report:
    """Collect what an investigation found into a :class:`Report`.

    Parameters
    ----------
    investigation : rca.Investigation
        From :func:`rca.open_investigation`.
    candidates : "auto", pandas.DataFrame or None, default "auto"
        The ranked candidates (columns ``rank``, ``name``, ``score``; ``type``, ``domain``,
        ``onset``, ``evidence`` shown when present; see ``docs/data-model.md``).
        ``"auto"``: ``rca.rank_candidates(investigation)``. ``None``: no ranking section
        content. The frame's ``attrs["settings"]`` is reported as the ranking settings.
    changes : "auto", pandas.DataFrame or None, default "auto"
        Change points shown on the timeline. ``"auto"``:
        ``investigation.changes("incident")`` (the analysis window, default options).
    propagation : "auto", pandas.DataFrame or None, default "auto"
        Edge table (``source_signal``, ``target_signal``, ``source_time``, ``target_time``;
        ``lag``, ``weight``, ``r``, ``p_value`` shown when present). ``"auto"``: the
        ranking's ``attrs["propagation"]`` when it has one.
    log : "auto", rca.hypotheses.HypothesisLog, path or None, default "auto"
        The hypothesis log. ``"auto"``: the log beside the manifest if it exists (it is
        never created by the report); otherwise the report says no hypotheses were recorded.
    charts : bool, default True
        Render the timeline, candidates and propagation charts (and charts attached as
        evidence) to inline SVG with vl-convert. ``False`` is faster and keeps the tables.
    top : int, default 20
        Candidates shown (table and chart), and strongest change points listed.
    timeline_signals : "auto" or list of str, default "auto"
        Signal lanes of the timeline. ``"auto"``: all signals when there are at most
        :data:`AUTO_TIMELINE_SIGNALS`, else the symptom, the signal candidates and the signals
        with the strongest changes up to that many; the choice is in the caption.
    generated_at : timestamp, optional
        Tz-aware time stamped on the report; default now. Same inputs and ``generated_at``
        give the same report.

    Returns
    -------
    Report

    Raises
    ------
    ParameterError
        For a frame without the required columns or with naive times, or an option out of
        range (the message names it).

    Examples
    --------
    >>> import rca
    >>> from rca.report import build_report
    >>> inv = rca.open_investigation("sample_data/line3_scrap_spike/investigation.toml")  # doctest: +SKIP
    >>> report = build_report(inv)  # doctest: +SKIP
    >>> report.write("line3_report.html")  # doctest: +SKIP
    PosixPath('line3_report.html')
    """
    from rca.investigation import Investigation

    if not isinstance(investigation, Investigation):
        raise ParameterError(
            f"investigation: got a {type(investigation).__name__}; expected an rca.Investigation "
            "(from rca.open_investigation); write_report also takes a manifest path")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ParameterError(f"top={top!r}; expected a whole number >= 1")
    if not isinstance(charts, bool):
        raise ParameterError(f"charts={charts!r}; expected True or False")
    if generated_at is None:
        generated = pd.Timestamp.now(tz="UTC").floor("s")
    else:
        try:
            generated = pd.Timestamp(generated_at)
        except (TypeError, ValueError):
            raise ParameterError(
                f"generated_at={generated_at!r}; expected a tz-aware timestamp") from None
        if generated.tzinfo is None:
            raise ParameterError(
                f"generated_at={generated_at!r} is naive; expected a tz-aware timestamp "
                "(e.g. '2026-03-04T10:00Z')")
        generated = generated.tz_convert("UTC")

    notes: dict = {}
    caught: list = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RcaWarning)
        # change points
        if isinstance(changes, str) and changes == "auto":
            try:
                changes_frame = investigation.changes("incident")
                notes["changes"] = ("computed by Investigation.changes('incident'): "
                                    "rca.detect_changes on the analysis window with its defaults "
                                    f"and long_run={changes_frame.attrs['settings']['long_run']!r}")
            except AnalysisError as exc:
                changes_frame, notes["changes"] = None, f"no change points: {exc}"
        elif changes is None:
            changes_frame, notes["changes"] = None, "change points not included (changes=None)"
        else:
            changes_frame = _check_frame(changes, "changes", ("signal", "time", "strength"))
            _check_times(changes_frame, "changes", ("time", "time_lo", "time_hi"))
            notes["changes"] = "given to build_report"
        # ranking
        if isinstance(candidates, str) and candidates == "auto":
            cand_frame, notes["candidates"] = _rank(investigation)
        elif candidates is None:
            cand_frame, notes["candidates"] = None, "ranking not included (candidates=None)"
        else:
            cand_frame = _check_frame(candidates, "candidates", ("rank", "name", "score"))
            notes["candidates"] = "given to build_report"
        if cand_frame is not None:
            _check_times(cand_frame, "candidates", ("onset",))
            if not pd.api.types.is_numeric_dtype(cand_frame["score"]):
                raise ParameterError(
                    f"candidates column 'score' has dtype {cand_frame['score'].dtype}; expected numbers")
        # propagation
        if isinstance(propagation, str) and propagation == "auto":
            edges = cand_frame.attrs.get("propagation") if cand_frame is not None else None
            if isinstance(edges, list):
                from rca.ranking import propagation_edges

                edges = propagation_edges(cand_frame)
            if isinstance(edges, pd.DataFrame):
                notes["propagation"] = "from the ranking (candidates.attrs['propagation'])"
            else:
                edges = None
                notes["propagation"] = ("no propagation table: the ranking did not provide one"
                                        if cand_frame is not None else "no propagation table: no ranking")
        elif propagation is None:
            edges, notes["propagation"] = None, "propagation not included (propagation=None)"
        else:
            edges = propagation
            notes["propagation"] = "given to build_report"
        if edges is not None:
            edges = _check_frame(edges, "propagation", _EDGE_COLUMNS)
            _check_times(edges, "propagation", ("source_time", "target_time"))
        # hypothesis log
        snapshot, notes["log"] = _load_log(log, investigation)
        # charts
        chart_svgs: dict = {}
        caption = ""
        parts = {"changes": changes_frame, "candidates": cand_frame, "propagation": edges}
        if charts:
            chart_svgs, chart_notes, caption = _render_charts(
                investigation, parts, top=int(top), timeline_signals=timeline_signals)
            notes.update(chart_notes)
        elif not (isinstance(timeline_signals, str) and timeline_signals == "auto"):
            _choose_timeline_signals(investigation, timeline_signals, changes_frame, cand_frame)
        ev_svgs, ev_notes = _evidence_charts(snapshot, charts)
        chart_svgs.update(ev_svgs)
        notes.update(ev_notes)

    warning_texts = tuple(dict.fromkeys(
        str(w.message) for w in caught if issubclass(w.category, RcaWarning)))
    for w in caught:  # recorded in the report, and passed on to the caller as well
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

    events = investigation.events_in("incident")
    if len(events):
        counts = (events.groupby(["domain", "kind"], observed=True, dropna=False).size()
                  .rename("events").reset_index()
                  .sort_values(["events", "domain", "kind"], ascending=[False, True, True],
                               kind="stable").reset_index(drop=True))
    else:
        counts = pd.DataFrame({"domain": [], "kind": [], "events": []})
    options = {
        "candidates": "auto" if isinstance(candidates, str) else ("none" if candidates is None else "given"),
        "changes": "auto" if isinstance(changes, str) else ("none" if changes is None else "given"),
        "propagation": "auto" if isinstance(propagation, str) else ("none" if propagation is None else "given"),
        "log": notes["log"],
        "charts": charts,
        "top": int(top),
        "timeline_signals": timeline_signals if isinstance(timeline_signals, str) else list(timeline_signals),
        "timeline_caption": caption,
    }
    return Report(
        title=investigation.title,
        description=getattr(investigation.manifest, "description", "") or "",
        timezone=investigation.timezone,
        manifest_path=Path(investigation.path),
        incident=investigation.incident,
        signal_info=investigation.signal_info,
        events_total=int(len(investigation.events)),
        events_in_window=int(len(events)),
        event_counts=counts,
        ledger=investigation.ledger,
        alignment=investigation.alignment,
        changes=changes_frame,
        candidates=cand_frame,
        propagation=edges,
        log=snapshot,
        notes=notes,
        charts=chart_svgs,
        options=options,
        inputs=_inputs(investigation),
        versions=_versions(),
        warnings=warning_texts,
        generated_at=generated,
    )


def write_report(source, path: str | os.PathLike, *, format: str = "auto", **options) -> Path:
    """Build the report of an investigation and write it: HTML or Markdown by the suffix.

    Parameters
    ----------
    source : str, os.PathLike or rca.Investigation
        The manifest (or its folder), opened with :func:`rca.open_investigation`, or an
        investigation already open.
    path : str or os.PathLike
        The file to write: ``.html`` (self-contained, offline) or ``.md``.
    format : {"auto", "html", "markdown"}, default "auto"
        See :meth:`Report.write`.
    **options
        Passed to :func:`build_report` (``candidates``, ``changes``, ``propagation``, ``log``,
        ``charts``, ``top``, ``timeline_signals``, ``generated_at``). For Markdown, ``charts``
        defaults to ``False``: the Markdown report does not embed charts.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ParameterError
        For an unknown suffix or format (checked before any work is done) or a bad option.
    ManifestError, SourceError
        When the manifest or a source cannot be read.

    Examples
    --------
    >>> from rca.report import write_report
    >>> write_report("sample_data/line3_scrap_spike/investigation.toml",
    ...              "line3_report.html")  # doctest: +SKIP
    PosixPath('line3_report.html')
    """
    from rca.investigation import Investigation, open_investigation

    target = Path(path)
    fmt = _check_format(format, target)
    if fmt == "markdown":
        options.setdefault("charts", False)
    if not target.parent.exists():
        raise ParameterError(
            f"path={str(target)!r}: folder {str(target.parent)!r} does not exist; expected an "
            "existing folder to write the report into")
    load_warnings: list = []
    if isinstance(source, Investigation):
        investigation = source
    else:
        with warnings.catch_warnings(record=True) as load_warnings:
            warnings.simplefilter("always", RcaWarning)
            investigation = open_investigation(source)
    report = build_report(investigation, **options)
    if load_warnings:
        texts = tuple(str(w.message) for w in load_warnings if issubclass(w.category, RcaWarning))
        report = _replace(report, warnings=tuple(dict.fromkeys(texts + report.warnings)))
        for w in load_warnings:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return report.write(target, format=format)


def _replace(report: Report, **changes) -> Report:
    import dataclasses

    return dataclasses.replace(report, **changes)
